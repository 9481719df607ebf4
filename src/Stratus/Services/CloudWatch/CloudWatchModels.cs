using System.Text.Json.Serialization;
using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;
namespace Stratus.Services.CloudWatch;

public sealed record StatisticSet(double SampleCount, double Sum, double Minimum, double Maximum);

/// <summary>One PutMetricData datum: exactly one of a value, a statistic set, or values with counts.</summary>
public sealed record MetricDataInput(
    string MetricName,
    IReadOnlyList<MetricDimension> Dimensions,
    DateTimeOffset? Timestamp,
    double? Value,
    StatisticSet? StatisticValues,
    IReadOnlyList<double> Values,
    IReadOnlyList<double> Counts,
    string? Unit,
    int StorageResolution);

public sealed record MetricStatQuery(string Namespace, string MetricName, IReadOnlyList<MetricDimension> Dimensions, int Period, string Stat, string? Unit);

/// <summary>A GetMetricData query (or an alarm's metric math): a metric statistic or an expression over other queries.</summary>
public sealed record MetricDataQuery(string Id, MetricStatQuery? MetricStat, string? Expression, string? Label, bool ReturnData, int? Period)
{
    /// <summary>A MetricDataQuery structure of a request, an alarm's Metrics in a template, or a detector's MetricMathAnomalyDetector.</summary>
    public static MetricDataQuery Read(IInputReader q)
    {
        MetricStatQuery? stat = null;
        if (q.Object("MetricStat") is { } s)
        {
            var metric = s.Object("Metric") ?? throw s.Missing("Metric");
            stat = new MetricStatQuery(metric.Required("Namespace"), metric.Required("MetricName"), ReadDimensions(metric), s.Int("Period") ?? throw s.Missing("Period"),
                s.Required("Stat"), s.String("Unit"));
        }
        return new MetricDataQuery(q.Required("Id"), stat, q.String("Expression"), q.String("Label"), q.Bool("ReturnData") ?? true, q.Int("Period"));
    }

    /// <summary>A Dimensions member: a list of Name/Value structures.</summary>
    public static List<MetricDimension> ReadDimensions(IInputReader input) =>
        input.Objects("Dimensions").Select(d => new MetricDimension(d.Required("Name"), d.Required("Value"))).ToList();

