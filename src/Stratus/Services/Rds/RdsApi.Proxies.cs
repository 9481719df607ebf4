using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS Proxy on the wire: proxies, their target group and targets, and their endpoints.</summary>
public sealed partial class RdsApi
{
    private void AddProxyOperations(OperationTable table)
    {
        table.Add("CreateDBProxy", i => new JsonObject { ["DBProxy"] = ProxyBody(_rds.CreateProxy(i.Scope, CreateProxyRequest.Read(i))) });
        // RDS documents DescribeDBProxies' Filters as not supported: they are read and ignored, as RDS does.
        table.Add("DescribeDBProxies", i => Paged(_rds.DescribeProxies(i.Scope, i.String("DBProxyName"), i.String("Marker"), i.Int("MaxRecords")), "DBProxies", ProxyBody));
        table.Add("ModifyDBProxy", i => new JsonObject { ["DBProxy"] = ProxyBody(_rds.ModifyProxy(i.Scope, ModifyProxyRequest.Read(i))) });
        table.Add("DeleteDBProxy", i => new JsonObject { ["DBProxy"] = ProxyBody(_rds.DeleteProxy(i.Scope, i.Required("DBProxyName"))) });

        table.Add("DescribeDBProxyTargetGroups", i =>
        {
            var proxy = _rds.DescribeProxyTargetGroup(i.Scope, i.Required("DBProxyName"), i.String("TargetGroupName"));
            return new JsonObject { ["TargetGroups"] = new JsonArray(TargetGroupBody(proxy)) };
        });
        table.Add("ModifyDBProxyTargetGroup", i => new JsonObject
        {
            ["DBProxyTargetGroup"] = TargetGroupBody(_rds.ModifyProxyTargetGroup(i.Scope, i.Required("DBProxyName"), i.Required("TargetGroupName"),
                ProxyConnectionPoolChange.Read(((IInputReader)i).Object("ConnectionPoolConfig")), i.String("NewName"))),
        });
        table.Add("RegisterDBProxyTargets", async i =>
        {
            var targets = await _rds.RegisterProxyTargetsAsync(i.Scope, i.Required("DBProxyName"), i.String("TargetGroupName"),
                i.Strings("DBInstanceIdentifiers"), i.Strings("DBClusterIdentifiers"));
            return (OperationResult)new JsonObject { ["DBProxyTargets"] = new JsonArray(targets.Select(t => (JsonNode)TargetBody(t)).ToArray()) };
        });
        table.Add("DeregisterDBProxyTargets", i =>
        {
            _rds.DeregisterProxyTargets(i.Scope, i.Required("DBProxyName"), i.String("TargetGroupName"), i.Strings("DBInstanceIdentifiers"), i.Strings("DBClusterIdentifiers"));
            return new JsonObject();
        });
        table.Add("DescribeDBProxyTargets", async i => (OperationResult)Paged(await _rds.DescribeProxyTargetsAsync(i.Scope, i.Required("DBProxyName"),
            i.String("TargetGroupName"), i.String("Marker"), i.Int("MaxRecords")), "Targets", TargetBody));

        table.Add("CreateDBProxyEndpoint", i => new JsonObject
        {
            ["DBProxyEndpoint"] = ProxyEndpointBody(_rds.ViewOf(_rds.CreateProxyEndpoint(i.Scope, CreateProxyEndpointRequest.Read(i)))),
        });
        table.Add("ModifyDBProxyEndpoint", i => new JsonObject
        {
            ["DBProxyEndpoint"] = ProxyEndpointBody(_rds.ViewOf(_rds.ModifyProxyEndpoint(i.Scope, i.Required("DBProxyEndpointName"), i.String("NewDBProxyEndpointName"),
                i.Has("VpcSecurityGroupIds") ? i.Strings("VpcSecurityGroupIds") : null))),
        });
        table.Add("DeleteDBProxyEndpoint", i => new JsonObject
        {
            ["DBProxyEndpoint"] = ProxyEndpointBody(_rds.ViewOf(_rds.DeleteProxyEndpoint(i.Scope, i.Required("DBProxyEndpointName")))),
        });
        table.Add("DescribeDBProxyEndpoints", i => Paged(_rds.DescribeProxyEndpoints(i.Scope, i.String("DBProxyName"), i.String("DBProxyEndpointName"),
            i.String("Marker"), i.Int("MaxRecords")), "DBProxyEndpoints", ProxyEndpointBody));
    }

