using System.Diagnostics;

namespace Stratus.Persistence;

/// <summary>
/// Group commit for data a call has put in memory and must not acknowledge before it is on disk
/// (PutLogEvents, PutMetricData, the state file's WAL): <see cref="CommitAsync"/> completes once a flush that began after
/// the call made its change has committed. Calls that arrive while a flush runs share the next one, so many concurrent
/// calls cost one transaction, and a lone call is flushed at once on its own thread with no hand-off.
/// <para>
/// A call that announces its write first (<see cref="BeginWrite"/>, PutLogEvents and PutMetricData as they start) holds
/// the next flush back until it has made its change, at most <see cref="MaxHold"/> after the first call began waiting:
/// the last of the writers in flight to arrive flushes for all of them on its own thread, like a leader that the
/// followers' arrival elects. At 16 connections a flush otherwise started as soon as one call asked, served 5-7 calls,
/// and every extra flush and hand-off cost the waiting calls context switches; a lone writer is never in flight beside
/// another, so it flushes at once.
/// </para>
/// <para>
/// The calls a flush served resume on the thread that flushed, one after another, not each on a thread-pool thread of
/// its own: at 16 connections a durable call cost about twice an ephemeral one's CPU, and the thread pool's workers,
/// woken for a few microseconds of work per call, spent much of the difference spinning and yielding while they waited
/// for the next batch. A flush already due when one ends (its calls arrived meanwhile, none in flight) goes to a
/// thread-pool thread before the ended flush's calls resume, so the disk works on it meanwhile. So a caller must await
/// the commit, never block on it from code that a commit's continuation runs (the flushing thread would wait for
/// itself); the checkpoint timer, which blocks, runs on no commit's continuation.
/// </para>
/// </summary>
public sealed class GroupCommit(Action flush)
{
    /// <summary>
    /// How long the first waiting call's flush may be held for writers still in flight: about one flush of this
    /// machine's disk (fdatasync ran about 7,100 per s), so a writer that stalls costs a waiting call at most that.
    /// </summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromMicroseconds(150);
    private static readonly long MaxHoldTicks = (long)(MaxHold.TotalSeconds * Stopwatch.Frequency);

    private readonly Lock _gate = new();
    /// <summary>The calls waiting for the next flush, null when none waits.</summary>
    private TaskCompletionSource? _waiting;
    /// <summary>When the first of the calls waiting now began waiting (<see cref="Stopwatch"/> ticks).</summary>
    private long _waitingSince;
    /// <summary>Writers begun and not yet committed or abandoned.</summary>
    private int _inFlight;
    private bool _flushing;

    /// <summary>
    /// Announces a write that will commit (or be abandoned) before its caller awaits anything else: until then the next
    /// flush waits for it, up to <see cref="MaxHold"/>.
    /// </summary>
    public Write BeginWrite()
    {
        lock (_gate) _inFlight++;
        return new Write(this);
    }

    /// <summary>
    /// Completes when everything changed before this call is committed; faults with the flush's error when
    /// that flush failed, so the caller answers an error instead of acknowledging what may be lost.
    /// </summary>
    public Task CommitAsync() => Commit(leavesFlight: false);

    private Task Commit(bool leavesFlight)
    {
        TaskCompletionSource waiter;
        bool leads;
        lock (_gate)
        {
            if (leavesFlight) _inFlight--;
            if (_waiting is null)
            {
                // Continuations run synchronously, on the flushing thread (see the class's remarks).
                _waiting = new TaskCompletionSource();
                _waitingSince = Stopwatch.GetTimestamp();
            }
            waiter = _waiting;
            leads = TryLead();
        }
        if (leads) FlushWaiting();
        return waiter.Task;
    }

    private void Abandon()
    {
        bool leads;
        lock (_gate)
        {
            _inFlight--;
            leads = TryLead();
        }
        if (leads) FlushWaiting();
    }

    /// <summary>Under the gate: whether the calls waiting are due a flush now, and if so claims it for the caller.</summary>
    private bool TryLead()
    {
        if (_flushing || _waiting is null) return false;
        if (_inFlight > 0 && Stopwatch.GetTimestamp() - _waitingSince < MaxHoldTicks) return false;
        _flushing = true;
        return true;
    }

    /// <summary>
    /// Runs one flush for the calls waiting now and resumes them. A flush due already for the calls that arrived meanwhile
    /// goes to a thread-pool thread first, so the disk works on it while this thread resumes its calls; when none is due,
    /// the writers still in flight, or the next call, lead it as they arrive.
    /// </summary>
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
        bool due;
        lock (_gate)
        {
            _flushing = false;
            due = TryLead();
        }
        if (due) ThreadPool.UnsafeQueueUserWorkItem(static commit => commit.FlushWaiting(), this, preferLocal: false);
        // The runtime inlines these continuations only while the stack has room, and queues them otherwise.
        if (failure is null) batch.SetResult();
        else batch.SetException(failure);
    }

    /// <summary>A write announced with <see cref="BeginWrite"/>: commit it once its change is made, or dispose it unmade.</summary>
    public sealed class Write(GroupCommit? commits) : IDisposable
    {
        /// <summary>The write of a store that keeps nothing (no data directory): committed at once.</summary>
        public static readonly Write None = new(null);

        private int _closed;

        /// <summary>Completes once the change made since <see cref="BeginWrite"/> is committed (<see cref="GroupCommit.CommitAsync"/>).</summary>
        public Task CommitAsync()
        {
            if (commits is null) return Task.CompletedTask;
            if (Interlocked.Exchange(ref _closed, 1) != 0) throw new InvalidOperationException("The write was committed or abandoned already.");
            return commits.Commit(leavesFlight: true);
        }

        /// <summary>Abandons a write that made no change (its call failed): the flush no longer waits for it.</summary>
        public void Dispose()
        {
            if (commits is not null && Interlocked.Exchange(ref _closed, 1) == 0) commits.Abandon();
        }
    }
}
