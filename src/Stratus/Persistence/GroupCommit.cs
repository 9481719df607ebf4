namespace Stratus.Persistence;

/// <summary>
/// Group commit for changes a call has already written (to SQLite's WAL, to a <see cref="CommitJournal"/>) and must not
/// acknowledge before they are on the disk. Changes are numbered in the order they are written (<c>committed</c> reads
/// the last number); a caller asks for the number of its own change with <see cref="CommitAsync"/> and waits only for the
/// first flush that started after that change was written: the one running, when it started late enough, else the next.
/// One flusher thread runs the flushes one after another, so writers never wait for the disk while they hold a lock:
/// changes keep being written during a flush, and every caller that arrived during it shares the next one.
/// </summary>
public sealed class GroupCommit : IDisposable
{
    private readonly Func<long> _committed;
    private readonly Action<long> _flush;
    /// <summary>Guards the batches below; the flusher sleeps on it (Monitor) while no caller waits.</summary>
    private readonly object _gate = new();
    private readonly Thread _flusher;
    /// <summary>The callers waiting for a flush that has not started yet; null when none waits.</summary>
    private TaskCompletionSource? _next;
    /// <summary>The flush running now, with the last change it covers (the last number written before it started).</summary>
    private (long Through, TaskCompletionSource Done)? _running;
    private long _durable;
    private bool _disposed;

    /// <param name="committed">The number of the last change written; read as a flush starts, it is what that flush covers.</param>
    /// <param name="flush">Makes every change written so far durable (fdatasync); told the last number it covers.
    /// Throws when it could not, and the callers waiting for it fail instead of acknowledging what may be lost.</param>
    /// <param name="name">The flusher thread's name.</param>
    public GroupCommit(Func<long> committed, Action<long> flush, string name)
    {
        _committed = committed;
        _flush = flush;
        _flusher = new Thread(FlushWhileWaited) { IsBackground = true, Name = name };
        _flusher.Start();
    }

    /// <summary>The number of the last change known to be on the disk.</summary>
    public long Durable => Volatile.Read(ref _durable);

    /// <summary>
    /// Completes once change number <paramref name="through"/> (and every one before it) is on the disk: at once when a
    /// flush already covered it; faults with the flush's error when the flush that would have covered it failed.
    /// </summary>
    public Task CommitAsync(long through)
    {
        if (through <= Volatile.Read(ref _durable)) return Task.CompletedTask;
        lock (_gate)
        {
            if (through <= _durable) return Task.CompletedTask;
            // The running flush read the number after this change was written: it covers it.
            if (_running is { } running && through <= running.Through) return running.Done.Task;
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_next is null)
            {
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Monitor.Pulse(_gate);
            }
            return _next.Task;
        }
    }

    private void FlushWhileWaited()
    {
        while (true)
        {
            TaskCompletionSource batch;
            long through;
            lock (_gate)
            {
                while (_next is null && !_disposed) Monitor.Wait(_gate);
                if (_next is null) return;
                batch = _next;
                _next = null;
                // Read after taking the batch: every caller in it wrote its change before it asked, so this covers them all.
                through = _committed();
                _running = (through, batch);
            }
            Exception? failure = null;
            try
            {
                _flush(through);
            }
            catch (Exception e)
            {
                failure = e;
            }
            lock (_gate)
            {
                _running = null;
                if (failure is null && through > _durable) Volatile.Write(ref _durable, through);
            }
            if (failure is null) batch.SetResult();
            else batch.SetException(failure);
        }
    }

    /// <summary>Runs the flush the callers already waiting need, then stops the flusher.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.Pulse(_gate);
        }
        if (Thread.CurrentThread != _flusher) _flusher.Join();
    }
}
