using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Automated backups of Aurora DB clusters, as Aurora keeps them (BackupRetentionPeriod 1 to 35: it cannot be turned off): an
/// automated cluster snapshot when the cluster is created or restored and then daily in its PreferredBackupWindow, plus the
/// writer's transaction log (aurora-mysql's binary log, aurora-postgresql's WAL) archived continuously into the cluster's log
/// archive, the instances' own machinery (<see cref="IDbServer.ArchiveLogAsync"/>, <see cref="IDbServer.PrepareRecovery"/>)
/// pointed at it. Readers archive nothing (their log is the writer's), but read the archive (<see cref="IDbServer.SourceLogArchive"/>).
///
/// The archive is kept by lineage: the log of one line of data. Every writer that takes the cluster volume over continues
/// its lineage (the cluster's resource id). A failover promotes a reader whose log is its own, not a continuation of the
/// old writer's files, so it starts a lineage of its own: the old writer's log is archived
/// up to its stop, and the promoted reader is snapshotted (automated) before it takes writes, so the window goes on without a
/// gap: a time between the old writer's stop and that snapshot restores the old lineage's whole log, which is the state the
/// new one starts from. Readers archive nothing. RestoreDBClusterToPointInTime restores the newest automated snapshot before the time and replays its
/// lineage's log up to it, as instance point-in-time restores do.
/// </summary>
public sealed partial class RdsService
{
    private readonly ResourceTable<DbClusterAutomatedBackup> _clusterAutomatedBackups;

    private static string ClusterAutomatedBackupKey(string accountId, string region, string resourceId) =>
        ResourceTable<DbClusterAutomatedBackup>.Key(accountId, region, resourceId);

    private DbClusterAutomatedBackup? AutomatedBackupOf(DbCluster cluster) =>
        _clusterAutomatedBackups.Get(ClusterAutomatedBackupKey(cluster.AccountId, cluster.Region, cluster.ResourceId));

    /// <summary>The lineage the cluster's writer archives into (clusters stored before lineages were recorded: the volume's).</summary>
    private static string LineageOf(DbCluster cluster) => cluster.LogLineage ?? cluster.ResourceId;

    private static string LineageOf(DbClusterSnapshot snapshot) => snapshot.LogLineage ?? snapshot.ClusterResourceId;

    private readonly AutomatedBackupBooks<DbClusterAutomatedBackup, DbClusterSnapshot> _clusterBackupBooks;

    /// <summary>The automated snapshots of one cluster (by DbClusterResourceId, so a deleted cluster's stay its own), oldest first.</summary>
    private List<DbClusterSnapshot> AutomatedClusterSnapshotsOf(string accountId, string region, string clusterResourceId) =>
        _clusterBackupBooks.SnapshotsOf(accountId, region, clusterResourceId);

    /// <summary>Records the cluster's automated backup as active (with its current settings) and makes its current lineage's archive.</summary>
    private DbClusterAutomatedBackup KeepClusterAutomatedBackups(DbCluster cluster)
    {
        RequireFleet().CreateClusterLogArchive(cluster.ResourceId, LineageOf(cluster));
        var vpcId = GetSubnetGroup(Scope.Of(cluster.AccountId, cluster.Region), cluster.SubnetGroupName).VpcId;
        return _clusterBackupBooks.Keep(cluster.AccountId, cluster.Region, cluster.ResourceId, b => b.Describing(cluster, vpcId),
            () => new DbClusterAutomatedBackup { ArnId = "cluster-auto-backup-" + NewResourceId("").ToLowerInvariant() });
    }

    /// <summary>Removes a cluster's automated backups: its automated snapshots, its log archive (every lineage) and the record.</summary>
    private void DeleteClusterAutomatedBackups(string accountId, string region, string resourceId) => _clusterBackupBooks.Delete(accountId, region, resourceId);

