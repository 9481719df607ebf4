using System.Security.Cryptography;
using System.Text;

namespace Stratus.Services.Rds;

/// <summary>
/// The default VPC, its subnets and security group that RDS places instances in, with stable ids per
/// account and region. Stratus has no EC2: these exist so the seed can hand them to Lambda's VpcConfig.
/// </summary>
public static class RdsDefaultNetwork
{
    public const string SubnetGroupName = "default";
    /// <summary>The hosted zone id RDS endpoints in us-east-1 report.</summary>
    public const string HostedZoneId = "Z2R2ITUGPM61AM";

    public static string VpcId(string accountId, string region) => "vpc-" + Hash(accountId, region, "vpc");

    public static string SecurityGroupId(string accountId, string region) => "sg-" + Hash(accountId, region, "sg-default");

    public static IReadOnlyList<string> AvailabilityZones(string region) => [region + "a", region + "b", region + "c"];

    public static string SubnetId(string accountId, string region, string zone) => "subnet-" + Hash(accountId, region, zone);

    public static string SubnetGroupArn(string accountId, string region) => $"arn:aws:rds:{region}:{accountId}:subgrp:{SubnetGroupName}";

    private static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('/', parts))))[..17];
}
