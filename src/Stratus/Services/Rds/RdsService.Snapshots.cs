using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Manual snapshots of DB instances and of DB clusters, taken alike: recorded as creating under a checked identifier (with
/// an event), then filled with a copy of the server's data directory (taken online from a running instance, see
/// RdsService.Backups.cs) and made available (with an event).
/// </summary>
public sealed partial class RdsService
{
    /// <summary>Where snapshots of one kind are kept, how RDS names them in errors and events, and the account quota counting them.</summary>
    private sealed record SnapshotShelf<TSnapshot>(ResourceTable<TSnapshot> Table, string IdentifierMember, string Noun,
        Func<string, AwsException> AlreadyExists, Action<TSnapshot, string, string> Event, string Quota) where TSnapshot : RdsSnapshot
    {
        public static string Key(TSnapshot snapshot) => ResourceTable<TSnapshot>.Key(snapshot.AccountId, snapshot.Region, snapshot.Identifier);
    }

    /// <summary>Records the snapshot <paramref name="take"/> makes (from its checked identifier and a new resource id) as creating; refuses a taken identifier.</summary>
    private TSnapshot AddSnapshot<TSnapshot>(SnapshotShelf<TSnapshot> shelf, string snapshotIdentifier, Func<string, string, TSnapshot> take)
        where TSnapshot : RdsSnapshot
    {
        var id = RdsRules.SnapshotIdentifier(shelf.IdentifierMember, snapshotIdentifier);
        var snapshot = take(id, NewResourceId("snap-"));
        RequireQuota(Scope.Of(snapshot.AccountId, snapshot.Region), shelf.Quota);
        if (!shelf.Table.TryAdd(SnapshotShelf<TSnapshot>.Key(snapshot), snapshot)) throw shelf.AlreadyExists(id);
        shelf.Event(snapshot, $"Creating manual {shelf.Noun}", "backup");
        return snapshot;
    }

    /// <summary>Copies a stopped server's data directory into the snapshot (manual, or a cluster's automated one) and marks it available.</summary>
    private void FillSnapshot<TSnapshot>(SnapshotShelf<TSnapshot> shelf, TSnapshot snapshot, string dataDir) where TSnapshot : RdsSnapshot
    {
        DbFleet.CopyDirectory(dataDir, RequireFleet().SnapshotDataDir(snapshot.ResourceId));
        FinishSnapshot(shelf, snapshot);
    }

    /// <summary>Marks a snapshot whose data is in place available, timed now.</summary>
    private void FinishSnapshot<TSnapshot>(SnapshotShelf<TSnapshot> shelf, TSnapshot snapshot) where TSnapshot : RdsSnapshot
    {
        var done = shelf.Table.Update(SnapshotShelf<TSnapshot>.Key(snapshot), s => (TSnapshot)((RdsSnapshot)s with { Status = "available", SnapshotCreateTime = Now }));
        if (done is not null) shelf.Event(done, $"{(done.SnapshotType == "automated" ? "Automated" : "Manual")} {shelf.Noun} created", "backup");
    }
}
