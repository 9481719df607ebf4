using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.SigV4;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.Lambda.Engine;

using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Lambda;

/// <summary>
/// Serves function URLs over HTTP, at the host form <c>{url-id}.lambda-url.{region}.localhost:PORT</c> and the path form
/// <c>/_aws/lambda-url/{url-id}/...</c>: the request becomes the payload format 2.0 event, the function's answer the
/// HTTP response (a statusCode/headers/body object, or any other JSON as a 200 application/json body), with the URL's
/// CORS settings applied by the URL, as AWS does. AuthType AWS_IAM takes only SigV4-signed requests (service
/// <c>lambda</c>), verified under <c>--auth verify</c>; under <c>--auth enforce</c> the caller must also be allowed
/// lambda:InvokeFunctionUrl by its own policies or the function's, as AWS evaluates them. AuthType NONE needs a policy
/// letting "*" invoke the URL.
/// </summary>
public sealed partial class FunctionUrlDataPlane(LambdaService lambda, CredentialResolver credentials, SigV4Verifier verifier, AuthMode mode, Iam.IamService iam) : IRequestInterceptor
{
    public const string PathPrefix = "/_aws/lambda-url/";
    private const int MaxRequestBytes = LambdaService.MaxSyncPayloadBytes;

    public bool Claims(HttpRequest request) =>
        request.Path.StartsWithSegments(PathPrefix.TrimEnd('/')) || HostForm().IsMatch(request.Host.Host);

    public async Task HandleAsync(HttpContext http)
    {
        var (urlId, path) = Target(http.Request);
        if (urlId is null || lambda.FindFunctionUrl(urlId) is not var (function, config))
        {
            await MessageAsync(http, 404, "Not Found");
            return;
        }
        var origin = http.Request.Headers.Origin.ToString();
        if (config.Cors is { } cors && HttpMethods.IsOptions(http.Request.Method) && origin.Length > 0
            && http.Request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            Preflight(http.Response, cors, origin);
            return;
        }
        CallerIdentity? caller = null;
        if (config.AuthType == "AWS_IAM")
        {
            if (SigV4Credential.From(http.Request) is not { } credential)
            {
                await MessageAsync(http, 403, "Forbidden");
                return;
            }
            var known = credentials.Find(credential.AccessKeyId);
            if (mode != AuthMode.Accept && (credential.Service != "lambda" || await verifier.VerifyAsync(http, credential, known) is not null))
            {
                await MessageAsync(http, 403, "Forbidden");
                return;
            }
            if (mode == AuthMode.Enforce && known is not null && !InvokeAllowed(known, function, config))
            {
                await MessageAsync(http, 403, "Forbidden");
                return;
            }
            caller = known is null
                ? new CallerIdentity(credential.AccessKeyId, CredentialResolver.AccountForUnknownKey(credential.AccessKeyId), null, null)
                : new CallerIdentity(known.AccessKeyId, known.AccountId, known.PrincipalId ?? known.AccessKeyId, known.PrincipalArn);
        }
        else if (!LambdaService.AllowsPublicUrl(function, config))
        {
            await MessageAsync(http, 403, "Forbidden");
            return;
        }

        var body = await ReadBodyAsync(http);
        if (body is null)
        {
            await MessageAsync(http, 413, "Request Too Long");
            return;
        }
        var scope = Scope.Of(function.AccountId, function.Region);
        var payload = Encoding.UTF8.GetBytes(Event(http, urlId, path, body, function.AccountId, scope.RequestId, caller).ToJsonString());
        // RESPONSE_STREAM: the response is relayed as the function writes it, when its runtime streams; a runtime that
        // answers whole is served as BUFFERED is.
        var stream = config.InvokeMode == "RESPONSE_STREAM" ? new ResponseStream() : null;
        var invoke = lambda.InvokeAsync(scope, function.Name, config.Qualifier, payload, new InvokeOptions("RequestResponse", false, null, Stream: stream), http.RequestAborted);
        if (stream is not null) await Task.WhenAny(invoke, stream.Opened);
        // Opened is checked, not which task won: a short stream can end (and the invocation with it) before WhenAny looks.
        if (stream is { Opened.IsCompleted: true })
        {
            http.Response.Headers["x-amzn-RequestId"] = scope.RequestId;
            await RelayAsync(http, stream, await stream.Opened, config.Cors, origin);
            // The status line has gone: how the invocation ended is in the function's log, as on AWS.
            await invoke;
            return;
        }
        InvokeResponse response;
        try
        {
            response = await invoke;
        }
        catch (AwsException e) when (e.Code == "TooManyRequestsException")
        {
            await MessageAsync(http, 429, "Rate Exceeded.");
            return;
        }
        catch (AwsException)
        {
            await MessageAsync(http, 502, "Internal Server Error");
            return;
        }
        http.Response.Headers["x-amzn-RequestId"] = scope.RequestId;
        if (config.Cors is { } responseCors && origin.Length > 0) ApplyCors(http.Response, responseCors, origin);
        if (response.FunctionError is not null)
        {
            await MessageAsync(http, 502, "Internal Server Error");
            return;
        }
        await WriteResultAsync(http, response.Payload);
    }

