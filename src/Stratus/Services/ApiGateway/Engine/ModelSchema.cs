using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// A model's JSON Schema (draft 4, as API Gateway takes them) checking a request body: type, enum, properties, required,
/// additionalProperties, patternProperties, items, minItems/maxItems, uniqueItems, minLength/maxLength, pattern, minimum/maximum with
/// draft 4's boolean exclusiveMinimum/exclusiveMaximum, multipleOf, minProperties/maxProperties, allOf/anyOf/oneOf/not, local $ref
/// ("#/definitions/...") and references to the API's other models ("https://apigateway.amazonaws.com/restapis/{id}/models/{name}"). Keywords outside that list are ignored as draft 4 says of unknown ones; "format" is not asserted (optional in draft 4).
/// Bounded: schema and document are walked at most <see cref="MaxDepth"/> deep, so a self-referring $ref or a cycle of models cannot run away.
/// </summary>
public static class ModelSchema
{
    public const int MaxDepth = 64;
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The schema a <c>$ref</c>'s local pointers resolve in (the model's own), and the API's other models by name.</summary>
    private sealed record SchemaRoot(JsonObject Schema, Func<string, JsonObject?>? ModelNamed);

    /// <param name="modelNamed">The API's models' schemas by name, for references to them
    /// (<c>https://apigateway.amazonaws.com/restapis/{id}/models/{name}</c>); each one followed counts toward the depth bound, so a cycle ends there.</param>
    public static bool Accepts(JsonObject schema, JsonNode? document, Func<string, JsonObject?>? modelNamed = null) =>
        Check(new SchemaRoot(schema, modelNamed), schema, document, 0);

    private static bool Check(SchemaRoot root, JsonNode? schemaNode, JsonNode? value, int depth)
    {
        if (depth > MaxDepth) return false;
        if (schemaNode is not JsonObject schema) return true;
        if (schema["$ref"] is JsonValue reference)
        {
            var target = reference.GetValue<string>();
            if (ModelReference.Name(target) is { } modelName)
                return root.ModelNamed?.Invoke(modelName) is { } model && Check(root with { Schema = model }, model, value, depth + 1);
            return Resolve(root.Schema, target) is { } local && Check(root, local, value, depth + 1);
        }

        if (schema["type"] is { } type && !TypeMatches(type, value)) return false;
        if (schema["enum"] is JsonArray choices && !choices.Any(choice => JsonNode.DeepEquals(choice, value))) return false;
        if (schema["allOf"] is JsonArray all && !all.All(s => Check(root, s, value, depth + 1))) return false;
        if (schema["anyOf"] is JsonArray any && !any.Any(s => Check(root, s, value, depth + 1))) return false;
        if (schema["oneOf"] is JsonArray one && one.Count(s => Check(root, s, value, depth + 1)) != 1) return false;
        if (schema["not"] is JsonObject not && Check(root, not, value, depth + 1)) return false;

        switch (value)
        {
            case JsonObject obj:
                return ObjectMatches(root, schema, obj, depth);
            case JsonArray array:
                return ArrayMatches(root, schema, array, depth);
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                return StringMatches(schema, scalar.GetValue<string>());
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.Number:
                return NumberMatches(schema, scalar.GetValue<double>());
            default:
                return true;
        }
    }

    private static JsonNode? Resolve(JsonObject root, string reference)
    {
        if (!reference.StartsWith('#')) return null;
        JsonNode? node = root;
        foreach (var part in reference[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            node = node is JsonObject obj ? obj[part.Replace("~1", "/").Replace("~0", "~")] : null;
        return node;
    }

    private static bool TypeMatches(JsonNode type, JsonNode? value) => type switch
    {
        JsonArray types => types.Any(t => t is JsonValue name && IsType(name.GetValue<string>(), value)),
        JsonValue name => IsType(name.GetValue<string>(), value),
        _ => true,
    };

    private static bool IsType(string type, JsonNode? value) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Math.Floor(v.GetValue<double>()) == v.GetValue<double>(),
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "null" => value is null,
        _ => false,
    };

    private static bool ObjectMatches(SchemaRoot root, JsonObject schema, JsonObject obj, int depth)
    {
        if (schema["required"] is JsonArray required && required.Any(name => name is JsonValue n && !obj.ContainsKey(n.GetValue<string>()))) return false;
        if (Number(schema, "minProperties") is { } minProperties && obj.Count < minProperties) return false;
        if (Number(schema, "maxProperties") is { } maxProperties && obj.Count > maxProperties) return false;
        var properties = schema["properties"] as JsonObject;
        var patterns = schema["patternProperties"] as JsonObject;
        foreach (var (name, member) in obj)
        {
            var matched = false;
            if (properties?[name] is { } declared)
            {
                matched = true;
                if (!Check(root, declared, member, depth + 1)) return false;
            }
            foreach (var (pattern, patternSchema) in patterns ?? [])
            {
                if (!Regex.IsMatch(name, pattern, RegexOptions.None, PatternTimeout)) continue;
                matched = true;
                if (!Check(root, patternSchema, member, depth + 1)) return false;
            }
            if (matched) continue;
            switch (schema["additionalProperties"])
            {
                case JsonValue allowed when allowed.GetValueKind() == JsonValueKind.False:
                    return false;
                case JsonObject additional when !Check(root, additional, member, depth + 1):
                    return false;
            }
        }
        return true;
    }

    private static bool ArrayMatches(SchemaRoot root, JsonObject schema, JsonArray array, int depth)
    {
        if (Number(schema, "minItems") is { } minItems && array.Count < minItems) return false;
        if (Number(schema, "maxItems") is { } maxItems && array.Count > maxItems) return false;
        if (schema["uniqueItems"] is JsonValue unique && unique.GetValueKind() == JsonValueKind.True
            && array.Select((item, i) => array.Skip(i + 1).Any(other => JsonNode.DeepEquals(item, other))).Any(duplicate => duplicate)) return false;
        switch (schema["items"])
        {
            case JsonObject items:
                return array.All(item => Check(root, items, item, depth + 1));
            case JsonArray tuple:
                for (var i = 0; i < array.Count; i++)
                {
                    if (i < tuple.Count)
                    {
                        if (!Check(root, tuple[i], array[i], depth + 1)) return false;
                    }
                    else if (schema["additionalItems"] is JsonValue more && more.GetValueKind() == JsonValueKind.False) return false;
                    else if (schema["additionalItems"] is JsonObject moreSchema && !Check(root, moreSchema, array[i], depth + 1)) return false;
                }
                return true;
            default:
                return true;
        }
    }

    private static bool StringMatches(JsonObject schema, string text)
    {
        var length = text.EnumerateRunes().Count();
        if (Number(schema, "minLength") is { } min && length < min) return false;
        if (Number(schema, "maxLength") is { } max && length > max) return false;
        return schema["pattern"] is not JsonValue pattern || Regex.IsMatch(text, pattern.GetValue<string>(), RegexOptions.None, PatternTimeout);
    }

    private static bool NumberMatches(JsonObject schema, double number)
    {
        // Draft 4: exclusiveMinimum/exclusiveMaximum are booleans qualifying minimum/maximum.
        var exclusiveMin = schema["exclusiveMinimum"] is JsonValue em && em.GetValueKind() == JsonValueKind.True;
        var exclusiveMax = schema["exclusiveMaximum"] is JsonValue ex && ex.GetValueKind() == JsonValueKind.True;
        if (Number(schema, "minimum") is { } minimum && (exclusiveMin ? number <= minimum : number < minimum)) return false;
        if (Number(schema, "maximum") is { } maximum && (exclusiveMax ? number >= maximum : number > maximum)) return false;
        if (Number(schema, "multipleOf") is { } step && step > 0 && Math.Abs(Math.IEEERemainder(number, step)) > 1e-9 * Math.Max(1, Math.Abs(number))) return false;
        return true;
    }

    private static double? Number(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;
}
