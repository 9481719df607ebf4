using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Ecr;

namespace Stratus.Tests.Services.Ecr;

/// <summary>ECR's declared member rules: the first violation, as InvalidParameterException in ECR's own words.</summary>
public sealed class EcrMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => EcrRules.Members.Check(operation, input, ValidationStyle.Smithy));

    [Fact]
    public void An_uppercase_name_is_refused_with_the_pattern_quoted()
    {
        var error = Refusal("CreateRepository", new JsonObject { ["repositoryName"] = "Orders" });
        Assert.Equal("InvalidParameterException", error.Code);
        Assert.Equal(@"Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*''",
            error.Message);
    }

    [Fact]
    public void A_missing_member_is_worded_as_ECR_words_its_other_constraints()
    {
        // No AWS answer to a missing repositoryName was found to confirm this (clients refuse to send one); it follows
        // ECR's confirmed wording of the name's other constraints, and a missing member elsewhere is 'Member must not be null'.
        var error = Refusal("CreateRepository", new JsonObject());
        Assert.Equal("InvalidParameterException", error.Code);
        Assert.Equal("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'", error.Message);
    }

    [Fact]
    public void A_missing_member_other_than_the_repository_name_must_not_be_null_in_smithys_words()
    {
        var error = Refusal("PutImageTagMutability", new JsonObject { ["repositoryName"] = "orders" });
        Assert.Equal("InvalidParameterException", error.Code);
        Assert.Equal("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must not be null'", error.Message);
    }

    [Fact]
    public void Only_the_first_violation_is_named()
    {
        var error = Refusal("DescribeImages", new JsonObject { ["repositoryName"] = "a", ["maxResults"] = 1001 });
        Assert.Equal("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'", error.Message);
    }

    [Fact]
    public void Members_other_than_the_repository_name_keep_smithys_member_wording()
    {
        // AWS answers a bad registryIds item with 'Member must satisfy constraint: [Member must satisfy regular expression
        // pattern: [0-9]{12}]': only the repository name, which ECR checks itself, is worded without "Member".
        Assert.Equal("Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'",
            Refusal("ListImages", new JsonObject { ["repositoryName"] = "orders", ["filter"] = new JsonObject { ["tagStatus"] = "SOME" } }).Message);
        Assert.Equal("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'",
            Refusal("ListImages", new JsonObject { ["repositoryName"] = "orders", ["maxResults"] = 1001 }).Message);
    }
}
