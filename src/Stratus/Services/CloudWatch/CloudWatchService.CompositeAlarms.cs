using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// Composite alarms: a rule over other alarms (metric or composite), evaluated when it is put and whenever one
/// of its children changes state, so a change travels up a tree of composites at once. Cycles are refused when
/// a rule is put, as AWS refuses them, so the walk up the tree always ends.
/// </summary>
public sealed partial class CloudWatchService
{
    /// <summary>How far one change may travel up composite alarms: far beyond any tree AWS's limits allow in practice, and a guard should a cycle slip in.</summary>
    private const int MaxCompositeChain = 256;

    private readonly ResourceTable<CompositeAlarm> _composites;

    public void PutCompositeAlarm(Scope scope, CompositeAlarm requested)
    {
        if (requested.AlarmName.Length is 0 or > 255) throw CloudWatchErrors.InvalidValue("The parameter AlarmName must be between 1 and 255 characters.");
        if (requested.AlarmRule.Length is 0 or > AlarmRule.MaxLength)
            throw CloudWatchErrors.InvalidValue($"The parameter AlarmRule must be between 1 and {AlarmRule.MaxLength} characters.");
        AlarmRule rule;
        try
        {
            rule = AlarmRule.Parse(requested.AlarmRule);
        }
        catch (AlarmRuleException e)
        {
            throw CloudWatchErrors.InvalidAlarmRule(e.Message);
        }
        foreach (var arn in requested.AlarmActions.Concat(requested.OKActions).Concat(requested.InsufficientDataActions))
            if (!arn.StartsWith("arn:", StringComparison.Ordinal)) throw CloudWatchErrors.InvalidValue($"Invalid arn syntax: {arn}");
        if (requested.ActionsSuppressor is not null)
            throw CloudWatchErrors.InvalidValue("Stratus does not apply ActionsSuppressor: composite alarm actions run on every state change.");
        if (_alarms.Get(AlarmKey(scope.AccountId, scope.Region, requested.AlarmName)) is not null)
            throw CloudWatchErrors.NameTakenByOtherType(requested.AlarmName, AlarmTypes.Metric);

        var children = rule.Children.Select(c => (Written: c, Name: ChildName(scope, c))).ToList();
        var missing = children.Where(c => c.Name is null || (_alarms.Get(AlarmKey(scope.AccountId, scope.Region, c.Name)) is null
            && _composites.Get(AlarmKey(scope.AccountId, scope.Region, c.Name)) is null)).Select(c => c.Written).ToList();
        if (missing.Count > 0) throw CloudWatchErrors.AlarmRuleChildrenMissing(missing);
        if (ReachesComposite(scope, children.Select(c => c.Name!), requested.AlarmName)) throw CloudWatchErrors.AlarmRuleCycle(requested.AlarmName);

        PutAlarm(scope, _composites, requested, CompositeHistoryView);
        // AWS evaluates a new alarm at once: INSUFFICIENT_DATA lasts only until then.
        EvaluateComposite(scope.AccountId, scope.Region, requested.AlarmName, trigger: null, depth: 0);
    }

    /// <summary>The alarm a rule names: a bare name, or an ARN of this account and region (another's names nothing Stratus can watch).</summary>
    private static string? ChildName(Scope scope, string written)
    {
        var prefix = $"arn:aws:cloudwatch:{scope.Region}:{scope.AccountId}:alarm:";
        if (written.StartsWith(prefix, StringComparison.Ordinal)) return written[prefix.Length..];
        return written.StartsWith("arn:", StringComparison.Ordinal) ? null : written;
    }

