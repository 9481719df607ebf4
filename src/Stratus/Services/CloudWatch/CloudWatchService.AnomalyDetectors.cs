using System.Text.Json;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// Anomaly detectors and the bands they draw (<see cref="AnomalyModel"/>): PutAnomalyDetector configures the model of a
/// metric (its excluded time ranges and time zone), ANOMALY_DETECTION_BAND draws it in GetMetricData, widgets and alarms.
/// A band of a metric without a detector is drawn with the default configuration (UTC, nothing excluded).
/// </summary>
public sealed partial class CloudWatchService
{
    private readonly ResourceTable<AnomalyDetector> _anomalyDetectors;

    public void PutAnomalyDetector(Scope scope, AnomalyDetector detector)
    {
        if (detector.SingleMetric is { } metric && !MetricStatistics.IsKnown(metric.Stat))
            throw CloudWatchErrors.InvalidValue($"The value {metric.Stat} for parameter Stat is not a valid statistic.");
        if (detector.SingleMetric is null)
        {
            ValidateQueries(detector.MetricMathQueries);
            if (detector.MetricMathQueries.Count(q => q.ReturnData) != 1)
                throw CloudWatchErrors.ValidationError("Exactly one element of MetricMathAnomalyDetector.MetricDataQueries should return data.");
        }
        if (detector.MetricTimezone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            throw CloudWatchErrors.InvalidValue($"The value {zone} for parameter Configuration.MetricTimezone is not a known time zone.");
        if (detector.ExcludedTimeRanges.Any(r => r.StartTime >= r.EndTime))
            throw CloudWatchErrors.InvalidValue("The StartTime of each Configuration.ExcludedTimeRanges member must be before its EndTime.");
        _anomalyDetectors.Put(AnomalyDetectorKey(detector), detector);
    }

    /// <summary>Single-metric detectors unless <paramref name="types"/> asks for metric math ones, as on AWS; filters apply to single-metric ones.</summary>
    public IReadOnlyList<(AnomalyDetector Detector, string State)> DescribeAnomalyDetectors(Scope scope, string? ns, string? metricName,
        IReadOnlyList<MetricDimension> dimensions, IReadOnlyList<string> types)
    {
        var wanted = types.Count == 0 ? [AnomalyDetectorTypes.SingleMetric] : types;
        return _anomalyDetectors.Values
            .Where(d => d.AccountId == scope.AccountId && d.Region == scope.Region && wanted.Contains(d.DetectorType))
            .Where(d => ns is null || d.SingleMetric?.Namespace == ns)
            .Where(d => metricName is null || d.SingleMetric?.MetricName == metricName)
            .Where(d => dimensions.All(f => d.SingleMetric?.Dimensions.Contains(f) == true))
            .OrderBy(AnomalyDetectorKey, StringComparer.Ordinal)
            .Select(d => (d, TrainingState(d)))
            .ToList();
    }

    public void DeleteAnomalyDetector(Scope scope, AnomalyDetector detector)
    {
        if (_anomalyDetectors.Remove(AnomalyDetectorKey(detector)) is null)
            throw CloudWatchErrors.AnomalyDetectorNotFound();
    }

    /// <summary>
    /// The detector's state from the history its model trains on now: PENDING_TRAINING with none, TRAINED_INSUFFICIENT_DATA
    /// with fewer values than a band needs, TRAINED otherwise.
    /// </summary>
    private string TrainingState(AnomalyDetector detector)
    {
        var now = _clock.GetUtcNow();
        var queries = detector.SingleMetric is { } m
            ? [new MetricDataQuery("m1", new MetricStatQuery(m.Namespace, m.MetricName, m.Dimensions, 300, m.Stat, null), null, null, true, null)]
            : detector.MetricMathQueries;
        var modelled = queries.Single(q => q.ReturnData);
        var history = Resolver(detector.AccountId, detector.Region, queries, now - AnomalyModel.TrainingWindow, now, alignToPeriod: false, drawsBands: false)(modelled.Id);
        var points = history is MathSeries series ? series.Points.Count : 0;
        return points == 0 ? AnomalyDetectorStates.PendingTraining
            : points < AnomalyModel.MinimumPoints ? AnomalyDetectorStates.TrainedInsufficientData
            : AnomalyDetectorStates.Trained;
    }

    /// <summary>The detector configuring the band of <paramref name="modelled"/>: the one for its metric and statistic, or the metric math one returning its expression.</summary>
    private AnomalyDetector? AnomalyConfigurationFor(string accountId, string region, MetricDataQuery modelled) =>
        modelled.MetricStat is { } stat
            ? _anomalyDetectors.Get(AnomalyDetectorKey(new AnomalyDetector
            {
                AccountId = accountId,
                Region = region,
                SingleMetric = new SingleMetricAnomaly(stat.Namespace, stat.MetricName, [.. stat.Dimensions], stat.Stat),
            }))
            : _anomalyDetectors.Values.FirstOrDefault(d => d.AccountId == accountId && d.Region == region && d.SingleMetric is null
                && d.MetricMathQueries.Single(q => q.ReturnData) is { } returned && returned.Id == modelled.Id && returned.Expression == modelled.Expression);

    /// <summary>The band at each of <paramref name="times"/>, trained on <paramref name="history"/> before each one.</summary>
    private static MathBand AnomalyBand(AnomalyDetector? detector, MathSeries history, IEnumerable<long> times, double deviations)
    {
        var zone = detector?.MetricTimezone is { } id ? TimeZoneInfo.FindSystemTimeZoneById(id) : TimeZoneInfo.Utc;
        var excluded = detector?.ExcludedTimeRanges.Select(r => (r.StartTime.ToUnixTimeSeconds(), r.EndTime.ToUnixTimeSeconds())).ToList() ?? [];
        var model = new AnomalyModel(history.Points, zone, excluded);
        var (lower, upper) = (new SortedDictionary<long, double>(), new SortedDictionary<long, double>());
        foreach (var time in times)
            if (model.BandAt(time, deviations) is { } band)
                (lower[time], upper[time]) = band;
        return new MathBand(new MathSeries(history.Label, lower), new MathSeries(history.Label, upper));
    }

    /// <summary>A single-metric detector is one per metric and statistic; a metric math one is its queries.</summary>
    private static string AnomalyDetectorKey(AnomalyDetector d) => ResourceTable<AnomalyDetector>.Key(d.AccountId, d.Region,
        d.SingleMetric is { } m
            ? MetricIdentity.Create(d.AccountId, d.Region, m.Namespace, m.MetricName, m.Dimensions).Key + '\u001e' + m.Stat
            : JsonSerializer.Serialize(d.MetricMathQueries));
}
