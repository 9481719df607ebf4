using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Ec2;

/// <summary>EC2's wire variant read by the aws CLI and the AWS SDK for .NET, each with its own EC2 parser.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class Ec2ClientsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task The_aws_cli_creates_describes_and_is_refused_in_ec2s_words()
    {
        var created = await Clients.AwsAsync(stratus.Url, "ec2", "create-vpc", "--cidr-block", "10.50.0.0/16",
            "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]", "--query", "Vpc.VpcId", "--output", "text");
        Assert.True(created.ExitCode == 0, created.ToString());
        var vpcId = created.Stdout.Trim();
        Assert.StartsWith("vpc-", vpcId);

        var subnet = await Clients.AwsAsync(stratus.Url, "ec2", "create-subnet", "--vpc-id", vpcId, "--cidr-block", "10.50.1.0/24",
            "--availability-zone", "us-east-1c", "--query", "Subnet.[SubnetId,AvailabilityZone]", "--output", "text");
        Assert.True(subnet.ExitCode == 0, subnet.ToString());
        Assert.EndsWith("us-east-1c", subnet.Stdout.Trim());

        var named = await Clients.AwsAsync(stratus.Url, "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=cli",
            "--query", "Vpcs[*].VpcId", "--output", "text");
        Assert.Equal(vpcId, named.Stdout.Trim());

        var busy = await Clients.AwsAsync(stratus.Url, "ec2", "delete-vpc", "--vpc-id", vpcId);
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains("(DependencyViolation)", busy.Stderr);
        Assert.Contains($"The vpc '{vpcId}' has dependencies and cannot be deleted.", busy.Stderr);

        var missing = await Clients.AwsAsync(stratus.Url, "ec2", "describe-subnets", "--subnet-ids", "subnet-0123456789abcdef0");
        Assert.Contains("(InvalidSubnetID.NotFound)", missing.Stderr);
    }

    [Fact]
    public async Task The_dotnet_sdk_reads_zones_vpcs_filters_and_errors()
    {
        using var ec2 = new AmazonEC2Client(new BasicAWSCredentials("test", "test"), new AmazonEC2Config
        {
            ServiceURL = stratus.Url, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
        });

        var zones = await ec2.DescribeAvailabilityZonesAsync(new DescribeAvailabilityZonesRequest());
        Assert.Equal(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"], zones.AvailabilityZones.Select(z => z.ZoneName));

        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.60.0.0/16" })).Vpc;
        Assert.Equal("10.60.0.0/16", vpc.CidrBlock);
        Assert.False((bool?)vpc.IsDefault);
        var subnet = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc.VpcId, CidrBlock = "10.60.0.0/20", AvailabilityZone = "us-east-1a" })).Subnet;

        var found = await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { Filters = [new Filter("vpc-id", [vpc.VpcId])] });
        Assert.Equal([subnet.SubnetId], found.Subnets.Select(s => s.SubnetId));
        Assert.Equal(4091, (int?)found.Subnets[0].AvailableIpAddressCount);

        var conflict = await Assert.ThrowsAsync<AmazonEC2Exception>(() =>
            ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc.VpcId, CidrBlock = "10.60.8.0/24" }));
        Assert.Equal("InvalidSubnet.Conflict", conflict.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, conflict.StatusCode);

        await ec2.DeleteSubnetAsync(new DeleteSubnetRequest { SubnetId = subnet.SubnetId });
        await ec2.DeleteVpcAsync(new DeleteVpcRequest { VpcId = vpc.VpcId });
        var gone = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeVpcsAsync(new DescribeVpcsRequest { VpcIds = [vpc.VpcId] }));
        Assert.Equal("InvalidVpcID.NotFound", gone.ErrorCode);
    }
}
