using Npgsql;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// PostgreSQL read replicas: streaming replication. The replica's data directory is a base backup of the running
/// source taken over a replication connection (pg_basebackup -R, which also writes standby.signal and
/// primary_conninfo), so it starts as a hot standby: it follows the source's WAL and refuses writes.
/// </summary>
public sealed partial class PostgresServer
{
    private string ReplicaMarker => Path.Combine(Home, "replica-of");
    private string StandbySignal => Path.Combine(DataDir, "standby.signal");

    public bool IsReplica => File.Exists(ReplicaMarker);

    public int? ProcessId { get { lock (_gate) return _process is { HasExited: false } p ? p.Id : null; } }

    public async Task StartReplicatingFrom(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        if (source is not PostgresServer primary) throw new InvalidOperationException("A PostgreSQL replica needs a PostgreSQL source.");
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

    /// <summary>pg_promote: the standby finishes recovery and becomes a primary of its own, writable at once.</summary>
    public async Task Promote(CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var promote = new NpgsqlCommand("SELECT pg_promote(true, 60)", connection);
        if (await promote.ExecuteScalarAsync(cancellation) is not true)
            throw new InvalidOperationException($"PostgreSQL did not finish its promotion within 60 s: {LogTail()}");
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
}
