using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// What every engine's server shares: one child process and its files under the instance's home (the data directory
/// is home/data), started and waited for until it takes its administrator's connection, stopped with the engine's
/// signal for a clean, fast shutdown, and watched for an exit Stratus did not ask for. The engine says how to make its
/// data directory, how to launch it, how its administrator connects and what its log says when the address is taken.
/// </summary>
/// <remarks>Each engine's server states <see cref="IDbServer"/> itself, with the members only it knows.</remarks>
public abstract class DbServerProcess(string home)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly Lock _gate = new();
    private Process? _process;
    private bool _stopRequested;

    public string Home { get; } = home;
    public string DataDir => Path.Combine(Home, "data");
    private string InitializedMarker => Path.Combine(Home, "initialized");

    public bool IsInitialized => File.Exists(InitializedMarker);
    public bool IsRunning { get { lock (_gate) return _process is { HasExited: false }; } }

    /// <summary>Raised with the exit code when the process ends without Stratus asking it to.</summary>
    public event Action<IDbServer, int>? ExitedUnexpectedly;

    /// <summary>The server program's name, as errors name it ("mariadbd", "postgres").</summary>
    protected abstract string ProgramName { get; }

    /// <summary>The signal that asks the server for a clean, fast shutdown.</summary>
    protected abstract int StopSignal { get; }

    /// <summary>How long to wait between attempts to connect while the server comes up.</summary>
    protected abstract TimeSpan ReadyPollInterval { get; }

    /// <summary>The folders under the home besides the home itself (temp, socket), made 0700 with it.</summary>
    protected abstract IEnumerable<string> PrivateDirectories { get; }

    public async Task InitializeAsync(CancellationToken cancellation)
    {
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        CreateHome();
        await InitializeDataDirAsync(cancellation);
    }

    /// <summary>Makes the engine's empty data directory in a home that exists and has none.</summary>
    protected abstract Task InitializeDataDirAsync(CancellationToken cancellation);

    /// <summary>
    /// The home and its folders, 0700 from the start: they hold the databases' files and the admin socket, the data dir's
    /// owner's alone, not only after the next start tightens them.
    /// </summary>
    public void CreateHome()
    {
        // Each level on its own: a directory's parents are created with the umask's mode.
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(Home)!);
        Persistence.DataDirectory.CreatePrivate(Home);
        foreach (var directory in PrivateDirectories) Persistence.DataDirectory.CreatePrivate(directory);
    }

    public void MarkInitialized() => File.WriteAllText(InitializedMarker, DateTimeOffset.UtcNow.ToString("O"));

    /// <summary>Starts the server bound to one address and waits until it accepts connections.</summary>
    public async Task StartAsync(string address, int port, CancellationToken cancellation)
    {
        if (IsRunning) throw new InvalidOperationException($"The server in {Home} is already running.");
        var start = PrepareStart(address, port);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data);
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

    /// <summary>Readies the home for a start and says how to launch the server on <paramref name="address"/>:<paramref name="port"/>.</summary>
    protected abstract ProcessStartInfo PrepareStart(string address, int port);

    /// <summary>A line the server wrote to its standard output or error (null at their end); ignored unless the engine keeps them.</summary>
    protected virtual void OnOutput(string? line)
    {
    }

    /// <summary>A clean shutdown with the engine's signal, killed if it takes too long.</summary>
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
        await ServerProcess.TerminateAsync(process, StopSignal);
        process.Dispose();
    }

    /// <summary>The end of the server's log, for errors.</summary>
    public abstract string LogTail();

    /// <summary>Opens and closes a connection as the administrator; throws while the server does not take it yet.</summary>
    protected abstract Task ConnectAsAdminAsync(int timeoutSeconds, CancellationToken cancellation);

    /// <summary>Whether <paramref name="error"/> is the engine's refusal of a connection (the server is not ready yet).</summary>
    protected abstract bool IsConnectionError(Exception error);

    /// <summary>Whether the log of a server that exited while starting says its address or port was taken.</summary>
    protected abstract bool SaysAddressInUse(string log);

    /// <summary>
    /// Unix socket paths are limited to 107 bytes: <paramref name="local"/> under the home while it is shorter than
    /// <paramref name="maxBytes"/>, otherwise a name in the temp dir made from a hash of the home.
    /// </summary>
    protected string WithinSocketLimit(string local, int maxBytes, Func<string, string> tempName)
    {
        if (Encoding.UTF8.GetByteCount(local) < maxBytes) return local;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Home)))[..16];
        return Path.Combine(Path.GetTempPath(), tempName(hash));
    }

    private void OnExited(Process process)
    {
        bool unexpected;
        lock (_gate)
        {
            unexpected = !_stopRequested && ReferenceEquals(_process, process);
            if (unexpected) _process = null;
        }
        if (unexpected) ExitedUnexpectedly?.Invoke((IDbServer)this, process.ExitCode);
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
                throw new DbStartException($"{ProgramName} exited while starting on {address}:{port}: {log}", SaysAddressInUse(log));
            }
            try
            {
                await ConnectAsAdminAsync(2, cancellation);
                return;
            }
            catch (Exception e) when (IsConnectionError(e) && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(ReadyPollInterval, cancellation);
            }
            catch (Exception e) when (IsConnectionError(e))
            {
                await StopAsync();
                throw new DbStartException($"{ProgramName} did not accept connections within {ReadyTimeout.TotalSeconds} s: {e.Message} {LogTail()}", false);
            }
        }
    }
}