    /// <summary>True for an ANOMALY_DETECTION_BAND expression, the query an anomaly alarm's ThresholdMetricId names.</summary>
    [JsonIgnore]
    public bool IsBand => Expression?.TrimStart().StartsWith("ANOMALY_DETECTION_BAND", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Whether the expression is a Metrics Insights query (SELECT ...) rather than metric math.</summary>
    [JsonIgnore]
    public bool IsInsightsQuery => Expression is { } expression && MetricsInsightsQuery.IsQuery(expression);
}

public sealed record MetricDataResult(string Id, string Label, IReadOnlyList<KeyValuePair<DateTimeOffset, double>> Points);

public static class AlarmStates
{
    public const string Ok = "OK";
    public const string Alarm = "ALARM";
    public const string InsufficientData = "INSUFFICIENT_DATA";
    public static readonly string[] All = [Ok, Alarm, InsufficientData];
}

/// <summary>
/// What metric and composite alarms share: name, actions, tags and state, as DescribeAlarms shows them for both,
/// and what a put does to either (AWS's PutMetricAlarm and PutCompositeAlarm configure and update alarms alike).
/// </summary>
public abstract record Alarm
{
    public required string AlarmName { get; init; }
    public required string AlarmArn { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public string? AlarmDescription { get; init; }
    public bool ActionsEnabled { get; init; } = true;
    public List<string> OKActions { get; init; } = [];
    public List<string> AlarmActions { get; init; } = [];
    public List<string> InsufficientDataActions { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    public string StateValue { get; init; } = AlarmStates.InsufficientData;
    public string StateReason { get; init; } = "Unchecked: Initial alarm creation";
    public string? StateReasonData { get; init; }
    public DateTimeOffset StateUpdatedTimestamp { get; init; }
    public DateTimeOffset StateTransitionedTimestamp { get; init; }
    public DateTimeOffset AlarmConfigurationUpdatedTimestamp { get; init; }

    /// <summary>MetricAlarm or CompositeAlarm, as alarm history and DescribeAlarms' AlarmTypes name the kind.</summary>
    [JsonIgnore]
    public abstract string AlarmType { get; }

    /// <summary>The alarm as a put stores it: in the caller's account and region, configured now, its state starting now.</summary>
    public Alarm ConfiguredAt(Scope scope, DateTimeOffset now) => this with
    {
        AccountId = scope.AccountId,
        Region = scope.Region,
        AlarmArn = $"arn:aws:cloudwatch:{scope.Region}:{scope.AccountId}:alarm:{AlarmName}",
        AlarmConfigurationUpdatedTimestamp = now,
        StateUpdatedTimestamp = now,
        StateTransitionedTimestamp = now,
    };

    /// <summary>A put over an existing alarm replaces its configuration but leaves its state where it is, as on AWS.</summary>
    public virtual Alarm KeepingStateOf(Alarm current) => this with
    {
        StateValue = current.StateValue,
        StateReason = current.StateReason,
        StateReasonData = current.StateReasonData,
        StateUpdatedTimestamp = current.StateUpdatedTimestamp,
        StateTransitionedTimestamp = current.StateTransitionedTimestamp,
    };

    /// <summary>
    /// The alarm set to a state, by its evaluation or SetAlarmState: the state is updated now, but it has transitioned
    /// (StateTransitionedTimestamp) only when its value changed, as DescribeAlarms shows it on AWS.
    /// </summary>
    public Alarm InState(string state, string reason, string? reasonData, DateTimeOffset now) => this with
    {
        StateValue = state,
        StateReason = reason,
        StateReasonData = reasonData,
        StateUpdatedTimestamp = now,
        StateTransitionedTimestamp = StateValue == state ? StateTransitionedTimestamp : now,
    };

    /// <summary>The actions configured for the alarm's entering a state: ALARM, OK or INSUFFICIENT_DATA.</summary>
    public IReadOnlyList<string> ActionsFor(string state) => state switch
    {
        AlarmStates.Alarm => AlarmActions,
        AlarmStates.Ok => OKActions,
        _ => InsufficientDataActions,
    };
}

/// <summary>A metric alarm: its configuration and its current state, as DescribeAlarms shows it.</summary>
public sealed record MetricAlarm : Alarm
{
    public override string AlarmType => AlarmTypes.Metric;

    public string? MetricName { get; init; }
    public string? Namespace { get; init; }
    public string? Statistic { get; init; }
    public string? ExtendedStatistic { get; init; }
    public List<MetricDimension> Dimensions { get; init; } = [];
    public int? Period { get; init; }
    public string? Unit { get; init; }
    public int EvaluationPeriods { get; init; }
    public int? DatapointsToAlarm { get; init; }
    public double? Threshold { get; init; }
    /// <summary>The id of the ANOMALY_DETECTION_BAND query an anomaly detection alarm compares its metric with, instead of a Threshold.</summary>
    public string? ThresholdMetricId { get; init; }
    public required string ComparisonOperator { get; init; }
    public string TreatMissingData { get; init; } = "missing";
    public List<MetricDataQuery> Metrics { get; init; } = [];
    /// <summary>The time series of a Metrics Insights alarm over many series that are in ALARM now (DescribeAlarmContributors).</summary>
    public List<AlarmContributorState> Contributors { get; init; } = [];

    /// <summary>A Metrics Insights alarm whose query has GROUP BY watches each of its series: a multi-time-series alarm, as AWS names it.</summary>
    [JsonIgnore]
    public bool WatchesManySeries => Metrics.Any(m => m.IsInsightsQuery && MetricsInsightsQuery.Parse(m.Expression!).GroupBy.Count > 0);

    /// <summary>A put over an existing alarm keeps its contributors with its state.</summary>
    public override Alarm KeepingStateOf(Alarm current) =>
        ((MetricAlarm)base.KeepingStateOf(current)) with { Contributors = current is MetricAlarm metric ? metric.Contributors : [] };

    /// <summary>
    /// PutMetricAlarm's members, or an AWS::CloudWatch::Alarm's. The caller supplies the name (a template may
    /// leave it to CloudFormation), and the dimensions, math queries and tags each source words its own way.
    /// </summary>
    public static MetricAlarm Read(IInputReader input, Scope scope, string name, List<MetricDimension> dimensions,
        List<MetricDataQuery> metrics, Dictionary<string, string> tags) => new()
    {
        AlarmName = name,
        AlarmArn = "",
        AccountId = scope.AccountId,
        Region = scope.Region,
        AlarmDescription = input.String("AlarmDescription"),
        ActionsEnabled = input.Bool("ActionsEnabled") ?? true,
        OKActions = input.Strings("OKActions").ToList(),
        AlarmActions = input.Strings("AlarmActions").ToList(),
        InsufficientDataActions = input.Strings("InsufficientDataActions").ToList(),
        MetricName = input.String("MetricName"),
        Namespace = input.String("Namespace"),
        Statistic = input.String("Statistic"),
        ExtendedStatistic = input.String("ExtendedStatistic"),
        Dimensions = dimensions,
        Period = input.Int("Period"),
        Unit = input.String("Unit"),
        EvaluationPeriods = input.Int("EvaluationPeriods") ?? throw input.Missing("EvaluationPeriods"),
        DatapointsToAlarm = input.Int("DatapointsToAlarm"),
        Threshold = input.Double("Threshold"),
        ThresholdMetricId = input.String("ThresholdMetricId"),
        ComparisonOperator = input.Required("ComparisonOperator"),
        TreatMissingData = input.String("TreatMissingData") ?? "missing",
        Metrics = metrics,
        Tags = tags,
    };

    /// <summary>The period alarms evaluate: the metric's, or the returned math query's.</summary>
    public int EvaluatedPeriod => Period ?? Metrics.Where(m => m.ReturnData).Select(m => m.Period ?? m.MetricStat?.Period).FirstOrDefault(p => p is not null) ?? 60;
}

public sealed record AlarmHistoryItem(string AlarmName, DateTimeOffset Timestamp, string HistoryItemType, string HistorySummary, string HistoryData,
    string AlarmType = AlarmTypes.Metric, string? AlarmContributorId = null, Dictionary<string, string>? AlarmContributorAttributes = null);

/// <summary>One series of a multi-time-series alarm in ALARM: its id, the GROUP BY keys and values it stands for, why, and since when.</summary>
public sealed record AlarmContributorState(string ContributorId, Dictionary<string, string> Attributes, string StateReason, DateTimeOffset StateTransitionedTimestamp);

public static class AlarmTypes
{
    public const string Metric = "MetricAlarm";
    public const string Composite = "CompositeAlarm";
}

/// <summary>
/// A composite alarm: a rule over other alarms' states (<see cref="Engine.AlarmRule"/>), evaluated whenever one of
/// them changes state; ALARM while the rule holds, OK otherwise, INSUFFICIENT_DATA only before its first evaluation.
/// </summary>
public sealed record CompositeAlarm : Alarm
{
    public override string AlarmType => AlarmTypes.Composite;

    public required string AlarmRule { get; init; }
    public string? ActionsSuppressor { get; init; }
    public int? ActionsSuppressorWaitPeriod { get; init; }
    public int? ActionsSuppressorExtensionPeriod { get; init; }

    /// <summary>PutCompositeAlarm also ignores the tags of an update, as on AWS (TagResource changes them).</summary>
    public override Alarm KeepingStateOf(Alarm current) => base.KeepingStateOf(current) with { Tags = current.Tags };

    /// <summary>PutCompositeAlarm's members, or an AWS::CloudWatch::CompositeAlarm's (same names); the caller names it and reads the tags.</summary>
    public static CompositeAlarm Read(IInputReader input, Scope scope, string name, Dictionary<string, string> tags) => new()
    {
        AlarmName = name,
        AlarmArn = $"arn:aws:cloudwatch:{scope.Region}:{scope.AccountId}:alarm:{name}",
        AccountId = scope.AccountId,
        Region = scope.Region,
        AlarmRule = input.Required("AlarmRule"),
        AlarmDescription = input.String("AlarmDescription"),
        ActionsEnabled = input.Bool("ActionsEnabled") ?? true,
        OKActions = input.Strings("OKActions").ToList(),
        AlarmActions = input.Strings("AlarmActions").ToList(),
        InsufficientDataActions = input.Strings("InsufficientDataActions").ToList(),
        ActionsSuppressor = input.String("ActionsSuppressor"),
        ActionsSuppressorWaitPeriod = input.Int("ActionsSuppressorWaitPeriod"),
        ActionsSuppressorExtensionPeriod = input.Int("ActionsSuppressorExtensionPeriod"),
        Tags = tags,
    };
}

/// <summary>A dashboard: its body as given (AWS returns it verbatim), per account (dashboards are global, their ARN has no region).</summary>
public sealed record Dashboard(string AccountId, string Name, string Body, DateTimeOffset LastModified)
{
    public string Arn => $"arn:aws:cloudwatch::{AccountId}:dashboard/{Name}";
    public long Size => System.Text.Encoding.UTF8.GetByteCount(Body);
}

/// <summary>An alarm's history, newest last; kept when the alarm is deleted, as on AWS, within the same bounds.</summary>
public sealed record AlarmHistory(string AccountId, string Region, string AlarmName, List<AlarmHistoryItem> Items);

/// <summary>
/// An anomaly detector: the metric it models (one metric and statistic, or the returned query of metric math) and how
/// (<see cref="Engine.AnomalyModel"/> says what it computes). PeriodicSpikes is recorded and reported: the model's
/// hour-of-week means already expect a spike that recurs at the same hour.
/// </summary>
public sealed record AnomalyDetector
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public SingleMetricAnomaly? SingleMetric { get; init; }
    public List<MetricDataQuery> MetricMathQueries { get; init; } = [];
    public List<ExcludedTimeRange> ExcludedTimeRanges { get; init; } = [];
    public string? MetricTimezone { get; init; }
    public bool? PeriodicSpikes { get; init; }

    public string DetectorType => SingleMetric is null ? AnomalyDetectorTypes.MetricMath : AnomalyDetectorTypes.SingleMetric;

    /// <summary>
    /// PutAnomalyDetector's or DeleteAnomalyDetector's members, or an AWS::CloudWatch::AnomalyDetector's: the metric as the
    /// deprecated top-level members, SingleMetricAnomalyDetector or MetricMathAnomalyDetector (exactly one of the three).
    /// </summary>
    public static AnomalyDetector Read(IInputReader input, Scope scope)
    {
        var single = input.Object("SingleMetricAnomalyDetector");
        var math = input.Object("MetricMathAnomalyDetector");
        var legacy = input.Has("Namespace") || input.Has("MetricName") || input.Has("Stat") || input.Has("Dimensions");
        if ((single is not null ? 1 : 0) + (math is not null ? 1 : 0) + (legacy ? 1 : 0) > 1)
            throw CloudWatchErrors.InvalidCombination("Use exactly one of SingleMetricAnomalyDetector, MetricMathAnomalyDetector, or the Namespace, MetricName, Dimensions and Stat parameters.");
        var metric = single ?? (legacy ? input : null);
        if (metric is null && math is null)
            throw CloudWatchErrors.MissingParameters(["SingleMetricAnomalyDetector", "MetricMathAnomalyDetector"]);
        if (metric?.String("AccountId") is { } account && account != scope.AccountId)
            throw CloudWatchErrors.InvalidValue($"Stratus models the metrics of its own account {scope.AccountId}; cross-account observability is not built.");
        var configuration = input.Object("Configuration");
        return new AnomalyDetector
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            SingleMetric = metric is null ? null : new SingleMetricAnomaly(metric.Required("Namespace"), metric.Required("MetricName"),
                MetricDataQuery.ReadDimensions(metric), metric.Required("Stat")),
            MetricMathQueries = math?.Objects("MetricDataQueries").Select(MetricDataQuery.Read).ToList() ?? [],
            ExcludedTimeRanges = configuration?.Objects("ExcludedTimeRanges")
                .Select(r => new ExcludedTimeRange(r.Timestamp("StartTime") ?? throw r.Missing("StartTime"), r.Timestamp("EndTime") ?? throw r.Missing("EndTime")))
                .ToList() ?? [],
            // CloudFormation spells it MetricTimeZone, the API MetricTimezone.
            MetricTimezone = configuration?.String(input.FromTemplate ? "MetricTimeZone" : "MetricTimezone"),
            PeriodicSpikes = input.Object("MetricCharacteristics")?.Bool("PeriodicSpikes"),
        };
    }
}

public sealed record SingleMetricAnomaly(string Namespace, string MetricName, List<MetricDimension> Dimensions, string Stat);

public sealed record ExcludedTimeRange(DateTimeOffset StartTime, DateTimeOffset EndTime);

public static class AnomalyDetectorTypes
{
    public const string SingleMetric = "SINGLE_METRIC";
    public const string MetricMath = "METRIC_MATH";
}

public static class AnomalyDetectorStates
{
    public const string PendingTraining = "PENDING_TRAINING";
    public const string TrainedInsufficientData = "TRAINED_INSUFFICIENT_DATA";
    public const string Trained = "TRAINED";
}

/// <summary>
/// A Contributor Insights rule as kept: its definition verbatim (DescribeInsightRules returns it so), its state and the
/// spans of time it was enabled, which say which log events it analyzed (those ingested while it was enabled, as AWS's
/// rules analyze events as they arrive). A span without an end is the current one.
/// </summary>
public sealed record InsightRule
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string State { get; init; }
    public required string Definition { get; init; }
    public bool ApplyOnTransformedLogs { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    public List<EnabledSpan> EnabledSpans { get; init; } = [];

    public string Arn => InsightRuleStates.Arn(Region, AccountId, Name);

    public bool Analyzed(long ingestionTimeMs) => EnabledSpans.Any(s => s.FromMs <= ingestionTimeMs && (s.UntilMs is not { } until || ingestionTimeMs < until));
}

public sealed record EnabledSpan(long FromMs, long? UntilMs);

/// <summary>PutInsightRule's input, read once for the wire and for AWS::CloudWatch::InsightRule (whose property is RuleBody).</summary>
public sealed record InsightRuleInput(string Name, string State, string Definition, bool ApplyOnTransformedLogs, Dictionary<string, string> Tags)
{
    public static InsightRuleInput Read(IInputReader input, string name) => new(name,
        input.String("RuleState") ?? InsightRuleStates.Enabled,
        input.FromTemplate ? input.Required("RuleBody") : input.Required("RuleDefinition"),
        input.Bool("ApplyOnTransformedLogs") ?? false,
        input.TagMap(valueRequired: !input.FromTemplate) ?? []);
}

public static class InsightRuleStates
{
    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";
    /// <summary>DescribeInsightRules' Schema of a rule one creates (managed rules' would be ServiceLogRule/1).</summary>
    public const string Schema = "CloudWatchLogRule/1";

