using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The Lambda proxy integration's contract (payload format version 1.0): the event a function receives
/// for a method request, and the response object it must answer with.
/// </summary>
internal static class LambdaProxyContract
{
    public static JsonObject Event(RequestContext run)
    {
        var request = run.Request;
        JsonObject? Single(IEnumerable<KeyValuePair<string, string>> pairs)
        {
            var obj = new JsonObject();
            foreach (var (k, v) in pairs) obj[k] = v;
            return obj.Count == 0 ? null : obj;
        }
        JsonObject? Multi(IEnumerable<KeyValuePair<string, string>> pairs)
        {
            var groups = pairs.GroupBy(p => p.Key).ToList();
            return groups.Count == 0 ? null : new JsonObject(groups.Select(g =>
                new KeyValuePair<string, JsonNode?>(g.Key, new JsonArray(g.Select(p => (JsonNode?)JsonValue.Create(p.Value)).ToArray()))));
        }
        var binary = run.Target.IsBinary(run.Header("Content-Type"));
        var body = request.Body.Length == 0 ? null : binary ? Convert.ToBase64String(request.Body) : Encoding.UTF8.GetString(request.Body);
        var requestContext = new JsonObject
        {
            ["resourceId"] = run.Route.Resource.Id,
            ["resourcePath"] = run.Route.Resource.Path,
            ["httpMethod"] = request.HttpMethod,
            ["extendedRequestId"] = run.RequestId,
            ["requestTime"] = run.RequestTime,
            ["path"] = "/" + run.Target.StageName + request.Path,
            ["accountId"] = run.Target.AccountId,
            ["protocol"] = "HTTP/1.1",
            ["stage"] = run.Target.StageName,
            ["domainPrefix"] = run.Target.ApiId,
            ["requestTimeEpoch"] = run.Start.ToUnixTimeMilliseconds(),
            ["requestId"] = run.RequestId,
            ["identity"] = new JsonObject
            {
                ["cognitoIdentityPoolId"] = null, ["accountId"] = request.Caller?.AccountId, ["cognitoIdentityId"] = null, ["caller"] = request.Caller?.Caller,
                ["sourceIp"] = request.SourceIp, ["principalOrgId"] = null, ["accessKey"] = request.Caller?.AccessKey, ["cognitoAuthenticationType"] = null,
                ["cognitoAuthenticationProvider"] = null, ["userArn"] = request.Caller?.UserArn, ["userAgent"] = run.Header("User-Agent"), ["user"] = request.Caller?.Caller,
                ["apiKey"] = request.ApiKey,
            },
            ["domainName"] = run.Target.DomainName,
            ["apiId"] = run.Target.ApiId,
        };
        if (request.ClientCert is { } clientCert) ((JsonObject)requestContext["identity"]!)["clientCert"] = clientCert.ToJson();
        // A Lambda authorizer's principal and context reach the function here, as AWS passes them.
        if (request.Authorizer is { } authorizer) requestContext["authorizer"] = authorizer.ProxyContext();
        return new JsonObject
        {
            ["resource"] = run.Route.Resource.Path,
            ["path"] = request.Path,
            ["httpMethod"] = request.HttpMethod,
            ["headers"] = Single(request.Headers),
            ["multiValueHeaders"] = Multi(request.Headers),
            ["queryStringParameters"] = Single(request.Query),
            ["multiValueQueryStringParameters"] = Multi(request.Query),
            ["pathParameters"] = Single(run.Route.PathParameters),
            ["stageVariables"] = Single(run.Target.StageVariables),
            ["requestContext"] = requestContext,
            ["body"] = body,
            ["isBase64Encoded"] = binary && body is not null,
        };
    }

    private static readonly HashSet<string> ProxyResponseMembers = ["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"];

    /// <summary>The proxy response contract; null when the function answered anything else.</summary>
    public static GatewayResponse? Response(JsonPayload answer)
    {
        if (answer.Object is not { } response || response.Any(p => !ProxyResponseMembers.Contains(p.Key))) return null;
        int status;
        switch (response["statusCode"])
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n): status = n; break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), out var n): status = n; break;
            default: return null;
        }
        if (status is < 100 or > 599) return null;
        var headers = new List<KeyValuePair<string, string>>();
        if (response["headers"] is { } single)
        {
            if (single is not JsonObject singleHeaders) return null;
            foreach (var (name, value) in singleHeaders)
            {
                if (value is not JsonValue scalar || scalar.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array) return null;
                headers.Add(new(name, scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : scalar.ToJsonString()));
            }
        }
        if (response["multiValueHeaders"] is { } multi)
        {
            if (multi is not JsonObject multiHeaders) return null;
            foreach (var (name, values) in multiHeaders)
            {
                if (values is not JsonArray list) return null;
                headers.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
                headers.AddRange(list.Select(v => new KeyValuePair<string, string>(name, v is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : v?.ToJsonString() ?? "")));
            }
        }
        var base64 = false;
        if (response["isBase64Encoded"] is { } flag)
        {
            if (flag is not JsonValue b || b.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) return null;
            base64 = b.GetValue<bool>();
        }
        byte[] body = [];
        if (response["body"] is { } bodyNode)
        {
            if (bodyNode is not JsonValue bodyValue || bodyValue.GetValueKind() != JsonValueKind.String) return null;
            var bodyText = bodyValue.GetValue<string>();
            try
            {
                body = base64 ? Convert.FromBase64String(bodyText) : Encoding.UTF8.GetBytes(bodyText);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        if (!headers.Any(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)))
            headers.Add(new("Content-Type", "application/json"));
        return new GatewayResponse(status, headers, body);
    }
}
