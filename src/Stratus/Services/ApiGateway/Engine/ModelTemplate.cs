using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// GetModelTemplate: the Velocity mapping template AWS generates from a model, which copies a payload into the model's shape. It starts
/// <c>#set($inputRoot = $input.path('$'))</c>, writes each object property as <c>"name" : $inputRoot.name</c> (quoted for strings),
/// and walks arrays with <c>#foreach</c>, separating items with <c>#if($foreach.hasNext),#end</c>. References to other models
/// (<c>https://apigateway.amazonaws.com/restapis/{id}/models/{name}</c>) and to local <c>#/definitions/</c> are followed, to a bounded depth.
/// </summary>
public static partial class ModelTemplate
{
    /// <summary>How deep nested objects, arrays and references are followed; a deeper (or self-referring) schema writes its value as it comes.</summary>
    public const int MaxDepth = 16;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    /// <param name="schema">The model's schema.</param>
    /// <param name="modelNamed">The API's other models' schemas by name, for references to them.</param>
    public static string Generate(JsonObject schema, Func<string, JsonObject?> modelNamed)
    {
        var template = new StringBuilder("#set($inputRoot = $input.path('$'))\n");
        Write(template, schema, schema, "$inputRoot", "", 0, modelNamed);
        return template.Append('\n').ToString();
    }

    private static void Write(StringBuilder template, JsonObject schema, JsonObject root, string value, string indent, int depth, Func<string, JsonObject?> modelNamed)
    {
        if (depth >= MaxDepth)
        {
            template.Append(value);
            return;
        }
        if (Resolve(schema, root, modelNamed) is { } referred)
        {
            // A reference to another model takes that model's own schema as the root its local references resolve against.
            var referredRoot = schema["$ref"]!.GetValue<string>().StartsWith('#') ? root : referred;
            Write(template, referred, referredRoot, value, indent, depth + 1, modelNamed);
            return;
        }
        var type = schema["type"] is JsonValue t && t.TryGetValue<string>(out var named) ? named : schema["properties"] is JsonObject ? "object" : null;
        switch (type)
        {
            case "object" when schema["properties"] is JsonObject properties && properties.Count > 0:
                template.Append("{\n");
                var first = true;
                foreach (var (name, property) in properties)
                {
                    if (!first) template.Append(",\n");
                    first = false;
                    template.Append(indent).Append("  \"").Append(name).Append("\" : ");
                    var member = Identifier().IsMatch(name) ? $"{value}.{name}" : $"{value}.get('{name.Replace("'", "''")}')";
                    if (property is JsonObject propertySchema) Write(template, propertySchema, root, member, indent + "  ", depth + 1, modelNamed);
                    else template.Append(member);
                }
                template.Append('\n').Append(indent).Append('}');
                return;
            case "array":
                var element = $"$elem{depth}";
                template.Append("[\n#foreach(").Append(element).Append(" in ").Append(value).Append(")\n").Append(indent).Append("  ");
                if (schema["items"] is JsonObject items) Write(template, items, root, element, indent + "  ", depth + 1, modelNamed);
                else template.Append(element);
                template.Append("#if($foreach.hasNext),#end\n#end\n").Append(indent).Append(']');
                return;
            case "string":
                template.Append('"').Append(value).Append('"');
                return;
            default:
                template.Append(value);
                return;
        }
    }

    private static JsonObject? Resolve(JsonObject schema, JsonObject root, Func<string, JsonObject?> modelNamed)
    {
        if (schema["$ref"] is not JsonValue reference || !reference.TryGetValue<string>(out var target)) return null;
        if (target.StartsWith("#/definitions/", StringComparison.Ordinal))
            return root["definitions"]?[target["#/definitions/".Length..]] as JsonObject;
        return ModelReference.Name(target) is { } name ? modelNamed(name) : null;
    }
}
