using System.Diagnostics;
using System.Threading.Channels;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// One execution environment: an OS process running a function's runtime, fed one invocation at a time
/// through its own Runtime API address. It dies on a timeout, an init error, a crash or a retirement,
/// and is never reused after that.
/// </summary>
public sealed class ExecutionEnvironment
{
    private readonly Channel<Invocation> _work = Channel.CreateBounded<Invocation>(new BoundedChannelOptions(1) { SingleWriter = true });
    private readonly TaskCompletionSource<InvocationOutcome?> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _initOutput = [];
    private Process? _process;
    private volatile Invocation? _current;
    private int _dead;

    public ExecutionEnvironment(string id, FunctionConfig config, string functionArn, string logStreamName, long startedTimestamp)
    {
        Id = id;
        Config = config;
        FunctionArn = functionArn;
        LogStreamName = logStreamName;
        StartedTimestamp = startedTimestamp;
    }

    private readonly TaskCompletionSource<IReadOnlyDictionary<string, string>> _assignment = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; }
    public FunctionConfig Config { get; private set; }
    public string FunctionArn { get; private set; }
    public string LogStreamName { get; private set; }

    /// <summary>The memory cgroup that holds the environment's processes to the function's size, when limits are enforced.</summary>
    public EnvironmentCgroup? Cgroup { get; set; }

    /// <summary>
    /// A pre-started runtime host waits here for the function it will run (its variables): it was started
    /// before any function needed it, with an empty task root that receives the code on assignment.
    /// </summary>
    public Task<IReadOnlyDictionary<string, string>> Assignment => _assignment.Task;

    public void Assign(FunctionConfig config, string functionArn, string logStreamName, IReadOnlyDictionary<string, string> variables)
    {
        Config = config;
        FunctionArn = functionArn;
        LogStreamName = logStreamName;
        StartedTimestamp = Stopwatch.GetTimestamp();
        _assignment.TrySetResult(variables);
    }
    public long StartedTimestamp { get; private set; }
    public long IdleSinceTimestamp { get; set; }
    /// <summary>How long the runtime took to ask for its first event, reported once as REPORT's Init Duration.</summary>
    public double? InitDurationMs { get; set; }
    public bool IsDead => Volatile.Read(ref _dead) != 0;

    /// <summary>Null once the runtime asked for work; the error to answer with when it failed before that.</summary>
    public Task<InvocationOutcome?> Initialized => _initialized.Task;

    /// <summary>The port of the environment's own Runtime API listener, once it has one.</summary>
    public int? RuntimeApiPort { get; set; }

    private readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Whether the client end of a connection to the environment's Runtime API port is a socket of one of the
    /// environment's processes (another function could otherwise connect to this port and take its events).
    /// </summary>
    public async Task<bool> OwnsSocketAsync(int clientPort, int serverPort)
    {
        try
        {
            // A runtime can connect before its launch has been recorded here.
            await _started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            return false;
        }
        return LoopbackPeer.SocketInode(clientPort, serverPort) is { } inode && LoopbackPeer.HeldByAny(inode, ProcessTree());
    }

    public void Attach(Process process)
    {
        _process = process;
        _started.TrySetResult(process.Id);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Capture(e.Data); else _outputClosed.TrySetResult(); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Capture(e.Data); else _errorClosed.TrySetResult(); };
        process.Exited += (_, _) => _ = OnExitedAsync(SafeExitCode(process));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A process that died before its handler was attached raises no Exited event.
        if (process.HasExited) _ = OnExitedAsync(SafeExitCode(process));
    }

    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What the runtime wrote before it asked for its first event (its start-up errors among it), moved into the invocation that saw it fail.</summary>
    public void TakeInitOutput(Invocation invocation)
    {
        lock (_initOutput)
        {
            foreach (var line in _initOutput) invocation.AddOutput(line);
            _initOutput.Clear();
        }
    }

    /// <summary>The runtime asks for its next event (GET .../invocation/next): a long poll.</summary>
    public ValueTask<Invocation> NextAsync(CancellationToken cancellation)
    {
        _initialized.TrySetResult(null);
        return _work.Reader.ReadAsync(cancellation);
    }

    public void Dispatch(Invocation invocation)
    {
        if (_current is null) TakeInitOutput(invocation);
        _current = invocation;
        _work.Writer.TryWrite(invocation);
    }

    /// <summary>A response or error for the current invocation; false when the request id is not the current one.</summary>
    public bool Complete(string requestId, InvocationOutcome outcome)
    {
        var current = _current;
        return current is not null && current.RequestId == requestId && current.Complete(outcome);
    }

    /// <summary>The invocation this environment is running under that request id, if it is still running.</summary>
    public Invocation? Running(string requestId) =>
        _current is { } current && current.RequestId == requestId && !current.Completion.IsCompleted ? current : null;

    public void FailInit(InvocationOutcome outcome)
    {
        _initialized.TrySetResult(outcome);
        _current?.Complete(outcome);
        Kill();
    }

    public void Kill()
    {
        if (Interlocked.Exchange(ref _dead, 1) != 0) return;
        _work.Writer.TryComplete();
        try
        {
            if (_process is { HasExited: false } process) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>A line of the function's log: the runtime's output, or a notice Stratus adds at start.</summary>
    public void Capture(string line)
    {
        if (_current is { } invocation) invocation.AddOutput(line);
        else lock (_initOutput)
            {
                if (_initOutput.Count < 1000) _initOutput.Add(line.Length > 4096 ? line[..4096] : line);
            }
    }

    private int _exited;

    private async Task OnExitedAsync(int exitCode)
    {
        if (Interlocked.Exchange(ref _exited, 1) != 0) return;
        // The runtime's last words (a start-up error on stderr) are still in the pipes when the exit is seen: read them
        // first, so they reach the log. A descendant holding the pipes open (outside a sandbox) gets a second at most.
        await Task.WhenAny(Task.WhenAll(_outputClosed.Task, _errorClosed.Task), Task.Delay(TimeSpan.FromSeconds(1)));
        var requestId = _current?.RequestId;
        var outOfMemory = Cgroup?.OutOfMemoryKilled() == true;
        var status = outOfMemory ? "signal: killed" : ExitStatus(exitCode);
        // The kernel killed it at its limit: that is the peak, whatever was last sampled.
        if (outOfMemory) (_lastMemoryMb, _lastMemoryTimestamp) = (Config.MemorySize, Stopwatch.GetTimestamp());
        var errorType = outOfMemory ? "Runtime.OutOfMemory" : "Runtime.ExitError";
        var reason = $"RequestId: {requestId} Error: Runtime exited with error: {status}";
        var outcome = InvocationOutcome.Failure(errorType, reason);
        Capture(reason);
        Capture(errorType);
        _initialized.TrySetResult(outcome);
        _current?.Complete(outcome);
        Interlocked.Exchange(ref _dead, 1);
        _work.Writer.TryComplete();
        _process?.Dispose();
        Cgroup?.Remove();
    }

    /// <summary>
    /// Lambda names the runtime's end as Go's os/exec does ("exit status 1", "signal: killed"). A process killed by
    /// signal N reaches Stratus as status 128+N (bubblewrap passes its child's end on that way, and .NET reports a
    /// signalled child the same), so the two are told apart by the number: the signals that end runtimes (abort,
    /// kill, segmentation fault, bus error, illegal instruction, floating point, terminate) are named as signals,
    /// every other status (the dotnet host's 129 "application does not exist" among them) as an exit status.
    /// </summary>
    internal static string ExitStatus(int exitCode) => exitCode switch
    {
        128 + 4 => "signal: illegal instruction",
        128 + 6 => "signal: aborted",
        128 + 7 => "signal: bus error",
        128 + 8 => "signal: floating point exception",
        128 + 9 => "signal: killed",
        128 + 11 => "signal: segmentation fault",
        128 + 15 => "signal: terminated",
        _ => "exit status " + exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static int SafeExitCode(Process process)
    {
        try { return process.ExitCode; }
        catch (InvalidOperationException) { return -1; }
    }

    private int? _lastMemoryMb;
    private long _lastMemoryTimestamp;

    /// <summary>
    /// Peak resident memory of the environment's process tree, in MB (VmHWM), or null when unknown. Read at
    /// most once a second per environment: a busy environment does not pay a /proc walk per invocation.
    /// </summary>
    public int? MaxMemoryUsedMb()
    {
        if (IsDead) return _lastMemoryMb;
        if (_lastMemoryTimestamp != 0 && Stopwatch.GetElapsedTime(_lastMemoryTimestamp) < TimeSpan.FromSeconds(1)) return _lastMemoryMb;
        _lastMemoryTimestamp = Stopwatch.GetTimestamp();
        return _lastMemoryMb = ReadPeakMemoryMb();
    }

    private int? ReadPeakMemoryMb()
    {
        if (_process is null) return null;
        try
        {
            long peakKb = 0;
            foreach (var pid in ProcessTree())
            {
                var status = $"/proc/{pid}/status";
                if (!File.Exists(status)) continue;
                foreach (var line in File.ReadLines(status))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        peakKb = Math.Max(peakKb, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
            }
            return (int)Math.Ceiling(peakKb / 1024.0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The environment's process and its descendants, as /proc shows them now.</summary>
    private List<int> ProcessTree()
    {
        var found = new List<int>();
        if (_process is null) return found;
        var pending = new Stack<int>([_started.Task.Result]);
        while (pending.TryPop(out var pid))
        {
            found.Add(pid);
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    var children = Path.Combine(task, "children");
                    if (!File.Exists(children)) continue;
                    foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        if (int.TryParse(child, out var childPid)) pending.Push(childPid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while being read.
            }
        }
        return found;
    }
}
