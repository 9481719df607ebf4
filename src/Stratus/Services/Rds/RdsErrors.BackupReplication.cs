using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// StartDBInstanceAutomatedBackupsReplication's and StopDBInstanceAutomatedBackupsReplication's refusals, with the codes
/// botocore's model gives them. AWS publishes no wording for these; the messages are Stratus's.
/// </summary>
public static partial class RdsErrors
{
    public static AwsException NotAnInstanceArn(string arn) =>
        InvalidValue($"The source DB instance {arn} is not a DB instance ARN (arn:aws:rds:REGION:ACCOUNT:db:NAME).");

    public static AwsException ReplicationInOwnRegion(string region) =>
        InvalidValue($"The source DB instance is in {region}, the Region of this request: automated backups are replicated to another Region.");

    public static AwsException ReplicationWithoutBackups(string instance) => InvalidInstanceState(
        $"Automated backups are not enabled for DB instance {instance}. To replicate them, use ModifyDBInstance to set its backup retention period to a non-zero value.");

    public static AwsException AlreadyReplicating(string instance, string region) => new("InvalidDBInstanceAutomatedBackupState",
        $"Automated backups of DB instance {instance} are already replicated to {region}.");

    /// <summary>A source's automated backups go to one destination Region at a time.</summary>
    public static AwsException ReplicatingElsewhere(string instance, string region) => new("DBInstanceAutomatedBackupQuotaExceeded",
        $"Automated backups of DB instance {instance} are already replicated to {region}; they can be replicated to one other Region.");

    /// <summary>AWS's quota: up to 20 replicated automated backups in each destination Region per account.</summary>
    public static AwsException ReplicatedBackupQuotaExceeded(int quota) => new("DBInstanceAutomatedBackupQuotaExceeded",
        $"The quota of {quota} replicated automated backups in this Region is reached.");

    public static AwsException NotReplicating(string instance) =>
        InvalidInstanceState($"Automated backups of DB instance {instance} are not being replicated to this Region.");
}
