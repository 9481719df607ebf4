using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>CreateDBInstanceReadReplica's members, or an AWS::RDS::DBInstance's that names a SourceDBInstanceIdentifier.</summary>
public sealed record CreateReplicaRequest
{
    public required string Identifier { get; init; }
    public required string SourceIdentifier { get; init; }
    public string? InstanceClass { get; init; }
    public string? AvailabilityZone { get; init; }
    public int? Port { get; init; }
    public bool? PubliclyAccessible { get; init; }
    public string? SubnetGroupName { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public string? StorageType { get; init; }
    public string? ParameterGroupName { get; init; }
    public string? OptionGroupName { get; init; }
    public bool? DeletionProtection { get; init; }
    public bool? CopyTagsToSnapshot { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public static CreateReplicaRequest Read(IInputReader input, string identifier) => new()
    {
        Identifier = identifier,
        SourceIdentifier = input.Required("SourceDBInstanceIdentifier"),
        InstanceClass = input.String("DBInstanceClass"),
        AvailabilityZone = input.String("AvailabilityZone"),
        // CloudFormation names the port Port; the wire, too. Both name the security groups differently.
        Port = input.Int("Port"),
        PubliclyAccessible = input.Bool("PubliclyAccessible"),
        SubnetGroupName = input.String("DBSubnetGroupName"),
        VpcSecurityGroupIds = input.Strings(input.FromTemplate ? "VPCSecurityGroups" : "VpcSecurityGroupIds"),
        StorageType = input.String("StorageType"),
        ParameterGroupName = input.String("DBParameterGroupName"),
        OptionGroupName = input.String("OptionGroupName"),
        DeletionProtection = input.Bool("DeletionProtection"),
        CopyTagsToSnapshot = input.Bool("CopyTagsToSnapshot"),
        Tags = RdsTag.List(input),
    };
}
