using Microsoft.Extensions.Logging;
using Stratus.Protocols;

namespace Stratus.Host;

/// <summary>
/// Runs work when it is due: each round asks <c>runDue(now)</c> to do what is due at the clock's now and to answer when
/// the next work is due, then sleeps until then (at most <see cref="MaxSleep"/>) or until <see cref="Wake"/> says the
/// schedules changed. The due times are the callers' stored records, so a restart keeps every timer. Time comes from the
/// <see cref="TimeProvider"/>, so tests drive it. EventBridge's schedule rules and Logs' scheduled queries run on it.
/// </summary>
public sealed class DueWorkLoop : IAsyncDisposable
{
    /// <summary>
    /// How late a due time may still be run (the loop's own wake-up jitter, not downtime): work due longer ago, while
    /// Stratus was down, is skipped rather than run late, as AWS's schedulers do not catch up either.
    /// </summary>
    public static readonly TimeSpan LateFireWindow = TimeSpan.FromMinutes(1);
    /// <summary>The longest the loop sleeps without looking again.</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    private readonly Func<DateTimeOffset, Task<DateTimeOffset?>> _runDue;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource? _changed;
    private Task? _loop;

    /// <param name="name">What the loop runs, for its log lines ("the rule scheduler").</param>
    public DueWorkLoop(string name, Func<DateTimeOffset, Task<DateTimeOffset?>> runDue, TimeProvider clock, ILogger logger)
    {
        _name = name;
        _runDue = runDue;
        _clock = clock;
        _logger = logger;
    }

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Looks again now rather than at the next due time (a schedule was made, changed or removed).</summary>
    public void Wake() => Volatile.Read(ref _changed)?.TrySetResult();

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            // Armed before the schedules are read, so a change made while this round runs still wakes the next.
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _changed, changed);
            var now = _clock.GetUtcNow();
            DateTimeOffset? next;
            try { next = await _runDue(now); }
            catch (Exception e) when (e is AwsException or IOException or InvalidOperationException)
            {
                _logger.LogWarning("{Loop} failed a round: {Error}", _name, e.Message);
                next = null;
            }
            var sleep = next is { } at ? at - now : MaxSleep;
            if (sleep > MaxSleep) sleep = MaxSleep;
            if (sleep < TimeSpan.Zero) sleep = TimeSpan.Zero;
            await Task.WhenAny(Task.Delay(sleep, _clock, _stopping.Token), changed.Task);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null) await _loop;
        _stopping.Dispose();
    }
}
