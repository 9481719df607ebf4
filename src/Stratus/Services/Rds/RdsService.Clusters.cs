using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Aurora DB clusters (aurora-mysql on MariaDB, aurora-postgresql on PostgreSQL). The cluster volume is made at
/// CreateDBCluster (a data directory with the master user, in the cluster's own home); the first instance takes it
/// over as the writer, later ones are readers replicating from the writer for real, made as read replicas are
/// (<see cref="IDbServer.StartReplicatingFromAsync"/>).
/// The writer and reader endpoints are loopback listeners of their own that forward each connection to the writer, or to
/// the readers in turn; FailoverDBCluster promotes a reader and the writer endpoint follows. Cluster work runs in the
/// background one operation per cluster at a time, as instance work does per instance.
/// </summary>
public sealed partial class RdsService
{
    public static readonly IReadOnlyList<string> ClusterEngines = ["aurora-mysql", "aurora-postgresql"];

    /// <summary>The MySQL 8.0-compatible Aurora version Stratus reports (its servers are MariaDB, as for mysql).</summary>
    private const string AuroraMySqlVersion = "8.0.mysql_aurora.3.08.0";

    private static readonly HashSet<string> ClusterStatesWithRunningServers = new(StringComparer.Ordinal)
        { "available", "backing-up", "failing-over", "modifying", "promoting", "starting" };

    private readonly ResourceTable<DbCluster> _clusters;
    private readonly ResourceTable<DbClusterSnapshot> _clusterSnapshots;
    private readonly SnapshotShelf<DbClusterSnapshot> _clusterSnapshotShelf;
    private readonly ConcurrentDictionary<string, (TcpForwarder Writer, TcpForwarder Reader)> _clusterEndpoints = new(StringComparer.Ordinal);
    private int _readerTurn;

    /// <summary>Every cluster of every account and region, for the console.</summary>
    public IEnumerable<DbCluster> AllClusters() => _clusters.Values;

    /// <summary>Aurora's parameter group families for the engines installed here (aurora-mysql8.0, aurora-postgresql15).</summary>
    private IReadOnlyList<string> AuroraFamilies() =>
        ClusterEngines.SelectMany(e => EngineVersions(e).Select(v => Family(e, v))).ToList();

    // ---- clusters ----

    public DbCluster CreateCluster(Scope scope, CreateClusterRequest request)
    {
        if (ReplicationSourceFor(scope, request) is { } replicationSource) return CreateReplicaCluster(scope, request, replicationSource);
        var identifier = RdsRules.InstanceIdentifier("DBClusterIdentifier", request.Identifier);
        ClusterEngine(request.Engine);
        if (request.EngineMode is not null and not "provisioned")
            throw RdsErrors.InvalidValue($"The engine mode {request.EngineMode} you requested is not supported. Stratus serves provisioned Aurora clusters (with Serverless v2 instances).");
        var version = EngineVersion(request.Engine, request.EngineVersion);
        var port = request.Port ?? RdsRules.DefaultPort(request.Engine);
        RdsRules.Port(port);
        RdsRules.MasterUsername(request.MasterUsername, request.Engine);
        var managed = request.ManageMasterUserPassword == true;
        RdsRules.ManagedMasterPassword(managed, request.MasterUserPassword, request.MasterUserSecretKmsKeyId);
        if (!managed) RdsRules.MasterPassword(request.MasterUserPassword, request.Engine);
        RdsRules.DbName(request.DatabaseName, request.Engine);
        if (request.StorageType is not null and not ("aurora" or "aurora-iopt1"))
            throw RdsErrors.InvalidValue($"Invalid storage type for Aurora DB clusters: {request.StorageType}. Valid values are aurora and aurora-iopt1.");
        CheckScaling(request.ServerlessV2Scaling);
        var retention = RdsRules.ClusterBackupRetentionPeriod(request.BackupRetentionPeriod ?? 1);
        var backupWindow = request.PreferredBackupWindow ?? RdsRules.DefaultBackupWindow;
        RdsRules.BackupWindow(backupWindow);
        var engine = RequireEngine(request.Engine);
        var fleet = RequireFleet();
        var cluster = AddCluster(scope, new ClusterSettings(identifier, request.Engine, version, request.MasterUsername!, request.DatabaseName, port,
            request.SubnetGroupName, request.VpcSecurityGroupIds, request.ParameterGroupName, request.ServerlessV2Scaling,
            retention, backupWindow, request.DeletionProtection ?? false, request.CopyTagsToSnapshot ?? false, request.Tags, request.BacktrackWindow));

        var user = cluster.MasterUsername;
        // ManageMasterUserPassword: RDS makes the password and keeps it only in the secret it creates, as for instances.
        var password = managed ? RdsMasterUserSecrets.NewPassword() : request.MasterUserPassword!;
        if (managed) cluster = UpdateCluster(cluster, c => c with { MasterUserSecret = _masterUserSecrets.Create(scope, c, password, request.MasterUserSecretKmsKeyId) });
        if (request.EnableHttpEndpoint == true) cluster = UpdateCluster(cluster, c => c with { HttpEndpointEnabled = true });
        // The first cluster of an empty global cluster is its primary.
        if (request.GlobalClusterIdentifier is { } global) cluster = UpdateCluster(cluster, c => c with { GlobalClusterIdentifier = GetGlobalCluster(scope, global).Identifier });
        RunForCluster(cluster, "creation", async (current, token) =>
        {
            // The cluster volume: a server started once to make the master user and its database, then stopped until a writer takes it.
            var volume = fleet.Server(current.ResourceId, engine);
            await volume.InitializeAsync(token);
            var address = await fleet.StartAsync(current.ResourceId, engine, null, current.Port, false, token);
            try
            {
                // As on Aurora MySQL, readers refuse the master user's writes: each reader takes READ_ONLY ADMIN from it, as read replicas do.
                await volume.CreateMasterUserAsync(user, password, current.DatabaseName, token);
            }
            finally
            {
                await fleet.StopAsync(current.ResourceId);
            }
            volume.MarkInitialized();
            // As Aurora, the first automated backup is taken at creation: of the volume, which every writer's log then continues.
            await TakeAutomatedClusterSnapshotAsync(current, token);
            OpenEndpoints(current, address);
            BecomeCluster(current, "available");
            ClusterEvent(current, "DB cluster created", "creation");
        });
        return cluster;
    }

    public DbCluster GetCluster(Scope scope, string identifier) =>
        _clusters.Get(ClusterKey(scope.AccountId, scope.Region, NameFromArn(identifier, "cluster"))) ?? throw RdsErrors.ClusterNotFound(identifier);

    public RdsPage<DbCluster> DescribeClusters(Scope scope, string? identifier, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords) =>
        DescribePage(scope, _clusters.Values, id => GetCluster(scope, id), identifier, null, filters, (name, values) => name switch
        {
            "db-cluster-id" => c => values.Contains(c.Identifier) || values.Contains(c.Arn),
            "engine" => c => values.Contains(c.Engine),
            "db-cluster-resource-id" => c => values.Contains(c.ResourceId),
            "clone-group-id" or "domain" => _ => false,
            _ => null,
        }, marker, maxRecords);

    /// <summary>The cluster's instances, the writer first.</summary>
    public IReadOnlyList<DbInstance> ClusterMembers(DbCluster cluster) => _instances.Values
        .Where(i => i.AccountId == cluster.AccountId && i.Region == cluster.Region && i.ClusterIdentifier == cluster.Identifier)
        .OrderBy(i => i.Identifier == cluster.WriterIdentifier ? 0 : 1).ThenBy(i => i.Identifier, StringComparer.Ordinal).ToList();

