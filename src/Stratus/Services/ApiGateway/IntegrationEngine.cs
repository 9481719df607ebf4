using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGateway;

/// <summary>A method request as the client sent it, the stage prefix already removed from the path.</summary>
public sealed record GatewayRequest(
    string HttpMethod,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    string SourceIp);

/// <summary>Which API and stage a request runs in.</summary>
public sealed record GatewayTarget(string AccountId, string Region, string ApiId, string StageName,
    IReadOnlyDictionary<string, string> StageVariables, string DomainName)
{
    /// <summary>The API's binary media types ("image/png", "image/*", "*/*"): such bodies reach proxy functions base64-encoded.</summary>
    public IReadOnlyList<string> BinaryMediaTypes { get; init; } = [];

    public bool IsBinary(string? contentType)
    {
        var type = contentType?.Split(';')[0].Trim();
        if (string.IsNullOrEmpty(type)) return false;
        var slash = type.IndexOf('/');
        return BinaryMediaTypes.Any(binary => binary == "*/*" || string.Equals(binary, type, StringComparison.OrdinalIgnoreCase)
            || binary.EndsWith("/*", StringComparison.Ordinal) && slash > 0 && string.Equals(binary[..^1], type[..(slash + 1)], StringComparison.OrdinalIgnoreCase));
    }
}

public sealed class GatewayResponse(int statusCode, List<KeyValuePair<string, string>> headers, byte[] body)
{
    public int StatusCode { get; } = statusCode;
    public List<KeyValuePair<string, string>> Headers { get; } = headers;
    public byte[] Body { get; } = body;
    public string BodyText => Encoding.UTF8.GetString(Body);

    public static GatewayResponse Message(int status, string message, string? errorType = null)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Content-Type", "application/json") };
        if (errorType is not null) headers.Add(new("x-amzn-ErrorType", errorType));
        return new GatewayResponse(status, headers, Encoding.UTF8.GetBytes(MappingJson.Write(new JsonObject { ["message"] = message })));
    }

    public static GatewayResponse InternalServerError() => Message(500, "Internal server error", "InternalServerErrorException");
}

/// <summary>What running a method produced, with how long the integration took and the execution log.</summary>
public sealed record IntegrationOutcome(GatewayResponse Response, TimeSpan IntegrationLatency, IReadOnlyList<string> Log);

/// <summary>
/// Runs a method's integration: MOCK, HTTP and HTTP_PROXY, AWS (Lambda with mapping templates and
/// selection patterns) and AWS_PROXY (Lambda with the version 1.0 proxy event and response contract).
/// </summary>
public sealed class IntegrationEngine(ILambdaInvoker lambda, HttpClient http, TimeProvider clock)
{
    public const string ServicePrincipal = "apigateway.amazonaws.com";

    private sealed class Run(GatewayTarget target, MatchedRoute route, GatewayRequest request, string requestId, TimeProvider clock)
    {
        public DateTimeOffset Start { get; } = clock.GetUtcNow();
        public GatewayTarget Target { get; } = target;
        public MatchedRoute Route { get; } = route;
        public GatewayRequest Request { get; } = request;
        public string RequestId { get; } = requestId;
        public Integration Integration => Route.Method.MethodIntegration!;
        public List<string> Log { get; } = [];
        public TimeSpan IntegrationLatency { get; set; }

        public string? Header(string name) =>
            Request.Headers.LastOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        public void Write(string line) =>
            Log.Add(clock.GetUtcNow().ToString("ddd MMM dd HH:mm:ss", CultureInfo.InvariantCulture) + $" UTC {RequestId} : {line}");
    }

