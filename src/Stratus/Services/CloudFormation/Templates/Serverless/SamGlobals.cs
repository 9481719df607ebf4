using System.Text.Json.Nodes;
using Stratus.Protocols.Json;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// SAM's Globals section: properties shared by every resource of a type, merged under each resource's
/// own as SAM documents it: maps merged key by key, lists with the global items first, and anything
/// else (text, numbers, intrinsic functions) taken from the resource when it sets it.
/// </summary>
public static class SamGlobals
{
    private static readonly Dictionary<string, string> Sections = new(StringComparer.Ordinal)
    {
        ["Function"] = SamTransform.FunctionType,
        ["Api"] = SamTransform.ApiType,
        ["HttpApi"] = "AWS::Serverless::HttpApi",
        ["SimpleTable"] = "AWS::Serverless::SimpleTable",
        ["LayerVersion"] = "AWS::Serverless::LayerVersion",
        ["StateMachine"] = "AWS::Serverless::StateMachine",
    };

    /// <summary>The Globals section by resource type.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Read(JsonNode? globals)
    {
        if (globals is null) return new Dictionary<string, JsonObject>();
        if (globals is not JsonObject sections) throw SamErrors.Document("'Globals' section is invalid. 'Globals' must be a dictionary.");
        var byType = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (name, section) in sections)
        {
            if (!Sections.TryGetValue(name, out var type))
                throw SamErrors.Document($"'Globals' section is invalid. '{name}' is not supported. Must be one of the following values - [{string.Join(", ", Sections.Keys)}]");
            byType[type] = section as JsonObject ?? throw SamErrors.Document($"'Globals' section is invalid. Value of '{name}' must be a dictionary.");
        }
        return byType;
    }

    /// <summary>The resource's properties with the type's globals merged under them (a new object; neither input changes).</summary>
    public static JsonObject Apply(IReadOnlyDictionary<string, JsonObject> globals, string type, JsonObject properties) =>
        globals.TryGetValue(type, out var shared) ? (JsonObject)Merge(shared, properties, 0)! : (JsonObject)properties.DeepClone();

    private static JsonNode? Merge(JsonNode? global, JsonNode? local, int depth)
    {
        // The template reader already holds nesting to this; the bound keeps the recursion honest on its own.
        if (depth > JsonBody.MaxDepth) throw SamErrors.Document("'Globals' section is invalid. It nests too deeply.");
        switch (global, local)
        {
            case (JsonObject g, JsonObject l) when !SamTransform.IsIntrinsic(g) && !SamTransform.IsIntrinsic(l):
                var merged = new JsonObject();
                foreach (var (key, value) in g) merged[key] = l.ContainsKey(key) ? Merge(value, l[key], depth + 1) : value?.DeepClone();
                foreach (var (key, value) in l.Where(p => !g.ContainsKey(p.Key))) merged[key] = value?.DeepClone();
                return merged;
            case (JsonArray g, JsonArray l):
                return new JsonArray(g.Concat(l).Select(item => item?.DeepClone()).ToArray());
            default:
                return local?.DeepClone();
        }
    }
}
