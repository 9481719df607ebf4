using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.Lambda;

using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;


/// <summary>A function stand-in: records what API Gateway sent and answers what the test scripted.</summary>
internal sealed class FakeLambdaInvoker(Func<LambdaInvokeRequest, Task<LambdaInvokeResult>> answer) : ILambdaInvoker
{
    public List<LambdaInvokeRequest> Calls { get; } = [];

    public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation)
    {
        Calls.Add(request);
        return answer(request);
    }

    public static FakeLambdaInvoker Returning(string payload, string? functionError = null) =>
        new(_ => Task.FromResult(new LambdaInvokeResult(Encoding.UTF8.GetBytes(payload), functionError, "$LATEST")));

    public string LastPayload => Encoding.UTF8.GetString(Calls[^1].Payload.Span);
}

/// <summary>Integrations run in-process: Lambda (AWS, AWS_PROXY) through a fake invoker, MOCK, HTTP and HTTP_PROXY to a loopback server.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IntegrationEngineTests : IDisposable
{
    private const string FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:accounts";
    private const string LambdaUri = $"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FunctionArn}/invocations";
    private static readonly GatewayTarget Target = new("123456789012", "us-east-1", "abcde12345", "prod",
        new Dictionary<string, string> { ["env"] = "test" }, "abcde12345.execute-api.localhost");

    private readonly HttpClient _http = IntegrationEngine.CreateHttpClient();
    private readonly EchoHttpServer _echo = new();

    public void Dispose()
    {
        _http.Dispose();
        _echo.Dispose();
    }

    private static GatewayRequest Get(string path, string body = "", params (string, string)[] headers) =>
        new("GET", path, [new("q", "1")], headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)).ToList(), Encoding.UTF8.GetBytes(body), "10.1.2.3");

    private async Task<IntegrationOutcome> RunAsync(ILambdaInvoker lambda, StageRouter router, GatewayRequest request)
    {
        var route = router.Match(request.HttpMethod, request.Path) ?? throw new InvalidOperationException("no route for " + request.Path);
        return await new IntegrationEngine(lambda, _http, TimeProvider.System).ExecuteAsync(Target, route, request, "req-1", CancellationToken.None);
    }

    private static StageRouter RouterWith(string path, ApiMethod method) => new(ApiTree.With((path, method)));

    private static ApiMethod Method(string verb, Integration integration, params string[] statuses) => new()
    {
        HttpMethod = verb,
        MethodIntegration = integration,
        MethodResponses = statuses.ToDictionary(s => s, s => new MethodResponse { StatusCode = s }),
    };

    [Fact]
    public async Task Seed_lambda_integration_renders_the_functions_html_with_the_mapped_content_type()
    {
        var lambda = FakeLambdaInvoker.Returning("\"<html><body>accounts</body></html>\"");
        var integration = new Integration
        {
            Type = "AWS", HttpMethod = "POST", Uri = LambdaUri,
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse
                {
                    StatusCode = "200", SelectionPattern = "",
                    ResponseParameters = new() { ["method.response.header.Content-Type"] = "'text/html'" },
                    ResponseTemplates = new() { ["text/html"] = "$input.path(\"$\")" },
                },
            },
        };

        var outcome = await RunAsync(lambda, RouterWith("/", Method("GET", integration, "200")), Get("/"));

        Assert.Equal(200, outcome.Response.StatusCode);
        Assert.Equal("<html><body>accounts</body></html>", outcome.Response.BodyText);
        Assert.Contains(new KeyValuePair<string, string>("Content-Type", "text/html"), outcome.Response.Headers);
        var call = Assert.Single(lambda.Calls);
        Assert.Equal("apigateway.amazonaws.com", call.CallerPrincipal);
        Assert.Equal("arn:aws:execute-api:us-east-1:123456789012:abcde12345/prod/GET/", call.SourceArn);
        Assert.Equal(FunctionArn, call.Function);
        Assert.Equal("{}", lambda.LastPayload);
    }

    [Fact]
    public async Task Selection_pattern_matching_the_lambda_error_message_picks_the_404_response()
    {
        var lambda = FakeLambdaInvoker.Returning("""{"errorMessage":"Item 7 not found","errorType":"Error"}""", "Unhandled");
        var integration = new Integration
        {
            Type = "AWS", HttpMethod = "POST", Uri = LambdaUri,
            RequestTemplates = new() { ["application/json"] = """{"id": "$input.params('id')", "env": "$stageVariables.env"}""" },
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse { StatusCode = "200" },
                ["404"] = new IntegrationResponse
                {
                    StatusCode = "404", SelectionPattern = ".*not found.*",
                    ResponseTemplates = new() { ["application/json"] = """{"error": "$input.path('$.errorMessage')"}""" },
                },
            },
        };

        var outcome = await RunAsync(lambda, RouterWith("/items/{id}", Method("GET", integration, "200", "404")), Get("/items/7"));

        Assert.Equal(404, outcome.Response.StatusCode);
        Assert.Equal("Item 7 not found", JsonNode.Parse(outcome.Response.BodyText)!["error"]!.GetValue<string>());
        Assert.Equal("""{"id": "7", "env": "test"}""", lambda.LastPayload);
        Assert.Equal("arn:aws:execute-api:us-east-1:123456789012:abcde12345/prod/GET/items/{id}", lambda.Calls[0].SourceArn);
    }

    [Fact]
    public async Task Response_template_can_override_status_and_headers_through_the_context()
    {
        var lambda = FakeLambdaInvoker.Returning("""{"found": false}""");
        var integration = new Integration
        {
            Type = "AWS", HttpMethod = "POST", Uri = LambdaUri,
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse
                {
                    StatusCode = "200",
                    ResponseTemplates = new()
                    {
                        ["application/json"] = """
                            #if(!$input.path('$.found'))
                            #set($context.responseOverride.status = 404)
                            #set($context.responseOverride.header.Retry = "later")
                            #end
                            {"found": $input.path('$.found')}
                            """,
                    },
                },
            },
        };

        var outcome = await RunAsync(lambda, RouterWith("/", Method("GET", integration, "200")), Get("/"));

        Assert.Equal(404, outcome.Response.StatusCode);
        Assert.Contains(new KeyValuePair<string, string>("Retry", "later"), outcome.Response.Headers);
        Assert.Equal("""{"found": false}""", outcome.Response.BodyText.Trim());
    }

    [Fact]
    public async Task Lambda_error_matching_no_pattern_falls_back_to_the_default_response()
    {
        var lambda = FakeLambdaInvoker.Returning("""{"errorMessage":"boom"}""", "Unhandled");
        var integration = new Integration
        {
            Type = "AWS", HttpMethod = "POST", Uri = LambdaUri,
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse { StatusCode = "200" },
                ["404"] = new IntegrationResponse { StatusCode = "404", SelectionPattern = ".*not found.*" },
            },
        };

        var outcome = await RunAsync(lambda, RouterWith("/", Method("GET", integration, "200", "404")), Get("/"));

        Assert.Equal(200, outcome.Response.StatusCode);
        Assert.Equal("""{"errorMessage":"boom"}""", outcome.Response.BodyText);
    }

    [Fact]
    public async Task Proxy_integration_sends_the_version_1_event_and_returns_the_functions_response()
    {
        var lambda = FakeLambdaInvoker.Returning("""
            {"statusCode": 201, "headers": {"X-Single": "one"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "created", "isBase64Encoded": false}
            """);
        var integration = new Integration { Type = "AWS_PROXY", HttpMethod = "POST", Uri = LambdaUri };
        var request = new GatewayRequest("POST", "/files/a/b.txt", [new("tag", "x"), new("tag", "y")],
            [new("Content-Type", "text/plain"), new("User-Agent", "tests")], Encoding.UTF8.GetBytes("payload"), "10.1.2.3");

        var outcome = await RunAsync(lambda, RouterWith("/files/{proxy+}", Method("ANY", integration)), request);

        Assert.Equal(201, outcome.Response.StatusCode);
        Assert.Equal("created", outcome.Response.BodyText);
        Assert.Contains(new KeyValuePair<string, string>("X-Single", "one"), outcome.Response.Headers);
        Assert.Equal(["a=1", "b=2"], outcome.Response.Headers.Where(h => h.Key == "Set-Cookie").Select(h => h.Value));

        var proxyEvent = JsonNode.Parse(lambda.LastPayload)!;
        Assert.Equal("/files/{proxy+}", proxyEvent["resource"]!.GetValue<string>());
        Assert.Equal("/files/a/b.txt", proxyEvent["path"]!.GetValue<string>());
        Assert.Equal("POST", proxyEvent["httpMethod"]!.GetValue<string>());
        Assert.Equal("a/b.txt", proxyEvent["pathParameters"]!["proxy"]!.GetValue<string>());
        Assert.Equal("y", proxyEvent["queryStringParameters"]!["tag"]!.GetValue<string>());
        Assert.Equal(2, proxyEvent["multiValueQueryStringParameters"]!["tag"]!.AsArray().Count);
        Assert.Equal("text/plain", proxyEvent["headers"]!["Content-Type"]!.GetValue<string>());
        Assert.Equal("test", proxyEvent["stageVariables"]!["env"]!.GetValue<string>());
        Assert.Equal("payload", proxyEvent["body"]!.GetValue<string>());
        Assert.False(proxyEvent["isBase64Encoded"]!.GetValue<bool>());
        var context = proxyEvent["requestContext"]!;
        Assert.Equal("prod", context["stage"]!.GetValue<string>());
        Assert.Equal("req-1", context["requestId"]!.GetValue<string>());
        Assert.Equal("/files/{proxy+}", context["resourcePath"]!.GetValue<string>());
        Assert.Equal("10.1.2.3", context["identity"]!["sourceIp"]!.GetValue<string>());
        Assert.Equal("/prod/files/a/b.txt", context["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Proxy_integration_base64_encodes_binary_media_types_both_ways()
    {
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF };
        var lambda = FakeLambdaInvoker.Returning($$"""{"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": "{{Convert.ToBase64String(png)}}", "isBase64Encoded": true}""");
        var integration = new Integration { Type = "AWS_PROXY", HttpMethod = "POST", Uri = LambdaUri };
        var route = RouterWith("/", Method("POST", integration)).Match("POST", "/")!;
        var target = Target with { BinaryMediaTypes = ["image/*"] };

        var outcome = await new IntegrationEngine(lambda, _http, TimeProvider.System).ExecuteAsync(target, route,
            new GatewayRequest("POST", "/", [], [new("Content-Type", "image/png")], png, "10.1.2.3"), "req-1", CancellationToken.None);

        var proxyEvent = JsonNode.Parse(lambda.LastPayload)!;
        Assert.True(proxyEvent["isBase64Encoded"]!.GetValue<bool>());
        Assert.Equal(png, Convert.FromBase64String(proxyEvent["body"]!.GetValue<string>()));
        Assert.Equal(png, outcome.Response.Body);
    }

    [Fact]
    public async Task Content_handling_converts_binary_to_text_for_the_function_and_back_to_binary()
    {
        var image = new byte[] { 0xFF, 0xD8, 0xFF, 0x00, 0x10 };
        var lambda = FakeLambdaInvoker.Returning($"\"{Convert.ToBase64String(image)}\"");
        var integration = new Integration
        {
            Type = "AWS", HttpMethod = "POST", Uri = LambdaUri, ContentHandling = "CONVERT_TO_TEXT",
            RequestTemplates = new() { ["image/jpeg"] = """{"image": "$input.body"}""" },
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse
                {
                    StatusCode = "200", ContentHandling = "CONVERT_TO_BINARY",
                    ResponseParameters = new() { ["method.response.header.Content-Type"] = "'image/jpeg'" },
                    ResponseTemplates = new() { ["image/jpeg"] = "$input.path('$')" },
                },
            },
        };
        var route = RouterWith("/", Method("POST", integration, "200")).Match("POST", "/")!;

        var outcome = await new IntegrationEngine(lambda, _http, TimeProvider.System).ExecuteAsync(Target with { BinaryMediaTypes = ["image/jpeg"] },
            route, new GatewayRequest("POST", "/", [], [new("Content-Type", "image/jpeg")], image, "10.1.2.3"), "req-1", CancellationToken.None);

        Assert.Equal($$"""{"image": "{{Convert.ToBase64String(image)}}"}""", lambda.LastPayload);
        Assert.Equal(image, outcome.Response.Body);
    }

    [Theory]
    [InlineData("""{"statusCode": 200, "body": {"not": "a string"}}""")]
    [InlineData("""{"body": "no status"}""")]
    [InlineData("""{"statusCode": 200, "unexpected": true}""")]
    [InlineData("""not json at all""")]
    [InlineData("""{"statusCode": 200, "headers": {"X-A": ["list"]}}""")]
    public async Task Malformed_proxy_response_is_a_502(string payload)
    {
        var integration = new Integration { Type = "AWS_PROXY", HttpMethod = "POST", Uri = LambdaUri };

        var outcome = await RunAsync(FakeLambdaInvoker.Returning(payload), RouterWith("/", Method("GET", integration)), Get("/"));

        Assert.Equal(502, outcome.Response.StatusCode);
        Assert.Equal("""{"message":"Internal server error"}""", outcome.Response.BodyText);
        Assert.Contains(outcome.Log, line => line.Contains("Malformed Lambda proxy response"));
    }

    [Fact]
    public async Task Refused_permission_is_a_500_and_the_reason_is_logged()
    {
        var lambda = new FakeLambdaInvoker(_ => throw new AwsException("AccessDeniedException",
            "The resource policy does not allow apigateway.amazonaws.com to invoke the function", 403));
        var integration = new Integration { Type = "AWS_PROXY", HttpMethod = "POST", Uri = LambdaUri };

        var outcome = await RunAsync(lambda, RouterWith("/", Method("GET", integration)), Get("/"));

        Assert.Equal(500, outcome.Response.StatusCode);
        Assert.Equal("""{"message":"Internal server error"}""", outcome.Response.BodyText);
        Assert.Contains(outcome.Log, line => line.Contains("AccessDeniedException") && line.Contains("resource policy"));
    }

    [Fact]
    public async Task Lambda_slower_than_the_integration_timeout_is_a_504()
    {
        var lambda = new FakeLambdaInvoker(async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            return new LambdaInvokeResult(Encoding.UTF8.GetBytes("{}"), null, "$LATEST");
        });
        var integration = new Integration { Type = "AWS_PROXY", HttpMethod = "POST", Uri = LambdaUri, TimeoutInMillis = 50 };

        var outcome = await RunAsync(lambda, RouterWith("/", Method("GET", integration)), Get("/"));

        Assert.Equal(504, outcome.Response.StatusCode);
        Assert.Equal("""{"message":"Endpoint request timed out"}""", outcome.Response.BodyText);
    }

    [Fact]
    public async Task Mock_integration_takes_its_status_from_the_request_template()
    {
        var integration = new Integration
        {
            Type = "MOCK",
            RequestTemplates = new() { ["application/json"] = """{"statusCode": #if($input.params('q') == '1')404#else 200#end}""" },
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse { StatusCode = "200" },
                ["404"] = new IntegrationResponse
                {
                    StatusCode = "404", SelectionPattern = "404",
                    ResponseTemplates = new() { ["application/json"] = """{"message": "nothing at $context.resourcePath"}""" },
                },
            },
        };

        var outcome = await RunAsync(FakeLambdaInvoker.Returning("{}"), RouterWith("/things", Method("GET", integration, "200", "404")), Get("/things"));

        Assert.Equal(404, outcome.Response.StatusCode);
        Assert.Equal("""{"message": "nothing at /things"}""", outcome.Response.BodyText);
    }

    [Fact]
    public async Task Unmapped_content_type_with_passthrough_never_is_a_415()
    {
        var integration = new Integration
        {
            Type = "MOCK", PassthroughBehavior = "NEVER",
            RequestTemplates = new() { ["application/json"] = """{"statusCode": 200}""" },
            IntegrationResponses = new() { ["200"] = new IntegrationResponse { StatusCode = "200" } },
        };

        var outcome = await RunAsync(FakeLambdaInvoker.Returning("{}"), RouterWith("/", Method("POST", integration, "200")),
            new GatewayRequest("POST", "/", [], [new("Content-Type", "text/plain")], Encoding.UTF8.GetBytes("x"), "10.1.2.3"));

        Assert.Equal(415, outcome.Response.StatusCode);
    }

    [Fact]
    public async Task Http_proxy_forwards_path_query_headers_and_body_to_the_backend()
    {
        var integration = new Integration
        {
            Type = "HTTP_PROXY", HttpMethod = "ANY", Uri = _echo.BaseUrl + "/backend/{proxy}",
            RequestParameters = new() { ["integration.request.path.proxy"] = "method.request.path.proxy" },
        };
        var request = new GatewayRequest("PUT", "/api/x/y", [new("q", "1")], [new("X-Custom", "c1"), new("Content-Type", "text/plain")],
            Encoding.UTF8.GetBytes("hello"), "10.1.2.3");

        var outcome = await RunAsync(FakeLambdaInvoker.Returning("{}"), RouterWith("/api/{proxy+}", Method("ANY", integration)), request);

        Assert.Equal(200, outcome.Response.StatusCode);
        Assert.Contains(new KeyValuePair<string, string>("X-Echo", "yes"), outcome.Response.Headers);
        var echo = JsonNode.Parse(outcome.Response.BodyText)!;
        Assert.Equal("PUT", echo["method"]!.GetValue<string>());
        Assert.Equal("/backend/x/y", echo["path"]!.GetValue<string>());
        Assert.Equal("1", echo["query"]!["q"]!.GetValue<string>());
        Assert.Equal("c1", echo["headers"]!["x-custom"]!.GetValue<string>());
        Assert.Equal("hello", echo["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stage_variables_resolve_in_the_integration_uri()
    {
        var integration = new Integration { Type = "HTTP_PROXY", HttpMethod = "GET", Uri = "${stageVariables.backend}/from-stage" };
        var route = RouterWith("/", Method("GET", integration)).Match("GET", "/")!;
        var target = Target with { StageVariables = new Dictionary<string, string> { ["backend"] = _echo.BaseUrl } };

        var outcome = await new IntegrationEngine(FakeLambdaInvoker.Returning("{}"), _http, TimeProvider.System)
            .ExecuteAsync(target, route, Get("/"), "req-1", CancellationToken.None);

        Assert.Equal(200, outcome.Response.StatusCode);
        Assert.Equal("/from-stage", JsonNode.Parse(outcome.Response.BodyText)!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Http_integration_maps_the_request_and_selects_the_response_by_backend_status()
    {
        var integration = new Integration
        {
            Type = "HTTP", HttpMethod = "POST", Uri = _echo.BaseUrl + "/status/{code}",
            RequestParameters = new()
            {
                ["integration.request.path.code"] = "method.request.path.code",
                ["integration.request.header.X-Stage"] = "context.stage",
            },
            RequestTemplates = new() { ["application/json"] = """{"wrapped": $input.json('$')}""" },
            IntegrationResponses = new()
            {
                ["200"] = new IntegrationResponse { StatusCode = "200" },
                ["400"] = new IntegrationResponse
                {
                    StatusCode = "400", SelectionPattern = "4\\d{2}",
                    ResponseParameters = new() { ["method.response.header.X-Backend"] = "integration.response.header.X-Echo" },
                    ResponseTemplates = new() { ["application/json"] = "$input.json('$.body')" },
                },
            },
        };

        var outcome = await RunAsync(FakeLambdaInvoker.Returning("{}"), RouterWith("/codes/{code}", Method("GET", integration, "200", "400")),
            Get("/codes/418", """{"a":1}"""));

        Assert.Equal(400, outcome.Response.StatusCode);
        Assert.Contains(new KeyValuePair<string, string>("X-Backend", "yes"), outcome.Response.Headers);
        Assert.Equal("\"{\\\"wrapped\\\": {\\\"a\\\":1}}\"", outcome.Response.BodyText);
    }
}

/// <summary>Builds a resource tree from paths, as create-resource calls would.</summary>
internal static class ApiTree
{
    public static Dictionary<string, ApiResource> With(params (string Path, ApiMethod? Method)[] routes)
    {
        var root = new ApiResource { Id = "root", Path = "/" };
        var byPath = new Dictionary<string, ApiResource> { ["/"] = root };
        foreach (var (path, method) in routes)
        {
            var current = root;
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                var childPath = current.Path == "/" ? "/" + part : current.Path + "/" + part;
                if (!byPath.TryGetValue(childPath, out var child))
                {
                    child = new ApiResource { Id = "r" + byPath.Count, ParentId = current.Id, PathPart = part, Path = childPath };
                    byPath[childPath] = child;
                }
                current = child;
            }
            if (method is not null)
            {
                current.ResourceMethods ??= [];
                current.ResourceMethods[method.HttpMethod] = method;
            }
        }
        return byPath.Values.ToDictionary(r => r.Id);
    }
}
