using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Backtracking of aurora-mysql clusters (BacktrackDBCluster, DescribeDBClusterBacktracks). Aurora rewinds its storage volume
/// from change records it keeps for the backtrack window; Stratus has no shared volume, so the cluster is rewound in place from
/// its automated backups: the writer's data is made again from the newest automated cluster snapshot before the time with the
/// archived binary log replayed up to it (the point-in-time restore's machinery), and the readers are seeded again from the
/// rewound writer. The cluster keeps its identifier, endpoints and port. The rewound writer starts a log lineage of its own, as a
/// failover's promoted reader does, so the log of the time rewound over stays whole in the old one: a later backtrack to a time
/// between the target and the backtrack's start finds that time's data again, as Aurora lets a cluster be backtracked back and
/// forth in time.
/// </summary>
public sealed partial class RdsService
{
    private readonly ResourceTable<DbClusterBacktrack> _backtracks;

    private static string BacktrackKey(DbClusterBacktrack b) => ResourceTable<DbClusterBacktrack>.Key(b.AccountId, b.Region, b.BacktrackIdentifier);

    /// <summary>
    /// The earliest time the cluster backtracks to (EarliestBacktrackTime): its window back from now, but no earlier than its
    /// automated backups reach (a cluster younger than its window, one restored). Null while backtracking is off.
    /// </summary>
    public DateTimeOffset? EarliestBacktrackTime(DbCluster cluster)
    {
        if (cluster.BacktrackWindow is not > 0 || RestoreWindow(cluster) is not { } window) return null;
        var windowStart = Now - TimeSpan.FromSeconds(cluster.BacktrackWindow.Value);
        return windowStart > window.Earliest ? windowStart : window.Earliest;
    }

