using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBProxyEndpoint through RdsService, with the same typed inputs as CreateDBProxyEndpoint: complete once it
/// listens. Ref is the endpoint name; Fn::GetAtt gives DBProxyEndpointArn, Endpoint, IsDefault and VpcId.
/// </summary>
public sealed class RdsDbProxyEndpointProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::DBProxyEndpoint";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DBProxyEndpointName", "DBProxyName", "TargetRole", "VpcSubnetIds" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var endpoint = rds.CreateProxyEndpoint(request.Scope, CreateProxyEndpointRequest.Read(request.Properties));
        return Provisioned(await RdsStackResources.AvailableAsync(() => rds.GetProxyEndpoint(request.Scope, endpoint.Name), e => e.Status, cancellation));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var endpoint = rds.ModifyProxyEndpoint(request.Scope, current.PhysicalId, null, p.Strings("VpcSecurityGroupIds"));
        RdsStackResources.SyncTags(rds, request.Scope, endpoint.Arn, p, new ResourceProperties(request.LogicalId, previousProperties));
        return Task.FromResult(Provisioned(rds.GetProxyEndpoint(request.Scope, current.PhysicalId)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) =>
        RdsStackResources.DeleteAndWaitAsync(() =>
        {
            if (rds.GetProxyEndpoint(request.Scope, current.PhysicalId).Status != "deleting") rds.DeleteProxyEndpoint(request.Scope, current.PhysicalId);
        }, () => rds.GetProxyEndpoint(request.Scope, current.PhysicalId), "DBProxyEndpointNotFoundFault", cancellation);

    private static ProvisionedResource Provisioned(DbProxyEndpoint endpoint) => new(endpoint.Name, new Dictionary<string, string>
    {
        ["DBProxyEndpointArn"] = endpoint.Arn,
        ["Endpoint"] = endpoint.Address ?? "",
        ["IsDefault"] = "false",
        ["VpcId"] = endpoint.VpcId,
    });
}
