using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.SecretsManager;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>Secrets Manager's declared member rules: ValidationException in Smithy's wording, a secret's value never shown.</summary>
public sealed class SecretsManagerMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => SecretsManagerRules.Members.Check(operation, input, ValidationStyle.Smithy));

    [Fact]
    public void A_valid_secret_passes()
    {
        SecretsManagerRules.Members.Check("CreateSecret", new JsonObject { ["Name"] = "app/db", ["SecretString"] = "s3cret" }, ValidationStyle.Smithy);
    }

    [Fact]
    public void A_too_long_token_and_a_bad_sort_order_are_named_together()
    {
        var error = Refusal("ListSecrets", new JsonObject { ["MaxResults"] = 101, ["SortOrder"] = "sideways" });
        Assert.Equal("ValidationException", error.Code);
        Assert.Equal("2 validation errors detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100; " +
            "Value 'sideways' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]", error.Message);
    }

    [Fact]
    public void A_sensitive_value_is_named_but_not_shown()
    {
        var error = Refusal("PutSecretValue", new JsonObject { ["SecretId"] = "app/db", ["SecretString"] = "" });
        Assert.Equal("1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1", error.Message);
    }

    [Fact]
    public void A_missing_secret_id_and_a_short_client_token_are_refused()
    {
        Assert.Equal("1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
            Refusal("GetSecretValue", []).Message);
        Assert.Equal("1 validation error detected: Value 'short' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32",
            Refusal("CreateSecret", new JsonObject { ["Name"] = "n", ["ClientRequestToken"] = "short" }).Message);
    }
}
