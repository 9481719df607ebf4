using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Stratus.Services.Rds.Engine;

/// <summary>Starting, signalling and waiting for database server processes, the same for every engine.</summary>
public static class ServerProcess
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigTerm = 15;
    public const int SigKill = 9;

    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EscalationTimeout = TimeSpan.FromSeconds(10);

    public static ProcessStartInfo Launch(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>Runs a tool to its end; its output when it fails.</summary>
    public static async Task RunAsync(ProcessStartInfo start, CancellationToken cancellation)
    {
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
            throw new InvalidOperationException($"{Path.GetFileName(start.FileName)} failed (exit {process.ExitCode}): {Tail(await errors + await output)}");
    }

    /// <summary>
    /// Asks our child to stop with the engine's signal for a clean, fast shutdown; if it takes too long, with the engine's
    /// <paramref name="escalation"/> (PostgreSQL's immediate shutdown, which ends its children too), and at last kills it
    /// with every process it started. A stop must leave nothing running on the data directory: a snapshot copies it
    /// next, and a postmaster killed alone leaves its checkpointer writing into it while it is copied.
    /// </summary>
    public static async Task TerminateAsync(Process process, int signal, int? escalation = null)
    {
        if (process.HasExited) return;
        _ = SendSignal(process.Id, signal);
        if (await ExitsWithinAsync(process, StopTimeout)) return;
        if (escalation is { } next && !process.HasExited)
        {
            _ = SendSignal(process.Id, next);
            if (await ExitsWithinAsync(process, EscalationTimeout)) return;
        }
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    private static async Task<bool> ExitsWithinAsync(Process process, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops a server an earlier Stratus left running: the pid file must name a live process whose command line
    /// holds <paramref name="commandLineMark"/> (its data directory), so a reused pid is never signalled.
    /// </summary>
    public static async Task<bool> StopOrphanAsync(string pidFile, string commandLineMark, int signal)
    {
        if (!File.Exists(pidFile)) return false;
        var firstLine = File.ReadLines(pidFile).FirstOrDefault()?.Trim();
        if (!int.TryParse(firstLine, out var pid)) return false;
        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return false;
        }
        if (!commandLine.Contains(commandLineMark, StringComparison.Ordinal)) return false;
        // Not our child, so no waitpid: watch /proc until it is gone (or a zombie nobody reaps).
        _ = SendSignal(pid, signal);
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

    public static string Tail(string text) => text.Length <= 1500 ? text.Trim() : text[^1500..].Trim();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>A machine-wide turn, held as an exclusive lock on a file in the temp dir.</summary>
    public static async Task<IDisposable> TakeTurnAsync(string name, CancellationToken cancellation)
    {
        var lockPath = Path.Combine(Path.GetTempPath(), name);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(50, cancellation);
            }
        }
    }
}
