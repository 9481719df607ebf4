using Microsoft.Extensions.Logging;
using Stratus.Host;

namespace Stratus.Services.Events.Engine;

/// <summary>
/// Fires schedule rules on time. Time comes from the <see cref="TimeProvider"/>, so tests drive it; what fired is
/// kept on the rule in the store, so a restart neither repeats a fire time nor loses the rule's phase. Fire times
/// that passed while Stratus was down are skipped, not delivered late (beyond <see cref="LateFireWindow"/>).
/// </summary>
public sealed class RuleScheduler : IAsyncDisposable
{
    /// <summary>How late a fire time may still be delivered (the scheduler's own wake-up jitter, not downtime).</summary>
    public static readonly TimeSpan LateFireWindow = DueWorkLoop.LateFireWindow;

    private readonly EventsService _events;
    private readonly ILogger _logger;
    private readonly DueWorkLoop _loop;

    public RuleScheduler(EventsService events, TimeProvider clock, ILogger logger)
    {
        _events = events;
        _logger = logger;
        _loop = new DueWorkLoop("The rule scheduler", FireDueAsync, clock, logger);
        _events.SchedulesChanged += _loop.Wake;
    }

    public void Start() => _loop.Start();

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

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
