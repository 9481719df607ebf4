using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// Live values read back for drift detection, put in the template's shape so that only real changes show as
/// differences: CloudFormation compares tags and named policies as unordered sets (their schemas mark them
/// insertionOrder false), so the live ones are listed in the template's order, with any others after.
/// </summary>
public static class LiveState
{
    /// <summary>Live tags as a template's Tag list ([{Key, Value}]); AWS's own aws: tags are not the template's to compare.</summary>
    public static JsonArray TagList(JsonNode? expected, IEnumerable<KeyValuePair<string, string>> live)
    {
        var tags = live.Where(t => !t.Key.StartsWith("aws:", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var order = ExpectedNames(expected, "Key");
        return new JsonArray(tags.OrderBy(t => Position(order, t.Key)).ThenBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => (JsonNode?)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());
    }

    /// <summary>Live tags as a template's tag map ({KEY: VALUE}), the shape AWS::SSM::Parameter's Tags take.</summary>
    public static JsonObject TagMap(IEnumerable<KeyValuePair<string, string>> live) =>
        new(live.Where(t => !t.Key.StartsWith("aws:", StringComparison.Ordinal)).OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value)));

    /// <summary>
    /// Named inline policies ([{PolicyName, PolicyDocument}]) in the template's order, each document in the template's
    /// own form when it means the same JSON, so a document only shows as different when its content is.
    /// </summary>
    public static JsonArray NamedPolicies(JsonNode? expected, IReadOnlyDictionary<string, string> live)
    {
        var order = ExpectedNames(expected, "PolicyName");
        var written = (expected as JsonArray)?.OfType<JsonObject>()
            .Where(p => p["PolicyName"] is not null)
            .GroupBy(p => p["PolicyName"]!.ToString()).ToDictionary(g => g.Key, g => g.First()["PolicyDocument"], StringComparer.Ordinal) ?? [];
        return new JsonArray(live.OrderBy(p => Position(order, p.Key)).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => (JsonNode?)new JsonObject
            {
                ["PolicyName"] = p.Key,
                ["PolicyDocument"] = Document(written.GetValueOrDefault(p.Key), p.Value),
            }).ToArray());
    }

    /// <summary>A policy document as the service keeps it, or the template's own node when the two are the same JSON.</summary>
    public static JsonNode? Document(JsonNode? written, string live)
    {
        var parsed = JsonNode.Parse(live);
        var writtenJson = written is JsonValue text && text.TryGetValue<string>(out var body) ? JsonNode.Parse(body) : written;
        return writtenJson is not null && JsonNode.DeepEquals(writtenJson, parsed) ? written!.DeepClone() : parsed;
    }

    /// <summary>
    /// A live structure with only the members the template's structure sets: a member the service defaulted (a function's
    /// LoggingConfig.LogGroup when the template names only its format) is not the template's to compare, as at the top level.
    /// </summary>
    public static JsonObject Within(JsonNode? expected, JsonObject live)
    {
        if (expected is not JsonObject written) return live;
        foreach (var name in live.Select(member => member.Key).Where(name => !written.ContainsKey(name)).ToList()) live.Remove(name);
        return live;
    }

    private static List<string> ExpectedNames(JsonNode? expected, string member) =>
        (expected as JsonArray)?.OfType<JsonObject>().Select(item => item[member]?.ToString()).OfType<string>().ToList() ?? [];

    private static int Position(List<string> order, string name) => order.IndexOf(name) is var index and >= 0 ? index : int.MaxValue;
}