    /// <summary>
    /// Before an Aurora member's server starts: the writer archives into its cluster's lineage; a reader archives nothing (its
    /// log is the writer's), so a reader promoted by a failover starts archiving when the snapshot that begins its lineage
    /// restarts it. A reader reads the cluster's archive, every lineage of it, for the log its writer no longer holds: an
    /// archiving PostgreSQL writer switches to a new WAL segment as it shuts down and recycles the old one once archived, so a
    /// standby that stopped before it (RebootDBCluster restarts every member at once) finds the rest of that segment only in
    /// the archive. Nothing for other instances or while the cluster keeps no backups yet.
    /// </summary>
    private void PlaceClusterLogArchive(DbInstance member)
    {
        if (member.ClusterIdentifier is null || _clusters.Get(ClusterKey(member.AccountId, member.Region, member.ClusterIdentifier)) is not { } cluster
            || AutomatedBackupOf(cluster) is null) return;
        var fleet = RequireFleet();
        var isWriter = member.Identifier == cluster.WriterIdentifier;
        var server = Server(member);
        // A secondary or replica cluster (a switchover's old primary) archives nothing while it replicates: its log is its source's.
        if (cluster.ReplicationSourceArn is not null)
        {
            server.LogArchive = null;
            server.SourceLogArchive = null;
            return;
        }
        server.LogArchive = isWriter ? fleet.CreateClusterLogArchive(cluster.ResourceId, LineageOf(cluster)) : null;
        server.SourceLogArchive = isWriter ? null : fleet.LogArchiveDir(cluster.ResourceId);
    }

    /// <summary>
    /// Stops the cluster's writer (a snapshot, a failover, StopDBCluster, the last instance's deletion): its log is archived up
    /// to now first and the file the stop closed after it, and the automated backup records how far its lineage reaches.
    /// </summary>
    private async Task StopClusterWriterAsync(DbCluster cluster, DbInstance writer, CancellationToken token)
    {
        var archivedFrom = Now;
        var archived = await TryArchiveClusterLogAsync(cluster, writer, token);
        await RequireFleet().StopAsync(writer.ResourceId);
        await TryArchiveClusterLogAsync(cluster, writer, token);
        if (archived)
            _clusterAutomatedBackups.Update(ClusterAutomatedBackupKey(cluster.AccountId, cluster.Region, cluster.ResourceId),
                b => b.ArchivedUntil(LineageOf(cluster), archivedFrom));
    }

    /// <summary>
    /// Archives the writer's log when the cluster keeps backups. A failure is an event on the cluster, not the end of the
    /// operation: the restore window then ends where the archive does.
    /// </summary>
    private async Task<bool> TryArchiveClusterLogAsync(DbCluster cluster, DbInstance writer, CancellationToken token)
    {
        if (AutomatedBackupOf(cluster) is null) return false;
        try
        {
            await Server(writer).ArchiveLogAsync(token);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Archiving the transaction log of {Instance} (DB cluster {Cluster}) failed", writer.Identifier, cluster.Identifier);
            ClusterEvent(cluster, $"The transaction log of {writer.Identifier} could not be archived: {e.Message}", "backup");
            return false;
        }
    }

    /// <summary>
    /// The cluster's data copied into <paramref name="snapshot"/>, manual and automated cluster snapshots alike: taken online
    /// from the running writer where its engine can (mariadb-backup, pg_basebackup), as the instances' snapshots are, so the
    /// writer keeps serving (Aurora snapshots do not interrupt the cluster); else the stopped writer's data directory, the
    /// writer running again afterwards; the volume's while the cluster has no writer. A writer that archives no log yet (a
    /// reader a failover just promoted) is copied stopped: the restart makes it archive the lineage the snapshot begins.
    /// </summary>
    private async Task CopyClusterDataAsync(DbCluster cluster, DbClusterSnapshot snapshot, CancellationToken token)
    {
        if (Writer(cluster) is not { } writer)
        {
            CopyToClusterSnapshot(cluster, snapshot);
            return;
        }
        if (Server(writer) is { SnapshotsOnline: true, LogArchive: not null } server)
        {
            await server.SnapshotOnlineAsync(RequireFleet().SnapshotDataDir(snapshot.ResourceId), token);
            FinishSnapshot(_clusterSnapshotShelf, snapshot);
            return;
        }
        // A consistent copy of a data directory needs the writer stopped for a moment; readers reconnect to it by themselves.
        await StopClusterWriterAsync(cluster, writer, token);
        try
        {
            CopyToClusterSnapshot(cluster, snapshot);
        }
        finally
        {
            await StartServerAsync(writer, token);
        }
    }