    /// <summary>
    /// AWS_IAM as AWS evaluates it: lambda:InvokeFunctionUrl on the function (the alias's ARN for an alias's URL), with
    /// lambda:FunctionUrlAuthType AWS_IAM in the request context, allowed by the caller's own policies or by the
    /// function's (a statement naming the caller); an explicit deny in either refuses. The account's root needs no policy.
    /// </summary>
    private bool InvokeAllowed(KnownCredential caller, LambdaFunction function, FunctionUrlConfig config)
    {
        if (iam.PoliciesOf(caller.PrincipalArn) is not { } policies) return true;
        if (caller.SessionPolicies is { } session)
            policies = policies with { Session = [.. session.Select((document, i) => new SourcedPolicy($"SessionPolicy.{i + 1}", PolicySourceKind.None, Policy.Parse(document)))] };
        var resource = config.Qualifier is { } alias ? $"{function.Arn}:{alias}" : function.Arn;
        var request = new Iam.Engine.RequestContext
        {
            Action = "lambda:InvokeFunctionUrl", Resource = resource, PrincipalArn = caller.PrincipalArn, SessionIssuerArn = iam.RoleOfSession(caller.PrincipalArn),
        }
            .WithPrincipal(caller.PrincipalArn, caller.PrincipalId, caller.AccountId)
            .With("lambda:FunctionUrlAuthType", "AWS_IAM")
            .With("aws:RequestedRegion", function.Region);
        if (lambda.ResourcePolicyOf(resource) is { } document)
            policies = policies with { Resource = new SourcedPolicy(resource, PolicySourceKind.Resource, Policy.Parse(document)) };
        return PolicyEvaluator.Evaluate(policies, request).Decision == Decision.Allowed;
    }

