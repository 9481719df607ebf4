using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// Alarms on Metrics Insights queries, as AWS's "Create alarms on Metrics Insights queries" describes them. A query
/// without GROUP BY is one series and alarms as any metric math does. A query with GROUP BY makes a multi-time-series
/// alarm: each series is judged on its own by the alarm's threshold, periods and missing-data rule, the series in ALARM
/// are its contributors (at most 100), and the alarm is in ALARM while it has any. Each contributor's entering and
/// leaving ALARM is an alarm history item naming it (AlarmContributorId, AlarmContributorAttributes).
/// </summary>
public sealed partial class CloudWatchService
{
    /// <summary>The contributors of a multi-time-series alarm that are in ALARM now, with their GROUP BY keys and values.</summary>
    public IReadOnlyList<AlarmContributorState> DescribeAlarmContributors(Scope scope, string alarmName, string? nextToken)
    {
        if (_alarms.Get(AlarmKey(scope.AccountId, scope.Region, alarmName)) is not { } alarm)
            throw CloudWatchErrors.ResourceNotFound($"arn:aws:cloudwatch:{scope.Region}:{scope.AccountId}:alarm:{alarmName}");
        // At most 100 contributors exist, so they fit one page and no token is ever handed out.
        if (nextToken is not null) throw CloudWatchErrors.InvalidNextToken("InvalidNextToken");
        return alarm.Contributors;
    }

    /// <summary>What a Metrics Insights alarm must satisfy beyond any metric math alarm: AWS's quotas on such alarms.</summary>
    private void ValidateInsightsAlarm(Scope scope, MetricAlarm alarm)
    {
        if (!alarm.Metrics.Any(m => m.IsInsightsQuery)) return;
        if (alarm.ThresholdMetricId is not null && alarm.WatchesManySeries)
            throw CloudWatchErrors.ValidationError("An alarm on a Metrics Insights query with GROUP BY compares each time series with a Threshold, not with a band.");
        if (TimeSpan.FromSeconds((double)alarm.EvaluatedPeriod * alarm.EvaluationPeriods) > MetricsInsightsQuery.AlarmWindow)
            throw CloudWatchErrors.ValidationError(
                $"An alarm on a Metrics Insights query evaluates at most the last {MetricsInsightsQuery.AlarmWindow.TotalHours:0} hours: Period times EvaluationPeriods must not exceed {MetricsInsightsQuery.AlarmWindow.TotalSeconds:0} seconds.");
        var others = AlarmsOf(scope).Count(a => a.AlarmName != alarm.AlarmName && a.Metrics.Any(m => m.IsInsightsQuery));
        if (others >= MetricsInsightsQuery.MaxAlarms)
            throw new AwsException("LimitExceeded", $"An account can have at most {MetricsInsightsQuery.MaxAlarms} Metrics Insights alarms per Region.");
    }

    /// <summary>
    /// One evaluation of a multi-time-series alarm: each series of the returned query judged alone; the alarm's reason is
    /// AWS's "N out of M time series evaluated to ALARM" ("100+ time series evaluated to ALARM" past the contributor limit).
    /// </summary>
    private void EvaluateContributors(MetricAlarm alarm, DateTimeOffset now, DateTimeOffset from, DateTimeOffset to)
    {
        var returned = alarm.Metrics.Single(m => m.ReturnData);
        var value = Resolver(alarm.AccountId, alarm.Region, alarm.Metrics, from, to, alignToPeriod: true, drawsBands: false)(returned.Id);
        var series = value switch
        {
            MathSeriesList list => list.Series,
            MathSeries one => [one],
            _ => [],
        };
        var key = AlarmKey(alarm.AccountId, alarm.Region, alarm.AlarmName);
        if (series.Count == 0 && alarm.TreatMissingData == "ignore")
        {
            // No series at all: with missing data ignored the alarm stays as it is; its contributors have left.
            _alarms.Update(key, current => current with { Contributors = [] });
            return;
        }
        var breaches = Comparisons[alarm.ComparisonOperator].Breaches;
        var inAlarm = new List<AlarmContributorState>();
        var breachingCount = 0;
        foreach (var one in series)
        {
            var points = one.Points.Select(p => new AlarmPoint(DateTimeOffset.FromUnixTimeSeconds(p.Key), p.Value, breaches(p.Value, alarm.Threshold ?? 0))).ToList();
            if (Judge(alarm, points, now, from) is not { State: AlarmStates.Alarm } verdict) continue;
            breachingCount++;
            if (inAlarm.Count == MetricsInsightsQuery.MaxContributors) continue;
            var attributes = (one.Attributes ?? []).ToDictionary(a => a.Name, a => a.Value);
            var id = ContributorId(attributes);
            var since = alarm.Contributors.FirstOrDefault(c => c.ContributorId == id)?.StateTransitionedTimestamp ?? now;
            inAlarm.Add(new AlarmContributorState(id, attributes, verdict.Reason, since));
        }

        foreach (var entered in inAlarm.Where(c => alarm.Contributors.All(p => p.ContributorId != c.ContributorId)))
            AddContributorHistory(alarm, now, entered, AlarmStates.Ok, AlarmStates.Alarm);
        foreach (var left in alarm.Contributors.Where(p => inAlarm.All(c => c.ContributorId != p.ContributorId)))
            AddContributorHistory(alarm, now, left with { StateReason = "The time series no longer breaches the threshold." }, AlarmStates.Alarm, AlarmStates.Ok);

        var next = inAlarm.Count > 0 ? AlarmStates.Alarm
            : series.Count == 0 && alarm.TreatMissingData == "missing" ? AlarmStates.InsufficientData
            : AlarmStates.Ok;
        var reason = next == AlarmStates.InsufficientData
            ? "Insufficient Data: the query returned no time series."
            : breachingCount > MetricsInsightsQuery.MaxContributors
                ? $"{MetricsInsightsQuery.MaxContributors}+ time series evaluated to ALARM"
                : $"{breachingCount} out of {series.Count} time series evaluated to ALARM";
        var reasonData = new JsonObject
        {
            ["version"] = "1.0",
            ["queryDate"] = IsoWithOffset(now),
            ["startDate"] = IsoWithOffset(from),
            ["period"] = alarm.EvaluatedPeriod,
            ["threshold"] = alarm.Threshold ?? 0,
        }.ToJsonString(PlainJson);
        _alarms.Update(key, current => current with { Contributors = inAlarm });
        if (next != alarm.StateValue) Transition(_alarms, alarm.AccountId, alarm.Region, alarm.AlarmName, next, reason, reasonData, 0);
        else if (reason != alarm.StateReason)
            _alarms.Update(key, current => (MetricAlarm)current.InState(next, reason, reasonData, now));
    }

    private void AddContributorHistory(MetricAlarm alarm, DateTimeOffset now, AlarmContributorState contributor, string from, string to) =>
        AddHistory(alarm.AccountId, alarm.Region, alarm.AlarmName, alarm.AlarmType, now, "StateUpdate", $"Contributor updated from {from} to {to}", new JsonObject
        {
            ["version"] = "1.0",
            ["oldState"] = new JsonObject { ["stateValue"] = from },
            ["newState"] = new JsonObject { ["stateValue"] = to, ["stateReason"] = contributor.StateReason },
        }, contributor);

    /// <summary>A contributor's id: the same series (the same GROUP BY values) keeps the same id across evaluations.</summary>
    private static string ContributorId(Dictionary<string, string> attributes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}")))))[..32];
}