    /// <summary>Whether following composite children from these alarms reaches <paramref name="target"/> (which would close a cycle).</summary>
    private bool ReachesComposite(Scope scope, IEnumerable<string> from, string target)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(from);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (name == target) return true;
            if (!seen.Add(name)) continue;
            if (_composites.Get(AlarmKey(scope.AccountId, scope.Region, name)) is not { } composite) continue;
            foreach (var child in AlarmRule.Parse(composite.AlarmRule).Children)
                if (ChildName(scope, child) is { } childName) pending.Push(childName);
        }
        return false;
    }

    private string? StateOf(string accountId, string region, string name) =>
        _alarms.Get(AlarmKey(accountId, region, name))?.StateValue ?? _composites.Get(AlarmKey(accountId, region, name))?.StateValue;

    /// <summary>Re-evaluates the composites whose rules name the alarm that just changed state.</summary>
    private void EvaluateParents(string accountId, string region, string childName, int depth)
    {
        var scope = Scope.Of(accountId, region);
        var parents = _composites.Values
            .Where(c => c.AccountId == accountId && c.Region == region)
            .Where(c => AlarmRule.Parse(c.AlarmRule).Children.Any(child => ChildName(scope, child) == childName))
            .Select(c => c.AlarmName).ToList();
        foreach (var parent in parents) EvaluateComposite(accountId, region, parent, childName, depth + 1);
    }

    private void EvaluateComposite(string accountId, string region, string name, string? trigger, int depth)
    {
        if (depth > MaxCompositeChain)
        {
            _logger.LogCompositeChainTooLong(name, MaxCompositeChain);
            return;
        }
        if (_composites.Get(AlarmKey(accountId, region, name)) is not { } composite) return;
        var scope = Scope.Of(accountId, region);
        var rule = AlarmRule.Parse(composite.AlarmRule);
        var holds = rule.Evaluate(child => ChildName(scope, child) is { } childName ? StateOf(accountId, region, childName) : null);
        var next = holds ? AlarmStates.Alarm : AlarmStates.Ok;
        if (next == composite.StateValue) return;

        var now = _clock.GetUtcNow();
        var reason = trigger is not null && _alarms.Get(AlarmKey(accountId, region, trigger)) is { } changed
            ? $"{changed.AlarmArn} transitioned to {changed.StateValue} at {LongDate(changed.StateUpdatedTimestamp)}"
            : trigger is not null && _composites.Get(AlarmKey(accountId, region, trigger)) is { } changedComposite
                ? $"{changedComposite.AlarmArn} transitioned to {changedComposite.StateValue} at {LongDate(changedComposite.StateUpdatedTimestamp)}"
                : $"Alarm rule evaluated to {(holds ? "TRUE" : "FALSE")} at {LongDate(now)}";
        var triggering = new JsonArray(rule.Children.Select(c => ChildName(scope, c)).OfType<string>().Distinct()
            .Select(c => (_alarms.Get(AlarmKey(accountId, region, c)) is { } m ? (m.AlarmArn, m.StateValue, m.StateUpdatedTimestamp)
                : _composites.Get(AlarmKey(accountId, region, c)) is { } k ? (k.AlarmArn, k.StateValue, k.StateUpdatedTimestamp) : default))
            .Where(c => c.AlarmArn is not null)
            .Select(c => (JsonNode)new JsonObject
            {
                ["arn"] = c.AlarmArn,
                ["state"] = new JsonObject { ["value"] = c.StateValue, ["timestamp"] = IsoWithOffset(c.StateUpdatedTimestamp) },
            }).ToArray());
        Transition(_composites, accountId, region, name, next, reason, new JsonObject { ["triggeringAlarms"] = triggering }.ToJsonString(PlainJson), depth);
    }

    public IReadOnlyList<CompositeAlarm> DescribeCompositeAlarms(Scope scope, IReadOnlyList<string> names, string? prefix, string? state, string? actionPrefix) =>
        CompositesOf(scope)
            .Where(a => names.Count == 0 || names.Contains(a.AlarmName))
            .Where(a => prefix is null || a.AlarmName.StartsWith(prefix, StringComparison.Ordinal))
            .Where(a => state is null || a.StateValue == state)
            .Where(a => actionPrefix is null || a.AlarmActions.Concat(a.OKActions).Concat(a.InsufficientDataActions).Any(x => x.StartsWith(actionPrefix, StringComparison.Ordinal)))
            .ToList();

    /// <summary>DescribeAlarms' ChildrenOfAlarmName: the alarms a composite's rule names, metric and composite.</summary>
    public (IReadOnlyList<MetricAlarm> Metric, IReadOnlyList<CompositeAlarm> Composite) ChildrenOf(Scope scope, string name)
    {
        if (_composites.Get(AlarmKey(scope.AccountId, scope.Region, name)) is not { } composite) return ([], []);
        var children = AlarmRule.Parse(composite.AlarmRule).Children.Select(c => ChildName(scope, c)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return (AlarmsOf(scope).Where(a => children.Contains(a.AlarmName)).ToList(), CompositesOf(scope).Where(a => children.Contains(a.AlarmName)).ToList());
    }

    /// <summary>DescribeAlarms' ParentsOfAlarmName: the composites whose rules name the alarm.</summary>
    public IReadOnlyList<CompositeAlarm> ParentsOf(Scope scope, string name) =>
        CompositesOf(scope).Where(c => AlarmRule.Parse(c.AlarmRule).Children.Any(child => ChildName(scope, child) == name)).ToList();

    /// <summary>
    /// AlarmTypes as DescribeAlarms and DescribeAlarmHistory read it: none given means metric alarms only. Unknown types
    /// never get here: the model's member rules refuse them.
    /// </summary>
    public static IReadOnlySet<string> RequestedAlarmTypes(IReadOnlyList<string> requested) =>
        requested.Count == 0 ? new HashSet<string> { AlarmTypes.Metric } : requested.ToHashSet();

    public IEnumerable<CompositeAlarm> AllCompositeAlarms() => _composites.Values.OrderBy(a => a.AlarmName, StringComparer.Ordinal);

    private IEnumerable<CompositeAlarm> CompositesOf(Scope scope) =>
        _composites.Values.Where(a => a.AccountId == scope.AccountId && a.Region == scope.Region).OrderBy(a => a.AlarmName, StringComparer.Ordinal);

    private void DeleteCompositeAlarm(Scope scope, string name, DateTimeOffset now)
    {
        if (_composites.Remove(AlarmKey(scope.AccountId, scope.Region, name)) is { } removed)
            AddHistory(removed, now, "ConfigurationUpdate", $"Alarm \"{name}\" deleted",
                new JsonObject { ["type"] = "Delete", ["deletedAlarm"] = CompositeHistoryView(removed) });
    }

    private CompositeAlarm? CompositeByArn(Scope scope, string arn) => CompositesOf(scope).FirstOrDefault(a => a.AlarmArn == arn);

    private static JsonObject CompositeHistoryView(CompositeAlarm alarm) => new()
    {
        ["alarmName"] = alarm.AlarmName,
        ["alarmRule"] = alarm.AlarmRule,
        ["actionsEnabled"] = alarm.ActionsEnabled,
    };

    /// <summary>A composite alarm's configuration in its Lambda event: its rule and description.</summary>
    private static JsonObject CompositeEventConfiguration(CompositeAlarm alarm) => new()
    {
        ["alarmRule"] = alarm.AlarmRule,
        ["description"] = alarm.AlarmDescription,
    };

    /// <summary>The date as AWS writes it in composite state reasons: "Friday 04 December, 2026 12:00:00 UTC".</summary>
    private static string LongDate(DateTimeOffset t) => t.UtcDateTime.ToString("dddd dd MMMM, yyyy HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}

internal static partial class CompositeAlarmLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Composite alarm {Alarm}: a state change travelled through more than {Max} composite alarms and was stopped")]
    public static partial void LogCompositeChainTooLong(this Microsoft.Extensions.Logging.ILogger logger, string alarm, int max);
}
