using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::Subnet. Ref is the subnet id; MapPublicIpOnLaunch and tags change in place.</summary>
public sealed class Ec2SubnetProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::Subnet";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "Ipv6CidrBlock" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var subnet = ec2.CreateSubnet(request.Scope, p.Required("VpcId"), p.Required("CidrBlock"), p.String("AvailabilityZone"),
            p.String("AvailabilityZoneId"), Ec2TemplateProperties.Tags(p));
        if (p.Bool("MapPublicIpOnLaunch") is { } map) subnet = ec2.ModifySubnetAttribute(request.Scope, subnet.SubnetId, map);
        return Task.FromResult(Provisioned(subnet));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        ec2.ReplaceTags(request.Scope, current.PhysicalId, Ec2TemplateProperties.Tags(p));
        return Task.FromResult(Provisioned(ec2.ModifySubnetAttribute(request.Scope, current.PhysicalId, p.Bool("MapPublicIpOnLaunch") ?? false)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteSubnet(request.Scope, current.PhysicalId));
        return Task.CompletedTask;
    }

    private static ProvisionedResource Provisioned(Subnet s) => new(s.SubnetId, new Dictionary<string, string>
    {
        ["SubnetId"] = s.SubnetId,
        ["VpcId"] = s.VpcId,
        ["AvailabilityZone"] = s.AvailabilityZone,
        ["AvailabilityZoneId"] = s.AvailabilityZoneId,
        ["CidrBlock"] = s.CidrBlock,
    });
}
