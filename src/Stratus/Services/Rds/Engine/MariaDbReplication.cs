using System.Security.Cryptography;
using MySqlConnector;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// MariaDB replication, as Aurora MySQL's readers and RDS's read replicas need it: every member writes a binary log
/// (with the changes it replays, log_slave_updates, so any of them can become the source) and replicas follow their
/// source by GTID. A new replica starts from an empty data directory and replays its source's binary log from the
/// beginning, which holds everything since the source's master user was made: Stratus never purges binary logs.
/// </summary>
public sealed partial class MariaDbServer
{
    private const string ReplicaUserPrefix = "rdsrepl_";

    /// <summary>The replication options, one command-line option a line; a replica's include read-only.</summary>
    public string ReplicationOptionsFile => Path.Combine(Home, "replication.cnf");

    /// <summary>
    /// A binary log in the data directory (so it travels with the data into snapshots and restores) and a new random
    /// server id: a replica ignores events carrying its own id, so a re-cloned member must never reuse its old one.
    /// </summary>
    public void EnableReplication()
    {
        CreateHome();
        var serverId = RandomNumberGenerator.GetInt32(2, int.MaxValue);
        File.WriteAllLines(ReplicationOptionsFile,
            [$"--server-id={serverId}", "--log-bin=mariadb-bin", "--log-slave-updates=ON", "--relay-log=relay-bin", "--binlog-format=MIXED"]);
    }

    /// <summary>An empty data directory: the replica replays its source's whole binary log once it follows it.</summary>
    public Task InitializeReplicaAsync(IDbServer source, CancellationToken cancellation) => InitializeAsync(cancellation);

    /// <summary>
    /// A replication login on the source for this replica alone (its password is known only to the two servers), then
    /// CHANGE MASTER TO with GTIDs. current_pos lets a fresh replica start from the beginning and a repointed one go on
    /// from what it has applied.
    /// </summary>
    public async Task StartReplicatingFromAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation)
    {
        if (source is not MariaDbServer mariaDbSource) throw new InvalidOperationException("A MariaDB server replicates from a MariaDB server only.");
        var user = ReplicaUserPrefix + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Home)))[..16];
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var credentials = new Dictionary<string, object?> { ["@user"] = user, ["@password"] = password };
        await mariaDbSource.ExecuteAsync("CREATE OR REPLACE USER @user IDENTIFIED BY @password; GRANT REPLICATION SLAVE ON *.* TO @user;", credentials, cancellation);
        await ExecuteAsync(
            "STOP SLAVE; " +
            $"CHANGE MASTER TO MASTER_HOST = @host, MASTER_PORT = {sourcePort}, MASTER_USER = @user, MASTER_PASSWORD = @password, " +
            "MASTER_USE_GTID = current_pos, MASTER_CONNECT_RETRY = 1; " +
            "SET GLOBAL read_only = 1; START SLAVE;",
            new Dictionary<string, object?>(credentials) { ["@host"] = sourceAddress }, cancellation);
        SetReadOnlyOption(true);
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

    public async Task PromoteAsync(CancellationToken cancellation)
    {
        await ExecuteAsync("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0;", null, cancellation);
        SetReadOnlyOption(false);
    }

    /// <summary>A replica stays read-only across restarts; its slave threads start again by themselves (master.info).</summary>
    private void SetReadOnlyOption(bool readOnly)
    {
        if (!File.Exists(ReplicationOptionsFile)) return;
        var options = File.ReadAllLines(ReplicationOptionsFile).Where(line => !line.StartsWith("--read-only", StringComparison.Ordinal)).ToList();
        if (readOnly) options.Add("--read-only=ON");
        File.WriteAllLines(ReplicationOptionsFile, options);
    }

    private string[] ReplicationArgs() => File.Exists(ReplicationOptionsFile)
        ? File.ReadAllLines(ReplicationOptionsFile).Where(line => line.StartsWith("--", StringComparison.Ordinal)).ToArray()
        : [];

    private async Task<object?> ScalarAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellation, int timeoutSeconds = 30)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(5));
        await connection.OpenAsync(cancellation);
        await using var command = new MySqlCommand(sql, connection) { CommandTimeout = timeoutSeconds };
        foreach (var (name, value) in parameters ?? new Dictionary<string, object?>()) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteScalarAsync(cancellation);
    }
}
