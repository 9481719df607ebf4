using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using MySqlConnector;

namespace Stratus.Services.Rds.Engine;

/// <summary>Why a server did not come up; <see cref="AddressInUse"/> tells the caller to try another address.</summary>
public sealed class MariaDbStartException(string message, bool addressInUse) : Exception(message)
{
    public bool AddressInUse { get; } = addressInUse;
}

/// <summary>
/// One mariadbd process and its files: data directory, socket, pid file and error log, all under the
/// instance's home. Stratus administers it as root over the unix socket only; root has no TCP login.
/// </summary>
public sealed class MariaDbServer(MariaDbInstallation installation, string home)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    // Small but real: a development database should not take a gigabyte per instance.
    private static readonly string[] TuningArgs = ["--innodb-log-file-size=8M"];
    private static readonly string[] RuntimeArgs =
        ["--innodb-buffer-pool-size=32M", "--performance-schema=OFF", "--skip-name-resolve", "--character-set-server=utf8mb4",
         "--collation-server=utf8mb4_general_ci", "--max-connections=200", "--log-output=FILE"];

    private readonly Lock _gate = new();
    private Process? _process;
    private bool _stopRequested;

    public string Home { get; } = home;
    public string DataDir => Path.Combine(Home, "data");
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
    public event Action<MariaDbServer, int>? ExitedUnexpectedly;

    public async Task InitializeAsync(CancellationToken cancellation)
    {
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        CreateHome();
        // Several mariadb-install-db runs at once (even from different Stratus processes) sometimes
        // break each other's bootstrap, so they take turns machine-wide; each takes half a second.
        using var turn = await InstallLock.AcquireAsync(cancellation);
        var start = Launch(installation.InstallDbPath);
        foreach (var arg in (string[])["--no-defaults", $"--datadir={DataDir}", $"--tmpdir={TempDir}", "--auth-root-authentication-method=normal",
                     "--skip-test-db", .. UserArg(), .. TuningArgs])
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(installation.InstallDbPath)} failed (exit {process.ExitCode}): {Tail(await errors + await output)}");
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
        var start = Launch(installation.ServerPath);
        foreach (var arg in (string[])["--no-defaults", $"--datadir={DataDir}", $"--bind-address={address}", $"--port={port}",
                     $"--socket={Socket}", $"--pid-file={PidFile}", $"--tmpdir={TempDir}", $"--log-error={ErrorLog}",
                     $"--slow-query-log-file={SlowQueryLog}", $"--general-log-file={GeneralLog}", .. UserArg(), .. TuningArgs, .. RuntimeArgs, .. StaticParameterArgs()])
            start.ArgumentList.Add(arg);
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
        await TerminateAsync(process);
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
        var start = Launch(tool);
        start.ArgumentList.Add("/usr/share/zoneinfo");
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        var sql = await process.StandardOutput.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(tool)} failed (exit {process.ExitCode}): {Tail(await errors)}");
        // The loader's SQL names the tables unqualified (and checks DATABASE()), as when piped into the mysql database.
        await using var load = new MySqlCommand("USE mysql;\n" + sql, connection) { CommandTimeout = 120 };
        await load.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>The parameters file's lines as command-line options, after Stratus's own so that they win.</summary>
    private string[] StaticParameterArgs() => File.Exists(StaticParametersFile)
        ? File.ReadAllLines(StaticParametersFile).Where(line => line.Contains('=') && !line.StartsWith('[')).Select(line => "--" + line.Trim()).ToArray()
        : [];

    /// <summary>Stops a server that an earlier Stratus left running (its pid file names a live mariadbd on this data dir).</summary>
    public async Task<bool> StopOrphanAsync()
    {
        if (!File.Exists(PidFile) || !int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid)) return false;
        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return false;
        }
        if (!commandLine.Contains($"--datadir={DataDir}", StringComparison.Ordinal)) return false;
        // Not our child, so no waitpid: watch /proc until it is gone (or a zombie nobody reaps).
        _ = SendSignal(pid, SigTerm);
        if (!await ExitsWithinAsync(pid, StopTimeout))
        {
            _ = SendSignal(pid, SigKill);
            await ExitsWithinAsync(pid, TimeSpan.FromSeconds(5));
        }
        return true;
    }

    private static async Task<bool> ExitsWithinAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (!IsAlive(pid)) return true;
            await Task.Delay(100);
        }
        return !IsAlive(pid);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public string LogTail() => File.Exists(ErrorLog) ? Tail(File.ReadAllText(ErrorLog)) : "";

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
                throw new MariaDbStartException($"mariadbd exited while starting on {address}:{port}: {log}", inUse);
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
                throw new MariaDbStartException($"mariadbd did not accept connections within {ReadyTimeout.TotalSeconds} s: {e.Message} {LogTail()}", false);
            }
        }
    }

    private static async Task TerminateAsync(Process process)
    {
        if (process.HasExited) return;
        _ = SendSignal(process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
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

    private static ProcessStartInfo Launch(string program) => new(program)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };

    /// <summary>mariadbd refuses to run as root unless told to; as anyone else it runs as that user.</summary>
    private static string[] UserArg() => Environment.UserName == "root" ? ["--user=root"] : [];

    private static string Tail(string text) => text.Length <= 1500 ? text.Trim() : text[^1500..].Trim();

    private const int SigTerm = 15;
    private const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>A machine-wide turn, held as an exclusive lock on a file in the temp dir.</summary>
    private static class InstallLock
    {
        private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "stratus-rds-install-db.lock");

        public static async Task<IDisposable> AcquireAsync(CancellationToken cancellation)
        {
            while (true)
            {
                try
                {
                    return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException)
                {
                    await Task.Delay(50, cancellation);
                }
            }
        }
    }
}
