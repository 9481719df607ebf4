using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::RouteTable. Ref is the route table id.</summary>
public sealed class Ec2RouteTableProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::RouteTable";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "VpcId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var table = ec2.CreateRouteTable(request.Scope, request.Properties.Required("VpcId"), Ec2TemplateProperties.Tags(request.Properties));
        return Ec2TemplateProperties.Done(table.RouteTableId, new() { ["RouteTableId"] = table.RouteTableId });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        ec2.ReplaceTags(request.Scope, current.PhysicalId, Ec2TemplateProperties.Tags(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteRouteTable(request.Scope, current.PhysicalId));
        return Task.CompletedTask;
    }
}
