using System.Diagnostics;
using System.Globalization;
using MySqlConnector;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// One mariadbd process and its files: data directory, socket, pid file and error log, all under the
/// instance's home. Stratus administers it as root over the unix socket only; root has no TCP login.
/// </summary>
public sealed class MariaDbServer(MariaDbInstallation installation, string home) : DbServerProcess(home), IDbServer
{
    // Small but real: a development database should not take a gigabyte per instance.
    private static readonly string[] TuningArgs = ["--innodb-log-file-size=8M"];
    private static readonly string[] RuntimeArgs =
        ["--innodb-buffer-pool-size=32M", "--performance-schema=OFF", "--skip-name-resolve", "--character-set-server=utf8mb4",
         "--collation-server=utf8mb4_general_ci", "--max-connections=200", "--log-output=FILE"];

    public string PidFile => Path.Combine(Home, "mariadbd.pid");
    public string ErrorLog => Path.Combine(Home, "error.log");
    /// <summary>Where the slow query and general logs go when a parameter group turns them on (log_output FILE).</summary>
    public string SlowQueryLog => Path.Combine(Home, "slowquery.log");
    public string GeneralLog => Path.Combine(Home, "general.log");
    /// <summary>
    /// The static parameters of the instance's parameter group, one "name=value" a line under [mariadbd], written by
    /// RDS before a start: they are read only when the server starts, as RDS applies static parameters at a reboot.
    /// </summary>
    public string StaticParametersFile => Path.Combine(Home, "parameters.cnf");
    private string TempDir => Path.Combine(Home, "tmp");

    /// <summary>Unix socket paths are limited to 107 bytes; deep data dirs get one in the temp dir instead.</summary>
    public string Socket => WithinSocketLimit(Path.Combine(Home, "mysqld.sock"), 100, hash => $"stratus-rds-{hash}.sock");

    protected override string ProgramName => "mariadbd";
    // mariadbd's clean shutdown.
    protected override int StopSignal => ServerProcess.SigTerm;
    protected override TimeSpan ReadyPollInterval => TimeSpan.FromMilliseconds(150);
    // The temp dir is 0700 too: mariadbd runs as the data dir's owner (or as root with --user=root).
    protected override IEnumerable<string> PrivateDirectories => [TempDir];

    protected override async Task InitializeDataDirAsync(CancellationToken cancellation)
    {
        // Several mariadb-install-db runs at once (even from different Stratus processes) sometimes
        // break each other's bootstrap, so they take turns machine-wide; each takes half a second.
        using var turn = await ServerProcess.TakeTurnAsync("stratus-rds-install-db.lock", cancellation);
        await ServerProcess.RunAsync(ServerProcess.Launch(installation.InstallDbPath,
            ["--no-defaults", $"--datadir={DataDir}", $"--tmpdir={TempDir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", .. UserArg(), .. TuningArgs]), cancellation);
    }

    protected override ProcessStartInfo PrepareStart(string address, int port)
    {
        if (File.Exists(ErrorLog)) File.Delete(ErrorLog);
        CreateHome();
        return ServerProcess.Launch(installation.ServerPath, ["--no-defaults", $"--datadir={DataDir}", $"--bind-address={address}", $"--port={port}",
            $"--socket={Socket}", $"--pid-file={PidFile}", $"--tmpdir={TempDir}", $"--log-error={ErrorLog}",
            $"--slow-query-log-file={SlowQueryLog}", $"--general-log-file={GeneralLog}", .. UserArg(), .. TuningArgs, .. RuntimeArgs, .. StaticParameterArgs()]);
    }

