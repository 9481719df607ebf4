using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// The operations of botocore's rds model that Stratus does not serve, each with the reason README's RDS section
/// gives. They answer InvalidAction naming the operation and the reason, not a generic unknown-action error.
/// </summary>
public static class RdsNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("Aurora clusters are built without backtracking, the Data API, IAM roles, automated backups, point-in-time or S3 restores, cross-Region replicas and snapshot sharing",
            ["AddRoleToDBCluster", "BacktrackDBCluster", "DeleteDBClusterAutomatedBackup", "DescribeDBClusterAutomatedBackups", "DescribeDBClusterBacktracks", "DescribeDBClusterSnapshotAttributes", "DescribeServerlessV2PlatformVersions", "DisableHttpEndpoint", "EnableHttpEndpoint", "ModifyCurrentDBClusterCapacity", "ModifyDBClusterSnapshotAttribute", "PromoteReadReplicaDBCluster", "RemoveRoleFromDBCluster", "RestoreDBClusterFromS3", "RestoreDBClusterToPointInTime"]),
        ("Aurora global databases are not built",
            ["CreateGlobalCluster", "DeleteGlobalCluster", "DescribeGlobalClusters", "FailoverGlobalCluster", "ModifyGlobalCluster", "RemoveFromGlobalCluster", "SwitchoverGlobalCluster"]),
        ("Aurora Limitless shard groups are not built",
            ["CreateDBShardGroup", "DeleteDBShardGroup", "DescribeDBShardGroups", "ModifyDBShardGroup", "RebootDBShardGroup"]),
        ("read replica switchover (for RDS Custom for SQL Server and Oracle) is not built; PromoteReadReplica is",
            ["SwitchoverReadReplica"]),
        ("RDS Proxy is not built",
            ["CreateDBProxy", "CreateDBProxyEndpoint", "DeleteDBProxy", "DeleteDBProxyEndpoint", "DeregisterDBProxyTargets", "DescribeDBProxies", "DescribeDBProxyEndpoints", "DescribeDBProxyTargetGroups", "DescribeDBProxyTargets", "ModifyDBProxy", "ModifyDBProxyEndpoint", "ModifyDBProxyTargetGroup", "RegisterDBProxyTargets"]),
        ("blue/green deployments are not built",
            ["CreateBlueGreenDeployment", "DeleteBlueGreenDeployment", "DescribeBlueGreenDeployments", "SwitchoverBlueGreenDeployment"]),
        ("RDS Custom engines are not served",
            ["CreateCustomDBEngineVersion", "DeleteCustomDBEngineVersion", "ModifyCustomDBEngineVersion"]),
        ("tenant databases belong to the Oracle multitenant engine, which Stratus does not run",
            ["CreateTenantDatabase", "DeleteTenantDatabase", "DescribeDBSnapshotTenantDatabases", "DescribeTenantDatabases", "ModifyTenantDatabase"]),
        ("IAM roles for DB instances serve Oracle and SQL Server features, which Stratus does not run",
            ["AddRoleToDBInstance", "RemoveRoleFromDBInstance"]),
        ("zero-ETL integrations are not built",
            ["CreateIntegration", "DeleteIntegration", "DescribeIntegrations", "ModifyIntegration"]),
        ("database activity streams are not built",
            ["ModifyActivityStream", "StartActivityStream", "StopActivityStream"]),
        ("S3 exports and imports are not built",
            ["CancelExportTask", "DescribeExportTasks", "RestoreDBInstanceFromS3", "StartExportTask"]),
        ("cross-Region replication of automated backups is not built (every Region is this one machine, so a copy there would guard against nothing)",
            ["StartDBInstanceAutomatedBackupsReplication", "StopDBInstanceAutomatedBackupsReplication"]),
        ("DB security groups are EC2-Classic's, which AWS retired; use VPC security groups",
            ["AuthorizeDBSecurityGroupIngress", "CreateDBSecurityGroup", "DeleteDBSecurityGroup", "DescribeDBSecurityGroups", "RevokeDBSecurityGroupIngress"]),
        ("reserved instances are billing, which Stratus does not have",
            ["DescribeReservedDBInstances", "DescribeReservedDBInstancesOfferings", "PurchaseReservedDBInstancesOffering"]),
        ("account, maintenance, certificate, recommendation, orderable-option and snapshot-sharing operations are not built yet",
            ["ApplyPendingMaintenanceAction", "DescribeAccountAttributes", "DescribeCertificates", "DescribeDBMajorEngineVersions", "DescribeDBRecommendations", "DescribeDBSnapshotAttributes", "DescribeOrderableDBInstanceOptions", "DescribePendingMaintenanceActions", "DescribeSourceRegions", "DescribeValidDBInstanceModifications", "ModifyCertificates", "ModifyDBRecommendation", "ModifyDBSnapshot", "ModifyDBSnapshotAttribute"]));
}
