using System.Text;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>A response the data plane made itself, with the gateway response type that customizes it.</summary>
public sealed record TypedRefusal(string Type, GatewayResponse Response);

/// <summary>
/// API Gateway's gateway response types with their default status codes (DEFAULT_4XX and DEFAULT_5XX have none: they stand for
/// every type of their class), and the customizing of a response the data plane produced itself: the type's own gateway response,
/// else DEFAULT_4XX or DEFAULT_5XX, sets the status code, adds headers from <c>gatewayresponse.header.*</c> parameters with static
/// ('quoted') values, and renders the body from the response template for application/json, where <c>$context.error.message</c>,
/// <c>$context.error.messageString</c>, <c>$context.error.responseType</c> and <c>$context.requestId</c> are replaced.
/// </summary>
public static class GatewayResponseTypes
{
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["ACCESS_DENIED"] = "403", ["API_CONFIGURATION_ERROR"] = "500", ["AUTHORIZER_CONFIGURATION_ERROR"] = "500",
        ["AUTHORIZER_FAILURE"] = "500", ["BAD_REQUEST_PARAMETERS"] = "400", ["BAD_REQUEST_BODY"] = "400",
        ["DEFAULT_4XX"] = null, ["DEFAULT_5XX"] = null, ["EXPIRED_TOKEN"] = "403", ["INTEGRATION_FAILURE"] = "504",
        ["INTEGRATION_TIMEOUT"] = "504", ["INVALID_API_KEY"] = "403", ["INVALID_SIGNATURE"] = "403",
        ["MISSING_AUTHENTICATION_TOKEN"] = "403", ["QUOTA_EXCEEDED"] = "429", ["REQUEST_TOO_LARGE"] = "413",
        ["RESOURCE_NOT_FOUND"] = "404", ["THROTTLED"] = "429", ["UNAUTHORIZED"] = "401", ["UNSUPPORTED_MEDIA_TYPE"] = "415",
        ["WAF_FILTERED"] = "403",
    };

    /// <summary>The template AWS's default gateway responses carry.</summary>
    public const string DefaultTemplate = "{\"message\":$context.error.messageString}";

    /// <summary>The default, uncustomized gateway response of a type, as GetGatewayResponse(s) show it.</summary>
    public static ApiGatewayResponse Default(string type) => new()
    {
        ResponseType = type,
        StatusCode = Defaults[type],
        ResponseParameters = [],
        ResponseTemplates = new() { ["application/json"] = DefaultTemplate },
        DefaultResponse = true,
    };

    /// <summary>The response the data plane made for <paramref name="type"/>, customized as the deployment's gateway responses say.</summary>
    public static GatewayResponse Customize(DeploymentDocument deployment, string type, GatewayResponse response, string requestId)
    {
        var custom = deployment.GatewayResponses.GetValueOrDefault(type)
            ?? deployment.GatewayResponses.GetValueOrDefault(response.StatusCode >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX");
        if (custom is null) return response;
        var status = int.TryParse(custom.StatusCode, out var code) ? code : response.StatusCode;
        var headers = new List<KeyValuePair<string, string>>(response.Headers);
        foreach (var (name, value) in custom.ResponseParameters ?? [])
        {
            const string Prefix = "gatewayresponse.header.";
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || value.Length < 2 || value[0] != '\'' || value[^1] != '\'') continue;
            headers.RemoveAll(h => string.Equals(h.Key, name[Prefix.Length..], StringComparison.OrdinalIgnoreCase));
            headers.Add(new(name[Prefix.Length..], value[1..^1]));
        }
        var body = response.Body;
        if (custom.ResponseTemplates?.GetValueOrDefault("application/json") is { } template)
        {
            // An authorizer's denial carries AWS's capitalized "Message"; an authorizer failure a null message.
            var answer = JsonNode.Parse(response.BodyText) as JsonObject;
            var message = (answer?["message"] ?? answer?["Message"]) is JsonValue text ? text.ToString() : "";
            body = Encoding.UTF8.GetBytes(template
                .Replace("$context.error.messageString", MappingJson.Write(JsonValue.Create(message)))
                .Replace("$context.error.message", message)
                .Replace("$context.error.responseType", type)
                .Replace("$context.requestId", requestId));
        }
        return new GatewayResponse(status, headers, body);
    }
}
