using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

public sealed class CloudWatchServiceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly MetricDimension Api = new("Api", "orders");
    private readonly FakeTimeProvider _clock = new(T0.AddMinutes(30));
    private readonly RecordingLambda _lambda = new();
    private readonly CloudWatchService _cloudWatch;
    private readonly Scope _call = TestCalls.Call();

    public CloudWatchServiceTests()
    {
        _cloudWatch = new CloudWatchService(StateStore.Ephemeral(), _clock, _lambda, NullLogger.Instance, alarmEvaluationInterval: TimeSpan.FromHours(1));
    }

    public void Dispose() => _cloudWatch.Dispose();

    // Without a state file the commit is immediate, so the call completes (or throws) synchronously.
    private void PutMetricData(Scope call, string ns, IReadOnlyList<MetricDataInput> data) =>
        _cloudWatch.PutMetricDataAsync(call, ns, data).GetAwaiter().GetResult();

    private void Put(string name, DateTimeOffset at, double value, string unit = "Count", int resolution = 60) =>
        PutMetricData(_call, "Shop", [new MetricDataInput(name, [Api], at, value, null, [], [], unit, resolution)]);

    private IReadOnlyList<PeriodAggregate> Statistics(string name, DateTimeOffset start, DateTimeOffset end, int period, string? unit = null) =>
        _cloudWatch.GetMetricStatistics(_call, "Shop", name, [Api], start, end, period, ["Sum", "SampleCount"], [], unit);

    [Fact]
    public void Data_points_aggregate_per_period_from_the_start_rounded_to_the_minute()
    {
        foreach (var (offset, value) in new[] { (0, 1.0), (59, 2.0), (60, 4.0), (299, 8.0), (300, 16.0) })
            Put("Orders", T0.AddSeconds(offset), value);

        var fiveMinutes = Statistics("Orders", T0.AddSeconds(30), T0.AddMinutes(10), 300);
        Assert.Equal([T0, T0.AddMinutes(5)], fiveMinutes.Select(p => p.Start));
        Assert.Equal([15.0, 16.0], fiveMinutes.Select(p => p.Aggregate.Sum));
        Assert.Equal([4.0, 1.0], fiveMinutes.Select(p => p.Aggregate.SampleCount));

        var minutes = Statistics("Orders", T0, T0.AddMinutes(10), 60);
        Assert.Equal([T0, T0.AddMinutes(1), T0.AddMinutes(4), T0.AddMinutes(5)], minutes.Select(p => p.Start));
        Assert.Equal([3.0, 4.0, 8.0, 16.0], minutes.Select(p => p.Aggregate.Sum));

        Assert.Empty(Statistics("Orders", T0.AddMinutes(6), T0.AddMinutes(10), 60));
    }

    [Fact]
    public void Units_filter_the_data_and_mixed_units_report_None()
    {
        Put("Size", T0, 1, "Bytes");
        Put("Size", T0.AddSeconds(1), 2, "Kilobytes");

        Assert.Equal("None", Assert.Single(Statistics("Size", T0, T0.AddMinutes(1), 60)).Unit);
        var bytes = Assert.Single(Statistics("Size", T0, T0.AddMinutes(1), 60, "Bytes"));
        Assert.Equal(("Bytes", 1.0), (bytes.Unit, bytes.Aggregate.Sum));
    }

    [Fact]
    public void High_resolution_data_answers_sub_minute_periods()
    {
        Put("Clicks", T0.AddSeconds(1), 1, resolution: 1);
        Put("Clicks", T0.AddSeconds(12), 2, resolution: 1);
        Put("Clicks", T0.AddSeconds(14), 3, resolution: 1);

        var tenSeconds = Statistics("Clicks", T0, T0.AddMinutes(1), 10);

        Assert.Equal([T0, T0.AddSeconds(10)], tenSeconds.Select(p => p.Start));
        Assert.Equal([1.0, 5.0], tenSeconds.Select(p => p.Aggregate.Sum));
    }

    [Fact]
    public void Fifty_thousand_published_points_are_all_aggregated_in_the_background()
    {
        // How fast publishing returns is measured by bench/run, not asserted here.
        var at = _clock.GetUtcNow().AddMinutes(-1);
        for (var i = 0; i < 50_000; i++)
            _cloudWatch.Publish(new MetricDatum(_call.AccountId, _call.Region, "AWS/Lambda", "Invocations", [KeyValuePair.Create("FunctionName", "busy")], 1, "Count", at));

        var metric = MetricIdentity.Create(_call.AccountId, _call.Region, "AWS/Lambda", "Invocations", [new MetricDimension("FunctionName", "busy")]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        double Sum() => _cloudWatch.Statistics(metric, at.AddMinutes(-1), at.AddMinutes(1), 60).Sum(p => p.Aggregate.Sum);
        while (Sum() < 50_000 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal(50_000, Sum());
    }

    [Fact]
    public void Validation_refuses_the_whole_batch()
    {
        var good = new MetricDataInput("Fine", [], T0, 1, null, [], [], null, 60);
        var bad = new MetricDataInput("Both", [], T0, 1, new StatisticSet(1, 1, 1, 1), [], [], null, 60);

        var error = Assert.Throws<AwsException>(() => PutMetricData(_call, "Shop", [good, bad]));

        Assert.Equal("InvalidParameterCombination", error.Code);
        Assert.Empty(_cloudWatch.ListMetrics(_call, "Shop", null, [], false));
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => PutMetricData(_call, "Shop",
            [good with { Timestamp = _clock.GetUtcNow().AddDays(-15) }])).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => PutMetricData(_call, "AWS/Lambda", [good])).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => PutMetricData(_call, "Shop",
            [good with { Value = null, Values = [1, 2], Counts = [1] }])).Code);
    }

    [Fact]
    public async Task Alarms_move_OK_to_ALARM_and_back_and_invoke_their_Lambda_actions()
    {
        const string function = "arn:aws:lambda:us-east-1:111122223333:function:pager";
        _cloudWatch.PutMetricAlarm(_call, new MetricAlarm
        {
            AlarmName = "errors-high",
            AlarmArn = "",
            AccountId = _call.AccountId,
            Region = _call.Region,
            Namespace = "Shop",
            MetricName = "Errors",
            Dimensions = [Api],
            Statistic = "Sum",
            Period = 10,
            EvaluationPeriods = 2,
            DatapointsToAlarm = 2,
            Threshold = 5,
            ComparisonOperator = "GreaterThanThreshold",
            TreatMissingData = "notBreaching",
            AlarmActions = [function],
            OKActions = [function],
        });
        var start = T0.AddMinutes(30);
        Assert.Equal(AlarmStates.InsufficientData, Alarm().StateValue);

        _clock.SetUtcNow(start.AddSeconds(20));
        Evaluate();
        Assert.Equal(AlarmStates.Ok, Alarm().StateValue);

        Put("Errors", start.AddSeconds(21), 9, resolution: 1);
        _clock.SetUtcNow(start.AddSeconds(30));
        Evaluate();
        Assert.Equal(AlarmStates.Ok, Alarm().StateValue);

        Put("Errors", start.AddSeconds(31), 6, resolution: 1);
        _clock.SetUtcNow(start.AddSeconds(40));
        Evaluate();
        var alarmed = Alarm();
        Assert.Equal(AlarmStates.Alarm, alarmed.StateValue);
        Assert.Contains("2 out of the last 2 datapoints", alarmed.StateReason);
        Assert.Contains("greater than the threshold (5)", alarmed.StateReason);

        _clock.SetUtcNow(start.AddSeconds(60));
        Evaluate();
        Assert.Equal(AlarmStates.Ok, Alarm().StateValue);

        var history = _cloudWatch.DescribeAlarmHistory(_call, "errors-high", [], "StateUpdate", null, null, ascending: true);
        var alarmData = JsonNode.Parse(history[1].HistoryData)!["newState"]!;
        Assert.Equal("ALARM", alarmData["stateValue"]!.GetValue<string>());
        Assert.Equal("[9,6]", alarmData["stateReasonData"]!["recentDatapoints"]!.ToJsonString());
        Assert.DoesNotContain("\\u", history[1].HistoryData);
        Assert.Equal(["Alarm updated from INSUFFICIENT_DATA to OK", "Alarm updated from OK to ALARM", "Alarm updated from ALARM to OK"],
            history.Select(h => h.HistorySummary));

        // OK actions run on INSUFFICIENT_DATA -> OK too, as on AWS.
        var invocations = await _lambda.WaitForCountAsync(3);
        Assert.Equal(3, invocations.Count);
        Assert.All(invocations, i => Assert.Equal(function, i.Function));
        Assert.Equal(["ALARM", "OK", "OK"], invocations.Select(i => JsonNode.Parse(i.Payload.Span)!["alarmData"]!["state"]!["value"]!.GetValue<string>()).Order().ToList());
        Assert.All(invocations, i => Assert.Equal("aws.cloudwatch", JsonNode.Parse(i.Payload.Span)!["source"]!.GetValue<string>()));
    }

    [Fact]
    public void Metric_math_alarms_evaluate_their_returned_expression()
    {
        var start = T0.AddMinutes(30);
        Put("Errors", start.AddSeconds(-50), 3);
        Put("Requests", start.AddSeconds(-50), 10);
        _cloudWatch.PutMetricAlarm(_call, new MetricAlarm
        {
            AlarmName = "error-rate", AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, EvaluationPeriods = 1, Threshold = 25,
            ComparisonOperator = "GreaterThanThreshold",
            Metrics =
            [
                new MetricDataQuery("errors", new MetricStatQuery("Shop", "Errors", [Api], 60, "Sum", null), null, null, false, null),
                new MetricDataQuery("requests", new MetricStatQuery("Shop", "Requests", [Api], 60, "Sum", null), null, null, false, null),
                new MetricDataQuery("rate", null, "100 * errors / requests", "Error rate", true, null),
            ],
        });

        _clock.SetUtcNow(start);
        _cloudWatch.EvaluateAlarm(Assert.Single(_cloudWatch.DescribeAlarms(_call, ["error-rate"], null, null, null)));

        var alarm = Assert.Single(_cloudWatch.DescribeAlarms(_call, ["error-rate"], null, null, null));
        Assert.Equal(AlarmStates.Alarm, alarm.StateValue);
        Assert.Contains("[30 (", alarm.StateReason);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => _cloudWatch.PutMetricAlarm(_call, alarm with
        {
            AlarmName = "two-outputs",
            Metrics = [.. alarm.Metrics.Select(q => q with { ReturnData = true })],
        })).Code);
    }

    [Theory]
    [InlineData("GreaterThanThreshold", 5, "OK")]
    [InlineData("GreaterThanThreshold", 6, "ALARM")]
    [InlineData("GreaterThanOrEqualToThreshold", 5, "ALARM")]
    [InlineData("LessThanThreshold", 5, "OK")]
    [InlineData("LessThanThreshold", 4, "ALARM")]
    [InlineData("LessThanOrEqualToThreshold", 5, "ALARM")]
    public void Comparison_operators_compare_the_statistic_with_the_threshold(string comparison, double value, string expected)
    {
        var start = T0.AddMinutes(30);
        Put("Level", start.AddSeconds(-30), value);
        _cloudWatch.PutMetricAlarm(_call, new MetricAlarm
        {
            AlarmName = "level", AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, Namespace = "Shop", MetricName = "Level",
            Dimensions = [Api], Statistic = "Maximum", Period = 60, EvaluationPeriods = 1, Threshold = 5, ComparisonOperator = comparison,
        });

        _clock.SetUtcNow(start);
        _cloudWatch.EvaluateAlarm(Assert.Single(_cloudWatch.DescribeAlarms(_call, ["level"], null, null, null)));

        Assert.Equal(expected, Assert.Single(_cloudWatch.DescribeAlarms(_call, ["level"], null, null, null)).StateValue);
    }

    [Fact]
    public void Missing_data_is_insufficient_unless_the_alarm_says_otherwise()
    {
        MetricAlarm Configured(string name, string treatMissing) => new()
        {
            AlarmName = name, AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, Namespace = "Shop", MetricName = "Quiet",
            Statistic = "Average", Period = 60, EvaluationPeriods = 1, Threshold = 1, ComparisonOperator = "GreaterThanOrEqualToThreshold",
            TreatMissingData = treatMissing,
        };
        foreach (var (name, mode) in new[] { ("missing", "missing"), ("breaching", "breaching"), ("not-breaching", "notBreaching"), ("ignore", "ignore") })
            _cloudWatch.PutMetricAlarm(_call, Configured(name, mode));

        foreach (var alarm in _cloudWatch.DescribeAlarms(_call, [], null, null, null)) _cloudWatch.EvaluateAlarm(alarm);

        var states = _cloudWatch.DescribeAlarms(_call, [], null, null, null).ToDictionary(a => a.AlarmName, a => a.StateValue);
        Assert.Equal(AlarmStates.InsufficientData, states["missing"]);
        Assert.Equal(AlarmStates.Alarm, states["breaching"]);
        Assert.Equal(AlarmStates.Ok, states["not-breaching"]);
        Assert.Equal(AlarmStates.InsufficientData, states["ignore"]);
    }

    [Fact]
    public async Task An_ALARM_action_a_mute_rule_held_back_still_runs_after_a_restart_once_the_rule_no_longer_mutes()
    {
        var directory = Directory.CreateTempSubdirectory("stratus-cloudwatch-").FullName;
        var pager = $"arn:aws:lambda:{_call.Region}:{_call.AccountId}:function:pager";
        try
        {
            using (var state = StateStore.Open(directory))
            using (var cloudWatch = new CloudWatchService(state, _clock, _lambda, NullLogger.Instance, alarmEvaluationInterval: TimeSpan.FromHours(1)))
            {
                cloudWatch.PutMetricAlarm(_call, new MetricAlarm
                {
                    AlarmName = "paged", AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, Namespace = "Shop", MetricName = "Errors",
                    Statistic = "Sum", Period = 60, EvaluationPeriods = 1, Threshold = 1, ComparisonOperator = "GreaterThanOrEqualToThreshold",
                    AlarmActions = [pager],
                });
                cloudWatch.PutAlarmMuteRule(_call, new AlarmMuteRuleInput("deploys", null, "cron(* * * * *)", "PT1M", null, ["paged"], null, null, []));
                cloudWatch.SetAlarmState(_call, "paged", AlarmStates.Alarm, "testing the mute", null);
                Assert.Empty(_lambda.Requests);
            }
            using (var state = StateStore.Open(directory))
            using (var cloudWatch = new CloudWatchService(state, _clock, _lambda, NullLogger.Instance, alarmEvaluationInterval: TimeSpan.FromHours(1)))
            {
                // Deleting the rule ends the mute: the action held before the restart runs now, as AWS documents.
                cloudWatch.DeleteAlarmMuteRule(_call, "deploys");
                var invoked = Assert.Single(await _lambda.WaitForCountAsync(1));
                Assert.Equal(pager, invoked.Function);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private MetricAlarm Alarm() => Assert.Single(_cloudWatch.DescribeAlarms(_call, ["errors-high"], null, null, null));

    private void Evaluate() => _cloudWatch.EvaluateAlarm(Alarm());
}
