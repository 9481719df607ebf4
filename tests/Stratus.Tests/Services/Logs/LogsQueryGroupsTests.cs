using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>ListLogGroupsForQuery: the groups a finished Insights query read, which a filterIndex narrows, through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsQueryGroupsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_query_lists_the_groups_it_scanned_and_filterIndex_leaves_out_those_its_index_rules_out()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            now = int(time.time() * 1000)
            arns = {}
            for name, user in [("/scanned/a", "x"), ("/scanned/b", "y")]:
                logs.create_log_group(logGroupName=name)
                logs.put_index_policy(logGroupIdentifier=name, policyDocument=json.dumps({"Fields": ["user"]}))
                logs.create_log_stream(logGroupName=name, logStreamName="s")
                logs.put_log_events(logGroupName=name, logStreamName="s", logEvents=[{"timestamp": now, "message": json.dumps({"user": user})}])
                arns[name] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]
            def scanned(query):
                qid = logs.start_query(logGroupNames=["/scanned/a", "/scanned/b"], startTime=now // 1000 - 60, endTime=now // 1000 + 60, queryString=query)["queryId"]
                while logs.get_query_results(queryId=qid)["status"] in ("Scheduled", "Running"): time.sleep(0.2)
                return sorted(logs.list_log_groups_for_query(queryId=qid)["logGroupIdentifiers"])
            out["all"] = scanned("fields @message") == sorted(arns.values())
            out["indexed"] = scanned('filterIndex user = "x" | fields @message') == [arns["/scanned/a"]]
            out["unknown"] = error(logs.list_log_groups_for_query, queryId="00000000-0000-0000-0000-000000000000")
            for name in arns: logs.delete_log_group(logGroupName=name)
            """);

        Assert.True((bool)result["all"]!);
        Assert.True((bool)result["indexed"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["unknown"]!["code"]!);
    }
}
