namespace Stratus.Services.CloudWatch.Engine;

/// <summary>One contributor of a report: its key values, its value by the report's ordering statistic and its value per period it appeared in.</summary>
public sealed record ReportContributor(IReadOnlyList<string> Keys, double ApproximateAggregateValue, IReadOnlyList<KeyValuePair<long, double>> Datapoints);

/// <summary>The rule's statistics over one period: the metrics GetInsightRuleReport can ask for.</summary>
public sealed record ReportPeriod(long Start, double UniqueContributors, double MaxContributorValue, double SampleCount, double Sum, double Minimum, double Maximum)
{
    /// <summary>"The average value from all contributors": the period's sum over its contributors.</summary>
    public double Average => Sum / UniqueContributors;

    /// <summary>The metric by its name in GetInsightRuleReport's Metrics and INSIGHT_RULE_METRIC; null for a name it does not have.</summary>
    public double? Metric(string name) => name switch
    {
        "UniqueContributors" => UniqueContributors,
        "MaxContributorValue" => MaxContributorValue,
        "SampleCount" => SampleCount,
        "Sum" => Sum,
        "Minimum" => Minimum,
        "Maximum" => Maximum,
        "Average" => Average,
        _ => null,
    };
}

public sealed record ContributorReportResult(double AggregateValue, long UniqueCount, IReadOnlyList<ReportContributor> Contributors, IReadOnlyList<ReportPeriod> Periods);

/// <summary>
/// GetInsightRuleReport's arithmetic over the contributions of the events in a time range: each event counts in the period
/// (of <c>period</c> seconds, from the epoch) its timestamp falls in. Contributors are ranked by the sum of their values
/// (OrderBy Sum) or their largest value in one period (Maximum), ties by key, and the first <c>maxContributors</c> kept.
/// Values are exact (AWS's are approximations; "Approximate" in the names is AWS's).
/// </summary>
public sealed class ContributorReport(int periodSeconds)
{
    private readonly long _periodMs = periodSeconds * 1000L;
    private readonly Dictionary<string, (IReadOnlyList<string> Keys, SortedDictionary<long, double> Values)> _contributors = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, PeriodTotals> _periods = [];

    private sealed class PeriodTotals
    {
        public Dictionary<string, double> ByContributor { get; } = new(StringComparer.Ordinal);
        public double Count;
        public double Sum;
        public double Minimum = double.PositiveInfinity;
        public double Maximum = double.NegativeInfinity;
    }

    public void Add(long timestampMs, Contribution contribution)
    {
        var start = timestampMs - (((timestampMs % _periodMs) + _periodMs) % _periodMs);
        if (!_contributors.TryGetValue(contribution.Contributor, out var contributor))
            _contributors[contribution.Contributor] = contributor = (contribution.Keys, new SortedDictionary<long, double>());
        contributor.Values[start] = contributor.Values.GetValueOrDefault(start) + contribution.Value;
        if (!_periods.TryGetValue(start, out var period)) _periods[start] = period = new PeriodTotals();
        period.ByContributor[contribution.Contributor] = period.ByContributor.GetValueOrDefault(contribution.Contributor) + contribution.Value;
        period.Count++;
        period.Sum += contribution.Value;
        period.Minimum = Math.Min(period.Minimum, contribution.Value);
        period.Maximum = Math.Max(period.Maximum, contribution.Value);
    }

    public ContributorReportResult Result(int maxContributors, bool orderByMaximum)
    {
        var ranked = _contributors
            .Select(c => (c.Key, c.Value.Keys, c.Value.Values, Rank: orderByMaximum ? c.Value.Values.Values.Max() : c.Value.Values.Values.Sum()))
            .OrderByDescending(c => c.Rank).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(maxContributors)
            .Select(c => new ReportContributor(c.Keys, c.Rank, c.Values.Select(v => KeyValuePair.Create(v.Key / 1000, v.Value)).ToList()))
            .ToList();
        var periods = _periods.Select(p => new ReportPeriod(p.Key / 1000, p.Value.ByContributor.Count, p.Value.ByContributor.Values.Max(),
            p.Value.Count, p.Value.Sum, p.Value.Minimum, p.Value.Maximum)).ToList();
        return new ContributorReportResult(_periods.Values.Sum(p => p.Sum), _contributors.Count, ranked, periods);
    }
}
