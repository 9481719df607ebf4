using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// An Aurora global database: a record over clusters of one account in several Regions. Its members are the clusters
/// naming it (<see cref="DbCluster.GlobalClusterIdentifier"/>): the primary, which takes writes, and secondaries, whose
/// writers replicate from the primary's for real (<see cref="DbCluster.ReplicationSourceArn"/>). Not in a Region, as on AWS.
/// </summary>
public sealed record GlobalCluster
{
    public required string AccountId { get; init; }
    /// <summary>Lower-cased, as RDS stores identifiers.</summary>
    public required string Identifier { get; init; }
    /// <summary>"cluster-" + 26 characters, as AWS names a global cluster's resource id.</summary>
    public required string ResourceId { get; init; }
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public string? DatabaseName { get; init; }
    public bool DeletionProtection { get; init; }
    /// <summary>available, switching-over or failing-over.</summary>
    public required string Status { get; init; }
    /// <summary>The switchover or failover under way, as FailoverState reports it; null when none is.</summary>
    public GlobalFailoverState? FailoverState { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds::{AccountId}:global-cluster:{Identifier}";
}

/// <summary>FailoverState: from which cluster to which the primary role is moving, and whether data loss was allowed.</summary>
public sealed record GlobalFailoverState(string Status, string FromDbClusterArn, string ToDbClusterArn, bool IsDataLossAllowed);

public sealed record CreateGlobalClusterRequest
{
    public required string Identifier { get; init; }
    public string? SourceDbClusterIdentifier { get; init; }
    public string? Engine { get; init; }
    public string? EngineVersion { get; init; }
    public string? DatabaseName { get; init; }
    public bool? StorageEncrypted { get; init; }
    public bool? DeletionProtection { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    /// <summary>CreateGlobalCluster's members, or an AWS::RDS::GlobalCluster's.</summary>
    public static CreateGlobalClusterRequest Read(IInputReader input, string identifier) => new()
    {
        Identifier = identifier,
        SourceDbClusterIdentifier = input.String("SourceDBClusterIdentifier"),
        Engine = input.String("Engine"),
        EngineVersion = input.String("EngineVersion"),
        DatabaseName = input.String("DatabaseName"),
        StorageEncrypted = input.Bool("StorageEncrypted"),
        DeletionProtection = input.Bool("DeletionProtection"),
        Tags = RdsTag.List(input),
    };
}

public sealed record ModifyGlobalClusterRequest
{
    public required string Identifier { get; init; }
    public string? NewIdentifier { get; init; }
    public bool? DeletionProtection { get; init; }
    public string? EngineVersion { get; init; }

    public static ModifyGlobalClusterRequest Read(IInputReader input, string identifier) => new()
    {
        Identifier = identifier,
        NewIdentifier = input.FromTemplate ? null : input.String("NewGlobalClusterIdentifier"),
        DeletionProtection = input.Bool("DeletionProtection"),
        EngineVersion = input.String("EngineVersion"),
    };
}
