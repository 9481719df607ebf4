using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Services.Lambda;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Anomaly detectors, ANOMALY_DETECTION_BAND in GetMetricData and anomaly detection alarms, on a clock the test sets.</summary>
public sealed class AnomalyDetectionTests : IDisposable
{
    // 15:05 UTC: the alarm below evaluates the five minutes before it, the first of its hour, so its band is trained on
    // every value of the window (no earlier value shares its hour of the week).
    private static readonly DateTimeOffset End = new(2026, 3, 1, 15, 5, 0, TimeSpan.Zero);
    private static readonly MetricDimension Api = new("Api", "orders");
    private readonly FakeTimeProvider _clock = new(End.AddSeconds(10));
    private readonly CloudWatchService _cloudWatch;
    private readonly Scope _call = TestCalls.Call();

    public AnomalyDetectionTests()
    {
        _cloudWatch = new CloudWatchService(StateStore.Ephemeral(), _clock, new NoLambda(), NullLogger.Instance, alarmEvaluationInterval: TimeSpan.FromHours(1));
        // Two hours of 5-minute latencies alternating 9 and 11 (mean 10, deviation 1) before the evaluated period.
        for (var k = 2; k <= 25; k++) Put(End.AddMinutes(-5 * k), k % 2 == 0 ? 9 : 11);
    }

    public void Dispose() => _cloudWatch.Dispose();

    private void Put(DateTimeOffset at, double value) =>
        _cloudWatch.PutMetricDataAsync(_call, "Shop", [new MetricDataInput("Latency", [Api], at.AddSeconds(5), value, null, [], [], "Milliseconds", 60)]).GetAwaiter().GetResult();

    private static MetricDataQuery Latency(bool returnData = true) =>
        new("m1", new MetricStatQuery("Shop", "Latency", [Api], 300, "Average", null), null, null, returnData, null);

    private static MetricDataQuery Band(string deviations = "2") => new("ad1", null, $"ANOMALY_DETECTION_BAND(m1, {deviations})", "Latency (expected)", true, null);

    [Fact]
    public void GetMetricData_answers_the_band_as_a_lower_and_an_upper_result_under_its_id()
    {
        Put(End.AddMinutes(-5), 50);

        var results = _cloudWatch.GetMetricData(_call, [Latency(), Band()], End.AddHours(-2), End);

        Assert.Equal(["m1", "ad1", "ad1"], results.Select(r => r.Id));
        Assert.Equal(["Latency", "Latency (expected) Lower", "Latency (expected) Upper"], results.Select(r => r.Label));
        var (lower, upper) = (results[1].Points.ToDictionary(p => p.Key, p => p.Value), results[2].Points.ToDictionary(p => p.Key, p => p.Value));
        var spike = End.AddMinutes(-5);
        // Trained on the 24 values before it: 10 ± 2 × 1.
        Assert.Equal(8, lower[spike], 9);
        Assert.Equal(12, upper[spike], 9);
        // The first periods of the range have fewer than five values before them in the data: no band there.
        Assert.DoesNotContain(End.AddMinutes(-120), lower.Keys);
        Assert.Equal(lower.Keys, upper.Keys);
    }

    [Theory]
    [InlineData(50, "GreaterThanUpperThreshold", "ALARM")]
    [InlineData(50, "LessThanLowerThreshold", "OK")]
    [InlineData(2, "LessThanLowerOrGreaterThanUpperThreshold", "ALARM")]
    [InlineData(10.5, "LessThanLowerOrGreaterThanUpperThreshold", "OK")]
    public void Anomaly_alarms_hold_the_metric_against_its_band(double latest, string comparison, string expected)
    {
        Put(End.AddMinutes(-5), latest);
        _cloudWatch.PutMetricAlarm(_call, new MetricAlarm
        {
            AlarmName = "latency-anomaly", AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, EvaluationPeriods = 1,
            ComparisonOperator = comparison, ThresholdMetricId = "ad1", Metrics = [Latency(), Band()],
        });

        _cloudWatch.EvaluateAlarm(Assert.Single(_cloudWatch.DescribeAlarms(_call, ["latency-anomaly"], null, null, null)));

        var alarm = Assert.Single(_cloudWatch.DescribeAlarms(_call, ["latency-anomaly"], null, null, null));
        Assert.Equal(expected, alarm.StateValue);
        Assert.StartsWith("Thresholds Crossed: ", alarm.StateReason);
        Assert.Contains(comparison == "LessThanLowerThreshold" ? "less than the lower thresholds [8]" : "greater than the upper thresholds [12]", alarm.StateReason);
        var data = System.Text.Json.Nodes.JsonNode.Parse(alarm.StateReasonData!)!;
        Assert.Equal("[12]", data["recentUpperThresholds"]!.ToJsonString());
        Assert.Null(data["threshold"]);
    }

