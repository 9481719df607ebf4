using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace Stratus.Persistence;

/// <summary>
/// Where service state survives restarts: one SQLite file in the data dir, holding each resource as a
/// JSON document under (collection, key). SQLite in WAL mode makes every write a transaction that a
/// crash or kill -9 either completes or never started. A commit only writes the WAL (synchronous=NORMAL); a call
/// that committed is answered after <see cref="WhenDurableAsync"/>, a group commit that fdatasyncs the WAL once for
/// every commit made before it began, so concurrent calls share one fsync and a power loss keeps what was answered.
/// The file and the data dir are private to the user (<see cref="DataDirectory"/>). The ephemeral store keeps
/// nothing; the in-memory tables above it are then the only copy.
/// <para>
/// Small files (S3's small object bodies) are made durable through the WAL too (<see cref="JournalFile"/>): their bytes
/// are committed with the call's other changes, so the call's one shared WAL sync covers them, and the files themselves
/// are flushed in the background, many at once (<see cref="WriteBackJournaledFiles"/>); a start after a power loss writes
/// them again from the state file (<see cref="RestoreJournaledFiles"/>).
/// </para>
/// </summary>
public sealed class StateStore : IDisposable
{
    /// <summary>How often the WAL is copied into the database file, off the writers' path.</summary>
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);
    private readonly SqliteConnection? _connection;
    private readonly Lock _gate = new();
    private SqliteCommand? _upsert;
    private SqliteCommand? _delete;
    private SqliteCommand? _journalFile;
    /// <summary>The files journaled since the last write-back, by their key in the journaled_files table, in order.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _journaledFiles = new();
    /// <summary>A second connection that checkpoints the WAL on a timer (see <see cref="Open"/>).</summary>
    private readonly SqliteConnection? _checkpointer;
    private readonly Lock _checkpointGate = new();
    private readonly Timer? _checkpoints;
    private bool _disposed;
    /// <summary>The WAL, held open for the store's life so that its pages can be fdatasynced (SQLite locks no WAL file, so this handle disturbs no lock).</summary>
    private readonly SafeFileHandle? _wal;
    private readonly Action<SafeFileHandle> _syncWal;
    private readonly GroupCommit _walCommits;
    /// <summary>The calls' commit tickets: each request's flow records the last commit it made.</summary>
    private readonly AsyncLocal<CommitTicket?> _tickets = new();
    /// <summary>How many transactions have committed (written to the WAL).</summary>
    private long _committed;
    /// <summary>How many of them are known to be on the disk.</summary>
    private long _durable;
    /// <summary>Work that must wait until the commits before it are durable (<see cref="AfterDurable"/>), in order.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(long Through, Action Action)> _afterDurable = new();

    private StateStore(SqliteConnection? connection, SqliteConnection? checkpointer, string? directory, SafeFileHandle? wal, Action<SafeFileHandle>? syncWal,
        TimeSpan checkpointInterval)
    {
        _connection = connection;
        DataDir = directory;
        _checkpointer = checkpointer;
        _wal = wal;
        _syncWal = syncWal ?? (wal => DiskSync.DataSync(wal));
        _walCommits = new GroupCommit(SyncWal, "Stratus WAL flush");
        if (checkpointer is not null) _checkpoints = new Timer(_ => Checkpoint(), null, checkpointInterval, checkpointInterval);
    }

    public static StateStore Ephemeral() => new(null, null, null, null, null, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Opens (or creates) the data dir's state file. <paramref name="syncWal"/> replaces the fdatasync of the WAL that
    /// <see cref="WhenDurableAsync"/> waits for (tests observe it); it must still make the WAL durable.
    /// </summary>
    /// <param name="checkpointInterval">How often the WAL is checkpointed and journaled files written back (1 s); tests
    /// pass <see cref="Timeout.InfiniteTimeSpan"/> to leave both to the next start, as a crash would.</param>
    public static StateStore Open(string dataDir, Action<SafeFileHandle>? syncWal = null, TimeSpan? checkpointInterval = null)
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
            );
            CREATE TABLE IF NOT EXISTS journaled_files (
                path TEXT PRIMARY KEY,
                content BLOB NOT NULL
            );
            """);
        MoveDocumentsToRowidTable(connection);
        RestoreJournaledFiles(connection, dataDir);
        var checkpointer = new SqliteConnection(connectionString);
        checkpointer.Open();
        // A read opens (and creates) the WAL; its name, like the state file's, must outlive a power loss.
        Execute(connection, "SELECT count(*) FROM documents WHERE collection = '';");
        var wal = File.OpenHandle(path + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        DiskSync.SyncDirectory(dataDir);
        return new StateStore(connection, checkpointer, dataDir, wal, syncWal, checkpointInterval ?? CheckpointInterval);
    }

    /// <summary>
    /// Starts recording, for the calling flow (a request), the commits it makes; hand the ticket to
    /// <see cref="WhenDurableAsync"/> before answering. The ticket is recorded through an AsyncLocal, so the request's
    /// domain code, however deep and whichever thread it continues on, needs no parameter for it.
    /// </summary>
    public CommitTicket TrackCommits() => _tickets.Value = new CommitTicket();

    /// <summary>
    /// Completes once every commit recorded on <paramref name="ticket"/> is on the disk: at once when it recorded none or
    /// a later WAL sync covered it, else after a shared fdatasync of the WAL (group commit). Faults when the sync
    /// failed, so the call answers an error rather than acknowledge what a power loss could take back.
    /// </summary>
    public Task WhenDurableAsync(CommitTicket ticket)
    {
        var through = Volatile.Read(ref ticket.Through);
        return through <= Volatile.Read(ref _durable) ? Task.CompletedTask : _walCommits.CommitAsync();
    }

    /// <summary>
    /// Runs <paramref name="action"/> once everything committed so far is on the disk: for removing what a commit made
    /// unreferenced (an overwritten object's file), which must not go before a power loss can no longer take the commit
    /// back and leave the old metadata naming a file that is gone. Run by the next WAL sync, which the committing request
    /// waits for, or by the next checkpoint tick; without a state file, at once.
    /// </summary>
    public void AfterDurable(Action action)
    {
        if (_connection is null)
        {
            action();
            return;
        }
        _afterDurable.Enqueue((Volatile.Read(ref _committed), action));
    }

    /// <summary>One group commit's flush: everything committed before it starts is in the WAL file, so one fdatasync keeps it.</summary>
    private void SyncWal()
    {
        var through = Volatile.Read(ref _committed);
        _syncWal(_wal!);
        long seen;
        while ((seen = Volatile.Read(ref _durable)) < through && Interlocked.CompareExchange(ref _durable, through, seen) != seen) { }
        // Flushes run one at a time (GroupCommit), so this is the queue's only reader.
        while (_afterDurable.TryPeek(out var next) && next.Through <= through)
        {
            _afterDurable.TryDequeue(out _);
            next.Action();
        }
    }

    /// <summary>
    /// Copies what the WAL holds into the database file, and lets the next commit write the WAL from its start again.
    /// SQLite restarts the WAL only when a write begins after a checkpoint copied every frame; under steady writes a
    /// checkpoint that runs beside them never does, so the WAL grew for as long as the writes went on (55 MB in a
    /// few seconds of PutParameter at 16 connections), every group commit's fdatasync had to journal the file's new size
    /// as well as its data, and the WAL index every read consults grew with it. So the bulk is copied beside the writers
    /// (PASSIVE), and the frames committed meanwhile are copied under the writers' lock, which holds commits back only
    /// for that short tail.
    /// </summary>
    internal void Checkpoint()
    {
        lock (_checkpointGate)
        {
            if (_disposed || _checkpointer is null) return;
            try
            {
                // Work waiting for durability that no request's sync ran (background writers) waits at most a tick.
                if (!_afterDurable.IsEmpty) _walCommits.CommitAsync().GetAwaiter().GetResult();
                WriteBackJournaledFiles();
                Execute(_checkpointer, "PRAGMA wal_checkpoint(PASSIVE);");
                lock (_gate) Execute(_checkpointer, "PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (Exception e) when (e is SqliteException or IOException)
            {
                // Busy or interrupted: the WAL only grows until the next tick's checkpoint (and a failed sync is retried then).
            }
        }
    }

    public bool IsPersistent => _connection is not null;

    /// <summary>
    /// Makes a small file that was just written (into the page cache, not synced) durable the way the call's other changes
    /// are: its content is committed to the WAL, so the call's WAL sync (<see cref="WhenDurableAsync"/>, shared by
    /// concurrent calls) covers it, instead of an fdatasync of the file and an fsync of its directory in a row before the
    /// commit. A kill -9 leaves the file itself whole (it is in the page cache); a power loss may not, so a start writes
    /// back what is still journaled. Commit this before anything that names the file. <paramref name="path"/> is under
    /// the data dir; without one (ephemeral) nothing is kept, so nothing is journaled.
    /// </summary>
    public void JournalFile(string path, byte[] content)
    {
        if (_connection is null) return;
        var key = Path.GetRelativePath(DataDir!, path);
        if (key.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(key))
            throw new ArgumentException($"{path} is not under the data dir {DataDir}", nameof(path));
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            if (_journalFile is null)
            {
                _journalFile = Prepare("INSERT OR REPLACE INTO journaled_files (path, content) VALUES ($p, $c)", "$p", "$c");
                _journalFile.Parameters[1].SqliteType = SqliteType.Blob;
            }
            _journalFile.Transaction = transaction;
            _journalFile.Parameters[0].Value = key;
            _journalFile.Parameters[1].Value = content;
            _journalFile.ExecuteNonQuery();
            transaction.Commit();
            Committed();
        }
        _journaledFiles.Enqueue(key);
    }

    /// <summary>
    /// Flushes every file journaled so far at once (one syncfs of the data dir's file system: the files' data and the
    /// names of their directories) and then drops their journaled copies, which are no longer needed. Run on the
    /// checkpoint tick, off every call's path; a failed flush keeps the copies for the next tick.
    /// </summary>
    private void WriteBackJournaledFiles()
    {
        var count = _journaledFiles.Count;
        if (count == 0) return;
        // Every file counted here was in place before its key was queued, so the flush that starts now covers it.
        DiskSync.SyncFileSystem(DataDir!);
        var keys = new List<string>(count);
        for (var i = 0; i < count && _journaledFiles.TryDequeue(out var key); i++) keys.Add(key);
        lock (_gate) DeleteJournaled(_connection!, keys);
    }

    /// <summary>
    /// State files written before documents had a rowid keep them in a WITHOUT ROWID table, whose rows live in the primary
    /// key's b-tree: SQLite reads the whole of a row that overflows its page to compare keys there, so once Logs kept
    /// multi-megabyte chunks beside the other documents, each write that searched past one read megabytes (a PutParameter
    /// took 80 ms, against 0.1 ms). A rowid table keeps the bodies out of the key's index. Copied once, in one transaction.
    /// </summary>
    private static void MoveDocumentsToRowidTable(SqliteConnection connection)
    {
        using (var schema = connection.CreateCommand())
        {
            schema.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'";
            if (schema.ExecuteScalar() is not string sql || !sql.Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase)) return;
        }
        using var transaction = connection.BeginTransaction();
        using var copy = connection.CreateCommand();
        copy.Transaction = transaction;
        copy.CommandText = """
            CREATE TABLE documents_with_rowid (
                collection TEXT NOT NULL,
                key TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (collection, key)
            );
            INSERT INTO documents_with_rowid (collection, key, body) SELECT collection, key, body FROM documents;
            DROP TABLE documents;
            ALTER TABLE documents_with_rowid RENAME TO documents;
            """;
        copy.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>
    /// At open: writes back the files whose journaled copy no write-back dropped (a crash or power loss came first), each
    /// through a temporary file and a rename so a torn or missing file is replaced whole, flushes them, and drops the copies.
    /// A file its owner has stopped naming since is written back too; the owner removes unreferenced files at start.
    /// </summary>
    private static void RestoreJournaledFiles(SqliteConnection connection, string dataDir)
    {
        var root = Path.GetFullPath(dataDir);
        var keys = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT path, content FROM journaled_files";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = reader.GetString(0);
                keys.Add(key);
                var path = Path.GetFullPath(Path.Combine(root, key));
                if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var restoring = path + ".restoring";
                File.WriteAllBytes(restoring, (byte[])reader.GetValue(1));
                File.Move(restoring, path, overwrite: true);
            }
        }
        if (keys.Count == 0) return;
        DiskSync.SyncFileSystem(dataDir);
        DeleteJournaled(connection, keys);
    }

    private static void DeleteJournaled(SqliteConnection connection, List<string> keys)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM journaled_files WHERE path = $p";
        var parameter = command.Parameters.Add("$p", SqliteType.Text);
        foreach (var key in keys)
        {
            parameter.Value = key;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>The data dir holding the state file; null when ephemeral.</summary>
    public string? DataDir { get; }

    /// <summary>Whether files written beside the state must be synced: only when there is a data dir to keep.</summary>
    public Durability Durability => DataDir is null ? Durability.Ephemeral : Durability.Durable;

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
    /// WAL when this returns) and, once <see cref="WhenDurableAsync"/> completes for the call that made it, a power loss;
    /// with <paramref name="durable"/> it survives a power loss when this returns (the WAL is fsynced in the commit),
    /// which a fold of a <see cref="CommitJournal"/> needs before it deletes the journal it replaces.
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
        // Group commits make small transactions frequent: the two statements are prepared once and reused.
        _upsert ??= Prepare("INSERT INTO documents (collection, key, body) VALUES ($c, $k, $b) ON CONFLICT (collection, key) DO UPDATE SET body = excluded.body", "$c", "$k", "$b");
        _delete ??= Prepare("DELETE FROM documents WHERE collection = $c AND key = $k", "$c", "$k");
        if (writes.Count == 1)
        {
            // Most calls write one document (a ResourceTable's Put): a lone statement is a transaction of its own in
            // SQLite, all or nothing, so it goes without the BEGIN and COMMIT that the driver parses and runs each time.
            Write(writes.First(), transaction: null);
        }
        else
        {
            using var transaction = _connection!.BeginTransaction();
            foreach (var write in writes) Write(write, transaction);
            transaction.Commit();
        }
        Committed();
    }

    private void Write(StoreWrite write, SqliteTransaction? transaction)
    {
        var command = write.Body is null ? _delete! : _upsert!;
        command.Transaction = transaction;
        command.Parameters[0].Value = write.Collection;
        command.Parameters[1].Value = write.Key;
        if (write.Body is not null) command.Parameters[2].Value = write.Body;
        command.ExecuteNonQuery();
    }

    /// <summary>Counts a commit and records it on the calling flow's ticket; call under the gate, after the commit.</summary>
    private void Committed()
    {
        var sequence = Interlocked.Increment(ref _committed);
        if (_tickets.Value is { } ticket) Volatile.Write(ref ticket.Through, sequence);
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
        // After the checkpoint's gate: a checkpoint that had begun may still have asked for a commit.
        _walCommits.Dispose();
        lock (_gate)
        {
            _upsert?.Dispose();
            _delete?.Dispose();
            _journalFile?.Dispose();
            _connection?.Dispose();
        }
        _wal?.Dispose();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>What one call committed to a <see cref="StateStore"/>: the sequence number of its last commit (0: none).</summary>
public sealed class CommitTicket
{
    internal long Through;
}

/// <summary>One document to write, or to delete when <see cref="Body"/> is null.</summary>
public sealed record StoreWrite(string Collection, string Key, string? Body);
