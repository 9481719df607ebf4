using System.Diagnostics.CodeAnalysis;
using Stratus.Protocols;
namespace Stratus.Services.Rds;

public sealed record RdsTag(string Key, string Value)
{
    /// <summary>A request's Tags, or a template's; RDS words a tag without a key its own way.</summary>
    public static IReadOnlyList<RdsTag> List(IInputReader input) =>
        input.Tags(keyMissing: input.FromTemplate ? null : RdsErrors.EmptyTagKey).Select(t => new RdsTag(t.Key, t.Value)).ToList();
}

/// <summary>Class, storage and CA changes asked for without ApplyImmediately: applied at the next reboot.</summary>
/// <param name="DbInstanceIdentifier">A rename asked without ApplyImmediately, applied at the next reboot (Stratus's stand-in for RDS's maintenance window).</param>
public sealed record RdsPendingChanges(string? InstanceClass, int? AllocatedStorage, string? CaCertificateIdentifier = null, string? DbInstanceIdentifier = null);

/// <summary>
/// A DB instance as RDS describes it, plus where its MariaDB lives. The master password is not kept:
/// it lives only in the server's own grant tables.
/// </summary>
public sealed record DbInstance : IDbInstanceOrigin, IRdsDatabase
{
    public static MasterUserSecretNaming SecretNaming { get; } = new("db", "DB instance", "primaryDBInstanceArn");

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
    /// <summary>The DB subnet group the instance was placed in; null for the default VPC's ("default").</summary>
    public string? SubnetGroupName { get; init; }
    public string StorageType { get; init; } = "gp2";
    public int BackupRetentionPeriod { get; init; } = 1;
    /// <summary>The daily half hour (at least) in which RDS takes the automated snapshot, hh24:mi-hh24:mi in UTC.</summary>
    public string PreferredBackupWindow { get; init; } = RdsRules.DefaultBackupWindow;
    public bool MultiAz { get; init; }
    public bool DeletionProtection { get; init; }
    public bool CopyTagsToSnapshot { get; init; }
    public RdsPendingChanges? Pending { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];
    /// <summary>The secret holding the master password when RDS manages it (ManageMasterUserPassword).</summary>
    public MasterUserSecret? MasterUserSecret { get; init; }
    /// <summary>The DB parameter group; null for the engine's default group.</summary>
    public string? ParameterGroupName { get; init; }
    /// <summary>"pending-reboot" when the group (or a static parameter of it) changed since the server started; null when in sync.</summary>
    public string? ParameterApplyStatus { get; init; }
    /// <summary>For an Aurora member, "pending-reboot" when its cluster's parameter group (or a static parameter of it) changed since the server started; null when in sync.</summary>
    public string? ClusterParameterApplyStatus { get; init; }
    /// <summary>The option group; null for the engine's default group.</summary>
    public string? OptionGroupName { get; init; }
    /// <summary>The instance this read replica replicates from (same account and region); null for a standalone instance.</summary>
    public string? ReplicaSourceIdentifier { get; init; }
    /// <summary>The Aurora DB cluster the instance is a member of (writer or reader); null for a stand-alone instance.</summary>
    public string? ClusterIdentifier { get; init; }
    /// <summary>Aurora's failover order among readers (0 first); 1 by default, as RDS.</summary>
    public int PromotionTier { get; init; } = 1;
    /// <summary>The CA that issues the server's certificate (CACertificateIdentifier); null for instances made before Stratus served TLS.</summary>
    public string? CaCertificateIdentifier { get; init; }

    /// <summary>The instance's CA, RDS's default for one recorded without.</summary>
    public string CertificateAuthority => CaCertificateIdentifier ?? Stratus.Services.Rds.Engine.CertificateAuthorityKind.DefaultIdentifier;

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:db:{Identifier}";
}

/// <summary>
/// A DB subnet group: the subnets (in at least two Availability Zones of one VPC) RDS may place an instance in.
/// "default" is not stored: it is the default VPC's default subnets, as RDS shows it.
/// </summary>
public sealed record DbSubnetGroup
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required string VpcId { get; init; }
    /// <summary>Each subnet with its Availability Zone, as EC2 placed it.</summary>
    public required IReadOnlyList<DbSubnet> Subnets { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:subgrp:{Name}";
}

public sealed record DbSubnet(string SubnetId, string AvailabilityZone);

