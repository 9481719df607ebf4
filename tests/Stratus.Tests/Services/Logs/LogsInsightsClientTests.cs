using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>Logs Insights through boto3: events written with put_log_events, queried, and the answers computed again in Python from the events written.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsInsightsClientTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Boto3_queries_answer_what_the_written_events_say()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import random, datetime, collections
            logs = client("logs")
            random.seed(21)
            groups = ["/insights/api", "/insights/worker"]
            written = []
            base = (int(time.time()) - 1800) // 60 * 60 * 1000
            for group in groups:
                logs.create_log_group(logGroupName=group)
                logs.create_log_stream(logGroupName=group, logStreamName="s")
                batch = []
                for i in range(400):
                    ts = base + i * 1500 + random.randint(0, 999)
                    user = random.choice(["ann", "bob", "cid"])
                    msg = f"user={user} took {random.randint(1, 900)} ms" if i % 2 else json.dumps({"level": random.choice(["INFO", "ERROR"]), "http": {"status": random.choice([200, 500])}})
                    batch.append({"timestamp": ts, "message": msg})
                logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=batch)
                written += batch
            start, end = base // 1000, base // 1000 + 3600

            def run(query, **kw):
                qid = logs.start_query(logGroupNames=groups, startTime=start, endTime=end, queryString=query, **kw)["queryId"]
                deadline = time.time() + 30
                while True:
                    r = logs.get_query_results(queryId=qid)
                    if r["status"] not in ("Scheduled", "Running") or time.time() > deadline: break
                    time.sleep(0.1)
                return qid, r

            def fmt(ms):
                return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

            _, r = run("stats count(*) as n by bin(1m) as minute | sort minute asc")
            out["bin_status"] = r["status"]
            out["bin"] = [{f["field"]: f["value"] for f in row} for row in r["results"]]
            per_minute = collections.Counter(e["timestamp"] // 60000 * 60000 for e in written)
            out["bin_expected"] = [{"minute": fmt(m), "n": str(per_minute[m])} for m in sorted(per_minute)]
            out["bin_statistics"] = r["statistics"]
            out["bytes_expected"] = sum(len(e["message"].encode()) for e in written)

            qid, r = run('filter @message like "took" | parse @message "user=* took * ms" as who, ms | stats sum(ms) as total, count(*) as n by who | sort who')
            out["parse"] = [{f["field"]: f["value"] for f in row} for row in r["results"]]
            sums = collections.defaultdict(lambda: [0, 0])
            for e in written:
                if "took" in e["message"]:
                    parts = e["message"].split(" ")
                    sums[parts[0][5:]][0] += int(parts[2]); sums[parts[0][5:]][1] += 1
            out["parse_expected"] = [{"who": k, "total": str(v[0]), "n": str(v[1])} for k, v in sorted(sums.items())]
            out["parse_matched"] = r["statistics"]["recordsMatched"]

            _, r = run("filter level = \"ERROR\" and http.status = 500 | fields @timestamp, @logStream | limit 5", limit=3)
            out["json_rows"] = [[f["field"] for f in row] for row in r["results"]]
            out["described"] = [q["status"] for q in logs.describe_queries(logGroupName=groups[0])["queries"] if q["queryId"] == qid]
            out["stopped"] = logs.stop_query(queryId=qid)["success"]

            qd = logs.put_query_definition(name="errors/by-minute", queryString="stats count(*) by bin(1m)", logGroupNames=groups)["queryDefinitionId"]
            logs.put_query_definition(queryDefinitionId=qd, name="errors/by-minute", queryString="stats count(*) by bin(5m)", logGroupNames=groups)
            out["definitions"] = [(d["name"], d["queryString"], d["logGroupNames"]) for d in logs.describe_query_definitions(queryDefinitionNamePrefix="errors/")["queryDefinitions"]]
            out["deleted"] = logs.delete_query_definition(queryDefinitionId=qd)["success"]

            out["err_malformed"] = error(logs.start_query, logGroupName=groups[0], startTime=start, endTime=end, queryString="fields @message | bogus x")
            out["err_missing_group"] = error(logs.start_query, logGroupName="/insights/none", startTime=start, endTime=end, queryString="fields @message")
            out["err_range"] = error(logs.start_query, logGroupName=groups[0], startTime=end, endTime=start, queryString="fields @message")
            out["err_query"] = error(logs.get_query_results, queryId="00000000-0000-0000-0000-000000000000")
            out["err_definition"] = error(logs.delete_query_definition, queryDefinitionId=qd)
            """);

        Assert.Equal("Complete", result["bin_status"]!.GetValue<string>());
        Assert.Equal(result["bin_expected"]!.ToJsonString(), result["bin"]!.ToJsonString());
        var statistics = result["bin_statistics"]!;
        Assert.Equal(800, statistics["recordsScanned"]!.GetValue<double>());
        Assert.Equal(800, statistics["recordsMatched"]!.GetValue<double>());
        Assert.Equal(result["bytes_expected"]!.GetValue<double>(), statistics["bytesScanned"]!.GetValue<double>());
        Assert.Equal(result["parse_expected"]!.ToJsonString(), result["parse"]!.ToJsonString());
        Assert.Equal(400, result["parse_matched"]!.GetValue<double>());
        var jsonRows = result["json_rows"]!.AsArray();
        Assert.Equal(3, jsonRows.Count);
        Assert.All(jsonRows, row => Assert.Equal("""["@timestamp","@logStream","@ptr"]""", row!.ToJsonString()));
        Assert.Equal("""["Complete"]""", result["described"]!.ToJsonString());
        Assert.False(result["stopped"]!.GetValue<bool>());
        Assert.Equal("""[["errors/by-minute","stats count(*) by bin(5m)",["/insights/api","/insights/worker"]]]""", result["definitions"]!.ToJsonString());
        Assert.True(result["deleted"]!.GetValue<bool>());
        AssertError(result["err_malformed"], "MalformedQueryException", "unexpected symbol found bogus at line 1 and position 18");
        AssertError(result["err_missing_group"], "ResourceNotFoundException", "log group does not exist");
        AssertError(result["err_range"], "InvalidParameterException", "endTime must be greater than or equal to startTime.");
        AssertError(result["err_query"], "ResourceNotFoundException", "Query does not exist");
        AssertError(result["err_definition"], "ResourceNotFoundException", "query definition does not exist");
    }

    private static void AssertError(JsonNode? error, string code, string message)
    {
        Assert.NotNull(error);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Contains(message, error["message"]!.GetValue<string>());
        Assert.Equal(400, error["status"]!.GetValue<int>());
    }
}
