namespace Stratus.Persistence;

/// <summary>
/// Group commit for data a call has put in memory and must not acknowledge before it is on disk
/// (PutLogEvents, PutMetricData, the state file's WAL): <see cref="CommitAsync"/> completes once a flush that began after
/// the call made its change has committed. Calls that arrive while a flush runs share the next one, so many concurrent
/// calls cost one transaction.
/// <para>
/// Flushes run on a thread of their own, started by the first call that waits, and the calls a flush served resume on
/// the thread pool while that thread already runs the next flush: the disk syncs one batch while the cores answer the
/// one before. Measured against the calls flushing on their own threads and resuming one after another on the
/// flushing one (stop 13's design): durable writes at 16 connections 1.13-1.27x, one connection within its spread
/// (docs/performance.md). A flush done inline by a lone caller, with this thread taking over under concurrency, lost
/// a tenth of that at 16 connections and gained nothing but CPU at one.
/// </para>
/// </summary>
public sealed class GroupCommit(Action flush, string threadName) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _batchReady = new(0);
    /// <summary>The calls waiting for the next flush, null when none waits.</summary>
    private TaskCompletionSource? _waiting;
    private bool _started;
    private bool _disposed;

    /// <summary>
    /// Completes when everything changed before this call is committed; faults with the flush's error when
    /// that flush failed, so the caller answers an error instead of acknowledging what may be lost.
    /// </summary>
    public Task CommitAsync()
    {
        TaskCompletionSource waiter;
        bool opensBatch;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            opensBatch = _waiting is null;
            // Resumed on the thread pool, never on the flushing thread, which goes on to the next batch.
            waiter = _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_started)
            {
                _started = true;
                new Thread(FlushBatches) { IsBackground = true, Name = threadName }.Start();
            }
        }
        if (opensBatch) _batchReady.Release();
        return waiter.Task;
    }

    private void FlushBatches()
    {
        while (true)
        {
            _batchReady.Wait();
            TaskCompletionSource? batch;
            lock (_gate)
            {
                batch = _waiting;
                _waiting = null;
                if (batch is null && _disposed) return;
            }
            if (batch is null) continue;
            try
            {
                flush();
                batch.SetResult();
            }
            catch (Exception e)
            {
                batch.SetException(e);
            }
        }
    }

    /// <summary>Ends the flushing thread once the batch waiting now, if any, is flushed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _batchReady.Release();
    }
}
