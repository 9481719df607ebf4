namespace Stratus.Services.Rds;

public sealed record RdsTag(string Key, string Value);

/// <summary>Class and storage changes asked for without ApplyImmediately: applied at the next reboot.</summary>
public sealed record RdsPendingChanges(string? InstanceClass, int? AllocatedStorage);

/// <summary>
/// A DB instance as RDS describes it, plus where its MariaDB lives. The master password is not kept:
/// it lives only in the server's own grant tables.
/// </summary>
public sealed record DbInstance
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>Lower-cased, as RDS stores identifiers.</summary>
    public required string Identifier { get; init; }
    /// <summary>"db-" + 26 characters; also names the instance's directory, so a re-created name never meets old data.</summary>
    public required string ResourceId { get; init; }
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public required string InstanceClass { get; init; }
    public required int AllocatedStorage { get; init; }
    public required string MasterUsername { get; init; }
    public string? DbName { get; init; }
    public required int Port { get; init; }
    /// <summary>The loopback address the server is bound to; null until it first listens.</summary>
    public string? Address { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public required string AvailabilityZone { get; init; }
    public bool PubliclyAccessible { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public string StorageType { get; init; } = "gp2";
    public int BackupRetentionPeriod { get; init; } = 1;
    public bool MultiAz { get; init; }
    public bool DeletionProtection { get; init; }
    public bool CopyTagsToSnapshot { get; init; }
    public RdsPendingChanges? Pending { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:db:{Identifier}";
}

public sealed record DbSnapshot
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Identifier { get; init; }
    /// <summary>Names the snapshot's directory.</summary>
    public required string ResourceId { get; init; }
    public required string InstanceIdentifier { get; init; }
    public required string InstanceResourceId { get; init; }
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public required string InstanceClass { get; init; }
    public required int AllocatedStorage { get; init; }
    public required string MasterUsername { get; init; }
    public string? DbName { get; init; }
    public required int Port { get; init; }
    public required string AvailabilityZone { get; init; }
    public required DateTimeOffset InstanceCreateTime { get; init; }
    public required DateTimeOffset SnapshotCreateTime { get; init; }
    public required string Status { get; init; }
    /// <summary>"manual" for CreateDBSnapshot and final snapshots.</summary>
    public string SnapshotType { get; init; } = "manual";
    public string StorageType { get; init; } = "gp2";
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:snapshot:{Identifier}";
}

public sealed record RdsEvent
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string SourceIdentifier { get; init; }
    /// <summary>"db-instance" or "db-snapshot".</summary>
    public required string SourceType { get; init; }
    public required string SourceArn { get; init; }
    public required string Message { get; init; }
    public required IReadOnlyList<string> Categories { get; init; }
    public required DateTimeOffset Date { get; init; }
}

/// <summary>One page of a Marker/MaxRecords listing.</summary>
public sealed record RdsPage<T>(IReadOnlyList<T> Items, string? NextMarker);
