using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Automated backups of DB instances, as RDS keeps them while BackupRetentionPeriod is above 0: an automated snapshot when the
/// instance is created (and restored, and promoted) and then daily in its PreferredBackupWindow, plus its transaction log
/// archived continuously (MariaDB's binary log, PostgreSQL's WAL) into DATA_DIR/rds/backups/&lt;DbiResourceId&gt;/log. Together
/// they restore the instance to any second between its oldest automated snapshot and its latest archived log
/// (RestoreDBInstanceToPointInTime). Snapshots older than the retention period go, with the log before them; deleting the
/// instance deletes its automated backups unless DeleteAutomatedBackups is false, when they stay "retained" until they expire.
/// </summary>
public sealed partial class RdsService
{
    private static readonly TimeSpan BackupCheckPeriod = TimeSpan.FromMinutes(1);

    /// <summary>Whether RDS keeps automated backups of the instance: retention above 0, and not an Aurora member (the cluster's) or a read replica (its source's).</summary>
    private static bool BacksUp(DbInstance instance) =>
        instance.BackupRetentionPeriod > 0 && instance.ClusterIdentifier is null && instance.ReplicaSourceIdentifier is null;

    private static string AutomatedBackupKey(string accountId, string region, string resourceId) =>
        ResourceTable<DbInstanceAutomatedBackup>.Key(accountId, region, resourceId);

    private DbInstanceAutomatedBackup? AutomatedBackupOf(DbInstance instance) =>
        _automatedBackups.Get(AutomatedBackupKey(instance.AccountId, instance.Region, instance.ResourceId));

    private readonly AutomatedBackupBooks<DbInstanceAutomatedBackup, DbSnapshot> _instanceBackupBooks;

    /// <summary>The automated snapshots of one instance (by DbiResourceId, so a deleted instance's stay its own), oldest first.</summary>
    private List<DbSnapshot> AutomatedSnapshotsOf(string accountId, string region, string resourceId) =>
        _instanceBackupBooks.SnapshotsOf(accountId, region, resourceId);

    /// <summary>Records the instance's automated backup as active (with its current settings) and makes its log archive.</summary>
    private DbInstanceAutomatedBackup KeepAutomatedBackups(DbInstance instance)
    {
        RequireFleet().CreateLogArchive(instance.ResourceId);
        var vpcId = SubnetGroupOf(instance).VpcId;
        return _instanceBackupBooks.Keep(instance.AccountId, instance.Region, instance.ResourceId, b => b.Describing(instance, vpcId),
            () => new DbInstanceAutomatedBackup { ArnId = "ab-" + NewResourceId("").ToLowerInvariant() });
    }

    /// <summary>Removes an instance's automated backups: its automated snapshots, its log archive and the record.</summary>
    private void DeleteAutomatedBackups(string accountId, string region, string resourceId) => _instanceBackupBooks.Delete(accountId, region, resourceId);

    /// <summary>The first automated snapshot of an instance that keeps backups, taken before it is first available, as RDS does.</summary>
    private async Task FirstAutomatedBackupAsync(DbInstance instance, CancellationToken token)
    {
        if (!BacksUp(instance)) return;
        KeepAutomatedBackups(instance);
        // The record as it is now: the server's address is its own since it started.
        await TakeAutomatedSnapshotAsync(_instances.Get(InstanceKey(instance.AccountId, instance.Region, instance.Identifier)) ?? instance, token);
    }

