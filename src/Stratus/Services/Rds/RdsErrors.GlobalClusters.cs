using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Aurora global database and cross-Region cluster replica errors, with the codes of botocore's rds model. Wording quoted
/// from RDS where it is known (noted at each); the rest is Stratus's, in RDS's form.
/// </summary>
public static partial class RdsErrors
{
    public static AwsException GlobalClusterNotFound(string id) => new("GlobalClusterNotFoundFault", $"Global cluster {id} not found.", 404);

    public static AwsException GlobalClusterAlreadyExists(string id) => new("GlobalClusterAlreadyExistsFault", $"Global cluster {id} already exists.");

    public static AwsException InvalidGlobalClusterState(string message) => new("InvalidGlobalClusterStateFault", message);

    /// <summary>RDS's words for DeleteGlobalCluster while clusters remain in it.</summary>
    public static AwsException GlobalClusterNotEmpty(string arn) => InvalidGlobalClusterState($"Global Cluster {arn} is not empty");

    /// <summary>RDS's words for DeleteDBCluster of a primary that still has secondaries.</summary>
    public static AwsException PrimaryWithSecondaries() =>
        InvalidGlobalClusterState("Unable to delete cluster that is a primary member of global cluster while there are other global cluster members");

    /// <summary>RDS's words for DeleteDBCluster of a secondary.</summary>
    public static AwsException ClusterInGlobalCluster() =>
        InvalidClusterState("This cluster is a part of a global cluster, please remove it from globalcluster first");

    /// <summary>RDS's words for RemoveFromGlobalCluster of a cluster that is not a member.</summary>
    public static AwsException NotInGlobalCluster(string cluster, string global) => InvalidValue($"Cluster {cluster} is not part of the global cluster {global}");

    /// <summary>RDS's words for the last instance of a primary whose replicas (secondaries, cross-Region replicas) still replicate from it.</summary>
    public static AwsException LastInstanceOfSource() =>
        InvalidClusterState("Cannot delete the last instance of the master cluster. Delete the replica cluster before deleting the last master cluster instance.");

    /// <summary>RDS's words for a database name on a secondary or replica cluster; the same form for the master user's settings.</summary>
    public static AwsException ReplicaClusterSetting(string setting) =>
        InvalidCombination($"Cannot specify {setting} for cross region replication cluster");
}
