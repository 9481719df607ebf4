using System.Globalization;
using System.Xml.Linq;
using Stratus.Protocols.RestXml;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// The expiration part of a stored lifecycle rule: which current objects it matches (prefix, tags,
/// size bounds) and when they expire (Days after last modification, or a Date). Transitions to other
/// storage classes have no meaning on one disk and are kept only as configuration.
/// </summary>
public sealed record LifecycleRule(string Prefix, IReadOnlyDictionary<string, string> Tags, long? SizeGreaterThan, long? SizeLessThan, int? Days, DateTimeOffset? Date)
{
    public static IReadOnlyList<LifecycleRule> Parse(string document)
    {
        var root = XElement.Parse(document);
        var rules = new List<LifecycleRule>();
        foreach (var rule in root.Children("Rule"))
        {
            if (rule.ChildValue("Status") != "Enabled" || rule.Child("Expiration") is not { } expiration) continue;
            var filter = rule.Child("Filter");
            var and = filter?.Child("And");
            var scope = and ?? filter;
            var tags = (scope?.Children("Tag") ?? []).ToDictionary(t => t.ChildValue("Key") ?? "", t => t.ChildValue("Value") ?? "");
            rules.Add(new LifecycleRule(
                scope?.ChildValue("Prefix") ?? rule.ChildValue("Prefix") ?? "",
                tags,
                long.TryParse(scope?.ChildValue("ObjectSizeGreaterThan"), out var above) ? above : null,
                long.TryParse(scope?.ChildValue("ObjectSizeLessThan"), out var below) ? below : null,
                int.TryParse(expiration.ChildValue("Days"), out var days) ? days : null,
                DateTimeOffset.TryParse(expiration.ChildValue("Date"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : null));
        }
        return rules;
    }

    public bool Expires(string key, S3ObjectVersion version, DateTimeOffset now) =>
        key.StartsWith(Prefix, StringComparison.Ordinal)
        && Tags.All(t => version.Tags.TryGetValue(t.Key, out var value) && value == t.Value)
        && (SizeGreaterThan is not { } above || version.Size > above)
        && (SizeLessThan is not { } below || version.Size < below)
        && (Days is { } days && version.LastModified.AddDays(days) <= now || Date is { } date && date <= now);
}