    /// <summary>
    /// An automated cluster snapshot of the cluster's current lineage, named as RDS names them (rds:&lt;cluster&gt;-yyyy-mm-dd-hh-mm),
    /// the cluster backing-up meanwhile. A second one within the minute (a failover's new lineage right after the cluster's
    /// creation) takes the seconds too, as its lineage needs a snapshot of its own.
    /// </summary>
    private async Task TakeAutomatedClusterSnapshotAsync(DbCluster cluster, CancellationToken token)
    {
        KeepClusterAutomatedBackups(cluster);
        var vpcId = GetSubnetGroup(Scope.Of(cluster.AccountId, cluster.Region), cluster.SubnetGroupName).VpcId;
        var taken = Now;
        var snapshot = new[] { $"rds:{cluster.Identifier}-{taken:yyyy-MM-dd-HH-mm}", $"rds:{cluster.Identifier}-{taken:yyyy-MM-dd-HH-mm-ss}" }
            .Select(name => new DbClusterSnapshot(cluster, name, NewResourceId("snap-"), taken, vpcId, cluster.CopyTagsToSnapshot ? cluster.Tags : [])
            {
                SnapshotType = "automated",
                LogLineage = LineageOf(cluster),
            })
            .FirstOrDefault(s => _clusterSnapshots.TryAdd(ClusterSnapshotKey(s), s));
        if (snapshot is null) return;
        var status = cluster.Status;
        var current = UpdateCluster(cluster, c => c.Status == "available" ? c with { Status = "backing-up" } : c);
        ClusterEvent(current, "Backing up DB cluster", "backup");
        try
        {
            await CopyClusterDataAsync(current, snapshot, token);
        }
        catch
        {
            _clusterSnapshots.Update(ClusterSnapshotKey(snapshot), s => s with { Status = "failed" });
            throw;
        }
        finally
        {
            if (status == "available") BecomeCluster(current, "available");
        }
        ClusterEvent(current, "Finished DB cluster backup", "backup");
    }

    /// <summary>
    /// After a failover promoted <paramref name="target"/> (not yet taking writes through the cluster endpoint): its log starts
    /// a new lineage, and an automated snapshot of it is taken before it writes (the restart for the copy starts its archiving
    /// into the new lineage), so the new lineage's log continues from that snapshot. The cluster records the target as its writer.
    /// </summary>
    private async Task<DbCluster> BeginLineageAsync(DbCluster cluster, DbInstance target, CancellationToken token)
    {
        if (AutomatedBackupOf(cluster) is null) return UpdateCluster(cluster, c => c with { WriterIdentifier = target.Identifier });
        var promoted = UpdateCluster(cluster, c => c with { WriterIdentifier = target.Identifier, LogLineage = $"{target.ResourceId}-{Now.ToUnixTimeMilliseconds()}" });
        ClusterEvent(promoted, $"The automated backups of the DB cluster continue with the transaction log of {target.Identifier} from its automated snapshot", "backup");
        await TakeAutomatedClusterSnapshotAsync(promoted, token);
        return _clusters.Get(ClusterKey(cluster.AccountId, cluster.Region, cluster.Identifier)) ?? promoted;
    }

    // ---- the restore window ----

    /// <summary>
    /// Where a lineage's archived log reaches: now while it is the active cluster's and its writer runs (its log is archived up
    /// to the moment a restore asks), else where it was archived before its writer last stopped, at least its newest snapshot.
    /// </summary>
    private DateTimeOffset LineageEnd(DbClusterAutomatedBackup backup, string lineage, IReadOnlyList<DbClusterSnapshot> snapshots)
    {
        if (ActiveClusterOf(backup) is { ReplicationSourceArn: null } cluster && LineageOf(cluster) == lineage && Writer(cluster) is { } writer
            && _fleet?.EngineFor(writer.Engine) is { } engine && _fleet.Server(writer.ResourceId, engine).IsRunning) return Now;
        var archived = backup.LogArchivedUntil.TryGetValue(lineage, out var until) ? until : DateTimeOffset.MinValue;
        var newest = snapshots.Where(s => LineageOf(s) == lineage).Select(s => s.SnapshotCreateTime).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        return archived > newest ? archived : newest;
    }

