using Stratus.Services.Ec2;

namespace Stratus.Tests.Services.Ec2;

/// <summary>CIDR arithmetic, zone facts and filter matching, the rules EC2's objects are checked by.</summary>
public sealed class Ec2RulesTests
{
    [Theory]
    [InlineData("10.0.0.0/16", true)]
    [InlineData("172.31.16.0/20", true)]
    [InlineData("10.0.0.1/16", false)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0/16", false)]
    [InlineData("fd00::/64", false)]
    [InlineData("10.0.0.0", false)]
    public void Only_ipv4_blocks_without_host_bits_parse(string text, bool valid) =>
        Assert.Equal(valid, Cidr.Parse(text) is not null);

    [Fact]
    public void Containment_and_overlap_follow_the_address_ranges()
    {
        var vpc = Cidr.Parse("10.0.0.0/16")!.Value;
        Assert.True(vpc.Contains(Cidr.Parse("10.0.255.0/24")!.Value));
        Assert.False(vpc.Contains(Cidr.Parse("10.1.0.0/24")!.Value));
        Assert.True(Cidr.Parse("10.0.0.0/24")!.Value.Overlaps(Cidr.Parse("10.0.0.128/25")!.Value));
        Assert.False(Cidr.Parse("10.0.0.0/25")!.Value.Overlaps(Cidr.Parse("10.0.0.128/25")!.Value));
        Assert.Equal("10.0.0.4", Cidr.Parse("10.0.0.0/24")!.Value.Address(4));
    }

    [Fact]
    public void Vpc_and_subnet_ranges_are_refused_with_ec2s_codes()
    {
        Assert.Equal("InvalidVpc.Range", Assert.Throws<Stratus.Protocols.AwsException>(() => Ec2Rules.VpcCidr("10.0.0.0/15")).Code);
        Assert.Equal("InvalidSubnet.Range", Assert.Throws<Stratus.Protocols.AwsException>(() => Ec2Rules.SubnetCidr("10.0.0.0/29", Cidr.Parse("10.0.0.0/16")!.Value)).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<Stratus.Protocols.AwsException>(() => Ec2Rules.VpcCidr("banana")).Code);
    }

    [Fact]
    public void Zones_and_their_ids_are_the_regions_own()
    {
        Assert.Equal(["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"], Ec2Rules.AvailabilityZones("ap-northeast-1"));
        Assert.Equal("apne1-az2", Ec2Rules.ZoneId("ap-northeast-1", "ap-northeast-1c"));
        Assert.Equal("euc1-az1", Ec2Rules.ZoneId("eu-central-1", "eu-central-1a"));
        Assert.Equal("use1-az6", Ec2Rules.ZoneId("us-east-1", "us-east-1f"));
    }

    [Fact]
    public void Filter_values_take_wildcards()
    {
        Assert.True(Ec2Rules.Matches(["web-*"], ["web-tier"]));
        Assert.True(Ec2Rules.Matches(["a?c"], ["abc"]));
        Assert.False(Ec2Rules.Matches(["a?c"], ["abbc"]));
        Assert.False(Ec2Rules.Matches(["x.y"], ["xzy"]));
        Assert.False(Ec2Rules.Matches(["anything"], [null]));
    }

    [Fact]
    public void Default_vpc_ids_are_stable_per_account_and_region()
    {
        Assert.Equal(Ec2Ids.Stable("vpc-", "1", "us-east-1", "vpc"), Ec2Ids.Stable("vpc-", "1", "us-east-1", "vpc"));
        Assert.NotEqual(Ec2Ids.Stable("vpc-", "1", "us-east-1", "vpc"), Ec2Ids.Stable("vpc-", "1", "us-west-2", "vpc"));
        Assert.Matches("^vpc-[0-9a-f]{17}$", Ec2Ids.New("vpc-"));
    }
}
