namespace Stratus.Persistence;

/// <summary>
/// A store that answers its calls once their changes are in a <see cref="CommitJournal"/> and folds the journal into
/// the state file in the background (Logs' events, CloudWatch's metrics). Changes are recorded in memory and appended
/// to the journal under a shared lock; a fold takes it exclusively only to rotate the journal and collect what
/// changed, so each journal generation's records are in the fold or after it, never both. The fold's transaction
/// records the generation it holds, so a restart replays only what no fold committed.
/// </summary>
public sealed class JournaledState : IDisposable
{
    private readonly StateStore _store;
    private readonly CommitJournal _journal;
    private readonly GroupCommit _commits;
    private readonly ReaderWriterLockSlim _recording = new();
    private readonly Lock _folding = new();
    /// <summary>The writes of a fold that failed, written first by the next one (later writes of a document win).</summary>
    private readonly List<StoreWrite> _unwritten = [];
    /// <summary>The last journal generation a fold committed.</summary>
    private long _folded = -1;

    private JournaledState(StateStore store, CommitJournal journal)
    {
        _store = store;
        _journal = journal;
        _commits = new GroupCommit(journal.Sync, "Stratus journal flush");
    }

    /// <summary>The journal named <paramref name="name"/>, its records replayed now; null without a data directory (nothing to keep).</summary>
    public static JournaledState? Open(StateStore store, string name, Action<ReadOnlySpan<byte>> replay) =>
        store.DataDir is null ? null : new JournaledState(store, CommitJournal.Open(store, store.DataDir, name, replay));

    /// <summary>Holds folds off while a change is recorded in memory and appended; pair with <see cref="ExitRecording"/>.</summary>
    public void EnterRecording() => _recording.EnterReadLock();

    public void ExitRecording() => _recording.ExitReadLock();

    public void Append(ReadOnlySpan<byte> record) => _journal.Append(record);

    /// <summary>Completes once everything appended before the call is synced (group commit).</summary>
    public Task CommitAsync() => _commits.CommitAsync();

    /// <summary>
    /// Writes what <paramref name="collectChanges"/> gathers (called with recording held off) and the folded generation in
    /// one durable transaction, then deletes the folded journal files.
    /// </summary>
    public void Fold(Action<List<StoreWrite>> collectChanges)
    {
        lock (_folding)
        {
            var writes = new List<StoreWrite>(_unwritten);
            long folded;
            _recording.EnterWriteLock();
            try
            {
                folded = _journal.Rotate();
                collectChanges(writes);
            }
            finally
            {
                _recording.ExitWriteLock();
            }
            if (writes.Count == 0 && folded <= _folded) return;
            try
            {
                _store.Apply([.. writes, _journal.FoldedMarker(folded)], durable: true);
            }
            catch
            {
                _unwritten.Clear();
                _unwritten.AddRange(writes);
                throw;
            }
            _unwritten.Clear();
            _folded = folded;
            _journal.Retire(folded);
        }
    }

    public void Dispose()
    {
        _commits.Dispose();
        _journal.Dispose();
        _recording.Dispose();
    }
}