    private DbCluster? ActiveClusterOf(DbClusterAutomatedBackup backup) =>
        backup.Status == "active" ? _clusters.Values.FirstOrDefault(c => c.ResourceId == backup.ResourceId && c.AccountId == backup.AccountId) : null;

    private List<DbClusterSnapshot> AvailableAutomatedSnapshots(DbClusterAutomatedBackup backup) =>
        AutomatedClusterSnapshotsOf(backup.AccountId, backup.Region, backup.ResourceId).Where(s => s.Status == "available").ToList();

    /// <summary>From the oldest automated cluster snapshot to the end of the newest one's lineage; null without an automated snapshot yet.</summary>
    public (DateTimeOffset Earliest, DateTimeOffset Latest)? RestoreWindow(DbClusterAutomatedBackup backup)
    {
        var snapshots = AvailableAutomatedSnapshots(backup);
        if (snapshots.Count == 0) return null;
        return (snapshots[0].SnapshotCreateTime, LineageEnd(backup, LineageOf(snapshots[^1]), snapshots));
    }

    /// <summary>The cluster's restore window as DescribeDBClusters reports it (EarliestRestorableTime, LatestRestorableTime).</summary>
    public (DateTimeOffset Earliest, DateTimeOffset Latest)? RestoreWindow(DbCluster cluster) =>
        AutomatedBackupOf(cluster) is { } backup ? RestoreWindow(backup) : null;

    // ---- the daily backup and retention ----

    /// <summary>Once a minute, beside the instances': an automated snapshot of each available cluster due one, then retention.</summary>
    private void CheckClusterBackups()
    {
        // A secondary or replica cluster keeps no automated backups while it replicates (its source's are the data's), as instance read replicas.
        foreach (var cluster in _clusters.Values.Where(c => c.Status == "available" && c.ReplicationSourceArn is null).ToList())
        {
            var latest = AutomatedClusterSnapshotsOf(cluster.AccountId, cluster.Region, cluster.ResourceId).LastOrDefault();
            if (!AutomatedBackupDue(cluster.PreferredBackupWindow, latest?.SnapshotCreateTime)) continue;
            RunForCluster(cluster, "automated backup", (current, token) =>
                current.Status == "available" ? TakeAutomatedClusterSnapshotAsync(current, token) : Task.CompletedTask,
                onFailure: current => BecomeCluster(current, "available"));
        }
        foreach (var backup in _clusterAutomatedBackups.Values.ToList()) ExpireClusterAutomatedBackups(backup);
    }

    /// <summary>
    /// Retention as for instances (<see cref="ExpiredAutomatedSnapshots"/>); each lineage's log older than its oldest snapshot
    /// kept goes, and a lineage left without snapshots goes whole unless the writer still archives into it.
    /// </summary>
    private void ExpireClusterAutomatedBackups(DbClusterAutomatedBackup backup)
    {
        // A backtrack window longer than the retention period keeps what backtracking to its start needs.
        var keptFor = TimeSpan.FromDays(backup.BackupRetentionPeriod);
        if (ActiveClusterOf(backup) is { BacktrackWindow: > 0 and var window } && TimeSpan.FromSeconds(window) > keptFor) keptFor = TimeSpan.FromSeconds(window);
        if (_clusterBackupBooks.Expire(backup, Now - keptFor) is not { } books) return;
        var (expired, kept) = books;
        var current = ActiveClusterOf(backup) is { } cluster ? LineageOf(cluster) : null;
        foreach (var lineage in expired.Select(LineageOf).Concat(kept.Select(LineageOf)).Distinct())
        {
            var oldestKept = kept.FirstOrDefault(s => LineageOf(s) == lineage)?.SnapshotCreateTime;
            if (oldestKept is null && lineage == current) continue;
            _fleet?.PruneClusterLogArchive(backup.ResourceId, lineage, oldestKept);
        }
    }

