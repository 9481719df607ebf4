using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Account policies, Insights' unmask() and field indexes through boto3 against a real Stratus: an account-wide data
/// protection policy and subscription filter policy deliver masked values to a real Python function.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsAccountPoliciesClientTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Account_policies_mask_what_a_subscribed_function_receives_and_unmask_and_filterIndex_query_the_rest()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            SINK = '''
            import base64, gzip, json
            def handler(event, context):
                data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
                print("DECODED " + json.dumps({"group": data["logGroup"], "filters": data["subscriptionFilters"], "messages": [e["message"] for e in data["logEvents"]]}))
            '''
            logs = client("logs")
            arn = create("masked-sink", {"app.py": SINK.replace("\n            ", "\n")}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="masked-sink", StatementId="logs", Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
                SourceArn="arn:aws:logs:us-east-1:000000000000:log-group:*")
            ids = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
            masking = json.dumps({"Name": "emails", "Statement": [
                {"DataIdentifier": ids, "Operation": {"Audit": {"FindingsDestination": {}}}},
                {"DataIdentifier": ids, "Operation": {"Deidentify": {"MaskConfig": {}}}}]})
            logs.create_log_group(logGroupName="/acct/app")
            logs.create_log_stream(logGroupName="/acct/app", logStreamName="s")
            put = logs.put_account_policy(policyName="mask-all", policyType="DATA_PROTECTION_POLICY", policyDocument=masking)["accountPolicy"]
            out["put"] = [put["policyName"], put["policyType"], put["scope"], put["accountId"]]
            # The function's own group is left out, as AWS advises, or its logs would feed it forever.
            logs.put_account_policy(policyName="to-sink", policyType="SUBSCRIPTION_FILTER_POLICY", selectionCriteria='LogGroupName NOT IN ["/aws/lambda/masked-sink"]',
                policyDocument=json.dumps({"DestinationArn": arn, "FilterPattern": "signup"}))
            out["described"] = [(p["policyName"], p.get("selectionCriteria")) for p in logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")["accountPolicies"]]
            out["emf"] = error(logs.put_account_policy, policyName="emf", policyType="METRIC_EXTRACTION_POLICY", policyDocument="{}")
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/acct/app", logStreamName="s", logEvents=[
                {"timestamp": now, "message": "signup ann@example.com"}, {"timestamp": now + 1, "message": json.dumps({"user": "ann", "n": 1})},
                {"timestamp": now + 2, "message": json.dumps({"user": "bob", "n": 2})}])
            decoded = []
            deadline = time.time() + 90
            while time.time() < deadline and not decoded:
                if logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/masked-sink")["logGroups"]:
                    # Read unmasked: the account policy masks the function's own logs too.
                    decoded = [json.loads(e["message"].split("DECODED ", 1)[1]) for e in
                        logs.filter_log_events(logGroupName="/aws/lambda/masked-sink", filterPattern="DECODED", unmask=True)["events"]]
                time.sleep(0.5)
            out["decoded"] = decoded

            def run(query):
                qid = logs.start_query(logGroupName="/acct/app", startTime=now // 1000 - 60, endTime=now // 1000 + 60, queryString=query)["queryId"]
                deadline = time.time() + 30
                while True:
                    r = logs.get_query_results(queryId=qid)
                    if r["status"] not in ("Scheduled", "Running") or time.time() > deadline: return r
                    time.sleep(0.1)
            rows = run("filter @message like /signup/ | fields @message, unmask(@message) as raw")["results"]
            out["unmask"] = [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in rows]

            logs.put_index_policy(logGroupIdentifier="/acct/app", policyDocument=json.dumps({"Fields": ["user"]}))
            time.sleep(1.1)
            logs.put_log_events(logGroupName="/acct/app", logStreamName="s", logEvents=[
                {"timestamp": now + 3, "message": json.dumps({"user": "ann", "n": 3})}, {"timestamp": now + 4, "message": json.dumps({"user": "cid", "n": 4})}])
            out["index_policies"] = [(p["source"], p["policyDocument"]) for p in logs.describe_index_policies(logGroupIdentifiers=["/acct/app"])["indexPolicies"]]
            out["field_indexes"] = [(f["fieldIndexName"], f["firstEventTime"] == now + 3, f["lastEventTime"] == now + 4)
                for f in logs.describe_field_indexes(logGroupIdentifiers=["/acct/app"])["fieldIndexes"]]
            indexed = run('fields n | filterIndex user = "ann"')
            out["filterIndex"] = [[f["value"] for f in row if f["field"] == "n"] for row in indexed["results"]]
            out["filterIndex_scanned"] = indexed["statistics"]["recordsScanned"]
            out["filter"] = [[f["value"] for f in row if f["field"] == "n"] for row in run('fields n | filter user = "ann"')["results"]]
            out["listed_by_index"] = [g["logGroupName"] for g in logs.list_log_groups(fieldIndexNames=["user"])["logGroups"]]

            logs.delete_index_policy(logGroupIdentifier="/acct/app")
            out["index_gone"] = logs.describe_index_policies(logGroupIdentifiers=["/acct/app"])["indexPolicies"]
            logs.delete_account_policy(policyName="to-sink", policyType="SUBSCRIPTION_FILTER_POLICY")
            logs.delete_account_policy(policyName="mask-all", policyType="DATA_PROTECTION_POLICY")
            out["delete_again"] = error(logs.delete_account_policy, policyName="mask-all", policyType="DATA_PROTECTION_POLICY")
            """);

        Assert.Equal("""["mask-all","DATA_PROTECTION_POLICY","ALL","000000000000"]""", result["put"]!.ToJsonString());
        Assert.Equal("""[["to-sink","LogGroupName NOT IN [\u0022/aws/lambda/masked-sink\u0022]"]]""", result["described"]!.ToJsonString());
        Assert.Equal("InvalidParameterException", (string)result["emf"]!["code"]!);
        var decoded = Assert.Single(result["decoded"]!.AsArray())!;
        Assert.Equal("/acct/app", (string)decoded["group"]!);
        Assert.Equal("""["to-sink"]""", decoded["filters"]!.ToJsonString());
        // The function received the value masked, as at every egress point of a protected group.
        Assert.Equal("""["signup ***************"]""", decoded["messages"]!.ToJsonString());
        Assert.Equal("""[{"@message":"signup ***************","raw":"signup ann@example.com"}]""", result["unmask"]!.ToJsonString());
        Assert.Equal("""[["LOG_GROUP","{\u0022Fields\u0022: [\u0022user\u0022]}"]]""", result["index_policies"]!.ToJsonString());
        Assert.Equal("""[["user",true,true]]""", result["field_indexes"]!.ToJsonString());
        // Only the event ingested once the field was indexed, as AWS documents; filter finds both, reading all five events.
        Assert.Equal("""[["3"]]""", result["filterIndex"]!.ToJsonString());
        Assert.Equal(1, (double)result["filterIndex_scanned"]!);
        Assert.Equal("""[["3"],["1"]]""", result["filter"]!.ToJsonString());
        Assert.Equal("""["/acct/app"]""", result["listed_by_index"]!.ToJsonString());
        Assert.Empty(result["index_gone"]!.AsArray());
        Assert.Equal("ResourceNotFoundException", (string)result["delete_again"]!["code"]!);
    }
}
