using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS's errors, named for what went wrong and worded as AWS words them.</summary>
public static class RdsErrors
{
    /// <summary>How RDS words a malformed member.</summary>
    public static readonly ValidationStyle Validation = new("InvalidParameterValue");

    public static AwsException InvalidValue(string message) => new("InvalidParameterValue", message);

    public static AwsException InvalidCombination(string message) => new("InvalidParameterCombination", message);

    public static AwsException InstanceNotFound(string id) => new("DBInstanceNotFound", $"DBInstance {id} not found.", 404);

    public static AwsException InstanceAlreadyExists() => new("DBInstanceAlreadyExists", "DB instance already exists");

    public static AwsException InvalidInstanceState(string message) => new("InvalidDBInstanceState", message);

    public static AwsException SnapshotNotFound(string id) => new("DBSnapshotNotFound", $"DBSnapshot {id} not found.", 404);

    public static AwsException SnapshotAlreadyExists(string id) =>
        new("DBSnapshotAlreadyExists", $"Cannot create the snapshot because a snapshot with the identifier {id} already exists.");

    public static AwsException InvalidSnapshotState(string message) => new("InvalidDBSnapshotState", message);

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
}
