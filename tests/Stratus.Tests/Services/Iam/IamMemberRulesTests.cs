using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Iam;
using Stratus.Services.Sts;

namespace Stratus.Tests.Services.Iam;

/// <summary>IAM's and STS's declared member rules: AWS's Query services answer them as ValidationError in the "N validation errors detected" wording.</summary>
public sealed class IamMemberRulesTests
{
    private static AwsException Refusal(MemberRules rules, string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => rules.Check(operation, input, IamNames.Errors));

    [Fact]
    public void A_role_name_too_long_and_a_bad_path_are_named_together()
    {
        var error = Refusal(IamRules.Members, "CreateRole", new JsonObject
        {
            ["RoleName"] = new string('r', 65),
            ["Path"] = "nopath",
            ["AssumeRolePolicyDocument"] = "{}",
        });
        Assert.Equal("ValidationError", error.Code);
        Assert.Equal($"2 validation errors detected: Value 'nopath' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); " +
            $"Value '{new string('r', 65)}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64", error.Message);
    }

    [Fact]
    public void An_enum_a_range_and_a_missing_member_are_refused()
    {
        Assert.Equal("1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]",
            Refusal(IamRules.Members, "UpdateAccessKey", new JsonObject { ["AccessKeyId"] = "AKIAAAAAAAAAAAAAAAAA", ["Status"] = "Paused" }).Message);
        Assert.Equal("1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
            Refusal(IamRules.Members, "ListRoles", new JsonObject { ["MaxItems"] = "1001" }).Message);
        Assert.Equal("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null",
            Refusal(IamRules.Members, "PutRolePolicy", new JsonObject { ["RoleName"] = "r", ["PolicyName"] = "p" }).Message);
    }

    [Fact]
    public void Fifty_one_tags_are_left_to_the_tag_quota()
    {
        var tags = new JsonArray([.. Enumerable.Range(0, 51).Select(i => (JsonNode)new JsonObject { ["Key"] = $"k{i}", ["Value"] = "v" })]);
        IamRules.Members.Check("TagRole", new JsonObject { ["RoleName"] = "r", ["Tags"] = tags }, IamNames.Errors);
    }

    [Fact]
    public void Sts_refuses_a_short_session_and_a_short_duration()
    {
        var error = Refusal(StsRules.Members, "AssumeRole", new JsonObject
        {
            ["RoleArn"] = "arn:aws:iam::000000000000:role/ops",
            ["RoleSessionName"] = "s",
            ["DurationSeconds"] = "100",
        });
        Assert.Equal("ValidationError", error.Code);
        Assert.Equal("2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
            "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", error.Message);
    }
}
