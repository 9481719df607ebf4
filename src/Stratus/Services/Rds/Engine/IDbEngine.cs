namespace Stratus.Services.Rds.Engine;

/// <summary>
/// A database engine installed on this machine that RDS instances run on (MariaDB for mysql and mariadb,
/// PostgreSQL for postgres). Everything engine-specific lives behind it and <see cref="IDbServer"/>; the
/// fleet and RdsService only place, start, stop and copy servers.
/// </summary>
public interface IDbEngine
{
    /// <summary>The product, as the operator knows it ("MariaDB", "PostgreSQL").</summary>
    string Product { get; }

    /// <summary>The installed server's version, e.g. 10.11.6 or 15.18.</summary>
    string Version { get; }

    /// <summary>The RDS engine names this engine serves.</summary>
    IReadOnlyList<string> RdsEngines { get; }

    /// <summary>The port an instance listens on when none is asked for, as RDS's default for the engine.</summary>
    int DefaultPort { get; }

    /// <summary>What to install when the engine is missing (said in errors and the service state).</summary>
    string InstallHint { get; }

    /// <summary>A server keeping its data directory, socket and logs under <paramref name="home"/>.</summary>
    IDbServer Server(string home);
}

/// <summary>One database server process and its files, all under its home (the data directory is home/data).</summary>
public interface IDbServer
{
    string Home { get; }
    string DataDir { get; }
    /// <summary>The certificate and key the server serves TLS with (when they exist at its start); RDS issues them.</summary>
    ServerTlsFiles Tls { get; }
    bool IsInitialized { get; }
    bool IsRunning { get; }

    /// <summary>Raised with the exit code when the process ends without Stratus asking it to.</summary>
    event Action<IDbServer, int>? ExitedUnexpectedly;

    /// <summary>Makes an empty data directory (the server is not running).</summary>
    Task InitializeAsync(CancellationToken cancellation);

    /// <summary>The home and its folders, 0700 from the start.</summary>
    void CreateHome();

    /// <summary>Records that the data directory is complete (created with its master user, or restored).</summary>
    void MarkInitialized();

    /// <summary>Starts the server bound to one address and waits until it accepts connections; <see cref="DbStartException"/> when it cannot.</summary>
    Task StartAsync(string address, int port, CancellationToken cancellation);

    /// <summary>A clean, fast shutdown, killed if it takes too long.</summary>
    Task StopAsync();

    /// <summary>On a running new server: the master user with every privilege RDS gives it, and the initial database.</summary>
    Task CreateMasterUserAsync(string user, string password, string? dbName, CancellationToken cancellation);

    Task SetMasterPasswordAsync(string user, string password, CancellationToken cancellation);

    /// <summary>
    /// Applies a parameter group's values: <c>dynamic</c> ones in the running server at once (and kept for later
    /// starts), <c>static</c> ones from the next start, as RDS's immediate and pending-reboot apply methods do.
    /// </summary>
    Task ApplyParametersAsync(IReadOnlyList<DbParameter> parameters, CancellationToken cancellation);

    /// <summary>The server's log files under the names RDS gives them (error/mysql-error.log, error/postgresql.log), existing or not.</summary>
    IReadOnlyList<(string Name, string Path)> LogFiles { get; }

    /// <summary>Stops a server that an earlier Stratus left running on this data directory; true when there was one.</summary>
    Task<bool> StopOrphanAsync();

    /// <summary>The end of the server's log, for errors.</summary>
    string LogTail();

    // ---- automated backups and point-in-time restore (Engine/MariaDbLogArchive.cs, Engine/PostgresLogArchive.cs) ----

    /// <summary>
    /// The folder the server's transaction log is archived into (RDS's automated backups); set by the fleet. Logs are archived
    /// only while it exists, so backups are turned on and off by making and removing it.
    /// </summary>
    string? LogArchive { get; set; }

    /// <summary>
    /// Brings the archive up to now: on a running server closes the log file being written and archives it (MariaDB's binary
    /// log, PostgreSQL's WAL segment); on a stopped one archives what it closed. Nothing when backups are off.
    /// </summary>
    Task ArchiveLogAsync(CancellationToken cancellation);

    /// <summary>
    /// Whether the running server can copy itself into a snapshot while it keeps serving (<see cref="SnapshotOnlineAsync"/>):
    /// MariaDB when mariadb-backup is installed; PostgreSQL unless it is a hot standby, or its instance keeps backups and the
    /// server was started without archiving its WAL (archive_mode is read only at a start): the copy is then taken stopped,
    /// and the restart turns archiving on.
    /// </summary>
    bool SnapshotsOnline { get; }

    /// <summary>
    /// Copies the running server into <paramref name="snapshotDir"/> (not existing yet) as a data directory a restore copies
    /// and starts as it is, while the server keeps serving (mariadb-backup --backup and --prepare; pg_basebackup with the WAL
    /// it needs), as RDS takes snapshots without stopping the instance. The copy holds every transaction committed before the
    /// call and is consistent as of its end; it records where the server's log stood then, so that a point-in-time restore
    /// replays the archived log from there (<see cref="PrepareRecovery"/>).
    /// </summary>
    Task SnapshotOnlineAsync(string snapshotDir, CancellationToken cancellation);

    /// <summary>
    /// On a stopped server whose data directory was just copied from an automated snapshot: its next start replays
    /// <paramref name="sourceArchive"/>'s log up to <paramref name="restoreTime"/> (all of it when null), finished by
    /// <see cref="FinishRecoveryAsync"/>.
    /// </summary>
    void PrepareRecovery(string sourceArchive, DateTimeOffset? restoreTime);

