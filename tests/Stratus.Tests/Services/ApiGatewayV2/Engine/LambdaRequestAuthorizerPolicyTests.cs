using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGatewayV2.Engine;

namespace Stratus.Tests.Services.ApiGatewayV2.Engine;

/// <summary>An HTTP API's IAM-policy authorizer answer is judged with the request's condition keys, as a REST API's is.</summary>
public class LambdaRequestAuthorizerPolicyTests
{
    private const string RouteArn = "arn:aws:execute-api:us-east-1:000000000000:abc123/$default/GET/pets";

    private static JsonObject AllowFrom(string cidr) => new()
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(new JsonObject
        {
            ["Effect"] = "Allow",
            ["Action"] = "execute-api:Invoke",
            ["Resource"] = RouteArn,
            ["Condition"] = new JsonObject { ["IpAddress"] = new JsonObject { ["aws:SourceIp"] = cidr } },
        }),
    };

    [Theory]
    [InlineData("127.0.0.0/8", "127.0.0.1", true)]
    [InlineData("10.0.0.0/8", "127.0.0.1", false)]
    [InlineData("127.0.0.0/8", "::ffff:127.0.0.1", true)]
    public void An_allow_holds_only_when_its_condition_holds_for_the_callers_address(string cidr, string sourceIp, bool allowed)
    {
        var keys = AuthorizerPolicy.Keys(RouteArn, sourceIp, DateTimeOffset.UtcNow);
        Assert.Equal(allowed, LambdaRequestAuthorizer.PolicyAllows(AllowFrom(cidr), RouteArn, keys));
    }
}
