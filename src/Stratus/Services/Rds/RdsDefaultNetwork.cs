namespace Stratus.Services.Rds;

/// <summary>
/// What RDS names for the default VPC's placement: the "default" DB subnet group (the default VPC's default
/// subnets, which EC2 holds) and the hosted zone its endpoints report.
/// </summary>
public static class RdsDefaultNetwork
{
    public const string SubnetGroupName = "default";
    /// <summary>The hosted zone id RDS endpoints in us-east-1 report.</summary>
    public const string HostedZoneId = "Z2R2ITUGPM61AM";
}
