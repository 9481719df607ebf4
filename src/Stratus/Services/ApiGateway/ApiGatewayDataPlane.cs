using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;

namespace Stratus.Services.ApiGateway;

public sealed record TestInvokeResult(GatewayResponse Response, string Log, long LatencyMilliseconds);

/// <summary>
/// Serves deployed stages over HTTP, on the shared endpoint: <c>http://{api-id}.execute-api[.{region}].localhost:{port}/{stage}/{path}</c>
/// (any Host of the form <c>{api-id}.execute-api.*</c>, so <c>{api-id}.execute-api.{region}.amazonaws.com</c> too) and
/// <c>http://localhost:{port}/restapis/{api-id}/{stage}/_user_request_/{path}</c> and <c>http://127.0.0.1:{port}/_aws/execute-api/{api-id}/{stage}/{path}</c>
/// (the form every client opens with no DNS). Also runs TestInvokeMethod.
/// </summary>
public sealed class ApiGatewayDataPlane(ApiGatewayService gateway, MethodRequestStage methodRequest, LambdaAuthorizer authorizers, IntegrationEngine engine,
    IMetricPublisher metrics, ILogWriter logs, TimeProvider clock, GatewayThrottles throttles, ILogger logger) : IRequestInterceptor
{
    public const string TestInvokeStage = "test-invoke-stage";
    private const string UserRequestMarker = "_user_request_";

    private readonly StageRouterCache _routers = new((apiId, stage) => gateway.FindDeployedStage(apiId, stage)?.Deployment.Deployment.Id);

    /// <summary>FlushStageAuthorizersCache, refused with NotFoundException for an API or stage that does not exist, as AWS refuses it.</summary>
    public void FlushAuthorizersCache(Scope scope, string apiId, string stageName)
    {
        gateway.GetStage(scope, apiId, stageName);
        authorizers.Flush(apiId, stageName);
    }

    /// <summary>The account-level throttle the stages share, as GetAccount reports it.</summary>
    public AccountThrottle AccountThrottle => throttles.Account;

    public bool Claims(HttpRequest request) => InvokeHttp.ExecuteApiHostId(request) is not null || PathTarget(request.Path.Value) is not null;

    private static (string ApiId, string Stage, string Path)? PathTarget(string? path)
    {
        // The form that needs no DNS, shared with HTTP APIs: /_aws/execute-api/{api-id}/{stage}/{path}.
        if (path is not null && path.StartsWith(ApiGatewayV2.ApiGatewayV2DataPlane.PathPrefix, StringComparison.Ordinal))
        {
            var target = path[ApiGatewayV2.ApiGatewayV2DataPlane.PathPrefix.Length..].Split('/', 3);
            return target.Length >= 2 && target[0].Length > 0 ? (target[0], target[1], "/" + (target.Length > 2 ? target[2] : "")) : null;
        }
        // Most requests Stratus serves are not under /restapis/: they are told apart before anything is split.
        if (path is null || !path.StartsWith("/restapis/", StringComparison.Ordinal)) return null;
        var parts = path.Split('/', 6);
        // "", "restapis", id, stage, "_user_request_", rest
        if (parts.Length < 5 || parts[1] != "restapis" || parts[4] != UserRequestMarker || parts[2].Length == 0 || parts[3].Length == 0) return null;
        return (parts[2], parts[3], "/" + (parts.Length > 5 ? parts[5] : ""));
    }

    public Task HandleAsync(HttpContext http)
    {
        var (apiId, stageName, path) = Target(http.Request);
        return ServeAsync(http, apiId, stageName, path, viaExecuteApi: true);
    }

    /// <summary>
    /// One request to a REST API's stage, from an invoke URL or through a custom domain name's base path mapping;
    /// disableExecuteApiEndpoint closes only the former with 403 Forbidden, as on AWS. Stratus applies it at once (as it
    /// does the API's binary media types), where AWS waits for the next change to any of the API's stages.
    /// </summary>
    public async Task ServeAsync(HttpContext http, string apiId, string stageName, string path, bool viaExecuteApi)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;

        var deployed = stageName.Length == 0 ? null : gateway.FindDeployedStage(apiId, stageName);
        if (deployed is null || (viaExecuteApi && deployed.DefaultEndpointDisabled))
        {
            await WriteAsync(http, GatewayResponse.Message(403, "Forbidden", "ForbiddenException"));
            return;
        }
        // A canary takes its share of the stage's requests, with its own deployment and stage variable overrides.
        if (deployed.Stage.CanarySettings is { PercentTraffic: > 0 } canary && Random.Shared.NextDouble() * 100 < canary.PercentTraffic
            && gateway.CanaryOf(deployed) is { } canaryStage)
            deployed = canaryStage;
        var router = _routers.For(apiId, deployed.IsCanary ? stageName + CanaryRouterSuffix : stageName, deployed.Deployment.Deployment.Id,
            () => new StageRouter(deployed.Deployment.Resources));
        var route = router.Match(http.Request.Method, path);
        var exchange = route is null
            ? new MethodExchange(Answered(GatewayResponseTypes.Customize(deployed.Deployment, "MISSING_AUTHENTICATION_TOKEN",
                GatewayResponse.Message(403, "Missing Authentication Token", "MissingAuthenticationTokenException"), requestId)), null, "MISSING_AUTHENTICATION_TOKEN")
            : await RunMethodAsync(http, deployed, route, path, requestId);
        await WriteAsync(http, exchange.Outcome.Response);
        Record(deployed, exchange, Stopwatch.GetElapsedTime(started), requestId, http, route, path);
    }

    private const string CanaryRouterSuffix = "\u001fcanary";

    private static IntegrationOutcome Answered(GatewayResponse response) => new(response, TimeSpan.Zero, []);

    /// <summary>What a request came to: the outcome, the method request as the integration saw it, and the gateway response type that refused it.</summary>
    private sealed record MethodExchange(IntegrationOutcome Outcome, GatewayRequest? Request, string? RefusalType)
    {
        /// <summary>Whether the stage's cache answered (true) or the integration did and was cached (false); null when the method does not cache.</summary>
        public bool? CacheHit { get; init; }
    }

    /// <summary>The method request (throttling, authorization, API key, then the body), then the integration's stages.</summary>
    private async Task<MethodExchange> RunMethodAsync(HttpContext http, DeployedStage deployed, MatchedRoute route, string path, string requestId)
    {
        MethodExchange Refused(string responseType, GatewayResponse response, GatewayRequest? request = null, IReadOnlyList<string>? log = null) =>
            new(new IntegrationOutcome(GatewayResponseTypes.Customize(deployed.Deployment, responseType, response, requestId), TimeSpan.Zero, log ?? []),
                request, responseType);
        if (!TakeThrottleToken(deployed, route) || !throttles.TryTakeAccount(deployed.AccountId, deployed.Region))
            return Refused("THROTTLED", GatewayResponse.Message(429, "Too Many Requests", "TooManyRequestsException"));
        var methodArn = $"arn:aws:execute-api:{deployed.Region}:{deployed.AccountId}:{deployed.ApiId}/{deployed.Stage.StageName}/{http.Request.Method}{path}";
        var authorization = await methodRequest.AuthorizeAsync(http, route.Method, deployed.Region, methodArn);
        if (authorization.Refusal is { } refusal) return Refused(AuthorizationResponseType(refusal), refusal);
        // Whether a Cache-Control: max-age=0 may refresh the cache is decided before the body is read: the signature covers its hash.
        var cacheControlAuthorized = CacheSettingOf(deployed, route, http.Request.Method) is not { RequireAuthorizationForCacheControl: true }
            || !AsksToRefresh(http.Request.Headers.CacheControl)
            || await methodRequest.MayInvalidateCacheAsync(http, authorization.Caller, deployed.Region, methodArn);
        if (await ReadRequestAsync(http, path, authorization.Caller) is not { } request)
            return Refused("REQUEST_TOO_LARGE", GatewayResponse.Message(413, "Request Too Long"));
        var target = new GatewayTarget(deployed.AccountId, deployed.Region, deployed.ApiId, deployed.Stage.StageName,
            deployed.Variables, http.Request.Host.Value ?? "") { BinaryMediaTypes = deployed.BinaryMediaTypes, ClientCertificateId = deployed.Stage.ClientCertificateId };
        if (route.Method.AuthorizationType == "CUSTOM")
        {
            if (deployed.Deployment.Authorizers.GetValueOrDefault(route.Method.AuthorizerId ?? "") is not { } authorizer)
                return Refused("AUTHORIZER_CONFIGURATION_ERROR", LambdaAuthorizer.Failed("AUTHORIZER_CONFIGURATION_ERROR").Response, request);
            var verdict = await authorizers.AuthorizeAsync(authorizer, new RequestContext(target, route, request, requestId, clock), useCache: true, http.RequestAborted);
            if (verdict.Refusal is { } denied) return Refused(denied.Type, denied.Response, request, verdict.Log);
            request = request with { Authorizer = verdict.Grant };
        }
        if (route.Method.ApiKeyRequired)
        {
            // With apiKeySource AUTHORIZER the key is the one the authorizer named (usageIdentifierKey), as on AWS.
            var keyValue = deployed.ApiKeySource == "AUTHORIZER" ? request.Authorizer?.UsageIdentifierKey : http.Request.Headers["x-api-key"].FirstOrDefault();
            if (ApiKeyRefusal(gateway.MeterApiKey(deployed, keyValue)) is { } keyRefusal) return Refused(keyRefusal.Type, keyRefusal.Response, request);
            request = request with { ApiKey = keyValue };
        }
        if (RequestValidationStage.Refusal(deployed.Deployment, route.Method, request) is { } invalid) return Refused(invalid.Type, invalid.Response, request);
        var caching = CachingOf(deployed, route, request, cacheControlAuthorized);
        var warning = false;
        if (caching is { Invalidate: true, Authorized: false })
        {
            // An unauthorized Cache-Control: max-age=0 is handled as the method's unauthorizedCacheControlHeaderStrategy says.
            if (caching.Setting.UnauthorizedCacheControlHeaderStrategy == "FAIL_WITH_403")
                return Refused("DEFAULT_4XX", GatewayResponse.Message(403, "Forbidden", "ForbiddenException"), request);
            warning = caching.Setting.UnauthorizedCacheControlHeaderStrategy == "SUCCEED_WITH_RESPONSE_HEADER";
            caching = caching with { Invalidate = false };
        }
        if (caching is { Invalidate: false } && Cache.Find(deployed.ApiId, deployed.Stage.StageName, deployed.Stage.CacheClusterSize, caching.Key) is { } hit)
            return new MethodExchange(Answered(warning ? WithCacheControlWarning(hit) : hit), request, null) { CacheHit = true };
        try
        {
            var outcome = await engine.ExecuteAsync(target, route, request, requestId, http.RequestAborted);
            if (caching is null) return new MethodExchange(outcome, request, null);
            // A failed integration (5XX) is not kept: the next request tries the integration again.
            if (outcome.Response.StatusCode < 500)
                Cache.Store(deployed.ApiId, deployed.Stage.StageName, deployed.Stage.CacheClusterSize, caching.Key, outcome.Response, caching.Setting.CacheTtlInSeconds);
            return new MethodExchange(warning ? outcome with { Response = WithCacheControlWarning(outcome.Response) } : outcome, request, null) { CacheHit = false };
        }
        catch (Exception unexpected) when (!http.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(unexpected, "API {ApiId} stage {Stage} request {RequestId} failed", deployed.ApiId, deployed.Stage.StageName, requestId);
            return new MethodExchange(Answered(GatewayResponse.InternalServerError()), request, null);
        }
    }

    private StageResponseCache Cache => gateway.StageCaches;

    /// <summary>FlushStageCache: drops every response the stage's cache keeps, NotFoundException for an API or stage that does not exist.</summary>
    public void FlushStageCache(Scope scope, string apiId, string stageName)
    {
        gateway.GetStage(scope, apiId, stageName);
        Cache.Flush(apiId, stageName);
    }

    /// <summary>How the stage's cache treats one request: its cache key, the method's setting, and whether it asks to refresh its entry.</summary>
    private sealed record Caching(MethodSetting Setting, string Key, bool Invalidate, bool Authorized);

    /// <summary>
    /// The stage cache's part in a request, null when the stage has no cache or the method does not cache. As on AWS, the stage-wide
    /// <c>*/*</c> setting caches GET methods only, a method's own setting any method; a TTL of 0 disables caching. The key is the
    /// integration's cacheNamespace (by default the resource's id), the verb and the values of its cacheKeyParameters; a canary that
    /// does not useStageCache has its own entries. <c>Cache-Control: max-age=0</c> refreshes the entry when the caller may invalidate it:
    /// always when requireAuthorizationForCacheControl is off, else as <see cref="MethodRequestStage.MayInvalidateCacheAsync"/> decided.
    /// </summary>
    private static Caching? CachingOf(DeployedStage deployed, MatchedRoute route, GatewayRequest request, bool cacheControlAuthorized)
    {
        if (CacheSettingOf(deployed, route, request.HttpMethod) is not { } setting) return null;
        var integration = route.Plan.Integration;
        // The stage's creation time keeps a deleted stage's entries from answering for a new stage of the same name.
        var key = new System.Text.StringBuilder(deployed.IsCanary && deployed.Stage.CanarySettings?.UseStageCache != true ? "canary" : "stage")
            .Append('\u001f').Append(deployed.Stage.CreatedDate.UtcTicks).Append('\u001f').Append(integration?.CacheNamespace ?? route.Resource.Id).Append('\u001f').Append(request.HttpMethod);
        foreach (var parameter in integration?.CacheKeyParameters ?? [])
            key.Append('\u001f').Append(parameter).Append('=').Append(CacheKeyValue(parameter, route, request));
        var invalidate = request.Headers.Any(h => string.Equals(h.Key, "Cache-Control", StringComparison.OrdinalIgnoreCase) && AsksToRefresh(h.Value));
        return new Caching(setting, key.ToString(), invalidate, cacheControlAuthorized);
    }

    /// <summary>The method's cache setting when the stage caches its responses, null when it does not cache them.</summary>
    private static MethodSetting? CacheSettingOf(DeployedStage deployed, MatchedRoute route, string httpMethod)
    {
        // A disabled cache holds nothing: ApiGatewayService drops it when the stage changes, never a request.
        if (!deployed.Stage.CacheClusterEnabled) return null;
        var settings = deployed.Stage.MethodSettings;
        var setting = settings.GetValueOrDefault(route.MethodSettingKey);
        if (setting is null && httpMethod == "GET") setting = settings.GetValueOrDefault("*/*");
        return setting is { CachingEnabled: true, CacheTtlInSeconds: > 0 } ? setting : null;
    }

    /// <summary>Whether a Cache-Control value asks for a fresh answer (<c>max-age=0</c> among its directives).</summary>
    private static bool AsksToRefresh(string? cacheControl) =>
        cacheControl is not null && cacheControl.Split(',').Any(d => d.Trim().Equals("max-age=0", StringComparison.OrdinalIgnoreCase));

    /// <summary>A cache key parameter's value in the request (<c>method.request.{path|querystring|header|multivalue...}.name</c>).</summary>
    private static string CacheKeyValue(string parameter, MatchedRoute route, GatewayRequest request)
    {
        static string Values(IEnumerable<KeyValuePair<string, string>> pairs, string name, StringComparison comparison, bool all)
        {
            var values = pairs.Where(p => string.Equals(p.Key, name, comparison)).Select(p => p.Value);
            return all ? string.Join('\u001e', values) : values.FirstOrDefault() ?? "";
        }
        var parts = parameter.Split('.', 4);
        if (parts.Length != 4 || parts[0] != "method" || parts[1] != "request") return "";
        return parts[2] switch
        {
            "path" => route.PathParameters.GetValueOrDefault(parts[3]) ?? "",
            "querystring" => Values(request.Query, parts[3], StringComparison.Ordinal, all: false),
            "multivaluequerystring" => Values(request.Query, parts[3], StringComparison.Ordinal, all: true),
            "header" => Values(request.Headers, parts[3], StringComparison.OrdinalIgnoreCase, all: false),
            "multivalueheader" => Values(request.Headers, parts[3], StringComparison.OrdinalIgnoreCase, all: true),
            _ => "",
        };
    }

    /// <summary>The response with the warning AWS adds when it ignored an unauthorized Cache-Control header (SUCCEED_WITH_RESPONSE_HEADER).</summary>
    private static GatewayResponse WithCacheControlWarning(GatewayResponse response) => new(response.StatusCode,
        [.. response.Headers, new("Warning", "199 Cache-control headers were ignored because the caller was unauthorized.")], response.Body);

    /// <summary>
    /// A stage's method throttling: the method's own setting (<c>~1pets/GET</c>) or else the stage's <c>*/*</c> sets a token bucket of
    /// <c>throttlingBurstLimit</c> requests refilled at <c>throttlingRateLimit</c> per second; false when it is empty (429, as AWS throttles).
    /// </summary>
    private bool TakeThrottleToken(DeployedStage deployed, MatchedRoute route)
    {
        var settings = deployed.Stage.MethodSettings;
        if (settings.Count == 0) return true;
        var key = route.MethodSettingKey;
        if (!settings.TryGetValue(key, out var setting) && !settings.TryGetValue(key = "*/*", out setting)) return true;
        return throttles.TryTake(new ThrottledMethod(deployed.AccountId, deployed.Region, deployed.ApiId, deployed.Stage.StageName, key),
            setting.ThrottlingRateLimit, setting.ThrottlingBurstLimit);
    }

    /// <summary>What API Gateway answers a request its API key or usage plan turns away, with the gateway response type it answers as.</summary>
    private static TypedRefusal? ApiKeyRefusal(ApiKeyVerdict verdict) => verdict switch
    {
        ApiKeyVerdict.Forbidden => new("INVALID_API_KEY", GatewayResponse.Message(403, "Forbidden", "ForbiddenException")),
        ApiKeyVerdict.Throttled => new("THROTTLED", GatewayResponse.Message(429, "Too Many Requests", "TooManyRequestsException")),
        ApiKeyVerdict.QuotaExceeded => new("QUOTA_EXCEEDED", GatewayResponse.Message(429, "Limit Exceeded", "LimitExceededException")),
        _ => null,
    };

    /// <summary>The gateway response type of an AWS_IAM refusal, by the error type the method request stage gave it.</summary>
    private static string AuthorizationResponseType(GatewayResponse refusal) =>
        refusal.Headers.FirstOrDefault(h => h.Key == "x-amzn-ErrorType").Value switch
        {
            "MissingAuthenticationTokenException" => "MISSING_AUTHENTICATION_TOKEN",
            "ExpiredTokenException" => "EXPIRED_TOKEN",
            "InvalidSignatureException" or "IncompleteSignatureException" => "INVALID_SIGNATURE",
            "UnrecognizedClientException" => "UNAUTHORIZED",
            "AccessDeniedException" => "ACCESS_DENIED",
            _ => "DEFAULT_4XX",
        };

    private static (string ApiId, string Stage, string Path) Target(HttpRequest request)
    {
        if (PathTarget(request.Path.Value) is { } byPath) return byPath;
        var segments = (request.Path.Value ?? "/").Split('/', 3);
        var stage = segments.Length > 1 ? segments[1] : "";
        return (InvokeHttp.ExecuteApiHostId(request)!, stage, "/" + (segments.Length > 2 ? segments[2] : ""));
    }

    /// <summary>The method request with its whole body, or null when the body is larger than API Gateway accepts.</summary>
    private static async Task<GatewayRequest?> ReadRequestAsync(HttpContext http, string path, CallerIdentity? caller)
    {
        if (await InvokeHttp.ReadBodyAsync(http) is not { } body) return null;
        var request = http.Request;
        return new GatewayRequest(request.Method, path, InvokeHttp.Pairs(request.Query), InvokeHttp.Pairs(request.Headers), body,
            http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1")
        {
            Caller = caller,
            ClientCert = http.Features.Get<ClientCertificateIdentity>(),
        };
    }

    private static Task WriteAsync(HttpContext http, GatewayResponse response) => InvokeHttp.WriteAsync(http, response.StatusCode, response.Headers, response.Body);

    private void Record(DeployedStage deployed, MethodExchange exchange, TimeSpan latency, string requestId, HttpContext http, MatchedRoute? route, string path)
    {
        var now = clock.GetUtcNow();
        var (response, integrationLatency, log) = exchange.Outcome;
        var status = response.StatusCode;
        IReadOnlyList<KeyValuePair<string, string>> dimensions = [new("ApiName", deployed.ApiName), new("Stage", deployed.Stage.StageName)];
        void Publish(string name, double value, string unit) =>
            metrics.Publish(new MetricDatum(deployed.AccountId, deployed.Region, "AWS/ApiGateway", name, dimensions, value, unit, now));
        Publish("Count", 1, "Count");
        Publish("Latency", latency.TotalMilliseconds, "Milliseconds");
        Publish("IntegrationLatency", integrationLatency.TotalMilliseconds, "Milliseconds");
        Publish("4XXError", status is >= 400 and < 500 ? 1 : 0, "Count");
        Publish("5XXError", status >= 500 ? 1 : 0, "Count");
        if (exchange.CacheHit is { } cacheHit)
        {
            Publish("CacheHitCount", cacheHit ? 1 : 0, "Count");
            Publish("CacheMissCount", cacheHit ? 0 : 1, "Count");
        }

        var level = deployed.Stage.MethodSettings.GetValueOrDefault("*/*")?.LoggingLevel ?? "OFF";
        if (log.Count > 0 && (level == "INFO" || level == "ERROR" && status >= 400))
            logs.Append(deployed.AccountId, deployed.Region, $"API-Gateway-Execution-Logs_{deployed.ApiId}/{deployed.Stage.StageName}", requestId,
                log.Select(line => new LogLine(now, line)).ToList());
        if (deployed.Stage.AccessLogSettings is { DestinationArn: { } arn, Format: { } format } && AccessLog.LogGroup(arn) is { } group)
        {
            var request = exchange.Request ?? new GatewayRequest(http.Request.Method, path, [], [.. http.Request.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()))], [],
                http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1");
            var target = new GatewayTarget(deployed.AccountId, deployed.Region, deployed.ApiId, deployed.Stage.StageName, deployed.Variables, http.Request.Host.Value ?? "");
            var entry = new AccessLogEntry(new RequestContext(target, route ?? UnmatchedRoute, request, requestId, clock), route is not null, deployed.IsCanary,
                response, exchange.RefusalType, latency, integrationLatency, exchange.Request is not null && exchange.RefusalType is null);
            logs.Append(group.Account, group.Region, group.Name, AccessLog.StreamName(deployed.ApiId, deployed.Stage.StageName),
                [new LogLine(now, AccessLog.Format(format, entry.Value))]);
        }
        if (status >= 500) logger.LogWarning("API {ApiId} stage {Stage} answered {Status}: {Log}", deployed.ApiId, deployed.Stage.StageName, status, string.Join(" | ", log));
    }

    /// <summary>The route an access log line names for a request that matched no resource: no resource id or path.</summary>
    private static readonly MatchedRoute UnmatchedRoute = new(new ApiResource { Id = "", Path = "" }, MethodPlan.Compile(new ApiMethod()), new Dictionary<string, string>());

    /// <summary>TestInvokeMethod: runs the method as currently defined (not as deployed), returning the execution log.</summary>
    public async Task<TestInvokeResult> TestInvokeAsync(Scope call, string apiId, string resourceId, string httpMethod, string? pathWithQueryString,
        string? body, IReadOnlyDictionary<string, string> headers, IReadOnlyDictionary<string, string> stageVariables, CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        var (api, resource) = gateway.ForTestInvoke(call, apiId, resourceId);
        var method = resource.ResourceMethods?.GetValueOrDefault(httpMethod.ToUpperInvariant())
            ?? throw ApiGatewayErrors.NotFound("Invalid Method identifier specified");
        var pathAndQuery = (pathWithQueryString ?? resource.Path).Split('?', 2);
        var path = pathAndQuery[0].Length == 0 ? "/" : pathAndQuery[0];
        var query = pathAndQuery.Length > 1 ? QueryPairs(pathAndQuery[1]) : [];
        var matched = new StageRouter(api.Resources).Match(method.HttpMethod == "ANY" ? "ANY" : httpMethod, path);
        var parameters = matched?.Resource.Id == resourceId ? matched.PathParameters : new Dictionary<string, string>();
        var request = new GatewayRequest(httpMethod.ToUpperInvariant(), path, query, headers.ToList(), System.Text.Encoding.UTF8.GetBytes(body ?? ""), "test-invoke-source-ip");
        var target = new GatewayTarget(call.AccountId, call.Region, apiId, TestInvokeStage, stageVariables, "testPrefix.testDomainName")
        {
            BinaryMediaTypes = api.Api.BinaryMediaTypes ?? [],
        };
        var outcome = await engine.ExecuteAsync(target, new MatchedRoute(resource, MethodPlan.Compile(method), parameters), request, call.RequestId, cancellation);
        return new TestInvokeResult(outcome.Response, string.Join('\n', outcome.Log), watch.ElapsedMilliseconds);
    }

    /// <summary>
    /// TestInvokeAuthorizer: runs the API's current authorizer (not a deployment's) on the given headers, query, stage variables and
    /// context, never from the cache, for GET on the path; the answer's status as the client would get it, the principal and policy.
    /// </summary>
    public async Task<(AuthorizerVerdict Verdict, long LatencyMilliseconds)> TestInvokeAuthorizerAsync(Scope call, string apiId, string authorizerId,
        IReadOnlyDictionary<string, string> headers, IReadOnlyDictionary<string, IReadOnlyList<string>> multiValueHeaders, string? pathWithQueryString,
        string? body, IReadOnlyDictionary<string, string> stageVariables, CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        var (api, authorizer) = gateway.ForTestInvokeAuthorizer(call, apiId, authorizerId);
        var pathAndQuery = (pathWithQueryString ?? "/").Split('?', 2);
        var path = pathAndQuery[0].Length == 0 ? "/" : pathAndQuery[0];
        var allHeaders = headers.ToList();
        allHeaders.AddRange(multiValueHeaders.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))));
        var request = new GatewayRequest("GET", path, pathAndQuery.Length > 1 ? QueryPairs(pathAndQuery[1]) : [], allHeaders,
            System.Text.Encoding.UTF8.GetBytes(body ?? ""), "test-invoke-source-ip");
        var target = new GatewayTarget(call.AccountId, call.Region, apiId, TestInvokeStage, stageVariables, "testPrefix.testDomainName");
        var root = api.Resources[api.Api.RootResourceId];
        var route = new StageRouter(api.Resources).Match("GET", path)
            ?? new MatchedRoute(root, MethodPlan.Compile(new ApiMethod { HttpMethod = "GET" }), new Dictionary<string, string>());
        var verdict = await authorizers.AuthorizeAsync(authorizer, new RequestContext(target, route, request, call.RequestId, clock), useCache: false, cancellation);
        return (verdict, watch.ElapsedMilliseconds);
    }

    private static List<KeyValuePair<string, string>> QueryPairs(string query) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
}
