using System.Diagnostics;
using System.Globalization;
using MySqlConnector;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// One mariadbd process and its files: data directory, socket, pid file and error log, all under the
/// instance's home. Stratus administers it as root over the unix socket only; root has no TCP login.
/// </summary>
public sealed partial class MariaDbServer(MariaDbInstallation installation, string home) : SupervisedServer(home), IDbServer
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

    /// <summary>The admin socket; deep homes get one in the temp dir instead.</summary>
    public string Socket => SocketPath(Path.Combine(Home, "mysqld.sock"), 100, hash => $"stratus-rds-{hash}.sock");

    protected override string ProgramName => "mariadbd";
    protected override TimeSpan ReadyPollInterval => TimeSpan.FromMilliseconds(150);
    /// <summary>A clean shutdown (SIGTERM), killed if it takes too long.</summary>
    protected override (int Signal, int? Escalation) StopSignals => (ServerProcess.SigTerm, null);

    public async Task InitializeAsync(CancellationToken cancellation)
    {
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        CreateHome();
        // Several mariadb-install-db runs at once (even from different Stratus processes) sometimes
        // break each other's bootstrap, so they take turns machine-wide; each takes half a second.
        using var turn = await ServerProcess.TakeTurnAsync("stratus-rds-install-db.lock", cancellation);
        await ServerProcess.RunAsync(ServerProcess.Launch(installation.InstallDbPath,
            ["--no-defaults", $"--datadir={DataDir}", $"--tmpdir={TempDir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", .. UserArg(), .. TuningArgs]), cancellation);
    }

    /// <summary>
    /// The home and its temp dir, 0700 from the start: they hold the databases' files and the admin socket, the data dir's
    /// owner's alone (mariadbd runs as that user, or as root with --user=root), not only after the next start tightens them.
    /// </summary>
    public void CreateHome()
    {
        // Each level on its own: a directory's parents are created with the umask's mode.
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(Home)!);
        Persistence.DataDirectory.CreatePrivate(Home);
        Persistence.DataDirectory.CreatePrivate(TempDir);
    }

    /// <summary>Starts the server bound to one address and waits until it accepts connections.</summary>
    public async Task StartAsync(string address, int port, CancellationToken cancellation)
    {
        await LaunchAsync([$"--bind-address={address}", $"--port={port}"], $"{address}:{port}", cancellation);
        if (IsReplica) await WaitUntilReplicatingAsync(cancellation);
    }

    /// <summary>Runs mariadbd with the network options given (an address, or --skip-networking while a replica is seeded) and waits until it is ready.</summary>
    private async Task LaunchAsync(string[] network, string where, CancellationToken cancellation)
    {
        RequireStopped();
        if (File.Exists(ErrorLog)) File.Delete(ErrorLog);
        CreateHome();
        await LaunchAsync(ServerProcess.Launch(installation.ServerPath, ["--no-defaults", $"--datadir={DataDir}", .. network,
            $"--socket={Socket}", $"--pid-file={PidFile}", $"--tmpdir={TempDir}", $"--log-error={ErrorLog}",
            $"--slow-query-log-file={SlowQueryLog}", $"--general-log-file={GeneralLog}", .. UserArg(), .. TuningArgs, .. RuntimeArgs,
            .. ReplicationArgs(), .. TlsArgs(), .. StaticParameterArgs()]), where, cancellation);
    }

    /// <summary>TLS with the certificate RDS issued the server (its clients choose whether to use it, unless require_secure_transport says they must).</summary>
    private string[] TlsArgs() => Tls.Exist ? [$"--ssl-cert={Tls.Certificate}", $"--ssl-key={Tls.Key}", $"--ssl-ca={Tls.Authority}"] : [];

    /// <summary>Runs administrative SQL as root over the socket; values are passed as parameters, never spliced.</summary>
    public async Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellation = default)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters ?? new Dictionary<string, object?>()) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>
    /// Drops the accounts mariadb-install-db makes beside root@localhost (root@&lt;hostname&gt;, which --skip-name-resolve leaves
    /// unloaded, so mariadb-dump could not show it when a replica is seeded from this server).
    /// </summary>
    private const string DropInstallAccounts =
        "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost'; DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost'; FLUSH PRIVILEGES;";

    /// <summary>Creates the master user (any host: the server only listens on its own address) and the initial database.</summary>
    public Task CreateMasterUserAsync(string user, string password, string? dbName, CancellationToken cancellation) => ExecuteAsync(
        DropInstallAccounts + " " +
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

    protected override bool SaysAddressInUse(string log) =>
        log.Contains("Address already in use", StringComparison.Ordinal) || log.Contains("Bind on TCP/IP port", StringComparison.Ordinal);

    protected override async Task ProbeAdminConnectionAsync(int timeoutSeconds, CancellationToken cancellation)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(timeoutSeconds));
        await connection.OpenAsync(cancellation);
    }

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