    public async Task<IntegrationOutcome> ExecuteAsync(GatewayTarget target, MatchedRoute route, GatewayRequest request, string requestId, CancellationToken cancellation)
    {
        var run = new Run(target, route, request, requestId, clock);
        run.Write($"Starting execution for request: {requestId}");
        run.Write($"HTTP Method: {request.HttpMethod}, Resource Path: {request.Path}");
        GatewayResponse response;
        if (route.Method.MethodIntegration is null)
        {
            run.Write("Execution failed due to configuration error: No integration defined for method");
            response = GatewayResponse.InternalServerError();
        }
        else
        {
            try
            {
                response = route.Method.MethodIntegration.Type switch
                {
                    "MOCK" => await MockAsync(run),
                    "HTTP_PROXY" => await HttpProxyAsync(run, cancellation),
                    "HTTP" => await HttpAsync(run, cancellation),
                    "AWS" => await LambdaAsync(run, cancellation),
                    "AWS_PROXY" => await LambdaProxyAsync(run, cancellation),
                    var other => throw new GatewayFailure($"Execution failed due to configuration error: unsupported integration type {other}"),
                };
            }
            catch (GatewayFailure failure)
            {
                run.Write(failure.Message);
                response = failure.Response ?? GatewayResponse.InternalServerError();
            }
            catch (VtlException e)
            {
                run.Write($"Execution failed due to configuration error: mapping template failed: {e.Message}");
                response = GatewayResponse.InternalServerError();
            }
        }
        run.Write($"Method completed with status: {response.StatusCode}");
        return new IntegrationOutcome(response, run.IntegrationLatency, run.Log);
    }

    private sealed class GatewayFailure(string message, GatewayResponse? response = null) : Exception(message)
    {
        public GatewayResponse? Response { get; } = response;
    }

    // ---- MOCK ----

