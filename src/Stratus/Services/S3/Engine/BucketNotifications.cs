using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Stratus.Protocols;
using Stratus.Protocols.RestXml;
using Stratus.Services.Lambda;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// A bucket's event notifications (the "notification" subresource): its Lambda function configurations are checked
/// when put, and every object created or removed that one selects (by event type and key prefix/suffix) is sent to
/// the function as the S3 event record AWS sends, queued as an asynchronous invocation by the principal
/// s3.amazonaws.com on behalf of the bucket's ARN and owning account, which the function's policy must allow.
/// SQS queues, SNS topics and EventBridge are destinations Stratus does not serve: refused by name when put.
/// </summary>
public sealed class BucketNotifications(ILambdaInvoker lambda, ILogger logger)
{
    public const string Subresource = "notification";
    public const string ServicePrincipal = "s3.amazonaws.com";

    /// <summary>The event types Stratus delivers; the other S3 event types are refused rather than accepted and never sent.</summary>
    private static readonly string[] Delivered =
    [
        "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
    ];

    private static readonly string[] NotServedDestinations = ["TopicConfiguration", "QueueConfiguration", "EventBridgeConfiguration"];

    private long _sequence;

    /// <summary>Checks a NotificationConfiguration document as S3 checks it before storing it, and names unnamed configurations as S3 does.</summary>
    public static void Validate(XElement document)
    {
        foreach (var element in document.Elements())
        {
            var name = element.Name.LocalName;
            if (name == "CloudFunctionConfiguration" && element.Child("Id") is null)
                element.AddFirst(new XElement(element.Name.Namespace + "Id", Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=')));
            if (NotServedDestinations.Contains(name))
                throw S3Errors.InvalidArgument($"Stratus does not serve SQS, SNS or EventBridge destinations ({name}); only CloudFunctionConfiguration (Lambda) is delivered.",
                    name, element.Value);
            if (name != "CloudFunctionConfiguration") throw S3Errors.MalformedXml();
            var function = element.ChildValue("CloudFunction") ?? throw S3Errors.MalformedXml();
            if (!function.StartsWith("arn:aws:lambda:", StringComparison.Ordinal))
                throw S3Errors.InvalidArgument("Unable to validate the following destination configurations", function, "The ARN is not well formed");
            var events = element.Children("Event").Select(e => e.Value).ToList();
            if (events.Count == 0) throw S3Errors.MalformedXml();
            foreach (var type in events.Where(e => !Delivered.Contains(e)))
                throw S3Errors.InvalidArgument($"Stratus's S3 delivers only ObjectCreated and ObjectRemoved events, not {type}.", "Event", type);
            // S3 accepts either case and answers the rule names as Prefix and Suffix.
            foreach (var ruleName in element.Child("Filter")?.Child("S3Key")?.Children("FilterRule").Select(r => r.Child("Name")) ?? [])
                ruleName?.SetValue(ruleName.Value.ToLowerInvariant() switch
                {
                    "prefix" => "Prefix",
                    "suffix" => "Suffix",
                    _ => throw S3Errors.InvalidArgument("filter rule name must be either prefix or suffix", "FilterRule", ruleName.Value),
                });
        }
    }

    private static IEnumerable<(string Name, string Value)> Rules(XElement configuration) =>
        configuration.Child("Filter")?.Child("S3Key")?.Children("FilterRule")
            .Select(r => ((r.ChildValue("Name") ?? "").ToLowerInvariant(), r.ChildValue("Value") ?? "")) ?? [];

    /// <summary>Sends an object event to the functions the bucket's configuration selects for it.</summary>
    public void Publish(Scope scope, S3Bucket bucket, ObjectEvent change, string? configuration)
    {
        if (configuration is null) return;
        var document = XElement.Parse(configuration);
        var (eventName, key) = (change.Name, change.Key);
        var eventType = "s3:" + eventName;
        var family = eventType[..(eventType.LastIndexOf(':') + 1)] + "*";
        foreach (var target in document.Children("CloudFunctionConfiguration"))
        {
            var events = target.Children("Event").Select(e => e.Value).ToList();
            if (!events.Contains(eventType) && !events.Contains(family)) continue;
            if (!Rules(target).All(r => r.Name == "prefix" ? key.StartsWith(r.Value, StringComparison.Ordinal) : key.EndsWith(r.Value, StringComparison.Ordinal)))
                continue;
            var function = target.ChildValue("CloudFunction")!;
            var record = Record(scope, bucket, change, target.ChildValue("Id"));
            var payload = Encoding.UTF8.GetBytes(new JsonObject { ["Records"] = new JsonArray(record) }.ToJsonString());
            _ = InvokeAsync(bucket, function, payload);
        }
    }

    private async Task InvokeAsync(S3Bucket bucket, string function, byte[] payload)
    {
        try
        {
            await lambda.InvokeAsync(new LambdaInvokeRequest(bucket.AccountId, bucket.Region, function, null, payload, ServicePrincipal,
                $"arn:aws:s3:::{bucket.Name}", Asynchronous: true), CancellationToken.None);
        }
        catch (Exception e) when (e is AwsException or InvalidOperationException)
        {
            logger.LogWarning("Bucket {Bucket} could not notify {Function}: {Error}", bucket.Name, function, e.Message);
        }
    }

    /// <summary>One record of S3's event message (eventVersion 2.1), keys URL-encoded as S3 encodes them (space as '+').</summary>
    private JsonObject Record(Scope scope, S3Bucket bucket, ObjectEvent change, string? configurationId)
    {
        var sequencer = Interlocked.Increment(ref _sequence) + DateTimeOffset.UtcNow.Ticks;
        var s3Object = new JsonObject { ["key"] = EncodeKey(change.Key) };
        if (change.Size is { } size) s3Object["size"] = size;
        if (change.ETag is { } etag) s3Object["eTag"] = etag.Trim('"');
        if (change.VersionId is { } versionId and not "null") s3Object["versionId"] = versionId;
        s3Object["sequencer"] = sequencer.ToString("X16", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["eventVersion"] = "2.1",
            ["eventSource"] = "aws:s3",
            ["awsRegion"] = bucket.Region,
            ["eventTime"] = change.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["eventName"] = change.Name,
            ["userIdentity"] = new JsonObject { ["principalId"] = scope.PrincipalId ?? scope.AccountId },
            ["responseElements"] = new JsonObject { ["x-amz-request-id"] = scope.RequestId },
            ["s3"] = new JsonObject
            {
                ["s3SchemaVersion"] = "1.0",
                ["configurationId"] = configurationId,
                ["bucket"] = new JsonObject
                {
                    ["name"] = bucket.Name,
                    ["ownerIdentity"] = new JsonObject { ["principalId"] = bucket.AccountId },
                    ["arn"] = $"arn:aws:s3:::{bucket.Name}",
                },
                ["object"] = s3Object,
            },
        };
    }

    /// <summary>Form encoding with '/' kept: "photos/my image.jpg" is sent as "photos/my+image.jpg".</summary>
    public static string EncodeKey(string key) =>
        string.Join('/', key.Split('/').Select(segment => Uri.EscapeDataString(segment).Replace("%20", "+", StringComparison.Ordinal)));
}

/// <summary>What happened to an object, as a notification reports it: created objects carry size and ETag, removals only a version id.</summary>
/// <param name="Name">S3's event name without the "s3:" prefix, such as ObjectCreated:Put.</param>
public sealed record ObjectEvent(string Name, string Key, DateTimeOffset Time, long? Size, string? ETag, string? VersionId);