    /// <summary>Runs administrative SQL as root over the socket; values are passed as parameters, never spliced.</summary>
    public async Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellation = default)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters ?? new Dictionary<string, object?>()) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>Creates the master user (any host: the server only listens on its own address) and the initial database.</summary>
    public Task CreateMasterUserAsync(string user, string password, string? dbName, CancellationToken cancellation) => ExecuteAsync(
        "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost'; " +
        "DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost'; FLUSH PRIVILEGES; " +
        "CREATE USER @user IDENTIFIED BY @password; GRANT ALL PRIVILEGES ON *.* TO @user WITH GRANT OPTION; " +
        (dbName is null ? "" : $"CREATE DATABASE `{dbName}`;"),
        new Dictionary<string, object?> { ["@user"] = user, ["@password"] = password }, cancellation);

    public Task SetMasterPasswordAsync(string user, string password, CancellationToken cancellation) =>
        ExecuteAsync("ALTER USER @user IDENTIFIED BY @password", new Dictionary<string, object?> { ["@user"] = user, ["@password"] = password }, cancellation);

    /// <summary>
    /// Dynamic parameters with SET GLOBAL in the running server (an empty value puts the compiled default back);
    /// static ones into the options file read at the next start.
    /// </summary>
    public async Task ApplyParametersAsync(IReadOnlyList<DbParameter> parameters, CancellationToken cancellation)
    {
        var statics = parameters.Where(p => !p.IsDynamic && p.Value.Length > 0).Select(p => $"{p.Name}={p.Value}").ToList();
        CreateHome();
        if (statics.Count == 0) File.Delete(StaticParametersFile);
        else await File.WriteAllLinesAsync(StaticParametersFile, ["[mariadbd]", .. statics], cancellation);
        if (!IsRunning) return;
        foreach (var parameter in parameters.Where(p => p.IsDynamic))
        {
            if (parameter.Value.Length == 0) await SetGlobalDefaultAsync(parameter.Name, cancellation);
            else
            {
                if (parameter.Name == "time_zone") await EnsureTimeZonesAsync(cancellation);
                // SET GLOBAL refuses a quoted value for a numeric variable ("Incorrect argument type"), so numbers go as numbers.
                await SetGlobalAsync(parameter.Name, decimal.TryParse(parameter.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? number : parameter.Value, cancellation);
            }
        }
    }

    public IReadOnlyList<(string Name, string Path)> LogFiles =>
        [("error/mysql-error.log", ErrorLog), ("slowquery/mysql-slowquery.log", SlowQueryLog), ("general/mysql-general.log", GeneralLog)];
    /// <summary>Sets a global variable in the running server (a dynamic parameter); the name comes from RDS's parameter table, the value is a parameter.</summary>
    public Task SetGlobalAsync(string name, object value, CancellationToken cancellation = default) =>
        ExecuteAsync($"SET GLOBAL `{name}` = @value", new Dictionary<string, object?> { ["@value"] = value }, cancellation);

    /// <summary>Sets a global variable back to the server's compiled default.</summary>
    public Task SetGlobalDefaultAsync(string name, CancellationToken cancellation = default) => ExecuteAsync($"SET GLOBAL `{name}` = DEFAULT", null, cancellation);

    /// <summary>
    /// Loads the machine's zoneinfo into the server's time zone tables once, so named zones (time_zone = Europe/Paris)
    /// work as they do on RDS, whose servers have them loaded.
    /// </summary>
    public async Task EnsureTimeZonesAsync(CancellationToken cancellation = default)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using (var count = new MySqlCommand("SELECT COUNT(*) FROM mysql.time_zone_name", connection))
            if (Convert.ToInt64(await count.ExecuteScalarAsync(cancellation)) > 0) return;
        var tool = installation.TimeZoneLoaderPath ?? throw new InvalidOperationException("mariadb-tzinfo-to-sql is not installed, so named time zones cannot be loaded.");
        var start = ServerProcess.Launch(tool, ["/usr/share/zoneinfo"]);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        var sql = await process.StandardOutput.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(tool)} failed (exit {process.ExitCode}): {ServerProcess.Tail(await errors)}");
        // The loader's SQL names the tables unqualified (and checks DATABASE()), as when piped into the mysql database.
        await using var load = new MySqlCommand("USE mysql;\n" + sql, connection) { CommandTimeout = 120 };
        await load.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>The parameters file's lines as command-line options, after Stratus's own so that they win.</summary>
    private string[] StaticParameterArgs() => File.Exists(StaticParametersFile)
        ? File.ReadAllLines(StaticParametersFile).Where(line => line.Contains('=') && !line.StartsWith('[')).Select(line => "--" + line.Trim()).ToArray()
        : [];

    /// <summary>Stops a server that an earlier Stratus left running (its pid file names a live mariadbd on this data dir).</summary>
    public Task<bool> StopOrphanAsync() => ServerProcess.StopOrphanAsync(PidFile, $"--datadir={DataDir}", ServerProcess.SigTerm);

    public override string LogTail() => File.Exists(ErrorLog) ? ServerProcess.Tail(File.ReadAllText(ErrorLog)) : "";

    protected override async Task ConnectAsAdminAsync(int timeoutSeconds, CancellationToken cancellation)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(timeoutSeconds));
        await connection.OpenAsync(cancellation);
    }

    protected override bool IsConnectionError(Exception error) => error is MySqlException;

    protected override bool SaysAddressInUse(string log) =>
        log.Contains("Address already in use", StringComparison.Ordinal) || log.Contains("Bind on TCP/IP port", StringComparison.Ordinal);

    private string AdminConnectionString(int timeoutSeconds) => new MySqlConnectionStringBuilder
    {
        Server = Socket,
        ConnectionProtocol = MySqlConnectionProtocol.UnixSocket,
        UserID = "root",
        Pooling = false,
        ConnectionTimeout = (uint)timeoutSeconds,
        AllowUserVariables = true,
    }.ConnectionString;

    /// <summary>mariadbd refuses to run as root unless told to; as anyone else it runs as that user.</summary>
    private static string[] UserArg() => Environment.UserName == "root" ? ["--user=root"] : [];
}
