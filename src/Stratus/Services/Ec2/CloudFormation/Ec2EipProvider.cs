using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::EIP: a recorded Elastic IP. Ref is the public address, as CloudFormation answers; AllocationId is an attribute.</summary>
public sealed class Ec2EipProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::EIP";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Domain", "InstanceId", "NetworkBorderGroup", "PublicIpv4Pool" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.String("InstanceId") is not null) throw new ResourcePropertyException("Stratus has no EC2 instances to associate an Elastic IP with (InstanceId).");
        var address = ec2.AllocateAddress(request.Scope, p.String("Domain"), Ec2TemplateProperties.Tags(p));
        return Ec2TemplateProperties.Done(address.PublicIp, new() { ["AllocationId"] = address.AllocationId, ["PublicIp"] = address.PublicIp });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        ec2.ReplaceTags(request.Scope, current.Attributes["AllocationId"], Ec2TemplateProperties.Tags(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.ReleaseAddress(request.Scope, current.Attributes["AllocationId"]));
        return Task.CompletedTask;
    }
}
