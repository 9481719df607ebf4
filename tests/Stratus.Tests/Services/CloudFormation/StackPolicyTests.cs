using Stratus.Protocols;
using Stratus.Services.CloudFormation.Engine;

namespace Stratus.Tests.Services.CloudFormation;

public sealed class StackPolicyTests
{
    private const string ProtectDatabase = """
        {"Statement": [
          {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
          {"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Principal": "*", "Resource": "LogicalResourceId/Data*"}
        ]}
        """;

    [Fact]
    public void A_deny_wins_over_an_allow_and_names_its_statement()
    {
        var policy = StackPolicy.Parse(ProtectDatabase);
        Assert.Null(policy.Refusal(StackPolicy.Modify, "Database", "AWS::RDS::DBInstance"));
        Assert.Null(policy.Refusal(StackPolicy.Replace, "Function", "AWS::Lambda::Function"));
        Assert.Equal("Action denied by stack policy: Statement [#2] does not allow [Update:Replace] for resource [LogicalResourceId/Database]",
            policy.Refusal(StackPolicy.Replace, "Database", "AWS::RDS::DBInstance"));
        Assert.NotNull(policy.Refusal(StackPolicy.Delete, "DataBucket", "AWS::S3::Bucket"));
    }

    [Fact]
    public void With_a_policy_what_no_statement_allows_is_refused()
    {
        var policy = StackPolicy.Parse("""
            {"Statement": [{"Effect": "Allow", "NotAction": "Update:Delete", "Principal": "*", "NotResource": "LogicalResourceId/Keep",
              "Condition": {"StringLike": {"ResourceType": ["AWS::Lambda::*"]}}}]}
            """);
        Assert.Null(policy.Refusal(StackPolicy.Modify, "Function", "AWS::Lambda::Function"));
        Assert.StartsWith("Action not allowed by stack policy", policy.Refusal(StackPolicy.Modify, "Role", "AWS::IAM::Role"));
        Assert.StartsWith("Action not allowed by stack policy", policy.Refusal(StackPolicy.Modify, "Keep", "AWS::Lambda::Function"));
        Assert.StartsWith("Action not allowed by stack policy", policy.Refusal(StackPolicy.Delete, "Function", "AWS::Lambda::Function"));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("""{"Statement": [{"Effect": "Maybe", "Action": "Update:*", "Resource": "*"}]}""", "Effect")]
    [InlineData("""{"Statement": [{"Effect": "Allow", "Action": "Update:Destroy", "Resource": "*"}]}""", "unknown action Update:Destroy")]
    [InlineData("""{"Statement": [{"Effect": "Allow", "Action": "Update:*"}]}""", "Resource and NotResource")]
    [InlineData("""{"Statement": [{"Effect": "Allow", "Action": "Update:*", "Resource": "*", "Principal": {"AWS": "x"}}]}""", "Principal")]
    [InlineData("""{"Statement": [{"Effect": "Allow", "Action": "Update:*", "Resource": "*", "Condition": {"IpAddress": {"ResourceType": "x"}}}]}""", "IpAddress")]
    [InlineData("""{"Version": "2012-10-17"}""", "needs a Statement")]
    public void Unusable_policies_are_validation_errors(string body, string reason)
    {
        var error = Assert.Throws<AwsException>(() => StackPolicy.Parse(body));
        Assert.Equal("ValidationError", error.Code);
        Assert.StartsWith("Error validating stack policy: ", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Policies_nested_past_the_bound_are_refused_not_parsed()
    {
        var deep = "{\"Statement\": " + new string('[', 100) + new string(']', 100) + "}";
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => StackPolicy.Parse(deep)).Code);
    }
}
