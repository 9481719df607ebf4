using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>AWS::Logs::LogGroup and AWS::CloudWatch::Alarm made by a stack through the Logs and CloudWatch domains.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MonitoringProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_log_group_and_an_alarm_are_created_updated_in_place_and_deleted()
    {
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            logs = client("logs")
            cw = client("cloudwatch")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            body = {{CloudFormationTemplates.Python("monitoring_stack.yml")}}
            GROUP = "/aws/lambda/demo-cct-lambda-retrieve-accounts"
            def state():
                o = {x["OutputKey"]: x["OutputValue"] for x in cf.describe_stacks(StackName="monitoring")["Stacks"][0]["Outputs"]}
                g = [g for g in logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"] if g["logGroupName"] == GROUP][0]
                a = cw.describe_alarms(AlarmNames=[o["AlarmName"]])["MetricAlarms"][0]
                return {"retention": g.get("retentionInDays"), "groupArn": o["LogGroupArn"] == g["arn"],
                        "tags": logs.list_tags_log_group(logGroupName=GROUP)["tags"],
                        "alarm": [a["AlarmArn"] == o["AlarmArn"], a["Namespace"], a["MetricName"], a["Dimensions"], a["Threshold"], a["ComparisonOperator"], a["TreatMissingData"]],
                        "name": o["AlarmName"]}

            cf.create_stack(StackName="monitoring", TemplateBody=body)
            cf.get_waiter("stack_create_complete").wait(StackName="monitoring", WaiterConfig=FAST)
            out["created"] = state()
            cf.update_stack(StackName="monitoring", TemplateBody=body, Parameters=[{"ParameterKey": "RetentionDays", "ParameterValue": "30"},
                                                                                  {"ParameterKey": "ErrorThreshold", "ParameterValue": "5"}])
            cf.get_waiter("stack_update_complete").wait(StackName="monitoring", WaiterConfig=FAST)
            out["updated"] = state()
            cf.delete_stack(StackName="monitoring")
            cf.get_waiter("stack_delete_complete").wait(StackName="monitoring", WaiterConfig=FAST)
            out["groupsLeft"] = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]]
            out["alarmsLeft"] = [a["AlarmName"] for a in cw.describe_alarms(AlarmNames=[out["created"]["name"]])["MetricAlarms"]]
            """);

        var created = result["created"]!;
        Assert.Equal(7, (int)created["retention"]!);
        Assert.True((bool)created["groupArn"]!);
        Assert.Equal("""{"Environment":"demo-cct-paas"}""", created["tags"]!.ToJsonString());
        Assert.Equal("""[true,"AWS/Lambda","Errors",[{"Name":"FunctionName","Value":"demo-cct-lambda-retrieve-accounts"}],1,"GreaterThanOrEqualToThreshold","notBreaching"]""",
            created["alarm"]!.ToJsonString());
        Assert.StartsWith("monitoring-FunctionErrorsAlarm-", (string?)created["name"]);
        var updated = result["updated"]!;
        Assert.Equal(30, (int)updated["retention"]!);
        Assert.Equal(5.0, (double)updated["alarm"]![4]!);
        Assert.Equal((string?)created["name"], (string?)updated["name"]);
        Assert.Equal("[]", result["groupsLeft"]!.ToJsonString());
        Assert.Equal("[]", result["alarmsLeft"]!.ToJsonString());
    }
}
