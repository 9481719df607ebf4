namespace Stratus.Persistence;

/// <summary>
/// Group commit for data a call has put in memory and must not acknowledge before it is on disk
/// (PutLogEvents, PutMetricData, the state file's WAL): <see cref="CommitAsync"/> completes once a flush that began after
/// the call made its change has committed. Calls that arrive while a flush runs share the next one, so many concurrent
/// calls cost one transaction, and a lone call is flushed at once on its own thread with no hand-off.
/// <para>
/// The calls a flush served resume on the thread that flushed, one after another, not each on a thread-pool thread of
/// its own: at 16 connections a durable call cost about twice an ephemeral one's CPU, and the thread pool's workers,
/// woken for a few microseconds of work per call, spent much of the difference spinning and yielding while they waited
/// for the next batch. A call that flushed hands the flushes for the calls that arrived meanwhile to one thread-pool
/// thread, which flushes and resumes batch after batch while any waits, so its own answer is not held up by others'.
/// So a caller must await the commit, never block on it from code that a commit's continuation runs (the flushing
/// thread would wait for itself); the checkpoint timer, which blocks, runs on no commit's continuation.
/// </para>
/// </summary>
public sealed class GroupCommit(Action flush)
{
    private readonly Lock _gate = new();
    /// <summary>The calls waiting for the next flush, null when none waits.</summary>
    private TaskCompletionSource? _waiting;
    private bool _flushing;

    /// <summary>
    /// Completes when everything changed before this call is committed; faults with the flush's error when
    /// that flush failed, so the caller answers an error instead of acknowledging what may be lost.
    /// </summary>
    public Task CommitAsync()
    {
        TaskCompletionSource waiter;
        bool leads;
        lock (_gate)
        {
            // Continuations run synchronously, on the flushing thread (see the class's remarks).
            waiter = _waiting ??= new TaskCompletionSource();
            leads = !_flushing;
            _flushing = true;
        }
        if (leads && FlushWaiting())
            ThreadPool.UnsafeQueueUserWorkItem(static commit => { while (commit.FlushWaiting()) { } }, this, preferLocal: false);
        return waiter.Task;
    }

    /// <summary>Runs one flush for the calls waiting now and resumes them; true when more arrived meanwhile (and this caller flushes next).</summary>
    private bool FlushWaiting()
    {
        TaskCompletionSource batch;
        lock (_gate)
        {
            batch = _waiting!;
            _waiting = null;
        }
        Exception? failure = null;
        try
        {
            flush();
        }
        catch (Exception e)
        {
            failure = e;
        }
        bool more;
        lock (_gate)
        {
            more = _waiting is not null;
            // With none waiting, the next call flushes itself, even one that a continuation below makes.
            if (!more) _flushing = false;
        }
        // The runtime inlines these continuations only while the stack has room, and queues them otherwise.
        if (failure is null) batch.SetResult();
        else batch.SetException(failure);
        return more;
    }
}
