using Npgsql;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// PostgreSQL replication, for RDS's read replicas and Aurora PostgreSQL's readers alike: streaming replication. The replica's data directory is a base backup of the running
/// source taken over a replication connection (pg_basebackup -R, which also writes standby.signal and
/// primary_conninfo), so it starts as a hot standby: it follows the source's WAL and refuses writes. A standby can be
/// pointed at another source that came from the same one (an Aurora reader after a failover): it follows the promoted
/// server's new timeline (recovery_target_timeline is latest by default).
/// </summary>
public sealed partial class PostgresServer
{
    private string ReplicaMarker => Path.Combine(Home, "replica-of");
    private string StandbySignal => Path.Combine(DataDir, "standby.signal");

    public bool IsReplica => File.Exists(ReplicaMarker);

    public string? SourceLogArchive { get; set; }

    /// <summary>
    /// Before a standby starts: restore_command reads the WAL its source no longer holds from the source's archive (each
    /// lineage a folder; a segment's name, timeline included, is in one of them only), as a standby streams and falls back
    /// on the archive. Without an archive the command goes (a standby then has only its source's pg_wal).
    /// </summary>
    private void PlaceStandbyRestoreCommand()
    {
        if (!IsReplica) return;
        WriteAutoConf(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["restore_command"] = SourceLogArchive is null ? "" : $"for f in {ShellWord(SourceLogArchive)}/*/%f; do test -f \"$f\" && exec cp \"$f\" %p; done; exit 1",
        });
    }

    public async Task StartReplicatingFromAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        var primary = Source(source);
        var login = await primary.EnableReplicationSourceAsync(cancellation);
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        CreateHome();
        // A client, so it may run as Stratus's user: the files it writes are the server's own inside its user namespace.
        var backup = ServerProcess.Launch(installation.BaseBackupPath, ["--pgdata", DataDir, "--host", sourceAddress, "--port", sourcePort.ToString(),
            "--username", login.User, "--no-password", "--wal-method=stream", "--checkpoint=fast", "--write-recovery-conf"]);
        backup.Environment["PGPASSWORD"] = login.Password;
        // pg_reload_conf() only signals the postmaster: the first try may meet the pg_hba.conf it had before.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ServerProcess.RunAsync(backup, cancellation);
                break;
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("pg_hba.conf", StringComparison.Ordinal))
            {
                if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
                await Task.Delay(200 * attempt, cancellation);
            }
        }
        login.KeepIn(Home);
        await File.WriteAllTextAsync(ReplicaMarker, $"{sourceAddress}:{sourcePort}\n", cancellation);
    }

    private static readonly TimeSpan ReplicationConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A started standby is available once it streams from its source (its lag is known), or after a short wait when the
    /// source is not reachable now: its WAL receiver keeps retrying on its own, and no lag is reported until it connects.
    /// </summary>
    private async Task WaitUntilReplicatingAsync(CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + ReplicationConnectTimeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if ((await SampleAsync(cancellation)).ReplicaLagSeconds is not null) return;
            await Task.Delay(100, cancellation);
        }
    }

    /// <summary>Points a running standby at another source: a changed primary_conninfo restarts its WAL receiver on reload.</summary>
    public async Task FollowAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        if (!IsReplica || !Convert.ToBoolean(await ScalarAsync("SELECT pg_is_in_recovery()", null, cancellation)))
            throw new InvalidOperationException("A PostgreSQL primary follows another server only as a new base backup of it.");
        var login = await Source(source).EnableReplicationSourceAsync(cancellation);
        var conninfo = $"host={ConninfoValue(sourceAddress)} port={sourcePort} user={ConninfoValue(login.User)} password={ConninfoValue(login.Password)} " +
            $"application_name={ConninfoValue(Path.GetFileName(Home))}";
        await ExecuteAsync($"ALTER SYSTEM SET primary_conninfo = {Literal(conninfo)}", cancellation);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellation);
        await File.WriteAllTextAsync(ReplicaMarker, $"{sourceAddress}:{sourcePort}\n", cancellation);
    }

    /// <summary>The LSN a primary has written, or a standby has replayed.</summary>
    public async Task<string> ReplicationPositionAsync(CancellationToken cancellation) => Convert.ToString(await ScalarAsync(
        "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text", null, cancellation)) ?? "";

    public async Task<bool> CatchUpAsync(string position, CancellationToken cancellation)
    {
        if (position.Length == 0) return true;
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        while (true)
        {
            var applied = await ScalarAsync("SELECT COALESCE(pg_last_wal_replay_lsn() >= @position::pg_lsn, true)",
                new Dictionary<string, object?> { ["position"] = position }, cancellation);
            if (Convert.ToBoolean(applied)) return true;
            if (DateTimeOffset.UtcNow > deadline) return false;
            await Task.Delay(100, cancellation);
        }
    }

    /// <summary>
    /// pg_promote: the standby finishes recovery and becomes a primary of its own, writable at once; its primary_conninfo
    /// (with the old source's replication password) and restore_command go too.
    /// </summary>
    public async Task PromoteAsync(CancellationToken cancellation)
    {
        if (Convert.ToBoolean(await ScalarAsync("SELECT pg_is_in_recovery()", null, cancellation))
            && !Convert.ToBoolean(await ScalarAsync("SELECT pg_promote(true, 60)", null, cancellation)))
            throw new InvalidOperationException($"PostgreSQL did not finish its promotion within 60 s: {LogTail()}");
        await ExecuteAsync("ALTER SYSTEM RESET primary_conninfo", cancellation);
        await ExecuteAsync("ALTER SYSTEM RESET restore_command", cancellation);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellation);
        File.Delete(ReplicaMarker);
    }

    public async Task<DbServerSample> SampleAsync(CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()", connection);
        var connections = Convert.ToInt64(await count.ExecuteScalarAsync(cancellation));
        // The standby's lag: none when it has replayed all it received, else the age of the last transaction replayed
        // (the usual measure, and RDS's for PostgreSQL); NULL before anything was replayed, and then nothing is reported.
        await using var lag = new NpgsqlCommand("SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL " +
            "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 " +
            "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END", connection);
        var seconds = await lag.ExecuteScalarAsync(cancellation);
        return new DbServerSample(connections, IsReplica && seconds is double value ? value : null);
    }

    /// <summary>
    /// The replication role (rdsadmin's sibling on RDS, rdsrepladmin) with the source's replication password, and a
    /// pg_hba.conf line letting it in over TCP with that password ("all" never matches replication connections).
    /// </summary>
    private async Task<ReplicationLogin> EnableReplicationSourceAsync(CancellationToken cancellation)
    {
        var login = ReplicationLogin.Of(Home);
        var role = Identifier(login.User);
        // A hot standby serving standbys of its own (cascading replication) is read-only: the role is its source's, replicated
        // with the password it keeps (and its pg_hba.conf came with the base backup).
        if (Convert.ToBoolean(await ScalarAsync("SELECT pg_is_in_recovery()", null, cancellation)))
            return Convert.ToBoolean(await ScalarAsync("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = @name AND rolreplication)",
                new Dictionary<string, object?> { ["name"] = login.User }, cancellation))
                ? login
                : throw new InvalidOperationException("This standby has no replication role from its source (it was made by an older Stratus): promote or recreate it to serve replicas.");
        await ExecuteAsync($"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Literal(login.User)}) THEN CREATE ROLE {role}; END IF; END$$", cancellation);
        await ExecuteAsync($"ALTER ROLE {role} WITH LOGIN REPLICATION PASSWORD {Literal(login.Password)}", cancellation);
        var hba = Path.Combine(DataDir, "pg_hba.conf");
        var line = $"host    replication   {login.User}   all   scram-sha-256";
        if (!File.ReadLines(hba).Any(l => l.Trim() == line))
        {
            await File.AppendAllTextAsync(hba, line + "\n", cancellation);
            await ExecuteAsync("SELECT pg_reload_conf()", cancellation);
        }
        return login;
    }

    /// <summary>A data directory restored from a replica's snapshot is a standalone instance: it must not start as a standby.</summary>
    private void ForgetStandbyUnlessReplica()
    {
        if (!IsReplica && File.Exists(StandbySignal)) File.Delete(StandbySignal);
    }

    private static PostgresServer Source(IDbServer source) =>
        source as PostgresServer ?? throw new InvalidOperationException("A PostgreSQL server replicates from a PostgreSQL server only.");

    /// <summary>A libpq connection-string value: quoted, with quotes and backslashes escaped.</summary>
    private static string ConninfoValue(string value) => "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private async Task<object?> ScalarAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters ?? new Dictionary<string, object?>()) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return await command.ExecuteScalarAsync(cancellation);
    }
}