    /// <summary>
    /// An automated snapshot (the instance's operation lock held), named as RDS names them, rds:&lt;instance&gt;-yyyy-mm-dd-hh-mm:
    /// the running server is copied while it keeps serving (status backing-up meanwhile, as RDS reports its backups), and the
    /// snapshot is timed when the copy was complete, the moment its data is of. A copy that fails while the server runs is an
    /// event (the next check tries again), not the end of the instance.
    /// </summary>
    private async Task TakeAutomatedSnapshotAsync(DbInstance instance, CancellationToken token)
    {
        var current = UpdateInstance(instance, i => i.Status == "deleting" ? i : i with { Status = "backing-up" });
        if (current.Status == "deleting") return;
        Event(current, "Backing up DB instance", "backup");
        var started = Now;
        var snapshot = new DbSnapshot(current, $"rds:{current.Identifier}-{started:yyyy-MM-dd-HH-mm}", NewResourceId("snap-"), started,
            SubnetGroupOf(current).VpcId, current.CopyTagsToSnapshot ? current.Tags : []) { SnapshotType = "automated" };
        // Two in one minute (a restore's first backup, then a retention change) share a name: the first one serves.
        if (_snapshots.TryAdd(SnapshotKey(snapshot), snapshot))
        {
            try
            {
                var dataTime = await CopyServerToSnapshotAsync(current, RequireFleet().SnapshotDataDir(snapshot.ResourceId), token);
                _snapshots.Update(SnapshotKey(snapshot), s => s with { Status = "available", SnapshotCreateTime = dataTime });
            }
            catch (Exception e) when (e is not OperationCanceledException && Server(current).IsRunning)
            {
                _snapshots.Remove(SnapshotKey(snapshot));
                RequireFleet().DeleteSnapshotData(snapshot.ResourceId);
                _logger.LogWarning(e, "The automated backup of {Instance} failed", current.Identifier);
                Event(current, $"The automated backup failed: {e.Message}", "backup");
                Become(current, "available");
                return;
            }
        }
        Become(current, "available");
        Event(current, "Finished DB Instance backup", "backup");
    }

    /// <summary>
    /// Copies the instance's running server into a snapshot folder and returns the moment the copy's data is of. Online where
    /// the engine can (mariadb-backup, pg_basebackup): the server keeps serving, as RDS takes snapshots without stopping the
    /// instance. Otherwise (mariadb-backup not installed; a PostgreSQL server that must restart to archive its WAL) the server
    /// stops for a copy of its data directory, its log archived around the stop, and starts again.
    /// </summary>
    private async Task<DateTimeOffset> CopyServerToSnapshotAsync(DbInstance instance, string snapshotDir, CancellationToken token)
    {
        var server = Server(instance);
        if (server.SnapshotsOnline)
        {
            await server.SnapshotOnlineAsync(snapshotDir, token);
            return Now;
        }
        await ArchiveBeforeStopAsync(instance, token);
        await RequireFleet().StopAsync(instance.ResourceId);
        await ArchiveAfterStopAsync(instance, token);
        var stopped = Now;
        DbFleet.CopyDirectory(server.DataDir, snapshotDir);
        await StartServerAsync(instance, token);
        return stopped;
    }

    /// <summary>
    /// The log archive of an instance that keeps backups is made before its server starts, so that the server archives its log
    /// from the start (PostgreSQL reads archive_mode only then) and its first snapshot is taken online.
    /// </summary>
    private void PrepareLogArchive(DbInstance instance)
    {
        if (BacksUp(instance)) RequireFleet().CreateLogArchive(instance.ResourceId);
    }

    /// <summary>
    /// Before a server stops (StopDBInstance, DeleteDBInstance, a snapshot taken stopped): its log is archived up to now, and the
    /// automated backup records that time as the latest it restores to while the server is not running.
    /// </summary>
    private async Task ArchiveBeforeStopAsync(DbInstance instance, CancellationToken token)
    {
        var archivedFrom = Now;
        if (await TryArchiveLogAsync(instance, token))
            _automatedBackups.Update(AutomatedBackupKey(instance.AccountId, instance.Region, instance.ResourceId), b => b with { LogArchivedUntil = archivedFrom });
    }

    /// <summary>After the server stopped: the log file the stop closed joins the archive (MariaDB's last binary log).</summary>
    private Task ArchiveAfterStopAsync(DbInstance instance, CancellationToken token) => TryArchiveLogAsync(instance, token);

    /// <summary>
    /// Archives the instance's log when it keeps backups. A failure (a full disk, a server that does not answer) is an event,
    /// not the end of the operation that stops the server: the restore window then ends where the archive does.
    /// </summary>
    private async Task<bool> TryArchiveLogAsync(DbInstance instance, CancellationToken token)
    {
        if (AutomatedBackupOf(instance) is null) return false;
        try
        {
            await Server(instance).ArchiveLogAsync(token);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Archiving the transaction log of {Instance} failed", instance.Identifier);
            Event(instance, $"The transaction log could not be archived: {e.Message}", "backup");
            return false;
        }
    }

