using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Composite alarms and dashboards through boto3 (which speaks CBOR to CloudWatch), and both as CloudFormation resources.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CompositeAlarmAndDashboardTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_composite_alarm_turns_ALARM_when_its_child_does_and_its_parent_follows()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            cw = client("cloudwatch")
            def metric_alarm(name):
                cw.put_metric_alarm(AlarmName=name, Namespace="Shop", MetricName=name, Statistic="Sum", Period=60, EvaluationPeriods=1,
                    Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="ignore")
            metric_alarm("errors"); metric_alarm("latency"); metric_alarm("deploying")
            cw.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="test")
            cw.set_alarm_state(AlarmName="deploying", StateValue="OK", StateReason="test")
            cw.put_composite_alarm(AlarmName="service-down", AlarmRule='(ALARM(errors) OR ALARM("latency")) AND NOT ALARM(deploying)',
                AlarmDescription="page someone")
            cw.put_composite_alarm(AlarmName="region-down", AlarmRule="ALARM(service-down)")
            def states():
                described = cw.describe_alarms(AlarmNames=["service-down", "region-down"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
                return {a["AlarmName"]: a["StateValue"] for a in described}
            out["initial"] = states()
            cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors are up")
            out["child_alarm"] = states()
            composite = cw.describe_alarms(AlarmNames=["service-down"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
            out["reason"] = composite["StateReason"]
            out["triggering"] = json.loads(composite["StateReasonData"])["triggeringAlarms"]
            out["rule"] = composite["AlarmRule"]
            cw.set_alarm_state(AlarmName="deploying", StateValue="ALARM", StateReason="deploy started")
            out["suppressed_by_rule"] = states()
            out["metric_only_by_default"] = [len(cw.describe_alarms()["MetricAlarms"]), "CompositeAlarms" in cw.describe_alarms() and len(cw.describe_alarms()["CompositeAlarms"])]
            out["children"] = sorted(a["AlarmName"] for a in cw.describe_alarms(ChildrenOfAlarmName="service-down")["MetricAlarms"])
            out["parents"] = [a["AlarmName"] for a in cw.describe_alarms(ParentsOfAlarmName="errors")["CompositeAlarms"]]
            history = cw.describe_alarm_history(AlarmName="service-down", AlarmTypes=["CompositeAlarm"], HistoryItemType="StateUpdate", ScanBy="TimestampAscending")
            out["history"] = [(h["AlarmType"], h["HistorySummary"]) for h in history["AlarmHistoryItems"]]
            out["missing_child"] = error(cw.put_composite_alarm, AlarmName="broken", AlarmRule="ALARM(nobody)")
            out["malformed"] = error(cw.put_composite_alarm, AlarmName="broken", AlarmRule="ALARM(errors) AND")
            out["cycle"] = error(cw.put_composite_alarm, AlarmName="service-down", AlarmRule="ALARM(region-down)")
            cw.delete_alarms(AlarmNames=["region-down"])
            out["after_delete"] = list(states())
            """);

        Assert.Equal("""{"region-down":"OK","service-down":"OK"}""", Sorted(result["initial"]!));
        Assert.Equal("""{"region-down":"ALARM","service-down":"ALARM"}""", Sorted(result["child_alarm"]!));
        Assert.StartsWith("arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors transitioned to ALARM at ", (string)result["reason"]!);
        Assert.Contains(result["triggering"]!.AsArray(), t => (string)t!["arn"]! == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors"
            && (string)t["state"]!["value"]! == "ALARM");
        Assert.Equal("(ALARM(errors) OR ALARM(\"latency\")) AND NOT ALARM(deploying)", (string)result["rule"]!);
        Assert.Equal("""{"region-down":"OK","service-down":"OK"}""", Sorted(result["suppressed_by_rule"]!));
        Assert.Equal("[3,0]", result["metric_only_by_default"]!.ToJsonString());
        Assert.Equal("""["deploying","errors","latency"]""", result["children"]!.ToJsonString());
        Assert.Equal("""["service-down"]""", result["parents"]!.ToJsonString());
        Assert.Equal("""[["CompositeAlarm","Alarm updated from INSUFFICIENT_DATA to OK"],["CompositeAlarm","Alarm updated from OK to ALARM"],["CompositeAlarm","Alarm updated from ALARM to OK"]]""",
            result["history"]!.ToJsonString());
        Assert.Equal("ValidationError", (string)result["missing_child"]!["code"]!);
        Assert.Equal("Could not save the composite alarm as alarms [nobody] in the alarm rule do not exist", (string)result["missing_child"]!["message"]!);
        Assert.Equal("ValidationError", (string)result["malformed"]!["code"]!);
        Assert.Equal("ValidationError", (string)result["cycle"]!["code"]!);
        Assert.Equal("""["service-down"]""", result["after_delete"]!.ToJsonString());
    }

    [Fact]
    public async Task Dashboards_are_checked_as_AWS_checks_them_and_kept_verbatim()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            cw = client("cloudwatch")
            body = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                "properties": {"metrics": [["AWS/Lambda", "Errors", "FunctionName", "orders"]], "region": "us-east-1", "stat": "Sum"}}]})
            out["put"] = cw.put_dashboard(DashboardName="orders", DashboardBody=body)["DashboardValidationMessages"]
            cw.put_dashboard(DashboardName="orders-2", DashboardBody=json.dumps({"widgets": []}))
            cw.put_dashboard(DashboardName="payments", DashboardBody=json.dumps({"widgets": []}))
            got = cw.get_dashboard(DashboardName="orders")
            out["got"] = [got["DashboardName"], got["DashboardArn"], got["DashboardBody"] == body]
            out["listed"] = [(d["DashboardName"], d["Size"]) for d in cw.list_dashboards(DashboardNamePrefix="orders")["DashboardEntries"]]
            out["invalid"] = error(cw.put_dashboard, DashboardName="bad", DashboardBody=json.dumps({"widgets": [{"type": "metric", "width": 30,
                "properties": {"metrics": ["AWS/Lambda"]}}]}))
            out["not_json"] = error(cw.put_dashboard, DashboardName="bad", DashboardBody="{widgets")
            out["bad_range"] = error(cw.put_dashboard, DashboardName="bad", DashboardBody=json.dumps({"start": "yesterday", "widgets": [{"type": "metric",
                "properties": {"metrics": [["AWS/Lambda", "Errors"]], "end": "2026-01-01T00:00:00Z"}}]}))
            out["put_ranged"] = cw.put_dashboard(DashboardName="ranged", DashboardBody=json.dumps({"start": "-PT3H", "periodOverride": "inherit", "widgets": [
                {"type": "metric", "properties": {"metrics": [["AWS/Lambda", "Errors"]], "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}}]}))["DashboardValidationMessages"]
            cw.delete_dashboards(DashboardNames=["ranged"])
            out["bad_name"] = error(cw.put_dashboard, DashboardName="no spaces", DashboardBody=json.dumps({"widgets": []}))
            out["delete_partly_missing"] = error(cw.delete_dashboards, DashboardNames=["payments", "nothing"])
            cw.delete_dashboards(DashboardNames=["payments", "orders-2"])
            out["after_delete"] = [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]]
            out["get_missing"] = error(cw.get_dashboard, DashboardName="payments")
            out["not_served"] = error(cw.get_metric_stream, Name="to-firehose")
            """);

        Assert.Equal("[]", result["put"]!.ToJsonString());
        Assert.Equal("""["orders","arn:aws:cloudwatch::000000000000:dashboard/orders",true]""", result["got"]!.ToJsonString());
        Assert.Equal("orders", (string)result["listed"]![0]![0]!);
        Assert.Equal("orders-2", (string)result["listed"]![1]![0]!);
        Assert.Equal(2, result["listed"]!.AsArray().Count);
        Assert.Equal("InvalidParameterInput", (string)result["invalid"]!["code"]!);
        Assert.StartsWith("The dashboard body is invalid, there are 3 validation errors:\n[\n  {\n    \"dataPath\": \"/widgets/0/width\",\n    \"message\": \"Should be <= 24\"",
            (string)result["invalid"]!["message"]!);
        Assert.Equal("The field DashboardBody must be a valid JSON object", (string)result["not_json"]!["message"]!);
        Assert.Equal("InvalidParameterInput", (string)result["bad_range"]!["code"]!);
        Assert.Equal("""
            The dashboard body is invalid, there are 2 validation errors:
            [
              {
                "dataPath": "/start",
                "message": "Should be an ISO 8601 time, or a duration before now such as -PT3H"
              },
              {
                "dataPath": "/widgets/0/properties",
                "message": "Should have property start when property end is present"
              }
            ]
            """, (string)result["bad_range"]!["message"]!);
        Assert.Equal("[]", result["put_ranged"]!.ToJsonString());
        Assert.Equal("InvalidParameterValue", (string)result["bad_name"]!["code"]!);
        Assert.Equal("ResourceNotFound", (string)result["delete_partly_missing"]!["code"]!);
        Assert.Equal("""["orders"]""", result["after_delete"]!.ToJsonString());
        Assert.Equal("ResourceNotFound", (string)result["get_missing"]!["code"]!);
        Assert.Contains("GetMetricStream", (string)result["not_served"]!["message"]!);
    }

    [Fact]
    public async Task CloudFormation_makes_dashboards_composite_alarms_and_logs_filters()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            template = {"Resources": {
                "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "cfn-errors", "Namespace": "Shop", "MetricName": "Errors",
                    "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}},
                "Down": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {"AlarmName": "cfn-down",
                    "AlarmRule": {"Fn::Sub": "ALARM(${Errors})"}, "AlarmDescription": "from a template"}},
                "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardName": "cfn-board",
                    "DashboardBody": json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "hello"}}]})}},
                "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/cfn/app"}},
                "Lines": {"Type": "AWS::Logs::MetricFilter", "Properties": {"LogGroupName": {"Ref": "Group"}, "FilterPattern": "ERROR",
                    "MetricTransformations": [{"MetricName": "ErrorLines", "MetricNamespace": "Cfn", "MetricValue": "1",
                        "Dimensions": [{"Key": "Service", "Value": "$.service"}]}]}}},
                "Outputs": {"DownArn": {"Value": {"Fn::GetAtt": ["Down", "Arn"]}}, "Board": {"Value": {"Ref": "Board"}}, "Lines": {"Value": {"Ref": "Lines"}}}}
            cfn, cw, logs = client("cloudformation"), client("cloudwatch"), client("logs")
            cfn.create_stack(StackName="observability", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="observability", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="observability")["Stacks"][0]["Outputs"]}
            out["outputs"] = [outputs["DownArn"], outputs["Board"]]
            out["composite"] = [(a["AlarmName"], a["AlarmRule"], a["AlarmDescription"]) for a in cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]]
            out["dashboard"] = json.loads(cw.get_dashboard(DashboardName="cfn-board")["DashboardBody"])
            out["metric_filter"] = [(f["filterName"] == outputs["Lines"], f["metricTransformations"][0]["dimensions"])
                for f in logs.describe_metric_filters(logGroupName="/cfn/app")["metricFilters"]]
            cfn.delete_stack(StackName="observability")
            cfn.get_waiter("stack_delete_complete").wait(StackName="observability", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["after_delete"] = [cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"], cw.list_dashboards()["DashboardEntries"]]
            """);

        Assert.Equal("""["arn:aws:cloudwatch:us-east-1:000000000000:alarm:cfn-down","cfn-board"]""", result["outputs"]!.ToJsonString());
        Assert.Equal("""[["cfn-down","ALARM(cfn-errors)","from a template"]]""", result["composite"]!.ToJsonString());
        Assert.Equal("hello", (string)result["dashboard"]!["widgets"]![0]!["properties"]!["markdown"]!);
        Assert.Equal("""[[true,{"Service":"$.service"}]]""", result["metric_filter"]!.ToJsonString());
        Assert.Equal("[[],[]]", result["after_delete"]!.ToJsonString());
    }

    private static string Sorted(JsonNode node) =>
        new JsonObject(node.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString();
}