    /// <summary>
    /// BacktrackDBCluster. Force is accepted and changes nothing: Aurora asks for it when the cluster's binary logging
    /// (binlog_format) is on for binlog replication out of the cluster, which Stratus does not offer; the binary log its writers
    /// keep is the cluster's own transaction log, which the backtrack keeps whole.
    /// </summary>
    public DbClusterBacktrack BacktrackCluster(Scope scope, BacktrackClusterRequest request)
    {
        var cluster = GetCluster(scope, request.Identifier);
        if (cluster.Engine != "aurora-mysql") throw RdsErrors.BacktrackNotSupported(cluster.Engine, cluster.EngineVersion);
        if (cluster.BacktrackWindow is not > 0) throw RdsErrors.BacktrackNotEnabled(cluster.Identifier);
        if (cluster.Status != "available")
            throw RdsErrors.InvalidClusterState($"DbCluster {cluster.Identifier} is in {cluster.Status} state but expected it to be one of available.");
        if (Writer(cluster) is null) throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} has no writer DB instance to backtrack.");
        var now = Now;
        if (request.BacktrackTo > now) throw RdsErrors.BacktrackTimeInFuture(request.BacktrackTo);
        var earliest = EarliestBacktrackTime(cluster) ?? now;
        var to = request.BacktrackTo;
        if (to < earliest)
        {
            if (!request.UseEarliestTimeOnPointInTimeUnavailable) throw RdsErrors.BacktrackTimeTooEarly(to, earliest, cluster.Identifier);
            to = earliest;
        }
        cluster = TransitionCluster(scope, cluster.Identifier, "available", "backtracking",
            c => $"DbCluster {c.Identifier} is in {c.Status} state but expected it to be one of available.");
        var backtrack = new DbClusterBacktrack
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            ClusterIdentifier = cluster.Identifier,
            ClusterResourceId = cluster.ResourceId,
            BacktrackIdentifier = Guid.NewGuid().ToString(),
            BacktrackTo = to,
            BacktrackedFrom = now,
            BacktrackRequestCreationTime = now,
            Status = "pending",
        };
        _backtracks.TryAdd(BacktrackKey(backtrack), backtrack);
        RunForCluster(cluster, "backtrack", async (current, token) =>
        {
            _backtracks.Update(BacktrackKey(backtrack), b => b with { Status = "applying" });
            ClusterEvent(current, $"Backtrack started to {to.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", "backtrack");
            await RewindAsync(current, to, token);
            _backtracks.Update(BacktrackKey(backtrack), b => b with { Status = "completed" });
            BecomeCluster(current, "available");
            ClusterEvent(current, $"Backtrack completed to {to.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", "backtrack");
        }, onFailure: current =>
        {
            // The writer's data may be half made again: the cluster is failed, as after a failed restore.
            _backtracks.Update(BacktrackKey(backtrack), b => b with { Status = "failed" });
            BecomeCluster(current, "failed");
        });
        return backtrack;
    }

    /// <summary>
    /// The rewind, the cluster backtracking: every member stops (readers first), the writer's log archived up to its stop; the
    /// writer's data is made from the recovery point of <paramref name="to"/> and it starts archiving a new lineage, whose first
    /// automated snapshot is taken of the rewound data; then each reader is seeded again from it.
    /// </summary>
    private async Task RewindAsync(DbCluster cluster, DateTimeOffset to, CancellationToken token)
    {
        var fleet = RequireFleet();
        var engine = RequireEngine(cluster.Engine);
        var writer = Writer(cluster) ?? throw new InvalidOperationException("the DB cluster has no writer.");
        var readers = ClusterMembers(cluster).Where(m => m.Identifier != writer.Identifier && m.Status != "deleting").ToList();
        foreach (var member in readers.Append(writer)) Become(member, "rebooting");
        foreach (var reader in readers) await fleet.StopAsync(reader.ResourceId);
        await StopClusterWriterAsync(cluster, writer, token);

        var backup = AutomatedBackupOf(cluster) ?? throw new InvalidOperationException("the DB cluster keeps no automated backups.");
        var point = RecoveryPointOf(backup, to, exact: true);
        // Before the writer starts, so that it archives the rewound data's log apart from the time rewound over.
        cluster = UpdateCluster(cluster, c => c with { LogLineage = $"{writer.ResourceId}-{Now.ToUnixTimeMilliseconds()}" });
        var server = fleet.Server(writer.ResourceId, engine);
        PrepareClusterRecovery(server, backup, point);
        await StartServerAsync(writer, token, server.FinishRecoveryAsync);
        await TakeAutomatedClusterSnapshotAsync(cluster, token);

        writer = Writer(cluster) ?? throw new InvalidOperationException("the DB cluster lost its writer.");
        foreach (var reader in readers)
        {
            var readerServer = fleet.Server(reader.ResourceId, engine);
            await readerServer.StartReplicatingFromAsync(server, writer.Address!, writer.Port, token);
            readerServer.MarkInitialized();
            await StartReaderAsync(reader, writer, token);
        }
    }

    /// <summary>A backtrack cut short by a stop of Stratus: it failed, and so did the cluster, whose writer's data may be half made.</summary>
    private void FailInterruptedBacktrack(DbCluster cluster)
    {
        foreach (var backtrack in BacktracksOf(cluster).Where(b => b.Status is "pending" or "applying").ToList())
            _backtracks.Update(BacktrackKey(backtrack), b => b with { Status = "failed" });
        BecomeCluster(cluster, "failed");
        ClusterEvent(cluster, "The backtrack of the DB cluster was interrupted when Stratus stopped.", "failure");
    }

    public RdsPage<DbClusterBacktrack> DescribeBacktracks(Scope scope, string clusterIdentifier, string? backtrackIdentifier,
        IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var cluster = GetCluster(scope, clusterIdentifier);
        if (cluster.Engine != "aurora-mysql") throw RdsErrors.BacktrackNotSupported(cluster.Engine, cluster.EngineVersion);
        var backtracks = BacktracksOf(cluster);
        if (backtrackIdentifier is not null)
        {
            backtracks = backtracks.Where(b => b.BacktrackIdentifier == backtrackIdentifier).ToList();
            if (backtracks.Count == 0) throw RdsErrors.BacktrackNotFound(backtrackIdentifier);
        }
        return FilteredPage(backtracks, filters, (name, values) => name switch
        {
            "db-cluster-backtrack-id" => b => values.Contains(b.BacktrackIdentifier),
            "db-cluster-backtrack-status" => b => values.Contains(b.Status),
            _ => null,
        }, b => b.BacktrackIdentifier, marker, max);
    }

    private List<DbClusterBacktrack> BacktracksOf(DbCluster cluster) => _backtracks.Values
        .Where(b => b.AccountId == cluster.AccountId && b.Region == cluster.Region && b.ClusterResourceId == cluster.ResourceId).ToList();

    private void DeleteBacktracks(DbCluster cluster)
    {
        foreach (var backtrack in BacktracksOf(cluster)) _backtracks.Remove(BacktrackKey(backtrack));
    }
}