    /// <summary>
    /// Where a restore can reach: from the oldest automated snapshot to the latest archived log. A running server's log is
    /// archived up to the moment a restore asks (its open file closed first), so that is now; a stopped or deleted instance's
    /// ends where it was archived before the server stopped. Null without an automated snapshot yet.
    /// </summary>
    public (DateTimeOffset Earliest, DateTimeOffset Latest)? RestoreWindow(DbInstanceAutomatedBackup backup)
    {
        var snapshots = AutomatedSnapshotsOf(backup.AccountId, backup.Region, backup.ResourceId).Where(s => s.Status == "available").ToList();
        if (snapshots.Count == 0) return null;
        var instance = backup.Status == "active" ? _instances.Values.FirstOrDefault(i => i.ResourceId == backup.ResourceId) : null;
        var running = instance is not null && _fleet?.EngineFor(instance.Engine) is { } engine && _fleet.Server(instance.ResourceId, engine).IsRunning;
        var archived = new[] { backup.LogArchivedUntil ?? DateTimeOffset.MinValue, snapshots[^1].SnapshotCreateTime }.Max();
        return (snapshots[0].SnapshotCreateTime, running ? Now : archived);
    }

    /// <summary>The instance's restore window as DescribeDBInstances reports it (EarliestRestorableTime, LatestRestorableTime).</summary>
    public (DateTimeOffset Earliest, DateTimeOffset Latest)? RestoreWindow(DbInstance instance) =>
        BacksUp(instance) && AutomatedBackupOf(instance) is { } backup ? RestoreWindow(backup) : null;

    // ---- the daily backup and retention ----

