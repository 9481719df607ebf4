using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// One REST API request as its stage's access log sees it: the <c>$context</c> a mapping template sees (request, identity,
/// authorizer), plus what only the answer knows: <c>status</c>, <c>responseLength</c>, <c>responseLatency</c>,
/// <c>integrationLatency</c>, <c>error.message</c>, <c>error.responseType</c> and <c>isCanaryRequest</c>.
/// </summary>
public sealed class AccessLogEntry(RequestContext run, bool routed, bool isCanary, GatewayResponse response, string? refusalType,
    TimeSpan latency, TimeSpan integrationLatency, bool integrated)
{
    private Dictionary<string, object?>? _context;

    /// <summary>A variable's value by its name without the '$' ("context.requestId"), or null when it has none.</summary>
    public string? Value(string variable)
    {
        var name = variable.StartsWith("context.", StringComparison.Ordinal) ? variable["context.".Length..] : variable;
        switch (name)
        {
            case "status": return Number(response.StatusCode);
            case "responseLength": return Number(response.Body.Length);
            case "responseLatency": return Number((long)latency.TotalMilliseconds);
            case "integrationLatency" or "integration.latency": return integrated ? Number((long)integrationLatency.TotalMilliseconds) : null;
            case "error.responseType": return refusalType;
            case "error.message": return refusalType is null ? null : ErrorMessage();
            case "error.messageString": return refusalType is null ? null : JsonValue.Create(ErrorMessage() ?? "").ToJsonString();
            case "isCanaryRequest": return isCanary ? "true" : "false";
            case "resourceId" or "resourcePath" when !routed: return null;
        }
        object? value = _context ??= run.ContextVariable();
        foreach (var part in name.Split('.')) value = value is Dictionary<string, object?> map ? map.GetValueOrDefault(part) : null;
        return value is null ? null : VtlValues.ToText(value);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The message of the gateway's own answer: <c>message</c>, or the <c>Message</c> an authorizer's denial carries.</summary>
    private string? ErrorMessage()
    {
        try
        {
            var body = JsonNode.Parse(response.Body) as JsonObject;
            return (body?["message"] ?? body?["Message"]) is JsonValue message ? message.ToString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
