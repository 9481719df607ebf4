using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Protocols.Json;

namespace Stratus.Services.Ecr.Engine;

/// <summary>One rule of a lifecycle policy, as ECR's policy document spells it.</summary>
public sealed record LifecycleRule(int Priority, string TagStatus, IReadOnlyList<string> TagPrefixes, IReadOnlyList<string> TagPatterns, string CountType, int CountNumber)
{
    /// <summary>Whether the rule's selection (tag status and tag filters) picks the image.</summary>
    public bool Selects(EcrImage image) => TagStatus switch
    {
        "untagged" => image.Tags.Count == 0,
        "any" => true,
        // "If you specify multiple tags, only images with all the specified tags are selected."
        _ => image.Tags.Count > 0
             && TagPrefixes.All(prefix => image.Tags.Any(t => t.StartsWith(prefix, StringComparison.Ordinal)))
             && TagPatterns.All(pattern => image.Tags.Any(t => Wildcard(pattern).IsMatch(t))),
    };

    private static Regex Wildcard(string pattern) =>
        new("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

/// <summary>
/// ECR lifecycle policies, applied for real: the rules are checked as ECR checks them, and <see cref="Expired"/>
/// picks the images they expire following ECR's evaluation rules: rules run in rulePriority order, an image
/// whose tags a rule selects is never expired by a lower-priority rule, and each image expires at most once.
/// </summary>
public sealed record LifecyclePolicy(IReadOnlyList<LifecycleRule> Rules)
{
    private const int MaxRules = 50;

    public static LifecyclePolicy Parse(string text)
    {
        JsonDocument document;
        try
        {
            document = JsonBody.ParseMemberDocument(text, 16);
        }
        catch (JsonException e)
        {
            throw EcrErrors.InvalidLifecyclePolicy("Lifecycle policy is not valid JSON: " + e.Message);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Array || rules.GetArrayLength() == 0)
                throw EcrErrors.InvalidLifecyclePolicy("Lifecycle policy must contain a non-empty 'rules' list");
            if (rules.GetArrayLength() > MaxRules) throw EcrErrors.InvalidLifecyclePolicy($"A lifecycle policy may have at most {MaxRules} rules");
            var parsed = rules.EnumerateArray().Select(ParseRule).OrderBy(r => r.Priority).ToList();
            if (parsed.Select(r => r.Priority).Distinct().Count() != parsed.Count)
                throw EcrErrors.InvalidLifecyclePolicy("rulePriority must be unique among the rules");
            if (parsed.FindIndex(r => r.TagStatus == "any") is var any and >= 0 && any != parsed.Count - 1)
                throw EcrErrors.InvalidLifecyclePolicy("A rule with tagStatus 'any' must have the highest rulePriority value (be evaluated last)");
            return new LifecyclePolicy(parsed);
        }
    }

    private static LifecycleRule ParseRule(JsonElement rule)
    {
        if (rule.ValueKind != JsonValueKind.Object) throw EcrErrors.InvalidLifecyclePolicy("Each rule must be an object");
        if (!rule.TryGetProperty("rulePriority", out var priority) || !priority.TryGetInt32(out var rulePriority) || rulePriority < 1)
            throw EcrErrors.InvalidLifecyclePolicy("Each rule needs a rulePriority, a positive integer");
        if (!rule.TryGetProperty("selection", out var selection) || selection.ValueKind != JsonValueKind.Object)
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority} needs a selection");
        if (!rule.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object || Text(action, "type") != "expire")
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: the only action type is 'expire'");

        var tagStatus = Text(selection, "tagStatus") ?? "";
        if (tagStatus is not ("tagged" or "untagged" or "any"))
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: tagStatus must be one of tagged, untagged, any");
        var prefixes = List(selection, "tagPrefixList");
        var patterns = List(selection, "tagPatternList");
        if (tagStatus == "tagged" && prefixes.Count == 0 && patterns.Count == 0)
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: tagStatus 'tagged' needs a tagPrefixList or a tagPatternList");
        if (prefixes.Count > 0 && patterns.Count > 0)
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: give either tagPrefixList or tagPatternList, not both");
        if (tagStatus != "tagged" && (prefixes.Count > 0 || patterns.Count > 0))
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: tag filters need tagStatus 'tagged'");

        var countType = Text(selection, "countType") ?? "";
        var countUnit = Text(selection, "countUnit");
        switch (countType)
        {
            case "imageCountMoreThan" when countUnit is not null:
                throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: countUnit is only for sinceImagePushed and sinceImagePulled");
            case "sinceImagePushed" or "sinceImagePulled" when countUnit != "days":
                throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: {countType} needs countUnit 'days'");
            case "imageCountMoreThan" or "sinceImagePushed" or "sinceImagePulled":
                break;
            default:
                throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: countType must be imageCountMoreThan, sinceImagePushed or sinceImagePulled (Stratus has no archive storage class, so sinceImageTransitioned is not supported)");
        }
        if (!selection.TryGetProperty("countNumber", out var number) || !number.TryGetInt32(out var countNumber) || countNumber < 1)
            throw EcrErrors.InvalidLifecyclePolicy($"Rule {rulePriority}: countNumber must be a positive integer");
        return new LifecycleRule(rulePriority, tagStatus, prefixes, patterns, countType, countNumber);
    }

    /// <summary>The images the policy expires at <paramref name="now"/>.</summary>
    public IReadOnlyList<EcrImage> Expired(IReadOnlyCollection<EcrImage> images, DateTimeOffset now) =>
        Evaluate(images, now).Select(e => e.Image).ToList();

    /// <summary>The images the policy expires at <paramref name="now"/>, each with the rule that expires it (what a preview reports).</summary>
    public IReadOnlyList<(EcrImage Image, LifecycleRule Rule)> Evaluate(IReadOnlyCollection<EcrImage> images, DateTimeOffset now)
    {
        // Images an index references stay while it does: expiring them would break the index.
        var referenced = images.Where(i => i.IsIndex).SelectMany(i => i.References).ToHashSet(StringComparer.Ordinal);
        var remaining = images.Where(i => !referenced.Contains(i.Digest)).ToList();
        var expired = new List<(EcrImage, LifecycleRule)>();
        foreach (var rule in Rules)
        {
            var selected = remaining.Where(rule.Selects).ToList();
            remaining.RemoveAll(selected.Contains);
            var age = TimeSpan.FromDays(rule.CountNumber);
            expired.AddRange((rule.CountType switch
            {
                "imageCountMoreThan" => selected.OrderByDescending(i => i.PushedAt).Skip(rule.CountNumber),
                // An image never pulled counts from its push, as ECR measures it.
                "sinceImagePulled" => selected.Where(i => now - (i.LastPulledAt ?? i.PushedAt) > age),
                _ => selected.Where(i => now - i.PushedAt > age),
            }).Select(i => (i, rule)));
        }
        return expired;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IReadOnlyList<string> List(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw EcrErrors.InvalidLifecyclePolicy($"'{name}' must be a list of strings")).ToList()
            : [];
}
