using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// MariaDB replication, for RDS's read replicas and Aurora MySQL's readers alike: every server writes a binary log with
/// GTIDs under its own server id (as an RDS instance with backups does), including the changes it applies as a replica
/// (log_slave_updates), so any one can become a source, and an Aurora reader promoted by a failover can serve the other
/// readers from where they are. A replica is seeded with a consistent dump of its source taken at a GTID position, then
/// replicates from that position and runs read_only.
/// </summary>
public sealed partial class MariaDbServer
{
    private string ReplicaMarker => Path.Combine(Home, "replica-of");
    /// <summary>The accounts whose READ_ONLY ADMIN (part of SUPER in MariaDB 10.11) the replica took away, so that read_only holds for them too.</summary>
    private string RevokedFile => Path.Combine(Home, "read-only-revoked.json");

    public bool IsReplica => File.Exists(ReplicaMarker);

    /// <summary>Unused: a MariaDB replica reads only its source's binary log (see <see cref="IDbServer.SourceLogArchive"/>).</summary>
    public string? SourceLogArchive { get; set; }

    /// <summary>
    /// A server id of its own, stable across restarts (from the home, which carries the instance's resource id): a replica
    /// ignores binary log events carrying its own id, so source and replica must differ.
    /// </summary>
    private uint ServerId => BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(Home)), 0) | 1;

    /// <summary>
    /// The binary log (RDS keeps it while backups are on, and replicas read it), named relative to the data directory so that
    /// it travels with the data into snapshots, restores and an Aurora cluster volume's first writer; a replica is read_only,
    /// any other server does not start replicating on its own (a snapshot of a replica restored as a new instance).
    /// </summary>
    private string[] ReplicationArgs() =>
        ["--log-bin=binlog", $"--server-id={ServerId}", "--log-slave-updates", "--relay-log=relay-bin", "--expire-logs-days=1", .. BinaryLogArgs,
         IsReplica ? "--read-only" : "--skip-slave-start"];

    public async Task StartReplicatingFromAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        var primary = Source(source);
        var dump = installation.DumpPath ?? throw new InvalidOperationException("mariadb-dump is not installed, so a replica cannot be seeded (apt-get install mariadb-client).");
        var client = installation.ClientPath ?? throw new InvalidOperationException("The mariadb client is not installed, so a replica cannot be seeded (apt-get install mariadb-client).");
        var login = await primary.EnableReplicationSourceAsync(cancellation);
        // A member seeded again (an Aurora writer rejoining as a reader) starts from nothing of its own.
        CreateHome();
        File.Delete(ReplicaMarker);
        File.Delete(RevokedFile);
        await InitializeAsync(cancellation);
        login.KeepIn(Home);
        // Seeded without listening: nobody reaches the replica before it is complete.
        await LaunchAsync(["--skip-networking"], "its socket", cancellation);
        var dumpFile = Path.Combine(TempDir, "seed.sql");
        try
        {
            await primary.DumpAsync(dump, dumpFile, cancellation);
            var position = GtidPosition(await File.ReadAllTextAsync(dumpFile, cancellation));
            // Not into the replica's own binary log: the rows are the source's, the replica's log starts with its own writes. Its
            // accounts become exactly the source's (a promoted Aurora reader is itself the source of the next seeding).
            await ServerProcess.RunAsync(ServerProcess.Launch(client, ["--no-defaults", $"--socket={Socket}", "--user=root",
                $"--execute=SET sql_log_bin = 0; {DropInstallAccounts} SOURCE {dumpFile};"]), cancellation);
            // The replica's own binary log starts at the dump's position too, so that once promoted it can serve replicas that
            // were at that position (RESET MASTER first: the state can only be set on an empty binary log).
            await ExecuteAsync("RESET MASTER; SET GLOBAL gtid_binlog_state = @position; SET GLOBAL gtid_slave_pos = @position; " + ChangeMaster,
                SourceParameters(sourceAddress, sourcePort, login, position), cancellation);
            await RevokeReadOnlyAdminAsync(cancellation);
            await File.WriteAllTextAsync(ReplicaMarker, $"{sourceAddress}:{sourcePort}\n", cancellation);
        }
        finally
        {
            await StopAsync();
            File.Delete(dumpFile);
        }
    }

    /// <summary>
    /// Where a replica connects and from which position: the GTIDs it has applied (slave_pos), so a replica repointed to
    /// another source goes on from there; it retries every second while its source is not reachable (a failover). Over TLS
    /// (MASTER_SSL): every server RDS starts serves it, and a source whose parameter group sets require_secure_transport
    /// refuses anything else.
    /// </summary>
    private const string ChangeMaster = "CHANGE MASTER TO MASTER_HOST = @host, MASTER_PORT = @port, MASTER_USER = @user, MASTER_PASSWORD = @password, " +
        "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_SSL = 1;";

    private static Dictionary<string, object?> SourceParameters(string address, int port, ReplicationLogin login, string? position = null) =>
        new() { ["@host"] = address, ["@port"] = port, ["@user"] = login.User, ["@password"] = login.Password, ["@position"] = position };

    public async Task FollowAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        if (!IsReplica) throw new InvalidOperationException("A MariaDB server that is not a replica follows another server only once seeded from it.");
        var login = await Source(source).EnableReplicationSourceAsync(cancellation);
        await ExecuteAsync("STOP SLAVE; " + ChangeMaster + " START SLAVE;", SourceParameters(sourceAddress, sourcePort, login), cancellation);
        await File.WriteAllTextAsync(ReplicaMarker, $"{sourceAddress}:{sourcePort}\n", cancellation);
    }

    public async Task<string> ReplicationPositionAsync(CancellationToken cancellation) =>
        Convert.ToString(await ScalarAsync("SELECT @@GLOBAL.gtid_binlog_pos", null, cancellation)) ?? "";

    public async Task<bool> CatchUpAsync(string position, CancellationToken cancellation)
    {
        if (position.Length == 0) return true;
        // MASTER_GTID_WAIT answers 0 once the replica has applied the position, -1 when the wait times out.
        var waited = await ScalarAsync("SELECT MASTER_GTID_WAIT(@position, 60)", new Dictionary<string, object?> { ["@position"] = position }, cancellation, timeoutSeconds: 70);
        return Convert.ToInt64(waited) == 0;
    }

    /// <summary>
    /// Replication stops for good and read_only goes; the accounts the replica took SUPER from get it back. Not into the binary
    /// log: after an Aurora failover the other readers follow this server and keep refusing the master user's writes.
    /// </summary>
    public async Task PromoteAsync(CancellationToken cancellation)
    {
        await ExecuteAsync("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0;", null, cancellation);
        if (File.Exists(RevokedFile))
        {
            foreach (var account in JsonSerializer.Deserialize<List<string[]>>(await File.ReadAllTextAsync(RevokedFile, cancellation)) ?? [])
                await ExecuteAsync($"SET sql_log_bin = 0; GRANT SUPER ON *.* TO {Account(account[0], account[1])}", null, cancellation);
            File.Delete(RevokedFile);
        }
        File.Delete(ReplicaMarker);
    }

    public async Task<DbServerSample> SampleAsync(CancellationToken cancellation)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        // Client connections, as RDS counts them: not this one, nor the server's own threads (replication threads run as "system user").
        await using var count = new MySqlCommand("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon' AND USER <> 'system user'", connection);
        var connections = Convert.ToInt64(await count.ExecuteScalarAsync(cancellation));
        double? lag = null;
        if (IsReplica)
        {
            await using var status = new MySqlCommand("SHOW SLAVE STATUS", connection);
            await using var reader = await status.ExecuteReaderAsync(cancellation);
            // Seconds_Behind_Master is NULL while replication is not running: then there is no lag to report.
            if (await reader.ReadAsync(cancellation) && reader["Seconds_Behind_Master"] is not DBNull and { } seconds) lag = Convert.ToDouble(seconds);
        }
        return new DbServerSample(connections, lag);
    }

    private static readonly TimeSpan ReplicationConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A started replica is available once it replicates (its lag is known), or after a short wait when its source is not
    /// reachable now: it keeps retrying on its own, and reports no lag until it connects.
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

    /// <summary>The replication login on this (source) server; the binary log must be on, as every server Stratus starts has it.</summary>
    private async Task<ReplicationLogin> EnableReplicationSourceAsync(CancellationToken cancellation)
    {
        await using (var connection = new MySqlConnection(AdminConnectionString(5)))
        {
            await connection.OpenAsync(cancellation);
            await using var logBin = new MySqlCommand("SELECT @@log_bin", connection);
            if (Convert.ToInt64(await logBin.ExecuteScalarAsync(cancellation)) == 0)
                throw new InvalidOperationException("The source's server runs without a binary log (started by an older Stratus): reboot the source DB instance, then create the replica.");
        }
        var login = ReplicationLogin.Of(Home);
        var account = Account(login.User, "%");
        // A replica serving replicas of its own (cascading) has the account from its source already; not into its binary log,
        // which holds its source's changes only.
        await ExecuteAsync((IsReplica ? "SET sql_log_bin = 0; " : "") + $"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY @password; ALTER USER {account} IDENTIFIED BY @password; " +
            $"GRANT REPLICATION SLAVE ON *.* TO {account};", new Dictionary<string, object?> { ["@password"] = login.Password }, cancellation);
        return login;
    }

    /// <summary>A consistent dump (one transaction) of the accounts and every user database, with the GTID position it was taken at.</summary>
    private async Task DumpAsync(string dumpTool, string file, CancellationToken cancellation)
    {
        var databases = new List<string>();
        await using (var connection = new MySqlConnection(AdminConnectionString(5)))
        {
            await connection.OpenAsync(cancellation);
            await using var list = new MySqlCommand("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')", connection);
            await using var reader = await list.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation)) databases.Add(reader.GetString(0));
        }
        await ServerProcess.RunAsync(ServerProcess.Launch(dumpTool, ["--no-defaults", $"--socket={Socket}", "--user=root", "--system=users", "--insert-ignore",
            "--single-transaction", "--gtid", "--master-data=2", "--routines", "--events", "--triggers", $"--result-file={file}",
            .. databases.Count == 0 ? Array.Empty<string>() : ["--databases", .. databases]]), cancellation);
    }

    /// <summary>'user'@'host' as SQL (account names cannot be statement parameters); backslashes and quotes escaped.</summary>
    private static string Account(string user, string host) => $"{Literal(user)}@{Literal(host)}";

    private static string Literal(string value) => "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    [GeneratedRegex(@"^-- SET GLOBAL gtid_slave_pos='([0-9,-]*)';$", RegexOptions.Multiline)]
    private static partial Regex GtidPositionLine();

    private static string GtidPosition(string dump) =>
        GtidPositionLine().Match(dump) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("The source's dump carries no GTID position.");

    /// <summary>
    /// read_only binds every account without READ_ONLY ADMIN; MariaDB 10.11 counts it in SUPER, which Stratus's master users
    /// hold. The replica takes it away (and records from whom, for a promotion to give it back), so writes are refused as on RDS.
    /// </summary>
    private async Task RevokeReadOnlyAdminAsync(CancellationToken cancellation)
    {
        var accounts = new List<string[]>();
        await using (var connection = new MySqlConnection(AdminConnectionString(5)))
        {
            await connection.OpenAsync(cancellation);
            await using var list = new MySqlCommand("SELECT User, Host FROM mysql.user WHERE Super_priv = 'Y' AND User NOT IN ('root', 'mariadb.sys')", connection);
            await using var reader = await list.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation)) accounts.Add([reader.GetString(0), reader.GetString(1)]);
        }
        // Not into the binary log: the replica's log holds its source's changes only, so that its GTID position stays the source's.
        foreach (var account in accounts)
            await ExecuteAsync($"SET sql_log_bin = 0; REVOKE READ_ONLY ADMIN ON *.* FROM {Account(account[0], account[1])}", null, cancellation);
        Persistence.DataDirectory.WritePrivate(RevokedFile, JsonSerializer.SerializeToUtf8Bytes(accounts));
    }

    private static MariaDbServer Source(IDbServer source) =>
        source as MariaDbServer ?? throw new InvalidOperationException("A MariaDB server replicates from a MariaDB server only.");

    private async Task<object?> ScalarAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellation, int timeoutSeconds = 30)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var command = new MySqlCommand(sql, connection) { CommandTimeout = timeoutSeconds };
        foreach (var (name, value) in parameters ?? new Dictionary<string, object?>()) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteScalarAsync(cancellation);
    }
}