    // ---- DescribeDBClusterAutomatedBackups, DeleteDBClusterAutomatedBackup ----

    public RdsPage<DbClusterAutomatedBackup> DescribeClusterAutomatedBackups(Scope scope, string? resourceId, string? clusterIdentifier,
        IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var backups = _clusterAutomatedBackups.Values.Where(b => b.AccountId == scope.AccountId && b.Region == scope.Region);
        if (resourceId is not null) backups = backups.Where(b => b.ResourceId == resourceId);
        if (clusterIdentifier is not null) backups = backups.Where(b => b.Identifier == NameFromArn(clusterIdentifier, "cluster").ToLowerInvariant());
        var found = backups.ToList();
        if (found.Count == 0 && (resourceId ?? clusterIdentifier) is { } named) throw RdsErrors.ClusterAutomatedBackupNotFound(named);
        return FilteredPage(found, filters, (name, values) => name switch
        {
            "status" => b => values.Contains(b.Status),
            "db-cluster-id" => b => values.Contains(b.Identifier) || values.Contains(b.ClusterArn),
            "db-cluster-resource-id" => b => values.Contains(b.ResourceId) || values.Contains(b.Arn),
            _ => null,
        }, b => b.Identifier + "/" + b.ResourceId, marker, max);
    }

    /// <summary>Deletes a retained cluster automated backup (its snapshots and log); an active cluster's go with the cluster.</summary>
    public DbClusterAutomatedBackup DeleteClusterAutomatedBackup(Scope scope, string resourceId)
    {
        var backup = _clusterAutomatedBackups.Get(ClusterAutomatedBackupKey(scope.AccountId, scope.Region, resourceId))
            ?? throw RdsErrors.ClusterAutomatedBackupNotFound(resourceId);
        if (backup.Status != "retained") throw RdsErrors.ClusterAutomatedBackupOfActiveCluster(backup.Identifier);
        DeleteClusterAutomatedBackups(backup.AccountId, backup.Region, backup.ResourceId);
        return backup with { Status = "deleting" };
    }

    // ---- RestoreDBClusterToPointInTime ----

    public DbCluster RestoreClusterToPointInTime(Scope scope, ClusterPointInTimeRestoreRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("DBClusterIdentifier", request.Identifier);
        switch (request.RestoreType)
        {
            case null or "full-copy":
                break;
            case "copy-on-write":
                throw RdsErrors.CopyOnWriteRestoreNotBuilt();
            default:
                throw RdsErrors.InvalidValue($"Invalid RestoreType: {request.RestoreType}. Valid values are full-copy and copy-on-write.");
        }
        if (request.RestoreTime is not null && request.UseLatestRestorableTime)
            throw RdsErrors.InvalidCombination("Cannot specify both RestoreToTime and UseLatestRestorableTime.");
        if (request.RestoreTime is null && !request.UseLatestRestorableTime)
            throw RdsErrors.InvalidCombination("Either RestoreToTime or UseLatestRestorableTime must be specified.");
        var backup = SourceClusterBackup(scope, request);
        var window = RestoreWindow(backup) ?? throw RdsErrors.InvalidRestore(
            $"DB cluster {backup.Identifier} has no automated snapshot to restore from yet.");
        if (request.RestoreTime is { } asked && (asked < window.Earliest || asked > window.Latest))
            throw RdsErrors.InvalidRestore($"The restore time {asked.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is outside the restorable window of DB cluster {backup.Identifier}: " +
                $"{window.Earliest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} to {window.Latest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}.");
        var point = RecoveryPointOf(backup, request.RestoreTime ?? window.Latest, exact: request.RestoreTime is not null);
        var (snapshot, lineage, target) = point;

        var retention = RdsRules.ClusterBackupRetentionPeriod(request.BackupRetentionPeriod ?? backup.BackupRetentionPeriod);
        var backupWindow = request.PreferredBackupWindow ?? backup.PreferredBackupWindow;
        RdsRules.BackupWindow(backupWindow);
        var cluster = AddRestoredCluster(scope, identifier, request, snapshot, retention, backupWindow);
        var fleet = RequireFleet();
        var engine = RequireEngine(snapshot.Engine);
        RunForCluster(cluster, "point-in-time restore", async (current, token) =>
        {
            // A running source writer's log is archived up to now first, so the archive reaches the restore time.
            if (ActiveClusterOf(backup) is { } source && LineageOf(source) == lineage && Writer(source) is { } writer && Server(writer).IsRunning)
                await Server(writer).ArchiveLogAsync(token);
            var volume = fleet.Server(current.ResourceId, engine);
            PrepareClusterRecovery(volume, backup, point);
            var address = await fleet.StartAsync(current.ResourceId, engine, null, current.Port, false, token);
            try
            {
                await volume.FinishRecoveryAsync(token);
            }
            finally
            {
                await fleet.StopAsync(current.ResourceId);
            }
            await FinishClusterRestoreAsync(current, address, target is { } at
                ? $"Restored from DB cluster {backup.Identifier} to {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"
                : $"Restored from DB cluster {backup.Identifier} to its latest restorable time", token);
        });
        return cluster;
    }

