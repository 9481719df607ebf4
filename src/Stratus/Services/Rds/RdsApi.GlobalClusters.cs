using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Aurora global databases and cross-Region read replica clusters on the wire.</summary>
public sealed partial class RdsApi
{
    private void AddGlobalClusterOperations(OperationTable table)
    {
        table.Add("CreateGlobalCluster", i => Global(_rds.CreateGlobalCluster(i.Scope, CreateGlobalClusterRequest.Read(i, i.Required("GlobalClusterIdentifier")))));
        table.Add("DescribeGlobalClusters", i => Paged(_rds.DescribeGlobalClusters(i.Scope, i.String("GlobalClusterIdentifier"), Filters(i),
            i.String("Marker"), i.Int("MaxRecords")), "GlobalClusters", GlobalClusterBody));
        table.Add("ModifyGlobalCluster", i => Global(_rds.ModifyGlobalCluster(i.Scope, ModifyGlobalClusterRequest.Read(i, i.Required("GlobalClusterIdentifier")))));
        table.Add("DeleteGlobalCluster", i => Global(_rds.DeleteGlobalCluster(i.Scope, i.Required("GlobalClusterIdentifier"))));
        table.Add("RemoveFromGlobalCluster", i => Global(_rds.RemoveFromGlobalCluster(i.Scope, i.Required("GlobalClusterIdentifier"), i.Required("DbClusterIdentifier"))));
        table.Add("SwitchoverGlobalCluster", i => Global(_rds.SwitchoverGlobalCluster(i.Scope, i.Required("GlobalClusterIdentifier"), i.Required("TargetDbClusterIdentifier"))));
        table.Add("FailoverGlobalCluster", i => Global(_rds.FailoverGlobalCluster(i.Scope, i.Required("GlobalClusterIdentifier"), i.Required("TargetDbClusterIdentifier"),
            i.Bool("AllowDataLoss"), i.Bool("Switchover"))));
        table.Add("PromoteReadReplicaDBCluster", i => Cluster(_rds.PromoteReadReplicaCluster(i.Scope, i.Required("DBClusterIdentifier"))));
    }

    private JsonObject Global(GlobalCluster global) => new() { ["GlobalCluster"] = GlobalClusterBody(global) };

    /// <summary>
    /// A GlobalCluster: the primary lists its secondaries' ARNs as Readers. No Endpoint (Stratus builds no global writer
    /// endpoint) and no GlobalWriteForwardingStatus (write forwarding is not built).
    /// </summary>
    private JsonObject GlobalClusterBody(GlobalCluster g)
    {
        var members = _rds.GlobalMembers(g);
        var primary = members.FirstOrDefault(m => m.ReplicationSourceArn is null);
        return new JsonObject
        {
            ["GlobalClusterIdentifier"] = g.Identifier,
            ["GlobalClusterResourceId"] = g.ResourceId,
            ["GlobalClusterArn"] = g.Arn,
            ["Status"] = g.Status,
            ["Engine"] = g.Engine,
            ["EngineVersion"] = g.EngineVersion,
            ["DatabaseName"] = g.DatabaseName,
            ["StorageEncrypted"] = false,
            ["DeletionProtection"] = g.DeletionProtection,
            ["GlobalClusterMembers"] = new JsonArray(members.Select(m => (JsonNode)new JsonObject
            {
                ["DBClusterArn"] = m.Arn,
                ["Readers"] = new JsonArray((m == primary ? members.Where(s => s != primary) : []).Select(s => (JsonNode)JsonValue.Create(s.Arn)).ToArray()),
                ["IsWriter"] = m == primary,
            }).ToArray()),
            ["FailoverState"] = g.FailoverState is not { } state ? null : new JsonObject
            {
                ["Status"] = state.Status,
                ["FromDbClusterArn"] = state.FromDbClusterArn,
                ["ToDbClusterArn"] = state.ToDbClusterArn,
                ["IsDataLossAllowed"] = state.IsDataLossAllowed,
            },
            ["TagList"] = TagList(g.Tags),
        };
    }
}
