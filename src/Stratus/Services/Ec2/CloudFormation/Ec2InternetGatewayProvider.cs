using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::InternetGateway. Ref is the gateway id.</summary>
public sealed class Ec2InternetGatewayProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::InternetGateway";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var gateway = ec2.CreateInternetGateway(request.Scope, Ec2TemplateProperties.Tags(request.Properties));
        return Ec2TemplateProperties.Done(gateway.InternetGatewayId, new() { ["InternetGatewayId"] = gateway.InternetGatewayId });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        ec2.ReplaceTags(request.Scope, current.PhysicalId, Ec2TemplateProperties.Tags(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteInternetGateway(request.Scope, current.PhysicalId));
        return Task.CompletedTask;
    }
}
