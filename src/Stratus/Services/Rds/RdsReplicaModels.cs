using System.Diagnostics.CodeAnalysis;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>CreateDBInstanceReadReplica's members, or an AWS::RDS::DBInstance's that names a SourceDBInstanceIdentifier.</summary>
public sealed record CreateReplicaRequest : DbCreateRequest
{
    public required string SourceIdentifier { get; init; }
    public string? InstanceClass { get; init; }
    public string? AvailabilityZone { get; init; }
    public bool? PubliclyAccessible { get; init; }
    public string? OptionGroupName { get; init; }
    /// <summary>The CA of the replica's server certificate; null for the Region's choice for new instances.</summary>
    public string? CaCertificateIdentifier { get; init; }

    public CreateReplicaRequest() { }

    // Both the wire and CloudFormation name the port Port; they name the security groups differently.
    [SetsRequiredMembers]
    private CreateReplicaRequest(IInputReader input, string identifier) : base(input, identifier, "DBParameterGroupName", "VPCSecurityGroups")
    {
        SourceIdentifier = input.Required("SourceDBInstanceIdentifier");
        InstanceClass = input.String("DBInstanceClass");
        AvailabilityZone = input.String("AvailabilityZone");
        PubliclyAccessible = input.Bool("PubliclyAccessible");
        OptionGroupName = input.String("OptionGroupName");
        CaCertificateIdentifier = input.String("CACertificateIdentifier");
    }

    public static CreateReplicaRequest Read(IInputReader input, string identifier) => new(input, identifier);
}
