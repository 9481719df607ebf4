using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// What became of an asynchronous invocation, as the destination's invocation record names it. AWS sends an event that recursive
/// loop detection stopped to the OnFailure destination but publishes no condition for it; Stratus names it by the error AWS
/// answers a stopped synchronous invoke with, RecursiveInvocationException.
/// </summary>
internal enum AsyncCondition { Success, RetriesExhausted, EventAgeExceeded, RecursiveInvocationException }

/// <summary>
/// Event invoke configs: how many times an Event invocation is retried after a function error (0-2), how old it may
/// grow before it is dropped, and where the record of its success or failure goes. Destinations Stratus can deliver
/// to are Lambda functions and EventBridge event buses; SQS and SNS are not served, so they are refused when the config is put.
/// </summary>
public sealed partial class LambdaService
{
    private Events.EventsService? _eventBuses;

    /// <summary>
    /// EventBridge is built after Lambda (its rules invoke functions through Lambda's domain), so its domain is handed
    /// over once built; until then an event bus destination is refused as not served.
    /// </summary>
    public void DeliverDestinationsTo(Events.EventsService eventBuses) => _eventBuses = eventBuses;

    /// <summary>AWS's defaults when a function has no config: two retries, six hours.</summary>
    internal const int DefaultRetryAttempts = 2;
    internal const int DefaultMaximumEventAgeSeconds = 21600;

    public (LambdaFunction Function, EventInvokeConfig Config) PutEventInvokeConfig(Scope scope, string functionName, string? qualifier, EventInvokeSettings settings) =>
        ChangeEventInvokeConfig(scope, functionName, qualifier, settings, replace: true);

    public (LambdaFunction Function, EventInvokeConfig Config) UpdateEventInvokeConfig(Scope scope, string functionName, string? qualifier, EventInvokeSettings settings) =>
        ChangeEventInvokeConfig(scope, functionName, qualifier, settings, replace: false);

    public (LambdaFunction Function, EventInvokeConfig Config) GetEventInvokeConfig(Scope scope, string functionName, string? qualifier)
    {
        var (function, key) = EventInvokeTarget(scope, functionName, qualifier);
        return (function, function.EventInvokeConfigs.FirstOrDefault(c => c.Qualifier == key) ?? throw LambdaErrors.EventInvokeConfigNotFound($"{function.Arn}:{key}"));
    }

