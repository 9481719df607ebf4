using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBProxyTargetGroup: the proxy's one target group (named "default", as RDS Proxy has it), its target
/// registered with RegisterDBProxyTargets and its ConnectionPoolConfigurationInfo set with ModifyDBProxyTargetGroup.
/// Deleting it deregisters the target (the group lives as long as its proxy). Ref and Fn::GetAtt TargetGroupArn are its ARN.
/// </summary>
public sealed class RdsDbProxyTargetGroupProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::DBProxyTargetGroup";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DBProxyName", "TargetGroupName" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var proxy = rds.GetProxy(request.Scope, p.Required("DBProxyName"));
        var targetGroup = p.Required("TargetGroupName");
        rds.ModifyProxyTargetGroup(request.Scope, proxy.Name, targetGroup, ProxyConnectionPoolChange.Read(p.Object("ConnectionPoolConfigurationInfo")), null);
        await RegisterAsync(request, proxy.Name, targetGroup, p);
        return Provisioned(rds.GetProxy(request.Scope, proxy.Name));
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var proxyName = p.Required("DBProxyName");
        var targetGroup = p.Required("TargetGroupName");
        rds.ModifyProxyTargetGroup(request.Scope, proxyName, targetGroup, ProxyConnectionPoolChange.Read(p.Object("ConnectionPoolConfigurationInfo")), null);
        if (!SameTargets(p, before))
        {
            Deregister(request, proxyName, targetGroup, before);
            await RegisterAsync(request, proxyName, targetGroup, p);
        }
        return Provisioned(rds.GetProxy(request.Scope, proxyName));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        ResourceDeletion.IfPresent(() => Deregister(request, p.Required("DBProxyName"), p.Required("TargetGroupName"), p), "DBProxyNotFoundFault");
        return Task.CompletedTask;
    }

    private async Task RegisterAsync(ResourceRequest request, string proxyName, string targetGroup, ResourceProperties p)
    {
        var instances = p.Strings("DBInstanceIdentifiers");
        var clusters = p.Strings("DBClusterIdentifiers");
        if (instances.Count + clusters.Count > 0) await rds.RegisterProxyTargetsAsync(request.Scope, proxyName, targetGroup, instances, clusters);
    }

    private void Deregister(ResourceRequest request, string proxyName, string targetGroup, ResourceProperties p) =>
        ResourceDeletion.IfPresent(() => rds.DeregisterProxyTargets(request.Scope, proxyName, targetGroup,
            p.Strings("DBInstanceIdentifiers"), p.Strings("DBClusterIdentifiers")), "DBProxyTargetNotFoundFault");

    private static bool SameTargets(ResourceProperties now, ResourceProperties before) =>
        now.Strings("DBInstanceIdentifiers").SequenceEqual(before.Strings("DBInstanceIdentifiers"), StringComparer.OrdinalIgnoreCase)
        && now.Strings("DBClusterIdentifiers").SequenceEqual(before.Strings("DBClusterIdentifiers"), StringComparer.OrdinalIgnoreCase);

    private static ProvisionedResource Provisioned(DbProxy proxy) =>
        new(proxy.TargetGroupArn, new Dictionary<string, string> { ["TargetGroupArn"] = proxy.TargetGroupArn });
}
