using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Events;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// A SAM function with Schedule, EventBridgeRule and S3 events deployed through a change set: the rules, permissions and
/// bucket notification SAM generates exist, and each source really invokes the function (the schedule within its minute).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SamEventsDeployTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Schedule_rule_and_s3_events_deploy_as_sam_generates_them_and_invoke_the_function()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + EventScripts.Prelude + $$"""
            cf = client("cloudformation")
            ev = client("events")
            s3 = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                              config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
            FAST = {"Delay": 1, "MaxAttempts": 120}
            change = cf.create_change_set(StackName="sam-events", ChangeSetName="create", ChangeSetType="CREATE",
                                          TemplateBody={{CloudFormationTemplates.Python("sam_events.yml")}}, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            cf.get_waiter("change_set_create_complete").wait(ChangeSetName=change["Id"], WaiterConfig=FAST)
            cf.execute_change_set(ChangeSetName=change["Id"])
            cf.get_waiter("stack_create_complete").wait(StackName="sam-events", WaiterConfig=FAST)
            resources = {x["LogicalResourceId"]: [x["ResourceType"], x["PhysicalResourceId"]] for x in cf.list_stack_resources(StackName="sam-events")["StackResourceSummaries"]}
            out["types"] = sorted(f"{k}:{v[0]}" for k, v in resources.items())
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="sam-events")["Stacks"][0]["Outputs"]}
            function = resources["Worker"][1]
            tick = ev.describe_rule(Name=outputs["TickRule"])
            out["tick"] = [tick["ScheduleExpression"], tick["State"], tick["Description"], tick["Arn"] == outputs["TickRuleArn"]]
            out["tickTargets"] = [[t["Id"], t["Arn"].endswith(":function:" + function)] for t in ev.list_targets_by_rule(Rule=outputs["TickRule"])["Targets"]]
            policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
            out["principals"] = sorted([s["Principal"]["Service"], json.dumps(s.get("Condition", {}), sort_keys=True)] for s in policy["Statement"])
            out["notification"] = [[c["Events"], c["Filter"]] for c in s3.get_bucket_notification_configuration(Bucket=outputs["BucketName"])["LambdaFunctionConfigurations"]]

            ev.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"order": 7})}])
            s3.put_object(Bucket=outputs["BucketName"], Key="daily report.csv", Body=b"a,b\n")
            s3.put_object(Bucket=outputs["BucketName"], Key="notes.txt", Body=b"skip")
            # The schedule's first fire comes within a minute of the rule's creation.
            deadline = time.time() + 90
            got = []
            while time.time() < deadline:
                got = received(function, 3, timeout=0)
                if any(e.get("detail-type") == "Scheduled Event" for e in got) and len(got) >= 3:
                    break
                time.sleep(1)
            out["scheduled"] = [e for e in got if e.get("detail-type") == "Scheduled Event"][:1]
            out["order"] = [e for e in got if e == {"order": 7}]
            out["uploads"] = [[x["eventName"], x["s3"]["object"]["key"]] for e in got if "Records" in e for x in e["Records"]]
            out["tickArn"] = outputs["TickRuleArn"]

            s3.delete_object(Bucket=outputs["BucketName"], Key="daily report.csv")
            s3.delete_object(Bucket=outputs["BucketName"], Key="notes.txt")
            cf.delete_stack(StackName="sam-events")
            cf.get_waiter("stack_delete_complete").wait(StackName="sam-events", WaiterConfig=FAST)
            out["ruleGone"] = error(ev.describe_rule, Name=outputs["TickRule"])["code"]
            """, TimeSpan.FromMinutes(4));

        Assert.Equal(["Uploads:AWS::S3::Bucket", "Worker:AWS::Lambda::Function", "WorkerOrders:AWS::Events::Rule", "WorkerOrdersPermission:AWS::Lambda::Permission",
            "WorkerRole:AWS::IAM::Role", "WorkerTick:AWS::Events::Rule", "WorkerTickPermission:AWS::Lambda::Permission", "WorkerUploadPermission:AWS::Lambda::Permission"],
            r["types"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("""["rate(1 minute)","ENABLED","Runs the worker every minute",true]""", r["tick"]!.ToJsonString());
        Assert.Equal("""[["WorkerTickLambdaTarget",true]]""", r["tickTargets"]!.ToJsonString());
        var principals = r["principals"]!.AsArray().Select(p => p!.ToJsonString()).ToList();
        Assert.Equal(3, principals.Count);
        Assert.Contains(principals, p => p.Contains("events.amazonaws.com", StringComparison.Ordinal) && p.Contains((string)r["tickArn"]!, StringComparison.Ordinal));
        Assert.Contains(principals, p => p.Contains("s3.amazonaws.com", StringComparison.Ordinal) && p.Contains("000000000000", StringComparison.Ordinal));
        Assert.Equal("""[[["s3:ObjectCreated:*"],{"Key":{"FilterRules":[{"Name":"Suffix","Value":".csv"}]}}]]""", r["notification"]!.ToJsonString());

        var scheduled = Assert.Single(r["scheduled"]!.AsArray())!;
        Assert.Equal("aws.events", (string?)scheduled["source"]);
        Assert.Equal($"""["{(string?)r["tickArn"]}"]""", scheduled["resources"]!.ToJsonString());
        Assert.Single(r["order"]!.AsArray());
        var upload = Assert.Single(r["uploads"]!.AsArray())!;
        Assert.Equal("ObjectCreated:Put", (string?)upload[0]);
        Assert.Equal("daily+report.csv", (string?)upload[1]);
        Assert.Equal("ResourceNotFoundException", (string?)r["ruleGone"]);
    }
}
