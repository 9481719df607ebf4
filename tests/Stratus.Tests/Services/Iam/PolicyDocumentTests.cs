using Stratus.Protocols;
using Stratus.Services.Iam;

namespace Stratus.Tests.Services.Iam;

/// <summary>Policy documents refused as IAM refuses them, with IAM's MalformedPolicyDocument messages.</summary>
public sealed class PolicyDocumentTests
{
    private static string Refusal(string document, PolicyDocument.Kind kind = PolicyDocument.Kind.Identity)
    {
        var error = Assert.Throws<AwsException>(() => PolicyDocument.Validate(document, kind));
        Assert.Equal("MalformedPolicyDocument", error.Code);
        return error.Message;
    }

    private static string Statement(string body) => $$"""{"Version":"2012-10-17","Statement":[{{{body}}}]}""";

    [Theory]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}],"Extra":1}""")]
    [InlineData("""{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}""")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Actions":"x"}]}""")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}""")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}""")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}""")]
    [InlineData("""{"Version":"2012-10-17","Statement":[]}""")]
    [InlineData("""{"Version":"2012-10-17"}""")]
    public void Grammar_errors_are_syntax_errors(string document) =>
        Assert.Equal("Syntax errors in policy.", Refusal(document));

    [Fact]
    public void Each_rule_has_its_message()
    {
        Assert.Equal("This policy contains invalid Json", Refusal("{not json"));
        Assert.Equal("The policy failed legacy parsing", Refusal(Statement("""  "Effect":"allow","Action":"s3:*","Resource":"*" """)));
        Assert.Equal("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", Refusal(Statement(""" "Effect":"Allow","Action":"GetObject","Resource":"*" """)));
        Assert.Equal("Actions/Condition can contain only one colon.", Refusal(Statement(""" "Effect":"Allow","Action":"s3:a:b","Resource":"*" """)));
        Assert.Equal("Vendor s 3 is not valid", Refusal(Statement(""" "Effect":"Allow","Action":"s 3:Get","Resource":"*" """)));
        Assert.Equal("Resource bucket must be in ARN format or \"*\".", Refusal(Statement(""" "Effect":"Allow","Action":"s3:*","Resource":"bucket" """)));
        Assert.Equal("Partition \"aws-mars\" is not valid for resource \"arn:aws-mars:s3:*:*:b\".", Refusal(Statement(""" "Effect":"Allow","Action":"s3:*","Resource":"arn:aws-mars:s3:::b" """)));
        Assert.Equal("Resource vendor must be fully qualified and cannot contain regexes.", Refusal(Statement(""" "Effect":"Allow","Action":"s3:*","Resource":"arn:aws:*:::b" """)));
        Assert.Equal("IAM resource arn:aws:iam:us-east-1:123456789012:user/a cannot contain region information.",
            Refusal(Statement(""" "Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:123456789012:user/a" """)));
        Assert.Equal("Policy statement must contain actions.", Refusal(Statement(""" "Effect":"Allow","Resource":"*" """)));
        Assert.Equal("Policy statement must contain resources.", Refusal(Statement(""" "Effect":"Allow","Action":"s3:*" """)));
        Assert.Equal("Statement IDs (SID) in a single policy must be unique.",
            Refusal("""{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"""));
        Assert.Equal("Policy document should not specify a principal.", Refusal(Statement(""" "Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*" """)));
        Assert.Equal("Missing required field Principal", Refusal(Statement(""" "Effect":"Allow","Action":"sts:AssumeRole" """), PolicyDocument.Kind.Trust));
    }

    [Fact]
    public void Well_formed_documents_pass()
    {
        PolicyDocument.Validate(Statement(""" "Effect":"Allow","Action":["s3:Get*","lambda:InvokeFunction"],"Resource":["arn:aws:s3:::b/*","*"],"Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"a*"},"Bool":{"aws:SecureTransport":true}} """), PolicyDocument.Kind.Identity);
        PolicyDocument.Validate("""{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::123456789012:role/x"}}""", PolicyDocument.Kind.Identity);
        PolicyDocument.Validate(Statement(""" "Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"x:aud":"y"}} """), PolicyDocument.Kind.Trust);
    }
}
