using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Services.Logs;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// Contributor Insights rules over Stratus's Logs (<see cref="ContributorRule"/>). AWS evaluates an enabled rule as log
/// events arrive; Stratus evaluates it when a report is asked for, over the stored events of the rule's log groups in the
/// report's time range that were ingested while the rule was enabled (its <see cref="EnabledSpan"/>s), which counts the
/// same events without a second copy of them. The one difference: a rule whose definition PutInsightRule changes reports
/// its earlier events by its new definition too, where AWS's keep what the old one counted. Events Logs no longer keeps
/// (retention, its bounds) leave the report as they leave Logs.
/// </summary>
public sealed partial class CloudWatchService
{
    /// <summary>AWS's quota of Contributor Insights rules per account and Region.</summary>
    public const int MaxInsightRules = 100;
    public const int MaxInsightRuleTags = 50;
    /// <summary>Stratus's bound on the enabled spans a rule remembers (the oldest are forgotten, and with them what they analyzed).</summary>
    public const int MaxEnabledSpans = 100;
    /// <summary>Stratus's bound on a report's periods, GetMetricStatistics' bound on data points.</summary>
    public const int MaxReportPeriods = 1440;

    private static readonly string[] ReportMetrics = ["UniqueContributors", "MaxContributorValue", "SampleCount", "Sum", "Minimum", "Maximum", "Average"];

    private readonly ResourceTable<InsightRule> _insightRules;
    private readonly Func<ILogEventReader?> _logEvents;

