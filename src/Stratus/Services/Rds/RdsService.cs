using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Ec2;
using Stratus.Services.Iam;
using Stratus.Services.Rds.Engine;
using Stratus.Services.SecretsManager;

namespace Stratus.Services.Rds;

/// <summary>
/// RDS's domain: DB instances backed by real MariaDB and PostgreSQL servers, their snapshots and events. Requests
/// change the recorded state at once (creating, rebooting, ...) and the engine work runs in the
/// background, one operation per instance at a time, ending in available (or failed, with an event).
/// </summary>
public sealed partial class RdsService : IDisposable, ISecretOwner
{
    private const int MaxEvents = 2000;
    private const int MaxRestartsPerWindow = 5;
    private static readonly TimeSpan RestartWindow = TimeSpan.FromMinutes(10);

    private static readonly HashSet<string> RunningStates = new(StringComparer.Ordinal)
        { "available", "rebooting", "modifying", "renaming", "starting", "backing-up", "resetting-master-credentials" };

    private readonly ResourceTable<DbInstance> _instances;
    private readonly ResourceTable<DbSnapshot> _snapshots;
    private readonly ResourceTable<DbInstanceAutomatedBackup> _automatedBackups;
    private readonly SnapshotShelf<DbSnapshot> _instanceSnapshotShelf;
    private readonly ResourceTable<RdsEvent> _events;
    private readonly ResourceTable<DbSubnetGroup> _subnetGroups;
    private readonly IVpcNetwork _network;
    private readonly DbFleet? _fleet;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _operationLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<DateTimeOffset>> _restarts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly RdsMasterUserSecrets _masterUserSecrets;
    private readonly SecretsManagerService _secrets;
    private readonly IIamRoles? _roles;

    /// <param name="roles">IAM's roles, which AddRoleToDBCluster looks up; null where RDS is composed without IAM (unit tests), where no role is found.</param>
    public RdsService(StateStore store, TimeProvider clock, IReadOnlyList<IDbEngine> engines, string? dataDir, string stratusHost,
        SecretsManagerService secrets, ILogger logger, IVpcNetwork network, IIamRoles? roles = null)
    {
        _roles = roles;
        _clock = clock;
        _network = network;
        _subnetGroups = new ResourceTable<DbSubnetGroup>(store, "rds.subnetGroups");
        _logger = logger;
        _masterUserSecrets = new RdsMasterUserSecrets(secrets);
        _secrets = secrets;
        secrets.RegisterOwner(RdsMasterUserSecrets.OwningService, this);
        _instances = new ResourceTable<DbInstance>(store, "rds.instances");
        _automatedBackups = new ResourceTable<DbInstanceAutomatedBackup>(store, "rds.automatedBackups");
        _snapshots = new ResourceTable<DbSnapshot>(store, "rds.snapshots");
        _instanceSnapshotShelf = new SnapshotShelf<DbSnapshot>(_snapshots, "DBSnapshotIdentifier", "snapshot", RdsErrors.SnapshotAlreadyExists, Event, "ManualSnapshots");
        _events = new ResourceTable<RdsEvent>(store, "rds.events");
        _parameterGroups = new ResourceTable<DbParameterGroup>(store, "rds.parameterGroups");
        _optionGroups = new ResourceTable<RdsOptionGroup>(store, "rds.optionGroups");
        _subscriptions = new ResourceTable<RdsEventSubscription>(store, "rds.eventSubscriptions");
        _clusters = new ResourceTable<DbCluster>(store, "rds.clusters");
        _clusterSnapshots = new ResourceTable<DbClusterSnapshot>(store, "rds.clusterSnapshots");
        _clusterSnapshotShelf = new SnapshotShelf<DbClusterSnapshot>(_clusterSnapshots, "DBClusterSnapshotIdentifier", "cluster snapshot",
            RdsErrors.ClusterSnapshotAlreadyExists, ClusterSnapshotEvent, "ManualClusterSnapshots");
        _clusterAutomatedBackups = new ResourceTable<DbClusterAutomatedBackup>(store, "rds.clusterAutomatedBackups");
        _backtracks = new ResourceTable<DbClusterBacktrack>(store, "rds.clusterBacktracks");
        _instanceBackupBooks = new(_automatedBackups, _snapshots, SnapshotKey, s => s.InstanceResourceId, () => _fleet);
        _clusterBackupBooks = new(_clusterAutomatedBackups, _clusterSnapshots, ClusterSnapshotKey, s => s.ClusterResourceId, () => _fleet);
        _customEndpoints = new ResourceTable<DbClusterEndpoint>(store, "rds.clusterEndpoints");
        _proxies = new ResourceTable<DbProxy>(store, "rds.proxies");
        _proxyEndpoints = new ResourceTable<DbProxyEndpoint>(store, "rds.proxyEndpoints");
        _blueGreen = new ResourceTable<BlueGreenDeployment>(store, "rds.blueGreenDeployments");
        _globalClusters = new ResourceTable<GlobalCluster>(store, "rds.globalClusters");
        _exportTasks = new ResourceTable<RdsExportTask>(store, "rds.exportTasks");
        _certificateOverrides = new ResourceTable<RdsCertificateOverride>(store, "rds.certificateOverrides");
        RecoverBlueGreen();
        if (engines.Count == 0) return;
        _fleet = new DbFleet(engines, dataDir, stratusHost, logger);
        _fleet.ServerDied += OnServerDied;
        _fleet.IssueCertificate = IssueServerCertificate;
        Recover();
        RecoverClusters();
        RecoverGlobalClusters();
        RecoverProxies();
        StartBackupSchedule();
    }

    /// <summary>The database engines installed on this machine.</summary>
    public IReadOnlyList<IDbEngine> Engines => _fleet?.Engines ?? [];

    public int InstanceCount => _instances.Count;

    /// <summary>Every instance of every account and region, for the console.</summary>
    public IEnumerable<DbInstance> AllInstances() => _instances.Values;

    private DateTimeOffset Now => _clock.GetUtcNow();

    // ---- instances ----

    public DbInstance CreateInstance(Scope scope, CreateInstanceRequest request)
    {
        if (request.ClusterIdentifier is not null) return CreateClusterMember(scope, request);
        var identifier = RdsRules.InstanceIdentifier("DBInstanceIdentifier", request.Identifier);
        RdsRules.Engine(request.Engine);
        var version = EngineVersion(request.Engine, request.EngineVersion);
        RdsRules.InstanceClass(request.InstanceClass, request.Engine, version);
        var storageType = request.StorageType ?? "gp2";
        var storage = request.AllocatedStorage ?? RdsRules.MinStorage;
        RdsRules.Storage(storage, request.Engine, storageType);
        var port = request.Port ?? RdsRules.DefaultPort(request.Engine);
        RdsRules.Port(port);
        RdsRules.MasterUsername(request.MasterUsername, request.Engine);
        var managed = request.ManageMasterUserPassword == true;
        RdsRules.ManagedMasterPassword(managed, request.MasterUserPassword, request.MasterUserSecretKmsKeyId);
        if (!managed) RdsRules.MasterPassword(request.MasterUserPassword, request.Engine);
        RdsRules.DbName(request.DbName, request.Engine);
        RequireQuota(scope, "DBInstances");
        RequireQuota(scope, "AllocatedStorage", storage);
        var retention = RdsRules.BackupRetentionPeriod(request.BackupRetentionPeriod ?? 1);
        var backupWindow = request.PreferredBackupWindow ?? RdsRules.DefaultBackupWindow;
        RdsRules.BackupWindow(backupWindow);
        var subnetGroup = GetSubnetGroup(scope, request.SubnetGroupName);
        var securityGroups = SecurityGroups(scope, request.VpcSecurityGroupIds, subnetGroup.VpcId);
        var engine = RequireEngine(request.Engine);
        var parameterGroup = ResolveInstanceParameterGroup(scope, request.ParameterGroupName, request.Engine, version);
        var optionGroup = ResolveInstanceOptionGroup(scope, request.OptionGroupName, request.Engine, version);
        var fleet = RequireFleet();

        var instance = new DbInstance
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Identifier = identifier,
            ResourceId = NewResourceId("db-"),
            Engine = request.Engine,
            EngineVersion = version,
            InstanceClass = request.InstanceClass,
            AllocatedStorage = storage,
            MasterUsername = request.MasterUsername!,
            DbName = request.DbName,
            Port = port,
            Status = "creating",
            CreateTime = Now,
            AvailabilityZone = FirstZone(subnetGroup),
            PubliclyAccessible = request.PubliclyAccessible ?? false,
            VpcSecurityGroupIds = securityGroups,
            SubnetGroupName = StoredGroupName(subnetGroup),
            StorageType = storageType,
            BackupRetentionPeriod = retention,
            PreferredBackupWindow = backupWindow,
            MultiAz = request.MultiAz ?? false,
            DeletionProtection = request.DeletionProtection ?? false,
            CopyTagsToSnapshot = request.CopyTagsToSnapshot ?? false,
            ParameterGroupName = parameterGroup,
            OptionGroupName = optionGroup,
            Tags = request.Tags,
            CaCertificateIdentifier = NewInstanceCertificate(scope, request.CaCertificateIdentifier),
        };
        if (!_instances.TryAdd(InstanceKey(scope.AccountId, scope.Region, identifier), instance)) throw RdsErrors.InstanceAlreadyExists();