/// <summary>What every resource a Describe call of RDS lists by identifier answers: its account, Region and identifier.</summary>
public interface IRdsListed
{
    string AccountId { get; }
    string Region { get; }
    string Identifier { get; }
}

/// <summary>
/// A DB instance or an Aurora DB cluster: what holds a database, with its engine and master user, whose password RDS may
/// manage in a secret and whose data a snapshot takes.
/// </summary>
public interface IRdsDatabase : IRdsListed
{
    /// <summary>How the master user secret of this kind of database is named and tagged.</summary>
    static abstract MasterUserSecretNaming SecretNaming { get; }
    string Arn { get; }
    string Engine { get; }
    string EngineVersion { get; }
    string MasterUsername { get; }
    int Port { get; }
    MasterUserSecret? MasterUserSecret { get; }
}

/// <summary>
/// What a DB snapshot and a DB cluster snapshot record alike: whose data it holds, of which engine, and the snapshot's
/// own life (manual or automated, copied from another snapshot or not).
/// </summary>
/// <summary>
/// Which snapshots DescribeDBSnapshots and DescribeDBClusterSnapshots list (SnapshotType, IncludeShared, IncludePublic), as the
/// model documents them: without a type the account's own automated and manual ones, plus other accounts' manual ones shared
/// with it (IncludeShared) and public ones (IncludePublic); "automated" and "manual" the account's own of that type (the
/// Include members do not apply); "shared" other accounts' shared with it; "public" every public one (its own too).
/// </summary>
public sealed record SnapshotListing(string? Type, bool IncludeShared, bool IncludePublic)
{
    public static SnapshotListing Read(IInputReader input) =>
        new(input.String("SnapshotType"), input.Bool("IncludeShared") ?? false, input.Bool("IncludePublic") ?? false);

    public bool Lists(string accountId, RdsSnapshot snapshot)
    {
        var isPublic = snapshot.SharedAccounts.Contains("all");
        if (snapshot.AccountId == accountId) return Type is null || Type == snapshot.SnapshotType || (Type == "public" && isPublic);
        var sharedWithCaller = snapshot.SharedAccounts.Contains(accountId);
        return Type switch
        {
            null => (IncludeShared && sharedWithCaller) || (IncludePublic && isPublic),
            "shared" => sharedWithCaller,
            "public" => isPublic,
            _ => false,
        };
    }

    /// <summary>The type a listed snapshot has for the snapshot-type filter: the account's own by how it was taken, another's shared or public.</summary>
    public static string TypeFor(string accountId, RdsSnapshot snapshot) =>
        snapshot.AccountId == accountId ? snapshot.SnapshotType : snapshot.SharedAccounts.Contains(accountId) ? "shared" : "public";
}

public abstract record RdsSnapshot : IRdsListed
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Identifier { get; init; }
    /// <summary>Names the snapshot's data directory under the fleet's snapshots.</summary>
    public required string ResourceId { get; init; }
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public required string MasterUsername { get; init; }
    public required int Port { get; init; }
    public required DateTimeOffset SnapshotCreateTime { get; init; }
    public required string Status { get; init; }
    /// <summary>"manual" for CreateDBSnapshot, CreateDBClusterSnapshot and final snapshots; "automated" for an instance's daily backups.</summary>
    public string SnapshotType { get; init; } = "manual";
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];
    /// <summary>The ARN of the snapshot this one was copied from (CopyDBSnapshot, CopyDBClusterSnapshot); null for a snapshot of a database.</summary>
    public string? SourceSnapshotArn { get; init; }
    /// <summary>
    /// The snapshot's "restore" attribute (ModifyDBSnapshotAttribute, ModifyDBClusterSnapshotAttribute): the accounts it is
    /// shared with, or "all" when it is public. A copy starts unshared.
    /// </summary>
    public IReadOnlyList<string> SharedAccounts { get; init; } = [];

    /// <summary>Whether <paramref name="accountId"/> may restore or copy the snapshot: its own account's, or shared with it.</summary>
    public bool IsRestorableBy(string accountId) => accountId == AccountId || SharedAccounts.Contains("all") || SharedAccounts.Contains(accountId);

    protected RdsSnapshot() { }

    /// <summary>A manual snapshot of <paramref name="database"/> (a DB instance or a DB cluster) being created at <paramref name="now"/>.</summary>
    [SetsRequiredMembers]
    protected RdsSnapshot(IRdsDatabase database, string identifier, string resourceId, DateTimeOffset now, IReadOnlyList<RdsTag> tags)
    {
        AccountId = database.AccountId;
        Region = database.Region;
        Identifier = identifier;
        ResourceId = resourceId;
        Engine = database.Engine;
        EngineVersion = database.EngineVersion;
        MasterUsername = database.MasterUsername;
        Port = database.Port;
        SnapshotCreateTime = now;
        Status = "creating";
        Tags = tags;
    }
}