    /// <summary>Creates a rule or replaces an existing rule's definition and state; an existing rule keeps its tags, as on AWS.</summary>
    public InsightRule PutInsightRule(Scope scope, InsightRuleInput input)
    {
        if (input.State is not (InsightRuleStates.Enabled or InsightRuleStates.Disabled))
            throw CloudWatchErrors.InvalidValue($"The value {input.State} for parameter RuleState is invalid; it must be ENABLED or DISABLED.");
        ParseRule(input.Definition);
        if (input.Tags.Count > MaxInsightRuleTags) throw CloudWatchErrors.InvalidValue($"A rule can have at most {MaxInsightRuleTags} tags.");
        var key = InsightRuleKey(scope.AccountId, scope.Region, input.Name);
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_insightRules)
        {
            if (_insightRules.Get(key) is not null)
                return _insightRules.Update(key, rule => WithState(rule with { Definition = input.Definition, ApplyOnTransformedLogs = input.ApplyOnTransformedLogs }, input.State, now))!;
            if (InsightRulesOf(scope).Count() >= MaxInsightRules) throw CloudWatchErrors.TooManyInsightRules(MaxInsightRules);
            var created = WithState(new InsightRule
            {
                AccountId = scope.AccountId,
                Region = scope.Region,
                Name = input.Name,
                State = InsightRuleStates.Disabled,
                Definition = input.Definition,
                ApplyOnTransformedLogs = input.ApplyOnTransformedLogs,
                Tags = input.Tags,
            }, input.State, now);
            _insightRules.Put(key, created);
            return created;
        }
    }

    public IReadOnlyList<InsightRule> DescribeInsightRules(Scope scope) => InsightRulesOf(scope).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();

    public IReadOnlyList<InsightRuleFailure> EnableInsightRules(Scope scope, IReadOnlyList<string> names) => SetInsightRuleState(scope, names, InsightRuleStates.Enabled);

    public IReadOnlyList<InsightRuleFailure> DisableInsightRules(Scope scope, IReadOnlyList<string> names) => SetInsightRuleState(scope, names, InsightRuleStates.Disabled);

    /// <summary>Deletes the rules that exist and lists the others in Failures, as AWS answers a batch.</summary>
    public IReadOnlyList<InsightRuleFailure> DeleteInsightRules(Scope scope, IReadOnlyList<string> names) =>
        EachInsightRule(scope, names, key => _insightRules.Remove(key) is not null);

    /// <summary>The rule, for CloudFormation's reads.</summary>
    public InsightRule GetInsightRule(Scope scope, string name) =>
        _insightRules.Get(InsightRuleKey(scope.AccountId, scope.Region, name)) ?? throw CloudWatchErrors.InsightRuleNotFound(name);

    public InsightRuleReport GetInsightRuleReport(Scope scope, string name, DateTimeOffset start, DateTimeOffset end, int period, int? maxContributorCount,
        string? orderBy)
    {
        var rule = GetInsightRule(scope, name);
        if (start >= end) throw CloudWatchErrors.InvalidValue("The parameter StartTime must be less than the parameter EndTime.");
        if (period < 1) throw CloudWatchErrors.InvalidValue("The parameter Period must be greater than 0.");
        var periods = (long)Math.Ceiling((end - start).TotalSeconds / period);
        if (periods > MaxReportPeriods)
            throw CloudWatchErrors.InvalidCombination($"You have requested up to {periods:N0} periods, which exceeds the limit of {MaxReportPeriods:N0}. Increase Period or decrease the time range.");
        var maxContributors = maxContributorCount ?? 10;
        if (maxContributors is < 1 or > 100) throw CloudWatchErrors.InvalidValue("The parameter MaxContributorCount must be between 1 and 100.");
        if (orderBy is not (null or "Sum" or "Maximum")) throw CloudWatchErrors.InvalidValue($"The value {orderBy} for parameter OrderBy is invalid; it must be Sum or Maximum.");
        var definition = ParseRule(rule.Definition);
        return new InsightRuleReport(definition.KeyLabels, definition.AggregatesSum ? "Sum" : "Count",
            Report(rule, definition, start, end, period).Result(maxContributors, orderBy == "Maximum"));
    }

    /// <summary>GetInsightRuleReport's Metrics, each one AWS names.</summary>
    public static void ValidateReportMetrics(IReadOnlyList<string> metrics)
    {
        foreach (var metric in metrics)
            if (!ReportMetrics.Contains(metric, StringComparer.Ordinal))
                throw CloudWatchErrors.InvalidValue($"The value {metric} for parameter Metrics is invalid; it must be one of {string.Join(", ", ReportMetrics)}.");
    }

    /// <summary>
    /// INSIGHT_RULE_METRIC(ruleName, metricName) in metric math (GetMetricData, alarms, widgets): the rule's metric per period
    /// of the expression's query, as GetInsightRuleReport's MetricDatapoints compute it; periods without counted events are
    /// left out, as a metric's periods without data are.
    /// </summary>
    private MathSeries InsightRuleSeries(string accountId, string region, string ruleName, string metric, DateTimeOffset start, DateTimeOffset end, int? period)
    {
        var rule = _insightRules.Get(InsightRuleKey(accountId, region, ruleName))
            ?? throw new MetricMathException($"INSIGHT_RULE_METRIC names the rule {ruleName}, which does not exist.");
        if (!ReportMetrics.Contains(metric, StringComparer.Ordinal))
            throw new MetricMathException($"INSIGHT_RULE_METRIC names the metric {metric}; it must be one of {string.Join(", ", ReportMetrics)}.");
        if (period is not { } seconds || seconds < 1) throw new MetricMathException("INSIGHT_RULE_METRIC needs the Period of the query it is in.");
        var points = new SortedDictionary<long, double>();
        foreach (var p in Report(rule, ParseRule(rule.Definition), start, end, seconds).Result(1, orderByMaximum: false).Periods)
            points[p.Start] = p.Metric(metric)!.Value;
        return new MathSeries(metric, points);
    }

    /// <summary>The rule's contributions from the events of its log groups in [start, end) that were ingested while it was enabled.</summary>
    private ContributorReport Report(InsightRule rule, ContributorRule definition, DateTimeOffset start, DateTimeOffset end, int period)
    {
        var report = new ContributorReport(period);
        var (fromMs, untilMs) = (start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
        if (_logEvents() is { } logs)
            foreach (var group in logs.LogGroupNames(rule.AccountId, rule.Region).Where(definition.Reads))
                foreach (var logEvent in logs.EventsBetween(rule.AccountId, rule.Region, group, fromMs, untilMs - 1))
                    if (rule.Analyzed(logEvent.IngestionTime) && definition.Evaluate(logEvent.Message) is { } contribution)
                        report.Add(logEvent.Timestamp, contribution);
        return report;
    }

    /// <summary>
    /// ListManagedInsightRules: managed rules are templates AWS services publish for their own resources (DynamoDB tables,
    /// VPC endpoint services); Stratus's services publish none, so every resource truly has none.
    /// </summary>
    public static IReadOnlyList<InsightRule> ListManagedInsightRules(string resourceArn) =>
        resourceArn.StartsWith("arn:", StringComparison.Ordinal) ? [] : throw CloudWatchErrors.InvalidValue($"The value {resourceArn} for parameter ResourceARN is not an ARN.");

    private IReadOnlyList<InsightRuleFailure> SetInsightRuleState(Scope scope, IReadOnlyList<string> names, string state)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        return EachInsightRule(scope, names, key => _insightRules.Update(key, rule => WithState(rule, state, now)) is not null);
    }

    private IReadOnlyList<InsightRuleFailure> EachInsightRule(Scope scope, IReadOnlyList<string> names, Func<string, bool> act)
    {
        var failures = new List<InsightRuleFailure>();
        lock (_insightRules)
            foreach (var name in names.Distinct(StringComparer.Ordinal))
                if (!act(InsightRuleKey(scope.AccountId, scope.Region, name)))
                    failures.Add(new InsightRuleFailure(name, "ResourceNotFoundException", "ResourceNotFound", $"The rule {name} does not exist."));
        return failures;
    }

    /// <summary>The rule in <paramref name="state"/>: enabling opens a span of analyzed time, disabling closes it.</summary>
    private static InsightRule WithState(InsightRule rule, string state, long nowMs)
    {
        if (rule.State == state) return rule;
        var spans = rule.EnabledSpans.ToList();
        if (state == InsightRuleStates.Enabled) spans.Add(new EnabledSpan(nowMs, null));
        else if (spans.Count > 0 && spans[^1].UntilMs is null) spans[^1] = spans[^1] with { UntilMs = nowMs };
        return rule with { State = state, EnabledSpans = spans.TakeLast(MaxEnabledSpans).ToList() };
    }

    private static ContributorRule ParseRule(string definition)
    {
        try
        {
            return ContributorRule.Parse(definition);
        }
        catch (ContributorRuleException e)
        {
            throw CloudWatchErrors.InvalidValue(e.Message);
        }
    }

    private InsightRule? InsightRuleByArn(Scope scope, string arn) =>
        InsightRulesOf(scope).FirstOrDefault(r => r.Arn == arn);

    private void UpdateInsightRuleTags(InsightRule rule, Func<Dictionary<string, string>, Dictionary<string, string>> change) =>
        _insightRules.Update(InsightRuleKey(rule.AccountId, rule.Region, rule.Name), r => r with { Tags = change(r.Tags) });

    private IEnumerable<InsightRule> InsightRulesOf(Scope scope) =>
        _insightRules.Values.Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region);

    private static string InsightRuleKey(string accountId, string region, string name) => ResourceTable<InsightRule>.Key(accountId, region, name);
}
