using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Aurora global databases and cross-Region read replica clusters. Every Region is this one machine, so a secondary (or a
/// replica cluster) is a cluster like any other whose writer is a real replica of its source cluster's writer (MariaDB
/// GTID replication, PostgreSQL streaming replication; read-only, as AWS's secondaries are) and whose readers replicate
/// from that writer in turn. Promoting one (RemoveFromGlobalCluster, PromoteReadReplicaDBCluster, a global switchover or
/// failover) stops its writer replicating for good, as PromoteReadReplica does for an instance; a switchover's old primary
/// is seeded again from the new one and replicates from it.
/// </summary>
public sealed partial class RdsService
{
    private readonly ResourceTable<GlobalCluster> _globalClusters;

    public GlobalCluster CreateGlobalCluster(Scope scope, CreateGlobalClusterRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("GlobalClusterIdentifier", request.Identifier);
        if (request.StorageEncrypted == true)
            throw RdsErrors.InvalidCombination("Stratus does not encrypt storage, so a global cluster cannot be created with StorageEncrypted.");
        DbCluster? source = null;
        string engine, version;
        string? databaseName;
        if (request.SourceDbClusterIdentifier is { } sourceName)
        {
            // As AWS documents: these come from the source cluster, and are not to be given with it.
            if (request.Engine is not null || request.EngineVersion is not null || request.DatabaseName is not null || request.StorageEncrypted is not null)
                throw RdsErrors.InvalidCombination("Engine, EngineVersion, DatabaseName and StorageEncrypted are taken from the source DB cluster; don't specify them with SourceDBClusterIdentifier.");
            source = ClusterNamed(scope, sourceName);
            if (source.GlobalClusterIdentifier is { } other)
                throw RdsErrors.InvalidClusterState($"DB cluster {source.Identifier} is already a member of global cluster {other}.");
            if (source.ReplicationSourceArn is { } replicated)
                throw RdsErrors.InvalidClusterState($"DB cluster {source.Identifier} is a read replica of {replicated}; promote it before it becomes a global cluster's primary.");
            if (source.Status != "available")
                throw RdsErrors.InvalidClusterState($"DB cluster {source.Identifier} is not in the available state (it is {source.Status}).");
            (engine, version, databaseName) = (source.Engine, source.EngineVersion, source.DatabaseName);
        }
        else
        {
            engine = request.Engine ?? throw RdsErrors.InvalidValue("The parameter Engine must be provided when SourceDBClusterIdentifier is not.");
            ClusterEngine(engine);
            version = EngineVersion(engine, request.EngineVersion);
            RdsRules.DbName(request.DatabaseName, engine);
            databaseName = request.DatabaseName;
        }
        var global = new GlobalCluster
        {
            AccountId = scope.AccountId,
            Identifier = identifier,
            ResourceId = NewResourceId("cluster-"),
            Engine = engine,
            EngineVersion = version,
            DatabaseName = databaseName,
            DeletionProtection = request.DeletionProtection ?? false,
            Status = "available",
            Tags = request.Tags,
        };
        if (!_globalClusters.TryAdd(GlobalClusterKey(scope.AccountId, identifier), global)) throw RdsErrors.GlobalClusterAlreadyExists(identifier);
        if (source is not null)
        {
            UpdateCluster(source, c => c with { GlobalClusterIdentifier = identifier });
            ClusterEvent(source, $"The DB cluster is the primary cluster of global cluster {identifier}", "global-failover");
        }
        return global;
    }

    public GlobalCluster GetGlobalCluster(Scope scope, string identifier) =>
        _globalClusters.Get(GlobalClusterKey(scope.AccountId, NameFromArn(identifier, "global-cluster"))) ?? throw RdsErrors.GlobalClusterNotFound(identifier);

    /// <summary>The account's global clusters; the one filter AWS documents, region, keeps those with a member in one of its Regions.</summary>
    public RdsPage<GlobalCluster> DescribeGlobalClusters(Scope scope, string? identifier, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (identifier is not null) return new RdsPage<GlobalCluster>([GetGlobalCluster(scope, identifier)], null);
        return FilteredPage(_globalClusters.Values.Where(g => g.AccountId == scope.AccountId), filters, (name, values) => name switch
        {
            "region" => g => GlobalMembers(g).Any(c => values.Contains(c.Region)),
            _ => null,
        }, g => g.Identifier, marker, max);
    }

    /// <summary>The global cluster's clusters, the primary first, then the secondaries by Region.</summary>
    public IReadOnlyList<DbCluster> GlobalMembers(GlobalCluster global) => _clusters.Values
        .Where(c => c.AccountId == global.AccountId && c.GlobalClusterIdentifier == global.Identifier)
        .OrderBy(c => c.ReplicationSourceArn is null ? 0 : 1).ThenBy(c => c.Region, StringComparer.Ordinal).ToList();

    /// <summary>The member that takes writes: the one that replicates from no other.</summary>
    public DbCluster? GlobalPrimary(GlobalCluster global) => GlobalMembers(global).FirstOrDefault(c => c.ReplicationSourceArn is null);

    public GlobalCluster ModifyGlobalCluster(Scope scope, ModifyGlobalClusterRequest request)
    {
        var global = GetGlobalCluster(scope, request.Identifier);
        if (request.EngineVersion is { } asked && EngineVersion(global.Engine, asked) != global.EngineVersion)
            throw RdsErrors.InvalidCombination($"Stratus runs one version of {global.Engine} ({global.EngineVersion}), so the global cluster's engine version cannot change.");
        if (global.Status != "available")
            throw RdsErrors.InvalidGlobalClusterState($"Global cluster {global.Identifier} is not in the available state (it is {global.Status}).");
        var protection = request.DeletionProtection ?? global.DeletionProtection;
        if (request.NewIdentifier is not { } newName || newName.Equals(global.Identifier, StringComparison.OrdinalIgnoreCase))
            return UpdateGlobalCluster(global, g => g with { DeletionProtection = protection });

        var renamed = RdsRules.InstanceIdentifier("NewGlobalClusterIdentifier", newName);
        var moved = global with { Identifier = renamed, DeletionProtection = protection };
        if (!_globalClusters.TryAdd(GlobalClusterKey(global.AccountId, renamed), moved)) throw RdsErrors.GlobalClusterAlreadyExists(renamed);
        var members = GlobalMembers(global);
        _globalClusters.Remove(GlobalClusterKey(global.AccountId, global.Identifier));
        foreach (var member in members) UpdateCluster(member, c => c with { GlobalClusterIdentifier = renamed });
        return moved;
    }

    public GlobalCluster DeleteGlobalCluster(Scope scope, string identifier)
    {
        var global = GetGlobalCluster(scope, identifier);
        if (global.DeletionProtection)
            throw RdsErrors.InvalidCombination("Cannot delete protected Global Cluster, please disable deletion protection and try again.");
        if (GlobalMembers(global).Count > 0) throw RdsErrors.GlobalClusterNotEmpty(global.Arn);
        _globalClusters.Remove(GlobalClusterKey(global.AccountId, global.Identifier));
        return global with { Status = "deleting" };
    }

    /// <summary>
    /// RemoveFromGlobalCluster: a secondary is promoted to a standalone cluster that takes writes (its writer stops replicating
    /// for good, its readers go on replicating from it); the primary leaves only as the last member, as AWS requires.
    /// </summary>
    public GlobalCluster RemoveFromGlobalCluster(Scope scope, string globalIdentifier, string clusterIdentifier)
    {
        var global = GetGlobalCluster(scope, globalIdentifier);
        var cluster = ClusterNamed(scope, clusterIdentifier);
        if (cluster.GlobalClusterIdentifier != global.Identifier) throw RdsErrors.NotInGlobalCluster(clusterIdentifier, global.Identifier);
        if (global.Status != "available")
            throw RdsErrors.InvalidGlobalClusterState($"Global cluster {global.Identifier} is not in the available state (it is {global.Status}).");
        if (cluster.ReplicationSourceArn is null)
        {
            if (GlobalMembers(global).Count > 1)
                throw RdsErrors.InvalidGlobalClusterState($"DB cluster {cluster.Identifier} is the primary cluster of global cluster {global.Identifier}; remove its secondary clusters first.");
            UpdateCluster(cluster, c => c with { GlobalClusterIdentifier = null });
            ClusterEvent(cluster, $"The DB cluster was removed from global cluster {global.Identifier}", "global-failover");
            return GetGlobalCluster(scope, global.Identifier);
        }
        var detached = UpdateCluster(cluster, c => c.Status == "available"
            ? c with { GlobalClusterIdentifier = null, Status = "promoting" }
            : throw RdsErrors.InvalidClusterState($"DB cluster {c.Identifier} is not in the available state (it is {c.Status})."));
        PromoteReplicaCluster(detached, $"The DB cluster was removed from global cluster {global.Identifier} and promoted to a standalone DB cluster");
        return GetGlobalCluster(scope, global.Identifier);
    }

    /// <summary>PromoteReadReplicaDBCluster: a cross-Region read replica cluster stops replicating and takes writes.</summary>
    public DbCluster PromoteReadReplicaCluster(Scope scope, string identifier)
    {
        var cluster = GetCluster(scope, identifier);
        if (cluster.ReplicationSourceArn is null || cluster.GlobalClusterIdentifier is not null)
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is not a read replica.");
        var promoting = UpdateCluster(cluster, c => c.Status == "available"
            ? c with { Status = "promoting" }
            : throw RdsErrors.InvalidClusterState($"DB cluster {c.Identifier} is not in the available state (it is {c.Status})."));
        PromoteReplicaCluster(promoting, "Promoted read replica cluster to a standalone DB cluster");
        return promoting;
    }

    public GlobalCluster SwitchoverGlobalCluster(Scope scope, string globalIdentifier, string targetIdentifier) =>
        MovePrimary(scope, globalIdentifier, targetIdentifier, allowDataLoss: false);

    /// <summary>FailoverGlobalCluster: with AllowDataLoss a failover (the target is promoted without waiting); otherwise a switchover, as the model documents.</summary>
    public GlobalCluster FailoverGlobalCluster(Scope scope, string globalIdentifier, string targetIdentifier, bool? allowDataLoss, bool? switchover)
    {
        if (allowDataLoss == true && switchover == true)
            throw RdsErrors.InvalidCombination("AllowDataLoss and Switchover can't be specified together.");
        return MovePrimary(scope, globalIdentifier, targetIdentifier, allowDataLoss == true);
    }

    // ---- creating secondaries and replica clusters ----

    /// <summary>
    /// The cluster a new cluster's writer is to replicate from: a global cluster's primary (GlobalClusterIdentifier) or a
    /// cross-Region source (ReplicationSourceIdentifier). Null for a cluster that takes writes, the first cluster of an empty
    /// global cluster included (it becomes the primary).
    /// </summary>
    private DbCluster? ReplicationSourceFor(Scope scope, CreateClusterRequest request)
    {
        if (request.GlobalClusterIdentifier is null && request.ReplicationSourceIdentifier is null) return null;
        if (request.GlobalClusterIdentifier is not null && request.ReplicationSourceIdentifier is not null)
            throw RdsErrors.InvalidCombination("GlobalClusterIdentifier and ReplicationSourceIdentifier can't be specified together.");
        DbCluster source;
        if (request.GlobalClusterIdentifier is { } globalName)
        {
            var global = GetGlobalCluster(scope, globalName);
            if (request.Engine != global.Engine)
                throw RdsErrors.InvalidCombination($"The engine {request.Engine} does not match the engine of global cluster {global.Identifier} ({global.Engine}).");
            if (global.Status != "available")
                throw RdsErrors.InvalidGlobalClusterState($"Global cluster {global.Identifier} is not in the available state (it is {global.Status}).");
            if (GlobalPrimary(global) is not { } primary) return null;
            if (primary.Region == scope.Region)
                throw RdsErrors.InvalidCombination($"The primary cluster of global cluster {global.Identifier} is in {scope.Region}: a secondary cluster must be in another AWS Region.");
            if (GlobalMembers(global).FirstOrDefault(c => c.Region == scope.Region) is { } taken)
                throw RdsErrors.InvalidGlobalClusterState($"Global cluster {global.Identifier} already has a secondary cluster in {scope.Region} ({taken.Identifier}).");
            source = primary;
        }
        else
        {
            // AWS: Aurora PostgreSQL DB clusters don't support Aurora replicas in other Regions (its global databases do that).
            if (RdsRules.IsPostgres(request.Engine))
                throw RdsErrors.InvalidCombination("Cross-Region read replicas of DB clusters are supported for aurora-mysql only; use an Aurora global database for aurora-postgresql.");
            source = ClusterNamed(scope, request.ReplicationSourceIdentifier!);
            if (source.Region == scope.Region)
                throw RdsErrors.InvalidCombination($"The replication source {request.ReplicationSourceIdentifier} is in {scope.Region}: a read replica cluster is made in another AWS Region.");
            if (source.Engine != request.Engine)
                throw RdsErrors.InvalidCombination($"The engine {request.Engine} does not match the engine of the source DB cluster ({source.Engine}).");
            if (source.ReplicationSourceArn is not null)
                throw RdsErrors.InvalidClusterState($"DB cluster {source.Identifier} is itself a replica of {source.ReplicationSourceArn}; a read replica cluster's source takes writes.");
        }
        if (source.Status != "available")
            throw RdsErrors.InvalidClusterState($"DB cluster {source.Identifier} is not in the available state (it is {source.Status}).");
        return source;
    }

    /// <summary>
    /// A secondary or read replica cluster: the source's engine, version, master user and database, the request's placement and
    /// settings. It has no volume of its own: its first instance is seeded from the source's writer and replicates from it.
    /// </summary>
    private DbCluster CreateReplicaCluster(Scope scope, CreateClusterRequest request, DbCluster source)
    {
        var identifier = RdsRules.InstanceIdentifier("DBClusterIdentifier", request.Identifier);
        if (request.MasterUsername is not null) throw RdsErrors.ReplicaClusterSetting("master username");
        if (request.MasterUserPassword is not null || request.ManageMasterUserPassword == true) throw RdsErrors.ReplicaClusterSetting("master user password");
        if (request.DatabaseName is not null) throw RdsErrors.ReplicaClusterSetting("database name");
        if (request.EngineVersion is not null && EngineVersion(source.Engine, request.EngineVersion) != source.EngineVersion)
            throw RdsErrors.InvalidCombination($"The engine version must be the source DB cluster's ({source.EngineVersion}).");
        var port = request.Port ?? RdsRules.DefaultPort(source.Engine);
        RdsRules.Port(port);
        CheckScaling(request.ServerlessV2Scaling);
        var retention = RdsRules.ClusterBackupRetentionPeriod(request.BackupRetentionPeriod ?? 1);
        var backupWindow = request.PreferredBackupWindow ?? RdsRules.DefaultBackupWindow;
        RdsRules.BackupWindow(backupWindow);
        // Aurora does not backtrack a cluster that replicates (a global database's secondary, a binlog replica): its data is the source's.
        if (request.BacktrackWindow > 0)
            throw RdsErrors.InvalidCombination("Backtrack cannot be enabled for a DB cluster that replicates from another DB cluster.");
        RequireEngine(source.Engine);
        RequireFleet();
        var added = AddCluster(scope, new ClusterSettings(identifier, source.Engine, source.EngineVersion, source.MasterUsername, source.DatabaseName, port,
            request.SubnetGroupName, request.VpcSecurityGroupIds, request.ParameterGroupName, request.ServerlessV2Scaling,
            retention, backupWindow, request.DeletionProtection ?? false, request.CopyTagsToSnapshot ?? false, request.Tags, BacktrackWindow: null));
        var cluster = UpdateCluster(added, c => c with
        {
            ReplicationSourceArn = source.Arn,
            GlobalClusterIdentifier = request.GlobalClusterIdentifier is null ? null : source.GlobalClusterIdentifier,
            HttpEndpointEnabled = request.EnableHttpEndpoint ?? false,
        });
        RunForCluster(cluster, "creation", (current, _) =>
        {
            OpenEndpoints(current, null);
            BecomeCluster(current, "available");
            ClusterEvent(current, $"DB cluster created as a replica of {source.Arn}: its first instance replicates from that cluster's writer", "creation");
            return Task.CompletedTask;
        });
        return cluster;
    }

    /// <summary>The first instance of a secondary or replica cluster: seeded from the source cluster's running writer, it replicates from it, read-only.</summary>
    private async Task AddReplicaWriterAsync(DbCluster cluster, DbInstance member, CancellationToken token)
    {
        var source = ClusterByArn(cluster.ReplicationSourceArn!)
            ?? throw new InvalidOperationException($"its source DB cluster {cluster.ReplicationSourceArn} no longer exists.");
        if (Writer(source) is not { Address: not null } sourceWriter || !Server(sourceWriter).IsRunning)
            throw new InvalidOperationException($"the writer of the source DB cluster {source.Identifier} is not running, so there is nothing to replicate from.");
        await SeedReplicaAsync(member, sourceWriter, token);
        UpdateCluster(cluster, c => c with { WriterIdentifier = member.Identifier });
        await StartReaderAsync(member, sourceWriter, token);
        Event(member, $"DB instance created as the writer of the DB cluster, replicating from {sourceWriter.Identifier} of {source.Arn}", "creation");
    }

    /// <summary>A stopped (or new) member's data directory replaced by a copy of <paramref name="source"/>'s running server, which it replicates from from its next start.</summary>
    private async Task SeedReplicaAsync(DbInstance member, DbInstance source, CancellationToken token)
    {
        var server = Server(member);
        await server.StartReplicatingFromAsync(Server(source), source.Address!, source.Port, token);
        server.MarkInitialized();
    }

    // ---- rules the cluster operations keep for members ----

    /// <summary>DeleteDBCluster of a global cluster's member, in AWS's words: a secondary is removed first, a primary is the last to go.</summary>
    private void RefuseDeletionInGlobalCluster(DbCluster cluster)
    {
        if (cluster.GlobalClusterIdentifier is not { } globalName) return;
        if (cluster.ReplicationSourceArn is not null) throw RdsErrors.ClusterInGlobalCluster();
        if (_globalClusters.Get(GlobalClusterKey(cluster.AccountId, globalName)) is { } global && GlobalMembers(global).Count > 1)
            throw RdsErrors.PrimaryWithSecondaries();
    }

    /// <summary>
    /// DeleteDBInstance of a member: a source cluster keeps its last instance while clusters replicate from it (AWS's rule); a
    /// replica cluster's writer goes last, as a reader promoted in its place would stop replicating from the source.
    /// </summary>
    private void RefuseMemberDeletionInReplication(DbCluster cluster, DbInstance member)
    {
        var others = ClusterMembers(cluster).Count(m => m.Identifier != member.Identifier && m.Status != "deleting");
        if (others == 0 && ReplicaClustersOf(cluster).Count > 0) throw RdsErrors.LastInstanceOfSource();
        if (cluster.ReplicationSourceArn is not null && member.Identifier == cluster.WriterIdentifier && others > 0)
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} replicates from {cluster.ReplicationSourceArn}: delete its readers before its writer.");
    }

    /// <summary>FailoverDBCluster within a secondary or replica cluster would make a reader stop replicating from the source: refused.</summary>
    private static void RefuseLocalFailoverOfReplica(DbCluster cluster)
    {
        if (cluster.ReplicationSourceArn is not null)
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} replicates from {cluster.ReplicationSourceArn}; its writer is failed over with its global cluster, or promoted with PromoteReadReplicaDBCluster.");
    }

    /// <summary>The clusters replicating from this one (its secondaries, its read replica clusters).</summary>
    public IReadOnlyList<DbCluster> ReplicaClustersOf(DbCluster source) => _clusters.Values
        .Where(c => c.ReplicationSourceArn == source.Arn).OrderBy(c => c.Arn, StringComparer.Ordinal).ToList();

    /// <summary>After a restart of Stratus: a promotion cut short runs again, and a global cluster is no longer moving its primary.</summary>
    private void RecoverGlobalClusters()
    {
        foreach (var cluster in _clusters.Values.Where(c => c.Status == "promoting").ToList())
            PromoteReplicaCluster(cluster, "The promotion of the DB cluster, cut short when Stratus stopped, was finished");
        foreach (var global in _globalClusters.Values.Where(g => g.Status != "available").ToList())
            UpdateGlobalCluster(global, g => g with { Status = "available", FailoverState = null });
    }

    // ---- promotion and moving the primary ----

    private void PromoteReplicaCluster(DbCluster cluster, string message) => RunForCluster(cluster, "promotion", async (current, token) =>
    {
        var promoted = await PromoteClusterWriterAsync(current, token);
        BecomeCluster(promoted, "available");
        ClusterEvent(promoted, message, "global-failover");
    });

    /// <summary>
    /// The cluster's writer stops replicating for good and takes writes (its readers go on replicating from it); as a promoted
    /// replica is backed up, an automated snapshot follows at once (the restart for the copy makes the writer archive its log).
    /// A cluster that kept backups before (a switchover's old primary) starts a new lineage with it: its writer's log continues
    /// neither its source's nor, its data seeded again, its own earlier one.
    /// </summary>
    private async Task<DbCluster> PromoteClusterWriterAsync(DbCluster cluster, CancellationToken token)
    {
        if (Writer(cluster) is { } writer && Server(writer) is { IsRunning: true } server) await server.PromoteAsync(token);
        var promoted = UpdateCluster(cluster, c => c with { ReplicationSourceArn = null });
        if (Writer(promoted) is { } newWriter)
        {
            if (AutomatedBackupOf(promoted) is not null) promoted = await BeginLineageAsync(promoted, newWriter, token);
            else await TakeAutomatedClusterSnapshotAsync(promoted, token);
        }
        return _clusters.Get(ClusterKey(cluster.AccountId, cluster.Region, cluster.Identifier)) ?? promoted;
    }

    private GlobalCluster MovePrimary(Scope scope, string globalIdentifier, string targetIdentifier, bool allowDataLoss)
    {
        var global = GetGlobalCluster(scope, globalIdentifier);
        var target = ClusterNamed(scope, targetIdentifier);
        if (target.GlobalClusterIdentifier != global.Identifier) throw RdsErrors.NotInGlobalCluster(targetIdentifier, global.Identifier);
        var primary = GlobalPrimary(global) ?? throw RdsErrors.InvalidGlobalClusterState($"Global cluster {global.Identifier} has no primary cluster.");
        if (target.ResourceId == primary.ResourceId)
            throw RdsErrors.InvalidGlobalClusterState($"DB cluster {target.Identifier} is already the primary cluster of global cluster {global.Identifier}.");
        if (target.Status != "available")
            throw RdsErrors.InvalidClusterState($"DB cluster {target.Identifier} is not in the available state (it is {target.Status}).");
        if (Writer(target) is null) throw RdsErrors.InvalidClusterState($"DB cluster {target.Identifier} has no writer DB instance to promote.");
        if (!allowDataLoss && (primary.Status != "available" || Writer(primary) is null))
            throw RdsErrors.InvalidClusterState($"A switchover needs the primary DB cluster {primary.Identifier} available with a writer (it is {primary.Status}); fail over with AllowDataLoss instead.");
        if (primary.Status is not ("available" or "failed"))
            throw RdsErrors.InvalidClusterState($"The primary DB cluster {primary.Identifier} is {primary.Status}; it can be failed over from when available or failed.");

        var moving = UpdateGlobalCluster(global, g => g.Status == "available"
            ? g with { Status = allowDataLoss ? "failing-over" : "switching-over", FailoverState = new GlobalFailoverState("pending", primary.Arn, target.Arn, allowDataLoss) }
            : throw RdsErrors.InvalidGlobalClusterState($"Global cluster {g.Identifier} is not in the available state (it is {g.Status})."));
        UpdateCluster(target, c => c with { Status = "modifying" });
        var demoting = UpdateCluster(primary, c => c.Status == "available" ? c with { Status = "modifying" } : c);
        RunForCluster(demoting, allowDataLoss ? "global failover" : "global switchover", async (current, token) =>
        {
            try
            {
                await MovePrimaryAsync(moving, current, target, allowDataLoss, token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Moving the primary of global cluster {Global} to {Target} failed", moving.Identifier, target.Identifier);
                ClusterEvent(target, $"The DB cluster could not be made the primary of global cluster {moving.Identifier}: {e.Message}", "global-failover");
                SettleAfterMove(moving, current, target);
            }
        }, onFailure: current => SettleAfterMove(moving, current, target));
        return moving;
    }

    /// <summary>
    /// The old primary's writer stops taking writes; the target's writer applies all it wrote (a switchover waits for that and
    /// is cancelled, the old writer started again, when it does not come; a failover does not wait) and is promoted; then the
    /// old primary becomes a secondary of the target: its writer is seeded again from the target's, its readers from it.
    /// </summary>
    private async Task MovePrimaryAsync(GlobalCluster global, DbCluster primary, DbCluster target, bool allowDataLoss, CancellationToken token)
    {
        UpdateGlobalCluster(global, g => g with { FailoverState = g.FailoverState! with { Status = "failing-over" } });
        var oldWriter = Writer(primary);
        var position = "";
        if (oldWriter is not null && Server(oldWriter).IsRunning)
        {
            position = await Server(oldWriter).ReplicationPositionAsync(token);
            await StopClusterWriterAsync(primary, oldWriter, token);
        }
        var targetWriter = Writer(target) ?? throw new InvalidOperationException($"DB cluster {target.Identifier} no longer has a writer.");
        // A failover (AllowDataLoss) promotes at once: what the target had not applied is lost, as on AWS.
        if (!allowDataLoss && !await Server(targetWriter).CatchUpAsync(position, token))
        {
            if (oldWriter is not null) await StartServerAsync(oldWriter, token);
            throw new InvalidOperationException($"{targetWriter.Identifier} had not applied all of the primary's changes within a minute, so the switchover was cancelled.");
        }
        var promoted = await PromoteClusterWriterAsync(target, token);
        BecomeCluster(promoted, "available");
        ClusterEvent(promoted, $"The DB cluster is the primary cluster of global cluster {global.Identifier}", "global-failover");

        var demoted = UpdateCluster(primary, c => c with { ReplicationSourceArn = promoted.Arn });
        var newWriter = Writer(promoted)!;
        if (oldWriter is not null)
        {
            await SeedReplicaAsync(oldWriter, newWriter, token);
            await StartReaderAsync(oldWriter, newWriter, token);
            // The readers' log position is the old writer's, whose data was replaced: each is seeded again from it.
            foreach (var reader in ClusterMembers(demoted).Where(m => m.Identifier != oldWriter.Identifier && m.Status != "deleting"))
            {
                await RequireFleet().StopAsync(reader.ResourceId);
                await SeedReplicaAsync(reader, oldWriter, token);
                await StartReaderAsync(reader, oldWriter, token);
            }
        }
        BecomeCluster(demoted, "available");
        ClusterEvent(demoted, $"The DB cluster is a secondary cluster of global cluster {global.Identifier}, replicating from {promoted.Arn}", "global-failover");
        UpdateGlobalCluster(global, g => g with { Status = "available", FailoverState = null });
    }

    /// <summary>After a move that failed: both clusters and the global cluster are available again, the roles as far as the move came.</summary>
    private void SettleAfterMove(GlobalCluster global, DbCluster primary, DbCluster target)
    {
        foreach (var cluster in new[] { primary, target })
            if (_clusters.Get(ClusterKey(cluster.AccountId, cluster.Region, cluster.Identifier)) is { Status: "modifying" } current) BecomeCluster(current, "available");
        if (_globalClusters.Get(GlobalClusterKey(global.AccountId, global.Identifier)) is { } current2)
            UpdateGlobalCluster(current2, g => g with { Status = "available", FailoverState = null });
    }

    // ---- helpers ----

    /// <summary>A cluster named by identifier (in the caller's Region) or by ARN (in any Region of the caller's account).</summary>
    private DbCluster ClusterNamed(Scope scope, string identifier)
    {
        if (!identifier.StartsWith("arn:", StringComparison.Ordinal)) return GetCluster(scope, identifier);
        var parts = identifier.Split(':');
        if (parts.Length != 7 || parts[2] != "rds" || parts[5] != "cluster" || parts[4] != scope.AccountId) throw RdsErrors.ClusterNotFound(identifier);
        return GetCluster(Scope.Of(parts[4], parts[3]), parts[6]);
    }

    private DbCluster? ClusterByArn(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length == 7 ? _clusters.Get(ClusterKey(parts[4], parts[3], parts[6])) : null;
    }

    private GlobalCluster UpdateGlobalCluster(GlobalCluster global, Func<GlobalCluster, GlobalCluster> change) =>
        _globalClusters.Update(GlobalClusterKey(global.AccountId, global.Identifier), change) ?? throw RdsErrors.GlobalClusterNotFound(global.Identifier);

    /// <summary>Global clusters belong to an account, not to a Region.</summary>
    private static string GlobalClusterKey(string accountId, string identifier) => ResourceTable<GlobalCluster>.Key(accountId, identifier);
}
