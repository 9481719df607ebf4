using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>What a patchable top-level member of a wire shape holds, so string patch values get their type.</summary>
public enum PatchKind { Text, Boolean, Integer, TextMap, BooleanMap, TextList }

/// <summary>
/// API Gateway's Update* operations: JSON-patch-like operations applied to a resource's wire shape.
/// Only the members a resource declares patchable may be touched; anything else is AWS's BadRequest.
/// </summary>
public static class PatchDocument
{
    public static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static T Apply<T>(T target, IReadOnlyList<PatchOperation> operations, IReadOnlyDictionary<string, PatchKind> patchable)
    {
        var doc = JsonSerializer.SerializeToNode(target, Wire)!.AsObject();
        foreach (var operation in operations) Apply(doc, operation, patchable);
        return doc.Deserialize<T>(Wire)!;
    }

    /// <summary>Splits "/a/b~1c" into ["a", "b/c"] as JSON pointer escapes say.</summary>
    private static string[] Segments(string path) =>
        path.TrimStart('/').Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray();

    public static AwsException InvalidPath(PatchOperation operation, IEnumerable<string>? patchable = null) =>
        ApiGatewayErrors.BadRequest($"Invalid patch path '{operation.Path}' specified for op '{operation.Op}'."
            + (patchable is null ? "" : $" Must be one of: [{string.Join(", ", patchable.Select(p => "/" + p))}]"));

    private static void Apply(JsonObject doc, PatchOperation operation, IReadOnlyDictionary<string, PatchKind> patchable)
    {
        if (operation.Op is not ("add" or "remove" or "replace"))
            throw ApiGatewayErrors.BadRequest($"Invalid patch operation specified. Must be 'add'|'remove'|'replace'");
        if (string.IsNullOrEmpty(operation.Path) || !operation.Path.StartsWith('/')) throw InvalidPath(operation, patchable.Keys);
        var segments = Segments(operation.Path);
        if (!patchable.TryGetValue(segments[0], out var kind)) throw InvalidPath(operation, patchable.Keys);
        var member = segments[0];
        var key = segments.Length > 1 ? string.Join('/', segments[1..]) : null;
        switch (kind)
        {
            case PatchKind.Text or PatchKind.Boolean or PatchKind.Integer:
                if (key is not null) throw InvalidPath(operation);
                doc[member] = operation.Op == "remove" ? null : Scalar(kind, operation);
                break;
            case PatchKind.TextMap or PatchKind.BooleanMap:
                if (key is null) throw InvalidPath(operation);
                var map = doc[member] as JsonObject ?? [];
                if (operation.Op == "remove") map.Remove(key);
                else map[key] = Scalar(kind == PatchKind.BooleanMap ? PatchKind.Boolean : PatchKind.Text, operation);
                doc[member] = map;
                break;
            case PatchKind.TextList:
                var list = doc[member] as JsonArray ?? [];
                var item = key ?? operation.Value ?? throw InvalidPath(operation);
                foreach (var existing in list.Where(n => n?.GetValue<string>() == item).ToList()) list.Remove(existing);
                if (operation.Op != "remove") list.Add(item);
                doc[member] = list;
                break;
        }
    }

    private static JsonNode? Scalar(PatchKind kind, PatchOperation operation)
    {
        var value = operation.Value;
        return kind switch
        {
            PatchKind.Boolean when bool.TryParse(value, out var b) => JsonValue.Create(b),
            PatchKind.Integer when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            PatchKind.Text => value is null ? null : JsonValue.Create(value),
            _ => throw ApiGatewayErrors.BadRequest($"Invalid value '{value}' for patch path '{operation.Path}'"),
        };
    }
}
