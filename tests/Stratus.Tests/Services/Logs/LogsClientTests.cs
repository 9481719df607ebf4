using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>CloudWatch Logs through boto3 (with metric filters feeding CloudWatch), `aws logs filter-log-events` (v1) and `aws logs tail` (v2).</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsClientTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Boto3_round_trips_events_and_filters_them_with_patterns()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            logs.create_log_group(logGroupName="/app/orders", tags={"team": "shop"})
            for name in ["/app/payments", "/other/thing"]: logs.create_log_group(logGroupName=name)
            logs.put_retention_policy(logGroupName="/app/orders", retentionInDays=7)
            for stream in ["web-1", "web-2"]: logs.create_log_stream(logGroupName="/app/orders", logStreamName=stream)
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/app/orders", logStreamName="web-1", logEvents=[
                {"timestamp": now - 5000, "message": "INFO started"},
                {"timestamp": now - 4000, "message": '{"level": "ERROR", "latency": 250, "path": "/orders"}'},
                {"timestamp": now - 3000, "message": "ERROR Out of memory in worker"},
            ])
            logs.put_log_events(logGroupName="/app/orders", logStreamName="web-2", logEvents=[
                {"timestamp": now - 4500, "message": '{"level": "INFO", "latency": 20, "path": "/health"}'},
                {"timestamp": now - 2000, "message": "WARN slow request timeout=3s"},
            ])
            def messages(pattern, **kw):
                return [e["message"] for e in logs.filter_log_events(logGroupName="/app/orders", filterPattern=pattern, **kw)["events"]]
            out["all"] = [(e["logStreamName"], e["message"]) for e in logs.filter_log_events(logGroupName="/app/orders")["events"]]
            out["term"] = messages("ERROR")
            out["phrase"] = messages('"Out of memory"')
            out["either"] = messages("?WARN ?started")
            out["exclude"] = messages("ERROR -memory")
            out["json"] = messages('{ $.level = "ERROR" }')
            out["json_numbers"] = messages("{ $.latency > 100 || $.path = \"/health\" }")
            out["one_stream"] = messages("", logStreamNames=["web-2"])
            out["paged"] = sum(len(p["events"]) for p in logs.get_paginator("filter_log_events").paginate(logGroupName="/app/orders", PaginationConfig={"PageSize": 2}))
            head = logs.get_log_events(logGroupName="/app/orders", logStreamName="web-1", startFromHead=True, limit=2)
            rest = logs.get_log_events(logGroupName="/app/orders", logStreamName="web-1", nextToken=head["nextForwardToken"], limit=2)
            end = logs.get_log_events(logGroupName="/app/orders", logStreamName="web-1", nextToken=rest["nextForwardToken"], limit=2)
            out["get"] = [[e["message"] for e in head["events"]], [e["message"] for e in rest["events"]], len(end["events"]), end["nextForwardToken"] == rest["nextForwardToken"]]
            groups = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
            out["groups"] = [(g["logGroupName"], g.get("retentionInDays"), g["arn"]) for g in groups]
            out["group_pages"] = [len(p["logGroups"]) for p in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/app/", PaginationConfig={"PageSize": 1})]
            streams = logs.describe_log_streams(logGroupName="/app/orders", orderBy="LastEventTime", descending=True)["logStreams"]
            out["streams"] = [(s["logStreamName"], s["lastEventTimestamp"] - now) for s in streams]
            logs.tag_log_group(logGroupName="/app/orders", tags={"tier": "1"})
            logs.untag_log_group(logGroupName="/app/orders", tags=["tier"])
            out["tags"] = logs.list_tags_log_group(logGroupName="/app/orders")["tags"]
            out["rejected"] = logs.put_log_events(logGroupName="/app/orders", logStreamName="web-1", logEvents=[
                {"timestamp": now - 7 * 86400000 - 3600000, "message": "past retention"}, {"timestamp": now - 7 * 86400000 + 3600000, "message": "within retention"}]).get("rejectedLogEventsInfo")
            logs.put_metric_filter(logGroupName="/app/orders", filterName="errors", filterPattern="ERROR",
                metricTransformations=[{"metricName": "ErrorLines", "metricNamespace": "Orders/Logs", "metricValue": "1", "unit": "Count"}])
            out["filters"] = [(f["filterName"], f["metricTransformations"][0]["metricName"]) for f in logs.describe_metric_filters(logGroupName="/app/orders")["metricFilters"]]
            logs.put_log_events(logGroupName="/app/orders", logStreamName="web-2", logEvents=[{"timestamp": now + 1, "message": "ERROR a"}, {"timestamp": now + 2, "message": "ERROR b"}, {"timestamp": now + 3, "message": "fine"}])
            cw = client("cloudwatch")
            import datetime
            window = dict(StartTime=datetime.datetime.fromtimestamp(now / 1000 - 120, datetime.timezone.utc), EndTime=datetime.datetime.fromtimestamp(now / 1000 + 120, datetime.timezone.utc))
            deadline = time.time() + 10
            while time.time() < deadline:
                points = cw.get_metric_statistics(Namespace="Orders/Logs", MetricName="ErrorLines", Period=300, Statistics=["Sum"], **window)["Datapoints"]
                if points: break
                time.sleep(0.2)
            out["error_lines"] = [p["Sum"] for p in points]
            out["tested"] = [m["eventNumber"] for m in logs.test_metric_filter(filterPattern="[ip, user, status = 5*, bytes]",
                logEventMessages=["1.2.3.4 bob 503 10", "1.2.3.4 bob 200 10", "5.6.7.8 ann 500 99"])["matches"]]
            out["err_order"] = error(logs.put_log_events, logGroupName="/app/orders", logStreamName="web-1", logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
            out["err_exists"] = error(logs.create_log_group, logGroupName="/app/orders")
            out["err_missing"] = error(logs.get_log_events, logGroupName="/app/none", logStreamName="x")
            out["err_order_by"] = error(logs.describe_log_streams, logGroupName="/app/orders", orderBy="LastEventTime", logStreamNamePrefix="web")
            out["err_pattern"] = error(logs.filter_log_events, logGroupName="/app/orders", filterPattern="{ $.level = ")
            out["err_retention"] = error(logs.put_retention_policy, logGroupName="/app/orders", retentionInDays=2)
            logs.delete_log_group(logGroupName="/app/payments")
            out["after_delete"] = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]]
            """);

        const string errorJson = "{\"level\": \"ERROR\", \"latency\": 250, \"path\": \"/orders\"}";
        const string infoJson = "{\"level\": \"INFO\", \"latency\": 20, \"path\": \"/health\"}";
        Assert.Equal(["web-1: INFO started", "web-2: " + infoJson, "web-1: " + errorJson, "web-1: ERROR Out of memory in worker", "web-2: WARN slow request timeout=3s"],
            result["all"]!.AsArray().Select(e => e![0]!.GetValue<string>() + ": " + e[1]!.GetValue<string>()));
        Assert.Equal([errorJson, "ERROR Out of memory in worker"], Strings(result["term"]));
        Assert.Equal(["ERROR Out of memory in worker"], Strings(result["phrase"]));
        Assert.Equal(["INFO started", "WARN slow request timeout=3s"], Strings(result["either"]));
        Assert.Equal([errorJson], Strings(result["exclude"]));
        Assert.Equal([errorJson], Strings(result["json"]));
        Assert.Equal(2, result["json_numbers"]!.AsArray().Count);
        Assert.Equal(2, result["one_stream"]!.AsArray().Count);
        Assert.Equal(5, result["paged"]!.GetValue<int>());
        Assert.Equal(["INFO started", errorJson], Strings(result["get"]![0]));
        Assert.Equal(["ERROR Out of memory in worker"], Strings(result["get"]![1]));
        Assert.Equal(0, result["get"]![2]!.GetValue<int>());
        Assert.True(result["get"]![3]!.GetValue<bool>());
        Assert.Equal("""[["/app/orders",7,"arn:aws:logs:us-east-1:000000000000:log-group:/app/orders:*"],["/app/payments",null,"arn:aws:logs:us-east-1:000000000000:log-group:/app/payments:*"]]""",
            result["groups"]!.ToJsonString());
        Assert.Equal("[1,1]", result["group_pages"]!.ToJsonString());
        Assert.Equal("""[["web-2",-2000],["web-1",-3000]]""", result["streams"]!.ToJsonString());
        Assert.Equal("""{"team":"shop"}""", result["tags"]!.ToJsonString());
        Assert.Equal("""{"expiredLogEventEndIndex":1}""", result["rejected"]!.ToJsonString());
        Assert.Equal("[1,3]", result["tested"]!.ToJsonString());
        Assert.Equal("""[["errors","ErrorLines"]]""", result["filters"]!.ToJsonString());
        Assert.Equal("[2]", result["error_lines"]!.ToJsonString());
        AssertError(result["err_order"], "InvalidParameterException", "chronological order");
        AssertError(result["err_exists"], "ResourceAlreadyExistsException", "already exists");
        AssertError(result["err_missing"], "ResourceNotFoundException", "log group does not exist");
        AssertError(result["err_order_by"], "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.");
        AssertError(result["err_pattern"], "InvalidParameterException", "filter pattern");
        AssertError(result["err_retention"], "InvalidParameterException", "retentionInDays");
        Assert.Equal("""["/app/orders"]""", result["after_delete"]!.ToJsonString());
    }

    [Fact]
    public async Task The_aws_CLI_filters_and_tails_a_group_and_follows_new_events()
    {
        await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            logs.create_log_group(logGroupName="/aws/lambda/seed")
            logs.create_log_stream(logGroupName="/aws/lambda/seed", logStreamName="2026/11/24/[$LATEST]abc123")
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/aws/lambda/seed", logStreamName="2026/11/24/[$LATEST]abc123", logEvents=[
                {"timestamp": now - 3000, "message": "START RequestId: 11111111-2222 Version: $LATEST"},
                {"timestamp": now - 2000, "message": "END RequestId: 11111111-2222"},
                {"timestamp": now - 1000, "message": "REPORT RequestId: 11111111-2222\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 150.00 ms"},
            ])
            """);

        var filtered = await Clients.AwsAsync(stratus.Url, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/seed",
            "--filter-pattern", "REPORT", "--query", "events[].message", "--output", "text");
        Assert.True(filtered.ExitCode == 0, filtered.ToString());
        Assert.StartsWith("REPORT RequestId: 11111111-2222", filtered.Stdout.Trim());

        var tail = await Clients.RunAsync(AwsCliV2.Path, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "logs", "tail", "/aws/lambda/seed", "--since", "1h"],
            stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(tail.ExitCode == 0, tail.ToString());
        var lines = tail.Stdout.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains("2026/11/24/[$LATEST]abc123 START RequestId: 11111111-2222", lines[0]);
        Assert.Contains("END RequestId: 11111111-2222", lines[1]);
        Assert.Contains("Billed Duration: 13 ms", lines[2]);

        await AssertFollowPrintsNewEventsAsync();
    }

    private async Task AssertFollowPrintsNewEventsAsync()
    {
        var start = new ProcessStartInfo(AwsCliV2.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--endpoint-url", stratus.Url, "--region", "us-east-1", "logs", "tail", "/aws/lambda/seed", "--follow", "--format", "short" })
            start.ArgumentList.Add(arg);
        start.Environment["AWS_ACCESS_KEY_ID"] = "test";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        start.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        var output = new StringBuilder();
        using var follow = Process.Start(start)!;
        follow.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        follow.BeginOutputReadLine();
        try
        {
            await Clients.Boto3Async(stratus.Url, """
                logs = client("logs")
                time.sleep(1)
                logs.put_log_events(logGroupName="/aws/lambda/seed", logStreamName="2026/11/24/[$LATEST]abc123",
                    logEvents=[{"timestamp": int(time.time() * 1000), "message": "START RequestId: 33333333-4444 Version: $LATEST"}])
                """);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !Snapshot().Contains("33333333-4444")) await Task.Delay(200);
            var printed = Snapshot();
            Assert.Contains("START RequestId: 33333333-4444", printed);
            Assert.Single(printed.Split('\n'), l => l.Contains("START RequestId: 11111111-2222"));
        }
        finally
        {
            follow.Kill(entireProcessTree: true);
            await follow.WaitForExitAsync();
        }

        string Snapshot()
        {
            lock (output) return output.ToString();
        }
    }

    private static IEnumerable<string> Strings(JsonNode? list) => list!.AsArray().Select(m => m!.GetValue<string>());

    private static void AssertError(JsonNode? error, string code, string messagePart)
    {
        Assert.NotNull(error);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Contains(messagePart, error["message"]!.GetValue<string>());
        Assert.Equal(400, error["status"]!.GetValue<int>());
    }
}
