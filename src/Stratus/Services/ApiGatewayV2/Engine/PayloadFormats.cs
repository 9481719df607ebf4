using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// Lambda proxy payload format 2.0 for HTTP APIs, as AWS documents it: the event (rawPath, rawQueryString,
/// cookies, comma-joined headers and query values, requestContext.http) and the response, which is either
/// the structured {statusCode, headers, cookies, body, isBase64Encoded} or any other JSON, answered as a
/// 200 application/json body.
/// </summary>
public static class PayloadFormat2
{
    public static JsonObject Event(HttpApiRun run)
    {
        var request = run.Request;
        var route = run.Route!;
        var (body, base64) = Body(request);
        var @event = new JsonObject
        {
            ["version"] = "2.0",
            ["routeKey"] = route.Route.RouteKey,
            ["rawPath"] = request.RawPath,
            ["rawQueryString"] = request.RawQueryString,
        };
        if (request.Cookies is { Count: > 0 } cookies) @event["cookies"] = new JsonArray([.. cookies.Select(c => (JsonNode)c)]);
        @event["headers"] = Joined(request.Headers.Where(h => !string.Equals(h.Key, "Cookie", StringComparison.OrdinalIgnoreCase)), lowerCaseNames: true);
        if (request.Query.Count > 0) @event["queryStringParameters"] = Joined(request.Query, lowerCaseNames: false);
        var context = new JsonObject
        {
            ["accountId"] = run.Stage.AccountId,
            ["apiId"] = run.Stage.Api.ApiId,
        };
        if (run.Authorizer is { } authorizer) context["authorizer"] = authorizer.Format2.DeepClone();
        // An AWS_IAM route's signer, as AWS gives it in format 2.0.
        if (run.Caller is { } caller)
            context["authorizer"] = new JsonObject
            {
                ["iam"] = new JsonObject
                {
                    ["accessKey"] = caller.AccessKey, ["accountId"] = caller.AccountId, ["callerId"] = caller.Caller, ["cognitoIdentity"] = null,
                    ["principalOrgId"] = null, ["userArn"] = caller.UserArn, ["userId"] = caller.Caller,
                },
            };
        // A mutual TLS domain's verified client certificate, where AWS puts it in format 2.0.
        if (request.ClientCert is { } clientCert) context["authentication"] = new JsonObject { ["clientCert"] = clientCert.ToJson() };
        context["domainName"] = request.DomainName;
        context["domainPrefix"] = request.DomainName.Split('.')[0];
        context["http"] = new JsonObject
        {
            ["method"] = request.Method,
            ["path"] = request.RawPath,
            ["protocol"] = "HTTP/1.1",
            ["sourceIp"] = request.SourceIp,
            ["userAgent"] = request.Header("User-Agent") ?? "",
        };
        context["requestId"] = request.RequestId;
        context["routeKey"] = route.Route.RouteKey;
        context["stage"] = run.Stage.Stage.StageName;
        context["time"] = request.Time;
        context["timeEpoch"] = request.Start.ToUnixTimeMilliseconds();
        @event["requestContext"] = context;
        if (body is not null) @event["body"] = body;
        if (route.PathParameters.Count > 0) @event["pathParameters"] = Map(route.PathParameters);
        @event["isBase64Encoded"] = base64;
        if (run.Stage.Stage.StageVariables.Count > 0) @event["stageVariables"] = Map(run.Stage.Stage.StageVariables);
        return @event;
    }

    /// <summary>The body as the event carries it: text as is, anything else base64-encoded (AWS decides by content type).</summary>
    internal static (string? Body, bool Base64) Body(HttpApiRequest request)
    {
        if (request.Body.Length == 0) return (null, false);
        return IsText(request.Header("Content-Type")) ? (Encoding.UTF8.GetString(request.Body), false) : (Convert.ToBase64String(request.Body), true);
    }

    private static bool IsText(string? contentType)
    {
        if (contentType is null) return false;
        var media = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return media.StartsWith("text/", StringComparison.Ordinal) || media.EndsWith("/json", StringComparison.Ordinal) || media.EndsWith("+json", StringComparison.Ordinal)
            || media.EndsWith("/xml", StringComparison.Ordinal) || media.EndsWith("+xml", StringComparison.Ordinal)
            || media is "application/javascript" or "application/x-www-form-urlencoded" or "application/yaml" or "application/graphql";
    }

    /// <summary>Repeated names joined with commas, as payload 2.0 carries headers and query parameters.</summary>
    private static JsonObject Joined(IEnumerable<KeyValuePair<string, string>> pairs, bool lowerCaseNames)
    {
        var joined = new JsonObject();
        foreach (var group in pairs.GroupBy(p => lowerCaseNames ? p.Key.ToLowerInvariant() : p.Key, StringComparer.Ordinal))
            joined[group.Key] = string.Join(',', group.Select(p => p.Value));
        return joined;
    }

