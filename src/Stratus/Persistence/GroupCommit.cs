namespace Stratus.Persistence;

/// <summary>
/// Group commit for data a call has put in memory and must not acknowledge before it is on disk
/// (PutLogEvents, PutMetricData): <see cref="CommitAsync"/> completes once a flush that began after the call
/// made its change has committed. Calls that arrive while a flush runs share the next one, so many concurrent
/// calls cost one transaction, and a lone call is flushed at once on its own thread with no hand-off.
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
            waiter = _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            leads = !_flushing;
            _flushing = true;
        }
        if (leads && FlushWaiting())
        {
            // Calls came in during this flush: flush for them off this call's thread, so this one answers now.
            ThreadPool.UnsafeQueueUserWorkItem(static commit => { while (commit.FlushWaiting()) { } }, this, preferLocal: false);
        }
        return waiter.Task;
    }

    /// <summary>Runs one flush for the calls waiting now; true when more arrived meanwhile (and this caller flushes next).</summary>
    private bool FlushWaiting()
    {
        TaskCompletionSource batch;
        lock (_gate)
        {
            batch = _waiting!;
            _waiting = null;
        }
        try
        {
            flush();
            batch.SetResult();
        }
        catch (Exception e)
        {
            batch.SetException(e);
        }
        lock (_gate)
        {
            if (_waiting is not null) return true;
            _flushing = false;
            return false;
        }
    }
}
