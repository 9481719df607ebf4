using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// MariaDB's part of RDS's automated backups: the binary log (ROW format, synced at every commit) is the transaction log,
/// copied into the instance's log archive as each file closes; a point-in-time restore replays the archived files written
/// after its snapshot with mariadb-binlog, stopping at the restore time, as RDS for MySQL and MariaDB does.
/// </summary>
public sealed partial class MariaDbServer
{
    /// <summary>
    /// Row-based logging, so that a replay re-applies the rows that changed rather than re-running statements whose result
    /// depends on the moment (NOW(), UUID()); synced at every commit, so that what a client saw committed can be restored.
    /// </summary>
    private static readonly string[] BinaryLogArgs = ["--binlog-format=ROW", "--sync-binlog=1"];

    /// <summary>The files a point-in-time restore replays at its first start, and where to stop (in the home while pending).</summary>
    private string RecoveryPlanFile => Path.Combine(Home, "recovery-plan.json");

    private sealed record RecoveryPlan(IReadOnlyList<string> Logs, string? StopDatetime);

    public string? LogArchive { get; set; }

    [GeneratedRegex(@"^binlog\.(\d{6,})$")]
    private static partial Regex BinaryLogName();

    /// <summary>The binary log files in a folder (a data directory or an archive), oldest first.</summary>
    private static List<string> BinaryLogs(string folder) => Directory.Exists(folder)
        ? Directory.EnumerateFiles(folder).Where(f => BinaryLogName().IsMatch(Path.GetFileName(f))).OrderBy(LogIndex).ToList()
        : [];

    private static long LogIndex(string path) => long.Parse(BinaryLogName().Match(Path.GetFileName(path)).Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>
    /// Closes the binary log file being written (FLUSH BINARY LOGS) when the server runs, and copies every closed file the
    /// archive does not hold yet into it, keeping each file's time (pruning goes by it). Nothing when backups are off (no archive).
    /// </summary>
    public async Task ArchiveLogAsync(CancellationToken cancellation)
    {
        if (LogArchive is null || !Directory.Exists(LogArchive)) return;
        var running = IsRunning;
        if (running) await ExecuteAsync("FLUSH BINARY LOGS", null, cancellation);
        var logs = BinaryLogs(DataDir);
        // A running server writes the newest file; a stopped one closed them all.
        foreach (var log in running ? logs.SkipLast(1) : logs)
        {
            var archived = Path.Combine(LogArchive, Path.GetFileName(log));
            if (File.Exists(archived) && new FileInfo(archived).Length == new FileInfo(log).Length) continue;
            File.Copy(log, archived, overwrite: true);
            File.SetLastWriteTimeUtc(archived, File.GetLastWriteTimeUtc(log));
        }
    }

    /// <summary>
    /// On a data directory just copied from an automated snapshot: the archived files written after the snapshot (those numbered
    /// past the snapshot's own last file: a stopped server closes its file, and the next start opens a new one) are replayed at
    /// the first start. The binary log's times are whole seconds, so the replay stops at the second after the restore time:
    /// everything committed before it is kept, and what was committed later within that same second is too.
    /// </summary>
    public void PrepareRecovery(string sourceArchive, DateTimeOffset? restoreTime)
    {
        var snapshotLogs = BinaryLogs(DataDir);
        var last = snapshotLogs.Count == 0 ? 0 : LogIndex(snapshotLogs[^1]);
        var logs = BinaryLogs(sourceArchive).Where(l => LogIndex(l) > last).ToList();
        var stop = restoreTime is { } time
            ? DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds() + 1).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : null;
        CreateHome();
        Persistence.DataDirectory.WritePrivate(RecoveryPlanFile, JsonSerializer.SerializeToUtf8Bytes(new RecoveryPlan(logs, stop)));
    }

    /// <summary>On the started server: replays the planned binary logs (mariadb-binlog, in UTC, into the root session), once.</summary>
    public async Task FinishRecoveryAsync(CancellationToken cancellation)
    {
        if (!File.Exists(RecoveryPlanFile)) return;
        var plan = JsonSerializer.Deserialize<RecoveryPlan>(await File.ReadAllTextAsync(RecoveryPlanFile, cancellation))
            ?? throw new InvalidOperationException("The point-in-time recovery plan is unreadable.");
        if (plan.Logs.Count > 0)
        {
            var tool = installation.BinlogToolPath ?? throw new InvalidOperationException("mariadb-binlog is not installed, so binary logs cannot be replayed (apt-get install mariadb-client).");
            var client = installation.ClientPath ?? throw new InvalidOperationException("The mariadb client is not installed, so binary logs cannot be replayed (apt-get install mariadb-client).");
            var replay = Path.Combine(TempDir, "replay.sql");
            try
            {
                var decode = ServerProcess.Launch(tool, ["--no-defaults", .. plan.StopDatetime is null ? Array.Empty<string>() : [$"--stop-datetime={plan.StopDatetime}"],
                    $"--result-file={replay}", .. plan.Logs]);
                // --stop-datetime is read in the tool's local time zone.
                decode.Environment["TZ"] = "UTC";
                await ServerProcess.RunAsync(decode, cancellation);
                await ServerProcess.RunAsync(ServerProcess.Launch(client, ["--no-defaults", $"--socket={Socket}", "--user=root", $"--execute=SOURCE {replay};"]), cancellation);
            }
            finally
            {
                File.Delete(replay);
            }
        }
        File.Delete(RecoveryPlanFile);
    }
}
