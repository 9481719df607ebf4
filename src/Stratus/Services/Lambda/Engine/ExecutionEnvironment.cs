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

    public void Attach(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Capture(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Capture(e.Data); };
        process.Exited += (_, _) => OnExited(SafeExitCode(process));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A process that died before its handler was attached raises no Exited event.
        if (process.HasExited) OnExited(SafeExitCode(process));
    }

    /// <summary>The runtime asks for its next event (GET .../invocation/next): a long poll.</summary>
    public ValueTask<Invocation> NextAsync(CancellationToken cancellation)
    {
        _initialized.TrySetResult(null);
        return _work.Reader.ReadAsync(cancellation);
    }

    public void Dispatch(Invocation invocation)
    {
        if (_current is null)
            lock (_initOutput)
            {
                foreach (var line in _initOutput) invocation.AddOutput(line);
                _initOutput.Clear();
            }
        _current = invocation;
        _work.Writer.TryWrite(invocation);
    }

    /// <summary>A response or error for the current invocation; false when the request id is not the current one.</summary>
    public bool Complete(string requestId, InvocationOutcome outcome)
    {
        var current = _current;
        return current is not null && current.RequestId == requestId && current.Complete(outcome);
    }

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

    private void Capture(string line)
    {
        if (_current is { } invocation) invocation.AddOutput(line);
        else lock (_initOutput)
            {
                if (_initOutput.Count < 1000) _initOutput.Add(line.Length > 4096 ? line[..4096] : line);
            }
    }

    private void OnExited(int exitCode)
    {
        var requestId = _current?.RequestId;
        // Lambda names the runtime's end as Go's os/exec does ("signal: killed", "exit status 1").
        var status = exitCode >= 128 ? "signal: " + SignalName(exitCode - 128) : "exit status " + exitCode;
        var outOfMemory = Cgroup?.OutOfMemoryKilled() == true;
        // The kernel killed it at its limit: that is the peak, whatever was last sampled.
        if (outOfMemory) (_lastMemoryMb, _lastMemoryTimestamp) = (Config.MemorySize, Stopwatch.GetTimestamp());
        var errorType = outOfMemory ? "Runtime.OutOfMemory" : "Runtime.ExitError";
        var reason = $"RequestId: {requestId} Error: Runtime exited with error: {status}";
        var outcome = InvocationOutcome.Failure(errorType, reason);
        _current?.AddOutput(reason);
        _current?.AddOutput(errorType);
        _initialized.TrySetResult(outcome);
        _current?.Complete(outcome);
        Interlocked.Exchange(ref _dead, 1);
        _work.Writer.TryComplete();
        _process?.Dispose();
        Cgroup?.Remove();
    }

    private static string SignalName(int signal) => signal switch
    {
        6 => "aborted",
        9 => "killed",
        11 => "segmentation fault",
        15 => "terminated",
        _ => signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
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
            var pending = new Stack<int>([_process.Id]);
            while (pending.TryPop(out var pid))
            {
                var status = $"/proc/{pid}/status";
                if (!File.Exists(status)) continue;
                foreach (var line in File.ReadLines(status))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        peakKb = Math.Max(peakKb, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    var children = Path.Combine(task, "children");
                    if (!File.Exists(children)) continue;
                    foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries)) pending.Push(int.Parse(child));
                }
            }
            return (int)Math.Ceiling(peakKb / 1024.0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
