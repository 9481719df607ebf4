namespace Stratus.Persistence;

/// <summary>
/// Group commit for changes a call has made (to SQLite's WAL, to a <see cref="CommitJournal"/>) and must not acknowledge
/// before they are on disk: <see cref="CommitAsync"/> completes once a flush that began after the call made its change
/// has committed. Calls that arrive while a flush runs share the next one, so many concurrent calls cost one flush.
/// <para>
/// A lone call flushes at once on its own thread, with no hand-off (one connection pays one fdatasync and nothing more).
/// When calls arrived during that flush, the flushes for them run on a flusher thread of this commit's own, not on the
/// thread pool: a flush blocks its thread in fdatasync, and a pool thread blocked there made the pool add threads (eight
/// on two cores under 16 connections), which then spun for work between flushes and took the CPU the requests needed.
/// The flusher thread ends after a second without work and starts again at the next hand-off.
/// </para>
/// </summary>
public sealed class GroupCommit(Action flush)
{
    private static readonly TimeSpan FlusherIdle = TimeSpan.FromSeconds(1);
    /// <summary>Guards the fields below; the flusher thread waits on it (Monitor) for a hand-off.</summary>
    private readonly object _gate = new();
    /// <summary>The calls waiting for the next flush, null when none waits.</summary>
    private TaskCompletionSource? _waiting;
    /// <summary>A flush is running or handed to the flusher thread: calls arriving now wait for the next flush.</summary>
    private bool _flushing;
    private bool _handedOff;
    private bool _flusherAlive;

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
        if (leads && FlushWaiting()) HandOff();
        return waiter.Task;
    }

    /// <summary>Runs one flush for the calls waiting now; true when more arrived meanwhile (and the flushing stays ours).</summary>
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

    /// <summary>Passes the flushing for the calls that arrived during this caller's flush to the flusher thread, so this caller answers now.</summary>
    private void HandOff()
    {
        lock (_gate)
        {
            _handedOff = true;
            if (_flusherAlive)
            {
                Monitor.Pulse(_gate);
                return;
            }
            _flusherAlive = true;
        }
        new Thread(FlushWhileHandedOff) { IsBackground = true, Name = "Stratus group commit" }.Start();
    }

    private void FlushWhileHandedOff()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_handedOff)
                {
                    if (Monitor.Wait(_gate, FlusherIdle) || _handedOff) continue;
                    _flusherAlive = false;
                    return;
                }
                _handedOff = false;
            }
            while (FlushWaiting()) { }
        }
    }
}
