using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGatewayV2.Engine;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>
/// Serves HTTP APIs' stages on the shared endpoint, in two forms:
/// <c>http://{api-id}.execute-api[.{region}].localhost:{port}/[{stage}/]{path}</c> (any Host <c>{api-id}.execute-api.*</c>), and
/// <c>http://127.0.0.1:{port}/_aws/execute-api/{api-id}/[{stage}/]{path}</c>, which needs no DNS.
/// In both, the first path segment selects a stage when the API has a stage of that name; otherwise the
/// request goes to the $default stage with its whole path, which is how AWS resolves an HTTP API's URL.
/// </summary>
public sealed class ApiGatewayV2DataPlane(ApiGatewayV2Service gateway, MethodRequestStage signers, JwtAuthorizer jwt, LambdaRequestAuthorizer lambdaAuthorizer,
    HttpApiIntegrations integrations, StageTelemetry telemetry, TimeProvider clock, GatewayThrottles throttles, ILogger logger,
    WebSocketSessions webSockets, WebSocketConnections connections) : IRequestInterceptor
{
    /// <summary>The path form's prefix; REST APIs are served under it too (ApiGatewayDataPlane).</summary>
    public const string PathPrefix = "/_aws/execute-api/";

    /// <summary>The management API's path (apigatewaymanagementapi), after a WebSocket stage's URL or on Stratus's own address.</summary>
    private const string ConnectionsPath = "/@connections/";

    private readonly HttpApiRouteTables _routeTables = new();

    /// <summary>
    /// HTTP and WebSocket APIs on their invoke-URL forms, and the management API at Stratus's own address, where a function's SDK sends it
    /// when AWS_ENDPOINT_URL is all it is given.
    /// </summary>
    public bool Claims(HttpRequest request) =>
        Target(request) is { } target ? gateway.IsHttpApi(target.ApiId) : request.Path.Value?.StartsWith(ConnectionsPath, StringComparison.Ordinal) == true;

    /// <summary>The API and the path after it (stage included), from the path form or the execute-api Host.</summary>
    private static (string ApiId, string PathAfterApi)? Target(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        if (path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            var rest = path[PathPrefix.Length..];
            var slash = rest.IndexOf('/');
            return slash < 0 ? (rest, "/") : (rest[..slash], rest[slash..]);
        }
        return InvokeHttp.ExecuteApiHostId(request) is { } apiId ? (apiId, path) : null;
    }

    public Task HandleAsync(HttpContext http)
    {
        if (Target(http.Request) is not (string apiId, string rest))
            return connections.HandleAsync(http, Uri.UnescapeDataString(http.Request.Path.Value![ConnectionsPath.Length..]), urlStage: null);
        var firstSegment = rest.Split('/', 3) is { Length: > 1 } parts ? parts[1] : "";
        var (stageName, path) = firstSegment.Length > 0 && firstSegment != ApiGatewayV2Service.DefaultStage && gateway.HasStage(apiId, firstSegment)
            ? (firstSegment, "/" + (rest.Split('/', 3) is { Length: > 2 } tail ? tail[2] : ""))
            : (ApiGatewayV2Service.DefaultStage, rest);
        return ServeAsync(http, apiId, stageName, path, rest, viaExecuteApi: true);
    }

    /// <summary>
    /// One request to an HTTP API's stage, from its execute-api URL or through a custom domain's API mapping; disableExecuteApiEndpoint
    /// closes only the former, as on AWS, where it is meant for APIs reached through their custom domain names.
    /// </summary>
    public async Task ServeAsync(HttpContext http, string apiId, string stageName, string path, string rawPath, bool viaExecuteApi)
    {
        var watch = Stopwatch.StartNew();
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["apigw-requestid"] = requestId;
        if (gateway.FindServedStage(apiId, stageName) is not { } stage || (viaExecuteApi && stage.Api.DisableExecuteApiEndpoint))
        {
            await WriteAsync(http, HttpApiResponse.NotFound());
            return;
        }
        if (stage.Api.IsWebSocket)
        {
            if (path.StartsWith(ConnectionsPath, StringComparison.Ordinal))
                await connections.HandleAsync(http, Uri.UnescapeDataString(path[ConnectionsPath.Length..]), stage);
            else
                await webSockets.ServeAsync(http, stage, DomainNameOf(http.Request, apiId));
            return;
        }
        if (await ReadRequestAsync(http, apiId, path, rawPath, requestId) is not { } request)
        {
            await WriteAsync(http, HttpApiResponse.Message(413, "Request Entity Too Large"));
            return;
        }
        var run = new HttpApiRun { Stage = stage, Request = request };
        HttpApiResponse response;
        try
        {
            response = await RunAsync(http, run);
        }
        catch (Exception unexpected) when (!http.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(unexpected, "HTTP API {ApiId} stage {Stage} request {RequestId} failed", apiId, stageName, requestId);
            response = HttpApiResponse.InternalServerError();
        }
        await WriteAsync(http, response);
        run.Status = response.StatusCode;
        run.ResponseLength = response.Body.Length;
        run.ResponseLatency = watch.Elapsed;
        Record(run);
    }

    /// <summary>CORS preflight, route, authorization, integration, then CORS headers: the order AWS applies them in.</summary>
    private async Task<HttpApiResponse> RunAsync(HttpContext http, HttpApiRun run)
    {
        var request = run.Request;
        var cors = run.Stage.Definition.Cors;
        if (cors is not null && CorsPolicy.IsPreflight(request)) return CorsPolicy.Preflight(cors, request);
        var response = await RouteAsync(http, run, http.RequestAborted);
        if (cors is not null) CorsPolicy.Apply(cors, request, response);
        return response;
    }

    private async Task<HttpApiResponse> RouteAsync(HttpContext http, HttpApiRun run, CancellationToken cancellation)
    {
        var definition = run.Stage.Definition;
        // The account's Region-wide throttle counts every request to any stage, then the route's own limits (stage settings).
        if (!throttles.TryTakeAccount(run.Stage.AccountId, run.Stage.Region)) return HttpApiResponse.TooManyRequests();
        if (_routeTables.For(run.Stage).Match(run.Request.Method, run.Request.Path) is not { } matched) return HttpApiResponse.NotFound();
        run.Route = matched;
        var route = matched.Route;
        if (!TakeRouteToken(run.Stage, route.RouteKey)) return HttpApiResponse.TooManyRequests();
        if (route.AuthorizationType == "AWS_IAM")
        {
            if (await SignerAsync(http, run) is { Refusal: { } refusal }) return new HttpApiResponse(refusal.StatusCode, refusal.Headers, refusal.Body);
        }
        else if (route.AuthorizerId is { } authorizerId && route.AuthorizationType is "JWT" or "CUSTOM")
        {
            if (definition.Authorizers.GetValueOrDefault(authorizerId) is not { } authorizer) return HttpApiResponse.InternalServerError();
            var authorization = authorizer.AuthorizerType == "JWT"
                ? await jwt.AuthorizeAsync(authorizer, route, run.Request, cancellation)
                : await lambdaAuthorizer.AuthorizeAsync(authorizer, run, cancellation);
            run.AuthorizerError = authorization.Error;
            if (authorization.Refusal is { } refusal) return refusal;
            run.Authorizer = authorization.Context;
        }
        if (route.Target is not { } target || definition.Integrations.GetValueOrDefault(target["integrations/".Length..]) is not { } integration)
            return HttpApiResponse.NotFound();
        return await integrations.RunAsync(run, integration, cancellation);
    }

    /// <summary>
    /// An AWS_IAM route's request, checked as REST methods' AWS_IAM is: signed with SigV4 for execute-api, and under
    /// <c>--auth enforce</c> allowed execute-api:Invoke on <c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH</c>.
    /// The body was read whole before the route was known, so the signature's body hash is checked against those bytes.
    /// </summary>
    private async Task<MethodAuthorization> SignerAsync(HttpContext http, HttpApiRun run)
    {
        var stage = run.Stage;
        http.Request.Body = new MemoryStream(run.Request.Body, writable: false);
        var authorization = await signers.AuthorizeInvokeAsync(http, stage.Region,
            $"arn:aws:execute-api:{stage.Region}:{stage.AccountId}:{stage.Api.ApiId}/{stage.Stage.StageName}/{run.Request.Method}{run.Request.Path}");
        run.Caller = authorization.Caller;
        return authorization;
    }

    /// <summary>
    /// A route's throttle: a token bucket of ThrottlingBurstLimit refilled at ThrottlingRateLimit per second, per stage and route key.
    /// A limit left unset is the account's, which bounds every route anyway; with neither set the route has no bucket of its own.
    /// </summary>
    private bool TakeRouteToken(ServedStage stage, string routeKey)
    {
        var settings = stage.RouteSettingsOf(routeKey);
        if (settings.ThrottlingBurstLimit is null && settings.ThrottlingRateLimit is null) return true;
        return throttles.TryTake(new ThrottledMethod(stage.AccountId, stage.Region, stage.Api.ApiId, stage.Stage.StageName, routeKey),
            settings.ThrottlingRateLimit ?? throttles.Account.RateLimit, settings.ThrottlingBurstLimit ?? throttles.Account.BurstLimit);
    }

    /// <summary>The request with its whole body, or null when the body is larger than API Gateway accepts (10 MB).</summary>
    private async Task<HttpApiRequest?> ReadRequestAsync(HttpContext http, string apiId, string path, string rawPath, string requestId)
    {
        if (await InvokeHttp.ReadBodyAsync(http) is not { } body) return null;
        var request = http.Request;
        return new HttpApiRequest
        {
            Method = request.Method,
            Path = path,
            RawPath = rawPath,
            RawQueryString = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            Headers = InvokeHttp.Pairs(request.Headers),
            Query = InvokeHttp.Pairs(request.Query),
            Body = body,
            SourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1",
            DomainName = DomainNameOf(request, apiId),
            RequestId = requestId,
            Start = clock.GetUtcNow(),
            ClientCert = http.Features.Get<ClientCertificateIdentity>(),
        };
    }

    /// <summary>The path form answers for the API's host form, so integrations see the domain name AWS would give them.</summary>
    private static string DomainNameOf(HttpRequest request, string apiId) =>
        request.Path.StartsWithSegments(PathPrefix.TrimEnd('/')) ? $"{apiId}.execute-api.localhost" : request.Host.Host;

    private static Task WriteAsync(HttpContext http, HttpApiResponse response) => InvokeHttp.WriteAsync(http, response.StatusCode, response.Headers, response.Body);

    /// <summary>HTTP APIs' metrics (AWS/ApiGateway, per ApiId and Stage) and the stage's access log line.</summary>
    private void Record(HttpApiRun run)
    {
        var now = clock.GetUtcNow();
        var stage = run.Stage;
        // Detailed metrics add the same metrics per route (dimensions ApiId, Stage, Route), only where the stage enables them, as on AWS;
        // a request that matched no route has none.
        var routeKey = run.Route?.Route.RouteKey;
        void Publish(string name, double value, string unit) => telemetry.Publish(stage, routeKey, name, value, unit, now);
        Publish("Count", 1, "Count");
        Publish("4xx", run.Status is >= 400 and < 500 ? 1 : 0, "Count");
        Publish("5xx", run.Status >= 500 ? 1 : 0, "Count");
        Publish("Latency", run.ResponseLatency.TotalMilliseconds, "Milliseconds");
        if (run.IntegrationStatus is not null) Publish("IntegrationLatency", run.IntegrationLatency.TotalMilliseconds, "Milliseconds");
        Publish("DataProcessed", run.Request.Body.Length + run.ResponseLength, "Bytes");
        telemetry.WriteAccessLog(stage, now, variable => ContextVariables.Value(variable, run));
        if (run.Status >= 500 && run.IntegrationError is { } error)
            logger.LogWarning("HTTP API {ApiId} stage {Stage} answered {Status}: {Error}", stage.Api.ApiId, stage.Stage.StageName, run.Status, error);
    }
}
