namespace Stratus.Persistence;

/// <summary>
/// Group commit for changes a call has already written (to SQLite's WAL, to a <see cref="CommitJournal"/>) and must not
/// acknowledge before they are on the disk. Changes are numbered in the order they are written (<c>committed</c> reads
/// the last number); a caller asks for the number of its own change with <see cref="CommitAsync"/> and waits only for the
/// first flush that started after that change was written: the one running, when it started late enough, else the next.
/// Flushes run one after another and outside every writer's lock: changes keep being written during a flush, and every
/// caller that arrived during it shares the next one.
/// </summary>
public sealed class GroupCommit(Func<long> committed, Action<long> flush)
{
    private readonly Lock _gate = new();
    /// <summary>The callers waiting for a flush that has not started yet; null when none waits.</summary>
    private TaskCompletionSource? _next;
    /// <summary>The flush running now, with the last change it covers (the last number written before it started).</summary>
    private (long Through, TaskCompletionSource Done)? _running;
    /// <summary>Whether a thread is flushing (a caller, or the loop it handed on to).</summary>
    private bool _flushing;
    private long _durable;

    /// <summary>The number of the last change known to be on the disk.</summary>
    public long Durable => Volatile.Read(ref _durable);

    /// <summary>
    /// Completes once change number <paramref name="through"/> (and every one before it) is on the disk: at once when a
    /// flush already covered it; faults with the flush's error when the flush that would have covered it failed.
    /// </summary>
    public Task CommitAsync(long through)
    {
        if (through <= Volatile.Read(ref _durable)) return Task.CompletedTask;
        Task waited;
        lock (_gate)
        {
            if (through <= _durable) return Task.CompletedTask;
            // The running flush read the number after this change was written: it covers it.
            if (_running is { } running && through <= running.Through) return running.Done.Task;
            _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waited = _next.Task;
            if (_flushing) return waited;
            _flushing = true;
        }
        // No flush runs: this caller flushes on its own thread, so a lone call costs no hand-off to another thread (on a
        // loaded machine each wake-up costs more than the flush). Calls that came in meanwhile are flushed off its thread.
        if (FlushNext()) ThreadPool.UnsafeQueueUserWorkItem(static commit => { while (commit.FlushNext()) { } }, this, preferLocal: false);
        return waited;
    }

    /// <summary>Runs one flush for the callers waiting now; true when more came in meanwhile (and this thread flushes next).</summary>
    private bool FlushNext()
    {
        TaskCompletionSource batch;
        long through;
        lock (_gate)
        {
            batch = _next!;
            _next = null;
            // Read after taking the batch: every caller in it wrote its change before it asked, so this covers them all.
            through = committed();
            _running = (through, batch);
        }
        Exception? failure = null;
        try
        {
            flush(through);
        }
        catch (Exception e)
        {
            failure = e;
        }
        bool more;
        lock (_gate)
        {
            _running = null;
            if (failure is null && through > _durable) Volatile.Write(ref _durable, through);
            more = _next is not null;
            if (!more) _flushing = false;
        }
        if (failure is null) batch.SetResult();
        else batch.SetException(failure);
        return more;
    }
}
