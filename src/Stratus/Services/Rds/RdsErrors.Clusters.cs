using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Aurora DB cluster errors, with the codes of botocore's rds model and RDS's wording.</summary>
public static partial class RdsErrors
{
    public static AwsException ClusterNotFound(string id) => new("DBClusterNotFoundFault", $"DBCluster {id} not found.", 404);

    /// <summary>EnableHttpEndpoint and DisableHttpEndpoint name the cluster by its ARN and answer the model's generic faults.</summary>
    public static AwsException ResourceNotFound(string arn) => new("ResourceNotFoundFault", $"The resource {arn} could not be found.", 404);

    public static AwsException InvalidResourceState(string message) => new("InvalidResourceStateFault", message);

    public static AwsException ClusterAlreadyExists() => new("DBClusterAlreadyExistsFault", "DB Cluster already exists");

    public static AwsException InvalidClusterState(string message) => new("InvalidDBClusterStateFault", message);

    public static AwsException ClusterSnapshotNotFound(string id) => new("DBClusterSnapshotNotFoundFault", $"DBClusterSnapshot {id} not found.", 404);

    public static AwsException ClusterSnapshotAlreadyExists(string id) =>
        new("DBClusterSnapshotAlreadyExistsFault", $"Cannot create the cluster snapshot because one with the identifier {id} already exists.");

    public static AwsException InvalidClusterSnapshotState(string message) => new("InvalidDBClusterSnapshotStateFault", message);

    public static AwsException AutomatedClusterSnapshotNotDeletable() => InvalidClusterSnapshotState("Only manual snapshots may be deleted.");

    public static AwsException ClusterAutomatedBackupNotFound(string id) =>
        new("DBClusterAutomatedBackupNotFoundFault", $"Automated backup {id} not found.", 404);

    public static AwsException ClusterAutomatedBackupOfActiveCluster(string cluster) => new("InvalidDBClusterAutomatedBackupStateFault",
        $"The automated backup is associated with the active DB cluster {cluster}: it is deleted with the DB cluster.");

    /// <summary>RestoreType copy-on-write (an Aurora clone sharing the source's pages) is not built: Stratus's servers share no volume.</summary>
    public static AwsException CopyOnWriteRestoreNotBuilt() =>
        InvalidValue("RestoreType copy-on-write (Aurora cloning) is not built by Stratus; restore with RestoreType full-copy.");

    public static AwsException ClusterMemberSetting(string member) =>
        InvalidCombination($"The requested DB Instance will be a member of a DB Cluster. Set {member} for the DB Cluster.");

    public static AwsException ClusterMemberOperation(string engine, string what) =>
        InvalidCombination($"{what} is not supported for {engine} DB instances: use the DB cluster operation instead.");

    public static AwsException ClusterEndpointNotFound(string id) => new("DBClusterEndpointNotFoundFault", $"DBClusterEndpoint {id} not found.");

    public static AwsException ClusterEndpointAlreadyExists(string id) =>
        new("DBClusterEndpointAlreadyExistsFault", $"Cannot create the DB cluster endpoint because one with the identifier {id} already exists.");

    public static AwsException InvalidClusterEndpointState(string message) => new("InvalidDBClusterEndpointStateFault", message);

    public static AwsException ClusterEndpointQuotaExceeded(string cluster, int quota) =>
        new("DBClusterEndpointQuotaExceededFault", $"DB cluster {cluster} already has {quota} custom endpoints, the most it can have.", 403);
}