    public (LambdaFunction Function, IReadOnlyList<EventInvokeConfig> Configs) ListEventInvokeConfigs(Scope scope, string functionName)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return (function, function.EventInvokeConfigs);
    }

    public void DeleteEventInvokeConfig(Scope scope, string functionName, string? qualifier)
    {
        var (function, key) = EventInvokeTarget(scope, functionName, qualifier);
        if (function.EventInvokeConfigs.All(c => c.Qualifier != key)) throw LambdaErrors.EventInvokeConfigNotFound($"{function.Arn}:{key}");
        Change(scope, function.Name, f => f with { EventInvokeConfigs = f.EventInvokeConfigs.Where(c => c.Qualifier != key).ToList() });
    }

    private (LambdaFunction Function, EventInvokeConfig Config) ChangeEventInvokeConfig(Scope scope, string functionName, string? qualifier,
        EventInvokeSettings settings, bool replace)
    {
        // A template's values meet the rules the wire checked its request against.
        LambdaRules.Check("PutFunctionEventInvokeConfig", "MaximumRetryAttempts", settings.MaximumRetryAttempts);
        LambdaRules.Check("PutFunctionEventInvokeConfig", "MaximumEventAgeInSeconds", settings.MaximumEventAgeInSeconds);
        foreach (var destination in new[] { settings.OnSuccess, settings.OnFailure }.OfType<string>()) CheckDestination(scope, destination);
        var (_, key) = EventInvokeTarget(scope, functionName, qualifier);
        EventInvokeConfig? changed = null;
        var function = Change(scope, functionName, f =>
        {
            var current = f.EventInvokeConfigs.FirstOrDefault(c => c.Qualifier == key);
            if (!replace && current is null) throw LambdaErrors.EventInvokeConfigNotFound($"{f.Arn}:{key}");
            var previous = replace ? new EventInvokeConfig { Qualifier = key } : current!;
            changed = new EventInvokeConfig
            {
                Qualifier = key,
                MaximumRetryAttempts = settings.MaximumRetryAttempts ?? previous.MaximumRetryAttempts,
                MaximumEventAgeInSeconds = settings.MaximumEventAgeInSeconds ?? previous.MaximumEventAgeInSeconds,
                // UpdateFunctionEventInvokeConfig with a DestinationConfig replaces both destinations, as AWS does.
                OnSuccess = settings.HasDestinationConfig ? NullIfEmpty(settings.OnSuccess) : previous.OnSuccess,
                OnFailure = settings.HasDestinationConfig ? NullIfEmpty(settings.OnFailure) : previous.OnFailure,
                LastModified = _clock.GetUtcNow(),
            };
            return f with { EventInvokeConfigs = [.. f.EventInvokeConfigs.Where(c => c.Qualifier != key), changed] };
        });
        return (function, changed!);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The function and the qualifier a config is kept under ($LATEST when none is given), which must exist.</summary>
    private (LambdaFunction Function, string Qualifier) EventInvokeTarget(Scope scope, string functionName, string? qualifier)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        return (function, qualifier ?? ParseName(functionName).Qualifier ?? FunctionConfig.LatestVersion);
    }

    /// <summary>A Lambda function or an event bus Stratus has, or a clear refusal of a destination type Stratus does not serve.</summary>
    private void CheckDestination(Scope scope, string destination)
    {
        if (destination.Length == 0) return;
        var parts = destination.Split(':');
        var service = parts.Length > 2 && parts[0] == "arn" ? parts[2] : destination;
        if (service == "events" && _eventBuses is not null)
        {
            if (parts.Length != 6 || parts[3] != scope.Region || !parts[5].StartsWith("event-bus/", StringComparison.Ordinal))
                throw LambdaErrors.DestinationInvalid(destination);
            try
            {
                _eventBuses.DescribeEventBus(Scope.Of(parts[4], parts[3]), destination);
            }
            catch (AwsException)
            {
                throw LambdaErrors.DestinationInvalid(destination);
            }
            return;
        }
        if (service != "lambda") throw LambdaErrors.DestinationNotServed(destination, service);
        if (parts.Length < 7 || parts[5] != "function" || parts[3] != scope.Region)
            throw LambdaErrors.DestinationInvalid(destination);
        if (_functions.Get(Key(parts[4], parts[3], parts[6])) is null) throw LambdaErrors.DestinationInvalid(destination);
    }

    /// <summary>The retry and age limits for a queued event: its qualifier's config, or AWS's defaults.</summary>
    internal (int MaxRetries, TimeSpan MaxAge) AsyncLimits(QueuedEvent queued)
    {
        var config = EventInvokeConfigFor(queued);
        return (config?.MaximumRetryAttempts ?? DefaultRetryAttempts, TimeSpan.FromSeconds(config?.MaximumEventAgeInSeconds ?? DefaultMaximumEventAgeSeconds));
    }

    private EventInvokeConfig? EventInvokeConfigFor(QueuedEvent queued)
    {
        var function = _functions.Get(Key(queued.AccountId, queued.Region, ParseName(queued.FunctionName).Name));
        var key = queued.Qualifier ?? ParseName(queued.FunctionName).Qualifier ?? FunctionConfig.LatestVersion;
        return function?.EventInvokeConfigs.FirstOrDefault(c => c.Qualifier == key);
    }

    /// <summary>
    /// Sends the invocation record AWS sends to the config's OnSuccess or OnFailure destination (a Lambda function,
    /// invoked asynchronously as AWS does): the request, what became of it and, when the function ran, its response.
    /// </summary>
    internal void Report(QueuedEvent queued, AsyncCondition condition, InvokeResponse? response)
    {
        var config = EventInvokeConfigFor(queued);
        var destination = condition == AsyncCondition.Success ? config?.OnSuccess : config?.OnFailure;
        if (destination is null) return;
        var parts = destination.Split(':');
        var function = _functions.Get(Key(queued.AccountId, queued.Region, ParseName(queued.FunctionName).Name));
        // A function destination's ARN has seven parts (eight with a qualifier), an event bus's six.
        if (parts.Length < 6 || function is null) return;
        var qualifier = queued.Qualifier ?? ParseName(queued.FunctionName).Qualifier ?? FunctionConfig.LatestVersion;
        var record = new JsonObject
        {
            ["version"] = "1.0",
            ["timestamp"] = _clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["requestContext"] = new JsonObject
            {
                ["requestId"] = queued.RequestId ?? queued.Id,
                ["functionArn"] = $"{function.Arn}:{qualifier}",
                ["condition"] = condition.ToString(),
                ["approximateInvokeCount"] = queued.Attempts + (response is null ? 0 : 1),
            },
            ["requestPayload"] = JsonOrText(Convert.FromBase64String(queued.PayloadBase64)),
        };
        if (response is not null)
        {
            var context = new JsonObject { ["statusCode"] = response.StatusCode, ["executedVersion"] = response.ExecutedVersion };
            if (response.FunctionError is { } error) context["functionError"] = error;
            record["responseContext"] = context;
            record["responsePayload"] = JsonOrText(response.Payload.ToArray());
        }
        // The destination runs in the same request chain as the function, so a loop through destinations is counted.
        var (trace, _) = TraceLineage.Next(queued.TraceHeader, function.Arn, queued.RequestId ?? queued.Id, _clock.GetUtcNow());
        if (parts[2] == "events")
        {
            PublishRecord(parts, destination, condition, $"{function.Arn}:{qualifier}", record, trace);
            return;
        }
        if (parts.Length < 7) return;
        var payload = Encoding.UTF8.GetBytes(record.ToJsonString());
        // A record over the asynchronous payload limit cannot be queued; AWS drops what it cannot deliver too.
        if (payload.Length > MaxEventPayloadBytes) return;
        _queue.Enqueue(parts[4], parts[3], parts[6], parts.Length > 7 ? parts[7] : null, payload, Guid.NewGuid().ToString(), trace);
    }

    /// <summary>
    /// An invocation record put on an event bus as AWS puts it: source <c>lambda</c>, detail-type
    /// <c>Lambda Function Invocation Result - Success</c> or <c>- Failure</c>, the bus and the function version as
    /// resources, the record as detail. A record the bus refuses (over its 256 KB entry limit) is dropped, as AWS drops
    /// what it cannot deliver.
    /// </summary>
    private void PublishRecord(string[] parts, string busArn, AsyncCondition condition, string functionVersionArn, JsonObject record, string trace)
    {
        if (_eventBuses is null) return;
        var detailType = condition == AsyncCondition.Success ? "Lambda Function Invocation Result - Success" : "Lambda Function Invocation Result - Failure";
        _eventBuses.PutEvents(Scope.Of(parts[4], parts[3]),
            [new Events.EventEntry("lambda", detailType, record.ToJsonString(), [busArn, functionVersionArn], null, busArn)], trace);
    }

    private static JsonNode? JsonOrText(byte[] bytes)
    {
        if (bytes.Length == 0) return null;
        try
        {
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