    /// <summary>On the started server: completes the replay <see cref="PrepareRecovery"/> planned (nothing when none was).</summary>
    Task FinishRecoveryAsync(CancellationToken cancellation);

    // ---- replication: read replicas and Aurora readers alike (Engine/MariaDbReplication.cs, Engine/PostgresReplication.cs) ----

    /// <summary>
    /// The archive a replica reads its source's log from when the source no longer holds it (an Aurora reader: its cluster's
    /// log archive, a folder per lineage); set by the service before a start. PostgreSQL's standbys read it with
    /// restore_command; MariaDB's replicas read only their source's binary log, which it keeps a day, and leave it unused.
    /// </summary>
    string? SourceLogArchive { get; set; }

    /// <summary>Whether this server is a replica: it replicates from its source and refuses writes (read_only, hot standby).</summary>
    bool IsReplica { get; }

    /// <summary>
    /// Makes this server (stopped, its data directory not made yet or to be replaced) a replica of <paramref name="source"/>, a
    /// running server of the same engine listening at <paramref name="sourceAddress"/>:<paramref name="sourcePort"/>: the data
    /// directory is seeded from the source (MariaDB: a consistent dump and its GTID position; PostgreSQL: pg_basebackup -R),
    /// and from its next start the server replicates from the source (binlog/GTID; streaming replication) and refuses writes.
    /// </summary>
    Task StartReplicatingFromAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation);

    /// <summary>
    /// On a running replica: follows another running source (an Aurora reader after a failover), going on from what it has
    /// applied; the new source must hold it (it was a replica of the same source and at least as far along).
    /// </summary>
    Task FollowAsync(IDbServer source, string sourceAddress, int sourcePort, CancellationToken cancellation);

    /// <summary>Where the running server's log has come to (MariaDB's GTID position, PostgreSQL's LSN), for <see cref="CatchUpAsync"/>.</summary>
    Task<string> ReplicationPositionAsync(CancellationToken cancellation);

    /// <summary>Waits (up to a minute) until this replica has applied its source's log up to <paramref name="position"/>; false when it has not.</summary>
    Task<bool> CatchUpAsync(string position, CancellationToken cancellation);

    /// <summary>Turns a running replica into a standalone, writable server (RDS's PromoteReadReplica, an Aurora failover).</summary>
    Task PromoteAsync(CancellationToken cancellation);

    /// <summary>The server's process id while it runs (PostgreSQL's postmaster), for its CPU and I/O counters in /proc.</summary>
    int? ProcessId { get; }

    /// <summary>The block-I/O cgroup the server's processes run in (its ReadIOPS/WriteIOPS), when Stratus can make one.</summary>
    ServerCgroup? StorageCgroup { get; set; }

    /// <summary>What the running server says about itself now: its client connections and, on a replica, how far it lags.</summary>
    Task<DbServerSample> SampleAsync(CancellationToken cancellation);

    // ---- snapshot exports to S3 (Engine/Export, MariaDbServer.Export.cs, PostgresServer.Export.cs) ----

    /// <summary>Every user table of the running server (every database's), its columns typed as RDS exports them to Parquet.</summary>
    Task<IReadOnlyList<Export.ExportTable>> ExportTablesAsync(CancellationToken cancellation);

    /// <summary>An open admin connection over the socket to <paramref name="database"/> (the engine's default when null), without a command timeout.</summary>
    Task<System.Data.Common.DbConnection> OpenAdminConnectionAsync(string? database, CancellationToken cancellation);
}

/// <summary>
/// A measurement from a running server: client connections (not counting the sampling one) and, on a replica, the replica
/// lag in seconds as the engine reports it (null when it has none to report, e.g. replication is stopped).
/// </summary>
public sealed record DbServerSample(long Connections, double? ReplicaLagSeconds);

/// <summary>The account a replica connects to its source with: rdsrepladmin, RDS's own name for it.</summary>
public sealed record ReplicationLogin(string User, string Password)
{
    public const string UserName = "rdsrepladmin";
    private const string PasswordFile = "replication-password";

    /// <summary>The source's replication password, made once and kept 0600 in its home, so every replica of it uses the same login.</summary>
    public static ReplicationLogin Of(string home)
    {
        var path = Path.Combine(home, PasswordFile);
        if (File.Exists(path)) return new ReplicationLogin(UserName, File.ReadAllText(path).Trim());
        var password = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        Persistence.DataDirectory.WritePrivate(path, System.Text.Encoding.UTF8.GetBytes(password));
        return new ReplicationLogin(UserName, password);
    }

    /// <summary>
    /// A replica keeps its source's login as its own: its accounts are copies of the source's (a dump, a base backup) and
    /// keep following them, so the replicas of a replica (cascading replication) log in to it with that same password.
    /// </summary>
    public void KeepIn(string home) => Persistence.DataDirectory.WritePrivate(Path.Combine(home, PasswordFile), System.Text.Encoding.UTF8.GetBytes(Password));
}

/// <summary>A parameter to set: its engine name, value and RDS apply type (<c>dynamic</c> or <c>static</c>).</summary>
public sealed record DbParameter(string Name, string Value, string ApplyType)
{
    public bool IsDynamic => ApplyType == "dynamic";
}

/// <summary>Why a server did not come up; <see cref="AddressInUse"/> tells the caller to try another address.</summary>
public sealed class DbStartException(string message, bool addressInUse) : Exception(message)
{
    public bool AddressInUse { get; } = addressInUse;
}
