using Stratus.Protocols;

namespace Stratus.Services.Ec2;

public sealed record Ec2Tag(string Key, string Value);

/// <summary>A resource's tags, kept apart from the resource so CreateTags/DeleteTags/DescribeTags treat every type alike.</summary>
public sealed record Ec2TagSet(string AccountId, string Region, string ResourceId, IReadOnlyList<Ec2Tag> Tags);

public sealed record Vpc
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string VpcId { get; init; }
    public required string CidrBlock { get; init; }
    public required string CidrBlockAssociationId { get; init; }
    public bool IsDefault { get; init; }
    public required string InstanceTenancy { get; init; }
    public required string DhcpOptionsId { get; init; }
    /// <summary>Created with the VPC, as AWS makes one: its id is what AWS::EC2::VPC's DefaultSecurityGroup returns.</summary>
    public required string DefaultSecurityGroupId { get; init; }
    public required string MainRouteTableId { get; init; }
    /// <summary>Recorded for AWS::EC2::VPC's DefaultNetworkAcl; Stratus has no network ACL API.</summary>
    public required string DefaultNetworkAclId { get; init; }
    public bool EnableDnsSupport { get; init; } = true;
    public bool EnableDnsHostnames { get; init; }
}

public sealed record Subnet
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string SubnetId { get; init; }
    public required string VpcId { get; init; }
    public required string CidrBlock { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }
    public bool DefaultForAz { get; init; }
    public bool MapPublicIpOnLaunch { get; init; }

    public string Arn => $"arn:aws:ec2:{Region}:{AccountId}:subnet/{SubnetId}";
}

/// <summary>One rule of a security group, as DescribeSecurityGroupRules lists them: one peer each.</summary>
public sealed record SecurityGroupRule
{
    public required string RuleId { get; init; }
    public required bool IsEgress { get; init; }
    /// <summary>"tcp", "udp", "icmp", "icmpv6" or "-1" (all), as AWS stores the names it is given.</summary>
    public required string IpProtocol { get; init; }
    public int? FromPort { get; init; }
    public int? ToPort { get; init; }
    public string? CidrIpv4 { get; init; }
    public string? CidrIpv6 { get; init; }
    public string? ReferencedGroupId { get; init; }
    public string? PrefixListId { get; init; }
    public string? Description { get; init; }

    /// <summary>Two rules are the same rule when everything but the id and description matches.</summary>
    public bool SameAs(SecurityGroupRule other) =>
        IsEgress == other.IsEgress && IpProtocol == other.IpProtocol && FromPort == other.FromPort && ToPort == other.ToPort
        && CidrIpv4 == other.CidrIpv4 && CidrIpv6 == other.CidrIpv6 && ReferencedGroupId == other.ReferencedGroupId && PrefixListId == other.PrefixListId;
}

public sealed record SecurityGroup
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string GroupId { get; init; }
    public required string GroupName { get; init; }
    public required string Description { get; init; }
    public required string VpcId { get; init; }
    public IReadOnlyList<SecurityGroupRule> Rules { get; init; } = [];

    public string Arn => $"arn:aws:ec2:{Region}:{AccountId}:security-group/{GroupId}";
}

public sealed record InternetGateway
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string InternetGatewayId { get; init; }
    public string? AttachedVpcId { get; init; }
}

public sealed record Route
{
    public required string DestinationCidrBlock { get; init; }
    /// <summary>"local" for the VPC's own range, or an igw- id.</summary>
    public string? GatewayId { get; init; }
    public string? NatGatewayId { get; init; }
    /// <summary>"CreateRouteTable" for the local route, "CreateRoute" for the rest, as AWS reports Origin.</summary>
    public required string Origin { get; init; }
}

public sealed record RouteTableAssociation(string AssociationId, bool Main, string? SubnetId, string? GatewayId);

public sealed record RouteTable
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string RouteTableId { get; init; }
    public required string VpcId { get; init; }
    public IReadOnlyList<Route> Routes { get; init; } = [];
    public IReadOnlyList<RouteTableAssociation> Associations { get; init; } = [];
}

public sealed record ElasticIp
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string AllocationId { get; init; }
    public required string PublicIp { get; init; }
    /// <summary>The NAT gateway holding the address, if one does.</summary>
    public string? NatGatewayId { get; init; }
    public string? AssociationId { get; init; }
}

public sealed record NatGateway
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string NatGatewayId { get; init; }
    public required string SubnetId { get; init; }
    public required string VpcId { get; init; }
    public required string ConnectivityType { get; init; }
    public string? AllocationId { get; init; }
    public string? PublicIp { get; init; }
    public required string PrivateIp { get; init; }
    public required string State { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public DateTimeOffset? DeleteTime { get; init; }
}

