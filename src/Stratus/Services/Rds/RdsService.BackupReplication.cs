using System.Collections.Concurrent;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Automated backups replicated to another Region (StartDBInstanceAutomatedBackupsReplication, called in the destination):
/// the destination keeps its own copy of the source instance's automated snapshots and archived transaction log, under the
/// source's DbiResourceId with an ARN of its own Region. The copy is brought up to date at the start and then once a
/// minute with the backup check (new automated snapshots, new archived log files), the source's open log being archived
/// for it every <see cref="ReplicatedLogPeriod"/> (RDS ships its logs about as often); the destination's own retention
/// expires it. It is "replicating" while copies continue and "retained" once replication stops (StopDBInstanceAutomatedBackupsReplication,
/// the source deleted or its backups turned off), kept until its retention passes or DeleteDBInstanceAutomatedBackup
/// removes it, as RDS documents. RestoreDBInstanceToPointInTime restores from it by its ARN in the destination Region.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>AWS's quota: replicated automated backups in each destination Region, per account.</summary>
    private const int ReplicatedBackupsPerRegion = 20;

    /// <summary>StartDBInstanceAutomatedBackupsReplication's BackupRetentionPeriod when the request names none (RDS's default).</summary>
    private const int DefaultReplicatedRetention = 7;

    /// <summary>How often a running source's open log is closed and archived so that the copy's window follows it.</summary>
    private static readonly TimeSpan ReplicatedLogPeriod = TimeSpan.FromMinutes(5);

    /// <summary>The copies a pass is queued or running for (one at a time each), and when each last had its source's log archived.</summary>
    private readonly ConcurrentDictionary<string, byte> _replicationPasses = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _replicationLogArchived = new();

    public DbInstanceAutomatedBackup StartAutomatedBackupsReplication(Scope scope, string sourceArn, int? retentionPeriod)
    {
        var source = ReplicationSource(scope, sourceArn);
        if (source.Region == scope.Region) throw RdsErrors.ReplicationInOwnRegion(scope.Region);
        if (!BacksUp(source) || AutomatedBackupOf(source) is not { } sourceBackup) throw RdsErrors.ReplicationWithoutBackups(source.Identifier);
        var retention = RdsRules.BackupRetentionPeriod(retentionPeriod ?? DefaultReplicatedRetention);
        if (retention == 0) throw RdsErrors.InvalidValue("Invalid backup retention period: 0. Retention period must be between 1 and 35.");
        if (_automatedBackups.Values.FirstOrDefault(b => IsReplicaOf(b, source) && b.Status == "replicating") is { } replicating)
            throw replicating.Region == scope.Region
                ? RdsErrors.AlreadyReplicating(source.Identifier, scope.Region)
                : RdsErrors.ReplicatingElsewhere(source.Identifier, replicating.Region);

        var key = AutomatedBackupKey(scope.AccountId, scope.Region, source.ResourceId);
        // A copy whose replication stopped resumes: its snapshots and log are still the source's.
        var stopped = _automatedBackups.Get(key);
        if (stopped is null && _automatedBackups.Values.Count(b => b.AccountId == scope.AccountId && b.Region == scope.Region && b.SourceRegion is not null)
            >= ReplicatedBackupsPerRegion)
            throw RdsErrors.ReplicatedBackupQuotaExceeded(ReplicatedBackupsPerRegion);
        var replica = (stopped ?? sourceBackup with
        {
            ArnId = "ab-" + NewResourceId("").ToLowerInvariant(),
            Region = scope.Region,
            SourceRegion = source.Region,
            LogArchivedUntil = null,
        }) with { Status = "replicating", BackupRetentionPeriod = retention };
        RequireFleet().CreateLogArchive(replica.LogArchiveId);
        _automatedBackups.Put(key, replica);
        Event(source, $"Started replicating automated backups to {scope.Region}", "backup");
        StartReplicationPass(replica);
        return replica;
    }

    public DbInstanceAutomatedBackup StopAutomatedBackupsReplication(Scope scope, string sourceArn)
    {
        var source = ReplicationSource(scope, sourceArn);
        var key = AutomatedBackupKey(scope.AccountId, scope.Region, source.ResourceId);
        if (_automatedBackups.Get(key) is not { SourceRegion: not null, Status: "replicating" })
            throw RdsErrors.NotReplicating(source.Identifier);
        var stopped = _automatedBackups.Update(key, b => b with { Status = "retained" }) ?? throw RdsErrors.NotReplicating(source.Identifier);
        Event(source, $"Stopped replicating automated backups to {scope.Region}", "backup");
        return stopped;
    }

    /// <summary>The ARNs of the copies replicating the automated backups of the instance (by its Region and DbiResourceId), as the source reports them.</summary>
    public IReadOnlyList<string> BackupReplicationsOf(string accountId, string region, string resourceId) => _automatedBackups.Values
        .Where(b => b.AccountId == accountId && b.SourceRegion == region && b.ResourceId == resourceId && b.Status == "replicating")
        .Select(b => b.Arn).ToList();

    private static bool IsReplicaOf(DbInstanceAutomatedBackup backup, DbInstance source) =>
        backup.AccountId == source.AccountId && backup.SourceRegion == source.Region && backup.ResourceId == source.ResourceId;

    /// <summary>The source instance, named by its ARN (the operations are called in the destination Region).</summary>
    private DbInstance ReplicationSource(Scope scope, string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length != 7 || parts[0] != "arn" || parts[2] != "rds" || parts[5] != "db") throw RdsErrors.NotAnInstanceArn(arn);
        // Another account's instance is not one this account can see.
        if (parts[4] != scope.AccountId) throw RdsErrors.InstanceNotFound(parts[6]);
        return GetInstance(Scope.Of(parts[4], parts[3]), parts[6]);
    }

    /// <summary>The backup check's share: a pass for every copy still replicating.</summary>
    private void ReplicateAutomatedBackups()
    {
        foreach (var replica in _automatedBackups.Values.Where(b => b.SourceRegion is not null && b.Status == "replicating").ToList())
            StartReplicationPass(replica);
    }

    /// <summary>
    /// Queues a pass for the copy unless one is queued already. It runs under the source's operation lock (the copy shares
    /// its DbiResourceId), so it never reads a snapshot being taken or a server being stopped.
    /// </summary>
    private void StartReplicationPass(DbInstanceAutomatedBackup replica)
    {
        var key = AutomatedBackupKey(replica.AccountId, replica.Region, replica.ResourceId);
        if (!_replicationPasses.TryAdd(key, 0)) return;
        RunInBackground(replica.ResourceId, $"automated backup replication of {replica.Identifier} to {replica.Region}", async token =>
        {
            try
            {
                await ReplicationPassAsync(key, token);
            }
            finally
            {
                _replicationPasses.TryRemove(key, out _);
            }
        }, _ => Task.CompletedTask);
    }

    /// <summary>
    /// One pass: the source's log archived (when due and its server runs), then every available automated snapshot of the
    /// source within the copy's retention that the copy lacks is copied (a new snapshot of the destination Region, its data
    /// copied), then the new archived log files; the copy then restores up to where the source's archive reached.
    /// </summary>
    private async Task ReplicationPassAsync(string key, CancellationToken token)
    {
        if (_automatedBackups.Get(key) is not { Status: "replicating", SourceRegion: { } sourceRegion } replica) return;
        var source = _instances.Values.FirstOrDefault(i => i.AccountId == replica.AccountId && i.Region == sourceRegion && i.ResourceId == replica.ResourceId);
        if (source is null || !BacksUp(source) || AutomatedBackupOf(source) is null)
        {
            // The source's backups ended (the instance deleted, its retention set to 0): what was copied stays, as RDS keeps it.
            _automatedBackups.Update(key, b => b with { Status = "retained" });
            return;
        }
        var fleet = RequireFleet();
        var archivedUntil = AutomatedBackupOf(source)!.LogArchivedUntil;
        if (Server(source).IsRunning)
        {
            var lastArchived = _replicationLogArchived.GetValueOrDefault(key, DateTimeOffset.MinValue);
            var from = Now;
            if (from - lastArchived >= ReplicatedLogPeriod && await TryArchiveLogAsync(source, token)) _replicationLogArchived[key] = from;
            archivedUntil = _replicationLogArchived.TryGetValue(key, out var archived) ? archived : null;
        }
        var horizon = Now - TimeSpan.FromDays(replica.BackupRetentionPeriod);
        foreach (var snapshot in AutomatedSnapshotsOf(source.AccountId, source.Region, source.ResourceId)
                     .Where(s => s.Status == "available" && s.SnapshotCreateTime >= horizon))
        {
            if (_snapshots.Get(SnapshotKey(replica.AccountId, replica.Region, snapshot.Identifier)) is not null) continue;
            var copy = CopyAutomatedSnapshot(snapshot, replica.Region, fleet);
            // Deleted meanwhile (DeleteDBInstanceAutomatedBackup does not wait for a pass): the copy would belong to nothing.
            if (_automatedBackups.Get(key) is null)
            {
                if (copy is not null) RemoveSnapshotCopy(copy, fleet);
                return;
            }
        }
        fleet.CopyLogArchive(source.ResourceId, replica.LogArchiveId);
        if (archivedUntil is { } until)
            _automatedBackups.Update(key, b => b.Status == "replicating" && (b.LogArchivedUntil is not { } had || had < until) ? b with { LogArchivedUntil = until } : b);
    }

    /// <summary>A copy of the source's automated snapshot in the destination Region: same name and time, data of its own.</summary>
    private DbSnapshot? CopyAutomatedSnapshot(DbSnapshot snapshot, string region, DbFleet fleet)
    {
        var copy = snapshot with { Region = region, ResourceId = NewResourceId("snap-"), Status = "creating", SharedAccounts = [] };
        if (!_snapshots.TryAdd(SnapshotKey(copy), copy)) return null;
        try
        {
            DbFleet.CopyDirectory(fleet.SnapshotDataDir(snapshot.ResourceId), fleet.SnapshotDataDir(copy.ResourceId));
            return _snapshots.Update(SnapshotKey(copy), s => s with { Status = "available" });
        }
        catch
        {
            RemoveSnapshotCopy(copy, fleet);
            throw;
        }
    }

    private void RemoveSnapshotCopy(DbSnapshot copy, DbFleet fleet)
    {
        _snapshots.Remove(SnapshotKey(copy));
        fleet.DeleteSnapshotData(copy.ResourceId);
    }
}
