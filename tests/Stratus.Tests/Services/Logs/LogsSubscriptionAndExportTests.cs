using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Subscription filters delivering to a real Python function (which logs what it decoded from the awslogs payload),
/// export tasks read back through S3, and resource policies, all through boto3.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsSubscriptionAndExportTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_subscription_filter_delivers_matching_events_to_a_function_that_decodes_them()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            SINK = '''
            import base64, gzip, json
            def handler(event, context):
                data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
                print("DECODED " + json.dumps({"type": data["messageType"], "owner": data["owner"], "group": data["logGroup"], "stream": data["logStream"],
                    "filters": data["subscriptionFilters"], "messages": [e["message"] for e in data["logEvents"]], "ids": [e["id"] for e in data["logEvents"]]}))
            '''
            logs = client("logs")
            arn = create("sink", {"app.py": SINK.replace("\n            ", "\n")})["FunctionArn"]
            logs.create_log_group(logGroupName="/app/orders")
            logs.create_log_stream(logGroupName="/app/orders", logStreamName="web-1")
            put = dict(logGroupName="/app/orders", filterName="errors", filterPattern="ERROR", destinationArn=arn)
            out["unpermitted"] = error(logs.put_subscription_filter, **put)
            lam.add_permission(FunctionName="sink", StatementId="logs", Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
                SourceArn="arn:aws:logs:us-east-1:000000000000:log-group:/app/orders:*")
            logs.put_subscription_filter(**put)
            out["kinesis"] = error(logs.put_subscription_filter, logGroupName="/app/orders", filterName="stream", filterPattern="",
                destinationArn="arn:aws:kinesis:us-east-1:000000000000:stream/orders")
            out["filters"] = [(f["filterName"], f["filterPattern"], f["destinationArn"] == arn, f["distribution"])
                for f in logs.describe_subscription_filters(logGroupName="/app/orders")["subscriptionFilters"]]
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/app/orders", logStreamName="web-1", logEvents=[
                {"timestamp": now, "message": "INFO all good"}, {"timestamp": now + 1, "message": "ERROR card declined"},
                {"timestamp": now + 2, "message": "ERROR timeout"}])
            decoded = []
            deadline = time.time() + 60
            while time.time() < deadline and not decoded:
                decoded = [json.loads(e["message"].split("DECODED ", 1)[1]) for e in
                    logs.filter_log_events(logGroupName="/aws/lambda/sink", filterPattern="DECODED")["events"]] if logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/sink")["logGroups"] else []
                time.sleep(0.5)
            out["decoded"] = decoded
            logs.delete_subscription_filter(logGroupName="/app/orders", filterName="errors")
            out["after_delete"] = logs.describe_subscription_filters(logGroupName="/app/orders")["subscriptionFilters"]
            out["delete_again"] = error(logs.delete_subscription_filter, logGroupName="/app/orders", filterName="errors")
            """);

        Assert.Equal("InvalidParameterException", (string)result["unpermitted"]!["code"]!);
        Assert.Equal("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.",
            (string)result["unpermitted"]!["message"]!);
        Assert.Equal("InvalidParameterException", (string)result["kinesis"]!["code"]!);
        Assert.Equal("""[["errors","ERROR",true,"ByLogStream"]]""", result["filters"]!.ToJsonString());
        var decoded = Assert.Single(result["decoded"]!.AsArray())!;
        Assert.Equal("DATA_MESSAGE", (string)decoded["type"]!);
        Assert.Equal("000000000000", (string)decoded["owner"]!);
        Assert.Equal("/app/orders", (string)decoded["group"]!);
        Assert.Equal("web-1", (string)decoded["stream"]!);
        Assert.Equal("""["errors"]""", decoded["filters"]!.ToJsonString());
        Assert.Equal("""["ERROR card declined","ERROR timeout"]""", decoded["messages"]!.ToJsonString());
        Assert.Equal(2, decoded["ids"]!.AsArray().Select(i => (string)i!).Distinct().Count());
        Assert.Empty(result["after_delete"]!.AsArray());
        Assert.Equal("ResourceNotFoundException", (string)result["delete_again"]!["code"]!);
    }

    [Fact]
    public async Task An_export_task_writes_gzip_files_that_S3_serves_in_AWS_layout()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import gzip, datetime
            logs, s3 = client("logs"), client("s3")
            s3.create_bucket(Bucket="log-exports")
            logs.create_log_group(logGroupName="/app/export")
            for stream in ["a", "b"]: logs.create_log_stream(logGroupName="/app/export", logStreamName=stream)
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/app/export", logStreamName="a", logEvents=[{"timestamp": now - 60000, "message": "too early"},
                {"timestamp": now - 1000, "message": "first"}, {"timestamp": now, "message": "second"}])
            logs.put_log_events(logGroupName="/app/export", logStreamName="b", logEvents=[{"timestamp": now - 500, "message": "other stream"}])
            out["no_bucket"] = error(logs.create_export_task, logGroupName="/app/export", destination="missing-bucket", **{"from": now - 2000, "to": now})
            task = logs.create_export_task(taskName="nightly", logGroupName="/app/export", destination="log-exports", destinationPrefix="orders",
                **{"from": now - 2000, "to": now})["taskId"]
            deadline = time.time() + 60
            while time.time() < deadline:
                described = logs.describe_export_tasks(taskId=task)["exportTasks"][0]
                if described["status"]["code"] not in ("PENDING", "RUNNING"): break
                time.sleep(0.2)
            out["status"] = described["status"]["code"]
            out["described"] = [described["taskName"], described["logGroupName"], described["destination"], described["destinationPrefix"]]
            out["keys"] = sorted(o["Key"].replace(task, "TASK") for o in s3.list_objects_v2(Bucket="log-exports")["Contents"])
            out["write_test"] = s3.get_object(Bucket="log-exports", Key="orders/aws-logs-write-test")["Body"].read().decode()
            out["a"] = gzip.decompress(s3.get_object(Bucket="log-exports", Key=f"orders/{task}/a/000000.gz")["Body"].read()).decode()
            out["b"] = gzip.decompress(s3.get_object(Bucket="log-exports", Key=f"orders/{task}/b/000000.gz")["Body"].read()).decode()
            out["expected_a"] = "".join(datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t % 1000:03d}Z {m}\n"
                for t, m in [(now - 1000, "first"), (now, "second")])
            out["cancel_done"] = error(logs.cancel_export_task, taskId=task)
            out["cancel_missing"] = error(logs.cancel_export_task, taskId="00000000-0000-0000-0000-000000000000")
            """);

        Assert.Equal("InvalidParameterException", (string)result["no_bucket"]!["code"]!);
        Assert.Equal("COMPLETED", (string)result["status"]!);
        Assert.Equal("""["nightly","/app/export","log-exports","orders"]""", result["described"]!.ToJsonString());
        Assert.Equal("""["orders/TASK/a/000000.gz","orders/TASK/b/000000.gz","orders/aws-logs-write-test"]""", result["keys"]!.ToJsonString());
        Assert.Equal("Permission Check Successful", (string)result["write_test"]!);
        Assert.Equal((string)result["expected_a"]!, (string)result["a"]!);
        Assert.EndsWith("Z other stream\n", (string)result["b"]!);
        Assert.Equal("InvalidOperationException", (string)result["cancel_done"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["cancel_missing"]!["code"]!);
    }

    [Fact]
    public async Task Resource_policies_are_stored_and_operations_not_built_say_so_by_name()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})
            put = logs.put_resource_policy(policyName="events", policyDocument=doc)["resourcePolicy"]
            out["put"] = [put["policyName"], put["policyScope"], json.loads(put["policyDocument"])["Statement"][0]["Principal"]["Service"]]
            out["described"] = [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
            out["stale_revision"] = error(logs.put_resource_policy, policyName="events", policyDocument=doc, expectedRevisionId="stale")
            out["not_json"] = error(logs.put_resource_policy, policyName="bad", policyDocument="{not json")
            logs.delete_resource_policy(policyName="events")
            out["after_delete"] = logs.describe_resource_policies()["resourcePolicies"]
            out["delete_missing"] = error(logs.delete_resource_policy, policyName="events")
            out["not_built"] = error(logs.describe_deliveries)
            """);

        Assert.Equal("""["events","ACCOUNT","events.amazonaws.com"]""", result["put"]!.ToJsonString());
        Assert.Equal("""["events"]""", result["described"]!.ToJsonString());
        Assert.Equal("OperationAbortedException", (string)result["stale_revision"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["not_json"]!["code"]!);
        Assert.Empty(result["after_delete"]!.AsArray());
        Assert.Equal("ResourceNotFoundException", (string)result["delete_missing"]!["code"]!);
        Assert.Equal("InvalidOperationException", (string)result["not_built"]!["code"]!);
        Assert.Contains("DescribeDeliveries", (string)result["not_built"]!["message"]!);
        Assert.Contains("vended log deliveries", (string)result["not_built"]!["message"]!);
    }
}
