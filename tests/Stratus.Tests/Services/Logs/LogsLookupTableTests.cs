using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>Lookup tables (CreateLookupTable and its siblings) and the Insights lookup command, through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsLookupTableTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_lookup_table_is_validated_kept_and_enriches_an_Insights_query()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            body = 'id,name,team\n1,alice,red\n2,"bob, jr",blue\n3,carol,red\n'
            arn = logs.create_lookup_table(lookupTableName="users", description="people", tableBody=body)["lookupTableArn"]
            out["arn"] = arn
            described = logs.describe_lookup_tables(lookupTableNamePrefix="us")["lookupTables"]
            out["described"] = [(t["lookupTableName"], t["tableFields"], t["recordsCount"], t["sizeBytes"]) for t in described]
            out["body"] = logs.get_lookup_table(lookupTableArn=arn)["tableBody"] == body
            out["exists"] = error(logs.create_lookup_table, lookupTableName="users", tableBody=body)
            out["ragged"] = error(logs.create_lookup_table, lookupTableName="ragged", tableBody="a,b\n1\n")
            out["repeated"] = error(logs.create_lookup_table, lookupTableName="repeated", tableBody="a,a\n1,2\n")
            out["keyed"] = error(logs.create_lookup_table, lookupTableName="keyed", tableBody="a\n1\n", kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/x")
            out["bad_name"] = error(logs.create_lookup_table, lookupTableName="bad-name", tableBody="a\n1\n")

            logs.create_log_group(logGroupName="/lookup/app")
            logs.create_log_stream(logGroupName="/lookup/app", logStreamName="s")
            now = int(time.time() * 1000)
            users = ["1", "2", "1", "3", "9", "2", "2"]
            logs.put_log_events(logGroupName="/lookup/app", logStreamName="s",
                logEvents=[{"timestamp": now + i, "message": json.dumps({"user": u})} for i, u in enumerate(users)])
            def run(query):
                qid = logs.start_query(logGroupName="/lookup/app", startTime=now // 1000 - 60, endTime=now // 1000 + 60, queryString=query)["queryId"]
                while True:
                    r = logs.get_query_results(queryId=qid)
                    if r["status"] not in ("Scheduled", "Running"): return r
                    time.sleep(0.2)
            counted = run("lookup users id as user OUTPUT team | stats count(*) as n by team")
            out["by_team"] = sorted([{f["field"]: f["value"] for f in row}.get("team", "-"), {f["field"]: f["value"] for f in row}["n"]] for row in counted["results"])
            named = run("fields user | lookup users id as user OUTPUT name | sort @timestamp asc")
            out["names"] = [{f["field"]: f["value"] for f in row}.get("name") for row in named["results"]]
            out["users"] = users
            out["missing_table"] = error(logs.start_query, logGroupName="/lookup/app", startTime=0, endTime=1, queryString="lookup nobody id OUTPUT x")
            out["missing_field"] = error(logs.start_query, logGroupName="/lookup/app", startTime=0, endTime=1, queryString="lookup users id OUTPUT age")

            updated = logs.update_lookup_table(lookupTableArn=arn, tableBody="id,team\n9,green\n")
            out["updated"] = [(t["tableFields"], t["recordsCount"]) for t in logs.describe_lookup_tables()["lookupTables"] if t["lookupTableName"] == "users"]
            regrouped = run("lookup users id as user OUTPUT team | filter ispresent(team) | stats count(*) as n by team")
            out["after_update"] = [[f["value"] for f in row] for row in regrouped["results"]]
            logs.delete_lookup_table(lookupTableArn=arn)
            out["gone"] = error(logs.get_lookup_table, lookupTableArn=arn)
            out["delete_again"] = error(logs.delete_lookup_table, lookupTableArn=arn)
            logs.delete_log_group(logGroupName="/lookup/app")
            """);

        Assert.EndsWith(":lookup-table:users", (string)result["arn"]!);
        Assert.Equal("""[["users",["id","name","team"],3,54]]""", result["described"]!.ToJsonString());
        Assert.True((bool)result["body"]!);
        Assert.Equal("ResourceAlreadyExistsException", (string)result["exists"]!["code"]!);
        foreach (var refused in new[] { "ragged", "repeated", "keyed", "bad_name" })
            Assert.Equal("InvalidParameterException", (string)result[refused]!["code"]!);
        Assert.Contains("Row 2 has 1 fields; the header row has 2", (string)result["ragged"]!["message"]!);

        // The expected answer, computed here from the events written and the table's rows.
        var teams = new Dictionary<string, string> { ["1"] = "red", ["2"] = "blue", ["3"] = "red" };
        var names = new Dictionary<string, string> { ["1"] = "alice", ["2"] = "bob, jr", ["3"] = "carol" };
        var users = result["users"]!.AsArray().Select(u => (string)u!).ToList();
        var expectedByTeam = users.GroupBy(u => teams.GetValueOrDefault(u, "-")).Select(g => $"[\"{g.Key}\",\"{g.Count()}\"]").Order(StringComparer.Ordinal);
        Assert.Equal($"[{string.Join(",", expectedByTeam)}]", result["by_team"]!.ToJsonString());
        Assert.Equal(users.Select(u => names.GetValueOrDefault(u)), result["names"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("MalformedQueryException", (string)result["missing_table"]!["code"]!);
        Assert.Equal("MalformedQueryException", (string)result["missing_field"]!["code"]!);
        Assert.Equal("""[[["id","team"],1]]""", result["updated"]!.ToJsonString());
        Assert.Equal("""[["green","1"]]""", result["after_update"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string)result["gone"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["delete_again"]!["code"]!);
    }
}
