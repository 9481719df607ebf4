using System.Data.Common;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// The supervision every engine's server shares: the one process Stratus runs for a home, launched and waited for
/// until the admin can connect over its socket, stopped on request with the engine's signals, and reported when it ends
/// without being asked (RDS then recovers the instance). The engine says how it is launched, probed and stopped.
/// </summary>
public abstract class SupervisedServer(string home)
{
    protected static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly Lock _gate = new();
    private Process? _process;
    private bool _stopRequested;

    public string Home { get; } = home;
    public string DataDir => Path.Combine(Home, "data");
    /// <summary>The certificate and key the server serves TLS with, issued by its instance's CA before each start.</summary>
    public ServerTlsFiles Tls => ServerTlsFiles.Of(Home);
    private string InitializedMarker => Path.Combine(Home, "initialized");
    public bool IsRunning { get { lock (_gate) return _process is { HasExited: false }; } }
    public int? ProcessId { get { lock (_gate) return _process is { HasExited: false } p ? p.Id : null; } }
    public ServerCgroup? StorageCgroup { get; set; }

    /// <summary>Whether the first start (master user, initial database) completed: a home without the mark is initialized anew.</summary>
    public bool IsInitialized => File.Exists(InitializedMarker);
    public void MarkInitialized() => File.WriteAllText(InitializedMarker, DateTimeOffset.UtcNow.ToString("O"));

    /// <summary>Raised with the exit code when the process ends without Stratus asking it to.</summary>
    public event Action<IDbServer, int>? ExitedUnexpectedly;

    /// <summary>The server program's name, as errors name it (mariadbd, postgres).</summary>
    protected abstract string ProgramName { get; }
    /// <summary>How long to wait between two connection attempts while the server starts.</summary>
    protected abstract TimeSpan ReadyPollInterval { get; }
    /// <summary>The signal for a clean, fast shutdown, and the one to escalate to when it hangs (null: kill at once).</summary>
    protected abstract (int Signal, int? Escalation) StopSignals { get; }

    /// <summary>Opens (and closes) one admin connection over the socket; throws the driver's DbException while the server is not ready.</summary>
    protected abstract Task ProbeAdminConnectionAsync(int timeoutSeconds, CancellationToken cancellation);
    /// <summary>Whether the server's log says its address or port was taken (the fleet then picks another).</summary>
    protected abstract bool SaysAddressInUse(string log);
    public abstract string LogTail();
    /// <summary>A line the server wrote on its standard output or error.</summary>
    protected virtual void OnOutput(string? line) { }

    /// <summary>
    /// Unix socket paths are limited to 107 bytes: <paramref name="local"/> (under the home) while it stays shorter than
    /// <paramref name="maxBytes"/>, else a name of its own in the temp dir, from the home's hash.
    /// </summary>
    protected string SocketPath(string local, int maxBytes, Func<string, string> tempName)
    {
        if (Encoding.UTF8.GetByteCount(local) < maxBytes) return local;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Home)))[..16];
        return Path.Combine(Path.GetTempPath(), tempName(hash));
    }

    protected void RequireStopped()
    {
        if (IsRunning) throw new InvalidOperationException($"The server in {Home} is already running.");
    }

    /// <summary>Starts the server process and waits until the admin can connect; <paramref name="where"/> names where it listens, for errors.</summary>
    protected async Task LaunchAsync(ProcessStartInfo start, string where, CancellationToken cancellation)
    {
        RequireStopped();
        StorageCgroup?.Join(start);
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
        await WaitUntilReadyAsync(process, where, cancellation);
    }

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
        var (signal, escalation) = StopSignals;
        await ServerProcess.TerminateAsync(process, signal, escalation);
        process.Dispose();
    }

    private void OnExited(Process process)
    {
        bool unexpected;
        lock (_gate)
        {
            unexpected = !_stopRequested && ReferenceEquals(_process, process);
            if (unexpected) _process = null;
        }
        // Every engine's server is an IDbServer; the fleet subscribes through that interface.
        if (unexpected) ExitedUnexpectedly?.Invoke((IDbServer)this, process.ExitCode);
    }

    private async Task WaitUntilReadyAsync(Process process, string where, CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                lock (_gate) if (ReferenceEquals(_process, process)) _process = null;
                var log = LogTail();
                throw new DbStartException($"{ProgramName} exited while starting on {where}: {log}", SaysAddressInUse(log));
            }
            try
            {
                await ProbeAdminConnectionAsync(2, cancellation);
                return;
            }
            catch (DbException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(ReadyPollInterval, cancellation);
            }
            catch (DbException e)
            {
                await StopAsync();
                throw new DbStartException($"{ProgramName} did not accept connections within {ReadyTimeout.TotalSeconds} s: {e.Message} {LogTail()}", false);
            }
        }
    }
}
