using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Multi-time-series alarms on Metrics Insights queries, evaluated on a fake clock: contributors join, leave, and survive a restart.</summary>
public sealed class MetricsInsightsAlarmTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly Scope _call = TestCalls.Call();
    private readonly string _directory = Directory.CreateTempSubdirectory("stratus-insights-alarms-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CloudWatchService Open(StateStore state) =>
        new(state, _clock, new RecordingLambda(), NullLogger.Instance, alarmEvaluationInterval: TimeSpan.FromHours(1));

    private void Put(CloudWatchService cloudWatch, string host, DateTimeOffset at, double value) =>
        cloudWatch.PutMetricDataAsync(_call, "Shop", [new MetricDataInput("Latency", [new MetricDimension("Host", host)], at, value, null, [], [], "Milliseconds", 60)])
            .GetAwaiter().GetResult();

    private MetricAlarm Alarm(CloudWatchService cloudWatch) => Assert.Single(cloudWatch.DescribeAlarms(_call, ["hosts"], null, null, null));

    private void Evaluate(CloudWatchService cloudWatch, DateTimeOffset at)
    {
        _clock.SetUtcNow(at);
        cloudWatch.EvaluateAlarm(Alarm(cloudWatch));
    }

    [Fact]
    public void Contributors_join_and_leave_with_their_series_and_survive_a_restart()
    {
        using (var state = StateStore.Open(_directory))
        using (var cloudWatch = Open(state))
        {
            Put(cloudWatch, "a", T0.AddSeconds(-30), 90);
            Put(cloudWatch, "b", T0.AddSeconds(-30), 10);
            cloudWatch.PutMetricAlarm(_call, new MetricAlarm
            {
                AlarmName = "hosts", AlarmArn = "", AccountId = _call.AccountId, Region = _call.Region, EvaluationPeriods = 1, Threshold = 50,
                ComparisonOperator = "GreaterThanThreshold", TreatMissingData = "notBreaching",
                Metrics = [new MetricDataQuery("q1", null, "SELECT MAX(Latency) FROM SCHEMA(Shop, Host) GROUP BY Host", null, true, 60)],
            });

            Evaluate(cloudWatch, T0);
            var alarm = Alarm(cloudWatch);
            Assert.Equal(AlarmStates.Alarm, alarm.StateValue);
            Assert.Equal("1 out of 2 time series evaluated to ALARM", alarm.StateReason);
            var a = Assert.Single(cloudWatch.DescribeAlarmContributors(_call, "hosts", null));
            Assert.Equal(new Dictionary<string, string> { ["Host"] = "a" }, a.Attributes);
            Assert.Equal(T0, a.StateTransitionedTimestamp);

            Put(cloudWatch, "b", T0.AddSeconds(30), 80);
            Evaluate(cloudWatch, T0.AddMinutes(1));
        }

        using (var state = StateStore.Open(_directory))
        using (var cloudWatch = Open(state))
        {
            var b = Assert.Single(cloudWatch.DescribeAlarmContributors(_call, "hosts", null));
            Assert.Equal("b", b.Attributes["Host"]);
            Assert.Equal("1 out of 1 time series evaluated to ALARM", Alarm(cloudWatch).StateReason);
            Assert.Equal(AlarmStates.Alarm, Alarm(cloudWatch).StateValue);

            Evaluate(cloudWatch, T0.AddMinutes(3));
            Assert.Equal(AlarmStates.Ok, Alarm(cloudWatch).StateValue);
            Assert.Empty(cloudWatch.DescribeAlarmContributors(_call, "hosts", null));

            var history = cloudWatch.DescribeAlarmHistory(_call, "hosts", [], "StateUpdate", null, null, ascending: true);
            Assert.Equal(new (string?, string)[]
            {
                ("a", "Contributor updated from OK to ALARM"), (null, "Alarm updated from INSUFFICIENT_DATA to ALARM"),
                ("b", "Contributor updated from OK to ALARM"), ("a", "Contributor updated from ALARM to OK"),
                ("b", "Contributor updated from ALARM to OK"), (null, "Alarm updated from ALARM to OK"),
            }, history.Select(h => (h.AlarmContributorAttributes?["Host"], h.HistorySummary)));
            Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => cloudWatch.DescribeAlarmContributors(_call, "nope", null)).Code);
            Assert.Equal("InvalidNextToken", Assert.Throws<AwsException>(() => cloudWatch.DescribeAlarmContributors(_call, "hosts", "x")).Code);
        }
    }
}
