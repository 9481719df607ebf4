using Stratus.Persistence;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

public sealed partial class RdsService
{
    /// <summary>
    /// The upkeep DB instances' and Aurora clusters' automated backups share, each kind over its own two tables (the backups'
    /// records and the snapshots): a database's automated snapshots, oldest first; its record kept current; everything removed;
    /// retention. What differs stays with each kind: how its record describes the database, and the log archive's layout (one
    /// folder per instance; one per log lineage for a cluster), which it makes and prunes itself.
    /// </summary>
    private sealed class AutomatedBackupBooks<TBackup, TSnapshot>(ResourceTable<TBackup> backups, ResourceTable<TSnapshot> snapshots,
        Func<TSnapshot, string> snapshotKey, Func<TSnapshot, string> databaseResourceId, Func<DbFleet?> fleet)
        where TBackup : class, IAutomatedBackup where TSnapshot : RdsSnapshot
    {
        public static string Key(string accountId, string region, string resourceId) => ResourceTable<TBackup>.Key(accountId, region, resourceId);

        /// <summary>The automated snapshots of one database (by its resource id, so a deleted one's stay its own), oldest first.</summary>
        public List<TSnapshot> SnapshotsOf(string accountId, string region, string resourceId) => snapshots.Values
            .Where(s => s.SnapshotType == "automated" && s.AccountId == accountId && s.Region == region && databaseResourceId(s) == resourceId)
            .OrderBy(s => s.SnapshotCreateTime).ToList();

        /// <summary>The record as <paramref name="describing"/> makes it (active, with the database's current settings), added from <paramref name="fresh"/> when there is none.</summary>
        public TBackup Keep(string accountId, string region, string resourceId, Func<TBackup, TBackup> describing, Func<TBackup> fresh)
        {
            var key = Key(accountId, region, resourceId);
            if (backups.Update(key, describing) is { } kept) return kept;
            var added = describing(fresh());
            return backups.TryAdd(key, added) ? added : backups.Get(key)!;
        }

        /// <summary>
        /// Removes a database's automated backups in its own Region: its automated snapshots with their data, its log archive
        /// (named by its resource id there, recorded or not yet) and the record.
        /// </summary>
        public void Delete(string accountId, string region, string resourceId) => Delete(accountId, region, resourceId, resourceId);

        /// <summary>Removes the automated backups <paramref name="backup"/> records (a replicated copy's log archive is its own).</summary>
        public void Delete(TBackup backup) => Delete(backup.AccountId, backup.Region, backup.ResourceId, backup.LogArchiveId);

        private void Delete(string accountId, string region, string resourceId, string logArchiveId)
        {
            Remove(SnapshotsOf(accountId, region, resourceId));
            fleet()?.DeleteLogArchive(logArchiveId);
            backups.Remove(Key(accountId, region, resourceId));
        }

        /// <summary>
        /// Retention (<see cref="ExpiredAutomatedSnapshots"/>): the snapshots past <paramref name="horizon"/> go, and a retained
        /// backup goes whole with its last one (null then); otherwise the snapshots that went and those kept, for the log's pruning.
        /// </summary>
        public (List<TSnapshot> Expired, List<TSnapshot> Kept)? Expire(TBackup backup, DateTimeOffset horizon)
        {
            var all = SnapshotsOf(backup.AccountId, backup.Region, backup.ResourceId);
            var retained = backup.Status == "retained";
            var expired = ExpiredAutomatedSnapshots(all, retained, horizon);
            Remove(expired);
            var kept = all.Except(expired).ToList();
            if (kept.Count > 0 || !retained) return (expired, kept);
            Delete(backup);
            return null;
        }

        private void Remove(IEnumerable<TSnapshot> gone)
        {
            foreach (var snapshot in gone)
            {
                snapshots.Remove(snapshotKey(snapshot));
                fleet()?.DeleteSnapshotData(snapshot.ResourceId);
            }
        }
    }
}
