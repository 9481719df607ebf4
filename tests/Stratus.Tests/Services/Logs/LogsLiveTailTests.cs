using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// StartLiveTail through boto3 (and the JavaScript SDK v3): the session start, updates carrying what another thread writes
/// that the streams and filter pattern select, the session ending when the client closes its stream, and the input AWS refuses.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsLiveTailTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>A Live Tail client as a user sets one up against Stratus: the SDK's `stream-` host prefix turned off.</summary>
    private const string TailClient = """
        import threading
        def tail_client(region="us-east-1", **config):
            return boto3.client("logs", endpoint_url=URL, region_name=region, aws_access_key_id="test", aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}, read_timeout=60, **config))

        """;

    [Fact]
    public async Task A_session_starts_and_its_updates_carry_the_events_written_meanwhile_that_its_streams_and_pattern_select()
    {
        var result = await Clients.Boto3Async(stratus.Url, TailClient + """
            logs = client("logs")
            for group in ["/tail/orders", "/tail/other"]:
                logs.create_log_group(logGroupName=group)
                for stream in ["web-1", "worker-1"]: logs.create_log_stream(logGroupName=group, logStreamName=stream)
            arn = logs.describe_log_groups(logGroupNamePrefix="/tail/orders")["logGroups"][0]["logGroupArn"]
            tail = tail_client(inject_host_prefix=False)
            response = tail.start_live_tail(logGroupIdentifiers=[arn], logStreamNamePrefixes=["web"], logEventFilterPattern="ERROR")
            stream = response["responseStream"]
            events = iter(stream)
            out["start"] = next(events)["sessionStart"]

            def write():
                def put(group, stream, *messages):
                    now = int(time.time() * 1000)
                    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
                put("/tail/orders", "web-1", "INFO all good", "ERROR card declined")
                put("/tail/orders", "worker-1", "ERROR in a stream the prefix leaves out")
                put("/tail/other", "web-1", "ERROR in a group the session does not name")
                put("/tail/orders", "web-1", "ERROR last")
            writer = threading.Thread(target=write)
            writer.start()
            seen, updates = [], 0
            deadline = time.time() + 90
            for event in events:
                update = event["sessionUpdate"]
                updates += 1
                out["sampled"] = update["sessionMetadata"]["sampled"]
                seen += [{"group": e["logGroupIdentifier"], "stream": e["logStreamName"], "message": e["message"],
                          "times": isinstance(e["timestamp"], int) and e["ingestionTime"] >= e["timestamp"] - 10_000} for e in update["sessionResults"]]
                if any(s["message"] == "ERROR last" for s in seen) or time.time() > deadline: break
            writer.join()
            stream.close()
            out["seen"], out["updates"], out["arn"] = seen, updates, arn
            """);

        var start = result["start"]!;
        Assert.Equal($"""["{(string)result["arn"]!}"]""", start["logGroupIdentifiers"]!.ToJsonString());
        Assert.Equal("""["web"]""", start["logStreamNamePrefixes"]!.ToJsonString());
        Assert.Null(start["logStreamNames"]);
        Assert.Equal("ERROR", (string)start["logEventFilterPattern"]!);
        Assert.False(string.IsNullOrEmpty((string?)start["sessionId"]));
        Assert.False(string.IsNullOrEmpty((string?)start["requestId"]));
        Assert.True((int)result["updates"]! >= 1);
        Assert.False((bool)result["sampled"]!);
        var arn = (string)result["arn"]!;
        Assert.Equal(new JsonArray(
                new JsonObject { ["group"] = arn, ["stream"] = "web-1", ["message"] = "ERROR card declined", ["times"] = true },
                new JsonObject { ["group"] = arn, ["stream"] = "web-1", ["message"] = "ERROR last", ["times"] = true }).ToJsonString(),
            result["seen"]!.ToJsonString());
    }

    [Fact]
    public async Task A_session_whose_client_closed_its_stream_no_longer_counts_against_the_accounts_fifteen()
    {
        var result = await Clients.Boto3Async(stratus.Url, TailClient + """
            client("logs", region="eu-west-1").create_log_group(logGroupName="/tail/quota")
            tail = tail_client(region="eu-west-1", inject_host_prefix=False, max_pool_connections=20)
            def start():
                stream = tail.start_live_tail(logGroupIdentifiers=["/tail/quota"])["responseStream"]
                next(iter(stream))
                return stream
            sessions = [start() for _ in range(15)]
            out["sixteenth"] = error(tail.start_live_tail, logGroupIdentifiers=["/tail/quota"])
            for stream in sessions: stream.close()
            # The server ends a session once it sees the connection closed; poll until the account's sessions are free again.
            deadline, sessions = time.time() + 60, []
            while time.time() < deadline and len(sessions) < 15:
                try:
                    sessions.append(start())
                except botocore.exceptions.ClientError as e:
                    out["while_closing"] = e.response["Error"]["Code"]
                    time.sleep(0.5)
            out["started_again"] = len(sessions)
            for stream in sessions: stream.close()
            """);

        Assert.Equal("LimitExceededException", (string)result["sixteenth"]!["code"]!);
        Assert.Equal("The account has reached its limit of 15 concurrent Live Tail sessions.", (string)result["sixteenth"]!["message"]!);
        Assert.Equal(15, (int)result["started_again"]!);
    }

    [Fact]
    public async Task Boto3_with_its_default_stream_host_prefix_is_served_when_the_prefixed_name_resolves_to_Stratus()
    {
        var result = await Clients.Boto3Async(stratus.Url, TailClient + """
            import socket, urllib.parse
            # What an /etc/hosts line "127.0.0.1 stream-localhost" does for a user, here for this process only.
            real_getaddrinfo = socket.getaddrinfo
            socket.getaddrinfo = lambda host, *a, **kw: real_getaddrinfo("127.0.0.1" if host == "stream-localhost" else host, *a, **kw)
            URL = urllib.parse.urlsplit(URL)._replace(netloc="localhost:" + str(urllib.parse.urlsplit(URL).port)).geturl()
            client("logs").create_log_group(logGroupName="/tail/prefixed")
            tail = tail_client()
            out["host"] = []
            tail.meta.events.register("before-send.cloudwatch-logs.StartLiveTail", lambda request, **kw: out["host"].append(urllib.parse.urlsplit(request.url).hostname))
            stream = tail.start_live_tail(logGroupIdentifiers=["/tail/prefixed"])["responseStream"]
            out["first"] = list(next(iter(stream)))
            stream.close()
            """);

        Assert.Equal("""["stream-localhost"]""", result["host"]!.ToJsonString());
        Assert.Equal("""["sessionStart"]""", result["first"]!.ToJsonString());
    }

    [Fact]
    public async Task StartLiveTail_refuses_what_AWS_refuses_before_any_stream_begins()
    {
        var result = await Clients.Boto3Async(stratus.Url, TailClient + """
            logs = client("logs")
            for group in ["/tail/a", "/tail/b"]: logs.create_log_group(logGroupName=group)
            tail = tail_client(inject_host_prefix=False)
            out["both"] = error(tail.start_live_tail, logGroupIdentifiers=["/tail/a"], logStreamNames=["x"], logStreamNamePrefixes=["y"])
            out["two_groups_with_streams"] = error(tail.start_live_tail, logGroupIdentifiers=["/tail/a", "/tail/b"], logStreamNames=["x"])
            out["eleven"] = error(tail.start_live_tail, logGroupIdentifiers=["/tail/a"] * 11)
            out["missing"] = error(tail.start_live_tail, logGroupIdentifiers=["/tail/none"])
            out["star"] = error(tail.start_live_tail, logGroupIdentifiers=["arn:aws:logs:us-east-1:000000000000:log-group:/tail/a:*"])
            out["other_account"] = error(tail.start_live_tail, logGroupIdentifiers=["arn:aws:logs:us-east-1:111111111111:log-group:/tail/a"])
            out["pattern"] = error(tail.start_live_tail, logGroupIdentifiers=["/tail/a"], logEventFilterPattern="{ $.x = ")
            """);

        Assert.Equal("InvalidParameterException", (string)result["both"]!["code"]!);
        Assert.Equal("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.", (string)result["both"]!["message"]!);
        Assert.Equal("InvalidParameterException", (string)result["two_groups_with_streams"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["eleven"]!["code"]!);
        Assert.Contains("at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length less than or equal to 10", (string)result["eleven"]!["message"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["missing"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["star"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["other_account"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["pattern"]!["code"]!);
    }

    [Fact]
    public async Task The_JavaScript_SDK_reads_a_session_with_disableHostPrefix()
    {
        var seen = await Clients.JsSdkAsync(stratus.Url, "client-cloudwatch-logs", "logs-live-tail.mjs");

        Assert.Equal("/js/tail", (string)seen["start"]!["logGroupIdentifiers"]![0]!);
        Assert.Equal("""["ERROR from js"]""", seen["messages"]!.ToJsonString());
    }
}
