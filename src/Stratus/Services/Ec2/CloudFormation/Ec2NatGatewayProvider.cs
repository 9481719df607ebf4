using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::NatGateway: a recorded NAT gateway holding its Elastic IP. Ref is the gateway id.</summary>
public sealed class Ec2NatGatewayProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::NatGateway";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var nat = ec2.CreateNatGateway(request.Scope, p.Required("SubnetId"), p.String("AllocationId"), p.String("ConnectivityType"), Ec2TemplateProperties.Tags(p));
        return Ec2TemplateProperties.Done(nat.NatGatewayId, new() { ["NatGatewayId"] = nat.NatGatewayId });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        ec2.ReplaceTags(request.Scope, current.PhysicalId, Ec2TemplateProperties.Tags(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteNatGateway(request.Scope, current.PhysicalId));
        return Task.CompletedTask;
    }
}