    public static string Arn(string region, string accountId, string name) => $"arn:aws:cloudwatch:{region}:{accountId}:insight-rule/{name}";
}

/// <summary>One rule an Enable, Disable or DeleteInsightRules request could not act on, as AWS lists it in Failures.</summary>
public sealed record InsightRuleFailure(string Resource, string ExceptionType, string Code, string Description);

/// <summary>GetInsightRuleReport's answer: the rule's keys and aggregation with the computed report.</summary>
public sealed record InsightRuleReport(IReadOnlyList<string> KeyLabels, string AggregationStatistic, ContributorReportResult Report);

/// <summary>An alarm mute rule as stored: its schedule (Expression, Duration, Timezone), the alarms it mutes and when it is in force.</summary>
public sealed record AlarmMuteRule(string AccountId, string Region, string Name, string? Description, string Expression, string Duration, string? Timezone,
    List<string> AlarmNames, DateTimeOffset? StartDate, DateTimeOffset? ExpireDate, DateTimeOffset LastUpdated, Dictionary<string, string> Tags)
{
    public string Arn => $"arn:aws:cloudwatch:{Region}:{AccountId}:alarm-mute-rule:{Name}";
}

/// <summary>An alarm whose actions a mute rule held back: its ALARM actions run once no rule mutes it (stored, so a restart keeps the wait).</summary>
public sealed record HeldAlarmActions(string AccountId, string Region, string AlarmName);

/// <summary>PutAlarmMuteRule's members.</summary>
public sealed record AlarmMuteRuleInput(string Name, string? Description, string Expression, string Duration, string? Timezone, IReadOnlyList<string> AlarmNames,
    DateTimeOffset? StartDate, DateTimeOffset? ExpireDate, Dictionary<string, string> Tags);
