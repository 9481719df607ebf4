using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.SigV4;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>The data plane in-process: which requests it claims, the metrics it publishes and the execution logs it writes.</summary>
public sealed class ApiGatewayDataPlaneUnitTests : IDisposable
{
    private sealed class RecordingLogs : ILogWriter
    {
        public List<(string Group, IReadOnlyList<LogLine> Lines)> Appended { get; } = [];
        public void Append(string accountId, string region, string logGroup, string logStream, IReadOnlyList<LogLine> lines) => Appended.Add((logGroup, lines));
    }

    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly HttpClient _http = IntegrationEngine.CreateHttpClient();
    private readonly RecordingMetrics _metrics = new();
    private readonly RecordingLogs _logs = new();
    private readonly ApiGatewayService _gateway;
    private readonly ApiGatewayDataPlane _plane;
    private readonly Scope _call = new("111122223333", "eu-west-1", "r-1");

    public ApiGatewayDataPlaneUnitTests()
    {
        _gateway = new ApiGatewayService(_store, TimeProvider.System);
        _plane = new ApiGatewayDataPlane(_gateway, new MethodRequestStage(new CredentialResolver([]), new SigV4Verifier(TimeProvider.System), AuthMode.Accept),
            new LambdaAuthorizer(FakeLambdaInvoker.Returning("{}"), TimeProvider.System), new IntegrationEngine(FakeLambdaInvoker.Returning("{}"), _http, TimeProvider.System),
            _metrics, _logs, TimeProvider.System, new GatewayThrottles(TimeProvider.System), NullLogger.Instance);
    }

    public void Dispose()
    {
        _http.Dispose();
        _store.Dispose();
    }

    private string DeployMockApi(string loggingLevel)
    {
        var api = _gateway.CreateRestApi(_call, new RestApiSettings("metered", null, null, null, null, null, null, null, null, false));
        _gateway.PutMethod(_call, api.Id, api.RootResourceId, "GET", new MethodSettings("NONE", null, false, null, null, null, null, null));
        _gateway.PutMethodResponse(_call, api.Id, api.RootResourceId, "GET", new MethodResponseSettings("200", null, null));
        _gateway.PutIntegration(_call, api.Id, api.RootResourceId, "GET", new IntegrationSettings("MOCK", null, null, null, null, null,
            new() { ["application/json"] = """{"statusCode": 200}""" }, null, null, null, null, null));
        _gateway.PutIntegrationResponse(_call, api.Id, api.RootResourceId, "GET", new IntegrationResponseSettings("200", null, null,
            new() { ["application/json"] = """{"ok": true}""" }, null));
        _gateway.CreateDeployment(_call, api.Id, new DeploymentSettings("v1", null, null, null));
        _gateway.UpdateStage(_call, api.Id, "v1", [new PatchOperation("replace", "/*/*/logging/loglevel", loggingLevel, null)]);
        return api.Id;
    }

