using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda;
using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

/// <summary>
/// Subscription filters: the events a group stores that match a filter's pattern go to its Lambda function as AWS
/// sends them, <c>{"awslogs":{"data":BASE64(GZIP(JSON))}}</c> with a DATA_MESSAGE document (owner, logGroup,
/// logStream, subscriptionFilters, logEvents with id/timestamp/message), invoked asynchronously by the service
/// principal the function's policy allowed, on behalf of the group's ARN. Deliveries leave the write path through
/// a channel, so PutLogEvents and services' own log writes never wait for a function.
/// </summary>
public sealed partial class LogsService
{
    /// <summary>AWS's limit of subscription filters per log group.</summary>
    public const int MaxSubscriptionFiltersPerGroup = 2;

    /// <summary>Raw message bytes per delivered batch, so that even incompressible messages stay within Lambda's 256 KB asynchronous payload once gzipped and base64-encoded.</summary>
    private const int MaxDeliveryBytes = 150 * 1024;

    private readonly ResourceTable<SubscriptionFilter> _subscriptionFilters;
    private readonly ILambdaInvoker _lambda;
    private readonly Channel<(SubscriptionFilter Filter, string Stream, IReadOnlyList<LogEvent> Events)> _deliveries =
        Channel.CreateBounded<(SubscriptionFilter, string, IReadOnlyList<LogEvent>)>(new BoundedChannelOptions(10_000)
            { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task _deliverer;

    public async Task PutSubscriptionFilterAsync(Scope scope, SubscriptionFilter requested, CancellationToken cancellation)
    {
        if (requested.FilterName.Length is 0 or > 512 || requested.FilterName.Any(c => c is ':' or '*'))
            throw LogsErrors.Validation.Rejected("filterName", requested.FilterName, "Member must satisfy regular expression pattern: [^:*]*");
        if (requested.Distribution is not ("Random" or "ByLogStream"))
            throw LogsErrors.Validation.Rejected("distribution", requested.Distribution, "Member must satisfy enum value set: [Random, ByLogStream]");
        ParseFilter(requested.FilterPattern);
        var group = Group(scope, requested.GroupName);
        if (!requested.DestinationArn.StartsWith("arn:aws:lambda:", StringComparison.Ordinal))
            throw LogsErrors.DestinationNotServed(requested.DestinationArn);
        var principal = await AllowedPrincipalAsync(scope, SourceArn(group), requested.DestinationArn, cancellation);
        var filter = requested with
        {
            AccountId = group.AccountId, Region = group.Region, GroupName = group.Name, CreationTime = NowMs, InvokePrincipal = principal,
        };
        lock (_createGate)
        {
            var others = SubscriptionsOf(group).Count(f => f.FilterName != filter.FilterName);
            if (others >= MaxSubscriptionFiltersPerGroup) throw LogsErrors.ResourceLimitExceeded();
            _subscriptionFilters.Put(SubscriptionKey(filter), filter);
        }
    }

    /// <summary>
    /// Which principal the function lets CloudWatch Logs invoke it as: AWS's documents grant logs.amazonaws.com, older ones
    /// logs.REGION.amazonaws.com. Checked as Lambda checks a DryRun invocation, so a filter is refused when put, as on AWS.
    /// </summary>
    private async Task<string> AllowedPrincipalAsync(Scope scope, string sourceArn, string function, CancellationToken cancellation)
    {
        foreach (var principal in (string[])["logs.amazonaws.com", $"logs.{scope.Region}.amazonaws.com"])
        {
            try
            {
                await _lambda.InvokeAsync(new LambdaInvokeRequest(scope.AccountId, scope.Region, function, null, ReadOnlyMemory<byte>.Empty,
                    principal, sourceArn, DryRun: true), cancellation);
                return principal;
            }
            catch (AwsException e) when (e.Code is "AccessDeniedException" or "ResourceNotFoundException")
            {
            }
        }
        throw LogsErrors.CannotInvokeFunction();
    }

    /// <summary>The ARN CloudWatch Logs invokes on behalf of, which a function's permission names as its SourceArn.</summary>
    private static string SourceArn(LogGroup group) => group.Arn + ":*";

    public IReadOnlyList<SubscriptionFilter> DescribeSubscriptionFilters(Scope scope, string groupName, string? prefix) =>
        SubscriptionsOf(Group(scope, groupName))
            .Where(f => prefix is null || f.FilterName.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(f => f.FilterName, StringComparer.Ordinal).ToList();

    public void DeleteSubscriptionFilter(Scope scope, string groupName, string filterName)
    {
        var group = Group(scope, groupName);
        if (_subscriptionFilters.Remove(SubscriptionKey(group.AccountId, group.Region, group.Name, filterName)) is null)
            throw LogsErrors.SubscriptionFilterNotFound();
    }

    private IEnumerable<SubscriptionFilter> SubscriptionsOf(LogGroup group) =>
        _subscriptionFilters.Values.Where(f => f.AccountId == group.AccountId && f.Region == group.Region && f.GroupName == group.Name);

    private static string SubscriptionKey(SubscriptionFilter f) => SubscriptionKey(f.AccountId, f.Region, f.GroupName, f.FilterName);
    private static string SubscriptionKey(string account, string region, string group, string name) => ResourceTable<SubscriptionFilter>.Key(account, region, group, name);

    /// <summary>Hands the events each of the group's filters (and the account's subscription filter policy) matches to the delivery task.</summary>
    private void QueueDeliveries(LogGroup group, string stream, IReadOnlyList<LogEvent> stored)
    {
        if (stored.Count == 0 || !Decrypts(group)) return;
        foreach (var filter in SubscriptionsOf(group).Concat(AccountSubscriptionsOf(group)))
        {
            var pattern = FilterPattern.Parse(filter.FilterPattern);
            var matched = stored.Where(e => pattern.Matches(e.Message)).ToList();
            if (matched.Count > 0) _deliveries.Writer.TryWrite((filter, stream, matched));
        }
    }

    private async Task DeliverAsync()
    {
        var reader = _deliveries.Reader;
        while (await reader.WaitToReadAsync())
            while (reader.TryRead(out var delivery))
                foreach (var batch in Batches(delivery.Events))
                {
                    try
                    {
                        await _lambda.InvokeAsync(new LambdaInvokeRequest(delivery.Filter.AccountId, delivery.Filter.Region, delivery.Filter.DestinationArn, null,
                            SubscriptionPayload(delivery.Filter, delivery.Stream, batch), delivery.Filter.InvokePrincipal,
                            $"arn:aws:logs:{delivery.Filter.Region}:{delivery.Filter.AccountId}:log-group:{delivery.Filter.GroupName}:*", Asynchronous: true),
                            _stopping.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        _logger.LogWarning(e, "Delivering {Count} events of {Group} to {Function} failed", batch.Count, delivery.Filter.GroupName, delivery.Filter.DestinationArn);
                    }
                }
    }

    private static IEnumerable<IReadOnlyList<LogEvent>> Batches(IReadOnlyList<LogEvent> events)
    {
        var batch = new List<LogEvent>();
        long bytes = 0;
        foreach (var e in events)
        {
            var size = LogEventStore.Size(e);
            if (batch.Count > 0 && bytes + size > MaxDeliveryBytes)
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }
            batch.Add(e);
            bytes += size;
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <summary>The event a subscribed function receives: AWS's DATA_MESSAGE, gzipped and base64-encoded under awslogs.data.</summary>
    public static byte[] SubscriptionPayload(SubscriptionFilter filter, string stream, IReadOnlyList<LogEvent> events)
    {
        var message = new JsonObject
        {
            ["messageType"] = "DATA_MESSAGE",
            ["owner"] = filter.AccountId,
            ["logGroup"] = filter.GroupName,
            ["logStream"] = stream,
            ["subscriptionFilters"] = new JsonArray(filter.FilterName),
            ["logEvents"] = new JsonArray(events.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = e.Position,
                ["timestamp"] = e.Timestamp,
                ["message"] = e.Message,
            }).ToArray()),
        };
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(message.ToJsonString()));
        var wrapper = new JsonObject { ["awslogs"] = new JsonObject { ["data"] = Convert.ToBase64String(compressed.ToArray()) } };
        return Encoding.UTF8.GetBytes(wrapper.ToJsonString());
    }
}
