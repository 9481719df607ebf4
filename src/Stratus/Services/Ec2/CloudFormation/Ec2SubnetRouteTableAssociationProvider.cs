using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::SubnetRouteTableAssociation. Ref is the association id; a new route table re-associates the subnet in place.</summary>
public sealed class Ec2SubnetRouteTableAssociationProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::SubnetRouteTableAssociation";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "SubnetId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var id = ec2.AssociateRouteTable(request.Scope, p.Required("RouteTableId"), p.Required("SubnetId"));
        return Ec2TemplateProperties.Done(id, new() { ["Id"] = id });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DisassociateRouteTable(request.Scope, current.PhysicalId));
        return CreateAsync(request, cancellation);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DisassociateRouteTable(request.Scope, current.PhysicalId));
        return Task.CompletedTask;
    }
}