    private static JsonArray StringArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonObject ProxyBody(DbProxy p) => new()
    {
        ["DBProxyName"] = p.Name,
        ["DBProxyArn"] = p.Arn,
        ["Status"] = p.Status,
        ["EngineFamily"] = p.EngineFamily,
        ["VpcId"] = p.VpcId,
        ["VpcSecurityGroupIds"] = StringArray(p.VpcSecurityGroupIds),
        ["VpcSubnetIds"] = StringArray(p.VpcSubnetIds),
        ["DefaultAuthScheme"] = p.DefaultAuthScheme,
        ["Auth"] = new JsonArray(p.Auth.Select(a => (JsonNode)new JsonObject
        {
            ["Description"] = a.Description,
            ["UserName"] = a.UserName,
            ["AuthScheme"] = a.AuthScheme,
            ["SecretArn"] = a.SecretArn,
            ["IAMAuth"] = a.IamAuth,
            ["ClientPasswordAuthType"] = a.ClientPasswordAuthType,
        }).ToArray()),
        ["RoleArn"] = p.RoleArn,
        ["Endpoint"] = p.Address,
        ["RequireTLS"] = p.RequireTls,
        ["IdleClientTimeout"] = p.IdleClientTimeout,
        ["DebugLogging"] = p.DebugLogging,
        ["CreatedDate"] = p.CreatedDate,
        ["UpdatedDate"] = p.UpdatedDate,
        ["EndpointNetworkType"] = "IPV4",
        ["TargetConnectionNetworkType"] = "IPV4",
    };

    private static JsonObject TargetGroupBody(DbProxy p) => new()
    {
        ["DBProxyName"] = p.Name,
        ["TargetGroupName"] = p.TargetGroup.Name,
        ["TargetGroupArn"] = p.TargetGroupArn,
        ["IsDefault"] = true,
        ["Status"] = p.Status,
        ["ConnectionPoolConfig"] = new JsonObject
        {
            ["MaxConnectionsPercent"] = p.TargetGroup.ConnectionPool.MaxConnectionsPercent,
            ["MaxIdleConnectionsPercent"] = p.TargetGroup.ConnectionPool.MaxIdleConnectionsPercent,
            ["ConnectionBorrowTimeout"] = p.TargetGroup.ConnectionPool.ConnectionBorrowTimeout,
            ["SessionPinningFilters"] = StringArray(p.TargetGroup.ConnectionPool.SessionPinningFilters),
            ["InitQuery"] = p.TargetGroup.ConnectionPool.InitQuery,
        },
        ["CreatedDate"] = p.TargetGroup.CreatedDate,
        ["UpdatedDate"] = p.TargetGroup.UpdatedDate,
    };

    private static JsonObject TargetBody(ProxyTargetView t) => new()
    {
        ["TargetArn"] = t.TargetArn,
        ["Endpoint"] = t.Endpoint,
        ["TrackedClusterId"] = t.TrackedClusterId,
        ["RdsResourceId"] = t.RdsResourceId,
        ["Port"] = t.Port,
        ["Type"] = t.Type,
        ["Role"] = t.Role,
        ["TargetHealth"] = t.Health is not { } health ? null : new JsonObject
        {
            ["State"] = health.State,
            ["Reason"] = health.Reason,
            ["Description"] = health.Description,
        },
    };

    /// <summary>A DBProxyEndpoint: the proxy's default one carries the proxy's own address and VPC settings.</summary>
    private static JsonObject ProxyEndpointBody(ProxyEndpointView v) => new()
    {
        ["DBProxyEndpointName"] = v.Name,
        ["DBProxyEndpointArn"] = v.Created?.Arn,
        ["DBProxyName"] = v.Proxy.Name,
        ["Status"] = v.Status,
        ["VpcId"] = v.Created?.VpcId ?? v.Proxy.VpcId,
        ["VpcSecurityGroupIds"] = StringArray(v.Created?.VpcSecurityGroupIds ?? v.Proxy.VpcSecurityGroupIds),
        ["VpcSubnetIds"] = StringArray(v.Created?.VpcSubnetIds ?? v.Proxy.VpcSubnetIds),
        ["Endpoint"] = v.Address,
        ["CreatedDate"] = v.Created?.CreatedDate ?? v.Proxy.CreatedDate,
        ["TargetRole"] = v.TargetRole,
        ["IsDefault"] = v.Created is null,
        ["EndpointNetworkType"] = "IPV4",
    };
}
