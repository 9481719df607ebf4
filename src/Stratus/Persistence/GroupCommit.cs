namespace Stratus.Persistence;

/// <summary>
/// Group commit for data a call has put in memory and must not acknowledge before it is on disk
/// (PutLogEvents, PutMetricData, the state file's WAL): <see cref="CommitAsync"/> completes once a flush that began after
/// the call made its change has committed. Calls that arrive while a flush runs share the next one, so many concurrent
/// calls cost one transaction, and a lone call is flushed at once on its own thread with no hand-off.
/// <para>
/// The calls a flush served resume on the thread that flushed, one after another, not each on a thread-pool thread of
/// its own: at 16 connections a durable call cost about twice an ephemeral one's CPU, and the thread pool's workers,
/// woken for a few microseconds of work per call, spent the difference spinning and yielding while they waited for
/// the next batch. The next flush, for the calls that arrived meanwhile, is handed to another thread first, so no
/// flush waits for a batch's calls to finish their answers.
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
        if (leads) FlushWaiting();
        return waiter.Task;
    }

    /// <summary>Runs one flush for the calls waiting now, hands the next one to another thread when more arrived meanwhile, then resumes this batch's calls.</summary>
    private void FlushWaiting()
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
            if (!more) _flushing = false;
        }
        if (more) ThreadPool.UnsafeQueueUserWorkItem(static commit => commit.FlushWaiting(), this, preferLocal: false);
        // The runtime inlines these continuations only while the stack has room, and queues them otherwise.
        if (failure is null) batch.SetResult();
        else batch.SetException(failure);
    }
}
