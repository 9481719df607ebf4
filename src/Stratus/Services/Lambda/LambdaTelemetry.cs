using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    public void RecursionStopped(string accountId, string region, FunctionConfig config, string requestId, DateTimeOffset at)
    {
        var functionName = config.FunctionName;
        _metrics.Publish(new(accountId, region, Namespace, "RecursiveInvocationsDropped", [new("FunctionName", functionName)], 1, "Count", at));
        _logs.Append(accountId, region, config.LogGroup, $"{at:yyyy/MM/dd}/[$LATEST]recursive-loop-detection",
            [new LogLine(at, $"Lambda stopped the invocation {requestId} of {functionName}: it was invoked in a recursive loop ({TraceLineage.MaxInvocationsInChain} invocations in one request chain) and its RecursiveLoop is Terminate.")]);
    }

    /// <summary>A deployment a Warn code signing config let through unsigned: AWS's SignatureValidationErrors metric.</summary>
    public void SignatureValidationError(string accountId, string region, string functionName, DateTimeOffset at) =>
        _metrics.Publish(new(accountId, region, Namespace, "SignatureValidationErrors", [new("FunctionName", functionName)], 1, "Count", at));

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
            var lines = function.Config.Logging is { IsJson: true } json ? JsonLines(record, json) : Lines(record);
            // An extension's handler logs only to the group its type's LoggingConfig names, as AWS delivers handler logs, and
            // publishes no Lambda metrics: it is no function of the account.
            var logged = !function.IsExtensionHandler || function.Config.Logging is not null;
            if (lines.Count > 0 && logged)
                _logs.Append(function.AccountId, function.Region, function.Config.LogGroup, stream, lines.Select(l => new LogLine(record.Started, l)).ToList());
            if (function.IsExtensionHandler) continue;
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

    /// <summary>
    /// The JSON log format: the platform's START and REPORT lines as the platform.start and platform.report records AWS
    /// writes (INFO level, so a SystemLogLevel of WARN drops them; END has no JSON record), and the function's output with
    /// the application log level applied to the JSON records that carry a level (AWS filters only those; other lines pass).
    /// </summary>
    private static List<string> JsonLines(InvocationRecord record, FunctionLogging logging)
    {
        var (function, invocation, outcome) = (record.Function, record.Invocation, record.Outcome);
        var id = invocation.RequestId;
        var time = record.Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var systemInfo = LevelRank(logging.SystemLogLevel ?? "INFO") >= LevelRank("INFO");
        var lines = new List<string>();
        if (systemInfo)
            lines.Add(new JsonObject { ["time"] = time, ["type"] = "platform.start", ["record"] = new JsonObject { ["requestId"] = id, ["version"] = function.Config.Version } }.ToJsonString());
        var applicationRank = LevelRank(logging.ApplicationLogLevel ?? "INFO");
        lines.AddRange(invocation.Output.Where(line => LineLevel(line) is not { } level || LevelRank(level) <= applicationRank));
        if (!systemInfo) return lines;
        var metrics = new JsonObject
        {
            ["durationMs"] = Math.Round(record.DurationMs, 2),
            ["billedDurationMs"] = Math.Max(1, (long)Math.Ceiling(record.DurationMs)),
            ["memorySizeMB"] = function.Config.MemorySize,
        };
        if (record.Environment?.MaxMemoryUsedMb() is { } memory) metrics["maxMemoryUsedMB"] = memory;
        if (record.InitDurationMs is { } init) metrics["initDurationMs"] = Math.Round(init, 2);
        var status = outcome.FunctionError is null ? "success" : TimedOut(outcome) ? "timeout" : "error";
        lines.Add(new JsonObject { ["time"] = time, ["type"] = "platform.report", ["record"] = new JsonObject { ["requestId"] = id, ["metrics"] = metrics, ["status"] = status } }.ToJsonString());
        return lines;
    }

    /// <summary>How verbose a level is: FATAL least, TRACE most (an unknown level counts as the least, so it is kept).</summary>
    private static int LevelRank(string level) => level.ToUpperInvariant() switch
    {
        "TRACE" => 5,
        "DEBUG" => 4,
        "INFO" => 3,
        "WARN" or "WARNING" => 2,
        "ERROR" => 1,
        _ => 0,
    };

    /// <summary>The "level" of an output line that is a JSON object, else null (plain lines are not filtered).</summary>
    private static string? LineLevel(string line)
    {
        if (!line.StartsWith('{')) return null;
        try
        {
            return JsonNode.Parse(line, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) is JsonObject json
                && json["level"] is JsonValue value && value.TryGetValue<string>(out var level) ? level : null;
        }
        catch (JsonException)
        {
            return null;
        }
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