    private static Task<GatewayResponse> MockAsync(Run run)
    {
        var mapped = MapRequest(run) ?? "";
        var status = 200;
        try
        {
            if (JsonNode.Parse(mapped) is JsonObject obj && obj["statusCode"] is JsonValue code)
                status = code.GetValueKind() == JsonValueKind.Number ? code.GetValue<int>() : int.Parse(code.ToString(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            run.Write($"Mock integration request template did not produce a statusCode, answering {status}");
        }
        var outcome = new IntegrationOutput(status.ToString(CultureInfo.InvariantCulture), "", [], null);
        return Task.FromResult(MapResponse(run, outcome));
    }

    // ---- HTTP ----

    private async Task<GatewayResponse> HttpProxyAsync(Run run, CancellationToken cancellation)
    {
        var (status, headers, body) = await SendHttpAsync(run, run.Request.Body, passAllParameters: true, cancellation);
        return new GatewayResponse(status, headers.Where(h => !HopByHop(h.Key)).ToList(), body);
    }

    private async Task<GatewayResponse> HttpAsync(Run run, CancellationToken cancellation)
    {
        var mapped = MapRequest(run);
        var payload = mapped is null ? run.Request.Body : Encoding.UTF8.GetBytes(mapped);
        var (status, headers, body) = await SendHttpAsync(run, payload, passAllParameters: false, cancellation);
        var outcome = new IntegrationOutput(status.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(body), headers, null);
        return MapResponse(run, outcome);
    }

    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    private static bool HopByHop(string name) => HopByHopHeaders.Contains(name);

    private async Task<(int, List<KeyValuePair<string, string>>, byte[])> SendHttpAsync(Run run, byte[] body, bool passAllParameters, CancellationToken cancellation)
    {
        var integration = run.Integration;
        var mapped = MapParameters(run);
        var uri = Regex.Replace(WithStageVariables(run, integration.Uri!), @"\{([^}+]+)\+?\}", m =>
            mapped.Path.TryGetValue(m.Groups[1].Value, out var value) || run.Route.PathParameters.TryGetValue(m.Groups[1].Value, out value)
                ? EscapePath(value)
                : m.Value);
        var query = new List<KeyValuePair<string, string>>(passAllParameters ? run.Request.Query : []);
        query.AddRange(mapped.Query);
        if (query.Count > 0)
            uri += (uri.Contains('?') ? "&" : "?") + string.Join('&', query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));

        var method = integration.HttpMethod is null or "ANY" ? run.Request.HttpMethod : integration.HttpMethod;
        using var message = new HttpRequestMessage(new HttpMethod(method), uri);
        if (body.Length > 0 || method is not ("GET" or "HEAD")) message.Content = new ByteArrayContent(body);
        var headers = new List<KeyValuePair<string, string>>(passAllParameters ? run.Request.Headers.Where(h => !HopByHop(h.Key)) : []);
        if (!passAllParameters && run.Header("Content-Type") is { } contentType) headers.Add(new("Content-Type", contentType));
        headers.AddRange(mapped.Headers);
        foreach (var (name, value) in headers)
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content?.Headers.TryAddWithoutValidation(name, value);

        run.Write($"Sending request to {uri}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(integration.TimeoutInMillis);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var payload = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            run.IntegrationLatency = watch.Elapsed;
            run.Write($"Received response. Status: {(int)response.StatusCode}, Integration latency: {watch.ElapsedMilliseconds} ms");
            var responseHeaders = response.Headers.Concat(response.Content.Headers)
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))).ToList();
            return ((int)response.StatusCode, responseHeaders, payload);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new GatewayFailure("Execution failed due to a timeout error", GatewayResponse.Message(504, "Endpoint request timed out"));
        }
        catch (HttpRequestException e)
        {
            throw new GatewayFailure($"Execution failed due to configuration error: {e.Message}");
        }
    }

    /// <summary>Resolves <c>${stageVariables.name}</c> in an integration URI, as AWS does for HTTP endpoints and function ARNs.</summary>
    private static string WithStageVariables(Run run, string uri) =>
        Regex.Replace(uri, @"\$\{stageVariables\.([A-Za-z0-9_]+)\}", m => run.Target.StageVariables.GetValueOrDefault(m.Groups[1].Value) ?? "");

    private static string EscapePath(string value) => string.Join('/', value.Split('/').Select(Uri.EscapeDataString));

    private sealed record MappedParameters(Dictionary<string, string> Path, List<KeyValuePair<string, string>> Query, List<KeyValuePair<string, string>> Headers);

    /// <summary>integration.request.{path|querystring|header}.X from method.request.*, stage variables, context or 'literals'.</summary>
    private static MappedParameters MapParameters(Run run)
    {
        var mapped = new MappedParameters(new(StringComparer.Ordinal), [], []);
        foreach (var (target, source) in run.Integration.RequestParameters ?? [])
        {
            if (ParameterSource(run, source) is not { } value) continue;
            var parts = target.Split('.', 4);
            if (parts.Length != 4) continue;
            switch (parts[2])
            {
                case "path": mapped.Path[parts[3]] = value; break;
                case "querystring": mapped.Query.Add(new(parts[3], value)); break;
                case "header": mapped.Headers.Add(new(parts[3], value)); break;
            }
        }
        return mapped;
    }

    private static string? ParameterSource(Run run, string source)
    {
        if (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'') return source[1..^1];
        var parts = source.Split('.', 4);
        return parts switch
        {
            ["method", "request", "path", var name] => run.Route.PathParameters.GetValueOrDefault(name),
            ["method", "request", "querystring", var name] => run.Request.Query.LastOrDefault(q => q.Key == name).Value,
            ["method", "request", "header", var name] => run.Header(name),
            ["stageVariables", var name] => run.Target.StageVariables.GetValueOrDefault(name),
            ["context", ..] => VtlValues.ToText(ContextVariable(run, source["context.".Length..].Split('.'))),
            _ => null,
        };
    }

    private static object? ContextVariable(Run run, string[] path)
    {
        object? value = Context(run);
        foreach (var part in path) value = value is Dictionary<string, object?> map ? map.GetValueOrDefault(part) : null;
        return value;
    }

    // ---- Lambda ----

    private async Task<GatewayResponse> LambdaAsync(Run run, CancellationToken cancellation)
    {
        var mapped = MapRequest(run);
        var payload = mapped is null ? run.Request.Body : Encoding.UTF8.GetBytes(mapped);
        // A function's event is JSON: a GET passed through without a body arrives as an empty object.
        if (payload.Length == 0) payload = "{}"u8.ToArray();
        var result = await InvokeLambdaAsync(run, payload, cancellation);
        var text = Encoding.UTF8.GetString(result.Payload.Span);
        string? errorMessage = null;
        if (result.FunctionError is not null)
        {
            errorMessage = TryParse(text) is JsonObject error && error["errorMessage"] is JsonValue message ? message.ToString() : text;
            run.Write($"Lambda execution failed with status 200 due to customer function error: {errorMessage}");
        }
        return MapResponse(run, new IntegrationOutput("200", text, [], errorMessage));
    }

    private async Task<GatewayResponse> LambdaProxyAsync(Run run, CancellationToken cancellation)
    {
        var result = await InvokeLambdaAsync(run, Encoding.UTF8.GetBytes(ProxyEvent(run).ToJsonString()), cancellation);
        var text = Encoding.UTF8.GetString(result.Payload.Span);
        if (result.FunctionError is not null)
            throw new GatewayFailure($"Lambda execution failed with status 200 due to customer function error: {text}",
                GatewayResponse.Message(502, "Internal server error"));
        return ProxyResponse(text) ?? throw new GatewayFailure($"Execution failed due to configuration error: Malformed Lambda proxy response: {text}",
            GatewayResponse.Message(502, "Internal server error"));
    }

    private async Task<LambdaInvokeResult> InvokeLambdaAsync(Run run, byte[] payload, CancellationToken cancellation)
    {
        var function = IntegrationUri.Parse(WithStageVariables(run, run.Integration.Uri ?? ""))?.LambdaFunction
            ?? throw new GatewayFailure("Execution failed due to configuration error: the integration URI is not a Lambda function invocation");
        var functionArn = function.Split(':');
        var (account, region) = functionArn.Length >= 7 && functionArn[0] == "arn"
            ? (functionArn[4], functionArn[3])
            : (run.Target.AccountId, run.Target.Region);
        var resourcePath = run.Route.Resource.Path.TrimStart('/');
        var sourceArn = $"arn:aws:execute-api:{run.Target.Region}:{run.Target.AccountId}:{run.Target.ApiId}/{run.Target.StageName}/{run.Route.Method.HttpMethod}/{resourcePath}";
        run.Write($"Sending request to {run.Integration.Uri}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(run.Integration.TimeoutInMillis);
        var watch = Stopwatch.StartNew();
        try
        {
            // WaitAsync holds the integration timeout even if the function keeps running past it.
            var result = await lambda.InvokeAsync(new LambdaInvokeRequest(account, region, function, null, payload, ServicePrincipal, sourceArn), timeout.Token)
                .WaitAsync(timeout.Token);
            run.IntegrationLatency = watch.Elapsed;
            run.Write($"Received response. Integration latency: {watch.ElapsedMilliseconds} ms");
            return result;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new GatewayFailure("Execution failed due to a timeout error", GatewayResponse.Message(504, "Endpoint request timed out"));
        }
        catch (AwsException e)
        {
            run.IntegrationLatency = watch.Elapsed;
            throw new GatewayFailure($"Execution failed due to configuration error: Lambda invocation failed with status {e.StatusCode}: {e.Code}: {e.Message}");
        }
    }

    private static JsonObject ProxyEvent(Run run)
    {
        var request = run.Request;
        var start = run.Start;
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
            ["requestContext"] = new JsonObject
            {
                ["resourceId"] = run.Route.Resource.Id,
                ["resourcePath"] = run.Route.Resource.Path,
                ["httpMethod"] = request.HttpMethod,
                ["extendedRequestId"] = run.RequestId,
                ["requestTime"] = RequestTime(start),
                ["path"] = "/" + run.Target.StageName + request.Path,
                ["accountId"] = run.Target.AccountId,
                ["protocol"] = "HTTP/1.1",
                ["stage"] = run.Target.StageName,
                ["domainPrefix"] = run.Target.ApiId,
                ["requestTimeEpoch"] = start.ToUnixTimeMilliseconds(),
                ["requestId"] = run.RequestId,
                ["identity"] = new JsonObject
                {
                    ["cognitoIdentityPoolId"] = null, ["accountId"] = null, ["cognitoIdentityId"] = null, ["caller"] = null,
                    ["sourceIp"] = request.SourceIp, ["principalOrgId"] = null, ["accessKey"] = null, ["cognitoAuthenticationType"] = null,
                    ["cognitoAuthenticationProvider"] = null, ["userArn"] = null, ["userAgent"] = run.Header("User-Agent"), ["user"] = null,
                },
                ["domainName"] = run.Target.DomainName,
                ["apiId"] = run.Target.ApiId,
            },
            ["body"] = body,
            ["isBase64Encoded"] = binary && body is not null,
        };
    }

    private static readonly HashSet<string> ProxyResponseMembers = ["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"];

    /// <summary>The proxy response contract; null when the function answered anything else.</summary>
    private static GatewayResponse? ProxyResponse(string text)
    {
        if (TryParse(text) is not JsonObject response || response.Any(p => !ProxyResponseMembers.Contains(p.Key))) return null;
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

    // ---- mapping templates ----

    /// <summary>The request body after the request template, or null to pass the body through unchanged.</summary>
    private static string? MapRequest(Run run)
    {
        var integration = run.Integration;
        var contentType = MediaType(run.Header("Content-Type")) ?? "application/json";
        // contentHandling CONVERT_TO_TEXT hands a binary payload on as base64 text, to the template or through.
        var convertToText = integration.ContentHandling == "CONVERT_TO_TEXT" && run.Target.IsBinary(contentType);
        var converted = convertToText ? Convert.ToBase64String(run.Request.Body) : null;
        var templates = integration.RequestTemplates ?? [];
        if (templates.TryGetValue(contentType, out var template))
            return string.IsNullOrEmpty(template) ? converted : Render(run, template, converted ?? Encoding.UTF8.GetString(run.Request.Body));
        var passThrough = integration.PassthroughBehavior switch
        {
            "NEVER" => false,
            "WHEN_NO_TEMPLATES" => templates.Count == 0,
            _ => true,
        };
        if (!passThrough)
            throw new GatewayFailure($"Request Content-Type {contentType} has no mapping template and passthrough behavior is {integration.PassthroughBehavior}",
                GatewayResponse.Message(415, "Unsupported Media Type", "UnsupportedMediaTypeException"));
        return integration.Type == "MOCK" ? "" : converted;
    }

    private sealed record IntegrationOutput(string Status, string Body, List<KeyValuePair<string, string>> Headers, string? ErrorMessage);

    /// <summary>Picks the integration response, maps headers and body, and answers with its method response status.</summary>
    private static GatewayResponse MapResponse(Run run, IntegrationOutput output)
    {
        var responses = run.Integration.IntegrationResponses?.Values.ToList() ?? [];
        // Lambda responses are selected by their error message (none when the function succeeded); HTTP and MOCK by status code.
        var subject = run.Integration.Type == "AWS" ? output.ErrorMessage : output.Status;
        var chosen = (subject is null ? null : responses.FirstOrDefault(r => !string.IsNullOrEmpty(r.SelectionPattern) && FullMatch(r.SelectionPattern, subject)))
            ?? responses.FirstOrDefault(r => string.IsNullOrEmpty(r.SelectionPattern));
        if (chosen is null)
            throw new GatewayFailure("Execution failed due to configuration error: No match for output mapping and no default output mapping");
        run.Write($"Selected integration response {chosen.StatusCode}");

        var headers = new List<KeyValuePair<string, string>>();
        JsonNode? parsedBody = null;
        var bodyParsed = false;
        foreach (var (target, source) in chosen.ResponseParameters ?? [])
        {
            const string headerPrefix = "method.response.header.";
            if (!target.StartsWith(headerPrefix, StringComparison.Ordinal)) continue;
            string? value;
            if (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'') value = source[1..^1];
            else if (source.StartsWith("integration.response.header.", StringComparison.Ordinal))
                value = output.Headers.LastOrDefault(h => string.Equals(h.Key, source["integration.response.header.".Length..], StringComparison.OrdinalIgnoreCase)).Value;
            else if (source == "integration.response.body") value = output.Body;
            else if (source.StartsWith("integration.response.body.", StringComparison.Ordinal))
            {
                if (!bodyParsed) (parsedBody, bodyParsed) = (TryParse(output.Body), true);
                var selected = JsonPath.Select(parsedBody, "$." + source["integration.response.body.".Length..]);
                value = selected is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : selected?.ToJsonString();
            }
            else if (source.StartsWith("stageVariables.", StringComparison.Ordinal))
                value = run.Target.StageVariables.GetValueOrDefault(source["stageVariables.".Length..]);
            else value = null;
            if (value is not null) headers.Add(new(target[headerPrefix.Length..], value));
        }

        var body = output.Body;
        var templates = chosen.ResponseTemplates ?? [];
        string? templateType = null;
        var status = int.Parse(chosen.StatusCode, CultureInfo.InvariantCulture);
        if (templates.Count > 0)
        {
            templateType = SelectResponseTemplate(run.Header("Accept"), templates.Keys);
            if (templates[templateType] is { Length: > 0 } template)
            {
                var context = Context(run);
                body = Render(run, template, output.Body, context);
                status = ApplyResponseOverride(context, status, headers);
            }
        }
        if (!headers.Any(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)))
            headers.Add(new("Content-Type", templateType ?? "application/json"));
        return new GatewayResponse(status, headers, chosen.ContentHandling == "CONVERT_TO_BINARY" ? FromBase64(body) : Encoding.UTF8.GetBytes(body));
    }

    /// <summary>What a response template set in <c>$context.responseOverride.status</c> and <c>.header.NAME</c>.</summary>
    private static int ApplyResponseOverride(Dictionary<string, object?> context, int status, List<KeyValuePair<string, string>> headers)
    {
        if (context.GetValueOrDefault("responseOverride") is not Dictionary<string, object?> overrides) return status;
        if (overrides.GetValueOrDefault("header") is Dictionary<string, object?> overridden)
            foreach (var (name, value) in overridden.Where(h => h.Value is not null))
            {
                headers.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
                headers.Add(new(name, VtlValues.ToText(value)));
            }
        return VtlValues.AsLong(overrides.GetValueOrDefault("status")) is { } code && code is >= 100 and <= 599 ? (int)code : status;
    }

    private static byte[] FromBase64(string body)
    {
        try
        {
            return Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            throw new GatewayFailure("Execution failed due to configuration error: CONVERT_TO_BINARY on a body that is not base64");
        }
    }

    private static bool FullMatch(string pattern, string subject)
    {
        try
        {
            return Regex.IsMatch(subject, "^(?:" + pattern + ")$", RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The template for the first Accept type that has one; else application/json's, else the first.</summary>
    private static string SelectResponseTemplate(string? accept, IEnumerable<string> available)
    {
        var types = available.ToList();
        foreach (var wanted in (accept ?? "").Split(',').Select(MediaType).OfType<string>())
        {
            if (types.FirstOrDefault(t => string.Equals(t, wanted, StringComparison.OrdinalIgnoreCase)) is { } exact) return exact;
        }
        return types.FirstOrDefault(t => t == "application/json") ?? types[0];
    }

    private static string? MediaType(string? header)
    {
        var type = header?.Split(';')[0].Trim();
        return string.IsNullOrEmpty(type) ? null : type.ToLowerInvariant();
    }

    private static string Render(Run run, string template, string body, Dictionary<string, object?>? context = null)
    {
        var request = run.Request;
        var query = request.Query.GroupBy(q => q.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        var headers = request.Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["input"] = new InputVariable(body, run.Route.PathParameters, query, headers),
            ["util"] = UtilVariable.Instance,
            ["context"] = context ?? Context(run),
            ["stageVariables"] = run.Target.StageVariables.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal),
        };
        return Parsed(template).Render(variables);
    }

    private const int MaxCachedTemplates = 4096;
    private static readonly ConcurrentDictionary<string, VtlTemplate> ParsedTemplates = new(StringComparer.Ordinal);

    // Templates are parsed once, not on every request; the cache is dropped wholesale if deployments churn through many.
    private static VtlTemplate Parsed(string template)
    {
        if (ParsedTemplates.TryGetValue(template, out var parsed)) return parsed;
        if (ParsedTemplates.Count >= MaxCachedTemplates) ParsedTemplates.Clear();
        return ParsedTemplates[template] = VtlTemplate.Parse(template);
    }

    private static Dictionary<string, object?> Context(Run run) => new(StringComparer.Ordinal)
    {
        ["requestId"] = run.RequestId,
        ["extendedRequestId"] = run.RequestId,
        ["apiId"] = run.Target.ApiId,
        ["accountId"] = run.Target.AccountId,
        ["stage"] = run.Target.StageName,
        ["httpMethod"] = run.Request.HttpMethod,
        ["resourceId"] = run.Route.Resource.Id,
        ["resourcePath"] = run.Route.Resource.Path,
        ["path"] = "/" + run.Target.StageName + run.Request.Path,
        ["protocol"] = "HTTP/1.1",
        ["domainName"] = run.Target.DomainName,
        ["domainPrefix"] = run.Target.ApiId,
        ["requestTime"] = RequestTime(run.Start),
        ["requestTimeEpoch"] = run.Start.ToUnixTimeMilliseconds(),
        ["identity"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["sourceIp"] = run.Request.SourceIp,
            ["userAgent"] = run.Header("User-Agent"),
            ["accountId"] = null, ["caller"] = null, ["user"] = null, ["userArn"] = null, ["apiKey"] = null, ["accessKey"] = null,
        },
        ["authorizer"] = new Dictionary<string, object?>(StringComparer.Ordinal),
        ["responseOverride"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["status"] = null,
            ["header"] = new Dictionary<string, object?>(StringComparer.Ordinal),
        },
    };

    private static string RequestTime(DateTimeOffset time) => time.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The HTTP client HTTP integrations use: no proxy, no cookies, no redirects followed (API Gateway returns them).</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
