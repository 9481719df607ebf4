using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>
/// AWS::EC2::Route to an internet or NAT gateway. A new target replaces the route in place (a route is
/// identified by its table and destination). Ref is "rtb-id|destination".
/// </summary>
public sealed class Ec2RouteProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::Route";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var (tableId, destination) = Create(request);
        return Ec2TemplateProperties.Done($"{tableId}|{destination}", new() { ["RouteTableId"] = tableId, ["DestinationCidrBlock"] = destination });
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteRoute(request.Scope, current.Attributes["RouteTableId"], current.Attributes["DestinationCidrBlock"]));
        Create(request);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteRoute(request.Scope, current.Attributes["RouteTableId"], current.Attributes["DestinationCidrBlock"]));
        return Task.CompletedTask;
    }

    private (string TableId, string Destination) Create(ResourceRequest request)
    {
        var p = request.Properties;
        var tableId = p.Required("RouteTableId");
        var destination = p.String("DestinationCidrBlock")
            ?? throw new ResourcePropertyException("Stratus records IPv4 routes: AWS::EC2::Route needs DestinationCidrBlock.");
        foreach (var target in new[] { "InstanceId", "NetworkInterfaceId", "TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId", "EgressOnlyInternetGatewayId" })
            if (p.String(target) is not null)
                throw new ResourcePropertyException($"Stratus records routes to internet and NAT gateways only, not {target}.");
        ec2.CreateRoute(request.Scope, tableId, destination, p.String("GatewayId"), p.String("NatGatewayId"));
        return (tableId, destination);
    }
}
