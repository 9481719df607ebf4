using System.Text;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Tests.Services.ApiGateway.Engine;


/// <summary>Each stage of the execution path on its own, over a hand-built request context.</summary>
public sealed class ExecutionStageTests
{
    private const string LambdaUri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:items/invocations";

    private static readonly GatewayTarget Target = new("123456789012", "us-east-1", "abcde12345", "prod",
        new Dictionary<string, string> { ["env"] = "test", ["fn"] = "other" }, "abcde12345.execute-api.localhost");

    private static RequestContext Context(Integration integration, string body = "", params (string, string)[] headers)
    {
        var method = new ApiMethod { HttpMethod = "POST", MethodIntegration = integration };
        var resource = new ApiResource { Id = "r1", Path = "/items/{id}" };
        var route = new MatchedRoute(resource, MethodPlan.Compile(method), new Dictionary<string, string> { ["id"] = "7" });
        var request = new GatewayRequest("POST", "/items/7", [new("q", "1"), new("q", "2")],
            headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)).ToList(), Encoding.UTF8.GetBytes(body), "10.1.2.3");
        return new RequestContext(Target, route, request, "req-1", TimeProvider.System);
    }

    private static IntegrationResponse Response(string status, string? pattern = null, Dictionary<string, string>? templates = null,
        Dictionary<string, string>? parameters = null, string? contentHandling = null) =>
        new() { StatusCode = status, SelectionPattern = pattern, ResponseTemplates = templates, ResponseParameters = parameters, ContentHandling = contentHandling };

    private static Integration WithResponses(string type, params IntegrationResponse[] responses) => new()
    {
        Type = type, Uri = LambdaUri,
        IntegrationResponses = responses.ToDictionary(r => r.StatusCode),
    };

    // ---- the plan ----

    [Fact]
    public void Plan_names_the_function_once_and_resolves_stage_variable_uris_per_stage()
    {
        var fixedUri = MethodPlan.Compile(new ApiMethod { MethodIntegration = new Integration { Type = "AWS_PROXY", Uri = LambdaUri } });
        var byStage = MethodPlan.Compile(new ApiMethod
        {
            MethodIntegration = new Integration { Type = "AWS_PROXY", Uri = LambdaUri.Replace("function:items", "function:${stageVariables.fn}") },
        });

        Assert.False(fixedUri.UriHasStageVariables);
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:items", fixedUri.FunctionFor(Target));
        Assert.True(byStage.UriHasStageVariables);
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:other", byStage.FunctionFor(Target));
    }

    [Fact]
    public void Plan_keeps_only_mappings_to_path_querystring_and_header()
    {
        var plan = MethodPlan.Compile(new ApiMethod
        {
            MethodIntegration = new Integration
            {
                Type = "HTTP",
                RequestParameters = new()
                {
                    ["integration.request.path.id"] = "method.request.path.id",
                    ["integration.request.body.x"] = "'ignored'",
                    ["integration.request.header"] = "'too short'",
                },
            },
        });

        var mapping = Assert.Single(plan.RequestParameters);
        Assert.Equal((ParameterLocation.Path, "id"), (mapping.Location, mapping.Name));
    }

    [Fact]
    public void Plan_parses_each_template_once_and_an_unparsable_one_fails_when_used()
    {
        var plan = MethodPlan.Compile(new ApiMethod
        {
            MethodIntegration = new Integration { Type = "MOCK", RequestTemplates = new() { ["application/json"] = "#if($a)no end", ["text/plain"] = "" } },
        });

        Assert.Null(plan.RequestTemplates["text/plain"]);
        var broken = plan.RequestTemplates["application/json"]!;
        var run = Context(new Integration { Type = "MOCK" });
        Assert.Throws<VtlException>(() => broken.Render(run, run.Body, run.ContextVariable()));
    }

    // ---- integration request ----

    [Fact]
    public void Integration_request_maps_parameters_from_the_method_request_stage_variables_context_and_literals()
    {
        var run = Context(new Integration
        {
            Type = "HTTP",
            RequestParameters = new()
            {
                ["integration.request.path.item"] = "method.request.path.id",
                ["integration.request.querystring.q"] = "method.request.querystring.q",
                ["integration.request.header.X-Env"] = "stageVariables.env",
                ["integration.request.header.X-Stage"] = "context.stage",
                ["integration.request.header.X-Fixed"] = "'yes'",
                ["integration.request.header.X-Missing"] = "method.request.header.Absent",
            },
        });

        var mapped = IntegrationRequestStage.MapParameters(run);

        Assert.Equal("7", mapped.Path["item"]);
        Assert.Equal([new("q", "2")], mapped.Query);
        Assert.Equal(["X-Env=test", "X-Stage=prod", "X-Fixed=yes"], mapped.Headers.Select(h => h.Key + "=" + h.Value));
    }

    [Fact]
    public void Integration_request_renders_the_template_for_the_content_type_over_the_body()
    {
        var run = Context(new Integration
        {
            Type = "AWS",
            RequestTemplates = new() { ["application/json"] = """{"name": "$input.path('$.name')", "id": "$input.params('id')"}""" },
        }, """{"name":"ada"}""", ("Content-Type", "application/json; charset=utf-8"));

        Assert.Equal("""{"name": "ada", "id": "7"}""", IntegrationRequestStage.MapBody(run));
    }

    [Theory]
    [InlineData("WHEN_NO_MATCH", true)]
    [InlineData("WHEN_NO_TEMPLATES", false)]
    [InlineData("NEVER", false)]
    public void Integration_request_without_a_template_for_the_type_passes_through_or_answers_415(string behavior, bool passes)
    {
        var run = Context(new Integration
        {
            Type = "AWS", PassthroughBehavior = behavior, RequestTemplates = new() { ["application/xml"] = "<x/>" },
        }, "raw", ("Content-Type", "text/plain"));

        if (passes)
        {
            Assert.Null(IntegrationRequestStage.MapBody(run));
            return;
        }
        var failure = Assert.Throws<GatewayFailure>(() => IntegrationRequestStage.MapBody(run));
        Assert.Equal(415, failure.Response.StatusCode);
    }

    // ---- integration response ----

    [Fact]
    public void Integration_response_selects_by_status_for_http_and_by_error_message_for_lambda()
    {
        var responses = new[] { Response("200"), Response("404", "4\\d\\d"), Response("500", ".*boom.*") };
        var http = Context(WithResponses("HTTP", responses));
        var lambda = Context(WithResponses("AWS", responses));

        Assert.Equal(404, IntegrationResponseStage.Answer(http, new IntegrationOutput("404", new JsonPayload(""), [], null)).StatusCode);
        Assert.Equal(200, IntegrationResponseStage.Answer(http, new IntegrationOutput("302", new JsonPayload(""), [], null)).StatusCode);
        Assert.Equal(500, IntegrationResponseStage.Answer(lambda, new IntegrationOutput("200", new JsonPayload(""), [], "it went boom")).StatusCode);
        Assert.Equal(200, IntegrationResponseStage.Answer(lambda, new IntegrationOutput("200", new JsonPayload(""), [], null)).StatusCode);
    }

    [Fact]
    public void Integration_response_without_a_match_or_default_is_a_configuration_error()
    {
        var run = Context(WithResponses("HTTP", Response("404", "404")));

        var failure = Assert.Throws<GatewayFailure>(() => IntegrationResponseStage.Answer(run, new IntegrationOutput("200", new JsonPayload(""), [], null)));

        Assert.Equal(500, failure.Response.StatusCode);
        Assert.Contains("No match for output mapping", failure.Message);
    }

    [Fact]
    public void Integration_response_with_an_invalid_selection_pattern_is_a_configuration_error_not_a_crash()
    {
        var run = Context(WithResponses("HTTP", Response("400", "(unclosed")));

        var failure = Assert.Throws<GatewayFailure>(() => IntegrationResponseStage.Answer(run, new IntegrationOutput("400", new JsonPayload(""), [], null)));

        Assert.Contains("invalid selection pattern", failure.Message);
    }

    [Fact]
    public void Integration_response_maps_headers_from_the_body_headers_stage_variables_and_literals()
    {
        var run = Context(WithResponses("HTTP", Response("200", parameters: new()
        {
            ["method.response.header.X-Id"] = "integration.response.body.item.id",
            ["method.response.header.X-Trace"] = "integration.response.header.x-trace",
            ["method.response.header.X-Env"] = "stageVariables.env",
            ["method.response.header.X-Fixed"] = "'yes'",
        })));
        var output = new IntegrationOutput("200", new JsonPayload("""{"item":{"id":"i-9"}}"""), [new("X-Trace", "t-1")], null);

        var response = IntegrationResponseStage.Answer(run, output);

        Assert.Equal(["X-Id=i-9", "X-Trace=t-1", "X-Env=test", "X-Fixed=yes", "Content-Type=application/json"],
            response.Headers.Select(h => h.Key + "=" + h.Value));
        Assert.Equal("""{"item":{"id":"i-9"}}""", response.BodyText);
    }

    [Fact]
    public void Integration_response_uses_the_accepted_types_template_and_its_response_override()
    {
        var run = Context(WithResponses("HTTP", Response("200", templates: new()
        {
            ["application/json"] = "{}",
            ["text/html"] = "<p>$input.path('$.name')</p>#set($context.responseOverride.status = 201)#set($context.responseOverride.header.Made = 'here')",
        })), headers: ("Accept", "text/html, application/json"));

        var response = IntegrationResponseStage.Answer(run, new IntegrationOutput("200", new JsonPayload("""{"name":"ada"}"""), [], null));

        Assert.Equal(201, response.StatusCode);
        Assert.Equal("<p>ada</p>", response.BodyText);
        Assert.Contains(new KeyValuePair<string, string>("Made", "here"), response.Headers);
        Assert.Contains(new KeyValuePair<string, string>("Content-Type", "text/html"), response.Headers);
    }

    // ---- method response ----

    [Fact]
    public void Method_response_defaults_the_content_type_and_decodes_convert_to_binary()
    {
        var binary = MethodResponseStage.Respond(Response("200", contentHandling: "CONVERT_TO_BINARY"), 200, [], Convert.ToBase64String([1, 2, 3]), null);
        var text = MethodResponseStage.Respond(Response("200"), 202, [new("Content-Type", "text/plain")], "hi", "application/json");

        Assert.Equal([1, 2, 3], binary.Body);
        Assert.Contains(new KeyValuePair<string, string>("Content-Type", "application/json"), binary.Headers);
        Assert.Equal(202, text.StatusCode);
        Assert.Equal(["text/plain"], text.Headers.Where(h => h.Key == "Content-Type").Select(h => h.Value));
        Assert.Throws<GatewayFailure>(() => MethodResponseStage.Respond(Response("200", contentHandling: "CONVERT_TO_BINARY"), 200, [], "not base64!", null));
    }

    // ---- the proxy contract and the payload ----

    [Theory]
    [InlineData("""{"statusCode": 200, "extra": 1}""")]
    [InlineData("""{"statusCode": "abc"}""")]
    [InlineData("""{"statusCode": 700}""")]
    [InlineData("""{"statusCode": 200, "body": {"not": "a string"}}""")]
    [InlineData("""{"statusCode": 200, "isBase64Encoded": true, "body": "not base64!"}""")]
    [InlineData("not json")]
    [InlineData("")]
    public void Proxy_response_that_breaks_the_contract_is_refused(string answer) =>
        Assert.Null(LambdaProxyContract.Response(new JsonPayload(answer)));

    [Fact]
    public void Proxy_response_multi_value_headers_replace_single_ones()
    {
        var response = LambdaProxyContract.Response(new JsonPayload(
            """{"statusCode": "201", "headers": {"A": "1", "B": 2}, "multiValueHeaders": {"a": ["x", "y"]}, "body": "ok"}"""))!;

        Assert.Equal(201, response.StatusCode);
        Assert.Equal(["B=2", "a=x", "a=y", "Content-Type=application/json"], response.Headers.Select(h => h.Key + "=" + h.Value));
        Assert.Equal("ok", response.BodyText);
    }

    [Fact]
    public void Payload_is_parsed_once_however_often_it_is_read()
    {
        var payload = new JsonPayload("""{"a": 1}""");

        Assert.Same(payload.Root, payload.Root);
        Assert.Same(payload.Root, payload.Object);
        Assert.IsType<System.Text.Json.Nodes.JsonObject>(new JsonPayload("  ").Root);
        Assert.Equal("plain", new JsonPayload("plain").Root!.GetValue<string>());
    }

    // ---- a template over a limit at run time ----

    [Fact]
    public async Task A_response_template_over_a_limit_answers_500_internal_server_error_and_logs_why()
    {
        var integration = new Integration
        {
            Type = "MOCK",
            RequestTemplates = new() { ["application/json"] = """{"statusCode": 200}""" },
            IntegrationResponses = new()
            {
                ["200"] = Response("200", templates: new() { ["application/json"] = "#set($a = [])#set($ignored = $a.add($a))$a" }),
            },
        };
        var route = new MatchedRoute(new ApiResource { Id = "r1", Path = "/" }, MethodPlan.Compile(new ApiMethod { HttpMethod = "GET", MethodIntegration = integration }),
            new Dictionary<string, string>());
        using var http = IntegrationEngine.CreateHttpClient();

        var outcome = await new IntegrationEngine(FakeLambdaInvoker.Returning("{}"), http, TimeProvider.System)
            .ExecuteAsync(Target, route, new GatewayRequest("GET", "/", [], [], [], "10.1.2.3"), "req-1", CancellationToken.None);

        Assert.Equal(500, outcome.Response.StatusCode);
        Assert.Equal("""{"message":"Internal server error"}""", outcome.Response.BodyText);
        Assert.Contains(outcome.Log, line => line.Contains("mapping template failed") && line.Contains("holding itself"));
    }
}
