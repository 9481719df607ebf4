using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Integration;

/// <summary>Metrics, alarms and log events survive a clean restart and, once flushed, a kill -9.</summary>
public sealed class CloudWatchAndLogsPersistenceTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Write = """
        import datetime
        tag = sys.argv[1] if len(sys.argv) > 1 else "{TAG}"
        cw, logs = client("cloudwatch"), client("logs")
        at = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=2)
        cw.put_metric_data(Namespace="Persist", MetricData=[{"MetricName": "Orders", "Timestamp": at, "Values": [5, 50], "Counts": [3, 1], "Dimensions": [{"Name": "Batch", "Value": tag}]}])
        cw.put_metric_alarm(AlarmName="alarm-" + tag, Namespace="Persist", MetricName="Orders", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1000,
            ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore")
        cw.set_alarm_state(AlarmName="alarm-" + tag, StateValue="ALARM", StateReason="set by the test")
        if error(logs.create_log_group, logGroupName="/persist") is None:
            logs.put_retention_policy(logGroupName="/persist", retentionInDays=30)
        logs.create_log_stream(logGroupName="/persist", logStreamName=tag)
        logs.put_log_events(logGroupName="/persist", logStreamName=tag, logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello from " + tag}])
        """;

    private const string Read = """
        import datetime
        cw, logs = client("cloudwatch"), client("logs")
        now = datetime.datetime.now(datetime.timezone.utc)
        for tag in ["killed", "restarted"]:
            points = cw.get_metric_statistics(Namespace="Persist", MetricName="Orders", Dimensions=[{"Name": "Batch", "Value": tag}], Period=300,
                StartTime=now - datetime.timedelta(minutes=10), EndTime=now, ExtendedStatistics=["p99"])["Datapoints"]
            sums = cw.get_metric_statistics(Namespace="Persist", MetricName="Orders", Dimensions=[{"Name": "Batch", "Value": tag}], Period=300,
                StartTime=now - datetime.timedelta(minutes=10), EndTime=now, Statistics=["Sum", "SampleCount"])["Datapoints"]
            alarms = cw.describe_alarms(AlarmNames=["alarm-" + tag])["MetricAlarms"]
            events = logs.get_log_events(logGroupName="/persist", logStreamName=tag, startFromHead=True)["events"] if error(logs.get_log_events, logGroupName="/persist", logStreamName=tag) is None else []
            out[tag] = {
                "sum": [p["Sum"] for p in sums], "count": [p["SampleCount"] for p in sums], "p99": [p["ExtendedStatistics"]["p99"] for p in points],
                "alarm": [a["StateValue"] + ": " + a["StateReason"] for a in alarms],
                "events": [e["message"] for e in events],
            }
        out["retention"] = logs.describe_log_groups(logGroupNamePrefix="/persist")["logGroups"][0].get("retentionInDays")
        out["metrics"] = sorted(d["Value"] for m in cw.list_metrics(Namespace="Persist")["Metrics"] for d in m["Dimensions"])
        """;

    [Fact]
    public async Task Monitoring_data_survives_kill_and_restart()
    {
        await Clients.Boto3Async(_server.Url, Write.Replace("{TAG}", "killed"));
        // Metric and log data are written in batches every second or two; wait for that, then die hard.
        await Task.Delay(TimeSpan.FromSeconds(4));
        await _server.KillAsync();
        await _server.RestartAsync();

        await Clients.Boto3Async(_server.Url, Write.Replace("{TAG}", "restarted"));
        await _server.RestartAsync();

        var result = await Clients.Boto3Async(_server.Url, Read);
        foreach (var tag in new[] { "killed", "restarted" })
        {
            var data = result[tag]!;
            Assert.Equal("[65]", data["sum"]!.ToJsonString());
            Assert.Equal("[4]", data["count"]!.ToJsonString());
            Assert.Equal("[50]", data["p99"]!.ToJsonString());
            Assert.Equal($$"""["ALARM: set by the test"]""", data["alarm"]!.ToJsonString());
            Assert.Equal($$"""["hello from {{tag}}"]""", data["events"]!.ToJsonString());
        }
        Assert.Equal(30, result["retention"]!.GetValue<int>());
        Assert.Equal("""["killed","restarted"]""", result["metrics"]!.ToJsonString());
    }
}