    /// <summary>
    /// Where a time of the cluster's history is found (a point-in-time restore's, a backtrack's): the newest automated snapshot
    /// before it and its lineage's log replayed up to the time. A time past the lineage's end (a lineage a failover or a
    /// backtrack ended) replays it whole: the next lineage starts from its last state. <paramref name="exact"/> false replays
    /// all of the log (UseLatestRestorableTime).
    /// </summary>
    private ClusterRecoveryPoint RecoveryPointOf(DbClusterAutomatedBackup backup, DateTimeOffset time, bool exact)
    {
        var snapshots = AvailableAutomatedSnapshots(backup);
        var snapshot = snapshots.Last(s => s.SnapshotCreateTime <= time);
        var lineage = LineageOf(snapshot);
        return new ClusterRecoveryPoint(snapshot, lineage, exact && time <= LineageEnd(backup, lineage, snapshots) ? time : null);
    }

    private sealed record ClusterRecoveryPoint(DbClusterSnapshot Snapshot, string Lineage, DateTimeOffset? Target);

    /// <summary>A server's data directory made from the point's snapshot, its lineage's log to be replayed at its first start.</summary>
    private void PrepareClusterRecovery(IDbServer server, DbClusterAutomatedBackup backup, ClusterRecoveryPoint point)
    {
        var fleet = RequireFleet();
        if (Directory.Exists(server.DataDir)) Directory.Delete(server.DataDir, recursive: true);
        DbFleet.CopyDirectory(fleet.SnapshotDataDir(point.Snapshot.ResourceId), server.DataDir);
        server.CreateHome();
        server.PrepareRecovery(fleet.ClusterLogArchiveDir(backup.ResourceId, point.Lineage), point.Target);
        server.MarkInitialized();
    }

    /// <summary>
    /// The automated backups a point-in-time restore reads: of the source cluster named (which must exist), or named by its
    /// DbClusterResourceId (a deleted cluster's retained backups too).
    /// </summary>
    private DbClusterAutomatedBackup SourceClusterBackup(Scope scope, ClusterPointInTimeRestoreRequest request)
    {
        if (request.SourceIdentifier is { } sourceIdentifier)
        {
            var source = GetCluster(scope, sourceIdentifier);
            return AutomatedBackupOf(source) ?? throw RdsErrors.InvalidRestore($"DB cluster {source.Identifier} has no automated snapshot to restore from yet.");
        }
        var resourceId = request.SourceResourceId
            ?? throw RdsErrors.InvalidCombination("One of SourceDBClusterIdentifier or SourceDbClusterResourceId must be specified.");
        return _clusterAutomatedBackups.Get(ClusterAutomatedBackupKey(scope.AccountId, scope.Region, resourceId))
            ?? throw RdsErrors.ClusterAutomatedBackupNotFound(resourceId);
    }
}
