using Microsoft.Extensions.Logging;
using Stratus.Protocols;

namespace Stratus.Services.Events.Engine;

/// <summary>
/// Fires schedule rules on time. Time comes from the <see cref="TimeProvider"/>, so tests drive it; what fired is
/// kept on the rule in the store, so a restart neither repeats a fire time nor loses the rule's phase. Fire times
/// that passed while Stratus was down are skipped, not delivered late (beyond <see cref="LateFireWindow"/>).
/// </summary>
public sealed class RuleScheduler : IAsyncDisposable
{
    /// <summary>How late a fire time may still be delivered (the scheduler's own wake-up jitter, not downtime).</summary>
    public static readonly TimeSpan LateFireWindow = TimeSpan.FromMinutes(1);
    /// <summary>The longest the scheduler sleeps without looking again.</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    private readonly EventsService _events;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource? _changed;
    private Task? _loop;

    public RuleScheduler(EventsService events, TimeProvider clock, ILogger logger)
    {
        _events = events;
        _clock = clock;
        _logger = logger;
        _events.SchedulesChanged += () => Volatile.Read(ref _changed)?.TrySetResult();
    }

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Fires every schedule rule due at <paramref name="now"/>; answers the earliest time one is due next.</summary>
    public async Task<DateTimeOffset?> FireDueAsync(DateTimeOffset now)
    {
        DateTimeOffset? earliest = null;
        foreach (var (scope, rule) in _events.ScheduleRules().ToList())
        {
            var schedule = ScheduleExpression.Parse(rule.ScheduleExpression!);
            var next = schedule.NextAfter(rule.LastFired ?? rule.ScheduleAnchor, rule.ScheduleAnchor);
            if (next is { } missed && now - missed > LateFireWindow)
            {
                // Passed while Stratus was down: AWS does not deliver those late either; resume from the window's start.
                _events.MarkFired(scope, rule, now - LateFireWindow);
                next = schedule.NextAfter(now - LateFireWindow, rule.ScheduleAnchor);
            }
            if (next is { } due && due <= now)
            {
                _logger.LogDebug("Rule {Rule} fires for {Time}", rule.Arn, due);
                await _events.FireScheduleAsync(scope, rule, due);
                _events.MarkFired(scope, rule, due);
                next = schedule.NextAfter(due, rule.ScheduleAnchor);
            }
            if (next is { } upcoming && (earliest is null || upcoming < earliest)) earliest = upcoming;
        }
        return earliest;
    }

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            // Armed before the rules are read, so a change made while this round runs still wakes the next.
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _changed, changed);
            var now = _clock.GetUtcNow();
            DateTimeOffset? next;
            try { next = await FireDueAsync(now); }
            catch (Exception e) when (e is AwsException or IOException or InvalidOperationException)
            {
                _logger.LogWarning("The rule scheduler failed a round: {Error}", e.Message);
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