/// <summary>One Filter.N: a name and the values any of which may match (with * and ? wildcards, as EC2 takes them).</summary>
public sealed record Ec2Filter(string Name, IReadOnlyList<string> Values);

/// <summary>One TagSpecification.N: the resource type the tags are for, and the tags.</summary>
public sealed record TagSpecification(string ResourceType, IReadOnlyList<Ec2Tag> Tags)
{
    public static IReadOnlyList<TagSpecification> Read(IInputReader input) =>
        input.Objects("TagSpecification").Select(s => new TagSpecification(s.String("ResourceType") ?? "", Ec2Tags.Read(s, "Tag"))).ToList();

    /// <summary>The tags meant for <paramref name="resourceType"/>; AWS refuses a specification for another type.</summary>
    public static IReadOnlyList<Ec2Tag> For(IReadOnlyList<TagSpecification> specifications, string resourceType)
    {
        foreach (var s in specifications.Where(s => s.ResourceType != resourceType))
            throw Ec2Errors.InvalidParameterValue($"'{s.ResourceType}' is not a valid taggable resource type for this operation.");
        return specifications.SelectMany(s => s.Tags).ToList();
    }
}

public static class Ec2Tags
{
    public static IReadOnlyList<Ec2Tag> Read(IInputReader input, string name) =>
        input.Objects(name).Select(t => new Ec2Tag(t.String("Key") ?? throw Ec2Errors.MissingParameter("Tag.Key"), t.String("Value") ?? "")).ToList();
}

/// <summary>One IpPermissions.N of Authorize/RevokeSecurityGroupIngress/Egress, or a template's inline rule.</summary>
public sealed record IpPermission
{
    public required string IpProtocol { get; init; }
    public int? FromPort { get; init; }
    public int? ToPort { get; init; }
    public IReadOnlyList<(string Cidr, string? Description)> Ipv4Ranges { get; init; } = [];
    public IReadOnlyList<(string Cidr, string? Description)> Ipv6Ranges { get; init; } = [];
    public IReadOnlyList<(string GroupId, string? Description)> Groups { get; init; } = [];
    public IReadOnlyList<(string PrefixListId, string? Description)> PrefixLists { get; init; } = [];

    /// <summary>The wire's IpPermissions.N (IpRanges.M.CidrIp, Ipv6Ranges.M.CidrIpv6, Groups.M.GroupId, PrefixListIds.M.PrefixListId).</summary>
    public static IpPermission Read(IInputReader p) => new()
    {
        IpProtocol = p.String("IpProtocol") ?? throw Ec2Errors.MissingParameter("IpPermissions.IpProtocol"),
        FromPort = p.Int("FromPort"),
        ToPort = p.Int("ToPort"),
        Ipv4Ranges = p.Objects("IpRanges").Select(r => (r.String("CidrIp") ?? "", r.String("Description"))).ToList(),
        Ipv6Ranges = p.Objects("Ipv6Ranges").Select(r => (r.String("CidrIpv6") ?? "", r.String("Description"))).ToList(),
        Groups = p.Objects("Groups").Select(r => (r.String("GroupId") ?? throw Ec2Errors.MissingParameter("Groups.GroupId"), r.String("Description"))).ToList(),
        PrefixLists = p.Objects("PrefixListIds").Select(r => (r.String("PrefixListId") ?? "", r.String("Description"))).ToList(),
    };

    /// <summary>
    /// An AWS::EC2::SecurityGroup's SecurityGroupIngress/Egress entry, or an AWS::EC2::SecurityGroupIngress/Egress:
    /// one peer (CidrIp, CidrIpv6, SourceSecurityGroupId/DestinationSecurityGroupId, prefix list) per rule.
    /// </summary>
    public static IpPermission ReadTemplateRule(IInputReader p, bool egress) => new()
    {
        IpProtocol = p.String("IpProtocol") ?? throw p.Missing("IpProtocol"),
        FromPort = p.Int("FromPort"),
        ToPort = p.Int("ToPort"),
        Ipv4Ranges = p.String("CidrIp") is { } v4 ? [(v4, p.String("Description"))] : [],
        Ipv6Ranges = p.String("CidrIpv6") is { } v6 ? [(v6, p.String("Description"))] : [],
        Groups = p.String(egress ? "DestinationSecurityGroupId" : "SourceSecurityGroupId") is { } g ? [(g, p.String("Description"))] : [],
        PrefixLists = p.String(egress ? "DestinationPrefixListId" : "SourcePrefixListId") is { } pl ? [(pl, p.String("Description"))] : [],
    };
}

/// <summary>The default VPC's objects other services place resources in (RDS's default subnet group, its instances' security group).</summary>
public sealed record DefaultNetwork(Vpc Vpc, IReadOnlyList<Subnet> Subnets, SecurityGroup SecurityGroup);
