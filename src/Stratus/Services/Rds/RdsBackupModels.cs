namespace Stratus.Services.Rds;

/// <summary>What the automated-backup upkeep shared by instances and clusters reads of their backups' records.</summary>
public interface IAutomatedBackup : IRdsListed
{
    /// <summary>The database's resource id (DbiResourceId, DbClusterResourceId), which its automated snapshots name.</summary>
    string ResourceId { get; }
    int BackupRetentionPeriod { get; }
    /// <summary>"active" or "retained" ("replicating" for a replicated copy, see <see cref="DbInstanceAutomatedBackup.SourceRegion"/>).</summary>
    string Status { get; }
    /// <summary>The folder under DATA_DIR/rds/backups its log archive is kept in.</summary>
    string LogArchiveId { get; }
}

/// <summary>
/// A DB instance's automated backups (DescribeDBInstanceAutomatedBackups): kept by DbiResourceId, "active" while the instance
/// exists, "retained" after it was deleted with DeleteAutomatedBackups false. Its automated snapshots are DbSnapshots of type
/// automated with the same InstanceResourceId; its log archive is the fleet's LogArchiveDir of that id.
/// </summary>
public sealed record DbInstanceAutomatedBackup : IAutomatedBackup
{
    public string AccountId { get; init; } = "";
    public string Region { get; init; } = "";
    /// <summary>The instance's identifier (lower-cased, as RDS stores it).</summary>
    public string Identifier { get; init; } = "";
    /// <summary>The instance's DbiResourceId.</summary>
    public string ResourceId { get; init; } = "";
    /// <summary>"ab-" and 26 characters: the last part of DBInstanceAutomatedBackupsArn.</summary>
    public required string ArnId { get; init; }
    public string Engine { get; init; } = "";
    public string EngineVersion { get; init; } = "";
    public string MasterUsername { get; init; } = "";
    public int Port { get; init; }
    public int AllocatedStorage { get; init; }
    public string AvailabilityZone { get; init; } = "";
    public string VpcId { get; init; } = "";
    public DateTimeOffset InstanceCreateTime { get; init; }
    public string StorageType { get; init; } = "gp2";
    public int BackupRetentionPeriod { get; init; }
    public string PreferredBackupWindow { get; init; } = RdsRules.DefaultBackupWindow;
    /// <summary>"active" or "retained".</summary>
    public string Status { get; init; } = "active";
    /// <summary>
    /// How far the archived log reaches when the server is not running: the moment it was archived before the server last
    /// stopped. For a replicated copy: the moment the source's log was archived before the copy's latest update.
    /// </summary>
    public DateTimeOffset? LogArchivedUntil { get; init; }
    /// <summary>
    /// Set on a replicated copy (StartDBInstanceAutomatedBackupsReplication): the source instance's Region. The copy lives in
    /// <see cref="Region"/> with the source's DbiResourceId, its own automated snapshots and its own log archive.
    /// </summary>
    public string? SourceRegion { get; init; }

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:auto-backup:{ArnId}";
    public string InstanceArn => $"arn:aws:rds:{SourceRegion ?? Region}:{AccountId}:db:{Identifier}";
    /// <summary>A replicated copy's log is its own folder (named by the Region too), so deleting the source's backups leaves it.</summary>
    public string LogArchiveId => SourceRegion is null ? ResourceId : $"{ResourceId}.{Region}";

    /// <summary>This backup describing <paramref name="instance"/> as it is now (active).</summary>
    public DbInstanceAutomatedBackup Describing(DbInstance instance, string vpcId) => this with
    {
        AccountId = instance.AccountId,
        Region = instance.Region,
        Identifier = instance.Identifier,
        ResourceId = instance.ResourceId,
        Engine = instance.Engine,
        EngineVersion = instance.EngineVersion,
        MasterUsername = instance.MasterUsername,
        Port = instance.Port,
        AllocatedStorage = instance.AllocatedStorage,
        AvailabilityZone = instance.AvailabilityZone,
        VpcId = vpcId,
        InstanceCreateTime = instance.CreateTime,
        StorageType = instance.StorageType,
        BackupRetentionPeriod = instance.BackupRetentionPeriod,
        PreferredBackupWindow = instance.PreferredBackupWindow,
        Status = "active",
    };
}

/// <summary>
/// An Aurora DB cluster's automated backups (DescribeDBClusterAutomatedBackups): kept by DbClusterResourceId, "active" while
/// the cluster exists, "retained" after it was deleted with DeleteAutomatedBackups false. Its automated snapshots are
/// DbClusterSnapshots of type automated with the same ClusterResourceId; its log archive is the fleet's LogArchiveDir of that
/// id, one folder per log lineage (<see cref="DbCluster.LogLineage"/>).
/// </summary>
public sealed record DbClusterAutomatedBackup : IAutomatedBackup
{
    public string AccountId { get; init; } = "";
    public string Region { get; init; } = "";
    /// <summary>The cluster's identifier (lower-cased, as RDS stores it).</summary>
    public string Identifier { get; init; } = "";
    /// <summary>The cluster's DbClusterResourceId.</summary>
    public string ResourceId { get; init; } = "";
    /// <summary>"cluster-auto-backup-" and 26 characters: the last part of its ARN.</summary>
    public required string ArnId { get; init; }
    public string Engine { get; init; } = "";
    public string EngineVersion { get; init; } = "";
    public string MasterUsername { get; init; } = "";
    public int Port { get; init; }
    public IReadOnlyList<string> AvailabilityZones { get; init; } = [];
    public string VpcId { get; init; } = "";
    public DateTimeOffset ClusterCreateTime { get; init; }
    public int BackupRetentionPeriod { get; init; } = 1;
    public string PreferredBackupWindow { get; init; } = RdsRules.DefaultBackupWindow;
    /// <summary>"active" or "retained".</summary>
    public string Status { get; init; } = "active";
    /// <summary>
    /// How far each lineage's archived log reaches when no running writer extends it: the moment it was archived before its
    /// writer last stopped (a failover, a snapshot, StopDBCluster, the last instance's deletion).
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LogArchivedUntil { get; init; } = new Dictionary<string, DateTimeOffset>();

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:cluster-auto-backup:{ArnId}";
    public string LogArchiveId => ResourceId;
    public string ClusterArn => $"arn:aws:rds:{Region}:{AccountId}:cluster:{Identifier}";

    /// <summary>This backup describing <paramref name="cluster"/> as it is now (active).</summary>
    public DbClusterAutomatedBackup Describing(DbCluster cluster, string vpcId) => this with
    {
        AccountId = cluster.AccountId,
        Region = cluster.Region,
        Identifier = cluster.Identifier,
        ResourceId = cluster.ResourceId,
        Engine = cluster.Engine,
        EngineVersion = cluster.EngineVersion,
        MasterUsername = cluster.MasterUsername,
        Port = cluster.Port,
        AvailabilityZones = cluster.AvailabilityZones,
        VpcId = vpcId,
        ClusterCreateTime = cluster.CreateTime,
        BackupRetentionPeriod = cluster.BackupRetentionPeriod,
        PreferredBackupWindow = cluster.PreferredBackupWindow,
        Status = "active",
    };

    /// <summary>Records that <paramref name="lineage"/>'s log is archived up to <paramref name="until"/>.</summary>
    public DbClusterAutomatedBackup ArchivedUntil(string lineage, DateTimeOffset until) =>
        this with { LogArchivedUntil = new Dictionary<string, DateTimeOffset>(LogArchivedUntil) { [lineage] = until } };
}
