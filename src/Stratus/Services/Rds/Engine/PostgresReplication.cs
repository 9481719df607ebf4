using Npgsql;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// PostgreSQL streaming replication, as Aurora PostgreSQL's readers and RDS's read replicas need it: a replica is a
/// base backup of its source (pg_basebackup -R) running as a hot standby, which streams the source's WAL over the
/// source's admin socket as rdsadmin (only Stratus reaches that 0700 directory, so no password is made or kept).
/// </summary>
public sealed partial class PostgresServer
{
    private const string ReplicationLogin = "local   replication   rdsadmin   trust";

    private string HbaFile => Path.Combine(DataDir, "pg_hba.conf");

    /// <summary>Lets rdsadmin open replication connections over the socket (pg_hba's "all" databases do not cover them); read at the next start.</summary>
    public void EnableReplication()
    {
        var lines = File.Exists(HbaFile) ? File.ReadAllLines(HbaFile).ToList() : [];
        if (lines.Any(l => l.Trim() == ReplicationLogin)) return;
        lines.Add(ReplicationLogin);
        File.WriteAllLines(HbaFile, lines);
    }

    /// <summary>A base backup of the running source that starts as its standby (standby.signal and primary_conninfo).</summary>
    public async Task InitializeReplicaAsync(IDbServer source, CancellationToken cancellation)
    {
        var pgSource = Source(source);
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        CreateHome();
        var basebackup = Path.Combine(installation.BinDir, "pg_basebackup");
        await ServerProcess.RunAsync(ServerProcess.Launch(Program(basebackup), [.. Arguments(basebackup),
            "-D", DataDir, "-h", pgSource.SocketDir, "-p", pgSource._port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", AdminUser, "-R", "-X", "stream", "-c", "fast", "--no-password"]), cancellation);
    }

    /// <summary>Points a standby at the source's socket; a changed primary_conninfo restarts its WAL receiver on reload.</summary>
    public async Task StartReplicatingFromAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        var pgSource = Source(source);
        if (!Convert.ToBoolean(await ScalarAsync("SELECT pg_is_in_recovery()", null, cancellation)))
            throw new InvalidOperationException("A PostgreSQL primary follows another server only as a new base backup of it.");
        var conninfo = $"host={ConninfoValue(pgSource.SocketDir)} port={pgSource._port} user={AdminUser} application_name={ConninfoValue(Path.GetFileName(Home))}";
        await ExecuteAsync($"ALTER SYSTEM SET primary_conninfo = {Literal(conninfo)}", cancellation);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellation);
    }

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

    /// <summary>pg_promote ends recovery (waiting for it), then the standby settings go.</summary>
    public async Task PromoteAsync(CancellationToken cancellation)
    {
        if (Convert.ToBoolean(await ScalarAsync("SELECT pg_is_in_recovery()", null, cancellation)))
            if (!Convert.ToBoolean(await ScalarAsync("SELECT pg_promote(true, 60)", null, cancellation)))
                throw new InvalidOperationException("PostgreSQL did not finish its promotion within 60 s.");
        await ExecuteAsync("ALTER SYSTEM RESET primary_conninfo", cancellation);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellation);
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
