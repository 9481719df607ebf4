using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>API Gateway's declared member rules: ValidationException, each member named under its operation's input.</summary>
public sealed class ApiGatewayMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => ApiGatewayRules.Members.Check(operation, input, ApiGatewayErrors.Validation));

    [Fact]
    public void An_unknown_integration_type_is_named_under_the_operation_input_in_AWS_order()
    {
        var error = Refusal("PutIntegration", new JsonObject
        {
            ["restapi_id"] = "abc1234567", ["resource_id"] = "r00t", ["http_method"] = "GET", ["type"] = "SOAP",
        });
        Assert.Equal("ValidationException", error.Code);
        Assert.Equal("1 validation error detected: Value 'SOAP' at 'putIntegrationInput.type' failed to satisfy constraint: " +
            "Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]", error.Message);
    }

    [Fact]
    public void A_missing_name_and_a_bad_status_code_are_refused()
    {
        Assert.Equal("1 validation error detected: Value null at 'createRestApiInput.name' failed to satisfy constraint: Member must not be null",
            Refusal("CreateRestApi", new JsonObject()).Message);
        Assert.Equal("1 validation error detected: Value '99' at 'putMethodResponseInput.statusCode' failed to satisfy constraint: " +
            "Member must satisfy regular expression pattern: [1-5]\\d\\d",
            Refusal("PutMethodResponse", new JsonObject
            {
                ["restapi_id"] = "abc1234567", ["resource_id"] = "r00t", ["http_method"] = "GET", ["status_code"] = "99",
            }).Message);
    }
}
