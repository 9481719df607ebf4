using System.Globalization;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// PostgreSQL's part of RDS's automated backups: snapshots of the running server (pg_basebackup), continuous WAL archiving
/// (archive_mode on, archive_command copying each completed segment into the instance's log archive, archive_timeout 5
/// minutes as RDS uploads its logs); a point-in-time restore starts a snapshot's copy in archive recovery (restore_command
/// reading the source's archive, recovery_target_time) and promotes it at the target.
/// </summary>
public sealed partial class PostgresServer
{
    private static readonly TimeSpan ArchiveWait = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RecoveryWait = TimeSpan.FromMinutes(10);
    private static readonly string[] RecoverySettings = ["restore_command", "recovery_target_time", "recovery_target_action", "recovery_target_timeline"];

    private string RecoverySignal => Path.Combine(DataDir, "recovery.signal");

    public string? LogArchive { get; set; }

    /// <summary>Whether the running server was started with archiving on (its instance kept backups when it started).</summary>
    private bool _archiving;

    /// <summary>
    /// Archiving is on for a server whose instance keeps backups (its archive folder exists when it starts: turning backups on
    /// begins with an automated snapshot, which restarts the server). The command copies a segment only while the folder
    /// exists, so turning backups off needs no restart (RDS keeps no logs with a retention of 0). Servers without backups (read
    /// replicas, Aurora readers) run without archiving.
    /// </summary>
    private string[] ArchiveArgs() => LogArchive is null || !Directory.Exists(LogArchive) ? [] :
        ["-c", "archive_mode=on", "-c", $"archive_command=test ! -d {ShellWord(LogArchive)} || cp %p {ShellWord(LogArchive)}/%f", "-c", "archive_timeout=300"];

    /// <summary>
    /// Online unless the instance keeps backups and this server was started without archiving (a promoted read replica, an
    /// instance whose retention just went from 0 up): a copy then would have no archived WAL after it to restore from. Nor on
    /// a hot standby, whose base backup starts at a restartpoint, which only a checkpoint replayed from its source allows:
    /// a read replica's snapshot stays a copy of it stopped, which depends on nothing but itself.
    /// </summary>
    public bool SnapshotsOnline => IsRunning && !IsReplica && (_archiving || LogArchive is null || !Directory.Exists(LogArchive));

    /// <summary>
    /// pg_basebackup over the admin socket (a replication connection; the local replication line of pg_hba.conf lets rdsadmin
    /// make it): a checkpoint, the data files copied while the server serves, and the WAL written meanwhile streamed into the
    /// copy's pg_wal, so that it starts as it is (recovering to the backup's end from its backup_label) and a point-in-time
    /// restore recovers from that checkpoint on with the archive. No standby files: the copy is a primary's.
    /// </summary>
    public async Task SnapshotOnlineAsync(string snapshotDir, CancellationToken cancellation)
    {
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(Path.GetDirectoryName(snapshotDir)!)!);
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(snapshotDir)!);
        // A client, so it may run as Stratus's user: the files it writes are the server's own inside its user namespace.
        var backup = ServerProcess.Launch(installation.BaseBackupPath, ["--pgdata", snapshotDir, "--host", SocketDir, "--port", _port.ToString(CultureInfo.InvariantCulture),
            "--username", AdminUser, "--no-password", "--wal-method=stream", "--checkpoint=fast", "--no-sync"]);
        try
        {
            await ServerProcess.RunAsync(backup, cancellation);
        }
        catch
        {
            if (Directory.Exists(snapshotDir)) Directory.Delete(snapshotDir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Closes the WAL being written and waits until the archive holds it. A transaction of its own comes first, so that the
    /// archive ends with a commit stamped now: recovery to any earlier time then finds a commit past its target, which
    /// PostgreSQL needs to stop there (it refuses a target the archived WAL does not reach). A server started before its
    /// instance kept backups (the first automated snapshot, which restarts it with archiving) has nothing to archive yet: the
    /// window starts at that snapshot.
    /// </summary>
    public async Task ArchiveLogAsync(CancellationToken cancellation)
    {
        if (LogArchive is null || !Directory.Exists(LogArchive) || !IsRunning || IsReplica || !_archiving) return;
        await ScalarAsync("SELECT pg_current_xact_id()", null, cancellation);
        var segment = Convert.ToString(await ScalarAsync("SELECT pg_walfile_name(pg_switch_wal())", null, cancellation), CultureInfo.InvariantCulture) ?? "";
        var deadline = DateTimeOffset.UtcNow + ArchiveWait;
        while (!File.Exists(Path.Combine(LogArchive, segment)))
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new InvalidOperationException($"PostgreSQL did not archive the WAL segment {segment} within {ArchiveWait.TotalSeconds} s: {LogTail()}");
            await Task.Delay(100, cancellation);
        }
    }

    /// <summary>
    /// On a data directory just copied from an automated snapshot: the next start is an archive recovery from the source's
    /// archive up to the restore time (to the archive's end without one), then a promotion to a primary of its own.
    /// </summary>
    public void PrepareRecovery(string sourceArchive, DateTimeOffset? restoreTime)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["restore_command"] = $"cp {ShellWord(sourceArchive)}/%f %p",
            ["recovery_target_action"] = "promote",
            ["recovery_target_timeline"] = "latest",
        };
        if (restoreTime is { } time)
            settings["recovery_target_time"] = time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";
        WriteAutoConf(settings);
        Persistence.DataDirectory.WritePrivate(RecoverySignal, []);
    }

    /// <summary>On the started server: waits until recovery reached its target and promoted the server, then drops the recovery settings.</summary>
    public async Task FinishRecoveryAsync(CancellationToken cancellation)
    {
        if (!File.ReadLines(AutoConf).Any(l => l.StartsWith("restore_command", StringComparison.Ordinal))) return;
        var deadline = DateTimeOffset.UtcNow + RecoveryWait;
        while (Convert.ToBoolean(await ScalarAsync("SELECT pg_is_in_recovery()", null, cancellation), CultureInfo.InvariantCulture))
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new InvalidOperationException($"PostgreSQL did not finish its point-in-time recovery within {RecoveryWait.TotalMinutes} minutes: {LogTail()}");
            await Task.Delay(200, cancellation);
        }
        foreach (var setting in RecoverySettings) await ExecuteAsync($"ALTER SYSTEM RESET {setting}", cancellation);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellation);
    }

    /// <summary>A path as one word of the shell PostgreSQL runs archive and restore commands with; a % doubled, as PostgreSQL reads it.</summary>
    private static string ShellWord(string path) => "'" + path.Replace("'", "'\\''").Replace("%", "%%") + "'";
}