    /// <summary>The url-id and the path the function sees, from the host form or the path form.</summary>
    private static (string? UrlId, string Path) Target(HttpRequest request)
    {
        var raw = request.Path.Value ?? "/";
        if (HostForm().Match(request.Host.Host) is { Success: true } host) return (host.Groups["id"].Value, raw);
        var rest = raw.Length > PathPrefix.Length ? raw[PathPrefix.Length..] : "";
        var slash = rest.IndexOf('/');
        var id = slash < 0 ? rest : rest[..slash];
        return (UrlIdPattern().IsMatch(id) ? id : null, slash < 0 ? "/" : rest[slash..]);
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The payload format 2.0 event AWS sends a function behind its URL.</summary>
    private static JsonObject Event(HttpContext http, string urlId, string path, byte[] body, string accountId, string requestId, CallerIdentity? caller)
    {
        var request = http.Request;
        var now = DateTimeOffset.UtcNow;
        var headers = new JsonObject();
        foreach (var (name, values) in request.Headers.Where(h => !string.Equals(h.Key, "Cookie", StringComparison.OrdinalIgnoreCase)))
            headers[name.ToLowerInvariant()] = string.Join(',', values.ToArray());
        var query = new JsonObject();
        foreach (var (name, values) in request.Query) query[name] = string.Join(',', values.ToArray());
        var context = new JsonObject
        {
            ["accountId"] = caller?.AccountId ?? "anonymous",
            ["apiId"] = urlId,
            ["domainName"] = request.Host.Value,
            ["domainPrefix"] = urlId,
            ["http"] = new JsonObject
            {
                ["method"] = request.Method,
                ["path"] = path,
                ["protocol"] = request.Protocol,
                ["sourceIp"] = http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1",
                ["userAgent"] = request.Headers.UserAgent.ToString(),
            },
            ["requestId"] = requestId,
            ["routeKey"] = "$default",
            ["stage"] = "$default",
            ["time"] = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
            ["timeEpoch"] = now.ToUnixTimeMilliseconds(),
        };
        if (caller is not null)
            context["authorizer"] = new JsonObject
            {
                ["iam"] = new JsonObject
                {
                    ["accessKey"] = caller.AccessKey,
                    ["accountId"] = caller.AccountId,
                    ["callerId"] = caller.Caller,
                    ["userArn"] = caller.UserArn,
                    ["userId"] = caller.Caller,
                },
            };
        var text = IsText(request.ContentType) && Utf8(body) is { } decoded ? decoded : null;
        var json = new JsonObject
        {
            ["version"] = "2.0",
            ["routeKey"] = "$default",
            ["rawPath"] = path,
            ["rawQueryString"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            ["headers"] = headers,
            ["requestContext"] = context,
            ["isBase64Encoded"] = body.Length > 0 && text is null,
        };
        var cookies = request.Headers.Cookie.ToString();
        if (cookies.Length > 0) json["cookies"] = new JsonArray(cookies.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => (JsonNode?)c).ToArray());
        if (query.Count > 0) json["queryStringParameters"] = query;
        if (body.Length > 0) json["body"] = text ?? Convert.ToBase64String(body);
        return json;
    }

    private static bool IsText(string? contentType) =>
        contentType is null || contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) || contentType.Contains("javascript", StringComparison.OrdinalIgnoreCase);

