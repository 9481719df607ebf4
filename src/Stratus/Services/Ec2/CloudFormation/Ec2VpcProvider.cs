using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::VPC. Ref is the VPC id; DNS attributes and tags change in place.</summary>
public sealed class Ec2VpcProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::VPC";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var vpc = ec2.CreateVpc(request.Scope, p.Required("CidrBlock"), p.String("InstanceTenancy"), Ec2TemplateProperties.Tags(p));
        return Task.FromResult(Provisioned(ApplyDns(request, vpc.VpcId)));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        ec2.ReplaceTags(request.Scope, current.PhysicalId, Ec2TemplateProperties.Tags(request.Properties));
        return Task.FromResult(Provisioned(ApplyDns(request, current.PhysicalId)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteVpc(request.Scope, current.PhysicalId));
        return Task.CompletedTask;
    }

    /// <summary>EnableDnsSupport (default true) then EnableDnsHostnames (default false), one at a time as EC2 takes them.</summary>
    private Vpc ApplyDns(ResourceRequest request, string vpcId)
    {
        var p = request.Properties;
        ec2.ModifyVpcAttribute(request.Scope, vpcId, p.Bool("EnableDnsSupport") ?? true, null);
        return ec2.ModifyVpcAttribute(request.Scope, vpcId, null, p.Bool("EnableDnsHostnames") ?? false);
    }

    private static ProvisionedResource Provisioned(Vpc vpc) => new(vpc.VpcId, new Dictionary<string, string>
    {
        ["VpcId"] = vpc.VpcId,
        ["CidrBlock"] = vpc.CidrBlock,
        ["DefaultSecurityGroup"] = vpc.DefaultSecurityGroupId,
        ["DefaultNetworkAcl"] = vpc.DefaultNetworkAclId,
    });
}
