using Stratus.Protocols;

namespace Stratus.Services.Ec2;

/// <summary>
/// What other services (RDS's subnet groups and instances, Lambda's VpcConfig) ask EC2 about the networks
/// they place resources in: the domain interface they hold instead of calling EC2 over HTTP.
/// </summary>
public interface IVpcNetwork
{
    /// <summary>The account's default VPC in the scope's region, with its default subnets and security group (made on first use).</summary>
    DefaultNetwork Default(Scope scope);

    Subnet? FindSubnet(Scope scope, string subnetId);

    SecurityGroup? FindSecurityGroup(Scope scope, string groupId);

    /// <summary>The id of a VPC's own "default" security group, which RDS assigns when no group is named.</summary>
    string DefaultSecurityGroupOf(Scope scope, string vpcId);
}
