using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MySqlConnector;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// One mariadbd process and its files: data directory, socket, pid file and error log, all under the
/// instance's home. Stratus administers it as root over the unix socket only; root has no TCP login.
/// </summary>
public sealed class MariaDbServer(MariaDbInstallation installation, string home) : IDbServer
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    // Small but real: a development database should not take a gigabyte per instance.
    private static readonly string[] TuningArgs = ["--innodb-log-file-size=8M"];
    private static readonly string[] RuntimeArgs =
        ["--innodb-buffer-pool-size=32M", "--performance-schema=OFF", "--skip-name-resolve", "--character-set-server=utf8mb4",
         "--collation-server=utf8mb4_general_ci", "--max-connections=200"];

    private readonly Lock _gate = new();
    private Process? _process;
    private bool _stopRequested;

    public string Home { get; } = home;
    public string DataDir => Path.Combine(Home, "data");
    public string PidFile => Path.Combine(Home, "mariadbd.pid");
    public string ErrorLog => Path.Combine(Home, "error.log");
    private string TempDir => Path.Combine(Home, "tmp");
    private string InitializedMarker => Path.Combine(Home, "initialized");

    /// <summary>Unix socket paths are limited to 107 bytes; deep data dirs get one in the temp dir instead.</summary>
    public string Socket
    {
        get
        {
            var local = Path.Combine(Home, "mysqld.sock");
            if (Encoding.UTF8.GetByteCount(local) < 100) return local;
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Home)))[..16];
            return Path.Combine(Path.GetTempPath(), $"stratus-rds-{hash}.sock");
        }
    }

    public bool IsInitialized => File.Exists(InitializedMarker);
    public bool IsRunning { get { lock (_gate) return _process is { HasExited: false }; } }

    /// <summary>Raised with the exit code when the process ends without Stratus asking it to.</summary>
    public event Action<IDbServer, int>? ExitedUnexpectedly;

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

    public void MarkInitialized() => File.WriteAllText(InitializedMarker, DateTimeOffset.UtcNow.ToString("O"));

    /// <summary>Starts the server bound to one address and waits until it accepts connections.</summary>
    public async Task StartAsync(string address, int port, CancellationToken cancellation)
    {
        if (IsRunning) throw new InvalidOperationException($"The server in {Home} is already running.");
        if (File.Exists(ErrorLog)) File.Delete(ErrorLog);
        CreateHome();
        var start = ServerProcess.Launch(installation.ServerPath, ["--no-defaults", $"--datadir={DataDir}", $"--bind-address={address}", $"--port={port}",
            $"--socket={Socket}", $"--pid-file={PidFile}", $"--tmpdir={TempDir}", $"--log-error={ErrorLog}", .. UserArg(), .. TuningArgs, .. RuntimeArgs]);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        lock (_gate)
        {
            _stopRequested = false;
            _process = process;
        }
        process.Exited += (_, _) => OnExited(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilReadyAsync(process, address, port, cancellation);
    }

    /// <summary>A clean shutdown (SIGTERM), killed if it takes too long.</summary>
    public async Task StopAsync()
    {
        Process? process;
        lock (_gate)
        {
            _stopRequested = true;
            process = _process;
            _process = null;
        }
        if (process is null) return;
        await ServerProcess.TerminateAsync(process, ServerProcess.SigTerm);
        process.Dispose();
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

    /// <summary>Parameter groups for MariaDB are not built on this branch: said plainly rather than ignored.</summary>
    public Task ApplyParametersAsync(IReadOnlyList<DbParameter> parameters, CancellationToken cancellation) =>
        throw new NotSupportedException("Applying DB parameter groups to MariaDB instances is not built yet.");

    /// <summary>Stops a server that an earlier Stratus left running (its pid file names a live mariadbd on this data dir).</summary>
    public Task<bool> StopOrphanAsync() => ServerProcess.StopOrphanAsync(PidFile, $"--datadir={DataDir}", ServerProcess.SigTerm);

    public string LogTail() => File.Exists(ErrorLog) ? ServerProcess.Tail(File.ReadAllText(ErrorLog)) : "";

    private void OnExited(Process process)
    {
        bool unexpected;
        lock (_gate)
        {
            unexpected = !_stopRequested && ReferenceEquals(_process, process);
            if (unexpected) _process = null;
        }
        if (unexpected) ExitedUnexpectedly?.Invoke(this, process.ExitCode);
    }

    private async Task WaitUntilReadyAsync(Process process, string address, int port, CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                lock (_gate) if (ReferenceEquals(_process, process)) _process = null;
                var log = LogTail();
                var inUse = log.Contains("Address already in use", StringComparison.Ordinal) || log.Contains("Bind on TCP/IP port", StringComparison.Ordinal);
                throw new DbStartException($"mariadbd exited while starting on {address}:{port}: {log}", inUse);
            }
            try
            {
                await using var connection = new MySqlConnection(AdminConnectionString(2));
                await connection.OpenAsync(cancellation);
                return;
            }
            catch (MySqlException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(150, cancellation);
            }
            catch (MySqlException e)
            {
                await StopAsync();
                throw new DbStartException($"mariadbd did not accept connections within {ReadyTimeout.TotalSeconds} s: {e.Message} {LogTail()}", false);
            }
        }
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
