using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Aurora DB clusters, their snapshots and endpoints on the wire.</summary>
public sealed partial class RdsApi
{
    private void AddClusterOperations(OperationTable table)
    {
        table.Add("CreateDBCluster", i => Cluster(_rds.CreateCluster(i.Scope, CreateClusterRequest.Read(i, i.Required("DBClusterIdentifier")))));
        table.Add("DescribeDBClusters", i =>
            Paged(_rds.DescribeClusters(i.Scope, i.String("DBClusterIdentifier"), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "DBClusters", ClusterBody));
        table.Add("ModifyDBCluster", async i => (OperationResult)Cluster(await _rds.ModifyClusterAsync(i.Scope, ModifyClusterRequest.Read(i, i.Required("DBClusterIdentifier")))));
        table.Add("DeleteDBCluster", i => Cluster(_rds.DeleteCluster(i.Scope, i.Required("DBClusterIdentifier"),
            i.Bool("SkipFinalSnapshot") ?? false, i.String("FinalDBSnapshotIdentifier"), i.Bool("DeleteAutomatedBackups") ?? true)));
        table.Add("EnableHttpEndpoint", i => HttpEndpoint(_rds.SetHttpEndpoint(i.Scope, i.Required("ResourceArn"), enabled: true)));
        table.Add("DisableHttpEndpoint", i => HttpEndpoint(_rds.SetHttpEndpoint(i.Scope, i.Required("ResourceArn"), enabled: false)));
        table.Add("StopDBCluster", i => Cluster(_rds.StopCluster(i.Scope, i.Required("DBClusterIdentifier"))));
        table.Add("StartDBCluster", i => Cluster(_rds.StartCluster(i.Scope, i.Required("DBClusterIdentifier"))));
        table.Add("RebootDBCluster", i => Cluster(_rds.RebootCluster(i.Scope, i.Required("DBClusterIdentifier"))));
        table.Add("BacktrackDBCluster", i => BacktrackBody(_rds.BacktrackCluster(i.Scope, BacktrackClusterRequest.Read(i))));
        table.Add("DescribeDBClusterBacktracks", i => Paged(_rds.DescribeBacktracks(i.Scope, i.Required("DBClusterIdentifier"),
            i.String("BacktrackIdentifier"), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "DBClusterBacktracks", BacktrackBody));
        // Both answer no result, as AWS's do.
        table.Add("AddRoleToDBCluster", i =>
        {
            _rds.AddRoleToCluster(i.Scope, i.Required("DBClusterIdentifier"), i.Required("RoleArn"), i.String("FeatureName"));
            return (JsonObject?)null;
        });
        table.Add("RemoveRoleFromDBCluster", i =>
        {
            _rds.RemoveRoleFromCluster(i.Scope, i.Required("DBClusterIdentifier"), i.Required("RoleArn"), i.String("FeatureName"));
            return (JsonObject?)null;
        });
        table.Add("FailoverDBCluster", i => Cluster(_rds.FailoverCluster(i.Scope, i.Required("DBClusterIdentifier"), i.String("TargetDBInstanceIdentifier"))));

        table.Add("CreateDBClusterSnapshot", i => ClusterSnapshot(_rds.CreateClusterSnapshot(i.Scope, i.Required("DBClusterSnapshotIdentifier"),
            i.Required("DBClusterIdentifier"), RdsTag.List(i))));
        table.Add("DescribeDBClusterSnapshots", i => Paged(_rds.DescribeClusterSnapshots(i.Scope, i.String("DBClusterIdentifier"),
            i.String("DBClusterSnapshotIdentifier"), SnapshotListing.Read(i), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "DBClusterSnapshots", ClusterSnapshotBody));
        table.Add("DeleteDBClusterSnapshot", i => ClusterSnapshot(_rds.DeleteClusterSnapshot(i.Scope, i.Required("DBClusterSnapshotIdentifier"))));
        table.Add("CopyDBClusterSnapshot", i => ClusterSnapshot(_rds.CopyClusterSnapshot(i.Scope, i.Required("SourceDBClusterSnapshotIdentifier"),
            i.Required("TargetDBClusterSnapshotIdentifier"), i.Bool("CopyTags") ?? false, RdsTag.List(i))));
        table.Add("RestoreDBClusterFromSnapshot", i => Cluster(_rds.RestoreClusterFromSnapshot(i.Scope,
            RestoreClusterRequest.Read(i, i.Required("DBClusterIdentifier"), i.Required("SnapshotIdentifier")))));
        table.Add("RestoreDBClusterToPointInTime", i => Cluster(_rds.RestoreClusterToPointInTime(i.Scope,
            ClusterPointInTimeRestoreRequest.Read(i, i.Required("DBClusterIdentifier")))));
        table.Add("DescribeDBClusterAutomatedBackups", i => Paged(_rds.DescribeClusterAutomatedBackups(i.Scope, i.String("DbClusterResourceId"),
            i.String("DBClusterIdentifier"), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "DBClusterAutomatedBackups", ClusterAutomatedBackupBody));
        table.Add("DeleteDBClusterAutomatedBackup", i => new JsonObject
        {
            ["DBClusterAutomatedBackup"] = ClusterAutomatedBackupBody(_rds.DeleteClusterAutomatedBackup(i.Scope, i.Required("DbClusterResourceId"))),
        });

        table.Add("CreateDBClusterEndpoint", i => ClusterEndpointBody(_rds.CreateClusterEndpoint(i.Scope, CreateClusterEndpointRequest.Read(i))));
        table.Add("ModifyDBClusterEndpoint", i => ClusterEndpointBody(_rds.ModifyClusterEndpoint(i.Scope, ModifyClusterEndpointRequest.Read(i))));
        table.Add("DeleteDBClusterEndpoint", i => ClusterEndpointBody(_rds.DeleteClusterEndpoint(i.Scope, i.Required("DBClusterEndpointIdentifier"))));
        table.Add("DescribeDBClusterEndpoints", i => Paged(_rds.DescribeClusterEndpoints(i.Scope, i.String("DBClusterIdentifier"),
            i.String("DBClusterEndpointIdentifier"), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "DBClusterEndpoints", ClusterEndpointBody));
    }

    /// <summary>A DBClusterEndpoint: the built-in ones carry no identifier of their own, custom ones their members.</summary>
    private static JsonObject ClusterEndpointBody(ClusterEndpointView e) => new()
    {
        ["DBClusterEndpointIdentifier"] = e.Custom?.Identifier,
        ["DBClusterIdentifier"] = e.Cluster.Identifier,
        ["DBClusterEndpointResourceIdentifier"] = e.Custom?.ResourceId,
        ["Endpoint"] = e.Address,
        ["Status"] = e.Status,
        ["EndpointType"] = e.Type,
        ["CustomEndpointType"] = e.Custom?.CustomType,
        ["StaticMembers"] = e.Custom is { } s ? new JsonArray(s.StaticMembers.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()) : null,
        ["ExcludedMembers"] = e.Custom is { } x ? new JsonArray(x.ExcludedMembers.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()) : null,
        ["DBClusterEndpointArn"] = e.Custom?.Arn,
    };

    private JsonObject ClusterEndpointBody(DbClusterEndpoint endpoint) =>
        ClusterEndpointBody(_rds.ViewOf(endpoint));

    private static JsonObject BacktrackBody(DbClusterBacktrack b) => new()
    {
        ["DBClusterIdentifier"] = b.ClusterIdentifier,
        ["BacktrackIdentifier"] = b.BacktrackIdentifier,
        ["BacktrackTo"] = b.BacktrackTo,
        ["BacktrackedFrom"] = b.BacktrackedFrom,
        ["BacktrackRequestCreationTime"] = b.BacktrackRequestCreationTime,
        ["Status"] = b.Status,
    };

    private static JsonObject HttpEndpoint(DbCluster cluster) => new() { ["ResourceArn"] = cluster.Arn, ["HttpEndpointEnabled"] = cluster.HttpEndpointEnabled };

    private JsonObject Cluster(DbCluster cluster) => new() { ["DBCluster"] = ClusterBody(cluster) };

    private static JsonObject ClusterSnapshot(DbClusterSnapshot snapshot) => new() { ["DBClusterSnapshot"] = ClusterSnapshotBody(snapshot) };

    private JsonObject ClusterBody(DbCluster c)
    {
        var members = _rds.ClusterMembers(c);
        var window = _rds.RestoreWindow(c);
        return new JsonObject
        {
            ["AllocatedStorage"] = 1,
            ["AvailabilityZones"] = new JsonArray(c.AvailabilityZones.Select(z => (JsonNode)JsonValue.Create(z)).ToArray()),
            ["BackupRetentionPeriod"] = c.BackupRetentionPeriod,
            ["DatabaseName"] = c.DatabaseName,
            ["DBClusterIdentifier"] = c.Identifier,
            ["DBClusterParameterGroup"] = _rds.ClusterParameterGroupNameOf(c),
            ["DBSubnetGroup"] = c.SubnetGroupName ?? RdsDefaultNetwork.SubnetGroupName,
            ["Status"] = c.Status,
            // Like RDS, a cluster has its endpoints from creation; Stratus knows their addresses once they first listen.
            ["Endpoint"] = c.WriterEndpointAddress,
            ["ReaderEndpoint"] = c.ReaderEndpointAddress,
            ["MultiAZ"] = members.Count > 1,
            ["Engine"] = c.Engine,
            ["EngineVersion"] = c.EngineVersion,
            ["Port"] = c.Port,
            ["MasterUsername"] = c.MasterUsername,
            ["MasterUserSecret"] = c.MasterUserSecret is not { } secret ? null : new JsonObject
            {
                ["SecretArn"] = secret.SecretArn,
                ["SecretStatus"] = secret.SecretStatus,
                ["KmsKeyId"] = secret.KmsKeyId,
            },
            ["PreferredBackupWindow"] = c.PreferredBackupWindow,
            ["EarliestRestorableTime"] = window?.Earliest,
            // Reported once backtracking was turned on (0 after it was turned off); no BacktrackConsumedChangeRecords, as Stratus
            // keeps no change records of Aurora's kind (it backtracks from the automated backups' snapshots and binary log).
            ["BacktrackWindow"] = c.BacktrackWindow,
            ["EarliestBacktrackTime"] = _rds.EarliestBacktrackTime(c),
            ["AssociatedRoles"] = new JsonArray(c.AssociatedRoles.Select(r => (JsonNode)new JsonObject
            {
                ["RoleArn"] = r.RoleArn,
                ["Status"] = "ACTIVE",
                ["FeatureName"] = r.FeatureName,
            }).ToArray()),
            ["LatestRestorableTime"] = window?.Latest,
            ["PreferredMaintenanceWindow"] = "sun:05:00-sun:05:30",
            // A global cluster's secondaries are its members, not read replicas (DescribeGlobalClusters lists them).
            ["ReadReplicaIdentifiers"] = new JsonArray(_rds.ReplicaClustersOf(c).Where(r => r.GlobalClusterIdentifier is null).Select(r => (JsonNode)JsonValue.Create(r.Arn)).ToArray()),
            ["ReplicationSourceIdentifier"] = c.GlobalClusterIdentifier is null ? c.ReplicationSourceArn : null,
            ["GlobalClusterIdentifier"] = c.GlobalClusterIdentifier,
            ["DBClusterMembers"] = new JsonArray(members.Select(m => (JsonNode)new JsonObject
            {
                ["DBInstanceIdentifier"] = m.Identifier,
                ["IsClusterWriter"] = m.Identifier == c.WriterIdentifier,
                ["DBClusterParameterGroupStatus"] = m.ClusterParameterApplyStatus ?? "in-sync",
                ["PromotionTier"] = m.PromotionTier,
            }).ToArray()),
            ["VpcSecurityGroups"] = new JsonArray(c.VpcSecurityGroupIds.Select(id => (JsonNode)new JsonObject
            {
                ["VpcSecurityGroupId"] = id,
                ["Status"] = "active",
            }).ToArray()),
            ["HostedZoneId"] = RdsDefaultNetwork.HostedZoneId,
            ["StorageEncrypted"] = false,
            ["DbClusterResourceId"] = c.ResourceId,
            ["DBClusterArn"] = c.Arn,
            ["IAMDatabaseAuthenticationEnabled"] = false,
            ["ClusterCreateTime"] = c.CreateTime,
            ["EngineMode"] = "provisioned",
            ["DeletionProtection"] = c.DeletionProtection,
            ["HttpEndpointEnabled"] = c.HttpEndpointEnabled,
            ["CopyTagsToSnapshot"] = c.CopyTagsToSnapshot,
            ["CrossAccountClone"] = false,
            ["DomainMemberships"] = new JsonArray(),
            ["TagList"] = TagList(c.Tags),
            ["StorageType"] = "aurora",
            ["NetworkType"] = "IPV4",
            ["AutoMinorVersionUpgrade"] = true,
            ["ServerlessV2ScalingConfiguration"] = c.ServerlessV2Scaling is not { } scaling ? null : new JsonObject
            {
                ["MinCapacity"] = scaling.MinCapacity,
                ["MaxCapacity"] = scaling.MaxCapacity,
                ["SecondsUntilAutoPause"] = scaling.MinCapacity == 0 ? scaling.SecondsUntilAutoPause ?? 300 : null,
            },
        };
    }

    private JsonObject ClusterAutomatedBackupBody(DbClusterAutomatedBackup b)
    {
        var window = _rds.RestoreWindow(b);
        return new JsonObject
        {
            ["Engine"] = b.Engine,
            ["VpcId"] = b.VpcId,
            ["DBClusterAutomatedBackupsArn"] = b.Arn,
            ["DBClusterIdentifier"] = b.Identifier,
            ["RestoreWindow"] = window is { } w ? new JsonObject { ["EarliestTime"] = w.Earliest, ["LatestTime"] = w.Latest } : new JsonObject(),
            ["MasterUsername"] = b.MasterUsername,
            ["DbClusterResourceId"] = b.ResourceId,
            ["Region"] = b.Region,
            // As Aurora names the license model of its cluster snapshots: the engine.
            ["LicenseModel"] = b.Engine,
            ["Status"] = b.Status,
            ["IAMDatabaseAuthenticationEnabled"] = false,
            ["ClusterCreateTime"] = b.ClusterCreateTime,
            ["StorageEncrypted"] = false,
            // Aurora reports 1: the cluster volume is not allocated.
            ["AllocatedStorage"] = 1,
            ["EngineVersion"] = b.EngineVersion,
            ["DBClusterArn"] = b.ClusterArn,
            ["BackupRetentionPeriod"] = b.BackupRetentionPeriod,
            ["PreferredBackupWindow"] = b.PreferredBackupWindow,
            ["EngineMode"] = "provisioned",
            ["AvailabilityZones"] = new JsonArray(b.AvailabilityZones.Select(z => (JsonNode)JsonValue.Create(z)).ToArray()),
            ["Port"] = b.Port,
            ["StorageType"] = "aurora",
        };
    }

    private static JsonObject ClusterSnapshotBody(DbClusterSnapshot s) => new()
    {
        ["AvailabilityZones"] = new JsonArray(s.AvailabilityZones.Select(z => (JsonNode)JsonValue.Create(z)).ToArray()),
        ["DBClusterSnapshotIdentifier"] = s.Identifier,
        ["DBClusterIdentifier"] = s.ClusterIdentifier,
        ["SnapshotCreateTime"] = s.SnapshotCreateTime,
        ["Engine"] = s.Engine,
        ["EngineMode"] = "provisioned",
        ["AllocatedStorage"] = 1,
        ["Status"] = s.Status,
        ["Port"] = s.Port,
        ["VpcId"] = s.VpcId,
        ["ClusterCreateTime"] = s.ClusterCreateTime,
        ["MasterUsername"] = s.MasterUsername,
        ["EngineVersion"] = s.EngineVersion,
        ["LicenseModel"] = s.Engine,
        ["SnapshotType"] = s.SnapshotType,
        ["PercentProgress"] = s.Status == "available" ? 100 : 0,
        ["StorageEncrypted"] = false,
        ["DBClusterSnapshotArn"] = s.Arn,
        ["SourceDBClusterSnapshotArn"] = s.SourceSnapshotArn,
        ["IAMDatabaseAuthenticationEnabled"] = false,
        ["TagList"] = TagList(s.Tags),
        ["StorageType"] = "aurora",
        ["DbClusterResourceId"] = s.ClusterResourceId,
    };
}
