using System.Text;
using System.Text.Json;

namespace Stratus.Services.Lambda.Engine;

/// <summary>One request handed to an execution environment, and how it ended.</summary>
/// <param name="traceHeader">The X-Ray trace header the function runs under (Lambda-Runtime-Trace-Id, then _X_AMZN_TRACE_ID).</param>
public sealed class Invocation(string requestId, ReadOnlyMemory<byte> payload, string invokedArn, string? clientContext, string traceHeader)
{
    private readonly TaskCompletionSource<InvocationOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Output kept per invocation: beyond it, lines are dropped so runaway output cannot exhaust Stratus's memory.</summary>
    public const int MaxOutputChars = 1024 * 1024;
    private const int MaxLineChars = 256 * 1024;
    private List<string>? _output;
    private int _outputChars;
    private bool _truncated;

    public string RequestId { get; } = requestId;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public string InvokedFunctionArn { get; } = invokedArn;
    public string? ClientContext { get; } = clientContext;
    public string TraceHeader { get; } = traceHeader;
    /// <summary>Where a streaming response is relayed as it arrives; null when the caller takes the response whole.</summary>
    public ResponseStream? Stream { get; init; }
    public long DeadlineUnixMs { get; set; }
    public long StartedTimestamp { get; set; }

    public Task<InvocationOutcome> Completion => _completion.Task;

    public long CompletedTimestamp { get; private set; }

    public bool Complete(InvocationOutcome outcome)
    {
        if (_completion.Task.IsCompleted) return false;
        CompletedTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        return _completion.TrySetResult(outcome);
    }

    /// <summary>The function's own output during this invocation, in order (written by one reader per stream).</summary>
    public void AddOutput(string line)
    {
        if (line.Length > MaxLineChars) line = line[..MaxLineChars] + " [line truncated by Stratus]";
        lock (this)
        {
            if (_truncated) return;
            _outputChars += line.Length;
            if (_outputChars > MaxOutputChars)
            {
                _truncated = true;
                line = $"[output beyond {MaxOutputChars} characters dropped by Stratus]";
            }
            (_output ??= []).Add(line);
        }
    }

    public IReadOnlyList<string> Output
    {
        get { lock (this) return _output is null ? [] : [.. _output]; }
    }
}

/// <param name="FunctionError">"Unhandled" when the function, its runtime or its environment failed.</param>
public sealed record InvocationOutcome(ReadOnlyMemory<byte> Payload, string? FunctionError)
{
    public static InvocationOutcome Success(ReadOnlyMemory<byte> payload) => new(payload, null);

    public static InvocationOutcome Failure(string? errorType, string errorMessage)
    {
        var body = new Dictionary<string, string>();
        if (errorType is not null) body["errorType"] = errorType;
        body["errorMessage"] = errorMessage;
        return new(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body)), "Unhandled");
    }
}
