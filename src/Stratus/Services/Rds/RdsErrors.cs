using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS's errors, named for what went wrong and worded as AWS words them.</summary>
public static partial class RdsErrors
{
    /// <summary>How RDS words a malformed member.</summary>
    public static readonly ValidationStyle Validation = new("InvalidParameterValue");

    public static AwsException InvalidValue(string message) => new("InvalidParameterValue", message);

    /// <summary>
    /// A required parameter missing, as RDS words it under InvalidParameterValue: "The parameter MajorEngineVersion must be
    /// provided and must not be blank." for text, "... must not be null." for a number or a flag.
    /// </summary>
    public static AwsException MissingParameter(string name, bool isText) =>
        InvalidValue($"The parameter {name} must be provided and must not be {(isText ? "blank" : "null")}.");

    public static AwsException InvalidCombination(string message) => new("InvalidParameterCombination", message);

    public static AwsException InstanceNotFound(string id) => new("DBInstanceNotFound", $"DBInstance {id} not found.", 404);

    public static AwsException InstanceAlreadyExists() => new("DBInstanceAlreadyExists", "DB instance already exists");

    public static AwsException InvalidInstanceState(string message) => new("InvalidDBInstanceState", message);

    public static AwsException SnapshotNotFound(string id) => new("DBSnapshotNotFound", $"DBSnapshot {id} not found.", 404);

    public static AwsException SnapshotAlreadyExists(string id) =>
        new("DBSnapshotAlreadyExists", $"Cannot create the snapshot because a snapshot with the identifier {id} already exists.");

    public static AwsException InvalidSnapshotState(string message) => new("InvalidDBSnapshotState", message);

    /// <summary>DeleteDBSnapshot of an automated snapshot: RDS deletes those itself, with their retention or their instance.</summary>
    public static AwsException AutomatedSnapshotNotDeletable() => InvalidSnapshotState("Only manual snapshots may be deleted.");

    public static AwsException AutomatedBackupNotFound(string id) =>
        new("DBInstanceAutomatedBackupNotFound", $"Automated backup {id} not found.", 404);

    public static AwsException AutomatedBackupOfActiveInstance(string instance) => new("InvalidDBInstanceAutomatedBackupState",
        $"The automated backup is associated with the active DB instance {instance}: set its BackupRetentionPeriod to 0 to delete its automated backups.");

    public static AwsException PointInTimeRestoreNotEnabled(string instance) => new("PointInTimeRestoreNotEnabled",
        $"Point-in-time restore is not enabled for DB instance {instance}: its BackupRetentionPeriod is 0.");

    public static AwsException InvalidRestore(string message) => new("InvalidRestoreFault", message);

    public static AwsException RetentionNeededByReplicas(string instance) => InvalidCombination(
        $"Cannot set the backup retention period of DB instance {instance} to 0: it is the source of read replicas, which need its automated backups.");

    public static AwsException SubnetGroupNotFound(string name) => new("DBSubnetGroupNotFoundFault", $"DB subnet group '{name}' does not exist.", 404);

    public static AwsException SubnetGroupAlreadyExists(string name) =>
        new("DBSubnetGroupAlreadyExists", $"The DB subnet group '{name}' already exists.");

    public static AwsException SubnetGroupDoesNotCoverEnoughAZs(IEnumerable<string> zones) =>
        new("DBSubnetGroupDoesNotCoverEnoughAZs", $"The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: {string.Join(", ", zones)}. Add subnets to cover at least 2 AZs.");

    /// <summary>A subnet group naming subnets EC2 does not have: AWS answers InvalidParameterValue with this wording.</summary>
    public static AwsException SubnetsInvalid(IEnumerable<string> subnetIds) =>
        new("InvalidParameterValue", $"Some input subnets in :[{string.Join(", ", subnetIds)}] are invalid.");

    public static AwsException SubnetIdsRequired() => new("InvalidSubnet", "Subnet IDs are required.");

    public static AwsException SubnetsInDifferentVpcs(IEnumerable<string> vpcIds) =>
        new("InvalidSubnet", $"The subnets of a DB subnet group must be in one VPC; these are in {string.Join(", ", vpcIds)}.");

    public static AwsException SubnetGroupInUse(string name, string instance) =>
        new("InvalidDBSubnetGroupStateFault", $"Cannot delete the subnet group '{name}' because at least one database instance: {instance} is still using it.");

    public static AwsException DefaultSubnetGroupReserved() =>
        new("InvalidParameterValue", "The parameter DBSubnetGroupName is not a valid identifier: default is reserved for the default VPC's subnet group.");

    public static AwsException SecurityGroupNotFound(string groupId) =>
        new("InvalidParameterValue", $"Invalid security group , groupId= {groupId}, groupName=.");

