using System.Diagnostics.CodeAnalysis;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Aurora Serverless v2's capacity range, in ACUs: recorded and reported (a member's server does not resize).</summary>
public sealed record ServerlessV2Scaling(double MinCapacity, double MaxCapacity, int? SecondsUntilAutoPause)
{
    public static ServerlessV2Scaling? Read(IInputReader input)
    {
        if (input.Object("ServerlessV2ScalingConfiguration") is not { } scaling) return null;
        var min = scaling.Double("MinCapacity") ?? throw RdsErrors.InvalidValue("ServerlessV2ScalingConfiguration requires MinCapacity.");
        var max = scaling.Double("MaxCapacity") ?? throw RdsErrors.InvalidValue("ServerlessV2ScalingConfiguration requires MaxCapacity.");
        return new ServerlessV2Scaling(min, max, scaling.Int("SecondsUntilAutoPause"));
    }
}

/// <summary>
/// An Aurora DB cluster: its shared data (the cluster volume: a data directory of its own while the cluster has no
/// instance, the writer's once it has one), its members (instances naming it) and its two endpoints, loopback listeners
/// that forward to the writer and spread over the readers.
/// </summary>
public sealed record DbCluster : IRdsDatabase
{
    public static MasterUserSecretNaming SecretNaming { get; } = new("cluster", "DB cluster", "primaryDBClusterArn");

    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>Lower-cased, as RDS stores identifiers.</summary>
    public required string Identifier { get; init; }
    /// <summary>"cluster-" + 26 characters; also names the cluster volume's home while no writer holds it.</summary>
    public required string ResourceId { get; init; }
    /// <summary>aurora-mysql or aurora-postgresql.</summary>
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public required string MasterUsername { get; init; }
    public string? DatabaseName { get; init; }
    public required int Port { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public required IReadOnlyList<string> AvailabilityZones { get; init; }
    public string? SubnetGroupName { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public int BackupRetentionPeriod { get; init; } = 1;
    public string PreferredBackupWindow { get; init; } = RdsRules.DefaultBackupWindow;
    /// <summary>
    /// The folder of the cluster's log archive its writer archives into: the cluster's own resource id while the writer runs on
    /// the data the cluster volume began with (each writer that takes the volume over continues its log); a failover starts a
    /// new lineage for the promoted reader, whose log continues the automated snapshot taken of it at its promotion.
    /// Null for a cluster stored before automated backups (its resource id then).
    /// </summary>
    public string? LogLineage { get; init; }
    public bool DeletionProtection { get; init; }
    public bool CopyTagsToSnapshot { get; init; }
    /// <summary>The DB cluster parameter group; null for the engine's default.</summary>
    public string? ParameterGroupName { get; init; }
    public ServerlessV2Scaling? ServerlessV2Scaling { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];
    /// <summary>The writer endpoint's loopback address (the cluster port); null until the cluster is first available.</summary>
    public string? WriterEndpointAddress { get; init; }
    public string? ReaderEndpointAddress { get; init; }
    /// <summary>The secret holding the master password when RDS manages it (ManageMasterUserPassword).</summary>
    public MasterUserSecret? MasterUserSecret { get; init; }
    /// <summary>The member that writes; null while the cluster has no instance (the volume is then in the cluster's own home).</summary>
    public string? WriterIdentifier { get; init; }
    /// <summary>The RDS Data API's HTTP endpoint (EnableHttpEndpoint): off by default, as on AWS.</summary>
    public bool HttpEndpointEnabled { get; init; }
    /// <summary>
    /// Backtracking's target window in seconds (aurora-mysql only): null while it was never on, 0 once turned off, which as on
    /// Aurora cannot be undone (backtracking is turned on only when a cluster is created or restored).
    /// </summary>
    public int? BacktrackWindow { get; init; }
    /// <summary>The IAM roles associated with the cluster (AddRoleToDBCluster), recorded only.</summary>
    public IReadOnlyList<DbClusterRole> AssociatedRoles { get; init; } = [];
    /// <summary>The Aurora global database the cluster is a member of (its primary, or a secondary).</summary>
    public string? GlobalClusterIdentifier { get; init; }
    /// <summary>
    /// The ARN of the cluster whose writer this cluster's writer replicates from: a global database's primary for a secondary,
    /// the source of a cross-Region read replica cluster. Null for a cluster that takes writes.
    /// </summary>
    public string? ReplicationSourceArn { get; init; }

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:cluster:{Identifier}";
}

public sealed record DbClusterSnapshot : RdsSnapshot
{
    public required string ClusterIdentifier { get; init; }
    public required string ClusterResourceId { get; init; }
    public string? DatabaseName { get; init; }
    public required string VpcId { get; init; }
    public required IReadOnlyList<string> AvailabilityZones { get; init; }
    public required DateTimeOffset ClusterCreateTime { get; init; }
    /// <summary>An automated snapshot's log lineage: the archive folder whose log continues it (a point-in-time restore replays it).</summary>
    public string? LogLineage { get; init; }

    public DbClusterSnapshot() { }

    /// <summary>A manual snapshot of <paramref name="cluster"/>, in the VPC <paramref name="vpcId"/>, being created at <paramref name="now"/>.</summary>
    [SetsRequiredMembers]
    public DbClusterSnapshot(DbCluster cluster, string identifier, string resourceId, DateTimeOffset now, string vpcId, IReadOnlyList<RdsTag> tags)
        : base(cluster, identifier, resourceId, now, tags)
    {
        ClusterIdentifier = cluster.Identifier;
        ClusterResourceId = cluster.ResourceId;
        DatabaseName = cluster.DatabaseName;
        VpcId = vpcId;
        AvailabilityZones = cluster.AvailabilityZones;
        ClusterCreateTime = cluster.CreateTime;
    }

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:cluster-snapshot:{Identifier}";
}

public sealed record CreateClusterRequest : DbCreateWithMasterUserRequest
{
    public string? DatabaseName { get; init; }
    public string? EngineMode { get; init; }
    public ServerlessV2Scaling? ServerlessV2Scaling { get; init; }
    public string? PreferredBackupWindow { get; init; }
    public bool? EnableHttpEndpoint { get; init; }
    public int? BacktrackWindow { get; init; }
    public string? GlobalClusterIdentifier { get; init; }
    public string? ReplicationSourceIdentifier { get; init; }

    public CreateClusterRequest() { }

    // CloudFormation names the security groups VpcSecurityGroupIds too.
    [SetsRequiredMembers]
    private CreateClusterRequest(IInputReader input, string identifier) : base(input, identifier, "DBClusterParameterGroupName", "VpcSecurityGroupIds")
    {
        RdsRules.NoWriteForwarding(input);
        DatabaseName = input.String("DatabaseName");
        EngineMode = input.String("EngineMode");
        ServerlessV2Scaling = ServerlessV2Scaling.Read(input);
        PreferredBackupWindow = input.String("PreferredBackupWindow");
        EnableHttpEndpoint = input.Bool("EnableHttpEndpoint");
        BacktrackWindow = input.Int("BacktrackWindow");
        GlobalClusterIdentifier = input.String("GlobalClusterIdentifier");
        ReplicationSourceIdentifier = input.String("ReplicationSourceIdentifier");
    }

    /// <summary>CreateDBCluster's members, or an AWS::RDS::DBCluster's.</summary>
    public static CreateClusterRequest Read(IInputReader input, string identifier) => new(input, identifier);
}

public sealed record ModifyClusterRequest : IMasterPasswordChange
{
    public required string Identifier { get; init; }
    public string? MasterUserPassword { get; init; }
    public int? BackupRetentionPeriod { get; init; }
    public string? PreferredBackupWindow { get; init; }
    public bool? DeletionProtection { get; init; }
    public bool? CopyTagsToSnapshot { get; init; }
    public string? ParameterGroupName { get; init; }
    public ServerlessV2Scaling? ServerlessV2Scaling { get; init; }
    public int? Port { get; init; }
    public string? NewIdentifier { get; init; }
    public bool? ManageMasterUserPassword { get; init; }
    public bool? RotateMasterUserPassword { get; init; }
    public string? MasterUserSecretKmsKeyId { get; init; }
    public bool ApplyImmediately { get; init; }
    public bool? EnableHttpEndpoint { get; init; }
    public int? BacktrackWindow { get; init; }

    /// <summary>ModifyDBCluster's members, or an AWS::RDS::DBCluster's as an update states them.</summary>
    public static ModifyClusterRequest Read(IInputReader input, string identifier)
    {
        RdsRules.NoWriteForwarding(input);
        return new()
        {
            Identifier = identifier,
            MasterUserPassword = input.String("MasterUserPassword"),
            BackupRetentionPeriod = input.Int("BackupRetentionPeriod"),
            PreferredBackupWindow = input.String("PreferredBackupWindow"),
            DeletionProtection = input.Bool("DeletionProtection"),
            CopyTagsToSnapshot = input.Bool("CopyTagsToSnapshot"),
            ParameterGroupName = input.String("DBClusterParameterGroupName"),
            ServerlessV2Scaling = ServerlessV2Scaling.Read(input),
            Port = input.Int("Port"),
            NewIdentifier = input.FromTemplate ? null : input.String("NewDBClusterIdentifier"),
            ManageMasterUserPassword = input.Bool("ManageMasterUserPassword"),
            RotateMasterUserPassword = input.FromTemplate ? null : input.Bool("RotateMasterUserPassword"),
            MasterUserSecretKmsKeyId = input.FromTemplate ? input.Object("MasterUserSecret")?.String("KmsKeyId") : input.String("MasterUserSecretKmsKeyId"),
            // A template's change applies at once, as CloudFormation updates a cluster.
            ApplyImmediately = input.FromTemplate || (input.Bool("ApplyImmediately") ?? false),
            EnableHttpEndpoint = input.Bool("EnableHttpEndpoint"),
            BacktrackWindow = input.Int("BacktrackWindow"),
        };
    }

    /// <summary>Only what differs from <paramref name="previous"/>: a template update modifies the members it changed.</summary>
    public ModifyClusterRequest ChangedFrom(ModifyClusterRequest previous) => this with
    {
        MasterUserPassword = MasterUserPassword == previous.MasterUserPassword ? null : MasterUserPassword,
        BackupRetentionPeriod = BackupRetentionPeriod == previous.BackupRetentionPeriod ? null : BackupRetentionPeriod,
        PreferredBackupWindow = PreferredBackupWindow == previous.PreferredBackupWindow ? null : PreferredBackupWindow,
        DeletionProtection = DeletionProtection == previous.DeletionProtection ? null : DeletionProtection,
        CopyTagsToSnapshot = CopyTagsToSnapshot == previous.CopyTagsToSnapshot ? null : CopyTagsToSnapshot,
        ParameterGroupName = ParameterGroupName == previous.ParameterGroupName ? null : ParameterGroupName,
        ServerlessV2Scaling = ServerlessV2Scaling == previous.ServerlessV2Scaling ? null : ServerlessV2Scaling,
        Port = Port == previous.Port ? null : Port,
        ManageMasterUserPassword = ManageMasterUserPassword == previous.ManageMasterUserPassword ? null : ManageMasterUserPassword,
        MasterUserSecretKmsKeyId = MasterUserSecretKmsKeyId == previous.MasterUserSecretKmsKeyId ? null : MasterUserSecretKmsKeyId,
        EnableHttpEndpoint = EnableHttpEndpoint == previous.EnableHttpEndpoint ? null : EnableHttpEndpoint,
        BacktrackWindow = BacktrackWindow == previous.BacktrackWindow ? null : BacktrackWindow,
    };
}

/// <summary>What a restored cluster takes from the request, whatever it is restored from (a snapshot, a point in time).</summary>
public abstract record RestoredClusterSettings
{
    public required string Identifier { get; init; }
    public int? Port { get; init; }
    public string? SubnetGroupName { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public bool? DeletionProtection { get; init; }
    public bool? CopyTagsToSnapshot { get; init; }
    public string? ParameterGroupName { get; init; }
    public ServerlessV2Scaling? ServerlessV2Scaling { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];
    public int? BacktrackWindow { get; init; }

    protected RestoredClusterSettings() { }

    [SetsRequiredMembers]
    protected RestoredClusterSettings(IInputReader input, string identifier)
    {
        Identifier = identifier;
        Port = input.Int("Port");
        SubnetGroupName = input.String("DBSubnetGroupName");
        VpcSecurityGroupIds = input.Strings("VpcSecurityGroupIds");
        DeletionProtection = input.Bool("DeletionProtection");
        CopyTagsToSnapshot = input.Bool("CopyTagsToSnapshot");
        ParameterGroupName = input.String("DBClusterParameterGroupName");
        ServerlessV2Scaling = ServerlessV2Scaling.Read(input);
        Tags = RdsTag.List(input);
        BacktrackWindow = input.Int("BacktrackWindow");
    }
}

public sealed record RestoreClusterRequest : RestoredClusterSettings
{
    public required string SnapshotIdentifier { get; init; }
    public required string Engine { get; init; }
    public string? EngineVersion { get; init; }
    /// <summary>
    /// A template's ManageMasterUserPassword beside SnapshotIdentifier: CloudFormation restores the cluster and then turns the
    /// managed password on, so the restored cluster's master password is a new one kept in its rds!cluster secret. The wire's
    /// RestoreDBClusterFromSnapshot has no such member (it is ModifyDBCluster's), so it is read from templates only.
    /// </summary>
    public bool? ManageMasterUserPassword { get; init; }
    public string? MasterUserSecretKmsKeyId { get; init; }

    public RestoreClusterRequest() { }

    [SetsRequiredMembers]
    private RestoreClusterRequest(IInputReader input, string identifier, string snapshotIdentifier) : base(input, identifier)
    {
        SnapshotIdentifier = snapshotIdentifier;
        Engine = input.Required("Engine");
        EngineVersion = input.String("EngineVersion");
        ManageMasterUserPassword = input.FromTemplate ? input.Bool("ManageMasterUserPassword") : null;
        MasterUserSecretKmsKeyId = input.FromTemplate ? input.Object("MasterUserSecret")?.String("KmsKeyId") : null;
    }

    /// <summary>RestoreDBClusterFromSnapshot's members, or an AWS::RDS::DBCluster's that names a SnapshotIdentifier.</summary>
    public static RestoreClusterRequest Read(IInputReader input, string identifier, string snapshotIdentifier) => new(input, identifier, snapshotIdentifier);
}

/// <summary>RestoreDBClusterToPointInTime: the source cluster's automated backups (by identifier or resource id), the time and the restore type.</summary>
public sealed record ClusterPointInTimeRestoreRequest : RestoredClusterSettings
{
    public string? SourceIdentifier { get; init; }
    public string? SourceResourceId { get; init; }
    public DateTimeOffset? RestoreTime { get; init; }
    public bool UseLatestRestorableTime { get; init; }
    /// <summary>full-copy (the default) or copy-on-write.</summary>
    public string? RestoreType { get; init; }
    public int? BackupRetentionPeriod { get; init; }
    public string? PreferredBackupWindow { get; init; }

    public ClusterPointInTimeRestoreRequest() { }

    [SetsRequiredMembers]
    private ClusterPointInTimeRestoreRequest(IInputReader input, string identifier) : base(input, identifier)
    {
        SourceIdentifier = input.String("SourceDBClusterIdentifier");
        SourceResourceId = input.String("SourceDbClusterResourceId");
        RestoreTime = input.Timestamp("RestoreToTime");
        UseLatestRestorableTime = input.Bool("UseLatestRestorableTime") ?? false;
        RestoreType = input.String("RestoreType");
        BackupRetentionPeriod = input.Int("BackupRetentionPeriod");
        PreferredBackupWindow = input.String("PreferredBackupWindow");
    }

    /// <summary>Whether a template's AWS::RDS::DBCluster is a point-in-time restore rather than a new cluster or a snapshot's restore.</summary>
    public static bool IsAsked(IInputReader input) => input.Has("SourceDBClusterIdentifier") || input.Has("SourceDbClusterResourceId");

    /// <summary>RestoreDBClusterToPointInTime's members, or an AWS::RDS::DBCluster's that names a source cluster.</summary>
    public static ClusterPointInTimeRestoreRequest Read(IInputReader input, string identifier) => new(input, identifier);
}

/// <summary>
/// A custom endpoint of an Aurora cluster (CreateDBClusterEndpoint): a loopback address of its own at the cluster's
/// port that spreads connections over the members it names, as the reader endpoint spreads them over the readers.
/// </summary>
public sealed record DbClusterEndpoint
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>Lower-cased, as RDS stores identifiers; unique in the account's Region, as RDS requires.</summary>
    public required string Identifier { get; init; }
    public required string ClusterIdentifier { get; init; }
    /// <summary>"cluster-endpoint-" + 26 characters (DBClusterEndpointResourceIdentifier); also owns its address claim.</summary>
    public required string ResourceId { get; init; }
    /// <summary>READER (readers only) or ANY (the writer too).</summary>
    public required string CustomType { get; init; }
    /// <summary>The only members reached, when not empty.</summary>
    public IReadOnlyList<string> StaticMembers { get; init; } = [];
    /// <summary>Members never reached (every other one, and those added later, are), when StaticMembers is empty.</summary>
    public IReadOnlyList<string> ExcludedMembers { get; init; } = [];
    /// <summary>creating, available or deleting.</summary>
    public required string Status { get; init; }
    /// <summary>The loopback address it listens on; null until it first listens.</summary>
    public string? Address { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:cluster-endpoint:{Identifier}";
}

public sealed record CreateClusterEndpointRequest
{
    public required string Identifier { get; init; }
    public required string ClusterIdentifier { get; init; }
    public required string EndpointType { get; init; }
    public IReadOnlyList<string> StaticMembers { get; init; } = [];
    public IReadOnlyList<string> ExcludedMembers { get; init; } = [];
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    /// <summary>CreateDBClusterEndpoint's members, or an AWS::RDS::DBClusterEndpoint's (with its identifier, generated when absent).</summary>
    public static CreateClusterEndpointRequest Read(IInputReader input, string? identifier = null) => new()
    {
        Identifier = identifier ?? input.Required("DBClusterEndpointIdentifier"),
        ClusterIdentifier = input.Required("DBClusterIdentifier"),
        EndpointType = input.Required("EndpointType"),
        StaticMembers = input.Strings("StaticMembers"),
        ExcludedMembers = input.Strings("ExcludedMembers"),
        Tags = RdsTag.List(input),
    };
}

public sealed record ModifyClusterEndpointRequest
{
    public required string Identifier { get; init; }
    public string? EndpointType { get; init; }
    public IReadOnlyList<string> StaticMembers { get; init; } = [];
    public IReadOnlyList<string> ExcludedMembers { get; init; } = [];
    /// <summary>
    /// The lists replace the endpoint's even when both are empty: a template states the whole endpoint, so one that no
    /// longer names members means every member; on the wire an absent list leaves them as they are.
    /// </summary>
    public bool ReplacesMembers { get; init; }

    public static ModifyClusterEndpointRequest Read(IInputReader input, string? identifier = null) => new()
    {
        Identifier = identifier ?? input.Required("DBClusterEndpointIdentifier"),
        EndpointType = input.String("EndpointType"),
        StaticMembers = input.Strings("StaticMembers"),
        ExcludedMembers = input.Strings("ExcludedMembers"),
        ReplacesMembers = input.FromTemplate,
    };
}
