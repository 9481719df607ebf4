using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

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

    /// <summary>No database server to run instances on: said plainly, with how to get one, rather than pretending.</summary>
    public static AwsException NoDatabaseServer() => new("InsufficientDBInstanceCapacity",
        $"Stratus found no MariaDB or MySQL server on this machine, so it cannot run DB instances. Install one ({MariaDbInstallation.InstallHint}) and restart Stratus.");

    public static AwsException EmptyTagKey() => InvalidValue("Tag keys must not be empty.");
}
