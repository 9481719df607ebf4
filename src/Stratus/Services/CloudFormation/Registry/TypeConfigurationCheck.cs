using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Registry;

/// <summary>
/// Checks a SetTypeConfiguration document against the schema's typeConfiguration with the JSON Schema keywords resource
/// schemas use there: type, properties, required, additionalProperties false, enum, items, and $ref to the schema's own
/// #/definitions. Other keywords are not checked. References and nesting are depth-bounded. The first violation found is
/// answered, in the validator's style ("#/Credentials: required key [ApiKey] not found"; the wording is Stratus's).
/// </summary>
public static class TypeConfigurationCheck
{
    private const int MaxDepth = 32;

    /// <summary>The violation, or null when the configuration conforms.</summary>
    public static string? Violation(JsonNode? configuration, JsonObject configurationSchema, JsonObject resourceSchema) =>
        Check(configuration, configurationSchema, resourceSchema, "#", 0);

    private static string? Check(JsonNode? value, JsonObject schema, JsonObject root, string path, int depth)
    {
        if (depth > MaxDepth) return $"{path}: the schema nests deeper than {MaxDepth} levels";
        if (schema["$ref"] is JsonValue reference)
        {
            var target = reference.GetValue<string>();
            var resolved = target.StartsWith("#/definitions/", StringComparison.Ordinal) ? root["definitions"]?[target["#/definitions/".Length..]] as JsonObject : null;
            return resolved is null ? $"{path}: reference {target} is not a definition of the schema" : Check(value, resolved, root, path, depth + 1);
        }
        if (schema["type"] is JsonValue type && !IsOfType(value, type.GetValue<string>()))
            return $"{path}: expected type: {type.GetValue<string>()}, found: {KindName(value)}";
        if (schema["enum"] is JsonArray choices && !choices.Any(c => JsonNode.DeepEquals(c, value)))
            return $"{path}: {value?.ToJsonString()} is not a valid enum value";
        if (value is JsonObject obj)
        {
            var properties = schema["properties"] as JsonObject ?? [];
            foreach (var required in schema["required"] as JsonArray ?? [])
                if (required?.GetValue<string>() is { } key && !obj.ContainsKey(key)) return $"{path}: required key [{key}] not found";
            foreach (var (key, member) in obj)
            {
                if (properties[key] is JsonObject memberSchema)
                {
                    if (Check(member, memberSchema, root, $"{path}/{key}", depth + 1) is { } violation) return violation;
                }
                else if (schema["additionalProperties"] is JsonValue additional && additional.GetValueKind() == JsonValueKind.False)
                    return $"{path}: extraneous key [{key}] is not permitted";
            }
        }
        if (value is JsonArray array && schema["items"] is JsonObject items)
            for (var i = 0; i < array.Count; i++)
                if (Check(array[i], items, root, $"{path}/{i}", depth + 1) is { } violation) return violation;
        return null;
    }

    private static bool IsOfType(JsonNode? value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out _),
        "null" => value is null,
        _ => true,
    };

    private static string KindName(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "boolean",
        },
    };
}
