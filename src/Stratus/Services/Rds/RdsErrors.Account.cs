using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS's errors of account quotas, maintenance, orderable options and snapshot sharing.</summary>
public static partial class RdsErrors
{
    /// <summary>RDS's wording ("DB Instance quota exceeded").</summary>
    public static AwsException InstanceQuotaExceeded() => new("InstanceQuotaExceeded", "DB Instance quota exceeded");

    /// <summary>RDS's sentence, without the IOPS and computed size it adds for provisioned storage.</summary>
    public static AwsException StorageQuotaExceeded(long excess) =>
        new("StorageQuotaExceeded", $"The operation cannot be completed. The storage quota for this account has been exceeded by {excess}.");

    public static AwsException ClusterQuotaExceeded() => new("DBClusterQuotaExceededFault", "DB Cluster quota exceeded", 403);

    public static AwsException SnapshotQuotaExceeded(string kind) => new("SnapshotQuotaExceeded", $"Cannot create more than 100 manual {kind}");

    public static AwsException ParameterGroupQuotaExceeded() => new("DBParameterGroupQuotaExceeded", "Parameter group quota exceeded");

    public static AwsException OptionGroupQuotaExceeded() => new("OptionGroupQuotaExceededFault", "Option group quota exceeded");

    public static AwsException EventSubscriptionQuotaExceeded() => new("EventSubscriptionQuotaExceeded", "Event subscription quota exceeded");

    public static AwsException SubnetGroupQuotaExceeded() => new("DBSubnetGroupQuotaExceeded", "DB subnet group quota exceeded");

    public static AwsException SubnetsPerGroupExceeded(int max) =>
        new("DBSubnetQuotaExceededFault", $"A DB subnet group can have at most {max} subnets.");

    /// <summary>RDS's answer to an action that is not pending for the resource (InvalidParameterCombination, as AWS answers it).</summary>
    public static AwsException NoPendingMaintenance(string action, string arn) =>
        InvalidCombination($"There is no pending {action} action for {arn}");

    public static AwsException MaintenanceResourceNotFound(string arn) =>
        new("ResourceNotFoundFault", $"The resource {arn} could not be found.", 404);

    public static AwsException SharedSnapshotQuotaExceeded(int max) =>
        new("SharedSnapshotQuotaExceeded", $"A manual snapshot can be shared with at most {max} accounts.");
}
