using System.Text;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>A Lambda authorizer's policy evaluated against method ARNs, its answer read, its context mapped to $context.authorizer and the proxy event, and access log formats.</summary>
public sealed class LambdaAuthorizerTests
{
    private const string Api = "arn:aws:execute-api:us-east-1:111122223333:abc1234567";

    private static JsonObject Policy(params (string Effect, object Resource, object Action)[] statements) => new()
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray([.. statements.Select(s => (JsonNode)new JsonObject
        {
            ["Effect"] = s.Effect,
            ["Action"] = JsonSerializerNode(s.Action),
            ["Resource"] = JsonSerializerNode(s.Resource),
        })]),
    };

    private static JsonNode JsonSerializerNode(object value) => value is string[] list ? new JsonArray([.. list.Select(v => (JsonNode)v)]) : JsonValue.Create((string)value)!;

    [Theory]
    [InlineData(Api + "/prod/GET/pets/1", PolicyDecision.Allow)]
    [InlineData(Api + "/prod/GET/", PolicyDecision.Allow)]
    [InlineData(Api + "/prod/DELETE/pets/1", PolicyDecision.ExplicitDeny)]
    [InlineData(Api + "/dev/GET/pets/1", PolicyDecision.ImplicitDeny)]
    public void Policy_allows_by_wildcard_and_an_explicit_deny_wins(string methodArn, PolicyDecision expected)
    {
        var policy = Policy(("Allow", Api + "/prod/*", "execute-api:Invoke"), ("Deny", Api + "/prod/DELETE/*", "execute-api:*"));
        Assert.Equal(expected, AuthorizerPolicy.Evaluate(policy, methodArn));
    }

    [Fact]
    public void Policy_matches_actions_without_case_resources_with_it_and_reads_single_statements_and_not_elements()
    {
        Assert.Equal(PolicyDecision.Allow, AuthorizerPolicy.Evaluate(Policy(("Allow", "*", "EXECUTE-API:invoke")), Api + "/prod/GET/x"));
        Assert.Equal(PolicyDecision.ImplicitDeny, AuthorizerPolicy.Evaluate(Policy(("Allow", Api + "/PROD/*", "execute-api:Invoke")), Api + "/prod/GET/x"));
        Assert.Equal(PolicyDecision.ImplicitDeny, AuthorizerPolicy.Evaluate(Policy(("Allow", "*", "s3:GetObject")), Api + "/prod/GET/x"));
        Assert.Equal(PolicyDecision.Allow, AuthorizerPolicy.Evaluate(Policy(("Allow", Api + "/prod/G?T/*", new[] { "s3:*", "execute-api:Invoke" })), Api + "/prod/GET/x"));
        var single = JsonNode.Parse($$$"""{"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "{{{Api}}}/*"}}""")!.AsObject();
        Assert.Equal(PolicyDecision.Allow, AuthorizerPolicy.Evaluate(single, Api + "/prod/GET/x"));
        var notResource = JsonNode.Parse($$$"""{"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": "{{{Api}}}/prod/POST/*"}]}""")!.AsObject();
        Assert.Equal(PolicyDecision.Allow, AuthorizerPolicy.Evaluate(notResource, Api + "/prod/GET/x"));
        Assert.Equal(PolicyDecision.ImplicitDeny, AuthorizerPolicy.Evaluate(notResource, Api + "/prod/POST/x"));
        var conditional = JsonNode.Parse("""{"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}""")!.AsObject();
        Assert.Equal(PolicyDecision.ImplicitDeny, AuthorizerPolicy.Evaluate(conditional, Api + "/prod/GET/x"));
        Assert.Equal(PolicyDecision.ImplicitDeny, AuthorizerPolicy.Evaluate(new JsonObject(), Api + "/prod/GET/x"));
    }

    private static JsonObject Conditional(string condition) => JsonNode.Parse($$"""
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {{condition}}}]}
        """)!.AsObject();

    [Theory]
    [InlineData("""{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}""", "127.0.0.1", PolicyDecision.ImplicitDeny)]
    [InlineData("""{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}""", "127.0.0.1", PolicyDecision.Allow)]
    [InlineData("""{"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}""", "::ffff:127.0.0.1", PolicyDecision.Allow)]
    [InlineData("""{"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}""", "127.0.0.1", PolicyDecision.ImplicitDeny)]
    [InlineData("""{"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "NumericGreaterThan": {"aws:EpochTime": "1767225600"}}""", "127.0.0.1", PolicyDecision.Allow)]
    [InlineData("""{"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}""", "127.0.0.1", PolicyDecision.ImplicitDeny)]
    [InlineData("""{"StringEquals": {"aws:PrincipalTag/team": "blue"}}""", "127.0.0.1", PolicyDecision.ImplicitDeny)]
    [InlineData("""{"StringEqualsIfExists": {"aws:PrincipalTag/team": "blue"}}""", "127.0.0.1", PolicyDecision.Allow)]
    [InlineData("""{"StringLike": {"aws:SourceIp": "${aws:SourceIp}"}}""", "127.0.0.1", PolicyDecision.Allow)]
    [InlineData("""{"NoSuchOperator": {"aws:SourceIp": "127.0.0.1"}}""", "127.0.0.1", PolicyDecision.ImplicitDeny)]
    public void Policy_conditions_are_evaluated_with_the_keys_api_gateway_provides(string condition, string sourceIp, PolicyDecision expected)
    {
        var methodArn = Api + "/prod/GET/x";
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected, AuthorizerPolicy.Evaluate(Conditional(condition), methodArn, AuthorizerPolicy.Keys(methodArn, sourceIp, now)));
    }

    [Fact]
    public void A_denying_statement_applies_only_when_its_condition_holds()
    {
        var methodArn = Api + "/prod/GET/x";
        var policy = JsonNode.Parse("""
            {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
                           {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
            """)!.AsObject();
        var now = DateTimeOffset.UnixEpoch;
        Assert.Equal(PolicyDecision.Allow, AuthorizerPolicy.Evaluate(policy, methodArn, AuthorizerPolicy.Keys(methodArn, "127.0.0.1", now)));
        Assert.Equal(PolicyDecision.ExplicitDeny, AuthorizerPolicy.Evaluate(policy, methodArn, AuthorizerPolicy.Keys(methodArn, "10.1.2.3", now)));
    }

    private static AuthorizerAnswer? Parse(string json, out string problem) => LambdaAuthorizer.Parse(Encoding.UTF8.GetBytes(json), out problem);

    [Fact]
    public void Answer_context_becomes_strings_in_context_authorizer_and_the_proxy_event()
    {
        var answer = Parse("""
            {"principalId": "user-1", "policyDocument": {"Statement": []}, "usageIdentifierKey": "key-value-of-twenty-chars",
             "context": {"tenant": "acme", "count": 3, "ratio": 0.5, "admin": true, "guest": false}}
            """, out _)!;
        Assert.Equal("user-1", answer.PrincipalId);
        Assert.Equal("key-value-of-twenty-chars", answer.UsageIdentifierKey);
        var grant = new AuthorizerGrant(answer.PrincipalId, answer.Context, answer.UsageIdentifierKey, 7);
        var variable = grant.ContextVariable();
        Assert.Equal("user-1", variable["principalId"]);
        Assert.Equal("acme", variable["tenant"]);
        Assert.Equal("3", variable["count"]);
        Assert.Equal("0.5", variable["ratio"]);
        Assert.Equal("true", variable["admin"]);
        Assert.Equal("false", variable["guest"]);
        Assert.Equal(7L, variable["integrationLatency"]);
        Assert.Equal("""{"principalId":"user-1","integrationLatency":7,"tenant":"acme","count":"3","ratio":"0.5","admin":"true","guest":"false"}""",
            grant.ProxyContext().ToJsonString());
    }

    [Theory]
    [InlineData("""{"policyDocument": {"Statement": []}}""", "principalId is missing")]
    [InlineData("""{"principalId": "u", "policyDocument": "Allow"}""", "policyDocument is missing or not an object")]
    [InlineData("""{"principalId": "u", "policyDocument": {}, "context": {"nested": {"a": 1}}}""", "the context value of 'nested' is not a string, number or boolean")]
    [InlineData("""{"principalId": "u", "policyDocument": {}, "context": ["a"]}""", "context is not an object")]
    [InlineData("""["not", "an", "object"]""", "the answer is not a JSON object")]
    public void Answers_api_gateway_cannot_use_are_refused_with_why(string json, string problem)
    {
        Assert.Null(Parse(json, out var why));
        Assert.Equal(problem, why);
    }

    [Fact]
    public void Refusals_are_worded_as_aws_answers_them()
    {
        var unauthorized = LambdaAuthorizer.Unauthorized();
        Assert.Equal(("UNAUTHORIZED", 401, """{"message":"Unauthorized"}"""), (unauthorized.Type, unauthorized.Response.StatusCode, unauthorized.Response.BodyText));
        var denied = LambdaAuthorizer.AccessDenied(explicitDeny: true);
        Assert.Equal(("ACCESS_DENIED", 403, """{"Message":"User is not authorized to access this resource with an explicit deny"}"""),
            (denied.Type, denied.Response.StatusCode, denied.Response.BodyText));
        Assert.Contains(denied.Response.Headers, h => h is { Key: "x-amzn-ErrorType", Value: "AccessDeniedException" });
        var failed = LambdaAuthorizer.Failed("AUTHORIZER_CONFIGURATION_ERROR");
        Assert.Equal((500, """{"message":null}"""), (failed.Response.StatusCode, failed.Response.BodyText));
        Assert.Contains(failed.Response.Headers, h => h is { Key: "x-amzn-ErrorType", Value: "AuthorizerConfigurationException" });
    }

    [Fact]
    public void Access_log_format_writes_values_a_dash_for_none_and_escapes_inside_json()
    {
        var values = new Dictionary<string, string> { ["context.requestId"] = "r-1", ["context.authorizer.note"] = "say \"hi\"" };
        Assert.Equal("""{"id":"r-1","note":"say \"hi\"","ip":"-"}""",
            AccessLog.Format("""{"id":"$context.requestId","note":"$context.authorizer.note","ip":"$context.identity.sourceIp"}""", values.GetValueOrDefault));
        Assert.Equal("r-1 - say \"hi\"", AccessLog.Format("$context.requestId $context.status $context.authorizer.note", values.GetValueOrDefault));
        Assert.Equal(("us-east-1", "111122223333", "access"), AccessLog.LogGroup("arn:aws:logs:us-east-1:111122223333:log-group:access:*"));
        Assert.Null(AccessLog.LogGroup("arn:aws:s3:::bucket"));
    }
}