    [Fact]
    public void Anomaly_alarms_are_checked_as_AWS_checks_them()
    {
        MetricAlarm Alarm(string? thresholdMetricId, double? threshold, string comparison, params MetricDataQuery[] metrics) => new()
        {
            AlarmName = "a", AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, EvaluationPeriods = 1,
            ComparisonOperator = comparison, ThresholdMetricId = thresholdMetricId, Threshold = threshold, Metrics = [.. metrics],
        };
        string Refused(MetricAlarm alarm) => Assert.Throws<AwsException>(() => _cloudWatch.PutMetricAlarm(_call, alarm)).Code;

        Assert.Equal("MissingParameter", Refused(Alarm(null, null, "GreaterThanUpperThreshold", Latency(), Band())));
        Assert.Equal("InvalidParameterValue", Refused(Alarm("ad1", null, "GreaterThanThreshold", Latency(), Band())));
        Assert.Equal("InvalidParameterCombination", Refused(Alarm("ad1", 5, "GreaterThanUpperThreshold", Latency(), Band())));
        Assert.Equal("ValidationError", Refused(Alarm("m1", null, "GreaterThanUpperThreshold", Latency(), Band())));
        Assert.Equal("ValidationError", Refused(Alarm("ad1", null, "GreaterThanUpperThreshold", Latency(returnData: false), Band())));
    }

    [Fact]
    public void Detectors_are_put_described_with_their_training_state_and_deleted()
    {
        AnomalyDetector Detector(string metric, string? zone = null) => new()
        {
            AccountId = _call.AccountId, Region = _call.Region, SingleMetric = new SingleMetricAnomaly("Shop", metric, [Api], "Average"), MetricTimezone = zone,
            ExcludedTimeRanges = [new ExcludedTimeRange(End.AddDays(-3), End.AddDays(-2))],
        };
        _cloudWatch.PutAnomalyDetector(_call, Detector("Latency", "Europe/Paris"));
        _cloudWatch.PutAnomalyDetector(_call, Detector("Unseen"));
        _cloudWatch.PutAnomalyDetector(_call, new AnomalyDetector
        {
            AccountId = _call.AccountId, Region = _call.Region, MetricMathQueries = [Latency(returnData: false), new MetricDataQuery("doubled", null, "m1 * 2", null, true, null)],
        });

        var single = _cloudWatch.DescribeAnomalyDetectors(_call, "Shop", null, [], []);
        Assert.Equal([("Latency", AnomalyDetectorStates.Trained), ("Unseen", AnomalyDetectorStates.PendingTraining)],
            single.Select(d => (d.Detector.SingleMetric!.MetricName, d.State)));
        Assert.Equal("Europe/Paris", single[0].Detector.MetricTimezone);
        var math = Assert.Single(_cloudWatch.DescribeAnomalyDetectors(_call, null, null, [], [AnomalyDetectorTypes.MetricMath]));
        Assert.Equal(AnomalyDetectorStates.Trained, math.State);

        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => _cloudWatch.PutAnomalyDetector(_call, Detector("Latency", "Mars/Olympus"))).Code);
        _cloudWatch.DeleteAnomalyDetector(_call, Detector("Unseen"));
        var missing = Assert.Throws<AwsException>(() => _cloudWatch.DeleteAnomalyDetector(_call, Detector("Unseen")));
        Assert.Equal(("ResourceNotFoundException", 404), (missing.Code, missing.StatusCode));
        Assert.Single(_cloudWatch.DescribeAnomalyDetectors(_call, null, null, [], []));
    }

    private sealed class NoLambda : ILambdaInvoker
    {
        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) => throw new InvalidOperationException("no alarm actions here");
    }
}
