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

    // ---- backtracking ----

    /// <summary>Aurora's wording for an engine that does not backtrack (every cluster here is provisioned).</summary>
    public static AwsException BacktrackNotSupported(string engine, string engineVersion) => InvalidCombination(
        $"{(engine == "aurora-postgresql" ? "Aurora PostgreSQL" : "Aurora MySQL")} Engine Version {engineVersion} with mode: PROVISIONED does not support Backtrack.");

    /// <summary>Aurora's wording when a cluster created without backtracking (or with it turned off) is given a window.</summary>
    public static AwsException BacktrackCannotBeEnabled() => InvalidCombination("Backtrack cannot currently be enabled for this cluster");

    public static AwsException BacktrackNotEnabled(string cluster) =>
        InvalidClusterState($"Backtrack is not enabled for DB cluster {cluster}: it is turned on with BacktrackWindow when a DB cluster is created or restored.");

    public static AwsException BacktrackTimeInFuture(DateTimeOffset asked) =>
        InvalidValue($"The backtrack time {asked.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is in the future.");

    public static AwsException BacktrackTimeTooEarly(DateTimeOffset asked, DateTimeOffset earliest, string cluster) =>
        InvalidValue($"The backtrack time {asked.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is earlier than the earliest backtrack time of DB cluster {cluster}, " +
            $"{earliest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}; set UseEarliestTimeOnPointInTimeUnavailable to backtrack to that time instead.");

    public static AwsException BacktrackNotFound(string id) => new("DBClusterBacktrackNotFoundFault", $"Backtrack {id} not found.", 404);

    // ---- IAM roles ----

    public static AwsException ClusterRoleAlreadyExists(string roleArn, string cluster) =>
        new("DBClusterRoleAlreadyExists", $"Role ARN {roleArn} is already associated with DB Cluster {cluster}: verify your role ARN and try again.");

    public static AwsException ClusterRoleNotFound(string roleArn, string cluster) =>
        new("DBClusterRoleNotFound", $"Role ARN {roleArn} cannot be found for DB Cluster {cluster}: verify your role ARN and try again.", 404);

    public static AwsException ClusterRoleQuotaExceeded(string cluster, int quota) =>
        new("DBClusterRoleQuotaExceeded", $"DB cluster {cluster} already has {quota} associated IAM roles, the most it can have.");

    /// <summary>A role that does not exist, or does not trust rds.amazonaws.com, so the cluster could not assume it.</summary>
    public static AwsException ClusterRoleInvalid(string roleArn) =>
        InvalidValue($"IAM role ARN value {roleArn} is invalid or does not allow rds.amazonaws.com to assume it.");

    public static AwsException ClusterFeatureNotSupported(string feature, string engine, IReadOnlyList<string> supported) =>
        InvalidValue(supported.Count == 0
            ? $"Feature {feature} is not supported for the {engine} engine, which associates IAM roles without a FeatureName."
            : $"Feature {feature} is not supported for the {engine} engine. Supported features: {string.Join(", ", supported)}.");
}
