using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Stratus.Services.CloudWatch;
using Stratus.Services.Lambda.Engine;
using Stratus.Services.Logs;

namespace Stratus.Services.Lambda;

/// <summary>
/// Each invocation's START/END/REPORT lines and output to /aws/lambda/NAME, and the AWS/Lambda metrics.
/// The invoke path only queues a record; a background reader does the writing (and reads peak memory).
/// </summary>
public sealed class LambdaTelemetry : IAsyncDisposable
{
    public const string Namespace = "AWS/Lambda";
    private const int TailBytes = 4096;
    private readonly ILogWriter _logs;
    private readonly IMetricPublisher _metrics;
    private readonly Channel<InvocationRecord> _records = Channel.CreateUnbounded<InvocationRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public LambdaTelemetry(ILogWriter logs, IMetricPublisher metrics)
    {
        _logs = logs;
        _metrics = metrics;
        _writer = Task.Run(WriteAsync);
    }

    public static string LogGroup(string functionName) => "/aws/lambda/" + functionName;

    public void Record(InvocationRecord record) => _records.Writer.TryWrite(record);

    public void Throttled(RunnableFunction function) =>
        _metrics.Publish(Datum(function, "Throttles", 1, "Count", DateTimeOffset.UtcNow));

    /// <summary>
    /// An invocation recursive loop detection stopped: AWS's RecursiveInvocationsDropped metric, and a line in the
    /// function's log saying why it did not run.
    /// </summary>
    public void RecursionStopped(string accountId, string region, string functionName, string requestId, DateTimeOffset at)
    {
        _metrics.Publish(new(accountId, region, Namespace, "RecursiveInvocationsDropped", [new("FunctionName", functionName)], 1, "Count", at));
        _logs.Append(accountId, region, LogGroup(functionName), $"{at:yyyy/MM/dd}/[$LATEST]recursive-loop-detection",
            [new LogLine(at, $"Lambda stopped the invocation {requestId} of {functionName}: it was invoked in a recursive loop ({TraceLineage.MaxInvocationsInChain} invocations in one request chain) and its RecursiveLoop is Terminate.")]);
    }

    /// <summary>The last 4 KB of the invocation's log, base64, for X-Amz-Log-Result.</summary>
    public static string TailBase64(InvocationRecord record)
    {
        var text = new StringBuilder();
        foreach (var line in Lines(record)) text.Append(line).Append('\n');
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        return Convert.ToBase64String(bytes.AsSpan(Math.Max(0, bytes.Length - TailBytes)));
    }

    private async Task WriteAsync()
    {
        await foreach (var record in _records.Reader.ReadAllAsync())
        {
            var function = record.Function;
            var stream = record.Environment?.LogStreamName ?? $"{record.Started:yyyy/MM/dd}/[{function.Config.Version}]{Guid.NewGuid():N}";
            var lines = Lines(record);
            _logs.Append(function.AccountId, function.Region, LogGroup(function.Config.FunctionName), stream,
                lines.Select(l => new LogLine(record.Started, l)).ToList());
            _metrics.Publish(Datum(function, "Invocations", 1, "Count", record.Started));
            _metrics.Publish(Datum(function, "Errors", record.Outcome.FunctionError is null ? 0 : 1, "Count", record.Started));
            // Like Errors, Throttles is a 0/1 indicator per request, so a function that was never
            // throttled still has Throttles datapoints (Sum 0), as on AWS.
            _metrics.Publish(Datum(function, "Throttles", 0, "Count", record.Started));
            _metrics.Publish(Datum(function, "Duration", record.DurationMs, "Milliseconds", record.Started));
            _metrics.Publish(Datum(function, "ConcurrentExecutions", record.ConcurrentExecutions, "Count", record.Started));
        }
    }

    private static List<string> Lines(InvocationRecord record)
    {
        var (function, invocation, outcome) = (record.Function, record.Invocation, record.Outcome);
        var id = invocation.RequestId;
        var lines = new List<string> { $"START RequestId: {id} Version: {function.Config.Version}" };
        lines.AddRange(invocation.Output);
        lines.Add($"END RequestId: {id}");
        var duration = record.DurationMs;
        var report = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"REPORT RequestId: {id}\tDuration: {duration:0.00} ms\tBilled Duration: {Math.Max(1, (long)Math.Ceiling(duration))} ms\tMemory Size: {function.Config.MemorySize} MB"));
        if (record.Environment?.MaxMemoryUsedMb() is { } memory) report.Append(CultureInfo.InvariantCulture, $"\tMax Memory Used: {memory} MB");
        if (record.InitDurationMs is { } init) report.Append(CultureInfo.InvariantCulture, $"\tInit Duration: {init:0.00} ms");
        if (outcome.FunctionError is not null && TimedOut(outcome)) report.Append("\tStatus: timeout");
        lines.Add(report.ToString());
        return lines;
    }

    private static bool TimedOut(InvocationOutcome outcome) =>
        Encoding.UTF8.GetString(outcome.Payload.Span).Contains("Sandbox.Timedout", StringComparison.Ordinal);

    private static MetricDatum Datum(RunnableFunction function, string name, double value, string unit, DateTimeOffset timestamp) =>
        new(function.AccountId, function.Region, Namespace, name, [new("FunctionName", function.Config.FunctionName)], value, unit, timestamp);

    public async ValueTask DisposeAsync()
    {
        _records.Writer.TryComplete();
        await _writer.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { });
    }
}
