using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// Alarm mute rules: while a rule is ACTIVE its alarms still evaluate and change state, but the actions a change would
/// run are not run, as the PutAlarmMuteRule model documents. When an alarm held back that way is no longer muted (its
/// window ends, the rule expires or is deleted) and it is in ALARM, its ALARM actions run then, as AWS documents for a
/// deleted rule. Which alarms wait for their unmuting is stored with the alarms, so a held ALARM action still runs when the
/// mute ends after a restart.
/// </summary>
public sealed partial class CloudWatchService
{
    public const int MaxMuteRules = 1000;
    public const int MaxMuteTargets = 100;

    private readonly ResourceTable<AlarmMuteRule> _muteRules;
    private readonly ResourceTable<HeldAlarmActions> _heldActions;

    public void PutAlarmMuteRule(Scope scope, AlarmMuteRuleInput input)
    {
        Schedule(input.Expression, input.Duration, input.Timezone);
        if (input.AlarmNames.Count > MaxMuteTargets)
            throw CloudWatchErrors.InvalidValue($"A mute rule can target at most {MaxMuteTargets} alarms.");
        var missing = input.AlarmNames.Where(n => _alarms.Get(AlarmKey(scope.AccountId, scope.Region, n)) is null
            && _composites.Get(AlarmKey(scope.AccountId, scope.Region, n)) is null).ToList();
        if (missing.Count > 0) throw CloudWatchErrors.MuteTargetsNotFound(missing);
        if (input.StartDate is { } start && input.ExpireDate is { } expire && expire <= start)
            throw CloudWatchErrors.InvalidValue("The ExpireDate must be after the StartDate.");
        var key = ResourceTable<AlarmMuteRule>.Key(scope.AccountId, scope.Region, input.Name);
        lock (_muteRules)
        {
            var existing = _muteRules.Get(key);
            if (existing is null && _muteRules.Values.Count(r => r.AccountId == scope.AccountId && r.Region == scope.Region) >= MaxMuteRules)
                throw CloudWatchErrors.TooManyMuteRules(MaxMuteRules);
            _muteRules.Put(key, new AlarmMuteRule(scope.AccountId, scope.Region, input.Name, input.Description, input.Expression, input.Duration,
                input.Timezone, [.. input.AlarmNames], input.StartDate, input.ExpireDate, _clock.GetUtcNow(), existing?.Tags ?? input.Tags));
        }
        ReleaseHeldActions();
    }

    public AlarmMuteRule GetAlarmMuteRule(Scope scope, string name) =>
        _muteRules.Get(ResourceTable<AlarmMuteRule>.Key(scope.AccountId, scope.Region, name)) ?? throw CloudWatchErrors.MuteRuleNotFound(name);

    public IReadOnlyList<AlarmMuteRule> ListAlarmMuteRules(Scope scope, string? alarmName, IReadOnlyList<string> statuses)
    {
        var now = _clock.GetUtcNow();
        return _muteRules.Values
            .Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region)
            .Where(r => alarmName is null || r.AlarmNames.Contains(alarmName))
            .Where(r => statuses.Count == 0 || statuses.Contains(MuteRuleStatus(r, now)))
            .OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deleting a rule that does not exist succeeds, as AWS documents; alarms it held back run their ALARM actions.</summary>
    public void DeleteAlarmMuteRule(Scope scope, string name)
    {
        _muteRules.Remove(ResourceTable<AlarmMuteRule>.Key(scope.AccountId, scope.Region, name));
        ReleaseHeldActions();
    }

    /// <summary>SCHEDULED, ACTIVE (in a window now, after its StartDate) or EXPIRED (past its ExpireDate, or a one-time window that has passed).</summary>
    public string MuteRuleStatus(AlarmMuteRule rule) => MuteRuleStatus(rule, _clock.GetUtcNow());

    private static string MuteRuleStatus(AlarmMuteRule rule, DateTimeOffset now)
    {
        var schedule = Schedule(rule.Expression, rule.Duration, rule.Timezone);
        if (rule.ExpireDate is { } expire && now >= expire) return "EXPIRED";
        if (schedule.Ended(now)) return "EXPIRED";
        return (rule.StartDate is null || now >= rule.StartDate) && schedule.Covers(now) ? "ACTIVE" : "SCHEDULED";
    }

    public static string MuteType(AlarmMuteRule rule) => Schedule(rule.Expression, rule.Duration, rule.Timezone).MuteType;

    /// <summary>Whether an active rule mutes the alarm now; if so, the alarm's actions are held until it is unmuted.</summary>
    private bool HoldsActions(string accountId, string region, string alarmName, DateTimeOffset now)
    {
        if (!IsMuted(accountId, region, alarmName, now)) return false;
        _heldActions.Put(AlarmKey(accountId, region, alarmName), new HeldAlarmActions(accountId, region, alarmName));
        return true;
    }

    private bool IsMuted(string accountId, string region, string alarmName, DateTimeOffset now) =>
        _muteRules.Values.Any(r => r.AccountId == accountId && r.Region == region && r.AlarmNames.Contains(alarmName) && MuteRuleStatus(r, now) == "ACTIVE");

    /// <summary>Runs the ALARM actions of held-back alarms no longer muted (checked at every evaluation and on each rule change).</summary>
    private void ReleaseHeldActions()
    {
        var now = _clock.GetUtcNow();
        foreach (var held in _heldActions.Values.ToList())
        {
            var key = AlarmKey(held.AccountId, held.Region, held.AlarmName);
            if (IsMuted(held.AccountId, held.Region, held.AlarmName, now) || _heldActions.Remove(key) is null) continue;
            Alarm? alarm = (Alarm?)_alarms.Get(key) ?? _composites.Get(key);
            if (alarm is { ActionsEnabled: true, StateValue: AlarmStates.Alarm })
                RunActions(held.AccountId, held.Region, held.AlarmName, alarm.AlarmArn, alarm.AlarmType, alarm.ActionsFor(AlarmStates.Alarm),
                    () => LambdaAlarmEvent(alarm, alarm));
        }
    }

    private AlarmMuteRule? MuteRuleByArn(Scope scope, string arn) =>
        _muteRules.Values.FirstOrDefault(r => r.AccountId == scope.AccountId && r.Region == scope.Region && r.Arn == arn);

    private void UpdateMuteRuleTags(AlarmMuteRule rule, Func<Dictionary<string, string>, Dictionary<string, string>> change) =>
        _muteRules.Update(ResourceTable<AlarmMuteRule>.Key(rule.AccountId, rule.Region, rule.Name), r => r with { Tags = change(r.Tags) });

    private static MuteSchedule Schedule(string expression, string duration, string? timezone)
    {
        try
        {
            return MuteSchedule.Parse(expression, duration, timezone);
        }
        catch (MuteScheduleException error)
        {
            throw CloudWatchErrors.InvalidValue(error.Message);
        }
    }
}
