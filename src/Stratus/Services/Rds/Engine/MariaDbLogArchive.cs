using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// MariaDB's part of RDS's automated backups: snapshots of the running server (mariadb-backup), and the binary log (ROW
/// format, synced at every commit) as the transaction log, copied into the instance's log archive as each file closes; a
/// point-in-time restore replays the archived log written after its snapshot with mariadb-binlog, stopping at the restore
/// time, as RDS for MySQL and MariaDB does.
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

    private sealed record RecoveryPlan(IReadOnlyList<string> Logs, string? StopDatetime, long? StartPosition = null);

    /// <summary>Where mariadb-backup notes the binary log position its copy is consistent with ("file position gtid").</summary>
    private const string BackupBinlogInfo = "xtrabackup_binlog_info";

    public bool SnapshotsOnline => IsRunning && installation.BackupToolPath is not null;

    /// <summary>
    /// mariadb-backup copies the running server's files while it serves (InnoDB's redo log alongside, a brief block of commits
    /// at the end for the non-transactional tables and the binary log position), then --prepare applies the redo log, so the
    /// folder is a data directory that starts as it is; it holds no binary log, only the position in xtrabackup_binlog_info.
    /// </summary>
    public async Task SnapshotOnlineAsync(string snapshotDir, CancellationToken cancellation)
    {
        var tool = installation.BackupToolPath ?? throw new InvalidOperationException("mariadb-backup is not installed, so a running server cannot be copied (apt-get install mariadb-backup).");
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(Path.GetDirectoryName(snapshotDir)!)!);
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(snapshotDir)!);
        Persistence.DataDirectory.CreatePrivate(snapshotDir);
        try
        {
            await ServerProcess.RunAsync(ServerProcess.Launch(tool, ["--no-defaults", "--backup", $"--target-dir={snapshotDir}", $"--datadir={DataDir}",
                $"--socket={Socket}", "--user=root", $"--tmpdir={TempDir}"]), cancellation);
            await ServerProcess.RunAsync(ServerProcess.Launch(tool, ["--no-defaults", "--prepare", $"--target-dir={snapshotDir}", $"--tmpdir={TempDir}"]), cancellation);
        }
        catch
        {
            if (Directory.Exists(snapshotDir)) Directory.Delete(snapshotDir, recursive: true);
            throw;
        }
    }

    /// <summary>The binary log file and position an online snapshot's copy is consistent with, from the copy's own note.</summary>
    private (string File, long Position)? BackupBinlogPosition()
    {
        var note = Path.Combine(DataDir, BackupBinlogInfo);
        if (!File.Exists(note)) return null;
        var fields = File.ReadAllText(note).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && BinaryLogName().IsMatch(fields[0]) && long.TryParse(fields[1], CultureInfo.InvariantCulture, out var position)
            ? (fields[0], position)
            : null;
    }

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
    /// On a data directory just copied from an automated snapshot: the archived log written after the snapshot is replayed at
    /// the first start. An online snapshot (mariadb-backup's, holding no binary log) is consistent with the position it noted:
    /// the replay starts there, in the file being written then. A copy of a stopped server holds its binary logs: the replay
    /// takes the files numbered past its last one (a stopped server closes its file, and the next start opens a new one). The
    /// binary log's times are whole seconds, so the replay stops at the second after the restore time: everything committed
    /// before it is kept, and what was committed later within that same second is too.
    /// </summary>
    public void PrepareRecovery(string sourceArchive, DateTimeOffset? restoreTime)
    {
        var snapshotLogs = BinaryLogs(DataDir);
        var online = snapshotLogs.Count == 0 ? BackupBinlogPosition() : null;
        var last = snapshotLogs.Count == 0 ? 0 : LogIndex(snapshotLogs[^1]);
        var logs = online is { } from
            ? BinaryLogs(sourceArchive).Where(l => LogIndex(l) >= LogIndex(from.File)).ToList()
            : BinaryLogs(sourceArchive).Where(l => LogIndex(l) > last).ToList();
        if (online is { } start && (logs.Count == 0 || Path.GetFileName(logs[0]) != start.File))
            throw new InvalidOperationException($"The log archive does not hold {start.File}, the binary log the snapshot's copy ends in.");
        var stop = restoreTime is { } time
            ? DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds() + 1).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : null;
        CreateHome();
        Persistence.DataDirectory.WritePrivate(RecoveryPlanFile, JsonSerializer.SerializeToUtf8Bytes(new RecoveryPlan(logs, stop, online?.Position)));
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
                // --start-position applies to the first file only: the one the snapshot's copy ends in.
                var decode = ServerProcess.Launch(tool, ["--no-defaults", .. plan.StopDatetime is null ? Array.Empty<string>() : [$"--stop-datetime={plan.StopDatetime}"],
                    .. plan.StartPosition is { } position ? [$"--start-position={position}"] : Array.Empty<string>(),
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
