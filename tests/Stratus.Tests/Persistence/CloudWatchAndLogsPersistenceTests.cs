using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Persistence;

/// <summary>Metrics, alarms and log events survive a clean restart and, once acknowledged, a kill -9.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
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
        // No waiting: what PutMetricData and PutLogEvents acknowledged is on disk already.
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

    private const string WriteUntilKilled = """
        import threading
        cw, logs = client("cloudwatch"), client("logs")
        logs.create_log_group(logGroupName="/durable")
        acked = {}
        def write(n):
            stream = f"t{n}"
            acked[stream] = {"events": [], "points": 0}
            logs.create_log_stream(logGroupName="/durable", logStreamName=stream)
            for i in range(100000):
                try:
                    logs.put_log_events(logGroupName="/durable", logStreamName=stream, logEvents=[{"timestamp": int(time.time() * 1000), "message": f"{stream}-{i}"}])
                    acked[stream]["events"].append(f"{stream}-{i}")
                    cw.put_metric_data(Namespace="Durable", MetricData=[{"MetricName": "Calls", "Value": 1, "Dimensions": [{"Name": "Thread", "Value": stream}]}])
                    acked[stream]["points"] += 1
                except Exception:
                    return
        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        out["acked"] = acked
        """;

    private const string ReadDurable = """
        import datetime
        cw, logs = client("cloudwatch"), client("logs")
        now = datetime.datetime.now(datetime.timezone.utc)
        for n in range(8):
            stream = f"t{n}"
            kwargs, events = {"logGroupName": "/durable", "logStreamName": stream, "startFromHead": True}, []
            while True:
                page = logs.get_log_events(**kwargs)
                events += [e["message"] for e in page["events"]]
                if not page["events"]: break
                kwargs["nextToken"] = page["nextForwardToken"]
            points = cw.get_metric_statistics(Namespace="Durable", MetricName="Calls", Dimensions=[{"Name": "Thread", "Value": stream}],
                Period=3600, StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=5), Statistics=["SampleCount"])["Datapoints"]
            out[stream] = {"events": events, "points": sum(p["SampleCount"] for p in points)}
        """;

    [Fact]
    public async Task Nothing_acknowledged_is_lost_to_a_kill_during_concurrent_writes()
    {
        var writer = Clients.Boto3Async(_server.Url, WriteUntilKilled);
        await WaitForEventsAsync(_server.Url, "t0", atLeast: 30);
        await _server.KillAsync();
        var acked = (await writer)["acked"]!.AsObject();

        await _server.RestartAsync();

        var stored = await Clients.Boto3Async(_server.Url, ReadDurable);
        var total = 0;
        foreach (var (stream, sent) in acked)
        {
            var ackedEvents = sent!["events"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
            var storedEvents = stored[stream]!["events"]!.AsArray().Select(e => e!.GetValue<string>()).ToHashSet();
            foreach (var e in ackedEvents) Assert.Contains(e, storedEvents);
            // The one call in flight at the kill may have been committed without its answer arriving.
            Assert.InRange(stored[stream]!["points"]!.GetValue<double>(), sent["points"]!.GetValue<int>(), sent["points"]!.GetValue<int>() + 1);
            total += ackedEvents.Count;
        }
        Assert.True(total >= 30, $"only {total} events were acknowledged before the kill");
    }

    [Fact]
    public async Task A_deleted_log_stream_stays_deleted_after_kill_and_restart()
    {
        // The events are in the journal only (the kill comes before the once-a-second fold), so it is the journaled
        // removal that keeps them from coming back under a stream created again with the same name.
        await Clients.Boto3Async(_server.Url, """
            logs = client("logs")
            logs.create_log_group(logGroupName="/deleted")
            for name in ["gone", "kept"]:
                logs.create_log_stream(logGroupName="/deleted", logStreamName=name)
                logs.put_log_events(logGroupName="/deleted", logStreamName=name, logEvents=[{"timestamp": int(time.time() * 1000), "message": "from " + name}])
            logs.delete_log_stream(logGroupName="/deleted", logStreamName="gone")
            """);
        await _server.KillAsync();
        await _server.RestartAsync();

        var result = await Clients.Boto3Async(_server.Url, """
            logs = client("logs")
            out["streams"] = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/deleted")["logStreams"]]
            logs.create_log_stream(logGroupName="/deleted", logStreamName="gone")
            out["gone"] = [e["message"] for e in logs.get_log_events(logGroupName="/deleted", logStreamName="gone", startFromHead=True)["events"]]
            out["kept"] = [e["message"] for e in logs.get_log_events(logGroupName="/deleted", logStreamName="kept", startFromHead=True)["events"]]
            out["filtered"] = [e["message"] for e in logs.filter_log_events(logGroupName="/deleted")["events"]]
            """);
        Assert.Equal("""["kept"]""", result["streams"]!.ToJsonString());
        Assert.Equal("[]", result["gone"]!.ToJsonString());
        Assert.Equal("""["from kept"]""", result["kept"]!.ToJsonString());
        Assert.Equal("""["from kept"]""", result["filtered"]!.ToJsonString());
    }

    /// <summary>Waits until a writer's stream holds some events, however long Python takes to start on a busy machine.</summary>
    private static async Task WaitForEventsAsync(string url, string stream, int atLeast)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url + "/")
            {
                Content = new StringContent($$"""{"logGroupName":"/durable","logStreamName":"{{stream}}","startFromHead":true}"""),
            };
            request.Headers.Add("X-Amz-Target", "Logs_20140328.GetLogEvents");
            request.Content.Headers.ContentType = new("application/x-amz-json-1.1");
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && System.Text.RegularExpressions.Regex.Matches(body, "\"message\"").Count >= atLeast) return;
            await Task.Delay(50);
        }
        Assert.Fail($"fewer than {atLeast} events were written within two minutes");
    }
}
