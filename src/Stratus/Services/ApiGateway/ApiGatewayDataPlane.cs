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
public sealed class ApiGatewayDataPlane(ApiGatewayService gateway, MethodRequestStage methodRequest, IntegrationEngine engine,
    IMetricPublisher metrics, ILogWriter logs, TimeProvider clock, ILogger logger) : IRequestInterceptor
{
    public const string TestInvokeStage = "test-invoke-stage";
    private const string UserRequestMarker = "_user_request_";

    private readonly StageRouterCache _routers = new((apiId, stage) => gateway.FindDeployedStage(apiId, stage)?.Deployment.Deployment.Id);

    public bool Claims(HttpRequest request) => HostApiId(request) is not null || PathTarget(request.Path.Value) is not null;

    private static string? HostApiId(HttpRequest request)
    {
        var labels = request.Host.Host.ToLowerInvariant().Split('.');
        return labels.Length >= 3 && labels[1] == "execute-api" && labels[0].Length > 0 ? labels[0] : null;
    }

    private static (string ApiId, string Stage, string Path)? PathTarget(string? path)
    {
        // The form that needs no DNS, shared with HTTP APIs: /_aws/execute-api/{api-id}/{stage}/{path}.
        if (path is not null && path.StartsWith(ApiGatewayV2.ApiGatewayV2DataPlane.PathPrefix, StringComparison.Ordinal))
        {
            var target = path[ApiGatewayV2.ApiGatewayV2DataPlane.PathPrefix.Length..].Split('/', 3);
            return target.Length >= 2 && target[0].Length > 0 ? (target[0], target[1], "/" + (target.Length > 2 ? target[2] : "")) : null;
        }
        var parts = (path ?? "").Split('/', 6);
        // "", "restapis", id, stage, "_user_request_", rest
        if (parts.Length < 5 || parts[1] != "restapis" || parts[4] != UserRequestMarker || parts[2].Length == 0 || parts[3].Length == 0) return null;
        return (parts[2], parts[3], "/" + (parts.Length > 5 ? parts[5] : ""));
    }

    public async Task HandleAsync(HttpContext http)
    {
        var watch = Stopwatch.StartNew();
        var requestId = Guid.NewGuid().ToString();
        var (apiId, stageName, path) = Target(http.Request);
        http.Response.Headers["x-amzn-RequestId"] = requestId;

        var deployed = stageName.Length == 0 ? null : gateway.FindDeployedStage(apiId, stageName);
        if (deployed is null)
        {
            await WriteAsync(http, GatewayResponse.Message(403, "Forbidden", "ForbiddenException"));
            return;
        }
        var router = _routers.For(apiId, stageName, deployed.Deployment.Deployment.Id, () => new StageRouter(deployed.Deployment.Resources));
        var outcome = router.Match(http.Request.Method, path) is { } route
            ? await RunMethodAsync(http, deployed, route, path, requestId)
            : Answered(GatewayResponseTypes.Customize(deployed.Deployment, "MISSING_AUTHENTICATION_TOKEN",
                GatewayResponse.Message(403, "Missing Authentication Token", "MissingAuthenticationTokenException"), requestId));
        await WriteAsync(http, outcome.Response);
        Record(deployed, outcome.Response.StatusCode, watch.Elapsed, outcome.IntegrationLatency, outcome.Log, requestId);
    }

    private static IntegrationOutcome Answered(GatewayResponse response) => new(response, TimeSpan.Zero, []);

    /// <summary>The method request (authorization, then the body), then the integration's stages.</summary>
    private async Task<IntegrationOutcome> RunMethodAsync(HttpContext http, DeployedStage deployed, MatchedRoute route, string path, string requestId)
    {
        IntegrationOutcome Refused(string responseType, GatewayResponse response) =>
            Answered(GatewayResponseTypes.Customize(deployed.Deployment, responseType, response, requestId));
        var authorization = await methodRequest.AuthorizeAsync(http, route.Method);
        if (authorization.Refusal is { } refusal) return Refused(AuthorizationResponseType(refusal), refusal);
        if (route.Method.ApiKeyRequired && ApiKeyRefusal(gateway.MeterApiKey(deployed, http.Request.Headers["x-api-key"].FirstOrDefault())) is { } keyRefusal)
            return Refused(keyRefusal.Type, keyRefusal.Response);
        if (await ReadRequestAsync(http, path, authorization.Caller) is not { } request)
            return Refused("REQUEST_TOO_LARGE", GatewayResponse.Message(413, "Request Too Long"));
        if (RequestValidationStage.Refusal(deployed.Deployment, route.Method, request) is { } invalid) return Refused(invalid.Type, invalid.Response);
        var target = new GatewayTarget(deployed.AccountId, deployed.Region, deployed.ApiId, deployed.Stage.StageName,
            deployed.Stage.Variables ?? [], http.Request.Host.Value ?? "") { BinaryMediaTypes = deployed.BinaryMediaTypes };
        try
        {
            return await engine.ExecuteAsync(target, route, request, requestId, http.RequestAborted);
        }
        catch (Exception unexpected) when (!http.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(unexpected, "API {ApiId} stage {Stage} request {RequestId} failed", deployed.ApiId, deployed.Stage.StageName, requestId);
            return Answered(GatewayResponse.InternalServerError());
        }
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
            _ => "DEFAULT_4XX",
        };

    private static (string ApiId, string Stage, string Path) Target(HttpRequest request)
    {
        if (PathTarget(request.Path.Value) is { } byPath) return byPath;
        var segments = (request.Path.Value ?? "/").Split('/', 3);
        var stage = segments.Length > 1 ? segments[1] : "";
        return (HostApiId(request)!, stage, "/" + (segments.Length > 2 ? segments[2] : ""));
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
        };
    }

    private static Task WriteAsync(HttpContext http, GatewayResponse response) => InvokeHttp.WriteAsync(http, response.StatusCode, response.Headers, response.Body);

    private void Record(DeployedStage deployed, int status, TimeSpan latency, TimeSpan integrationLatency, IReadOnlyList<string> log, string requestId)
    {
        var now = clock.GetUtcNow();
        IReadOnlyList<KeyValuePair<string, string>> dimensions = [new("ApiName", deployed.ApiName), new("Stage", deployed.Stage.StageName)];
        void Publish(string name, double value, string unit) =>
            metrics.Publish(new MetricDatum(deployed.AccountId, deployed.Region, "AWS/ApiGateway", name, dimensions, value, unit, now));
        Publish("Count", 1, "Count");
        Publish("Latency", latency.TotalMilliseconds, "Milliseconds");
        Publish("IntegrationLatency", integrationLatency.TotalMilliseconds, "Milliseconds");
        Publish("4XXError", status is >= 400 and < 500 ? 1 : 0, "Count");
        Publish("5XXError", status >= 500 ? 1 : 0, "Count");

        var level = deployed.Stage.MethodSettings.GetValueOrDefault("*/*")?.LoggingLevel ?? "OFF";
        if (log.Count > 0 && (level == "INFO" || level == "ERROR" && status >= 400))
            logs.Append(deployed.AccountId, deployed.Region, $"API-Gateway-Execution-Logs_{deployed.ApiId}/{deployed.Stage.StageName}", requestId,
                log.Select(line => new LogLine(now, line)).ToList());
        if (status >= 500) logger.LogWarning("API {ApiId} stage {Stage} answered {Status}: {Log}", deployed.ApiId, deployed.Stage.StageName, status, string.Join(" | ", log));
    }

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

    private static List<KeyValuePair<string, string>> QueryPairs(string query) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
}
