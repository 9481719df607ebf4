using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudFormation.Engine;

public sealed partial class StackEngine
{
    /// <summary>
    /// Compares one resource's recorded properties with its live state in its service, as CloudFormation's drift
    /// detection does: only properties the template sets are checked (not the service's defaults), and within
    /// them every nested value.
    /// </summary>
    public ResourceDriftRecord DetectDrift(StackRecord stack, StackResourceRecord resource)
    {
        var now = _store.Now;
        if (resource.PhysicalId is null || _providers.Find(resource.Type) is not ILiveStateReader reader)
            return new ResourceDriftRecord { Status = StackDrift.NotChecked, Timestamp = now };
        var expected = Resolved(stack.StackId, resource.Type, JsonNode.Parse(resource.Properties ?? "{}") as JsonObject ?? []);
        JsonObject? live;
        try
        {
            live = reader.ReadLive(Request(stack.StackId, resource.LogicalId, resource.Type, (JsonObject)expected.DeepClone(), resolve: false),
                new ProvisionedResource(resource.PhysicalId, resource.Attributes));
        }
        catch (AwsException e)
        {
            return new ResourceDriftRecord { Status = StackDrift.Unknown, Reason = e.Message, Timestamp = now, ExpectedProperties = expected.ToJsonString() };
        }
        if (live is null)
            return new ResourceDriftRecord { Status = StackDrift.Deleted, Timestamp = now, ExpectedProperties = expected.ToJsonString() };
        var actual = (JsonObject)expected.DeepClone();
        foreach (var (name, value) in live)
        {
            if (!expected.ContainsKey(name)) continue;
            if (value is null) actual.Remove(name);
            else actual[name] = value.DeepClone();
        }
        var differences = PropertyDrift.Between(expected, actual);
        return new ResourceDriftRecord
        {
            Status = differences.Count > 0 ? StackDrift.Modified : StackDrift.InSync,
            ExpectedProperties = expected.ToJsonString(),
            ActualProperties = actual.ToJsonString(),
            Differences = differences,
            Timestamp = now,
        };
    }
}

/// <summary>The differences between expected and actual properties, with CloudFormation's paths (/Environment/Variables/KEY, /Tags/0/Value) and types.</summary>
public static class PropertyDrift
{
    public const string Add = "ADD";
    public const string Remove = "REMOVE";
    public const string NotEqual = "NOT_EQUAL";

    // Properties are stored evaluated and bounded by the template's own depth limit; this bounds the walk anyway.
    private const int MaxDepth = 64;

    public static List<PropertyDifferenceRecord> Between(JsonObject expected, JsonObject actual)
    {
        var differences = new List<PropertyDifferenceRecord>();
        Compare("", expected, actual, differences, 0);
        return differences;
    }

    private static void Compare(string path, JsonNode? expected, JsonNode? actual, List<PropertyDifferenceRecord> into, int depth)
    {
        if (depth < MaxDepth && expected is JsonObject expectedObject && actual is JsonObject actualObject)
        {
            foreach (var (key, value) in expectedObject)
                if (actualObject.TryGetPropertyValue(key, out var other) && other is not null)
                    Compare($"{path}/{key}", value, other, into, depth + 1);
                else into.Add(new($"{path}/{key}", Text(value), "null", Remove));
            foreach (var (key, value) in actualObject.Where(p => p.Value is not null && !expectedObject.ContainsKey(p.Key)))
                into.Add(new($"{path}/{key}", "null", Text(value), Add));
            return;
        }
        if (depth < MaxDepth && expected is JsonArray expectedList && actual is JsonArray actualList)
        {
            for (var index = 0; index < Math.Max(expectedList.Count, actualList.Count); index++)
                if (index >= actualList.Count) into.Add(new($"{path}/{index}", Text(expectedList[index]), "null", Remove));
                else if (index >= expectedList.Count) into.Add(new($"{path}/{index}", "null", Text(actualList[index]), Add));
                else Compare($"{path}/{index}", expectedList[index], actualList[index], into, depth + 1);
            return;
        }
        // A template's scalars are compared by their text: "128" in YAML and 128 from the service are the same value.
        if (Text(expected) != Text(actual)) into.Add(new(path, Text(expected), Text(actual), NotEqual));
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag ? "true" : "false",
        _ => node.ToJsonString(),
    };
}
