using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Ec2;

namespace Stratus.Tests.Services.Ec2;

/// <summary>EC2's declared member rules, under its query names, answered in EC2's own words: MissingParameter or InvalidParameterValue.</summary>
public sealed class Ec2MemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => Ec2Rules.Members.Check(operation, input, Ec2Errors.Validation));

    [Fact]
    public void A_missing_member_is_a_missing_parameter()
    {
        var error = Refusal("AttachInternetGateway", new JsonObject { ["InternetGatewayId"] = "igw-0123456789abcdef0" });
        Assert.Equal("MissingParameter", error.Code);
        Assert.Equal("The request must contain the parameter vpcId", error.Message);
    }

    [Fact]
    public void Max_results_below_the_range_is_worded_as_EC2_words_it()
    {
        var error = Refusal("DescribeVpcs", new JsonObject { ["MaxResults"] = 3 });
        Assert.Equal("InvalidParameterValue", error.Code);
        Assert.Equal("Value ( 3 ) for parameter maxResults is invalid. Expecting a value greater than 5.", error.Message);
    }

    [Fact]
    public void A_nested_member_is_named_by_its_path()
    {
        var wrong = Refusal("CreateVpc", new JsonObject { ["VpcEncryptionControl"] = new JsonObject { ["Mode"] = "audit" } });
        Assert.Equal("InvalidParameterValue", wrong.Code);
        Assert.Equal("Value (audit) for parameter vpcEncryptionControl.mode is invalid.", wrong.Message);
        Assert.Equal("The request must contain the parameter vpcEncryptionControl.mode",
            Refusal("CreateVpc", new JsonObject { ["VpcEncryptionControl"] = new JsonObject() }).Message);
        Ec2Rules.Members.Check("CreateVpc", new JsonObject { ["CidrBlock"] = "10.0.0.0/16" }, Ec2Errors.Validation);
    }
}
