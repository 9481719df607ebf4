using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// A blue/green deployment of a DB instance: blue is the source, green a real read replica of it (named as RDS names it,
/// SOURCE-green-XXXXXX) until the switchover promotes it and gives it blue's identifier and endpoint. Both are
/// followed by resource id, which survives the renaming.
/// </summary>
public sealed record BlueGreenDeployment
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>"bgd-" + 16 characters, as RDS makes them.</summary>
    public required string Identifier { get; init; }
    public required string Name { get; init; }
    public required string BlueResourceId { get; init; }
    public required string GreenResourceId { get; init; }
    /// <summary>The ARNs when the deployment was made, reported when an instance is gone.</summary>
    public required string SourceArn { get; init; }
    public required string TargetArn { get; init; }
    /// <summary>PROVISIONING, AVAILABLE, SWITCHOVER_IN_PROGRESS, SWITCHOVER_COMPLETED, SWITCHOVER_FAILED or INVALID_CONFIGURATION.</summary>
    public required string Status { get; init; }
    public string? StatusDetails { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:deployment:{Identifier}";
}

/// <summary>A deployment as DescribeBlueGreenDeployments reports it: its instances' current ARNs and the replica task's progress.</summary>
public sealed record BlueGreenView(BlueGreenDeployment Deployment, string SourceArn, string TargetArn, string SwitchoverStatus, string ReplicaTaskStatus,
    DateTimeOffset? DeleteTime = null);

public sealed record CreateBlueGreenRequest
{
    public required string Name { get; init; }
    public required string Source { get; init; }
    public string? TargetEngineVersion { get; init; }
    public string? TargetParameterGroupName { get; init; }
    public string? TargetClusterParameterGroupName { get; init; }
    public string? TargetInstanceClass { get; init; }
    /// <summary>Storage changes of the green instance, which Stratus does not make (storage is the disk's): refused when given.</summary>
    public IReadOnlyList<string> StorageMembersGiven { get; init; } = [];
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    private static readonly string[] StorageMembers = ["UpgradeTargetStorageConfig", "TargetIops", "TargetStorageType", "TargetAllocatedStorage", "TargetStorageThroughput"];

    public static CreateBlueGreenRequest Read(IInputReader input) => new()
    {
        Name = input.Required("BlueGreenDeploymentName"),
        Source = input.Required("Source"),
        TargetEngineVersion = input.String("TargetEngineVersion"),
        TargetParameterGroupName = input.String("TargetDBParameterGroupName"),
        TargetClusterParameterGroupName = input.String("TargetDBClusterParameterGroupName"),
        TargetInstanceClass = input.String("TargetDBInstanceClass"),
        StorageMembersGiven = StorageMembers.Where(input.Has).ToList(),
        Tags = RdsTag.List(input),
    };
}