    public static AwsException SecurityGroupInOtherVpc(string instanceVpc, string groupVpc) =>
        new("InvalidParameterCombination", $"The DB instance and EC2 security group are in different VPCs. The DB instance is in {instanceVpc} and the EC2 security group is in {groupVpc}");

    /// <summary>No database server to run instances on: said plainly, with how to get one, rather than pretending.</summary>
    public static AwsException NoDatabaseServer(string product, string installHint) => new("InsufficientDBInstanceCapacity",
        $"Stratus found no {product} server on this machine, so it cannot run these DB instances. Install one ({installHint}) and restart Stratus.");

    public static AwsException EmptyTagKey() => InvalidValue("Tag keys must not be empty.");

    public static AwsException DefaultSubnetGroupNotDeletable() => new("InvalidDBSubnetGroupStateFault", "Cannot delete the default subnet group.");

    /// <summary>Rotating a master user secret (Secrets Manager's InvalidRequestException) whose DB instance is gone.</summary>
    public static AwsException MasterUserSecretOrphaned() =>
        new("InvalidRequestException", "The DB instance this master user secret belongs to no longer exists.");

    /// <summary>A master user secret whose JSON lacks the field RDS keeps in it ("username", "password").</summary>
    public static AwsException MasterUserSecretLacks(string field) => new("InvalidRequestException", $"The master user secret has no {field}.");
    public static AwsException ParameterGroupNotFound(string name, bool cluster) => cluster
        ? new("DBParameterGroupNotFound", $"DBClusterParameterGroup not found: {name}", 404)
        : new("DBParameterGroupNotFound", $"DBParameterGroup not found: {name}", 404);

    public static AwsException ParameterGroupAlreadyExists(string name) => new("DBParameterGroupAlreadyExists", $"Parameter group {name} already exists");

    public static AwsException InvalidParameterGroupState(string message) => new("InvalidDBParameterGroupState", message);

    public static AwsException UnknownParameterGroupFamily(string family, IEnumerable<string> served) =>
        InvalidValue($"ParameterGroupFamily {family} is not a valid parameter group family. Stratus serves: {string.Join(", ", served)}.");

    public static AwsException ParameterGroupFamilyMismatch(string name, string family, string instanceFamily) =>
        InvalidCombination($"The parameter group {name} with DBParameterGroupFamily {family} can't be used for this instance. Use a parameter group with DBParameterGroupFamily {instanceFamily}.");

    /// <summary>A parameter Stratus does not serve is refused by name, not recorded without effect.</summary>
    public static AwsException ParameterNotFound(string name) =>
        InvalidValue($"Could not find parameter with name: {name} (Stratus serves the parameters DescribeEngineDefaultParameters lists).");

    public static AwsException ParameterValueNotAllowed(RdsParameterDefinition parameter, string value) =>
        InvalidValue($"Value: {value} is not allowed for: {parameter.Name}. Allowed values: {parameter.AllowedValues}");

    public static AwsException ImmediateStaticParameter(string name) =>
        InvalidCombination($"cannot use immediate apply method for static parameter {name}");

    public static AwsException OptionGroupNotFound(string name) => new("OptionGroupNotFoundFault", $"Specified OptionGroupName: {name} not found.", 404);

    public static AwsException OptionGroupAlreadyExists(string name) => new("OptionGroupAlreadyExistsFault", $"Option group {name} already exists.");

    public static AwsException InvalidOptionGroupState(string message) => new("InvalidOptionGroupStateFault", message);

    /// <summary>Stratus offers no options (DescribeOptionGroupOptions lists none), so any option asked for is refused by name.</summary>
    public static AwsException OptionNotOffered(string option, string engine, string version) =>
        InvalidValue($"Option {option} is not available for engine {engine} {version}: Stratus offers no options for it (see DescribeOptionGroupOptions).");

    public static AwsException SubscriptionNotFound(string name) => new("SubscriptionNotFound", $"Subscription {name} not found.", 404);

    public static AwsException SubscriptionAlreadyExists(string name) => new("SubscriptionAlreadyExist", $"Subscription {name} already exists.");

    public static AwsException SnsTopicArnInvalid(string arn) => new("SNSInvalidTopic", $"The SNS topic ARN {arn} is invalid.");

    public static AwsException SubscriptionCategoryNotFound(string category) => new("SubscriptionCategoryNotFound", $"Event category {category} not found.", 404);

    public static AwsException SourceNotFound(string id) => new("SourceNotFound", $"Source {id} not found.", 404);

    public static AwsException LogFileNotFound(string name) => new("DBLogFileNotFoundFault", $"DBLog File: {name}, is not found on the DB instance", 404);

    /// <summary>An operation of botocore's model that Stratus does not serve, with the reason README gives for it.</summary>
    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidAction", $"Stratus does not serve the RDS operation {operation}: {reason}");
}