    public async Task<DbCluster> ModifyClusterAsync(Scope scope, ModifyClusterRequest request)
    {
        var cluster = GetCluster(scope, request.Identifier);
        if (request.Port is { } port && port != cluster.Port)
            throw RdsErrors.InvalidCombination("Stratus does not change the port of a DB cluster; restore a snapshot of it with the new port.");
        var manage = CheckMasterPasswordChange(cluster, request);
        CheckScaling(request.ServerlessV2Scaling);
        if (request.BackupRetentionPeriod is { } retention) RdsRules.ClusterBackupRetentionPeriod(retention);
        if (request.PreferredBackupWindow is { } backupWindow) RdsRules.BackupWindow(backupWindow);
        if (request.BacktrackWindow is { } backtrackWindow)
        {
            RdsRules.BacktrackWindow(backtrackWindow, cluster.Engine, cluster.EngineVersion);
            // As on Aurora, a window changes backtracking that is on (0 turns it off for good); it cannot turn it on.
            if (backtrackWindow > 0 && cluster.BacktrackWindow is not > 0) throw RdsErrors.BacktrackCannotBeEnabled();
        }
        if (cluster.Status != "available") throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is not in the available state (it is {cluster.Status}).");
        var newName = NewClusterName(cluster, request.NewIdentifier);
        var parameterGroup = request.ParameterGroupName is { } name ? ResolveClusterParameterGroup(scope, name, cluster.Engine, cluster.EngineVersion) : cluster.ParameterGroupName;
        if (request.ServerlessV2Scaling is null && cluster.ServerlessV2Scaling is null && ClusterMembers(cluster).Any(m => m.InstanceClass == ServerlessInstanceClass))
            throw RdsErrors.InvalidCombination("The cluster has Serverless v2 instances, so it needs its ServerlessV2ScalingConfiguration.");

        cluster = await ApplyMasterPasswordChangeAsync(scope, cluster, request, manage, PasswordWriter,
            (c, secret) => UpdateCluster(c, current => current with { MasterUserSecret = secret }));
        if (parameterGroup != cluster.ParameterGroupName)
        {
            // A new cluster parameter group is in force in each member from its next reboot, as RDS reports with pending-reboot.
            foreach (var member in ClusterMembers(cluster)) UpdateInstance(member, i => i with { ClusterParameterApplyStatus = "pending-reboot" });
        }
        var updated = UpdateCluster(cluster, c => c with
        {
            BackupRetentionPeriod = request.BackupRetentionPeriod ?? c.BackupRetentionPeriod,
            PreferredBackupWindow = request.PreferredBackupWindow ?? c.PreferredBackupWindow,
            DeletionProtection = request.DeletionProtection ?? c.DeletionProtection,
            CopyTagsToSnapshot = request.CopyTagsToSnapshot ?? c.CopyTagsToSnapshot,
            ParameterGroupName = parameterGroup,
            ServerlessV2Scaling = request.ServerlessV2Scaling ?? c.ServerlessV2Scaling,
            // AWS documents ModifyDBCluster's EnableHttpEndpoint for Serverless v1 clusters, the only kind it once served; every cluster here is
            // provisioned and serves the Data API, so the member switches it as EnableHttpEndpoint and DisableHttpEndpoint do.
            HttpEndpointEnabled = request.EnableHttpEndpoint ?? c.HttpEndpointEnabled,
            // 0 turns backtracking off where it was on; a cluster that never had it stays without.
            BacktrackWindow = c.BacktrackWindow is null ? null : request.BacktrackWindow ?? c.BacktrackWindow,
        });
        if (AutomatedBackupOf(updated) is not null) KeepClusterAutomatedBackups(updated);
        ClusterEvent(updated, "DB cluster modified", "configuration change");
        return newName is null ? updated : RenameCluster(updated, newName);
    }

    public DbCluster DeleteCluster(Scope scope, string identifier, bool skipFinalSnapshot, string? finalSnapshotIdentifier, bool deleteAutomatedBackups = true)
    {
        var existing = GetCluster(scope, identifier);
        RefuseDeletionInGlobalCluster(existing);
        if (skipFinalSnapshot && finalSnapshotIdentifier is not null)
            throw RdsErrors.InvalidCombination("Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.");
        if (!skipFinalSnapshot && finalSnapshotIdentifier is null)
            throw RdsErrors.InvalidCombination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
        if (existing.DeletionProtection)
            throw RdsErrors.InvalidCombination("Cannot delete protected Cluster, please disable deletion protection and try again.");
        if (ClusterMembers(existing).Any(m => m.Status != "deleting"))
            throw RdsErrors.InvalidClusterState("Cluster cannot be deleted, it still contains DB instances in non-deleting state.");
        if (existing.Status is not ("available" or "stopped" or "failed"))
            throw RdsErrors.InvalidClusterState($"DB cluster {existing.Identifier} is {existing.Status}; it can be deleted when available, stopped or failed.");
        if (finalSnapshotIdentifier is not null && existing.Status == "failed")
            throw RdsErrors.InvalidClusterState($"DB cluster {existing.Identifier} failed, so a final snapshot cannot be taken.");

        var snapshot = finalSnapshotIdentifier is null ? null : AddClusterSnapshot(existing, finalSnapshotIdentifier, existing.Tags);
        var cluster = UpdateCluster(existing, c => c.Status == "deleting"
            ? throw RdsErrors.InvalidClusterState($"DB cluster {c.Identifier} is already being deleted.")
            : c with { Status = "deleting" });
        // Kept (retained) from now on, so that a deletion finished after a restart of Stratus keeps them too.
        if (!deleteAutomatedBackups)
            _clusterAutomatedBackups.Update(ClusterAutomatedBackupKey(cluster.AccountId, cluster.Region, cluster.ResourceId), b => b with { Status = "retained" });
        RunForCluster(cluster, "deletion", async (current, _) =>
        {
            // Member deletions asked for before this one ran first (same turn order), so the volume is back in the cluster's home.
            if (snapshot is not null) CopyToClusterSnapshot(current, snapshot);
            await FinishClusterDeletionAsync(current);
        }, removesCluster: true);
        return cluster;
    }

    public DbCluster StopCluster(Scope scope, string identifier)
    {
        var cluster = TransitionCluster(scope, identifier, "available", "stopping",
            c => $"DbCluster {c.Identifier} is in {c.Status} state but expected it to be one of available.");
        foreach (var member in ClusterMembers(cluster)) UpdateInstance(member, i => i with { Status = "stopping" });
        RunForCluster(cluster, "stop", async (current, token) =>
        {
            CloseEndpoints(current);
            // Readers first, so they never see their writer gone while they still run.
            foreach (var member in ClusterMembers(current).Reverse())
            {
                if (member.Identifier == current.WriterIdentifier) await StopClusterWriterAsync(current, member, token);
                else await RequireFleet().StopAsync(member.ResourceId);
                Become(member, "stopped");
            }
            BecomeCluster(current, "stopped");
            ClusterEvent(current, "DB cluster stopped", "notification");
        });
        return cluster;
    }

