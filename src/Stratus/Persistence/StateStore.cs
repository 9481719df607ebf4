using Microsoft.Data.Sqlite;

namespace Stratus.Persistence;

/// <summary>
/// Where service state survives restarts: one SQLite file in the data dir, holding each resource as a
/// JSON document under (collection, key). SQLite in WAL mode makes every write a transaction that a
/// crash or kill -9 either completes or never started. The file and the data dir are private to the user
/// (<see cref="DataDirectory"/>). The ephemeral store keeps nothing; the
/// in-memory tables above it are then the only copy.
/// </summary>
public sealed class StateStore : IDisposable
{
    /// <summary>How often the WAL is copied into the database file, off the writers' path.</summary>
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);
    private readonly SqliteConnection? _connection;
    private readonly Lock _gate = new();
    private SqliteCommand? _upsert;
    private SqliteCommand? _delete;
    /// <summary>A second connection that checkpoints the WAL on a timer (see <see cref="Open"/>).</summary>
    private readonly SqliteConnection? _checkpointer;
    private readonly Lock _checkpointGate = new();
    private readonly Timer? _checkpoints;
    private bool _disposed;

    private StateStore(SqliteConnection? connection, SqliteConnection? checkpointer, string? directory)
    {
        _connection = connection;
        DataDir = directory;
        _checkpointer = checkpointer;
        if (checkpointer is not null) _checkpoints = new Timer(_ => Checkpoint(), null, CheckpointInterval, CheckpointInterval);
    }

    public static StateStore Ephemeral() => new(null, null, null);

    public static StateStore Open(string dataDir)
    {
        DataDirectory.Secure(dataDir);
        var path = Path.Combine(dataDir, "state.db");
        // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
        if (!File.Exists(path)) DataDirectory.WritePrivate(path, []);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        // Calls wait for their commit (group commit), so nothing slow may sit in it: SQLite's automatic checkpoint runs
        // inside the commit that fills the WAL, and fsyncs, so that call would wait on the disk. A second connection
        // checkpoints instead, on a timer; commits stay writes to the WAL.
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA wal_autocheckpoint = 0;
            PRAGMA busy_timeout = 5000;
            CREATE TABLE IF NOT EXISTS documents (
                collection TEXT NOT NULL,
                key TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (collection, key)
            ) WITHOUT ROWID;
            """);
        var checkpointer = new SqliteConnection(connectionString);
        checkpointer.Open();
        return new StateStore(connection, checkpointer, dataDir);
    }

    /// <summary>Copies what the WAL holds into the database file without waiting for or blocking writers (PASSIVE).</summary>
    private void Checkpoint()
    {
        lock (_checkpointGate)
        {
            if (_disposed || _checkpointer is null) return;
            try
            {
                Execute(_checkpointer, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (SqliteException)
            {
                // Busy or interrupted: the WAL only grows until the next tick's checkpoint.
            }
        }
    }

    public bool IsPersistent => _connection is not null;

    /// <summary>The data dir holding the state file; null when ephemeral.</summary>
    public string? DataDir { get; }

    public IEnumerable<KeyValuePair<string, string>> Load(string collection)
    {
        if (_connection is null) return [];
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT key, body FROM documents WHERE collection = $c";
            command.Parameters.AddWithValue("$c", collection);
            using var reader = command.ExecuteReader();
            var rows = new List<KeyValuePair<string, string>>();
            while (reader.Read()) rows.Add(new(reader.GetString(0), reader.GetString(1)));
            return rows;
        }
    }

    public void Put(string collection, string key, string body) =>
        Apply([new StoreWrite(collection, key, body)]);

    public void Delete(string collection, string key) =>
        Apply([new StoreWrite(collection, key, null)]);

    /// <summary>
    /// Applies several writes as one transaction: all of them land, or none. Every commit survives a kill -9 (it is in the
    /// WAL when this returns); with <paramref name="durable"/> it also survives a power loss (the WAL is fsynced), which a
    /// fold of a <see cref="CommitJournal"/> needs before it deletes the journal it replaces.
    /// </summary>
    public void Apply(IReadOnlyCollection<StoreWrite> writes, bool durable = false)
    {
        if (_connection is null || writes.Count == 0) return;
        lock (_gate)
        {
            if (durable) Execute(_connection, "PRAGMA synchronous = FULL;");
            try
            {
                ApplyLocked(writes);
            }
            finally
            {
                if (durable) Execute(_connection, "PRAGMA synchronous = NORMAL;");
            }
        }
    }

    private void ApplyLocked(IReadOnlyCollection<StoreWrite> writes)
    {
        using var transaction = _connection!.BeginTransaction();
        // Group commits make small transactions frequent: the two statements are prepared once and reused.
        _upsert ??= Prepare("INSERT INTO documents (collection, key, body) VALUES ($c, $k, $b) ON CONFLICT (collection, key) DO UPDATE SET body = excluded.body", "$c", "$k", "$b");
        _delete ??= Prepare("DELETE FROM documents WHERE collection = $c AND key = $k", "$c", "$k");
        foreach (var write in writes)
        {
            var command = write.Body is null ? _delete : _upsert;
            command.Transaction = transaction;
            command.Parameters[0].Value = write.Collection;
            command.Parameters[1].Value = write.Key;
            if (write.Body is not null) command.Parameters[2].Value = write.Body;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection!.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(name, SqliteType.Text);
        return command;
    }

    public void Dispose()
    {
        _checkpoints?.Dispose();
        lock (_checkpointGate)
        {
            _disposed = true;
            _checkpointer?.Dispose();
        }
        lock (_gate)
        {
            _upsert?.Dispose();
            _delete?.Dispose();
            _connection?.Dispose();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>One document to write, or to delete when <see cref="Body"/> is null.</summary>
public sealed record StoreWrite(string Collection, string Key, string? Body);