    private void StartBackupSchedule()
    {
        var token = _shutdown.Token;
        var task = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(BackupCheckPeriod, _clock);
            try
            {
                while (await timer.WaitForNextTickAsync(token)) CheckBackups();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>
    /// Once a minute: an automated snapshot of each available instance that keeps backups and has none yet, or is in its backup
    /// window without one from this window; the copies replicated to other Regions brought up to date; then the automated
    /// snapshots past their retention go, with the log before them.
    /// </summary>
    private void CheckBackups()
    {
        try
        {
            foreach (var instance in _instances.Values.Where(i => i.Status == "available" && BacksUp(i)).ToList())
            {
                var latest = AutomatedSnapshotsOf(instance.AccountId, instance.Region, instance.ResourceId).LastOrDefault();
                if (!AutomatedBackupDue(instance.PreferredBackupWindow, latest?.SnapshotCreateTime)) continue;
                KeepAutomatedBackups(instance);
                RunForInstance(instance, "automated backup", (current, token) =>
                    current.Status == "available" && BacksUp(current) ? TakeAutomatedSnapshotAsync(current, token) : Task.CompletedTask);
            }
            ReplicateAutomatedBackups();
            foreach (var backup in _automatedBackups.Values.ToList()) ExpireAutomatedBackups(backup);
            CheckClusterBackups();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "RDS's automated backup check failed");
        }
    }

    /// <summary>Whether a database needs an automated snapshot: it has none yet, or it is in its backup window without one from this window.</summary>
    private bool AutomatedBackupDue(string backupWindow, DateTimeOffset? latest)
    {
        if (latest is not { } taken) return true;
        var (start, length) = RdsRules.BackupWindow(backupWindow);
        var sinceStart = (Now.UtcDateTime.TimeOfDay - start + TimeSpan.FromDays(1)).Ticks % TimeSpan.TicksPerDay;
        return sinceStart < length.Ticks && taken < Now - length;
    }

    /// <summary>
    /// Retention: an automated snapshot goes once a newer one is itself older than the retention period (the newer one then
    /// serves every time in the window); a retained backup's snapshots go as each passes it, and the backup with the last one.
    /// The archived log older than the oldest snapshot kept can restore nothing and goes too.
    /// </summary>
    private void ExpireAutomatedBackups(DbInstanceAutomatedBackup backup)
    {
        if (_instanceBackupBooks.Expire(backup, Now - TimeSpan.FromDays(backup.BackupRetentionPeriod)) is { Kept: [var oldest, ..] })
            _fleet?.PruneLogArchive(backup.LogArchiveId, oldest.SnapshotCreateTime);
    }

    /// <summary>
    /// The automated snapshots (oldest first) past the retention <paramref name="horizon"/>: while the database exists, each
    /// whose successor is itself older than the horizon (the successor then serves every time in the window); once it is
    /// retained, each older than the horizon.
    /// </summary>
    private static List<T> ExpiredAutomatedSnapshots<T>(IReadOnlyList<T> snapshots, bool retained, DateTimeOffset horizon) where T : RdsSnapshot =>
        retained
            ? snapshots.Where(s => s.SnapshotCreateTime < horizon).ToList()
            : snapshots.Where((s, index) => index + 1 < snapshots.Count && snapshots[index + 1].SnapshotCreateTime < horizon).ToList();

    /// <summary>
    /// ModifyDBInstance's BackupRetentionPeriod: 0 deletes the automated backups (refused while the instance serves read
    /// replicas, which need them, as RDS refuses); from 0 to more, backups start with an automated snapshot at once.
    /// </summary>
    private void ChangeBackupRetention(DbInstance before, DbInstance after)
    {
        if (BacksUp(before) && !BacksUp(after)) DeleteAutomatedBackups(after.AccountId, after.Region, after.ResourceId);
        else if (BacksUp(after))
        {
            KeepAutomatedBackups(after);
            if (!BacksUp(before))
                RunForInstance(after, "automated backup", (current, token) =>
                    current.Status == "available" && BacksUp(current) ? TakeAutomatedSnapshotAsync(current, token) : Task.CompletedTask);
        }
    }

    // ---- DescribeDBInstanceAutomatedBackups, DeleteDBInstanceAutomatedBackup ----

    public RdsPage<DbInstanceAutomatedBackup> DescribeAutomatedBackups(Scope scope, string? resourceId, string? instanceIdentifier, string? arn,
        IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var backups = _automatedBackups.Values.Where(b => b.AccountId == scope.AccountId && b.Region == scope.Region);
        if (resourceId is not null) backups = backups.Where(b => b.ResourceId == resourceId);
        if (arn is not null) backups = backups.Where(b => b.Arn == arn);
        if (instanceIdentifier is not null) backups = backups.Where(b => b.Identifier == instanceIdentifier.ToLowerInvariant());
        var found = backups.ToList();
        if (found.Count == 0 && (resourceId ?? arn ?? instanceIdentifier) is { } named) throw RdsErrors.AutomatedBackupNotFound(named);
        return FilteredPage(found, filters, (name, values) => name switch
        {
            "status" => b => values.Contains(b.Status),
            "db-instance-id" => b => values.Contains(b.Identifier) || values.Contains(b.InstanceArn),
            "dbi-resource-id" => b => values.Contains(b.ResourceId),
            _ => null,
        }, b => b.Identifier + "/" + b.ResourceId, marker, max);
    }

    /// <summary>Deletes a retained automated backup (its snapshots and log); an active instance's are deleted by setting its retention to 0.</summary>
    public DbInstanceAutomatedBackup DeleteAutomatedBackup(Scope scope, string? resourceId, string? arn)
    {
        var named = resourceId ?? arn ?? throw RdsErrors.InvalidCombination("Specify either DbiResourceId or DBInstanceAutomatedBackupsArn.");
        var backup = _automatedBackups.Values.FirstOrDefault(b => b.AccountId == scope.AccountId && b.Region == scope.Region
            && (resourceId is null || b.ResourceId == resourceId) && (arn is null || b.Arn == arn)) ?? throw RdsErrors.AutomatedBackupNotFound(named);
        // A replicated copy is deleted in its Region whether or not it is still replicating (that stops the replication).
        if (backup.Status != "retained" && backup.SourceRegion is null) throw RdsErrors.AutomatedBackupOfActiveInstance(backup.Identifier);
        _instanceBackupBooks.Delete(backup);
        return backup with { Status = "deleting" };
    }

    // ---- RestoreDBInstanceToPointInTime ----

    public DbInstance RestoreToPointInTime(Scope scope, PointInTimeRestoreRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("TargetDBInstanceIdentifier", request.Identifier);
        if (request.RestoreTime is not null && request.UseLatestRestorableTime)
            throw RdsErrors.InvalidCombination("Cannot specify both RestoreTime and UseLatestRestorableTime.");
        var backup = SourceBackup(scope, request);
        var window = RestoreWindow(backup) ?? throw RdsErrors.InvalidRestore(
            $"DB instance {backup.Identifier} has no automated snapshot to restore from yet.");
        if (request.RestoreTime is { } asked && (asked < window.Earliest || asked > window.Latest))
            throw RdsErrors.InvalidRestore($"The restore time {asked.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is outside the restorable window of DB instance {backup.Identifier}: " +
                $"{window.Earliest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} to {window.Latest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}.");
        var restoreTime = request.RestoreTime ?? window.Latest;
        var snapshot = AutomatedSnapshotsOf(backup.AccountId, backup.Region, backup.ResourceId)
            .Last(s => s.Status == "available" && s.SnapshotCreateTime <= restoreTime);

        var retention = RdsRules.BackupRetentionPeriod(request.BackupRetentionPeriod ?? backup.BackupRetentionPeriod);
        if (_instances.Get(InstanceKey(scope.AccountId, scope.Region, identifier)) is not null) throw RdsErrors.InstanceAlreadyExists();
        var (instance, managedPassword) = AddRestoredInstance(scope, identifier, request, snapshot, retention);
        var fleet = RequireFleet();
        var target = request.UseLatestRestorableTime ? (DateTimeOffset?)null : restoreTime;
        RunForInstance(instance, "point-in-time restore", async (current, token) =>
        {
            // A running source's log is archived up to now first (its open file closed), so the archive reaches the restore time.
            if (backup.Status == "active" && _instances.Values.FirstOrDefault(i => i.ResourceId == backup.ResourceId) is { } source)
                await Server(source).ArchiveLogAsync(token);
            var server = Server(current);
            DbFleet.CopyDirectory(fleet.SnapshotDataDir(snapshot.ResourceId), server.DataDir);
            server.PrepareRecovery(fleet.LogArchiveDir(backup.LogArchiveId), target);
            server.MarkInitialized();
            await StartServerAsync(current, token, async t =>
            {
                await server.FinishRecoveryAsync(t);
                await FinishRestoreAsync(current, managedPassword, t);
            });
            Event(current, target is { } time
                ? $"Restored from DB instance {backup.Identifier} to {time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"
                : $"Restored from DB instance {backup.Identifier} to its latest restorable time", "restoration");
        });
        return instance;
    }

    /// <summary>
    /// The automated backup a point-in-time restore reads: of the source instance named (which must exist and keep backups),
    /// or named by DbiResourceId or its ARN (a deleted instance's retained backup too).
    /// </summary>
    private DbInstanceAutomatedBackup SourceBackup(Scope scope, PointInTimeRestoreRequest request)
    {
        if (request.SourceIdentifier is { } sourceIdentifier)
        {
            var source = GetInstance(scope, sourceIdentifier);
            if (source.BackupRetentionPeriod == 0 || !BacksUp(source)) throw RdsErrors.PointInTimeRestoreNotEnabled(source.Identifier);
            return AutomatedBackupOf(source) ?? throw RdsErrors.InvalidRestore($"DB instance {source.Identifier} has no automated snapshot to restore from yet.");
        }
        var named = request.SourceResourceId ?? request.SourceAutomatedBackupArn
            ?? throw RdsErrors.InvalidCombination("One of SourceDBInstanceIdentifier, SourceDbiResourceId or SourceDBInstanceAutomatedBackupsArn must be specified.");
        return _automatedBackups.Values.FirstOrDefault(b => b.AccountId == scope.AccountId && b.Region == scope.Region
            && (request.SourceResourceId is null || b.ResourceId == request.SourceResourceId)
            && (request.SourceAutomatedBackupArn is null || b.Arn == request.SourceAutomatedBackupArn)) ?? throw RdsErrors.AutomatedBackupNotFound(named);
    }
}
