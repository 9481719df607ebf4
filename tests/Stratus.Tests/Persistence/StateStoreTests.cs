using Microsoft.Win32.SafeHandles;
using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

/// <summary>A call that committed answers only after the WAL's fsync (group commit), which these tests hold back.</summary>
public sealed class StateStoreTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("stratus-store-").FullName;
    private readonly SemaphoreSlim _syncEntered = new(0);
    private readonly ManualResetEventSlim _releaseSync = new();
    private int _syncs;

    public void Dispose()
    {
        _releaseSync.Set();
        _syncEntered.Dispose();
        _releaseSync.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    /// <summary>The WAL's fdatasync, held until the test releases it.</summary>
    private void HeldSync(SafeFileHandle wal)
    {
        Interlocked.Increment(ref _syncs);
        _syncEntered.Release();
        _releaseSync.Wait();
        DiskSync.DataSync(wal);
    }

    /// <summary>Files beside the state are synced only where there is a data dir to keep: an ephemeral Stratus's are
    /// removed at its stop (or the next start), so a sync of theirs protects nothing.</summary>
    [Fact]
    public void Only_a_store_with_a_data_dir_asks_for_its_files_to_be_synced()
    {
        using var kept = StateStore.Open(_dataDir);
        using var ephemeral = StateStore.Ephemeral();

        Assert.True(kept.Durability.Syncs);
        Assert.False(ephemeral.Durability.Syncs);
    }

    [Fact]
    public async Task A_commit_is_acknowledged_only_after_the_wal_sync_that_covers_it()
    {
        using var store = StateStore.Open(_dataDir, HeldSync);

        var call = Task.Run(async () =>
        {
            var ticket = store.TrackCommits();
            store.Put("things", "a", "{}");
            await store.WhenDurableAsync(ticket);
        });

        Assert.True(await _syncEntered.WaitAsync(TimeSpan.FromSeconds(60)), "the commit never asked for a WAL sync");
        Assert.False(call.IsCompleted, "the call completed while its WAL sync was still running");
        _releaseSync.Set();
        await call;
        Assert.Equal(1, _syncs);
        Assert.Equal("{}", store.Load("things").Single().Value);
    }

    [Fact]
    public async Task A_call_that_committed_nothing_waits_for_no_sync()
    {
        using var store = StateStore.Open(_dataDir, HeldSync);
        store.Put("things", "before", "{}");

        var ticket = store.TrackCommits();
        _ = store.Load("things").ToList();

        await store.WhenDurableAsync(ticket);
        Assert.Equal(0, _syncs);
    }

    [Fact]
    public async Task Concurrent_callers_share_the_wal_syncs()
    {
        _releaseSync.Set();
        using var store = StateStore.Open(_dataDir, HeldSync);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(n => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var ticket = store.TrackCommits();
                store.Put("things", $"{n}.{i}", "{}");
                await store.WhenDurableAsync(ticket);
            }
        })));

        Assert.Equal(320, store.Load("things").Count());
        Assert.InRange(_syncs, 1, 320);
    }

    [Fact]
    public async Task Work_after_durability_waits_for_the_sync_of_the_commit_before_it()
    {
        using var store = StateStore.Open(_dataDir, HeldSync);
        var removed = false;

        var call = Task.Run(async () =>
        {
            var ticket = store.TrackCommits();
            store.Put("things", "replacement", "{}");
            store.AfterDurable(() => removed = true);
            await store.WhenDurableAsync(ticket);
        });

        Assert.True(await _syncEntered.WaitAsync(TimeSpan.FromSeconds(60)), "the commit never asked for a WAL sync");
        Assert.False(removed, "the removal ran before the commit it follows was synced");
        _releaseSync.Set();
        await call;
        Assert.True(removed);
    }
    /// <summary>
    /// Under steady writes a checkpoint beside the writers never copies the last frames, and SQLite restarts the WAL only
    /// after one did: the WAL grew for as long as the writes went on. The checkpoint copies that tail under the writers'
    /// lock, so the commits after it write the WAL from its start again.
    /// </summary>
    [Fact]
    public async Task A_checkpoint_during_steady_writes_lets_the_next_commits_restart_the_wal()
    {
        _releaseSync.Set();
        using var store = StateStore.Open(_dataDir, HeldSync, Timeout.InfiniteTimeSpan);
        long commits = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                store.Put("things", "steady", $"{{\"n\":{commits}}}");
                Interlocked.Increment(ref commits);
            }
        });
        while (Interlocked.Read(ref commits) < 500) await Task.Delay(10);

        store.Checkpoint();
        var beforeCheckpointReturned = Interlocked.Read(ref commits);
        while (Interlocked.Read(ref commits) < beforeCheckpointReturned + 10) await Task.Delay(1);
        await stop.CancelAsync();
        await writer;

        // Without the restart the WAL would still hold a frame for every commit since the store opened; with it, only those
        // since the checkpoint, however many the writer made before it stopped (the 500 before the checkpoint are gone).
        Assert.InRange(FramesInWal(), 1, Interlocked.Read(ref commits) - 500);
    }

    private long FramesInWal()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dataDir, "state.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        // Answers (busy, frames in the WAL, frames copied); copying neither changes the count nor restarts the WAL.
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.GetInt64(1);
    }

    /// <summary>
    /// A state file from before documents had a rowid: its WITHOUT ROWID table made every write that searched past a
    /// multi-megabyte Logs chunk read that chunk whole. Opening it moves the documents into a rowid table, all of them.
    /// </summary>
    [Fact]
    public void A_state_file_with_the_older_without_rowid_table_is_moved_to_a_rowid_table_with_every_document()
    {
        var path = Path.Combine(_dataDir, "state.db");
        using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE documents (collection TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
                    PRIMARY KEY (collection, key)) WITHOUT ROWID;
                INSERT INTO documents VALUES ('logs.events', 'chunk', $big), ('ssm.parameters', 'a', '{"v":1}'), ('ssm.parameters', 'b', '{"v":2}');
                """;
            command.Parameters.AddWithValue("$big", new string('x', 3 * 1024 * 1024));
            command.ExecuteNonQuery();
        }

        using (var store = StateStore.Open(_dataDir))
        {
            Assert.Equal(["a", "b"], store.Load("ssm.parameters").Select(d => d.Key).Order());
            Assert.Equal(3 * 1024 * 1024, store.Load("logs.events").Single().Value.Length);
            store.Put("ssm.parameters", "c", "{}");
        }

        using var reopened = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        reopened.Open();
        using var schema = reopened.CreateCommand();
        schema.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'";
        Assert.DoesNotContain("WITHOUT ROWID", (string)schema.ExecuteScalar()!, StringComparison.OrdinalIgnoreCase);
        schema.CommandText = "SELECT count(*) FROM documents";
        Assert.Equal(4L, (long)schema.ExecuteScalar()!);
    }
}