    public DbCluster StartCluster(Scope scope, string identifier)
    {
        var cluster = TransitionCluster(scope, identifier, "stopped", "starting",
            c => $"DbCluster {c.Identifier} is in {c.Status} state but expected it to be one of stopped.");
        foreach (var member in ClusterMembers(cluster)) UpdateInstance(member, i => i with { Status = "starting" });
        RunForCluster(cluster, "start", async (current, token) =>
        {
            // The writer first: readers resume replicating from it by themselves (master.info, standby.signal).
            foreach (var member in ClusterMembers(current)) await StartServerAsync(member, token);
            OpenEndpoints(current, null);
            BecomeCluster(current, "available");
            ClusterEvent(current, "DB cluster started", "notification");
        });
        return cluster;
    }

    /// <summary>RebootDBCluster: every instance restarts (the writer first); readers reconnect to it by themselves.</summary>
    public DbCluster RebootCluster(Scope scope, string identifier)
    {
        var cluster = GetCluster(scope, identifier);
        if (cluster.Status != "available")
            throw RdsErrors.InvalidClusterState($"DbCluster {cluster.Identifier} is in {cluster.Status} state but expected it to be one of available.");
        var members = ClusterMembers(cluster);
        if (members.FirstOrDefault(m => m.Status != "available") is { } busy)
            throw RdsErrors.InvalidInstanceState($"Instance {busy.Identifier} is not in available state (it is {busy.Status}).");
        foreach (var member in members) RebootInstance(scope, member.Identifier);
        return cluster;
    }

    /// <summary>
    /// Promotes a reader (the one asked for, or the first by promotion tier) and makes the writer endpoint reach it; the old
    /// writer comes back as a reader. Without readers RDS restarts the writer, and so does Stratus.
    /// </summary>
    public DbCluster FailoverCluster(Scope scope, string identifier, string? targetIdentifier)
    {
        var existing = GetCluster(scope, identifier);
        if (existing.Status != "available")
            throw RdsErrors.InvalidClusterState($"DbCluster {existing.Identifier} is in {existing.Status} state but expected it to be one of available.");
        RefuseLocalFailoverOfReplica(existing);
        var writer = Writer(existing) ?? throw RdsErrors.InvalidClusterState($"DB cluster {existing.Identifier} has no DB instances to fail over.");
        var readers = ClusterMembers(existing).Where(m => m.Identifier != writer.Identifier).ToList();
        DbInstance? target;
        if (targetIdentifier is not null)
        {
            var name = NameFromArn(targetIdentifier, "db");
            target = readers.FirstOrDefault(r => r.Identifier == name)
                ?? throw RdsErrors.InvalidValue($"The target instance {targetIdentifier} is not a reader of DB cluster {existing.Identifier}.");
            if (target.Status != "available") throw RdsErrors.InvalidInstanceState($"Instance {target.Identifier} is not in available state (it is {target.Status}).");
        }
        else target = readers.Where(r => r.Status == "available").OrderBy(r => r.PromotionTier).ThenBy(r => r.Identifier, StringComparer.Ordinal).FirstOrDefault();

        if (target is null)
        {
            RebootInstance(scope, writer.Identifier);
            return existing;
        }
        var cluster = TransitionCluster(scope, identifier, "available", "failing-over",
            c => $"DbCluster {c.Identifier} is in {c.Status} state but expected it to be one of available.");
        RunForCluster(cluster, "failover", async (current, token) =>
        {
            try
            {
                await FailoverAsync(current, target.Identifier, oldWriterRejoins: true, token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "The failover of DB cluster {Cluster} to {Target} failed", current.Identifier, target.Identifier);
                // RDS's own words for a failover that failed (RDS-EVENT-0069); the reason goes on the target's events.
                ClusterEvent(current, "Cluster failover failed, check the health of your cluster instances and try again.", "failover");
                if (_instances.Get(InstanceKey(target.AccountId, target.Region, target.Identifier)) is { } failedTarget)
                    Event(failedTarget, $"The DB instance could not be promoted to writer: {e.Message}", "failover");
                await SettleAfterFailedFailoverAsync(current, token);
            }
            BecomeCluster(current, "available");
        }, onFailure: current => BecomeCluster(current, "available"));
        return cluster;
    }

