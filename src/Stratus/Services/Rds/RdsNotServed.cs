using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// The operations of botocore's rds model that Stratus does not serve, each with the reason README's RDS section
/// gives. They answer InvalidAction naming the operation and the reason, not a generic unknown-action error.
/// </summary>
public static class RdsNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("Aurora Serverless v1, whose capacity this sets, was retired by AWS (Serverless v2 capacity is ModifyDBCluster's ServerlessV2ScalingConfiguration)",
            ["ModifyCurrentDBClusterCapacity"]),
        ("restoring from S3 reads Percona XtraBackup files of MySQL, which Stratus's MySQL engine, MariaDB, cannot open",
            ["RestoreDBClusterFromS3", "RestoreDBInstanceFromS3"]),
        ("Aurora Limitless shard groups need Aurora PostgreSQL Limitless Database's distributed engine (routers and shards), which Debian's PostgreSQL does not have",
            ["CreateDBShardGroup", "DeleteDBShardGroup", "DescribeDBShardGroups", "ModifyDBShardGroup", "RebootDBShardGroup"]),
        ("read replica switchover switches an Oracle Data Guard standby into the primary, and Stratus does not run Oracle (PromoteReadReplica is served for its engines)",
            ["SwitchoverReadReplica"]),
        ("RDS Custom engines are not served",
            ["CreateCustomDBEngineVersion", "DeleteCustomDBEngineVersion", "ModifyCustomDBEngineVersion"]),
        ("tenant databases belong to the Oracle multitenant engine, which Stratus does not run",
            ["CreateTenantDatabase", "DeleteTenantDatabase", "DescribeDBSnapshotTenantDatabases", "DescribeTenantDatabases", "ModifyTenantDatabase"]),
        ("IAM roles for DB instances serve Oracle and SQL Server features, which Stratus does not run",
            ["AddRoleToDBInstance", "RemoveRoleFromDBInstance"]),
        ("zero-ETL integrations replicate into Amazon Redshift or SageMaker lakehouses, which Stratus does not serve",
            ["CreateIntegration", "DeleteIntegration", "DescribeIntegrations", "ModifyIntegration"]),
        ("database activity streams push to Amazon Kinesis Data Streams, which Stratus does not serve",
            ["ModifyActivityStream", "StartActivityStream", "StopActivityStream"]),
        ("DB security groups are EC2-Classic's, which AWS retired; use VPC security groups",
            ["AuthorizeDBSecurityGroupIngress", "CreateDBSecurityGroup", "DeleteDBSecurityGroup", "DescribeDBSecurityGroups", "RevokeDBSecurityGroupIngress"]),
        ("reserved instances are billing, which Stratus does not have",
            ["DescribeReservedDBInstances", "DescribeReservedDBInstancesOfferings", "PurchaseReservedDBInstancesOffering"]),
        ("Serverless v2 platform versions and DB recommendations are AWS's own content (its platform releases, its advisors' findings), which Stratus has no true answer for",
            ["DescribeDBRecommendations", "DescribeServerlessV2PlatformVersions", "ModifyDBRecommendation"]));
}
