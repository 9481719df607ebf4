using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.ApiGatewayV2;
using Stratus.Services.ApiGatewayV2.Engine;

namespace Stratus.Tests.Services.ApiGatewayV2.Engine;

/// <summary>WebSocket APIs' selection expressions, integration response keys and template selection, as AWS documents them.</summary>
public class WebSocketSelectionTests
{
    private static WebSocketIntegrationResponse Response(string key) => new() { IntegrationResponseId = key.GetHashCode().ToString("x"), IntegrationResponseKey = key };

    [Theory]
    [InlineData(@"\$default", "$default")]
    [InlineData("$default", "$default")]
    [InlineData("${request.body.kind}", "order")]
    [InlineData("$request.body.kind", "order")]
    [InlineData("${request.body.kind}-beta", "order-beta")]
    [InlineData("v-${request.body.missing}", "v-")]
    [InlineData("static", "static")]
    public void Expressions_evaluate_once_with_escaped_dollars_and_missing_values_empty(string expression, string expected)
    {
        var body = new JsonPayload("""{"kind": "order", "n": {"m": 2}}""");
        Assert.Equal(expected, WebSocketSelection.Evaluate(expression,
            v => v.StartsWith("request.body.", StringComparison.Ordinal) ? WebSocketSelection.BodyValue(body, v["request.body.".Length..]) : null));
    }

    [Fact]
    public void Variables_name_what_an_expression_uses_and_skip_literals()
    {
        Assert.Equal(["request.body.a", "integration.response.statuscode"],
            WebSocketSelection.Variables(@"\$default ${request.body.a}:$integration.response.statuscode $default").ToList());
    }

    [Fact]
    public void Body_values_are_strings_as_themselves_and_other_values_as_json()
    {
        var body = new JsonPayload("""{"s": "x", "n": 3, "o": {"k": [1, 2]}}""");
        Assert.Equal("x", WebSocketSelection.BodyValue(body, "s"));
        Assert.Equal("3", WebSocketSelection.BodyValue(body, "n"));
        Assert.Equal("[1,2]", WebSocketSelection.BodyValue(body, "o.k"));
        Assert.Null(WebSocketSelection.BodyValue(body, "absent"));
        Assert.Null(WebSocketSelection.BodyValue(new JsonPayload("not json"), "s"));
    }

    [Theory]
    [InlineData("200", "/2\\d\\d/")]
    [InlineData("404", "/4\\d\\d/")]
    [InlineData("500", "$default")]
    [InlineData("2000", "$default")]
    public void Integration_responses_are_selected_by_whole_pattern_match_else_default(string subject, string expected)
    {
        var responses = new[] { Response("$default"), Response("/2\\d\\d/"), Response("/4\\d\\d/") };
        Assert.Equal(expected, WebSocketSelection.SelectIntegrationResponse(responses, subject)!.IntegrationResponseKey);
    }

    [Fact]
    public void Without_a_match_or_a_default_no_integration_response_is_selected()
    {
        Assert.Null(WebSocketSelection.SelectIntegrationResponse([Response("/2\\d\\d/")], "500"));
        // A successful Lambda function's selection subject is its (absent) error message: only $default takes it.
        Assert.Null(WebSocketSelection.SelectIntegrationResponse([Response("/.+/")], ""));
    }

    [Theory]
    [InlineData("/2\\d\\d/", "2\\d\\d")]
    [InlineData("$default", null)]
    [InlineData("2xx", null)]
    [InlineData("/(/", null)]
    [InlineData("//", null)]
    public void Response_keys_are_patterns_between_slashes_that_compile(string key, string? pattern) =>
        Assert.Equal(pattern, WebSocketSelection.ResponseKeyPattern(key));

    [Fact]
    public void Templates_are_selected_by_key_else_default_else_none()
    {
        var templates = new Dictionary<string, string> { ["$default"] = "d", ["order"] = "o" };
        Assert.Equal("o", WebSocketSelection.SelectTemplate(templates, "order")!.Value.Value);
        Assert.Equal("d", WebSocketSelection.SelectTemplate(templates, "other")!.Value.Value);
        Assert.Null(WebSocketSelection.SelectTemplate(new Dictionary<string, string> { ["order"] = "o" }, "other"));
        Assert.Null(WebSocketSelection.SelectTemplate(null, "order"));
        Assert.Equal("$default", WebSocketSelection.TemplateKey(null, _ => "unused"));
    }

    [Fact]
    public void Integration_checks_set_the_response_selection_expression_by_type_and_refuse_what_aws_refuses()
    {
        HttpIntegration Of(string type, string? uri = null) => new() { IntegrationId = "i", IntegrationType = type, IntegrationUri = uri };
        Assert.Equal("${integration.response.statuscode}", WebSocketRules.CheckIntegration(Of("MOCK")).IntegrationResponseSelectionExpression);
        Assert.Equal("${integration.response.body.errorMessage}",
            WebSocketRules.CheckIntegration(Of("AWS", "arn:aws:lambda:us-east-1:000000000000:function:f")).IntegrationResponseSelectionExpression);
        Assert.Null(WebSocketRules.CheckIntegration(Of("HTTP_PROXY", "http://127.0.0.1:1/")).IntegrationResponseSelectionExpression);
        Assert.Throws<Stratus.Protocols.AwsException>(() => WebSocketRules.CheckIntegration(Of("HTTP", "ftp://x/")));
        Assert.Throws<Stratus.Protocols.AwsException>(() => WebSocketRules.CheckIntegration(Of("MOCK") with { PassthroughBehavior = "SOMETIMES" }));
        Assert.Throws<Stratus.Protocols.AwsException>(() => WebSocketRules.CheckIntegration(Of("HTTP_PROXY", "http://127.0.0.1:1/") with
        {
            RequestTemplates = new() { ["$default"] = "{}" },
        }));
        Assert.Throws<Stratus.Protocols.AwsException>(() => WebSocketRules.CheckIntegration(Of("MOCK") with
        {
            TemplateSelectionExpression = "${integration.response.statuscode}",
        }));
        Assert.Throws<Stratus.Protocols.AwsException>(() => WebSocketRules.CheckIntegration(Of("MOCK") with
        {
            RequestParameters = new() { ["integration.request.header.x"] = "'v'" },
        }));
        WebSocketRules.CheckIntegration(Of("HTTP", "http://127.0.0.1:1/") with
        {
            RequestParameters = new() { ["integration.request.header.x"] = "context.connectionId", ["integration.request.querystring.q"] = "route.request.body.a.b" },
        });
    }
}
