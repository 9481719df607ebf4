using System.Xml.Linq;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.S3.Engine;

namespace Stratus.Services.S3.CloudFormation;

/// <summary>
/// A bucket's template properties as the configuration documents S3's own API stores (the XML a Put*
/// call sends), so a bucket made by a stack answers GetBucketEncryption, GetBucketLifecycleConfiguration
/// and the rest exactly as one configured through the API. Null where the template leaves it out.
/// </summary>
public static class BucketConfigurationDocuments
{
    public static XElement? Encryption(ResourceProperties p) =>
        p.Object("BucketEncryption") is not { } encryption ? null
            : new XElement("ServerSideEncryptionConfiguration", encryption.Objects("ServerSideEncryptionConfiguration").Select(rule =>
            {
                var r = p.Nested(rule);
                var byDefault = r.Object("ServerSideEncryptionByDefault");
                return new XElement("Rule",
                    byDefault is null ? null : new XElement("ApplyServerSideEncryptionByDefault",
                        new XElement("SSEAlgorithm", byDefault.Required("SSEAlgorithm")),
                        Optional("KMSMasterKeyID", byDefault.String("KMSMasterKeyID"))),
                    Optional("BucketKeyEnabled", r.Bool("BucketKeyEnabled")?.ToString().ToLowerInvariant()));
            }));

    /// <summary>NotificationConfiguration's LambdaConfigurations as S3's CloudFunctionConfiguration elements; queues, topics and
    /// EventBridge are refused as the API refuses them (Stratus serves no SQS or SNS).</summary>
    public static XElement? Notification(ResourceProperties p)
    {
        if (p.Object("NotificationConfiguration") is not { } notification) return null;
        foreach (var destination in new[] { "QueueConfigurations", "TopicConfigurations", "EventBridgeConfiguration" })
            if (notification.Values[destination] is not null)
                throw p.Invalid("NotificationConfiguration", $"Stratus does not serve SQS, SNS or EventBridge destinations ({destination}); only LambdaConfigurations are delivered");
        var document = new XElement("NotificationConfiguration", notification.Objects("LambdaConfigurations").Select(item =>
        {
            var c = p.Nested(item);
            var rules = c.Object("Filter")?.Object("S3Key")?.Objects("Rules").Select(rule => p.Nested(rule))
                .Select(rule => new XElement("FilterRule", new XElement("Name", rule.Required("Name")), new XElement("Value", rule.Required("Value")))).ToList();
            return new XElement("CloudFunctionConfiguration",
                new XElement("CloudFunction", c.Required("Function")),
                new XElement("Event", c.Required("Event")),
                rules is { Count: > 0 } ? new XElement("Filter", new XElement("S3Key", rules)) : null);
        }));
        BucketNotifications.Validate(document);
        return document;
    }

    public static XElement? PublicAccessBlock(ResourceProperties p) =>
        p.Object("PublicAccessBlockConfiguration") is not { } block ? null
            : new XElement("PublicAccessBlockConfiguration",
                new[] { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets" }
                    .Select(name => new XElement(name, (block.Bool(name) ?? false).ToString().ToLowerInvariant())));

    public static XElement? Lifecycle(ResourceProperties p) =>
        p.Object("LifecycleConfiguration") is not { } lifecycle ? null
            : new XElement("LifecycleConfiguration", lifecycle.Objects("Rules").Select(rule => LifecycleRule(p.Nested(rule))));

    private static XElement LifecycleRule(ResourceProperties r)
    {
        var tags = r.Objects("TagFilters").Select(t => Tag(r.Nested(t))).ToList();
        var filterParts = new List<XElement?>
        {
            Optional("Prefix", r.String("Prefix")),
            Optional("ObjectSizeGreaterThan", r.String("ObjectSizeGreaterThan")),
            Optional("ObjectSizeLessThan", r.String("ObjectSizeLessThan")),
        }.OfType<XElement>().Concat(tags).ToList();
        var filter = new XElement("Filter", filterParts.Count > 1 ? new XElement("And", filterParts) : filterParts.FirstOrDefault());
        var expiration = r.Int("ExpirationInDays") is { } days ? new XElement("Expiration", new XElement("Days", days))
            : r.String("ExpirationDate") is { } date ? new XElement("Expiration", new XElement("Date", date))
            : null;
        var noncurrentDays = r.Object("NoncurrentVersionExpiration")?.Int("NoncurrentDays") ?? r.Int("NoncurrentVersionExpirationInDays");
        var noncurrent = r.Object("NoncurrentVersionExpiration") is { } nv && nv.Int("NewerNoncurrentVersions") is { } newer
            ? new XElement("NoncurrentVersionExpiration", new XElement("NoncurrentDays", noncurrentDays), new XElement("NewerNoncurrentVersions", newer))
            : noncurrentDays is { } nd ? new XElement("NoncurrentVersionExpiration", new XElement("NoncurrentDays", nd)) : null;
        var abort = r.Object("AbortIncompleteMultipartUpload")?.Int("DaysAfterInitiation") is { } after
            ? new XElement("AbortIncompleteMultipartUpload", new XElement("DaysAfterInitiation", after)) : null;
        var expiredMarker = r.Bool("ExpiredObjectDeleteMarker") is { } marker
            ? expiration is null ? new XElement("Expiration", new XElement("ExpiredObjectDeleteMarker", marker.ToString().ToLowerInvariant())) : null
            : null;
        return new XElement("Rule",
            Optional("ID", r.String("Id")), filter, new XElement("Status", r.Required("Status")),
            expiration ?? expiredMarker, noncurrent, abort,
            r.Objects("Transitions").Select(t => Transition(r.Nested(t), "Transition", "TransitionInDays", "Days", "TransitionDate", "Date")),
            r.Objects("NoncurrentVersionTransitions").Select(t => Transition(r.Nested(t), "NoncurrentVersionTransition", "TransitionInDays", "NoncurrentDays", null, null)));
    }

    private static XElement Transition(ResourceProperties t, string element, string daysProperty, string daysElement, string? dateProperty, string? dateElement) =>
        new(element,
            Optional(daysElement, t.String(daysProperty)),
            dateProperty is null ? null : Optional(dateElement!, t.String(dateProperty)),
            new XElement("StorageClass", t.Required("StorageClass")));

    public static XElement? Cors(ResourceProperties p) =>
        p.Object("CorsConfiguration") is not { } cors ? null
            : new XElement("CORSConfiguration", cors.Objects("CorsRules").Select(rule =>
            {
                var r = p.Nested(rule);
                return new XElement("CORSRule",
                    Optional("ID", r.String("Id")),
                    r.Strings("AllowedHeaders").Select(h => new XElement("AllowedHeader", h)),
                    r.Strings("AllowedMethods").Select(m => new XElement("AllowedMethod", m)),
                    r.Strings("AllowedOrigins").Select(o => new XElement("AllowedOrigin", o)),
                    r.Strings("ExposedHeaders").Select(h => new XElement("ExposeHeader", h)),
                    Optional("MaxAgeSeconds", r.String("MaxAge")));
            }));

    public static XElement? OwnershipControls(ResourceProperties p) =>
        p.Object("OwnershipControls") is not { } ownership ? null
            : new XElement("OwnershipControls", ownership.Objects("Rules").Select(rule =>
                new XElement("Rule", new XElement("ObjectOwnership", p.Nested(rule).Required("ObjectOwnership")))));

    private static XElement Tag(ResourceProperties t) => new("Tag", new XElement("Key", t.Required("Key")), new XElement("Value", t.String("Value") ?? ""));

    private static XElement? Optional(string name, string? value) => value is null ? null : new XElement(name, value);

}
