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
        // No AWS answer to a missing ECR member was found to confirm this; it follows ECR's confirmed form for the others.
        var error = Refusal("CreateRepository", new JsonObject());
        Assert.Equal("InvalidParameterException", error.Code);
        Assert.Equal("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'", error.Message);
    }

    [Fact]
    public void Only_the_first_violation_is_named()
    {
        var error = Refusal("DescribeImages", new JsonObject { ["repositoryName"] = "a", ["maxResults"] = 1001 });
        Assert.Equal("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'", error.Message);
    }

    [Fact]
    public void A_nested_enum_and_a_range_are_worded_without_member()
    {
        Assert.Equal("Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'",
            Refusal("ListImages", new JsonObject { ["repositoryName"] = "orders", ["filter"] = new JsonObject { ["tagStatus"] = "SOME" } }).Message);
        Assert.Equal("Invalid parameter at 'maxResults' failed to satisfy constraint: 'must have value less than or equal to 1000'",
            Refusal("ListImages", new JsonObject { ["repositoryName"] = "orders", ["maxResults"] = 1001 }).Message);
    }
}
