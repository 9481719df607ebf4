using System.Globalization;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Sharing manual snapshots with other accounts (the "restore" attribute, for instance and cluster snapshots alike), restoring
/// a snapshot another account shared by its ARN, and ModifyDBSnapshot's engine version upgrade and option group.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>The one attribute RDS keeps on snapshots.</summary>
    public const string RestoreAttribute = "restore";

    /// <summary>RDS's most accounts one manual snapshot is shared with ("all", public, is not one of them).</summary>
    public const int MaxSharedAccounts = 20;

    public DbSnapshot ModifySnapshotAttribute(Scope scope, string identifier, string attributeName, IReadOnlyList<string> add, IReadOnlyList<string> remove)
    {
        var snapshot = GetSnapshot(scope, identifier);
        // Automated snapshots (rds:...) are not shared: RDS answers that their name is not a valid identifier for this call, as
        // it does for AWS Backup's (awsbackup:...); a copy (CopyDBSnapshot) is a manual snapshot that can be.
        if (snapshot.SnapshotType != "manual") throw RdsErrors.InvalidValue($"The parameter {identifier} is not a valid identifier.");
        return ModifySharing(_instanceSnapshotShelf, snapshot, attributeName, add, remove, RdsErrors.InvalidSnapshotState);
    }

    public DbClusterSnapshot ModifyClusterSnapshotAttribute(Scope scope, string identifier, string attributeName, IReadOnlyList<string> add, IReadOnlyList<string> remove)
    {
        var snapshot = GetClusterSnapshot(scope, identifier);
        // An automated cluster snapshot is not shared either, as for instances: share a manual copy of it.
        if (snapshot.SnapshotType != "manual") throw RdsErrors.InvalidValue($"The parameter {identifier} is not a valid identifier.");
        return ModifySharing(_clusterSnapshotShelf, snapshot, attributeName, add, remove, RdsErrors.InvalidClusterSnapshotState);
    }

    /// <summary>
    /// Adds accounts to and removes them from a snapshot's "restore" attribute, as RDS does: each value an account id or
    /// "all" (public), at most <see cref="MaxSharedAccounts"/> accounts, the snapshot available.
    /// </summary>
    private TSnapshot ModifySharing<TSnapshot>(SnapshotShelf<TSnapshot> shelf, TSnapshot snapshot, string attributeName,
        IReadOnlyList<string> add, IReadOnlyList<string> remove, Func<string, AwsException> invalidState) where TSnapshot : RdsSnapshot
    {
        if (attributeName != RestoreAttribute)
            throw RdsErrors.InvalidValue($"Invalid snapshot attribute name: {attributeName}. The attribute RDS shares snapshots with is {RestoreAttribute}.");
        foreach (var value in add.Concat(remove).Where(v => v != "all" && !(v.Length == 12 && v.All(char.IsAsciiDigit))))
            throw RdsErrors.InvalidValue($"Invalid account identifier: {value}. Use a 12-digit AWS account id, or all to make the snapshot public.");
        if (snapshot.Status != "available")
            throw invalidState($"Snapshot {snapshot.Identifier} is not in available state.");
        var accounts = snapshot.SharedAccounts.Except(remove, StringComparer.Ordinal).Union(add, StringComparer.Ordinal)
            .Where(a => a != snapshot.AccountId).Order(StringComparer.Ordinal).ToList();
        if (accounts.Count(a => a != "all") > MaxSharedAccounts) throw RdsErrors.SharedSnapshotQuotaExceeded(MaxSharedAccounts);
        return shelf.Table.Update(SnapshotShelf<TSnapshot>.Key(snapshot), s => (TSnapshot)((RdsSnapshot)s with { SharedAccounts = accounts }))
            ?? throw invalidState($"Snapshot {snapshot.Identifier} is not in available state.");
    }

    /// <summary>A DB snapshot the caller may restore: one of its own (by name or ARN), or another account's shared with it, named by its ARN.</summary>
    private DbSnapshot RestorableSnapshot(Scope scope, string identifier) =>
        SharedSnapshot(scope, _snapshots, identifier, "snapshot", RdsErrors.SnapshotNotFound) ?? GetSnapshot(scope, identifier);

    /// <summary>A DB cluster snapshot the caller may restore, as <see cref="RestorableSnapshot"/>.</summary>
    private DbClusterSnapshot RestorableClusterSnapshot(Scope scope, string identifier) =>
        SharedSnapshot(scope, _clusterSnapshots, identifier, "cluster-snapshot", RdsErrors.ClusterSnapshotNotFound) ?? GetClusterSnapshot(scope, identifier);

    /// <summary>
    /// The snapshot of another account that an ARN names (null when the ARN is the caller's own, or no ARN): found only in the
    /// caller's Region (a shared snapshot is restored where it is) and only when shared with the caller, else not found, as
    /// RDS answers for a snapshot the caller may not see.
    /// </summary>
    private static TSnapshot? SharedSnapshot<TSnapshot>(Scope scope, ResourceTable<TSnapshot> table, string identifier, string kind,
        Func<string, AwsException> notFound) where TSnapshot : RdsSnapshot
    {
        var parts = identifier.Split(':');
        if (parts is not ["arn", _, "rds", _, var account, var type, var name] || type != kind || account == scope.AccountId) return null;
        var snapshot = parts[3] == scope.Region ? table.Get(ResourceTable<TSnapshot>.Key(account, parts[3], name.ToLowerInvariant())) : null;
        return snapshot is not null && snapshot.IsRestorableBy(scope.AccountId) ? snapshot : throw notFound(identifier);
    }

    /// <summary>A snapshot's tags for what is restored from it: another account's tags stay with that account.</summary>
    private static IReadOnlyList<RdsTag> OwnTags(Scope scope, RdsSnapshot snapshot) => snapshot.AccountId == scope.AccountId ? snapshot.Tags : [];

    /// <summary>
    /// ModifyDBSnapshot: a new engine version only where this machine's server opens the data, a later version of the
    /// snapshot's major that Stratus runs (the server upgraded since the snapshot was taken); a new option group of that
    /// engine version. A shared or public snapshot is not modified, as RDS documents.
    /// </summary>
    public DbSnapshot ModifySnapshot(Scope scope, string identifier, string? engineVersion, string? optionGroupName)
    {
        var snapshot = GetSnapshot(scope, identifier);
        if (snapshot.Status != "available")
            throw RdsErrors.InvalidSnapshotState($"Snapshot {snapshot.Identifier} is not in available state.");
        if (snapshot.SharedAccounts.Count > 0)
            throw RdsErrors.InvalidSnapshotState($"Snapshot {snapshot.Identifier} is shared or public: stop sharing it (ModifyDBSnapshotAttribute) before modifying it.");
        var version = engineVersion ?? snapshot.EngineVersion;
        if (version != snapshot.EngineVersion && !CanUpgradeSnapshot(snapshot, version))
            throw RdsErrors.InvalidCombination($"Cannot upgrade {snapshot.Engine} snapshot {snapshot.Identifier} from {snapshot.EngineVersion} to {version}. " +
                $"This machine runs {snapshot.Engine} {string.Join(", ", EngineVersions(snapshot.Engine))}; a snapshot upgrades to a later version of its own major version that is running here.");
        var optionGroup = optionGroupName is null ? snapshot.OptionGroupName : ResolveInstanceOptionGroup(scope, optionGroupName, snapshot.Engine, version);
        var modified = _snapshots.Update(SnapshotKey(snapshot), s => s with { EngineVersion = version, OptionGroupName = optionGroup })
            ?? throw RdsErrors.SnapshotNotFound(identifier);
        if (version != snapshot.EngineVersion) Event(modified, $"Upgraded snapshot from {snapshot.EngineVersion} to {version}", "notification");
        return modified;
    }

    private bool CanUpgradeSnapshot(DbSnapshot snapshot, string version) =>
        EngineVersions(snapshot.Engine).Contains(version)
        && RdsRules.MajorVersion(snapshot.Engine, version) == RdsRules.MajorVersion(snapshot.Engine, snapshot.EngineVersion)
        && CompareVersions(version, snapshot.EngineVersion) > 0;

    /// <summary>Orders dotted versions by their numeric parts (10.11.10 after 10.11.9); a part that is not a number counts as 0.</summary>
    private static int CompareVersions(string left, string right)
    {
        var a = left.Split('.');
        var b = right.Split('.');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length && int.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
            var y = i < b.Length && int.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var q) ? q : 0;
            if (x != y) return x.CompareTo(y);
        }
        return 0;
    }
}