    /// <summary>
    /// After a failover that failed half way, no member stays "rebooting": one whose server runs is available again; the
    /// writer of record (the old one when the promotion had not happened) is started again, as RDS brings the writer back;
    /// any other member that is not running is failed, with an event saying why (RebootDBInstance tries it again).
    /// </summary>
    private async Task SettleAfterFailedFailoverAsync(DbCluster cluster, CancellationToken token)
    {
        var fleet = RequireFleet();
        var engine = RequireEngine(cluster.Engine);
        var writerIdentifier = _clusters.Get(ClusterKey(cluster.AccountId, cluster.Region, cluster.Identifier))?.WriterIdentifier;
        foreach (var member in ClusterMembers(cluster).Where(m => m.Status == "rebooting"))
        {
            if (fleet.Server(member.ResourceId, engine).IsRunning)
            {
                Become(member, "available");
                continue;
            }
            if (member.Identifier == writerIdentifier)
            {
                try
                {
                    await StartServerAsync(member, token);
                    // As RDS says when the previous writer stays the writer (RDS-EVENT-0070).
                    ClusterEvent(cluster, $"Promoting previous primary again: {member.Identifier}", "failover");
                    Event(member, "The writer was started again after the failed failover", "failover");
                    continue;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "Restarting the writer {Instance} after a failed failover failed", member.Identifier);
                }
            }
            Become(member, "failed");
            Event(member, "The DB instance is not running after the failed failover of its cluster; reboot it to try again.", "failure");
        }
    }

    // ---- members ----

    private const string ServerlessInstanceClass = "db.serverless";

    /// <summary>CreateDBInstance with DBClusterIdentifier: the cluster's first instance becomes its writer, the others its readers.</summary>
    private DbInstance CreateClusterMember(Scope scope, CreateInstanceRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("DBInstanceIdentifier", request.Identifier);
        var cluster = GetCluster(scope, request.ClusterIdentifier!);
        if (request.Engine != cluster.Engine)
            throw RdsErrors.InvalidCombination($"The engine name requested for your DB instance ({request.Engine}) doesn't match the engine name of your DB cluster ({cluster.Engine}).");
        if (request.MasterUsername is not null) throw RdsErrors.ClusterMemberSetting("master user name");
        if (request.MasterUserPassword is not null) throw RdsErrors.ClusterMemberSetting("master user password");
        if (request.DbName is not null) throw RdsErrors.ClusterMemberSetting("database name");
        if (request.AllocatedStorage is not null) throw RdsErrors.InvalidCombination("The requested DB instance will be a member of a DB cluster. You don't need to set storage size.");
        if (cluster.Status is not ("creating" or "available"))
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is {cluster.Status}; instances can be added while it is creating or available.");
        if (request.InstanceClass == ServerlessInstanceClass)
        {
            if (cluster.ServerlessV2Scaling is null)
                throw RdsErrors.InvalidCombination("Set the Serverless v2 scaling configuration on the parent DB cluster before creating a Serverless v2 DB instance.");
        }
        else RdsRules.InstanceClass(request.InstanceClass, request.Engine, cluster.EngineVersion);
        if (request.PromotionTier is { } tier and (< 0 or > 15)) throw RdsErrors.InvalidValue($"Invalid PromotionTier: {tier}. Valid values are 0 to 15.");
        var subnetGroup = GetSubnetGroup(scope, cluster.SubnetGroupName);
        var parameterGroup = ResolveInstanceParameterGroup(scope, request.ParameterGroupName, cluster.Engine, cluster.EngineVersion);

        var instance = new DbInstance
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Identifier = identifier,
            ResourceId = NewResourceId("db-"),
            Engine = cluster.Engine,
            EngineVersion = cluster.EngineVersion,
            InstanceClass = request.InstanceClass,
            // Aurora instances report 1: the storage is the cluster volume's.
            AllocatedStorage = 1,
            MasterUsername = cluster.MasterUsername,
            DbName = cluster.DatabaseName,
            Port = cluster.Port,
            Status = "creating",
            CreateTime = Now,
            AvailabilityZone = FirstZone(subnetGroup),
            PubliclyAccessible = request.PubliclyAccessible ?? false,
            VpcSecurityGroupIds = cluster.VpcSecurityGroupIds,
            SubnetGroupName = cluster.SubnetGroupName,
            StorageType = "aurora",
            BackupRetentionPeriod = cluster.BackupRetentionPeriod,
            ParameterGroupName = parameterGroup,
            ClusterIdentifier = cluster.Identifier,
            PromotionTier = request.PromotionTier ?? 1,
            CopyTagsToSnapshot = cluster.CopyTagsToSnapshot,
            DeletionProtection = request.DeletionProtection ?? false,
            Tags = request.Tags,
            CaCertificateIdentifier = NewInstanceCertificate(scope, request.CaCertificateIdentifier),
        };
        RequireQuota(scope, "DBInstances");
        if (!_instances.TryAdd(InstanceKey(scope.AccountId, scope.Region, identifier), instance)) throw RdsErrors.InstanceAlreadyExists();
        RunForCluster(cluster, "instance creation", async (current, token) =>
        {
            if (_instances.Get(InstanceKey(instance.AccountId, instance.Region, instance.Identifier)) is not { Status: "creating" } member
                || member.ResourceId != instance.ResourceId) return;
            try
            {
                await AddMemberAsync(current, member, token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Adding {Instance} to the DB cluster {Cluster} failed", member.Identifier, current.Identifier);
                await RequireFleet().StopAsync(member.ResourceId);
                Become(member, "failed");
                Event(member, $"The creation of the DB instance failed: {e.Message}", "failure");
            }
        }, onFailure: _ => { });
        return instance;
    }

    private async Task AddMemberAsync(DbCluster cluster, DbInstance member, CancellationToken token)
    {
        if (cluster.Status is not ("available" or "modifying"))
            throw new InvalidOperationException($"the DB cluster is {cluster.Status}.");
        var fleet = RequireFleet();
        var engine = RequireEngine(cluster.Engine);
        var server = fleet.Server(member.ResourceId, engine);
        if (Writer(cluster) is null && cluster.ReplicationSourceArn is not null)
        {
            await AddReplicaWriterAsync(cluster, member, token);
            return;
        }
        if (Writer(cluster) is not { } writer)
        {
            // The first instance takes the cluster volume over: the data directory moves into its home.
            var volume = fleet.Server(cluster.ResourceId, engine);
            server.CreateHome();
            if (Directory.Exists(server.DataDir)) Directory.Delete(server.DataDir, recursive: true);
            Directory.Move(volume.DataDir, server.DataDir);
            server.MarkInitialized();
            UpdateCluster(cluster, c => c with { WriterIdentifier = member.Identifier });
            await StartServerAsync(member, token);
            Event(member, "DB instance created as the writer of the DB cluster", "creation");
            return;
        }
        var source = fleet.Server(writer.ResourceId, engine);
        if (writer.Address is null || !source.IsRunning)
            throw new InvalidOperationException($"the writer {writer.Identifier} is not running, so there is nothing to replicate from.");
        await server.StartReplicatingFromAsync(source, writer.Address, writer.Port, token);
        server.MarkInitialized();
        await StartReaderAsync(member, writer, token);
        Event(member, $"DB instance created as a reader replicating from {writer.Identifier}", "creation");
    }

    /// <summary>Starts a reader's seeded server (it replicates from the writer from its start) and waits until it has caught up, then marks it available.</summary>
    private async Task StartReaderAsync(DbInstance member, DbInstance writer, CancellationToken token)
    {
        var fleet = RequireFleet();
        var engine = RequireEngine(member.Engine);
        var server = fleet.Server(member.ResourceId, engine);
        var source = fleet.Server(writer.ResourceId, engine);
        PlaceClusterLogArchive(member);
        await ApplyGroupParametersAsync(member, token);
        var address = await fleet.StartAsync(member.ResourceId, engine, member.Address, member.Port, member.PubliclyAccessible, token);
        // Dynamic parameters are set in the running server, as StartServerAsync does for the writer.
        await ApplyGroupParametersAsync(member, token);
        var position = await source.ReplicationPositionAsync(token);
        if (!await server.CatchUpAsync(position, token))
            Event(member, $"The reader had not caught up with {writer.Identifier} within a minute; it goes on replicating.", "notification");
        Become(member, "available", i => i with { Address = address, ParameterApplyStatus = null, ClusterParameterApplyStatus = null });
    }

    /// <summary>
    /// The writer stops taking writes, the target applies what it had written and is promoted, the other readers follow
    /// the target, and the writer endpoint now forwards to it. The old writer is cloned again from the target as a reader
    /// (<paramref name="oldWriterRejoins"/>) or left stopped for its deletion.
    /// </summary>
    private async Task FailoverAsync(DbCluster cluster, string targetIdentifier, bool oldWriterRejoins, CancellationToken token)
    {
        var fleet = RequireFleet();
        var engine = RequireEngine(cluster.Engine);
        var writer = Writer(cluster) ?? throw new InvalidOperationException("the DB cluster has no writer.");
        var target = _instances.Get(InstanceKey(cluster.AccountId, cluster.Region, targetIdentifier))
            ?? throw new InvalidOperationException($"the target {targetIdentifier} no longer exists.");
        var writerServer = fleet.Server(writer.ResourceId, engine);
        var targetServer = fleet.Server(target.ResourceId, engine);
        ClusterEvent(cluster, $"Started cluster failover to DB instance: {target.Identifier}", "failover");
        if (oldWriterRejoins) writer = Become(writer, "rebooting");
        target = Become(target, "rebooting");

        var position = writerServer.IsRunning ? await writerServer.ReplicationPositionAsync(token) : "";
        await StopClusterWriterAsync(cluster, writer, token);
        if (!await targetServer.CatchUpAsync(position, token))
            ClusterEvent(cluster, $"{target.Identifier} had not applied all of the writer's changes within a minute; it was promoted anyway.", "failover");
        await targetServer.PromoteAsync(token);
        cluster = await BeginLineageAsync(cluster, target, token);
        target = Become(target, "available");

        foreach (var reader in ClusterMembers(cluster).Where(m => m.Identifier != target.Identifier && m.Identifier != writer.Identifier && m.Address is not null))
        {
            var readerServer = fleet.Server(reader.ResourceId, engine);
            if (!readerServer.IsRunning) continue;
            await readerServer.FollowAsync(targetServer, target.Address!, target.Port, token);
        }
        if (oldWriterRejoins)
        {
            var oldServer = fleet.Server(writer.ResourceId, engine);
            await oldServer.StartReplicatingFromAsync(targetServer, target.Address!, target.Port, token);
            oldServer.MarkInitialized();
            await StartReaderAsync(writer, target, token);
        }
        ClusterEvent(cluster, $"Completed failover to DB instance: {target.Identifier}", "failover");
    }

    /// <summary>
    /// DeleteDBInstance of a member: a reader goes; the writer hands over to a reader first (a failover), or, as the last
    /// instance, gives the cluster volume back to the cluster's home. Aurora instances take no final snapshot.
    /// </summary>
    private DbInstance DeleteClusterMember(Scope scope, DbInstance existing, string? finalSnapshotIdentifier)
    {
        if (finalSnapshotIdentifier is not null)
            throw RdsErrors.InvalidCombination("FinalDBSnapshotIdentifier can not be specified when deleting a DB instance of a DB cluster; snapshot the DB cluster instead.");
        if (existing.DeletionProtection)
            throw RdsErrors.InvalidCombination("Cannot delete protected DB Instance, please disable deletion protection and try again.");
        var cluster = GetCluster(scope, existing.ClusterIdentifier!);
        RefuseMemberDeletionInReplication(cluster, existing);
        var instance = UpdateInstance(existing, i => i.Status == "deleting"
            ? throw RdsErrors.InvalidInstanceState($"Instance {i.Identifier} is already being deleted.")
            : i with { Status = "deleting" });
        RunForCluster(cluster, "instance deletion", async (current, token) =>
        {
            var member = _instances.Get(InstanceKey(instance.AccountId, instance.Region, instance.Identifier));
            if (member is null || member.ResourceId != instance.ResourceId) return;
            var fleet = RequireFleet();
            if (current.WriterIdentifier == member.Identifier)
            {
                var next = ClusterMembers(current).Where(m => m.Identifier != member.Identifier && m.Status == "available")
                    .OrderBy(r => r.PromotionTier).ThenBy(r => r.Identifier, StringComparer.Ordinal).FirstOrDefault();
                if (next is not null) await FailoverAsync(current, next.Identifier, oldWriterRejoins: false, token);
                else
                {
                    await StopClusterWriterAsync(current, member, token);
                    var volume = fleet.Server(current.ResourceId, RequireEngine(current.Engine));
                    volume.CreateHome();
                    if (Directory.Exists(volume.DataDir)) Directory.Delete(volume.DataDir, recursive: true);
                    Directory.Move(fleet.Server(member.ResourceId, RequireEngine(current.Engine)).DataDir, volume.DataDir);
                    UpdateCluster(current, c => c with { WriterIdentifier = null });
                }
            }
            await fleet.StopAsync(member.ResourceId);
            await FinishDeletionAsync(member);
        }, onFailure: _ => { });
        return instance;
    }

    /// <summary>Operations RDS answers for stand-alone instances only (a member is stopped, started and snapshotted with its cluster).</summary>
    private static void RefuseForClusterMember(DbInstance instance, string operation)
    {
        if (instance.ClusterIdentifier is not null) throw RdsErrors.ClusterMemberOperation(instance.Engine, operation);
    }

    // ---- cluster snapshots ----

    public DbClusterSnapshot CreateClusterSnapshot(Scope scope, string snapshotIdentifier, string clusterIdentifier, IReadOnlyList<RdsTag> tags)
    {
        RdsRules.SnapshotIdentifier("DBClusterSnapshotIdentifier", snapshotIdentifier);
        var existing = GetCluster(scope, clusterIdentifier);
        if (existing.Status != "available")
            throw RdsErrors.InvalidClusterState($"Cannot create a snapshot because the DB cluster {existing.Identifier} is not currently in the available state.");
        var snapshot = AddClusterSnapshot(existing, snapshotIdentifier, existing.CopyTagsToSnapshot && tags.Count == 0 ? existing.Tags : tags);
        DbCluster cluster;
        try
        {
            cluster = TransitionCluster(scope, clusterIdentifier, "available", "backing-up",
                c => $"Cannot create a snapshot because the DB cluster {c.Identifier} is not currently in the available state.");
        }
        catch
        {
            _clusterSnapshots.Remove(ClusterSnapshotKey(snapshot));
            throw;
        }
        RunForCluster(cluster, "snapshot", async (current, token) =>
        {
            await CopyClusterDataAsync(current, snapshot, token);
            BecomeCluster(current, "available");
        }, onFailure: current =>
        {
            _clusterSnapshots.Update(ClusterSnapshotKey(snapshot), s => s with { Status = "failed" });
            BecomeCluster(current, "available");
        });
        return snapshot;
    }

    public DbClusterSnapshot GetClusterSnapshot(Scope scope, string identifier) =>
        _clusterSnapshots.Get(ClusterSnapshotKey(scope.AccountId, scope.Region, NameFromArn(identifier, "cluster-snapshot")))
        ?? throw RdsErrors.ClusterSnapshotNotFound(identifier);

    public RdsPage<DbClusterSnapshot> DescribeClusterSnapshots(Scope scope, string? clusterIdentifier, string? snapshotIdentifier,
        SnapshotListing listing, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords) =>
        SnapshotPage(scope, _clusterSnapshots.Values, id => GetClusterSnapshot(scope, id), snapshotIdentifier,
            clusterIdentifier is null ? null : s => s.ClusterIdentifier == NameFromArn(clusterIdentifier, "cluster"),
            listing, filters, (name, values) => name switch
            {
                "db-cluster-id" => s => values.Contains(s.ClusterIdentifier),
                "db-cluster-snapshot-id" => s => values.Contains(s.Identifier),
                _ => null,
            }, marker, maxRecords);

    public DbClusterSnapshot DeleteClusterSnapshot(Scope scope, string identifier)
    {
        var snapshot = GetClusterSnapshot(scope, identifier);
        if (snapshot.SnapshotType == "automated") throw RdsErrors.AutomatedClusterSnapshotNotDeletable();
        if (snapshot.Status == "creating")
            throw RdsErrors.InvalidClusterSnapshotState($"Cannot delete the snapshot {snapshot.Identifier} because it is still being created.");
        _clusterSnapshots.Remove(ClusterSnapshotKey(snapshot));
        _fleet?.DeleteSnapshotData(snapshot.ResourceId);
        ClusterSnapshotEvent(snapshot, "Deleted manual cluster snapshot", "deletion");
        return snapshot with { Status = "deleted" };
    }

    /// <summary>
    /// CopyDBClusterSnapshot: the data is copied before the call answers, so the copy is available at once. The source may be
    /// another account's shared with the caller, named by its ARN; the copy is the caller's.
    /// </summary>
    public DbClusterSnapshot CopyClusterSnapshot(Scope scope, string sourceIdentifier, string targetIdentifier, bool copyTags, IReadOnlyList<RdsTag> tags)
    {
        var source = RestorableClusterSnapshot(scope, sourceIdentifier);
        var id = RdsRules.SnapshotIdentifier("TargetDBClusterSnapshotIdentifier", targetIdentifier);
        if (source.Status != "available")
            throw RdsErrors.InvalidClusterSnapshotState($"Snapshot {source.Identifier} is not in available state.");
        var copy = source with
        {
            AccountId = scope.AccountId,
            Identifier = id,
            ResourceId = NewResourceId("snap-"),
            SnapshotCreateTime = Now,
            Status = "creating",
            // A copy of an automated snapshot is a manual one, as RDS copies them.
            SnapshotType = "manual",
            LogLineage = null,
            SourceSnapshotArn = source.Arn,
            Tags = copyTags ? [.. OwnTags(scope, source).Where(t => tags.All(n => n.Key != t.Key)), .. tags] : tags,
            SharedAccounts = [],
        };
        RequireQuota(scope, _clusterSnapshotShelf.Quota);
        if (!_clusterSnapshots.TryAdd(ClusterSnapshotKey(copy), copy)) throw RdsErrors.ClusterSnapshotAlreadyExists(id);
        var fleet = RequireFleet();
        try
        {
            DbFleet.CopyDirectory(fleet.SnapshotDataDir(source.ResourceId), fleet.SnapshotDataDir(copy.ResourceId));
        }
        catch
        {
            _clusterSnapshots.Remove(ClusterSnapshotKey(copy));
            fleet.DeleteSnapshotData(copy.ResourceId);
            throw;
        }
        var done = _clusterSnapshots.Update(ClusterSnapshotKey(copy), s => s with { Status = "available" }) ?? copy;
        ClusterSnapshotEvent(done, $"Copied cluster snapshot {source.Identifier}", "backup");
        return done;
    }

    public DbCluster RestoreClusterFromSnapshot(Scope scope, RestoreClusterRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("DBClusterIdentifier", request.Identifier);
        var snapshot = RestorableClusterSnapshot(scope, request.SnapshotIdentifier);
        if (snapshot.Status != "available")
            throw RdsErrors.InvalidClusterSnapshotState($"Snapshot {snapshot.Identifier} is not in available state.");
        if (request.Engine != snapshot.Engine)
            throw RdsErrors.InvalidCombination($"The engine {request.Engine} does not match the engine of the snapshot ({snapshot.Engine}).");
        if (request.EngineVersion is not null && EngineVersion(snapshot.Engine, request.EngineVersion) != snapshot.EngineVersion)
            throw RdsErrors.InvalidCombination($"Stratus restores a snapshot with its own engine version ({snapshot.EngineVersion}).");
        var managed = request.ManageMasterUserPassword == true;
        RdsRules.ManagedMasterPassword(managed, null, request.MasterUserSecretKmsKeyId);
        var engine = RequireEngine(snapshot.Engine);
        var fleet = RequireFleet();
        var cluster = AddRestoredCluster(scope, identifier, request, snapshot, 1, RdsRules.DefaultBackupWindow);
        // A managed password (a template's): the master password lives in the cluster volume, as on Aurora, so it is set there
        // before the cluster is available and every writer that later takes the volume runs with it; the snapshot's no longer logs in.
        var managedPassword = managed ? RdsMasterUserSecrets.NewPassword() : null;
        if (managedPassword is not null)
            cluster = UpdateCluster(cluster, c => c with { MasterUserSecret = _masterUserSecrets.Create(scope, c, managedPassword, request.MasterUserSecretKmsKeyId) });
        RunForCluster(cluster, "restore", async (current, token) =>
        {
            var volume = fleet.Server(current.ResourceId, engine);
            DbFleet.CopyDirectory(fleet.SnapshotDataDir(snapshot.ResourceId), volume.DataDir);
            volume.CreateHome();
            volume.MarkInitialized();
            string? address = null;
            if (managedPassword is not null)
            {
                address = await fleet.StartAsync(current.ResourceId, engine, null, current.Port, false, token);
                try
                {
                    await volume.SetMasterPasswordAsync(current.MasterUsername, managedPassword, token);
                }
                finally
                {
                    await fleet.StopAsync(current.ResourceId);
                }
            }
            await FinishClusterRestoreAsync(current, address, $"Restored from cluster snapshot {snapshot.Identifier}", token);
        });
        return cluster;
    }

    /// <summary>
    /// The record of a cluster restored from <paramref name="snapshot"/> (a snapshot's restore, or a point in time's from an
    /// automated one), added as creating: the snapshot's engine, master user and database with the request's port, placement,
    /// parameter group and flags. Like RestoreDBClusterFromSnapshot on Aurora, it has no instances until CreateDBInstance adds them.
    /// </summary>
    private DbCluster AddRestoredCluster(Scope scope, string identifier, RestoredClusterSettings request, DbClusterSnapshot snapshot,
        int backupRetentionPeriod, string backupWindow)
    {
        var port = request.Port ?? snapshot.Port;
        RdsRules.Port(port);
        CheckScaling(request.ServerlessV2Scaling);
        RequireEngine(snapshot.Engine);
        RequireFleet();
        return AddCluster(scope, new ClusterSettings(identifier, snapshot.Engine, snapshot.EngineVersion, snapshot.MasterUsername, snapshot.DatabaseName, port,
            request.SubnetGroupName, request.VpcSecurityGroupIds, request.ParameterGroupName, request.ServerlessV2Scaling,
            backupRetentionPeriod, backupWindow, request.DeletionProtection ?? false, request.CopyTagsToSnapshot ?? false,
            request.Tags.Count > 0 ? request.Tags : OwnTags(scope, snapshot), request.BacktrackWindow));
    }

    /// <summary>A restored cluster's last steps, its volume ready: its first automated snapshot, its endpoints, then available.</summary>
    private async Task FinishClusterRestoreAsync(DbCluster cluster, string? address, string message, CancellationToken token)
    {
        await TakeAutomatedClusterSnapshotAsync(cluster, token);
        OpenEndpoints(cluster, address);
        BecomeCluster(cluster, "available");
        ClusterEvent(cluster, message, "restoration");
    }

    // ---- endpoints ----

    /// <summary>An endpoint is available while it listens, that is while the cluster's servers run.</summary>
    public static string EndpointStatus(DbCluster cluster) => ClusterStatesWithRunningServers.Contains(cluster.Status) ? "available" : cluster.Status;

    /// <summary>Listens on the cluster's writer and reader endpoint addresses (the writer's <paramref name="preferredWriterAddress"/> first).</summary>
    private void OpenEndpoints(DbCluster cluster, string? preferredWriterAddress)
    {
        CloseEndpoints(cluster);
        var fleet = RequireFleet();
        var writerAddress = fleet.ClaimListenAddress(cluster.ResourceId, cluster.WriterEndpointAddress ?? preferredWriterAddress, cluster.Port);
        var readerAddress = fleet.ClaimListenAddress(ReaderEndpointOwner(cluster), cluster.ReaderEndpointAddress, cluster.Port);
        // Resolved by resource id at each connection: a rename moves the cluster's record, not its endpoints.
        var resourceId = cluster.ResourceId;
        var writer = TcpForwarder.Start(writerAddress, cluster.Port, () => WriterTarget(ClusterByResourceId(resourceId)), _logger);
        TcpForwarder reader;
        try
        {
            reader = TcpForwarder.Start(readerAddress, cluster.Port, () => ReaderTarget(ClusterByResourceId(resourceId)), _logger);
        }
        catch
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        _clusterEndpoints[cluster.ResourceId] = (writer, reader);
        var opened = UpdateCluster(cluster, c => c with { WriterEndpointAddress = writerAddress, ReaderEndpointAddress = readerAddress });
        foreach (var custom in CustomEndpointsOf(opened).Where(e => e.Status != "deleting")) OpenCustomEndpoint(opened, custom);
    }

    private void CloseEndpoints(DbCluster cluster)
    {
        foreach (var custom in CustomEndpointsOf(cluster)) CloseCustomEndpoint(custom);
        if (!_clusterEndpoints.TryRemove(cluster.ResourceId, out var endpoints)) return;
        endpoints.Writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        endpoints.Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void CloseAllEndpoints()
    {
        foreach (var cluster in _clusters.Values) CloseEndpoints(cluster);
    }

    private DbCluster? ClusterByResourceId(string resourceId) => _clusters.Values.FirstOrDefault(c => c.ResourceId == resourceId);

    private IPEndPoint? WriterTarget(DbCluster? cluster) =>
        cluster is not null && Writer(cluster) is { Address: { } address } writer ? new IPEndPoint(IPAddress.Parse(address), writer.Port) : null;

    /// <summary>The readers in turn, as Aurora's reader endpoint spreads connections; the writer when there is no reader, as Aurora does.</summary>
    private IPEndPoint? ReaderTarget(DbCluster? cluster) => cluster is not null
        ? InTurn(ClusterMembers(cluster).Where(m => m.Identifier != cluster.WriterIdentifier)) ?? WriterTarget(cluster)
        : null;

    /// <summary>The next of the given members that is available, in turn (the reader endpoint's and custom endpoints' spreading); null when none is.</summary>
    private IPEndPoint? InTurn(IEnumerable<DbInstance> members)
    {
        var candidates = members.Where(m => m.Status == "available" && m.Address is not null).ToList();
        if (candidates.Count == 0) return null;
        var member = candidates[(int)((uint)Interlocked.Increment(ref _readerTurn) % (uint)candidates.Count)];
        return new IPEndPoint(IPAddress.Parse(member.Address!), member.Port);
    }

    private static string ReaderEndpointOwner(DbCluster cluster) => cluster.ResourceId + "-ro";

    // ---- cluster engine work ----

    /// <summary>Runs a cluster's engine work after the request returns, one operation per cluster at a time.</summary>
    private void RunForCluster(DbCluster cluster, string what, Func<DbCluster, CancellationToken, Task> work, bool removesCluster = false, Action<DbCluster>? onFailure = null)
    {
        // By resource id: a rename (which waits for no queued work) moves the record's key, not the cluster.
        DbCluster? Current() => ClusterByResourceId(cluster.ResourceId);
        RunInBackground(cluster.ResourceId, $"{what} of DB cluster {cluster.Identifier}",
            token => Current() is { } current ? work(current, token) : Task.CompletedTask,
            e =>
            {
                if (removesCluster || Current() is not { } failed) return Task.CompletedTask;
                ClusterEvent(failed, $"The {what} of the DB cluster failed: {e.Message}", "failure");
                if (onFailure is not null) onFailure(failed);
                else BecomeCluster(failed, "failed");
                return Task.CompletedTask;
            });
    }

    /// <summary>After a restart of Stratus: endpoints listen again where they did, and what was half done is settled.</summary>
    private void RecoverClusters()
    {
        var fleet = _fleet!;
        foreach (var cluster in _clusters.Values)
        {
            if (cluster.WriterEndpointAddress is { } writer) fleet.Reserve(cluster.ResourceId, writer);
            if (cluster.ReaderEndpointAddress is { } reader) fleet.Reserve(ReaderEndpointOwner(cluster), reader);
        }
        foreach (var endpoint in _customEndpoints.Values)
        {
            if (endpoint.Status == "deleting")
            {
                RemoveCustomEndpoint(endpoint);
                continue;
            }
            if (endpoint.Address is { } address) fleet.Reserve(endpoint.ResourceId, address);
            // Its creation or modification was cut short (the members are already recorded): it listens when its cluster's
            // endpoints open again, as the cluster's own do.
            if (endpoint.Status is "creating" or "modifying") _customEndpoints.Update(CustomEndpointKey(endpoint), e => e with { Status = "available" });
        }
        foreach (var snapshot in _clusterSnapshots.Values.Where(s => s.Status == "creating"))
            _clusterSnapshots.Update(ClusterSnapshotKey(snapshot), s => s with { Status = "failed" });
        foreach (var cluster in _clusters.Values.ToList())
        {
            if (fleet.EngineFor(cluster.Engine) is null) continue;
            switch (cluster.Status)
            {
                case "creating":
                    BecomeCluster(cluster, "failed");
                    ClusterEvent(cluster, "The creation of the DB cluster was interrupted when Stratus stopped.", "failure");
                    break;
                case "stopping":
                    BecomeCluster(cluster, "stopped");
                    break;
                case "deleting":
                    RunForCluster(cluster, "deletion", (current, _) => FinishClusterDeletionAsync(current), removesCluster: true);
                    break;
                case "backtracking":
                    FailInterruptedBacktrack(cluster);
                    break;
                default:
                    if (!ClusterStatesWithRunningServers.Contains(cluster.Status)) break;
                    RunForCluster(cluster, "restart", (current, _) =>
                    {
                        OpenEndpoints(current, null);
                        BecomeCluster(current, "available");
                        return Task.CompletedTask;
                    });
                    break;
            }
        }
    }

    private async Task FinishClusterDeletionAsync(DbCluster cluster)
    {
        CloseEndpoints(cluster);
        foreach (var custom in CustomEndpointsOf(cluster)) RemoveCustomEndpoint(custom);
        if (cluster.MasterUserSecret is { } secret) _masterUserSecrets.Delete(Scope.Of(cluster.AccountId, cluster.Region), secret);
        var fleet = RequireFleet();
        await fleet.DestroyAsync(cluster.ResourceId);
        fleet.ReleaseAddresses(ReaderEndpointOwner(cluster));
        if (AutomatedBackupOf(cluster) is not { Status: "retained" }) DeleteClusterAutomatedBackups(cluster.AccountId, cluster.Region, cluster.ResourceId);
        DeleteBacktracks(cluster);
        _clusters.Remove(ClusterKey(cluster.AccountId, cluster.Region, cluster.Identifier));
        _operationLocks.TryRemove(cluster.ResourceId, out _);
        ClusterEvent(cluster, "DB cluster deleted", "deletion");
    }

    // ---- helpers ----

    /// <summary>What CreateDBCluster and RestoreDBClusterFromSnapshot each take from their own source (the request, or the snapshot) for a new cluster.</summary>
    private sealed record ClusterSettings(string Identifier, string Engine, string EngineVersion, string MasterUsername, string? DatabaseName, int Port,
        string? SubnetGroupName, IReadOnlyList<string> VpcSecurityGroupIds, string? ParameterGroupName, ServerlessV2Scaling? ServerlessV2Scaling,
        int BackupRetentionPeriod, string PreferredBackupWindow, bool DeletionProtection, bool CopyTagsToSnapshot, IReadOnlyList<RdsTag> Tags,
        int? BacktrackWindow);

    /// <summary>
    /// The one builder of a new cluster, for CreateDBCluster and RestoreDBClusterFromSnapshot: its subnet group (whose
    /// zones, up to three, are the cluster's), security groups of that VPC and a cluster parameter group of its family are
    /// checked, then it is registered "creating" until its engine work runs.
    /// </summary>
    private DbCluster AddCluster(Scope scope, ClusterSettings settings)
    {
        var subnetGroup = GetSubnetGroup(scope, settings.SubnetGroupName);
        var securityGroups = SecurityGroups(scope, settings.VpcSecurityGroupIds, subnetGroup.VpcId);
        var parameterGroup = ResolveClusterParameterGroup(scope, settings.ParameterGroupName, settings.Engine, settings.EngineVersion);
        var backtrackWindow = settings.BacktrackWindow is { } window ? RdsRules.BacktrackWindow(window, settings.Engine, settings.EngineVersion) : 0;
        var resourceId = NewResourceId("cluster-");
        var cluster = new DbCluster
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Identifier = settings.Identifier,
            ResourceId = resourceId,
            LogLineage = resourceId,
            Engine = settings.Engine,
            EngineVersion = settings.EngineVersion,
            MasterUsername = settings.MasterUsername,
            DatabaseName = settings.DatabaseName,
            Port = settings.Port,
            Status = "creating",
            CreateTime = Now,
            AvailabilityZones = subnetGroup.Subnets.Select(s => s.AvailabilityZone).Distinct().Order(StringComparer.Ordinal).Take(3).ToList(),
            SubnetGroupName = StoredGroupName(subnetGroup),
            VpcSecurityGroupIds = securityGroups,
            BackupRetentionPeriod = settings.BackupRetentionPeriod,
            PreferredBackupWindow = settings.PreferredBackupWindow,
            DeletionProtection = settings.DeletionProtection,
            CopyTagsToSnapshot = settings.CopyTagsToSnapshot,
            ParameterGroupName = parameterGroup,
            ServerlessV2Scaling = settings.ServerlessV2Scaling,
            Tags = settings.Tags,
            // A cluster made without a window (or with 0) never had backtracking, which then cannot be turned on.
            BacktrackWindow = backtrackWindow > 0 ? backtrackWindow : null,
        };
        RequireQuota(scope, "DBClusters");
        if (!_clusters.TryAdd(ClusterKey(scope.AccountId, scope.Region, settings.Identifier), cluster)) throw RdsErrors.ClusterAlreadyExists();
        return cluster;
    }

    private static void ClusterEngine(string engine)
    {
        if (ClusterEngines.Contains(engine)) return;
        if (RdsRules.Engines.Contains(engine))
            throw RdsErrors.InvalidValue($"Stratus builds Aurora DB clusters ({string.Join(", ", ClusterEngines)}); Multi-AZ DB clusters of {engine} are not built.");
        throw RdsErrors.InvalidValue($"Invalid DB engine: {engine}");
    }

    /// <summary>Aurora Serverless v2 capacities: half-ACU steps from 0 to 256, the minimum not above the maximum.</summary>
    private static void CheckScaling(ServerlessV2Scaling? scaling)
    {
        if (scaling is null) return;
        static bool HalfStep(double value) => Math.Abs(value * 2 - Math.Round(value * 2)) < 1e-9;
        if (scaling.MinCapacity is < 0 or > 256 || scaling.MaxCapacity is < 1 or > 256 || !HalfStep(scaling.MinCapacity) || !HalfStep(scaling.MaxCapacity))
            throw RdsErrors.InvalidValue($"Invalid ServerlessV2ScalingConfiguration: MinCapacity ({scaling.MinCapacity}) must be 0 to 256 and MaxCapacity ({scaling.MaxCapacity}) 1 to 256 ACUs, in steps of 0.5.");
        if (scaling.MinCapacity > scaling.MaxCapacity)
            throw RdsErrors.InvalidValue($"Invalid ServerlessV2ScalingConfiguration: MinCapacity ({scaling.MinCapacity}) is greater than MaxCapacity ({scaling.MaxCapacity}).");
        if (scaling.SecondsUntilAutoPause is { } pause and (< 300 or > 86400))
            throw RdsErrors.InvalidValue($"Invalid ServerlessV2ScalingConfiguration: SecondsUntilAutoPause ({pause}) must be 300 to 86400.");
    }

    /// <summary>A named DB cluster parameter group of the cluster's family; null stays the family's default.</summary>
    private string? ResolveClusterParameterGroup(Scope scope, string? name, string engine, string version)
    {
        if (name is null) return null;
        var group = GetParameterGroup(scope, name, cluster: true);
        var family = Family(engine, version);
        if (group.Family != family) throw RdsErrors.ParameterGroupFamilyMismatch(group.Name, group.Family, family);
        return group.IsDefault ? null : group.Name;
    }

    public string ClusterParameterGroupNameOf(DbCluster cluster) => cluster.ParameterGroupName ?? DefaultParameterGroupName(Family(cluster.Engine, cluster.EngineVersion));

    /// <summary>The writer changes the master password and the readers replicate it; without a writer the volume has no server running to change it in.</summary>
    private DbInstance PasswordWriter(DbCluster cluster) =>
        Writer(cluster) ?? throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} has no writer DB instance to change the master password in.");

    private DbInstance? Writer(DbCluster cluster) =>
        cluster.WriterIdentifier is { } writer ? _instances.Get(InstanceKey(cluster.AccountId, cluster.Region, writer)) : null;

    private DbClusterSnapshot AddClusterSnapshot(DbCluster cluster, string snapshotIdentifier, IReadOnlyList<RdsTag> tags) =>
        AddSnapshot(_clusterSnapshotShelf, snapshotIdentifier, (id, resourceId) => new DbClusterSnapshot(cluster, id, resourceId, Now,
            GetSubnetGroup(Scope.Of(cluster.AccountId, cluster.Region), cluster.SubnetGroupName).VpcId, tags));

    /// <summary>Copies the cluster's data (the stopped writer's data directory, or the volume's while it has no writer) into the snapshot.</summary>
    private void CopyToClusterSnapshot(DbCluster cluster, DbClusterSnapshot snapshot)
    {
        var fleet = RequireFleet();
        var engine = RequireEngine(cluster.Engine);
        var holder = Writer(cluster)?.ResourceId ?? cluster.ResourceId;
        FillSnapshot(_clusterSnapshotShelf, snapshot, fleet.Server(holder, engine).DataDir);
    }

    private DbCluster TransitionCluster(Scope scope, string identifier, string from, string to, Func<DbCluster, string> refusal)
    {
        var cluster = GetCluster(scope, identifier);
        return UpdateCluster(cluster, c => c.Status == from ? c with { Status = to } : throw RdsErrors.InvalidClusterState(refusal(c)));
    }

    /// <summary>Moves a cluster to a status after engine work, unless it has since been marked for deletion.</summary>
    private DbCluster BecomeCluster(DbCluster cluster, string status) =>
        UpdateCluster(cluster, c => c.Status == "deleting" && status != "deleting" ? c : c with { Status = status });

    private DbCluster UpdateCluster(DbCluster cluster, Func<DbCluster, DbCluster> change) =>
        _clusters.Update(ClusterKey(cluster.AccountId, cluster.Region, cluster.Identifier), change) ?? throw RdsErrors.ClusterNotFound(cluster.Identifier);

    private void ClusterEvent(DbCluster cluster, string message, string category) =>
        AddEvent(cluster.AccountId, cluster.Region, cluster.Identifier, "db-cluster", cluster.Arn, message, category);

    private void ClusterSnapshotEvent(DbClusterSnapshot snapshot, string message, string category) =>
        AddEvent(snapshot.AccountId, snapshot.Region, snapshot.Identifier, "db-cluster-snapshot", snapshot.Arn, message, category);

    private static string ClusterKey(string accountId, string region, string identifier) => ResourceTable<DbCluster>.Key(accountId, region, identifier);

    private static string ClusterSnapshotKey(string accountId, string region, string identifier) => ResourceTable<DbClusterSnapshot>.Key(accountId, region, identifier);

    private static string ClusterSnapshotKey(DbClusterSnapshot s) => ClusterSnapshotKey(s.AccountId, s.Region, s.Identifier);
}