    internal static JsonObject Map(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));

    /// <summary>The function's answer as the caller's response; null when it cannot be read (AWS answers 500).</summary>
    public static HttpApiResponse? Response(ReadOnlySpan<byte> payload)
    {
        JsonNode? answer;
        try
        {
            answer = Stratus.Protocols.Json.JsonBody.Parse(payload);
        }
        catch (JsonException)
        {
            return null;
        }
        if (answer is JsonObject structured && structured.ContainsKey("statusCode")) return Structured(structured);
        // Valid JSON without a statusCode: AWS assumes 200, application/json, and the JSON (a string's own value) as the body.
        var body = answer is JsonValue text && text.GetValueKind() == JsonValueKind.String ? Encoding.UTF8.GetBytes(text.GetValue<string>()) : payload.ToArray();
        return new HttpApiResponse(200, [new("Content-Type", "application/json")], body);
    }

    private static HttpApiResponse? Structured(JsonObject response)
    {
        var status = response["statusCode"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) => n,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), out var n) => n,
            _ => -1,
        };
        if (status is < 100 or > 599) return null;
        var headers = new List<KeyValuePair<string, string>>();
        if (response["headers"] is JsonObject single)
            foreach (var (name, value) in single)
                if (value is JsonValue scalar) headers.Add(new(name, scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : scalar.ToJsonString()));
        if (response["multiValueHeaders"] is JsonObject multi)
            foreach (var (name, values) in multi)
                if (values is JsonArray list) headers.AddRange(list.OfType<JsonValue>().Select(v => new KeyValuePair<string, string>(name, v.ToString())));
        if (response["cookies"] is JsonArray cookies)
            headers.AddRange(cookies.OfType<JsonValue>().Select(c => new KeyValuePair<string, string>("Set-Cookie", c.ToString())));
        var base64 = response["isBase64Encoded"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
        byte[] body = [];
        if (response["body"] is JsonValue bodyValue)
        {
            var text = bodyValue.GetValueKind() == JsonValueKind.String ? bodyValue.GetValue<string>() : bodyValue.ToJsonString();
            try
            {
                body = base64 ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        else if (response["body"] is JsonNode structuredBody)
            body = Encoding.UTF8.GetBytes(structuredBody.ToJsonString());
        if (!headers.Any(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)))
            headers.Add(new("Content-Type", "application/json"));
        return new HttpApiResponse(status, headers, body);
    }
}

/// <summary>Lambda proxy payload format 1.0 as HTTP APIs send it: REST APIs' proxy event with "version": "1.0", and the same response contract.</summary>
public static class PayloadFormat1
{
    public static JsonObject Event(HttpApiRun run)
    {
        var request = run.Request;
        var route = run.Route!;
        var (body, base64) = PayloadFormat2.Body(request);
        var routeKey = route.Route.RouteKey;
        var resource = routeKey == "$default" ? "$default" : routeKey[(routeKey.IndexOf(' ') + 1)..];
        JsonObject? Single(IReadOnlyList<KeyValuePair<string, string>> pairs) =>
            pairs.Count == 0 ? null : new JsonObject(pairs.GroupBy(p => p.Key).Select(g => new KeyValuePair<string, JsonNode?>(g.Key, g.Last().Value)));
        JsonObject? Multi(IReadOnlyList<KeyValuePair<string, string>> pairs) =>
            pairs.Count == 0 ? null : new JsonObject(pairs.GroupBy(p => p.Key).Select(g =>
                new KeyValuePair<string, JsonNode?>(g.Key, new JsonArray([.. g.Select(p => (JsonNode)p.Value)]))));
        var context = new JsonObject
        {
            ["accountId"] = run.Stage.AccountId,
            ["apiId"] = run.Stage.Api.ApiId,
            ["domainName"] = request.DomainName,
            ["domainPrefix"] = request.DomainName.Split('.')[0],
            ["extendedRequestId"] = request.RequestId,
            ["httpMethod"] = request.Method,
            ["identity"] = new JsonObject
            {
                ["accessKey"] = run.Caller?.AccessKey, ["accountId"] = run.Caller?.AccountId, ["caller"] = run.Caller?.Caller, ["cognitoAuthenticationProvider"] = null,
                ["cognitoAuthenticationType"] = null, ["cognitoIdentityId"] = null, ["cognitoIdentityPoolId"] = null, ["principalOrgId"] = null,
                ["sourceIp"] = request.SourceIp, ["user"] = run.Caller?.Caller, ["userAgent"] = request.Header("User-Agent") ?? "", ["userArn"] = run.Caller?.UserArn,
            },
            ["path"] = request.RawPath,
            ["protocol"] = "HTTP/1.1",
            ["requestId"] = request.RequestId,
            ["requestTime"] = request.Time,
            ["requestTimeEpoch"] = request.Start.ToUnixTimeMilliseconds(),
            ["resourceId"] = routeKey,
            ["resourcePath"] = resource,
            ["stage"] = run.Stage.Stage.StageName,
        };
        if (run.Authorizer is { } authorizer) context["authorizer"] = authorizer.Format1.DeepClone();
        if (request.ClientCert is { } clientCert) ((JsonObject)context["identity"]!)["clientCert"] = clientCert.ToJson();
        return new JsonObject
        {
            ["version"] = "1.0",
            ["resource"] = resource,
            ["path"] = request.RawPath,
            ["httpMethod"] = request.Method,
            ["headers"] = Single(request.Headers),
            ["multiValueHeaders"] = Multi(request.Headers),
            ["queryStringParameters"] = Single(request.Query),
            ["multiValueQueryStringParameters"] = Multi(request.Query),
            ["requestContext"] = context,
            ["pathParameters"] = route.PathParameters.Count == 0 ? null : PayloadFormat2.Map(route.PathParameters),
            ["stageVariables"] = run.Stage.Stage.StageVariables.Count == 0 ? null : PayloadFormat2.Map(run.Stage.Stage.StageVariables),
            ["body"] = body,
            ["isBase64Encoded"] = base64,
        };
    }

    /// <summary>The proxy response contract REST APIs read (statusCode, headers, multiValueHeaders, body, isBase64Encoded); null when malformed.</summary>
    public static HttpApiResponse? Response(ReadOnlySpan<byte> payload) =>
        LambdaProxyContract.Response(new JsonPayload(Encoding.UTF8.GetString(payload))) is { } response
            ? new HttpApiResponse(response.StatusCode, response.Headers, response.Body)
            : null;
}