    private static DefaultHttpContext Request(string host, string path)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Host = new HostString(host);
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        return http;
    }

    private static string Body(HttpContext http) => Encoding.UTF8.GetString(((MemoryStream)http.Response.Body).ToArray());

    [Fact]
    public void Claims_only_invoke_urls()
    {
        Assert.True(_plane.Claims(Request("abc1234567.execute-api.localhost:4566", "/prod/x").Request));
        Assert.True(_plane.Claims(Request("abc1234567.execute-api.us-east-1.amazonaws.com", "/prod").Request));
        Assert.True(_plane.Claims(Request("localhost:4566", "/restapis/abc1234567/prod/_user_request_/x").Request));
        Assert.False(_plane.Claims(Request("localhost:4566", "/restapis/abc1234567/resources").Request));
        Assert.False(_plane.Claims(Request("localhost:4566", "/restapis").Request));
        Assert.False(_plane.Claims(Request("127.0.0.1:4566", "/").Request));
    }

    [Fact]
    public async Task Each_request_publishes_the_stages_metrics()
    {
        var apiId = DeployMockApi("OFF");

        var ok = Request($"{apiId}.execute-api.localhost:4566", "/v1/");
        await _plane.HandleAsync(ok);
        var missing = Request($"{apiId}.execute-api.localhost:4566", "/v1/missing");
        await _plane.HandleAsync(missing);

        Assert.Equal(200, ok.Response.StatusCode);
        Assert.Equal("""{"ok": true}""", Body(ok));
        Assert.Equal(403, missing.Response.StatusCode);
        Assert.All(_metrics.Data, d =>
        {
            Assert.Equal("AWS/ApiGateway", d.Namespace);
            Assert.Equal(("111122223333", "eu-west-1"), (d.AccountId, d.Region));
            Assert.Equal([new("ApiName", "metered"), new("Stage", "v1")], d.Dimensions);
        });
        Assert.Equal(["Count", "Latency", "IntegrationLatency", "4XXError", "5XXError"], _metrics.Data.Take(5).Select(d => d.MetricName));
        Assert.Equal(2, _metrics.Data.Where(d => d.MetricName == "Count").Sum(d => d.Value));
        Assert.Equal([0.0, 1.0], _metrics.Data.Where(d => d.MetricName == "4XXError").Select(d => d.Value));
        Assert.Equal(0, _metrics.Data.Where(d => d.MetricName == "5XXError").Sum(d => d.Value));
        Assert.Empty(_logs.Appended);
    }

    [Fact]
    public async Task Info_logging_on_the_stage_writes_execution_logs()
    {
        var apiId = DeployMockApi("INFO");

        await _plane.HandleAsync(Request("localhost:4566", $"/restapis/{apiId}/v1/_user_request_/"));

        var (group, lines) = Assert.Single(_logs.Appended);
        Assert.Equal($"API-Gateway-Execution-Logs_{apiId}/v1", group);
        Assert.Contains(lines, l => l.Message.Contains("Method completed with status: 200"));
    }

    [Fact]
    public async Task A_disabled_or_deleted_stage_cache_holds_nothing_and_an_enabled_one_starts_empty()
    {
        var apiId = DeployMockApi("OFF");
        PatchOperation Replace(string path, string value) => new("replace", path, value, null);
        _gateway.UpdateStage(_call, apiId, "v1", [Replace("/cacheClusterEnabled", "true"), Replace("/*/*/caching/enabled", "true"),
            Replace("/*/*/caching/ttlInSeconds", "300")]);
        async Task Get()
        {
            var http = Request($"{apiId}.execute-api.localhost:4566", "/v1/");
            await _plane.HandleAsync(http);
            Assert.Equal(200, http.Response.StatusCode);
        }

        await Get();
        await Get();
        Assert.Equal(1, _gateway.StageCaches.Count(apiId, "v1"));
        Assert.Equal([0.0, 1.0], _metrics.Data.Where(d => d.MetricName == "CacheHitCount").Select(d => d.Value));

        // Disabled through the domain (as CloudFormation's stage provider does, not only the wire): emptied at once, and requests
        // to the stage without a cache leave nothing behind.
        _gateway.UpdateStage(_call, apiId, "v1", [Replace("/cacheClusterEnabled", "false")]);
        Assert.Equal(0, _gateway.StageCaches.Count(apiId, "v1"));
        await Get();
        Assert.Equal(0, _gateway.StageCaches.Count(apiId, "v1"));

        _gateway.UpdateStage(_call, apiId, "v1", [Replace("/cacheClusterEnabled", "true")]);
        await Get();
        Assert.Equal(1, _gateway.StageCaches.Count(apiId, "v1"));
        Assert.Equal(0.0, _metrics.Data.Last(d => d.MetricName == "CacheHitCount").Value);
        _gateway.UpdateStage(_call, apiId, "v1", [Replace("/cacheClusterSize", "1.6")]);
        Assert.Equal(0, _gateway.StageCaches.Count(apiId, "v1"));

        await Get();
        _gateway.DeleteStage(_call, apiId, "v1");
        Assert.Equal(0, _gateway.StageCaches.Count(apiId, "v1"));
    }

    [Fact]
    public async Task Deleting_the_api_drops_its_stages_caches()
    {
        var apiId = DeployMockApi("OFF");
        _gateway.UpdateStage(_call, apiId, "v1", [new("replace", "/cacheClusterEnabled", "true", null), new("replace", "/*/*/caching/enabled", "true", null)]);
        await _plane.HandleAsync(Request($"{apiId}.execute-api.localhost:4566", "/v1/"));
        Assert.Equal(1, _gateway.StageCaches.Count(apiId, "v1"));

        _gateway.DeleteRestApi(_call, apiId);
        Assert.Equal(0, _gateway.StageCaches.Count(apiId, "v1"));
    }
}
