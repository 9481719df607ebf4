using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>An endpoint page's generated content, the method's OpenAPI operation it came from, and the URL try it calls.</summary>
public sealed record DocumentedEndpoint(EndpointContent Content, string RawOperation, string InvokeUrl);

/// <summary>
/// A product REST endpoint page's content as AWS generates it from the REST API: the operation name is the resource path (AWS shows
/// <c>GET /pets</c> as <c>/pets</c>), the endpoint is the stage's invoke URL with the path, and the body documents the method from the
/// stage's OpenAPI 3.0 export: its description, operation id, parameters, request body models and responses, in markdown.
/// </summary>
public static class EndpointDocumentation
{
    private const string AnyMethod = "x-amazon-apigateway-any-method";
    /// <summary>A model's schema is shown up to this many characters, so that a body stays within the model's 32768.</summary>
    private const int MaxSchemaChars = 6000;
    private const int MaxBodyChars = 32768;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The method's documentation, or null when the export has no such method on the path (it is not deployed on the stage).</summary>
    public static DocumentedEndpoint? From(JsonObject export, RestEndpointParts identifier, string invokeUrl)
    {
        var method = identifier.Method.ToUpperInvariant();
        if (export["paths"]?[identifier.Path] is not JsonObject path
            || path[method == "ANY" ? AnyMethod : method.ToLowerInvariant()] is not JsonObject operation) return null;
        var schemas = export["components"]?["schemas"] as JsonObject;
        var body = new StringBuilder();
        body.Append("`").Append(method).Append(' ').Append(identifier.Path).Append("`\n\n");
        if (Text(operation, "summary") is { } summary) body.Append(summary).Append("\n\n");
        if (Text(operation, "description") is { } description) body.Append(description).Append("\n\n");
        if (Text(operation, "operationId") is { } operationId) body.Append("Operation ID: `").Append(operationId).Append("`\n\n");
        AppendParameters(body, operation["parameters"] as JsonArray);
        if (operation["requestBody"]?["content"] is JsonObject requestContent)
        {
            body.Append("## Request body\n\n");
            AppendContent(body, requestContent, schemas);
        }
        AppendResponses(body, operation["responses"] as JsonObject, schemas);
        var text = body.ToString().TrimEnd();
        var content = new EndpointContent
        {
            Body = text.Length > MaxBodyChars ? text[..MaxBodyChars] : text,
            Endpoint = invokeUrl,
            OperationName = identifier.Path,
        };
        return new DocumentedEndpoint(content, operation.ToJsonString(), invokeUrl);
    }

    private static void AppendParameters(StringBuilder body, JsonArray? parameters)
    {
        if (parameters is not { Count: > 0 }) return;
        body.Append("## Parameters\n\n| Name | In | Required | Type |\n| --- | --- | --- | --- |\n");
        foreach (var parameter in parameters.OfType<JsonObject>())
            body.Append("| ").Append(Cell(Text(parameter, "name"))).Append(" | ").Append(Cell(Text(parameter, "in")))
                .Append(" | ").Append(parameter["required"] is JsonValue v && v.TryGetValue<bool>(out var required) && required ? "yes" : "no")
                .Append(" | ").Append(Cell(parameter["schema"]?["type"] is JsonValue t ? t.ToString() : "string")).Append(" |\n");
        body.Append('\n');
    }

    private static void AppendResponses(StringBuilder body, JsonObject? responses, JsonObject? schemas)
    {
        if (responses is not { Count: > 0 }) return;
        body.Append("## Responses\n\n");
        foreach (var (status, node) in responses)
        {
            body.Append("### ").Append(status).Append("\n\n");
            if (node is JsonObject response && response["content"] is JsonObject content) AppendContent(body, content, schemas);
        }
    }

    /// <summary>Each media type with its model's name and schema, as the export's components give it.</summary>
    private static void AppendContent(StringBuilder body, JsonObject content, JsonObject? schemas)
    {
        foreach (var (mediaType, node) in content)
        {
            var reference = Text(node?["schema"] as JsonObject, "$ref");
            var model = reference?[(reference.LastIndexOf('/') + 1)..];
            body.Append("`").Append(mediaType).Append('`');
            if (model is not null) body.Append(": model `").Append(model).Append('`');
            body.Append("\n\n");
            if (model is not null && schemas?[model] is { } schema)
            {
                var text = schema.ToJsonString(Indented);
                body.Append("```json\n").Append(text.Length > MaxSchemaChars ? text[..MaxSchemaChars] + "\n..." : text).Append("\n```\n\n");
            }
        }
    }

    private static string? Text(JsonObject? o, string name) => o?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|", StringComparison.Ordinal);
}
