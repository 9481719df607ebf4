using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBProxy through RdsService, with the same typed inputs as CreateDBProxy and ModifyDBProxy: complete once the
/// proxy listens (available). Ref is the proxy name; Fn::GetAtt gives DBProxyArn, Endpoint and VpcId.
/// </summary>
public sealed class RdsDbProxyProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::DBProxy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DBProxyName", "EngineFamily", "VpcSubnetIds" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var proxy = rds.CreateProxy(request.Scope, CreateProxyRequest.Read(request.Properties));
        return Provisioned(await RdsStackResources.AvailableAsync(() => rds.GetProxy(request.Scope, proxy.Name), p => p.Status, cancellation));
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var proxy = rds.ModifyProxy(request.Scope, ModifyProxyRequest.Read(p, current.PhysicalId));
        RdsStackResources.SyncTags(rds, request.Scope, proxy.Arn, p, new ResourceProperties(request.LogicalId, previousProperties));
        return Provisioned(await RdsStackResources.AvailableAsync(() => rds.GetProxy(request.Scope, current.PhysicalId), p => p.Status, cancellation));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) =>
        RdsStackResources.DeleteAndWaitAsync(() =>
        {
            if (rds.GetProxy(request.Scope, current.PhysicalId).Status != "deleting") rds.DeleteProxy(request.Scope, current.PhysicalId);
        }, () => rds.GetProxy(request.Scope, current.PhysicalId), "DBProxyNotFoundFault", cancellation);

    private static ProvisionedResource Provisioned(DbProxy proxy) => new(proxy.Name, new Dictionary<string, string>
    {
        ["DBProxyArn"] = proxy.Arn,
        ["Endpoint"] = proxy.Address ?? "",
        ["VpcId"] = proxy.VpcId,
    });
}
