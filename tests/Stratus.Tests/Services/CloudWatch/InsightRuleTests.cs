using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Contributor Insights through boto3 over events put with PutLogEvents, and AWS::CloudWatch::InsightRule in a stack.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class InsightRuleTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_rule_reports_the_top_contributors_of_the_JSON_events_put_while_it_was_enabled()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import time
            from datetime import datetime, timezone, timedelta
            cw, logs = client("cloudwatch"), client("logs")
            logs.create_log_group(logGroupName="/shop/api")
            logs.create_log_stream(logGroupName="/shop/api", logStreamName="web-1")
            definition = json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/shop/*"], "LogFormat": "JSON",
                "Contribution": {"Keys": ["$.ip"], "ValueOf": "$.bytes", "Filters": [{"Match": "$.method", "In": ["GET", "PUT"]}]}, "AggregateOn": "Sum"})
            counting = json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/shop/api"], "LogFormat": "JSON",
                "Contribution": {"Keys": ["$.ip", "$.method"]}, "AggregateOn": "Count"})
            cw.put_insight_rule(RuleName="bytes-by-ip", RuleState="ENABLED", RuleDefinition=definition, Tags=[{"Key": "team", "Value": "shop"}])
            cw.put_insight_rule(RuleName="requests", RuleDefinition=counting)
            cw.put_insight_rule(RuleName="paused", RuleState="DISABLED", RuleDefinition=counting)
            now = int(time.time() * 1000)
            events = [("10.0.0.1", "GET", 100), ("10.0.0.2", "GET", 700), ("10.0.0.1", "PUT", 250), ("10.0.0.3", "DELETE", 9000), ("10.0.0.1", "GET", 50)]
            logs.put_log_events(logGroupName="/shop/api", logStreamName="web-1",
                logEvents=[{"timestamp": now + i, "message": json.dumps({"ip": ip, "method": m, "bytes": b})} for i, (ip, m, b) in enumerate(events)])
            start, end = datetime.now(timezone.utc) - timedelta(minutes=5), datetime.now(timezone.utc) + timedelta(minutes=5)
            report = cw.get_insight_rule_report(RuleName="bytes-by-ip", StartTime=start, EndTime=end, Period=60,
                Metrics=["UniqueContributors", "SampleCount", "Sum", "MaxContributorValue"])
            out["keys"] = report["KeyLabels"]
            # Doubles as floats, however the protocol carried a whole number.
            out["aggregation"] = [report["AggregationStatistic"], float(report["AggregateValue"]), report["ApproximateUniqueCount"]]
            out["contributors"] = [(c["Keys"], float(c["ApproximateAggregateValue"]), float(sum(p["ApproximateValue"] for p in c["Datapoints"]))) for c in report["Contributors"]]
            out["metrics"] = [float(sum(p["SampleCount"] for p in report["MetricDatapoints"])), float(sum(p["Sum"] for p in report["MetricDatapoints"])),
                sorted(set(k for p in report["MetricDatapoints"] for k in p))]
            top = cw.get_insight_rule_report(RuleName="requests", StartTime=start, EndTime=end, Period=300, MaxContributorCount=1)
            out["top_count"] = [(c["Keys"], float(c["ApproximateAggregateValue"])) for c in top["Contributors"]] + [top["AggregationStatistic"], "MetricDatapoints" in top]
            math = cw.get_metric_data(MetricDataQueries=[{"Id": "bytes", "Expression": "INSIGHT_RULE_METRIC('bytes-by-ip', Sum)", "Period": 60}],
                StartTime=start, EndTime=end)["MetricDataResults"][0]
            out["math"] = [math["StatusCode"], float(sum(math["Values"]))]
            out["disabled"] = cw.get_insight_rule_report(RuleName="paused", StartTime=start, EndTime=end, Period=60)["Contributors"]
            out["described"] = [(r["Name"], r["State"], r["Schema"], r["ManagedRule"]) for r in cw.describe_insight_rules()["InsightRules"]]
            page = cw.describe_insight_rules(MaxResults=2)
            out["paged"] = [len(page["InsightRules"]), len(cw.describe_insight_rules(MaxResults=2, NextToken=page["NextToken"])["InsightRules"])]
            arn = "arn:aws:cloudwatch:us-east-1:000000000000:insight-rule/bytes-by-ip"
            out["tags"] = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
            out["disable"] = cw.disable_insight_rules(RuleNames=["bytes-by-ip", "ghost"])["Failures"]
            logs.put_log_events(logGroupName="/shop/api", logStreamName="web-1",
                logEvents=[{"timestamp": now + 10, "message": json.dumps({"ip": "10.0.0.9", "method": "GET", "bytes": 99999})}])
            after = cw.get_insight_rule_report(RuleName="bytes-by-ip", StartTime=start, EndTime=end, Period=60)
            out["after_disable"] = [c["Keys"][0] for c in after["Contributors"]]
            out["invalid"] = error(cw.put_insight_rule, RuleName="bad", RuleDefinition=json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 1}}))
            out["bad_state"] = error(cw.put_insight_rule, RuleName="bad", RuleState="ON", RuleDefinition=counting)
            out["missing_report"] = error(cw.get_insight_rule_report, RuleName="ghost", StartTime=start, EndTime=end, Period=60)
            out["managed"] = cw.list_managed_insight_rules(ResourceARN="arn:aws:dynamodb:us-east-1:000000000000:table/orders")["ManagedRules"]
            out["put_managed"] = error(cw.put_managed_insight_rules, ManagedRules=[{"TemplateName": "DynamoDBContributorInsights-PKC-orders", "ResourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/orders"}])
            out["delete"] = cw.delete_insight_rules(RuleNames=["bytes-by-ip", "requests", "paused", "ghost"])["Failures"]
            out["after_delete"] = cw.describe_insight_rules()["InsightRules"]
            """);

        Assert.Equal("""["$.ip"]""", result["keys"]!.ToJsonString());
        Assert.Equal("""["Sum",1100.0,2]""", result["aggregation"]!.ToJsonString());
        Assert.Equal("""[[["10.0.0.2"],700.0,700.0],[["10.0.0.1"],400.0,400.0]]""", result["contributors"]!.ToJsonString());
        Assert.Equal("""[4.0,1100.0,["MaxContributorValue","SampleCount","Sum","Timestamp","UniqueContributors"]]""", result["metrics"]!.ToJsonString());
        Assert.Equal("""[[["10.0.0.1","GET"],2.0],"Count",false]""", result["top_count"]!.ToJsonString());
        Assert.Equal("""["Complete",1100.0]""", result["math"]!.ToJsonString());
        Assert.Equal("[]", result["disabled"]!.ToJsonString());
        Assert.Equal("""[["bytes-by-ip","ENABLED","CloudWatchLogRule/1",false],["paused","DISABLED","CloudWatchLogRule/1",false],["requests","ENABLED","CloudWatchLogRule/1",false]]""",
            result["described"]!.ToJsonString());
        Assert.Equal("[2,1]", result["paged"]!.ToJsonString());
        Assert.Equal("""[{"Key":"team","Value":"shop"}]""", result["tags"]!.ToJsonString());
        Assert.Equal("ghost", (string)result["disable"]![0]!["FailureResource"]!);
        Assert.Single(result["disable"]!.AsArray());
        Assert.Equal("""["10.0.0.2","10.0.0.1"]""", result["after_disable"]!.ToJsonString());
        Assert.Equal("InvalidParameterValue", (string)result["invalid"]!["code"]!);
        Assert.StartsWith("The rule definition is invalid: ", (string)result["invalid"]!["message"]!);
        Assert.Equal("InvalidParameterValue", (string)result["bad_state"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["missing_report"]!["code"]!);
        Assert.Equal("[]", result["managed"]!.ToJsonString());
        Assert.Equal("InvalidParameterValue", (string)result["put_managed"]!["code"]!);
        Assert.Contains("DynamoDBContributorInsights-PKC-orders", (string)result["put_managed"]!["message"]!);
        Assert.Equal("""[["ghost","ResourceNotFoundException"]]""",
            new System.Text.Json.Nodes.JsonArray(result["delete"]!.AsArray().Select(f => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonArray(
                (string)f!["FailureResource"]!, (string)f["ExceptionType"]!)).ToArray()).ToJsonString());
        Assert.Equal("[]", result["after_delete"]!.ToJsonString());
    }

    [Fact]
    public async Task An_InsightRule_resource_is_created_tagged_updated_and_deleted_with_its_stack()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            cfn, cw = client("cloudformation"), client("cloudwatch")
            def template(state, team):
                body = json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/cfn/*"], "LogFormat": "JSON",
                    "Contribution": {"Keys": ["$.user"]}, "AggregateOn": "Count"})
                return json.dumps({"Resources": {"Users": {"Type": "AWS::CloudWatch::InsightRule", "Properties": {"RuleName": "cfn-users",
                    "RuleState": state, "RuleBody": body, "Tags": [{"Key": "team", "Value": team}]}}},
                    "Outputs": {"Ref": {"Value": {"Ref": "Users"}}, "Arn": {"Value": {"Fn::GetAtt": ["Users", "Arn"]}}, "Name": {"Value": {"Fn::GetAtt": ["Users", "RuleName"]}}}})
            cfn.create_stack(StackName="insights", TemplateBody=template("ENABLED", "a"))
            cfn.get_waiter("stack_create_complete").wait(StackName="insights", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="insights")["Stacks"][0]["Outputs"]}
            out["outputs"] = [outputs["Ref"], outputs["Arn"], outputs["Name"]]
            out["created"] = [(r["Name"], r["State"]) for r in cw.describe_insight_rules()["InsightRules"]]
            cfn.update_stack(StackName="insights", TemplateBody=template("DISABLED", "b"))
            cfn.get_waiter("stack_update_complete").wait(StackName="insights", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["updated"] = [(r["Name"], r["State"]) for r in cw.describe_insight_rules()["InsightRules"]]
            out["tags"] = cw.list_tags_for_resource(ResourceARN=outputs["Arn"])["Tags"]
            cfn.delete_stack(StackName="insights")
            cfn.get_waiter("stack_delete_complete").wait(StackName="insights", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["after_delete"] = cw.describe_insight_rules()["InsightRules"]
            """);

        const string arn = "arn:aws:cloudwatch:us-east-1:000000000000:insight-rule/cfn-users";
        Assert.Equal($"""["{arn}","{arn}","cfn-users"]""", result["outputs"]!.ToJsonString());
        Assert.Equal("""[["cfn-users","ENABLED"]]""", result["created"]!.ToJsonString());
        Assert.Equal("""[["cfn-users","DISABLED"]]""", result["updated"]!.ToJsonString());
        Assert.Equal("""[{"Key":"team","Value":"b"}]""", result["tags"]!.ToJsonString());
        Assert.Equal("[]", result["after_delete"]!.ToJsonString());
    }
}
