using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// One BacktrackDBCluster of an aurora-mysql cluster, as DescribeDBClusterBacktracks lists it: pending until the cluster's
/// operation turn comes, applying while the writer is rewound, then completed or failed.
/// </summary>
public sealed record DbClusterBacktrack
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string ClusterIdentifier { get; init; }
    /// <summary>The cluster's DbClusterResourceId, so that a later cluster of the same name does not list this one.</summary>
    public required string ClusterResourceId { get; init; }
    /// <summary>A UUID, as Aurora names backtracks.</summary>
    public required string BacktrackIdentifier { get; init; }
    /// <summary>The time the cluster is rewound to.</summary>
    public required DateTimeOffset BacktrackTo { get; init; }
    /// <summary>The time the rewind started from: the cluster's data as it was when the backtrack was asked for.</summary>
    public required DateTimeOffset BacktrackedFrom { get; init; }
    public required DateTimeOffset BacktrackRequestCreationTime { get; init; }
    /// <summary>pending, applying, completed or failed.</summary>
    public required string Status { get; init; }
}

/// <summary>BacktrackDBCluster's members.</summary>
public sealed record BacktrackClusterRequest
{
    public required string Identifier { get; init; }
    public required DateTimeOffset BacktrackTo { get; init; }
    public bool Force { get; init; }
    public bool UseEarliestTimeOnPointInTimeUnavailable { get; init; }

    public static BacktrackClusterRequest Read(IInputReader input) => new()
    {
        Identifier = input.Required("DBClusterIdentifier"),
        BacktrackTo = input.Timestamp("BacktrackTo") ?? throw input.Missing("BacktrackTo"),
        Force = input.Bool("Force") ?? false,
        UseEarliestTimeOnPointInTimeUnavailable = input.Bool("UseEarliestTimeOnPointInTimeUnavailable") ?? false,
    };
}

/// <summary>
/// An IAM role associated with an Aurora cluster (AddRoleToDBCluster; AssociatedRoles of AWS::RDS::DBCluster). The association
/// is recorded and reported ACTIVE; what the feature would do with the role (S3 import and export, Lambda from SQL) is not built.
/// </summary>
public sealed record DbClusterRole(string RoleArn, string? FeatureName)
{
    /// <summary>A template's AssociatedRoles: [{RoleArn, FeatureName}].</summary>
    public static IReadOnlyList<DbClusterRole> List(IInputReader input) =>
        input.Objects("AssociatedRoles").Select(r => new DbClusterRole(r.Required("RoleArn"), r.String("FeatureName"))).ToList();
}