        var user = instance.MasterUsername;
        // ManageMasterUserPassword: RDS makes the password and keeps it only in the secret it creates.
        var password = managed ? RdsMasterUserSecrets.NewPassword() : request.MasterUserPassword!;
        if (managed)
            instance = UpdateInstance(instance, i => i with { MasterUserSecret = _masterUserSecrets.Create(scope, i, password, request.MasterUserSecretKmsKeyId) });
        RunForInstance(instance, "creation", async (current, token) =>
        {
            var server = fleet.Server(current.ResourceId, engine);
            await server.InitializeAsync(token);
            await ApplyGroupParametersAsync(current, token);
            PrepareLogArchive(current);
            var address = await fleet.StartAsync(current.ResourceId, engine, null, current.Port, current.PubliclyAccessible, token);
            await server.CreateMasterUserAsync(user, password, current.DbName, token);
            await ApplyGroupParametersAsync(current, token);
            server.MarkInitialized();
            var started = UpdateInstance(current, i => i with { Address = address });
            await FirstAutomatedBackupAsync(started, token);
            Become(started, "available");
            Event(current, "DB instance created", "creation");
        });
        return instance;
    }

    public DbInstance GetInstance(Scope scope, string identifier) =>
        _instances.Get(InstanceKey(scope.AccountId, scope.Region, NameFromArn(identifier, "db"))) ?? throw RdsErrors.InstanceNotFound(identifier);

    public RdsPage<DbInstance> DescribeInstances(Scope scope, string? identifier, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords) =>
        DescribePage(scope, _instances.Values, id => GetInstance(scope, id), identifier, null, filters, (name, values) => name switch
        {
            "db-instance-id" => i => values.Contains(i.Identifier) || values.Contains(i.Arn),
            "engine" => i => values.Contains(i.Engine),
            "dbi-resource-id" => i => values.Contains(i.ResourceId),
            "db-cluster-id" => i => i.ClusterIdentifier is not null && values.Contains(i.ClusterIdentifier),
            "domain" => _ => false,
            _ => null,
        }, marker, maxRecords);

    public async Task<DbInstance> ModifyInstanceAsync(Scope scope, ModifyInstanceRequest request)
    {
        var instance = GetInstance(scope, request.Identifier);
        if (request.InstanceClass is not null) RdsRules.InstanceClass(request.InstanceClass, instance.Engine, instance.EngineVersion);
        if (request.AllocatedStorage is { } storage)
        {
            RdsRules.Storage(storage, instance.Engine, instance.StorageType);
            if (storage < instance.AllocatedStorage)
                throw RdsErrors.InvalidValue($"Invalid storage size: allocated storage can't be reduced from {instance.AllocatedStorage} to {storage}.");
            RequireQuota(scope, "AllocatedStorage", storage - Math.Max(instance.AllocatedStorage, instance.Pending?.AllocatedStorage ?? 0));
        }
        var manage = CheckMasterPasswordChange(instance, request);
        if (request.Port is { } newPort) RdsRules.Port(newPort);
        if (request.BackupRetentionPeriod is { } days && RdsRules.BackupRetentionPeriod(days) == 0 && ReplicaInstancesOf(instance).Any())
            throw RdsErrors.RetentionNeededByReplicas(instance.Identifier);
        if (request.PreferredBackupWindow is { } window) RdsRules.BackupWindow(window);
        if (request.VpcSecurityGroupIds is { Count: > 0 } newGroups) SecurityGroups(scope, newGroups, SubnetGroupOf(instance).VpcId);
        var newName = NewInstanceName(instance, request.NewIdentifier);
        if (request.CertificateRotationRestart == false && request.CaCertificateIdentifier is null) throw RdsErrors.RotationRestartWithoutCertificate();
        var newAuthority = request.CaCertificateIdentifier is { } authority && RequireCertificateKind(authority).Identifier != instance.CertificateAuthority ? authority : null;
        if (instance.Status != "available")
            throw RdsErrors.InvalidInstanceState($"Database instance is not in available state.");
        var newParameterGroup = request.ParameterGroupName is { } groupName ? ResolveInstanceParameterGroup(scope, groupName, instance.Engine, instance.EngineVersion) : null;
        var newOptionGroup = request.OptionGroupName is { } optionGroupName ? ResolveInstanceOptionGroup(scope, optionGroupName, instance.Engine, instance.EngineVersion) : null;

        instance = await ApplyMasterPasswordChangeAsync(scope, instance, request, manage, i => i,
            (i, secret) => UpdateInstance(i, current => current with { MasterUserSecret = secret }));

        var changesResources = request.InstanceClass is not null || request.AllocatedStorage is not null;
        var updated = UpdateInstance(instance, i =>
        {
            var next = i with
            {
                BackupRetentionPeriod = request.BackupRetentionPeriod ?? i.BackupRetentionPeriod,
                PreferredBackupWindow = request.PreferredBackupWindow ?? i.PreferredBackupWindow,
                DeletionProtection = request.DeletionProtection ?? i.DeletionProtection,
                CopyTagsToSnapshot = request.CopyTagsToSnapshot ?? i.CopyTagsToSnapshot,
                VpcSecurityGroupIds = request.VpcSecurityGroupIds is { Count: > 0 } groups ? groups : i.VpcSecurityGroupIds,
                OptionGroupName = request.OptionGroupName is null ? i.OptionGroupName : newOptionGroup,
            };
            // As RDS: another parameter group takes effect at the next reboot, whatever ApplyImmediately says.
            if (request.ParameterGroupName is not null && newParameterGroup != i.ParameterGroupName)
                next = next with { ParameterGroupName = newParameterGroup, ParameterApplyStatus = "pending-reboot" };
            if (changesResources)
                next = request.ApplyImmediately
                    ? next with
                    {
                        InstanceClass = request.InstanceClass ?? i.InstanceClass, AllocatedStorage = request.AllocatedStorage ?? i.AllocatedStorage,
                        Pending = i.Pending is { CaCertificateIdentifier: not null } or { DbInstanceIdentifier: not null } ? i.Pending with { InstanceClass = null, AllocatedStorage = null } : null,
                    }
                    : next with { Pending = (i.Pending ?? new RdsPendingChanges(null, null)) with { InstanceClass = request.InstanceClass ?? i.Pending?.InstanceClass, AllocatedStorage = request.AllocatedStorage ?? i.Pending?.AllocatedStorage } };
            // A new CA applies at once with ApplyImmediately, else at the next reboot (Stratus's stand-in for RDS's maintenance window).
            if (newAuthority is not null)
                next = request.ApplyImmediately
                    ? next with { CaCertificateIdentifier = newAuthority, Pending = next.Pending is { } p ? p with { CaCertificateIdentifier = null } : null }
                    : next with { Pending = (next.Pending ?? new RdsPendingChanges(null, null)) with { CaCertificateIdentifier = newAuthority } };
            // As RDS: a rename without ApplyImmediately waits (PendingModifiedValues) for the next reboot, Stratus's maintenance window.
            if (newName is not null && !request.ApplyImmediately)
                next = next with { Pending = (next.Pending ?? new RdsPendingChanges(null, null)) with { DbInstanceIdentifier = newName } };
            return next;
        });
        if (changesResources && request.ApplyImmediately) Event(updated, "Applied change to DB instance class and storage", "configuration change");
        ChangeBackupRetention(instance, updated);
        if (newName is not null && request.ApplyImmediately)
        {
            // A port change restarts the server anyway, which is the reboot RDS does for a rename; the rename's restart
            // also serves a new CA's certificate.
            if (request.Port is { } movedPort && movedPort != updated.Port) return MovePort(MoveInstance(updated, newName, updated.Status), movedPort);
            return RenameInstance(updated, newName);
        }
        // A port change restarts the server, which then serves a certificate of the new CA too.
        if (request.Port is { } port && port != updated.Port) return MovePort(updated, port);
        if (newAuthority is not null && request.ApplyImmediately) return RotateCertificate(updated, request.CertificateRotationRestart ?? true);
        return updated;
    }

    private async Task SetMasterPasswordAsync(DbInstance instance, string password)
    {
        var gate = OperationLock(instance.ResourceId);
        await gate.WaitAsync();
        try
        {
            await Server(instance).SetMasterPasswordAsync(instance.MasterUsername, password, _shutdown.Token);
        }
        finally
        {
            gate.Release();
        }
        Event(instance, "Reset master credentials", "configuration change");
    }

    /// <summary>RotateSecret on a master user secret (or ModifyDBInstance RotateMasterUserPassword): the new password set in MariaDB before it becomes AWSCURRENT.</summary>
    async Task ISecretOwner.ApplyRotationAsync(Scope scope, Secret secret, string newSecretString, CancellationToken cancellation)
    {
        var instance = _instances.Values.FirstOrDefault(i => i.AccountId == scope.AccountId && i.Region == scope.Region && i.MasterUserSecret?.SecretArn == secret.Arn);
        if (instance is null)
        {
            // An Aurora cluster's secret: the writer takes the new password and the readers replicate it.
            var cluster = _clusters.Values.FirstOrDefault(c => c.AccountId == scope.AccountId && c.Region == scope.Region && c.MasterUserSecret?.SecretArn == secret.Arn)
                ?? throw RdsErrors.MasterUserSecretOrphaned();
            if (cluster.Status != "available") throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is not in the available state (it is {cluster.Status}).");
            await SetMasterPasswordAsync(PasswordWriter(cluster), RdsMasterUserSecrets.Password(newSecretString));
            return;
        }
        if (instance.Status != "available") throw RdsErrors.InvalidInstanceState("Database instance is not in available state.");
        await SetMasterPasswordAsync(instance, RdsMasterUserSecrets.Password(newSecretString));
    }

    string ISecretOwner.RotatedValue(string currentSecretString) =>
        RdsMasterUserSecrets.SecretString(
            JsonNode.Parse(currentSecretString)?["username"]?.GetValue<string>() ?? throw RdsErrors.MasterUserSecretLacks("username"),
            RdsMasterUserSecrets.NewPassword());

    /// <summary>A port change restarts the server on the new port, as RDS does, whatever ApplyImmediately says.</summary>
    private DbInstance MovePort(DbInstance instance, int port)
    {
        var modifying = Transition(instance.AccountId, instance.Region, instance.Identifier, "available", "modifying",
            i => $"Database instance is not in available state.");
        RunForInstance(modifying, "port change", async (current, token) =>
        {
            await RequireFleet().StopAsync(current.ResourceId);
            await StartServerAsync(UpdateInstance(current, i => i with { Port = port }), token);
            Event(current, $"Changed the database port to {port}", "configuration change");
        });
        return modifying;
    }

    public DbInstance RebootInstance(Scope scope, string identifier)
    {
        // A rename left for the maintenance window is applied by the reboot, Stratus's stand-in for that window.
        if (GetInstance(scope, identifier) is { Status: "available", Pending.DbInstanceIdentifier: { } pendingName } renamed)
            identifier = MoveInstance(renamed, pendingName, renamed.Status).Identifier;
        // A failed instance may be rebooted too: that is how a server that kept crashing gets another try.
        var instance = Transition(scope.AccountId, scope.Region, identifier, ["available", "failed"], "rebooting",
            i => $"Instance {i.Identifier} is not in available state (it is {i.Status}).");
        RunForInstance(instance, "reboot", async (current, token) =>
        {
            _restarts.TryRemove(current.ResourceId, out _);
            await RequireFleet().StopAsync(current.ResourceId);
            var restarted = current.Pending is { } pending
                ? UpdateInstance(current, i => i with
                {
                    InstanceClass = pending.InstanceClass ?? i.InstanceClass, AllocatedStorage = pending.AllocatedStorage ?? i.AllocatedStorage,
                    CaCertificateIdentifier = pending.CaCertificateIdentifier ?? i.CaCertificateIdentifier, Pending = null,
                })
                : current;
            await StartServerAsync(restarted, token);
            Event(restarted, "DB instance restarted", "availability");
        });
        return instance;
    }

    public DbInstance StopInstance(Scope scope, string identifier, string? snapshotIdentifier)
    {
        var existing = GetInstance(scope, identifier);
        RefuseForClusterMember(existing, "StopDBInstance");
        RefuseStopOfReplication(existing);
        DbSnapshot? snapshot = null;
        if (snapshotIdentifier is not null)
        {
            if (existing.Status != "available") throw CannotStop(existing);
            snapshot = AddSnapshot(existing, snapshotIdentifier, existing.Tags);
        }
        DbInstance instance;
        try
        {
            instance = Transition(scope.AccountId, scope.Region, identifier, "available", "stopping", CannotStopMessage);
        }
        catch
        {
            if (snapshot is not null) _snapshots.Remove(SnapshotKey(snapshot));
            throw;
        }
        RunForInstance(instance, "stop", async (current, token) =>
        {
            await ArchiveBeforeStopAsync(current, token);
            await RequireFleet().StopAsync(current.ResourceId);
            await ArchiveAfterStopAsync(current, token);
            if (snapshot is not null) CopyToSnapshot(current, snapshot);
            Become(current, "stopped");
            Event(current, "DB instance stopped", "notification");
        });
        return instance;
    }

    public DbInstance StartInstance(Scope scope, string identifier)
    {
        RefuseForClusterMember(GetInstance(scope, identifier), "StartDBInstance");
        var instance = Transition(scope.AccountId, scope.Region, identifier, "stopped", "starting",
            i => $"Instance {i.Identifier} is not stopped, cannot be started.");
        RunForInstance(instance, "start", async (current, token) =>
        {
            await StartServerAsync(current, token);
            Event(current, "DB instance started", "notification");
        });
        return instance;
    }

    public DbInstance DeleteInstance(Scope scope, string identifier, bool skipFinalSnapshot, string? finalSnapshotIdentifier, bool deleteAutomatedBackups = true)
    {
        var existing = GetInstance(scope, identifier);
        if (existing.ClusterIdentifier is not null) return DeleteClusterMember(scope, existing, finalSnapshotIdentifier);
        if (skipFinalSnapshot && finalSnapshotIdentifier is not null)
            throw RdsErrors.InvalidCombination("Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.");
        if (!skipFinalSnapshot && finalSnapshotIdentifier is null)
            throw RdsErrors.InvalidCombination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
        if (existing.DeletionProtection)
            throw RdsErrors.InvalidCombination("Cannot delete protected DB Instance, please disable deletion protection and try again.");
        if (existing.Status == "deleting") throw RdsErrors.InvalidInstanceState($"Instance {existing.Identifier} is already being deleted.");
        if (finalSnapshotIdentifier is not null && existing.Status is not ("available" or "stopped"))
            throw RdsErrors.InvalidInstanceState($"Instance {existing.Identifier} is currently {existing.Status} - a final snapshot cannot be taken.");

        var snapshot = finalSnapshotIdentifier is null ? null : AddSnapshot(existing, finalSnapshotIdentifier, existing.Tags);
        var instance = UpdateInstance(existing, i => i.Status == "deleting"
            ? throw RdsErrors.InvalidInstanceState($"Instance {i.Identifier} is already being deleted.")
            : i with { Status = "deleting" });
        PromoteReplicasOf(instance);
        // Kept (retained) from now on, so that a deletion finished after a restart of Stratus keeps them too.
        if (!deleteAutomatedBackups)
            _automatedBackups.Update(AutomatedBackupKey(instance.AccountId, instance.Region, instance.ResourceId), b => b with { Status = "retained" });
        RunForInstance(instance, "deletion", async (current, token) =>
        {
            await ArchiveBeforeStopAsync(current, token);
            await RequireFleet().StopAsync(current.ResourceId);
            await ArchiveAfterStopAsync(current, token);
            if (snapshot is not null) CopyToSnapshot(current, snapshot);
            // As RDS, the master user secret it manages goes with the instance.
            if (current.MasterUserSecret is { } secret) _masterUserSecrets.Delete(scope, secret);
            await FinishDeletionAsync(current);
        }, removesInstance: true);
        return instance;
    }

    // ---- snapshots ----

    public DbSnapshot CreateSnapshot(Scope scope, string snapshotIdentifier, string instanceIdentifier, IReadOnlyList<RdsTag> tags)
    {
        var id = RdsRules.SnapshotIdentifier("DBSnapshotIdentifier", snapshotIdentifier);
        var existing = GetInstance(scope, instanceIdentifier);
        RefuseForClusterMember(existing, "CreateDBSnapshot");
        if (existing.Status != "available")
            throw RdsErrors.InvalidInstanceState($"Cannot create a snapshot because the database instance {existing.Identifier} is not currently in the available state.");
        var snapshot = AddSnapshot(existing, id, existing.CopyTagsToSnapshot && tags.Count == 0 ? existing.Tags : tags);
        DbInstance instance;
        try
        {
            instance = Transition(scope.AccountId, scope.Region, instanceIdentifier, "available", "backing-up",
                i => $"Cannot create a snapshot because the database instance {i.Identifier} is not currently in the available state.");
        }
        catch
        {
            _snapshots.Remove(SnapshotKey(snapshot));
            throw;
        }
        // Taken from the running server, which keeps serving (status backing-up meanwhile), as RDS's CreateDBSnapshot; a copy
        // that fails while the server runs leaves the snapshot failed, not the instance.
        RunForInstance(instance, "snapshot", async (current, token) =>
        {
            try
            {
                await CopyServerToSnapshotAsync(current, RequireFleet().SnapshotDataDir(snapshot.ResourceId), token);
                FinishSnapshot(_instanceSnapshotShelf, snapshot);
            }
            catch (Exception e) when (e is not OperationCanceledException && Server(current).IsRunning)
            {
                _snapshots.Update(SnapshotKey(snapshot), s => s with { Status = "failed" });
                Event(current, $"The snapshot {snapshot.Identifier} failed: {e.Message}", "backup");
            }
            Become(current, "available");
        });
        return snapshot;
    }

    public DbSnapshot GetSnapshot(Scope scope, string identifier) =>
        _snapshots.Get(SnapshotKey(scope.AccountId, scope.Region, NameFromArn(identifier, "snapshot"))) ?? throw RdsErrors.SnapshotNotFound(identifier);

    public RdsPage<DbSnapshot> DescribeSnapshots(Scope scope, string? instanceIdentifier, string? snapshotIdentifier,
        SnapshotListing listing, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords) =>
        SnapshotPage(scope, _snapshots.Values, id => GetSnapshot(scope, id), snapshotIdentifier,
            instanceIdentifier is null ? null : s => s.InstanceIdentifier == NameFromArn(instanceIdentifier, "db"),
            listing, filters, (name, values) => name switch
            {
                "db-instance-id" => s => values.Contains(s.InstanceIdentifier),
                "db-snapshot-id" => s => values.Contains(s.Identifier),
                "dbi-resource-id" => s => values.Contains(s.InstanceResourceId),
                _ => null,
            }, marker, maxRecords);

    /// <summary>
    /// DescribeDBSnapshots and DescribeDBClusterSnapshots alike: the one snapshot named, else the snapshots of the scope's
    /// Region that <paramref name="listing"/> lists for its account (its own, and others' shared with it or public when asked;
    /// of one source when asked) under the filters both take (snapshot-type, engine) and each one's own, one page of them.
    /// </summary>
    private static RdsPage<T> SnapshotPage<T>(Scope scope, IEnumerable<T> snapshots, Func<string, T> get, string? snapshotIdentifier,
        Func<T, bool>? ofSource, SnapshotListing listing, IReadOnlyList<RdsFilter> filters,
        Func<string, IReadOnlySet<string>, Func<T, bool>?> ownFilter, string? marker, int? maxRecords) where T : RdsSnapshot
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (snapshotIdentifier is not null) return new RdsPage<T>([get(snapshotIdentifier)], null);
        var listed = snapshots.Where(s => s.Region == scope.Region && listing.Lists(scope.AccountId, s) && (ofSource is null || ofSource(s)));
        return FilteredPage(listed, filters, (name, values) => name switch
        {
            "snapshot-type" => s => values.Contains(SnapshotListing.TypeFor(scope.AccountId, s)),
            "engine" => s => values.Contains(s.Engine),
            _ => ownFilter(name, values),
        }, s => s.Identifier, marker, max);
    }

    public DbSnapshot DeleteSnapshot(Scope scope, string identifier)
    {
        var snapshot = GetSnapshot(scope, identifier);
        if (snapshot.SnapshotType == "automated") throw RdsErrors.AutomatedSnapshotNotDeletable();
        if (snapshot.Status == "creating")
            throw RdsErrors.InvalidSnapshotState($"Cannot delete the snapshot {snapshot.Identifier} because it is still being created.");
        _snapshots.Remove(SnapshotKey(snapshot));
        _fleet?.DeleteSnapshotData(snapshot.ResourceId);
        Event(snapshot, "Deleted manual snapshot", "deletion");
        return snapshot with { Status = "deleted" };
    }

    public DbInstance RestoreFromSnapshot(Scope scope, RestoreInstanceRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("DBInstanceIdentifier", request.Identifier);
        var snapshot = RestorableSnapshot(scope, request.SnapshotIdentifier);
        if (snapshot.Status != "available")
            throw RdsErrors.InvalidSnapshotState($"Snapshot {snapshot.Identifier} is not in available state.");
        var (instance, managedPassword) = AddRestoredInstance(scope, identifier, request, snapshot, null);
        RunForInstance(instance, "restore", async (current, token) =>
        {
            var server = Server(current);
            DbFleet.CopyDirectory(RequireFleet().SnapshotDataDir(snapshot.ResourceId), server.DataDir);
            server.MarkInitialized();
            await StartServerAsync(current, token, t => FinishRestoreAsync(current, managedPassword, t));
            Event(current, $"Restored from snapshot {snapshot.Identifier}", "restoration");
        });
        return instance;
    }

    /// <summary>
    /// The record of an instance restored from <paramref name="snapshot"/> (from a snapshot, or to a point in time from an
    /// automated one), added as creating: the request's class, port, placement, parameter group and flags over what comes
    /// with the data. With ManageMasterUserPassword the restored instance gets a password of its own, kept in its own secret
    /// (the snapshot's password is no longer the master's), set by <see cref="FinishRestoreAsync"/> before it is available.
    /// </summary>
    private (DbInstance Instance, string? ManagedPassword) AddRestoredInstance(Scope scope, string identifier, RestoredInstanceSettings request,
        DbSnapshot snapshot, int? backupRetentionPeriod)
    {
        var instanceClass = request.InstanceClass ?? snapshot.InstanceClass;
        RdsRules.InstanceClass(instanceClass, snapshot.Engine, snapshot.EngineVersion);
        var port = request.Port ?? snapshot.Port;
        RdsRules.Port(port);
        var subnetGroup = GetSubnetGroup(scope, request.SubnetGroupName);
        var securityGroups = SecurityGroups(scope, request.VpcSecurityGroupIds, subnetGroup.VpcId);
        RequireEngine(snapshot.Engine);
        var parameterGroup = ResolveInstanceParameterGroup(scope, request.ParameterGroupName, snapshot.Engine, snapshot.EngineVersion);
        // The snapshot's option group (ModifyDBSnapshot may have named it) while it exists, unless another is asked for; another
        // account's is not the caller's.
        var snapshotOptionGroup = snapshot.AccountId == scope.AccountId && snapshot.OptionGroupName is { } own
            && _optionGroups.Get(OptionGroupKey(scope, own)) is not null ? own : null;
        var optionGroup = ResolveInstanceOptionGroup(scope, request.OptionGroupName ?? snapshotOptionGroup, snapshot.Engine, snapshot.EngineVersion);
        var managed = request.ManageMasterUserPassword == true;
        RdsRules.ManagedMasterPassword(managed, null, request.MasterUserSecretKmsKeyId);
        RequireFleet();

        var instance = InstanceFrom(scope, identifier, snapshot, instanceClass, port, snapshot.StorageType, subnetGroup, securityGroups,
            subnetGroup.Subnets.Any(s => s.AvailabilityZone == snapshot.AvailabilityZone) ? snapshot.AvailabilityZone : FirstZone(subnetGroup)) with
        {
            PubliclyAccessible = request.PubliclyAccessible ?? false,
            DeletionProtection = request.DeletionProtection ?? false,
            ParameterGroupName = parameterGroup,
            OptionGroupName = optionGroup,
            Tags = request.Tags.Count > 0 ? request.Tags : OwnTags(scope, snapshot),
            CaCertificateIdentifier = NewInstanceCertificate(scope, request.CaCertificateIdentifier),
        };
        RequireQuota(scope, "DBInstances");
        RequireQuota(scope, "AllocatedStorage", snapshot.AllocatedStorage);
        if (backupRetentionPeriod is { } days) instance = instance with { BackupRetentionPeriod = days };
        if (!_instances.TryAdd(InstanceKey(scope.AccountId, scope.Region, identifier), instance)) throw RdsErrors.InstanceAlreadyExists();
        var managedPassword = managed ? RdsMasterUserSecrets.NewPassword() : null;
        if (managedPassword is not null)
            instance = UpdateInstance(instance, i => i with { MasterUserSecret = _masterUserSecrets.Create(scope, i, managedPassword, request.MasterUserSecretKmsKeyId) });
        return (instance, managedPassword);
    }

    /// <summary>A restored server's last steps before it is available: its managed password, and its first automated backup.</summary>
    private async Task FinishRestoreAsync(DbInstance instance, string? managedPassword, CancellationToken token)
    {
        if (managedPassword is not null) await Server(instance).SetMasterPasswordAsync(instance.MasterUsername, managedPassword, token);
        await FirstAutomatedBackupAsync(instance, token);
    }

    // ---- subnet groups ----

    public DbSubnetGroup CreateSubnetGroup(Scope scope, string name, string? description, IReadOnlyList<string> subnetIds, IReadOnlyList<RdsTag> tags)
    {
        var key = SubnetGroupKey(scope, RdsRules.SubnetGroupName(name));
        if (name.Equals(RdsDefaultNetwork.SubnetGroupName, StringComparison.OrdinalIgnoreCase)) throw RdsErrors.DefaultSubnetGroupReserved();
        if (subnetIds.Count > MaxSubnetsPerGroup) throw RdsErrors.SubnetsPerGroupExceeded(MaxSubnetsPerGroup);
        var (vpcId, subnets) = ResolveSubnets(scope, subnetIds);
        var group = new DbSubnetGroup
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = name.ToLowerInvariant(),
            Description = description ?? throw RdsErrors.InvalidValue("The parameter DBSubnetGroupDescription must be provided and must not be blank."),
            VpcId = vpcId,
            Subnets = subnets,
            Tags = tags,
        };
        RequireQuota(scope, "DBSubnetGroups");
        if (!_subnetGroups.TryAdd(key, group)) throw RdsErrors.SubnetGroupAlreadyExists(group.Name);
        return group;
    }

    public DbSubnetGroup ModifySubnetGroup(Scope scope, string name, string? description, IReadOnlyList<string> subnetIds)
    {
        var existing = GetSubnetGroup(scope, name);
        if (existing.Name == RdsDefaultNetwork.SubnetGroupName) throw RdsErrors.DefaultSubnetGroupReserved();
        if (subnetIds.Count > MaxSubnetsPerGroup) throw RdsErrors.SubnetsPerGroupExceeded(MaxSubnetsPerGroup);
        var (vpcId, subnets) = ResolveSubnets(scope, subnetIds);
        // As RDS: an instance's subnet group cannot move to another VPC under it.
        if (vpcId != existing.VpcId && InstancesIn(scope, existing.Name).FirstOrDefault() is { } user)
            throw RdsErrors.SubnetGroupInUse(existing.Name, user.Identifier);
        return _subnetGroups.Update(SubnetGroupKey(scope, existing.Name), g => g with { Description = description ?? g.Description, VpcId = vpcId, Subnets = subnets })
            ?? throw RdsErrors.SubnetGroupNotFound(name);
    }

    public void DeleteSubnetGroup(Scope scope, string name)
    {
        var group = GetSubnetGroup(scope, name);
        if (group.Name == RdsDefaultNetwork.SubnetGroupName)
            throw RdsErrors.DefaultSubnetGroupNotDeletable();
        if (InstancesIn(scope, group.Name).FirstOrDefault() is { } user) throw RdsErrors.SubnetGroupInUse(group.Name, user.Identifier);
        _subnetGroups.Remove(SubnetGroupKey(scope, group.Name));
    }

    public RdsPage<DbSubnetGroup> DescribeSubnetGroups(Scope scope, string? name, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (name is not null) return new RdsPage<DbSubnetGroup>([GetSubnetGroup(scope, name)], null);
        var groups = _subnetGroups.Values.Where(g => g.AccountId == scope.AccountId && g.Region == scope.Region)
            .Append(GetSubnetGroup(scope, null)).OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        return Page(groups, g => g.Name, marker, max);
    }

    /// <summary>A named group, or (for null or "default") the default VPC's default subnets, as RDS shows its default group.</summary>
    public DbSubnetGroup GetSubnetGroup(Scope scope, string? name)
    {
        if (name is null || name.Equals(RdsDefaultNetwork.SubnetGroupName, StringComparison.OrdinalIgnoreCase))
        {
            var network = _network.Default(scope);
            return new DbSubnetGroup
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                Name = RdsDefaultNetwork.SubnetGroupName,
                Description = "default",
                VpcId = network.Vpc.VpcId,
                Subnets = network.Subnets.Select(s => new DbSubnet(s.SubnetId, s.AvailabilityZone)).ToList(),
            };
        }
        return _subnetGroups.Get(SubnetGroupKey(scope, name.ToLowerInvariant())) ?? throw RdsErrors.SubnetGroupNotFound(name);
    }

    public DbSubnetGroup SubnetGroupOf(DbInstance instance) => GetSubnetGroup(Scope.Of(instance.AccountId, instance.Region), instance.SubnetGroupName);

    /// <summary>The VPC a snapshot's instance was in; snapshots from before VPCs were recorded were in the default VPC.</summary>
    public string VpcOf(DbSnapshot snapshot) => snapshot.VpcId ?? _network.Default(Scope.Of(snapshot.AccountId, snapshot.Region)).Vpc.VpcId;

    /// <summary>
    /// The subnets as EC2 knows them: every one must exist, all in one VPC, covering at least two Availability
    /// Zones (RDS's rule even for a Single-AZ instance, so it can move the instance if a zone fails).
    /// </summary>
    private (string VpcId, IReadOnlyList<DbSubnet> Subnets) ResolveSubnets(Scope scope, IReadOnlyList<string> subnetIds)
    {
        if (subnetIds.Count == 0) throw RdsErrors.SubnetIdsRequired();
        var found = subnetIds.Distinct(StringComparer.Ordinal).Select(id => (Id: id, Subnet: _network.FindSubnet(scope, id))).ToList();
        if (found.Where(f => f.Subnet is null).Select(f => f.Id).ToList() is { Count: > 0 } missing) throw RdsErrors.SubnetsInvalid(missing);
        var subnets = found.Select(f => f.Subnet!).ToList();
        if (subnets.Select(s => s.VpcId).Distinct().ToList() is { Count: > 1 } vpcs) throw RdsErrors.SubnetsInDifferentVpcs(vpcs);
        var zones = subnets.Select(s => s.AvailabilityZone).Distinct().Order(StringComparer.Ordinal).ToList();
        if (zones.Count < 2) throw RdsErrors.SubnetGroupDoesNotCoverEnoughAZs(zones);
        return (subnets[0].VpcId, subnets.Select(s => new DbSubnet(s.SubnetId, s.AvailabilityZone)).ToList());
    }

    private IEnumerable<DbInstance> InstancesIn(Scope scope, string groupName) =>
        _instances.Values.Where(i => i.AccountId == scope.AccountId && i.Region == scope.Region && i.SubnetGroupName == groupName);

    private static string SubnetGroupKey(Scope scope, string name) => ResourceTable<DbSubnetGroup>.Key(scope.AccountId, scope.Region, name);

    // ---- tags ----

    public IReadOnlyList<RdsTag> ListTags(Scope scope, string resourceName) => Resource(scope, resourceName) switch
    {
        DbInstance i => i.Tags,
        DbSnapshot s => s.Tags,
        DbCluster c => c.Tags,
        DbClusterSnapshot s => s.Tags,
        DbClusterEndpoint e => e.Tags,
        DbProxy p => p.Tags,
        DbProxyEndpoint e => e.Tags,
        BlueGreenDeployment d => d.Tags,
        _ => [],
    };

    public void AddTags(Scope scope, string resourceName, IReadOnlyList<RdsTag> tags) =>
        ChangeTags(scope, resourceName, current => current.Where(t => tags.All(n => n.Key != t.Key)).Concat(tags).ToList());

    public void RemoveTags(Scope scope, string resourceName, IReadOnlyCollection<string> keys) =>
        ChangeTags(scope, resourceName, current => current.Where(t => !keys.Contains(t.Key)).ToList());

    private void ChangeTags(Scope scope, string resourceName, Func<IReadOnlyList<RdsTag>, IReadOnlyList<RdsTag>> change)
    {
        switch (Resource(scope, resourceName))
        {
            case DbInstance instance:
                UpdateInstance(instance, i => i with { Tags = change(i.Tags) });
                break;
            case DbSnapshot snapshot:
                _snapshots.Update(SnapshotKey(snapshot), s => s with { Tags = change(s.Tags) });
                break;
            case DbCluster cluster:
                UpdateCluster(cluster, c => c with { Tags = change(c.Tags) });
                break;
            case DbClusterSnapshot clusterSnapshot:
                _clusterSnapshots.Update(ClusterSnapshotKey(clusterSnapshot), s => s with { Tags = change(s.Tags) });
                break;
            case DbClusterEndpoint endpoint:
                ChangeCustomEndpointTags(endpoint, change);
                break;
            case DbProxy proxy:
                ChangeProxyTags(proxy, change);
                break;
            case DbProxyEndpoint proxyEndpoint:
                ChangeProxyEndpointTags(proxyEndpoint, change);
                break;
            case BlueGreenDeployment deployment:
                UpdateBlueGreen(deployment, d => d with { Tags = change(d.Tags) });
                break;
        }
    }

    private object Resource(Scope scope, string arn)
    {
        var parts = arn.Split(':', 7);
        if (parts.Length != 7 || parts[0] != "arn" || parts[2] != "rds")
            throw RdsErrors.InvalidValue($"The specified resource name does not match an RDS resource in this region.");
        return parts[5] switch
        {
            "db" => (object?)_instances.Get(InstanceKey(scope.AccountId, scope.Region, parts[6])) ?? throw RdsErrors.InstanceNotFound(parts[6]),
            "snapshot" => (object?)_snapshots.Get(SnapshotKey(scope.AccountId, scope.Region, parts[6])) ?? throw RdsErrors.SnapshotNotFound(parts[6]),
            "cluster" => (object?)_clusters.Get(ClusterKey(scope.AccountId, scope.Region, parts[6])) ?? throw RdsErrors.ClusterNotFound(parts[6]),
            "cluster-snapshot" => (object?)_clusterSnapshots.Get(ClusterSnapshotKey(scope.AccountId, scope.Region, parts[6])) ?? throw RdsErrors.ClusterSnapshotNotFound(parts[6]),
            "cluster-endpoint" => (object?)CustomEndpointByName(scope, parts[6]) ?? throw RdsErrors.ClusterEndpointNotFound(parts[6]),
            "db-proxy" => (object?)ProxyByArnName(scope, parts[6]) ?? throw RdsErrors.ProxyNotFound(parts[6]),
            "db-proxy-endpoint" => (object?)ProxyEndpointByArnName(scope, parts[6]) ?? throw RdsErrors.ProxyEndpointNotFound(parts[6]),
            "deployment" => (object?)BlueGreenByArnName(scope, parts[6]) ?? throw RdsErrors.BlueGreenNotFound(parts[6]),
            _ => throw RdsErrors.InvalidValue($"The specified resource name does not match an RDS resource in this region."),
        };
    }

    // ---- events ----

    public RdsPage<RdsEvent> DescribeEvents(Scope scope, string? sourceIdentifier, string? sourceType,
        DateTimeOffset? startTime, DateTimeOffset? endTime, int? durationMinutes, IReadOnlyList<string> categories, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (sourceIdentifier is not null && sourceType is null)
            throw RdsErrors.InvalidCombination("Cannot specify source identifier without source type");
        var end = endTime ?? Now;
        var start = startTime ?? end.AddMinutes(-(durationMinutes ?? 60));
        var matches = _events.Values
            .Where(e => e.AccountId == scope.AccountId && e.Region == scope.Region && e.Date >= start && e.Date <= end)
            .Where(e => sourceType is null || e.SourceType == sourceType)
            .Where(e => sourceIdentifier is null || e.SourceIdentifier == sourceIdentifier.ToLowerInvariant())
            .Where(e => categories.Count == 0 || e.Categories.Any(categories.Contains))
            .OrderBy(e => e.Date)
            .ToList();
        var offset = marker is not null && int.TryParse(marker, out var m) && m >= 0 ? m : 0;
        var page = matches.Skip(offset).Take(max).ToList();
        return new RdsPage<RdsEvent>(page, offset + max < matches.Count ? (offset + max).ToString() : null);
    }

    // ---- engine work ----

    /// <summary>
    /// Work on one resource (an instance, a cluster, a proxy) after the request returns: one operation per resource at a time (its
    /// operation lock), tracked so that shutdown waits for it. A failure is logged and handed to <paramref name="onFailure"/>; work
    /// cut short by shutdown is not a failure.
    /// </summary>
    private void RunInBackground(string resourceId, string description, Func<CancellationToken, Task> work, Func<Exception, Task> onFailure)
    {
        var token = _shutdown.Token;
        var task = Task.Run(async () =>
        {
            var gate = OperationLock(resourceId);
            await gate.WaitAsync(token);
            try
            {
                await work(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _logger.LogError(e, "RDS {What} failed", description);
                await onFailure(e);
            }
            finally
            {
                gate.Release();
            }
        }, CancellationToken.None);
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>Runs an instance's engine work after the request returns, one operation per instance at a time.</summary>
    private void RunForInstance(DbInstance instance, string what, Func<DbInstance, CancellationToken, Task> work, bool removesInstance = false)
    {
        // By resource id: a rename moves the record's key, not the instance.
        DbInstance? Current() => InstanceByResourceId(instance.ResourceId);
        RunInBackground(instance.ResourceId, $"{what} of {instance.Identifier}",
            token => Current() is { } current ? work(current, token) : Task.CompletedTask,
            async e =>
            {
                if (removesInstance || Current() is not { } failed) return;
                await RequireFleet().StopAsync(failed.ResourceId);
                Become(failed, "failed");
                Event(failed, $"The {what} of the DB instance failed: {e.Message}", "failure");
            });
    }

    /// <summary>Starts the server on the instance's address (a new one if that is taken) and marks it available.</summary>
    private async Task StartServerAsync(DbInstance instance, CancellationToken token, Func<CancellationToken, Task>? beforeAvailable = null)
    {
        PlaceClusterLogArchive(instance);
        await ApplyGroupParametersAsync(instance, token);
        PrepareLogArchive(instance);
        var address = await RequireFleet().StartAsync(instance.ResourceId, RequireEngine(instance.Engine), instance.Address, instance.Port, instance.PubliclyAccessible, token);
        if (instance.Address is not null && address != instance.Address)
            Event(instance, $"The endpoint moved from {instance.Address} to {address} because {instance.Address}:{instance.Port} was taken", "notification");
        await ApplyGroupParametersAsync(instance, token);
        if (beforeAvailable is not null)
        {
            // Recorded before the last steps, which may restart the server (a first automated backup): it comes back there.
            UpdateInstance(instance, i => i with { Address = address });
            await beforeAvailable(token);
            address = _instances.Get(InstanceKey(instance.AccountId, instance.Region, instance.Identifier))?.Address ?? address;
        }
        // The server now runs with its group's parameters, whatever was pending.
        Become(instance, "available", i => i with { Address = address, ParameterApplyStatus = null, ClusterParameterApplyStatus = null });
    }

    private void OnServerDied(string resourceId, int exitCode)
    {
        if (_shutdown.IsCancellationRequested) return;
        var instance = _instances.Values.FirstOrDefault(i => i.ResourceId == resourceId);
        if (instance is null || instance.Status != "available") return;
        var recent = _restarts.GetOrAdd(resourceId, _ => []);
        bool tooMany;
        lock (recent)
        {
            recent.RemoveAll(t => t < Now - RestartWindow);
            recent.Add(Now);
            tooMany = recent.Count > MaxRestartsPerWindow;
        }
        if (tooMany)
        {
            Become(instance, "failed");
            Event(instance, $"The database process exited unexpectedly (exit code {exitCode}) more than {MaxRestartsPerWindow} times within {RestartWindow.TotalMinutes} minutes; it is not restarted again. Reboot the DB instance to try again.", "failure");
            return;
        }
        Event(instance, $"The database process exited unexpectedly (exit code {exitCode}); restarting it.", "failure");
        Become(instance, "rebooting");
        RunForInstance(instance, "recovery", async (current, token) =>
        {
            await StartServerAsync(current, token);
            Event(current, "DB instance restarted", "availability");
        });
    }

    /// <summary>
    /// After a restart of Stratus: stop servers a killed Stratus left behind, then bring back what was
    /// running, and settle what was half done when Stratus stopped.
    /// </summary>
    private void Recover()
    {
        var fleet = _fleet!;
        foreach (var instance in _instances.Values)
            if (instance.Address is not null) fleet.Reserve(instance.ResourceId, instance.Address);
        foreach (var snapshot in _snapshots.Values.Where(s => s.Status == "creating"))
            _snapshots.Update(SnapshotKey(snapshot), s => s with { Status = "failed" });

        var toStart = new List<DbInstance>();
        var toDelete = new List<DbInstance>();
        foreach (var instance in _instances.Values.ToList())
        {
            // An instance whose engine is no longer installed stays as it is, refused when used, rather than failed.
            if (fleet.EngineFor(instance.Engine) is not { } engine) continue;
            var initialized = fleet.Server(instance.ResourceId, engine).IsInitialized;
            if (RunningStates.Contains(instance.Status) || (instance.Status == "creating" && initialized))
                toStart.Add(Become(instance, "starting"));
            else if (instance.Status == "creating")
            {
                Become(instance, "failed");
                Event(instance, "The creation of the DB instance was interrupted when Stratus stopped.", "failure");
            }
            else if (instance.Status == "stopping") Become(instance, "stopped");
            else if (instance.Status == "deleting") toDelete.Add(instance);
        }

        var token = _shutdown.Token;
        var orphansStopped = Task.Run(() => fleet.StopOrphansAsync(), token);
        foreach (var instance in toStart)
            RunForInstance(instance, "restart", async (current, t) =>
            {
                await orphansStopped;
                await StartServerAsync(current, t);
                Event(current, "DB instance restarted", "availability");
            });
        foreach (var instance in toDelete)
            RunForInstance(instance, "deletion", async (current, _) =>
            {
                await orphansStopped;
                await FinishDeletionAsync(current);
            }, removesInstance: true);
    }

    private async Task FinishDeletionAsync(DbInstance instance)
    {
        await RequireFleet().DestroyAsync(instance.ResourceId);
        if (AutomatedBackupOf(instance) is not { Status: "retained" }) DeleteAutomatedBackups(instance.AccountId, instance.Region, instance.ResourceId);
        _instances.Remove(InstanceKey(instance.AccountId, instance.Region, instance.Identifier));
        ForgetEndpointMember(instance);
        _operationLocks.TryRemove(instance.ResourceId, out _);
        _restarts.TryRemove(instance.ResourceId, out _);
        Event(instance, "DB instance deleted", "deletion");
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        try
        {
            Task.WaitAll(_background.Keys.ToArray(), TimeSpan.FromSeconds(20));
        }
        catch (AggregateException)
        {
        }
        CloseAllEndpoints();
        CloseAllProxyListeners();
        _fleet?.StopAllAsync().GetAwaiter().GetResult();
        _shutdown.Dispose();
    }

    // ---- helpers ----

    private DbSnapshot AddSnapshot(DbInstance instance, string snapshotIdentifier, IReadOnlyList<RdsTag> tags) =>
        AddSnapshot(_instanceSnapshotShelf, snapshotIdentifier, (id, resourceId) => new DbSnapshot(instance, id, resourceId, Now, SubnetGroupOf(instance).VpcId, tags));

    /// <summary>Copies a stopped server's data directory into the snapshot and marks it available.</summary>
    private void CopyToSnapshot(DbInstance instance, DbSnapshot snapshot) => FillSnapshot(_instanceSnapshotShelf, snapshot, Server(instance).DataDir);

    private DbInstance Transition(string accountId, string region, string identifier, string from, string to, Func<DbInstance, string> refusal) =>
        Transition(accountId, region, identifier, [from], to, refusal);

    private DbInstance Transition(string accountId, string region, string identifier, IReadOnlyCollection<string> from, string to, Func<DbInstance, string> refusal)
    {
        var instance = GetInstance(Scope.Of(accountId, region), identifier);
        return UpdateInstance(instance, i => from.Contains(i.Status) ? i with { Status = to } : throw RdsErrors.InvalidInstanceState(refusal(i)));
    }

    private static string CannotStopMessage(DbInstance i) => $"Instance {i.Identifier} cannot be stopped as it is not in available state (it is {i.Status}).";

    private static AwsException CannotStop(DbInstance i) => RdsErrors.InvalidInstanceState(CannotStopMessage(i));

    /// <summary>Moves an instance to a status after engine work, unless it has since been marked for deletion.</summary>
    private DbInstance Become(DbInstance instance, string status, Func<DbInstance, DbInstance>? change = null)
    {
        var result = UpdateInstance(instance, i => i.Status == "deleting" && status != "deleting" ? i : (change?.Invoke(i) ?? i) with { Status = status });
        if (result.Status == "available") SampleSoon(result);
        return result;
    }

    private DbInstance UpdateInstance(DbInstance instance, Func<DbInstance, DbInstance> change) =>
        _instances.Update(InstanceKey(instance.AccountId, instance.Region, instance.Identifier), change)
        ?? throw RdsErrors.InstanceNotFound(instance.Identifier);

    private void Event(DbInstance instance, string message, string category) =>
        AddEvent(instance.AccountId, instance.Region, instance.Identifier, "db-instance", instance.Arn, message, category);

    private void Event(DbSnapshot snapshot, string message, string category) =>
        AddEvent(snapshot.AccountId, snapshot.Region, snapshot.Identifier, "db-snapshot", snapshot.Arn, message, category);

    private void AddEvent(string accountId, string region, string sourceId, string sourceType, string arn, string message, string category)
    {
        var date = Now;
        _events.Put(ResourceTable<RdsEvent>.Key(accountId, region, date.UtcTicks.ToString("D20"), Guid.NewGuid().ToString("N")), new RdsEvent
        {
            AccountId = accountId,
            Region = region,
            SourceIdentifier = sourceId,
            SourceType = sourceType,
            SourceArn = arn,
            Message = message,
            Categories = [category],
            Date = date,
        });
        if (_events.Count > MaxEvents)
            foreach (var old in _events.Entries.OrderBy(e => e.Value.Date).Take(_events.Count - MaxEvents).Select(e => e.Key).ToList())
                _events.Remove(old);
    }

    private SemaphoreSlim OperationLock(string resourceId) => _operationLocks.GetOrAdd(resourceId, _ => new SemaphoreSlim(1, 1));

    private DbFleet RequireFleet() => _fleet ?? throw RdsErrors.NoDatabaseServer("MariaDB or PostgreSQL", $"{MariaDbInstallation.InstallHint} or {PostgresInstallation.Hint}");

    /// <summary>The installed engine serving an RDS engine name, or the refusal naming the package to install.</summary>
    private IDbEngine RequireEngine(string rdsEngine) => _fleet?.EngineFor(rdsEngine) ?? (RdsRules.IsPostgres(rdsEngine)
        ? throw RdsErrors.NoDatabaseServer("PostgreSQL", PostgresInstallation.Hint)
        : throw RdsErrors.NoDatabaseServer("MariaDB or MySQL", MariaDbInstallation.InstallHint));

    private IDbServer Server(DbInstance instance) => RequireFleet().Server(instance.ResourceId, RequireEngine(instance.Engine));

    /// <summary>Applies a parameter set to an instance's server (dynamic ones at once, static ones at its next start).</summary>
    public Task ApplyParametersAsync(DbInstance instance, IReadOnlyList<DbParameter> parameters, CancellationToken cancellation) =>
        Server(instance).ApplyParametersAsync(parameters, cancellation);

    public string EngineVersion(string engine, string? requested)
    {
        var versions = EngineVersions(engine);
        if (requested is null) return versions[0];
        return versions.FirstOrDefault(v => v == requested || v.StartsWith(requested + ".", StringComparison.Ordinal))
            ?? throw RdsErrors.InvalidCombination($"Cannot find version {requested} for {engine}");
    }

    /// <summary>
    /// What each engine reports: MySQL 8.0 compatibility for mysql, the installed server's own version for mariadb and
    /// postgres. PostgreSQL's is only known when it is installed: without it, postgres has no version to offer.
    /// </summary>
    public IReadOnlyList<string> EngineVersions(string engine) => engine switch
    {
        "mysql" => ["8.0.40"],
        "mariadb" => [_fleet?.EngineFor("mariadb")?.Version is { } v && v != "unknown" ? v : "10.11.10"],
        "postgres" or "aurora-postgresql" => _fleet?.EngineFor("postgres")?.Version is { } v ? [v] : [],
        "aurora-mysql" => [AuroraMySqlVersion],
        _ => [],
    };

    /// <summary>
    /// The VPC security groups an instance gets: those asked for, each of which must exist in EC2 and be in
    /// the subnet group's VPC, or the VPC's default group, as RDS assigns it.
    /// </summary>
    private IReadOnlyList<string> SecurityGroups(Scope scope, IReadOnlyList<string> requested, string vpcId)
    {
        foreach (var id in requested)
        {
            var group = _network.FindSecurityGroup(scope, id) ?? throw RdsErrors.SecurityGroupNotFound(id);
            if (group.VpcId != vpcId) throw RdsErrors.SecurityGroupInOtherVpc(vpcId, group.VpcId);
        }
        return requested.Count > 0 ? requested.Distinct(StringComparer.Ordinal).ToList() : [_network.DefaultSecurityGroupOf(scope, vpcId)];
    }

    private static string FirstZone(DbSubnetGroup group) => group.Subnets.Select(s => s.AvailabilityZone).Order(StringComparer.Ordinal).First();

    private static string? StoredGroupName(DbSubnetGroup group) => group.Name == RdsDefaultNetwork.SubnetGroupName ? null : group.Name;

    /// <summary>
    /// The record of a new instance made of existing data (a read replica of its source, an instance restored from a
    /// snapshot): engine, version, storage size, master user and database come with the data, placement and class are
    /// the request's; the caller adds the request's other settings. Created, not yet stored.
    /// </summary>
    private DbInstance InstanceFrom(Scope scope, string identifier, IDbInstanceOrigin origin, string instanceClass, int port,
        string storageType, DbSubnetGroup subnetGroup, IReadOnlyList<string> securityGroups, string availabilityZone) => new()
    {
        AccountId = scope.AccountId,
        Region = scope.Region,
        Identifier = identifier,
        ResourceId = NewResourceId("db-"),
        Engine = origin.Engine,
        EngineVersion = origin.EngineVersion,
        InstanceClass = instanceClass,
        AllocatedStorage = origin.AllocatedStorage,
        MasterUsername = origin.MasterUsername,
        DbName = origin.DbName,
        Port = port,
        Status = "creating",
        CreateTime = Now,
        AvailabilityZone = availabilityZone,
        VpcSecurityGroupIds = securityGroups,
        SubnetGroupName = StoredGroupName(subnetGroup),
        StorageType = storageType,
    };

    /// <summary>
    /// A Describe call of RDS: the one resource named (its own NotFound when it is not there), else the scope's resources that
    /// <paramref name="keep"/> keeps (all when null) and every filter keeps, one page of them in identifier order.
    /// </summary>
    private static RdsPage<T> DescribePage<T>(Scope scope, IEnumerable<T> all, Func<string, T> get, string? identifier, Func<T, bool>? keep,
        IReadOnlyList<RdsFilter> filters, Func<string, IReadOnlySet<string>, Func<T, bool>?> keeps, string? marker, int? maxRecords) where T : IRdsListed
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (identifier is not null) return new RdsPage<T>([get(identifier)], null);
        var matches = all.Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region);
        if (keep is not null) matches = matches.Where(keep);
        return FilteredPage(matches, filters, keeps, r => r.Identifier, marker, max);
    }

    /// <summary>
    /// The items every filter keeps, then one page of them in identifier order, as RDS lists. <paramref name="keeps"/> says,
    /// for a filter's name and values, which items it keeps: null for a name the listing does not know, which RDS refuses.
    /// </summary>
    private static RdsPage<T> FilteredPage<T>(IEnumerable<T> items, IReadOnlyList<RdsFilter> filters,
        Func<string, IReadOnlySet<string>, Func<T, bool>?> keeps, Func<T, string> identifier, string? marker, int max)
    {
        foreach (var filter in filters)
        {
            var keep = keeps(filter.Name, filter.Values.ToHashSet(StringComparer.Ordinal))
                ?? throw RdsErrors.InvalidValue($"Unrecognized filter name: {filter.Name}");
            items = items.Where(keep);
        }
        return Page(items.OrderBy(identifier, StringComparer.Ordinal).ToList(), identifier, marker, max);
    }

    private static RdsPage<T> Page<T>(IReadOnlyList<T> sorted, Func<T, string> key, string? marker, int max)
    {
        var start = marker is null ? sorted : sorted.SkipWhile(item => string.CompareOrdinal(key(item), marker) < 0).ToList();
        var page = start.Take(max).ToList();
        return new RdsPage<T>(page, start.Count > max ? key(start[max]) : null);
    }

    /// <summary>RDS accepts a name or its ARN wherever it asks for an identifier; names are case-insensitive.</summary>
    private static string NameFromArn(string value, string kind)
    {
        var prefix = ":" + kind + ":";
        if (value.StartsWith("arn:", StringComparison.Ordinal) && value.IndexOf(prefix, StringComparison.Ordinal) is var at and > 0)
            return value[(at + prefix.Length)..].ToLowerInvariant();
        return value.ToLowerInvariant();
    }

    private static string InstanceKey(string accountId, string region, string identifier) => ResourceTable<DbInstance>.Key(accountId, region, identifier);

    private static string SnapshotKey(string accountId, string region, string identifier) => ResourceTable<DbSnapshot>.Key(accountId, region, identifier);

    private static string SnapshotKey(DbSnapshot s) => SnapshotKey(s.AccountId, s.Region, s.Identifier);

    private static string NewResourceId(string prefix)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        return prefix + new string(RandomNumberGenerator.GetItems<char>(alphabet, 26));
    }
}