/// <summary>What a new DB instance takes from the data it is made of: a read replica's source instance, or a restored snapshot.</summary>
public interface IDbInstanceOrigin
{
    string Engine { get; }
    string EngineVersion { get; }
    int AllocatedStorage { get; }
    string MasterUsername { get; }
    string? DbName { get; }
}

public sealed record DbSnapshot : RdsSnapshot, IDbInstanceOrigin
{
    public required string InstanceIdentifier { get; init; }
    public required string InstanceResourceId { get; init; }
    public required string InstanceClass { get; init; }
    public required int AllocatedStorage { get; init; }
    public string? DbName { get; init; }
    public required string AvailabilityZone { get; init; }
    public required DateTimeOffset InstanceCreateTime { get; init; }
    /// <summary>The VPC the instance was in; null on snapshots taken before VPCs were recorded (the default VPC's).</summary>
    public string? VpcId { get; init; }
    public string StorageType { get; init; } = "gp2";
    /// <summary>The instance's option group (null: its engine version's default); ModifyDBSnapshot may name another, which a restore takes.</summary>
    public string? OptionGroupName { get; init; }

    public DbSnapshot() { }

    /// <summary>A manual snapshot of <paramref name="instance"/>, in the VPC <paramref name="vpcId"/>, being created at <paramref name="now"/>.</summary>
    [SetsRequiredMembers]
    public DbSnapshot(DbInstance instance, string identifier, string resourceId, DateTimeOffset now, string vpcId, IReadOnlyList<RdsTag> tags)
        : base(instance, identifier, resourceId, now, tags)
    {
        InstanceIdentifier = instance.Identifier;
        InstanceResourceId = instance.ResourceId;
        InstanceClass = instance.InstanceClass;
        AllocatedStorage = instance.AllocatedStorage;
        DbName = instance.DbName;
        AvailabilityZone = instance.AvailabilityZone;
        InstanceCreateTime = instance.CreateTime;
        StorageType = instance.StorageType;
        OptionGroupName = instance.OptionGroupName;
        VpcId = vpcId;
    }

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

/// <summary>
/// The members every request that creates a DB instance or cluster states alike (CreateDBInstance, CreateDBCluster,
/// CreateDBInstanceReadReplica, and the templates' DBInstance and DBCluster), read once here for all of them.
/// </summary>
public abstract record DbCreateRequest
{
    public required string Identifier { get; init; }
    public int? Port { get; init; }
    public string? SubnetGroupName { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public string? StorageType { get; init; }
    public bool? DeletionProtection { get; init; }
    public bool? CopyTagsToSnapshot { get; init; }
    /// <summary>The DB parameter group (an instance's) or DB cluster parameter group (a cluster's).</summary>
    public string? ParameterGroupName { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    protected DbCreateRequest() { }

    /// <param name="parameterGroupMember">DBParameterGroupName or DBClusterParameterGroupName.</param>
    /// <param name="templateSecurityGroups">What a template names the security groups: VPCSecurityGroups for an instance, VpcSecurityGroupIds for a cluster.</param>
    [SetsRequiredMembers]
    protected DbCreateRequest(IInputReader input, string identifier, string parameterGroupMember, string templateSecurityGroups)
    {
        Identifier = identifier;
        Port = input.Int("Port");
        SubnetGroupName = input.String("DBSubnetGroupName");
        VpcSecurityGroupIds = input.Strings(input.FromTemplate ? templateSecurityGroups : "VpcSecurityGroupIds");
        StorageType = input.String("StorageType");
        DeletionProtection = input.Bool("DeletionProtection");
        CopyTagsToSnapshot = input.Bool("CopyTagsToSnapshot");
        ParameterGroupName = input.String(parameterGroupMember);
        Tags = RdsTag.List(input);
    }
}

/// <summary>A creating request that starts a database of its own (not a replica's copy): its engine, its master user, its backups.</summary>
public abstract record DbCreateWithMasterUserRequest : DbCreateRequest
{
    public required string Engine { get; init; }
    public string? EngineVersion { get; init; }
    public string? MasterUsername { get; init; }
    public string? MasterUserPassword { get; init; }
    public bool? ManageMasterUserPassword { get; init; }
    public string? MasterUserSecretKmsKeyId { get; init; }
    public int? BackupRetentionPeriod { get; init; }

    protected DbCreateWithMasterUserRequest() { }

    [SetsRequiredMembers]
    protected DbCreateWithMasterUserRequest(IInputReader input, string identifier, string parameterGroupMember, string templateSecurityGroups)
        : base(input, identifier, parameterGroupMember, templateSecurityGroups)
    {
        Engine = input.Required("Engine");
        EngineVersion = input.String("EngineVersion");
        MasterUsername = input.String("MasterUsername");
        MasterUserPassword = input.String("MasterUserPassword");
        ManageMasterUserPassword = input.Bool("ManageMasterUserPassword");
        // CloudFormation names the key inside a MasterUserSecret property.
        MasterUserSecretKmsKeyId = input.FromTemplate ? input.Object("MasterUserSecret")?.String("KmsKeyId") : input.String("MasterUserSecretKmsKeyId");
        BackupRetentionPeriod = input.Int("BackupRetentionPeriod");
    }
}

public sealed record CreateInstanceRequest : DbCreateWithMasterUserRequest
{
    public required string InstanceClass { get; init; }
    public string? DbName { get; init; }
    public int? AllocatedStorage { get; init; }
    public bool? PubliclyAccessible { get; init; }
    public bool? MultiAz { get; init; }
    public string? OptionGroupName { get; init; }
    /// <summary>DBClusterIdentifier: the instance joins that Aurora cluster (RdsService.Clusters.cs).</summary>
    public string? ClusterIdentifier { get; init; }
    public int? PromotionTier { get; init; }
    public string? PreferredBackupWindow { get; init; }
    /// <summary>The CA of the instance's server certificate; null for the Region's choice for new instances.</summary>
    public string? CaCertificateIdentifier { get; init; }

    public CreateInstanceRequest() { }

    // CloudFormation names the security groups VPCSecurityGroups.
    [SetsRequiredMembers]
    private CreateInstanceRequest(IInputReader input, string identifier) : base(input, identifier, "DBParameterGroupName", "VPCSecurityGroups")
    {
        InstanceClass = input.Required("DBInstanceClass");
        DbName = input.String("DBName");
        AllocatedStorage = input.Int("AllocatedStorage");
        PubliclyAccessible = input.Bool("PubliclyAccessible");
        MultiAz = input.Bool("MultiAZ");
        OptionGroupName = input.String("OptionGroupName");
        ClusterIdentifier = input.String("DBClusterIdentifier");
        PromotionTier = input.Int("PromotionTier");
        PreferredBackupWindow = input.String("PreferredBackupWindow");
        CaCertificateIdentifier = input.String("CACertificateIdentifier");
    }

    /// <summary>
    /// CreateDBInstance's members, or an AWS::RDS::DBInstance's. The caller supplies the identifier (a template
    /// may leave it to CloudFormation to generate).
    /// </summary>
    public static CreateInstanceRequest Read(IInputReader input, string identifier) => new(input, identifier);
}

/// <summary>What every restore of a DB instance takes for the new instance (from a snapshot, to a point in time).</summary>
public abstract record RestoredInstanceSettings
{
    public required string Identifier { get; init; }
    public string? InstanceClass { get; init; }
    public int? Port { get; init; }
    public bool? PubliclyAccessible { get; init; }
    public string? SubnetGroupName { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public bool? DeletionProtection { get; init; }
    /// <summary>The DB parameter group the restored instance takes; null for its family's default, as RDS restores.</summary>
    public string? ParameterGroupName { get; init; }
    /// <summary>The option group the restored instance takes; null for the snapshot's.</summary>
    public string? OptionGroupName { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];
    /// <summary>RDS makes a new password for the restored instance and keeps it in a secret of its own (rds!db-...).</summary>
    public bool? ManageMasterUserPassword { get; init; }
    public string? MasterUserSecretKmsKeyId { get; init; }
    /// <summary>The CA of the restored instance's server certificate; null for the Region's choice for new instances.</summary>
    public string? CaCertificateIdentifier { get; init; }

    /// <summary>The members both restores read alike, onto <paramref name="request"/>.</summary>
    public static T Read<T>(IInputReader input, T request) where T : RestoredInstanceSettings => request with
    {
        InstanceClass = input.String("DBInstanceClass"),
        Port = input.Int("Port"),
        PubliclyAccessible = input.Bool("PubliclyAccessible"),
        SubnetGroupName = input.String("DBSubnetGroupName"),
        VpcSecurityGroupIds = input.Strings("VpcSecurityGroupIds"),
        DeletionProtection = input.Bool("DeletionProtection"),
        ParameterGroupName = input.String("DBParameterGroupName"),
        OptionGroupName = input.String("OptionGroupName"),
        Tags = RdsTag.List(input),
        ManageMasterUserPassword = input.Bool("ManageMasterUserPassword"),
        MasterUserSecretKmsKeyId = input.String("MasterUserSecretKmsKeyId"),
        CaCertificateIdentifier = input.String("CACertificateIdentifier"),
    };
}

public sealed record RestoreInstanceRequest : RestoredInstanceSettings
{
    public required string SnapshotIdentifier { get; init; }
}

/// <summary>RestoreDBInstanceToPointInTime: the source's automated backup (named one of three ways) and the time.</summary>
public sealed record PointInTimeRestoreRequest : RestoredInstanceSettings
{
    public string? SourceIdentifier { get; init; }
    public string? SourceResourceId { get; init; }
    public string? SourceAutomatedBackupArn { get; init; }
    public DateTimeOffset? RestoreTime { get; init; }
    public bool UseLatestRestorableTime { get; init; }
    public int? BackupRetentionPeriod { get; init; }

    /// <summary>Whether a template's AWS::RDS::DBInstance is a point-in-time restore rather than a read replica or a new instance.</summary>
    public static bool IsAsked(IInputReader input) => input.Has("RestoreTime") || input.Bool("UseLatestRestorableTime") == true
        || input.Has("SourceDbiResourceId") || input.Has("SourceDBInstanceAutomatedBackupsArn");

    /// <summary>RestoreDBInstanceToPointInTime's members, or an AWS::RDS::DBInstance's (whose identifier the caller supplies).</summary>
    public static PointInTimeRestoreRequest Read(IInputReader input, string identifier) => RestoredInstanceSettings.Read(input, new PointInTimeRestoreRequest
    {
        Identifier = identifier,
        SourceIdentifier = input.String("SourceDBInstanceIdentifier"),
        SourceResourceId = input.String("SourceDbiResourceId"),
        SourceAutomatedBackupArn = input.String("SourceDBInstanceAutomatedBackupsArn"),
        RestoreTime = input.Timestamp("RestoreTime"),
        UseLatestRestorableTime = input.Bool("UseLatestRestorableTime") ?? false,
        BackupRetentionPeriod = input.Int("BackupRetentionPeriod"),
    });
}

public sealed record ModifyInstanceRequest : IMasterPasswordChange
{
    public required string Identifier { get; init; }
    public string? MasterUserPassword { get; init; }
    public bool? ManageMasterUserPassword { get; init; }
    public bool? RotateMasterUserPassword { get; init; }
    public string? MasterUserSecretKmsKeyId { get; init; }
    public string? InstanceClass { get; init; }
    public int? AllocatedStorage { get; init; }
    public bool ApplyImmediately { get; init; }
    public int? BackupRetentionPeriod { get; init; }
    public string? PreferredBackupWindow { get; init; }
    public bool? DeletionProtection { get; init; }
    public bool? CopyTagsToSnapshot { get; init; }
    public IReadOnlyList<string>? VpcSecurityGroupIds { get; init; }
    public int? Port { get; init; }
    public string? NewIdentifier { get; init; }
    public string? ParameterGroupName { get; init; }
    public string? OptionGroupName { get; init; }
    public string? CaCertificateIdentifier { get; init; }
    /// <summary>Whether a CA change applied at once restarts the server (true by default, as on RDS).</summary>
    public bool? CertificateRotationRestart { get; init; }

    /// <summary>
    /// ModifyDBInstance's members, or an AWS::RDS::DBInstance's as an update states them. On the wire an
    /// absent member is left as it is; a template states the whole instance, so there an absent member is
    /// its default and a change is applied at once (CloudFormation's update has no maintenance window).
    /// </summary>
    public static ModifyInstanceRequest Read(IInputReader input, string identifier)
    {
        var template = input.FromTemplate;
        return new()
        {
            Identifier = identifier,
            MasterUserPassword = input.String("MasterUserPassword"),
            ManageMasterUserPassword = input.Bool("ManageMasterUserPassword") ?? (template ? false : null),
            RotateMasterUserPassword = template ? null : input.Bool("RotateMasterUserPassword"),
            // CloudFormation names the secret's key MasterUserSecret.KmsKeyId.
            MasterUserSecretKmsKeyId = template ? input.Object("MasterUserSecret")?.String("KmsKeyId") : input.String("MasterUserSecretKmsKeyId"),
            InstanceClass = template ? input.Required("DBInstanceClass") : input.String("DBInstanceClass"),
            AllocatedStorage = input.Int("AllocatedStorage"),
            ApplyImmediately = template || (input.Bool("ApplyImmediately") ?? false),
            BackupRetentionPeriod = input.Int("BackupRetentionPeriod") ?? (template ? 1 : null),
            PreferredBackupWindow = input.String("PreferredBackupWindow"),
            DeletionProtection = input.Bool("DeletionProtection") ?? (template ? false : null),
            CopyTagsToSnapshot = input.Bool("CopyTagsToSnapshot") ?? (template ? false : null),
            // CloudFormation names these VPCSecurityGroups and Port.
            VpcSecurityGroupIds = template ? input.Strings("VPCSecurityGroups")
                : input.Has("VpcSecurityGroupIds") ? input.Strings("VpcSecurityGroupIds") : null,
            Port = template ? input.Int("Port") ?? RdsRules.DefaultPort(input.String("Engine") ?? "mysql") : input.Int("DBPortNumber"),
            NewIdentifier = template ? null : input.String("NewDBInstanceIdentifier"),
            ParameterGroupName = input.String("DBParameterGroupName"),
            OptionGroupName = input.String("OptionGroupName"),
            CaCertificateIdentifier = input.String("CACertificateIdentifier"),
            CertificateRotationRestart = input.Bool("CertificateRotationRestart"),
        };
    }

    /// <summary>Only what differs from <paramref name="previous"/>: a template update modifies the members it changed.</summary>
    public ModifyInstanceRequest ChangedFrom(ModifyInstanceRequest previous) => this with
    {
        MasterUserPassword = MasterUserPassword == previous.MasterUserPassword ? null : MasterUserPassword,
        ManageMasterUserPassword = ManageMasterUserPassword == previous.ManageMasterUserPassword ? null : ManageMasterUserPassword,
        MasterUserSecretKmsKeyId = MasterUserSecretKmsKeyId == previous.MasterUserSecretKmsKeyId ? null : MasterUserSecretKmsKeyId,
        InstanceClass = InstanceClass == previous.InstanceClass ? null : InstanceClass,
        AllocatedStorage = AllocatedStorage == previous.AllocatedStorage ? null : AllocatedStorage,
        BackupRetentionPeriod = BackupRetentionPeriod == previous.BackupRetentionPeriod ? null : BackupRetentionPeriod,
        PreferredBackupWindow = PreferredBackupWindow == previous.PreferredBackupWindow ? null : PreferredBackupWindow,
        DeletionProtection = DeletionProtection == previous.DeletionProtection ? null : DeletionProtection,
        CopyTagsToSnapshot = CopyTagsToSnapshot == previous.CopyTagsToSnapshot ? null : CopyTagsToSnapshot,
        VpcSecurityGroupIds = (VpcSecurityGroupIds ?? []).SequenceEqual(previous.VpcSecurityGroupIds ?? []) ? null : VpcSecurityGroupIds,
        Port = Port == previous.Port ? null : Port,
        ParameterGroupName = ParameterGroupName == previous.ParameterGroupName ? null : ParameterGroupName,
        OptionGroupName = OptionGroupName == previous.OptionGroupName ? null : OptionGroupName,
        CaCertificateIdentifier = CaCertificateIdentifier == previous.CaCertificateIdentifier ? null : CaCertificateIdentifier,
    };
}

/// <summary>ModifyDBInstance's and ModifyDBCluster's master password members, which RDS treats alike for both.</summary>
public interface IMasterPasswordChange
{
    string? MasterUserPassword { get; }
    bool? ManageMasterUserPassword { get; }
    bool? RotateMasterUserPassword { get; }
    string? MasterUserSecretKmsKeyId { get; }
    bool ApplyImmediately { get; }
}

public sealed record RdsFilter(string Name, IReadOnlyList<string> Values);
