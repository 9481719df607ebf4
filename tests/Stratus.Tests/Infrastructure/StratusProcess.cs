using System.Diagnostics;
using System.Text;

namespace Stratus.Tests.Infrastructure;

/// <summary>
/// A real Stratus server in its own process on a free loopback port, as users run it. Disposing stops
/// it (and everything it started); <see cref="RestartAsync"/> keeps the data dir, for persistence tests.
/// </summary>
public sealed class StratusProcess : IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly bool _ownsDataDir;
    private Process? _process;
    private readonly StringBuilder _output = new();

    private StratusProcess(string? dataDir, bool ownsDataDir, string[] extraArgs, IReadOnlyDictionary<string, string>? environment = null)
    {
        DataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        _extraArgs = extraArgs;
        _environment = environment ?? new Dictionary<string, string>();
    }

    public string? DataDir { get; }
    public string Url { get; private set; } = "";
    public int Port => new Uri(Url).Port;
    /// <summary>The running Stratus's process id (to signal it, or find its children).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("Stratus is not running.");
    /// <summary>The running server's process id (the dotnet host running stratus.dll).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("Stratus is not running.");
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>A server that keeps nothing on disk.</summary>
    public static Task<StratusProcess> StartEphemeralAsync(params string[] extraArgs) =>
        StartAsync(new StratusProcess(null, false, extraArgs));

    /// <summary>A server that keeps nothing on disk, with extra environment variables (STRATUS_* tunables).</summary>
    public static Task<StratusProcess> StartEphemeralAsync(IReadOnlyDictionary<string, string> environment, params string[] extraArgs) =>
        StartAsync(new StratusProcess(null, false, extraArgs, environment));

    /// <summary>A server that keeps nothing on disk, run from <paramref name="stratusDll"/> (an installation elsewhere than the build output).</summary>
    public static Task<StratusProcess> StartEphemeralFromAsync(string stratusDll) =>
        StartAsync(new StratusProcess(null, false, []) { _stratusDll = stratusDll });

    private string _stratusDll = RepoPaths.StratusDll;

    /// <summary>A server with a fresh data dir of its own (in <see cref="TestScratch"/>), removed when it is disposed.</summary>
    public static Task<StratusProcess> StartPersistentAsync(params string[] extraArgs) =>
        StartAsync(new StratusProcess(TestScratch.NewDirectory("data-"), true, extraArgs));

    /// <summary>A server with a fresh data dir of its own and extra environment variables (STRATUS_* tunables).</summary>
    public static Task<StratusProcess> StartPersistentAsync(IReadOnlyDictionary<string, string> environment, params string[] extraArgs) =>
        StartAsync(new StratusProcess(TestScratch.NewDirectory("data-"), true, extraArgs, environment));

    private static async Task<StratusProcess> StartAsync(StratusProcess server)
    {
        await server.LaunchAsync(0);
        return server;
    }

    public async Task RestartAsync()
    {
        var port = Port;
        await StopAsync();
        await LaunchAsync(port);
    }

    /// <summary>Stops the server as a kill -9 would: no clean shutdown.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            // SIGTERM, as a service manager or Ctrl-C would stop it.
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        _process = null;
    }

    private async Task LaunchAsync(int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // Started from the repository, as demo.sh starts it: the stratus-local code convention reads packages below it.
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { _stratusDll, "start", "--port", port.ToString() }) start.ArgumentList.Add(arg);
        if (DataDir is null) start.ArgumentList.Add("--ephemeral");
        else
        {
            start.ArgumentList.Add("--data-dir");
            start.ArgumentList.Add(DataDir);
        }
        foreach (var arg in _extraArgs) start.ArgumentList.Add(arg);
        foreach (var (name, value) in _environment) start.Environment[name] = value;

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.StartsWith("Stratus ready on ", StringComparison.Ordinal)) ready.TrySetResult(e.Data["Stratus ready on ".Length..].Trim());
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_output) _output.AppendLine(e.Data);
        };
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("Stratus exited before it was ready:\n" + Output));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Url = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsDataDir && DataDir is not null)
        {
            try { Directory.Delete(DataDir, recursive: true); }
            catch (IOException) { }
        }
    }
}

/// <summary>One ephemeral Stratus shared by the tests of a class.</summary>
public sealed class StratusFixture : IAsyncLifetime
{
    public StratusProcess Server { get; private set; } = null!;
    public string Url => Server.Url;

    public async Task InitializeAsync() => Server = await StratusProcess.StartEphemeralAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
