using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>AWS::EC2::VPCGatewayAttachment for an internet gateway (Stratus has no VPN gateways). Ref is "IGW|vpc-id", as CloudFormation names it.</summary>
public sealed class Ec2VpcGatewayAttachmentProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::VPCGatewayAttachment";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "VpcId", "InternetGatewayId", "VpnGatewayId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.String("VpnGatewayId") is not null)
            throw new ResourcePropertyException("Stratus does not build VPN gateways: AWS::EC2::VPCGatewayAttachment takes InternetGatewayId only.");
        var vpcId = p.Required("VpcId");
        var gatewayId = p.Required("InternetGatewayId");
        ec2.AttachInternetGateway(request.Scope, gatewayId, vpcId);
        return Ec2TemplateProperties.Done($"IGW|{vpcId}", new() { ["InternetGatewayId"] = gatewayId, ["VpcId"] = vpcId });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DetachInternetGateway(request.Scope, current.Attributes["InternetGatewayId"], current.Attributes["VpcId"]));
        return Task.CompletedTask;
    }
}