    private static string? Utf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// The function's answer as AWS maps it for payload format 2.0: an object with statusCode is the response
    /// (headers, cookies, body, isBase64Encoded); anything else is a 200 whose JSON body is the answer itself.
    /// </summary>
    private static async Task WriteResultAsync(HttpContext http, ReadOnlyMemory<byte> payload)
    {
        JsonNode? result;
        try
        {
            result = payload.IsEmpty ? null : JsonNode.Parse(payload.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            await MessageAsync(http, 502, "Internal Server Error");
            return;
        }
        if (result is JsonObject shaped && shaped["statusCode"] is JsonValue status && status.TryGetValue<int>(out var code))
        {
            http.Response.StatusCode = code;
            if (shaped["headers"] is JsonObject headers)
                foreach (var (name, value) in headers) http.Response.Headers[name] = value?.ToString() ?? "";
            if (shaped["cookies"] is JsonArray cookies)
                http.Response.Headers.SetCookie = cookies.Select(c => c?.ToString()).ToArray();
            var text = shaped["body"] is JsonValue b && b.TryGetValue<string>(out var s) ? s : shaped["body"]?.ToJsonString() ?? "";
            byte[] bytes;
            try
            {
                bytes = shaped["isBase64Encoded"] is JsonValue e && e.TryGetValue<bool>(out var encoded) && encoded ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
            }
            catch (FormatException)
            {
                await MessageAsync(http, 502, "Internal Server Error");
                return;
            }
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
            return;
        }
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(payload, http.RequestAborted);
    }

    private const string IntegrationResponseType = "application/vnd.awslambda.http-integration-response";
    private const int MaxPreludeBytes = 64 * 1024;
    private static readonly byte[] PreludeEnd = new byte[8];

    /// <summary>
    /// A streamed response relayed chunk by chunk, each flushed to the client as it arrives. A runtime that declares
    /// <c>application/vnd.awslambda.http-integration-response</c> (awslambda.HttpResponseStream) opens with a prelude,
    /// its JSON metadata (statusCode, headers, cookies) ended by 8 NUL bytes; any other stream is a 200 of the
    /// Content-Type the runtime declared.
    /// </summary>
    private static async Task RelayAsync(HttpContext http, ResponseStream stream, string? contentType, FunctionUrlCors? cors, string origin)
    {
        await using var chunks = stream.Chunks.ReadAllAsync().GetAsyncEnumerator();
        ReadOnlyMemory<byte> rest = ReadOnlyMemory<byte>.Empty;
        if (string.Equals(contentType, IntegrationResponseType, StringComparison.OrdinalIgnoreCase))
        {
            using var prelude = new MemoryStream();
            var end = -1;
            while (end < 0 && prelude.Length <= MaxPreludeBytes && await chunks.MoveNextAsync())
            {
                prelude.Write(chunks.Current.Span);
                end = prelude.GetBuffer().AsSpan(0, (int)prelude.Length).IndexOf(PreludeEnd);
            }
            var bytes = prelude.GetBuffer().AsMemory(0, (int)prelude.Length);
            if (end < 0 || !ApplyPrelude(http.Response, bytes[..end]))
            {
                await MessageAsync(http, 502, "Internal Server Error");
                return;
            }
            rest = bytes[(end + PreludeEnd.Length)..].ToArray();
        }
        else
        {
            http.Response.StatusCode = 200;
            http.Response.ContentType = contentType is { Length: > 0 } ? contentType : "application/octet-stream";
        }
        if (cors is not null && origin.Length > 0) ApplyCors(http.Response, cors, origin);
        try
        {
            await http.Response.StartAsync(http.RequestAborted);
            if (!rest.IsEmpty) await http.Response.Body.WriteAsync(rest, http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            while (await chunks.MoveNextAsync())
            {
                await http.Response.Body.WriteAsync(chunks.Current, http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away; the function runs on to its end, as on AWS.
        }
    }

    /// <summary>The prelude's metadata applied to the response; false when it is not the JSON object AWS expects.</summary>
    private static bool ApplyPrelude(HttpResponse response, ReadOnlyMemory<byte> metadata)
    {
        JsonNode? node;
        try
        {
            node = metadata.IsEmpty ? new JsonObject() : JsonNode.Parse(metadata.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return false;
        }
        if (node is not JsonObject prelude) return false;
        response.StatusCode = prelude["statusCode"] is JsonValue status && status.TryGetValue<int>(out var code) && code is >= 100 and <= 599 ? code : 200;
        if (prelude["headers"] is JsonObject headers)
            foreach (var (name, value) in headers) response.Headers[name] = value?.ToString() ?? "";
        if (prelude["cookies"] is JsonArray cookies)
            response.Headers.SetCookie = cookies.Select(c => c?.ToString()).ToArray();
        if (!response.Headers.ContainsKey("Content-Type")) response.ContentType = "application/octet-stream";
        return true;
    }

    private static void Preflight(HttpResponse response, FunctionUrlCors cors, string origin)
    {
        response.StatusCode = 200;
        if (!OriginAllowed(cors, origin)) return;
        ApplyCors(response, cors, origin);
        if (cors.AllowMethods.Count > 0) response.Headers.AccessControlAllowMethods = string.Join(',', cors.AllowMethods);
        if (cors.AllowHeaders.Count > 0) response.Headers.AccessControlAllowHeaders = string.Join(',', cors.AllowHeaders);
        if (cors.MaxAge is { } maxAge) response.Headers.AccessControlMaxAge = maxAge.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The URL's CORS headers, which replace any the function set, as AWS applies them.</summary>
    private static void ApplyCors(HttpResponse response, FunctionUrlCors cors, string origin)
    {
        if (!OriginAllowed(cors, origin)) return;
        response.Headers.AccessControlAllowOrigin = cors.AllowOrigins.Contains("*") && cors.AllowCredentials != true ? "*" : origin;
        if (cors.AllowCredentials == true) response.Headers.AccessControlAllowCredentials = "true";
        if (cors.ExposeHeaders.Count > 0) response.Headers.AccessControlExposeHeaders = string.Join(',', cors.ExposeHeaders);
    }

    private static bool OriginAllowed(FunctionUrlCors cors, string origin) =>
        cors.AllowOrigins.Any(o => o == "*" || string.Equals(o, origin, StringComparison.OrdinalIgnoreCase));

    private static async Task MessageAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["Message"] = message }.ToJsonString());
    }

    [GeneratedRegex(@"^(?<id>[a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.localhost$")]
    private static partial Regex HostForm();

    [GeneratedRegex(@"^[a-z0-9]{32}$")]
    private static partial Regex UrlIdPattern();
}
