using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Alarm mute rules through boto3: a muted alarm changes state, its Lambda action waits until the rule no longer mutes it.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AlarmMuteRuleTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_muted_alarm_changes_state_and_its_action_runs_once_the_rule_expires()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            import datetime
            fn = create("muted-pager", {"app.py": "import time\ndef handler(event, context):\n    print('INVOKED-AT', int(time.time() * 1000), event['alarmData']['state']['value'])\n    return 1\n"},
                Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="muted-pager", StatementId="alarms", Action="lambda:InvokeFunction", Principal="lambda.alarms.cloudwatch.amazonaws.com")
            cw, logs = client("cloudwatch"), client("logs")
            cw.put_metric_alarm(AlarmName="muted", Namespace="Mute", MetricName="Errors", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="ignore", AlarmActions=[fn])
            expire = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=20)
            cw.put_alarm_mute_rule(Name="deploys", Description="deploy window", Rule={"Schedule": {"Expression": "cron(* * * * *)", "Duration": "PT1M"}},
                MuteTargets={"AlarmNames": ["muted"]}, ExpireDate=expire)
            rule = cw.get_alarm_mute_rule(AlarmMuteRuleName="deploys")
            out["rule"] = [rule["Status"], rule["MuteType"], rule["AlarmMuteRuleArn"].split(":", 5)[5], rule["MuteTargets"]["AlarmNames"], rule["Rule"]["Schedule"]["Duration"]]
            out["listed"] = [(r["Status"], r["MuteType"]) for r in cw.list_alarm_mute_rules(AlarmName="muted")["AlarmMuteRuleSummaries"]]
            out["none_for_other"] = cw.list_alarm_mute_rules(AlarmName="other")["AlarmMuteRuleSummaries"]
            cw.set_alarm_state(AlarmName="muted", StateValue="ALARM", StateReason="testing the mute")
            def actions():
                return [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName="muted", HistoryItemType="Action")["AlarmHistoryItems"]]
            time.sleep(5)
            out["state_during"] = cw.describe_alarms(AlarmNames=["muted"])["MetricAlarms"][0]["StateValue"]
            out["actions_during"] = actions()
            for _ in range(60):
                if cw.get_alarm_mute_rule(AlarmMuteRuleName="deploys")["Status"] == "EXPIRED": break
                time.sleep(1)
            out["expired"] = cw.get_alarm_mute_rule(AlarmMuteRuleName="deploys")["Status"]
            for _ in range(120):
                if actions(): break
                time.sleep(1)
            out["actions_after"] = actions()
            invoked = []
            for _ in range(60):
                try:
                    invoked = [e["message"].split() for e in logs.filter_log_events(logGroupName="/aws/lambda/muted-pager", filterPattern="INVOKED-AT")["events"]]
                except logs.exceptions.ResourceNotFoundException:
                    pass
                if invoked: break
                time.sleep(1)
            out["invocations"] = len(invoked)
            out["invoked_after_expiry"] = all(int(line[1]) >= expire.timestamp() * 1000 for line in invoked)
            out["invoked_state"] = [line[2] for line in invoked]
            arn = rule["AlarmMuteRuleArn"]
            cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "ops"}, {"Key": "tier", "Value": "1"}])
            cw.untag_resource(ResourceARN=arn, TagKeys=["tier"])
            out["tags"] = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
            out["bad_cron"] = error(cw.put_alarm_mute_rule, Name="bad", Rule={"Schedule": {"Expression": "cron(0 2 * *)", "Duration": "PT1H"}}, MuteTargets={"AlarmNames": ["muted"]})
            out["missing_alarm"] = error(cw.put_alarm_mute_rule, Name="bad", Rule={"Schedule": {"Expression": "at(2030-01-01T00:00)", "Duration": "PT1H"}}, MuteTargets={"AlarmNames": ["nope"]})
            cw.delete_alarm_mute_rule(AlarmMuteRuleName="deploys")
            cw.delete_alarm_mute_rule(AlarmMuteRuleName="deploys")
            out["after_delete"] = error(cw.get_alarm_mute_rule, AlarmMuteRuleName="deploys")
            """);

        Assert.Equal("""["ACTIVE","RECURRING","alarm-mute-rule:deploys",["muted"],"PT1M"]""", result["rule"]!.ToJsonString());
        Assert.Equal("""[["ACTIVE","RECURRING"]]""", result["listed"]!.ToJsonString());
        Assert.Empty(result["none_for_other"]!.AsArray());
        Assert.Equal("ALARM", (string)result["state_during"]!);
        Assert.Empty(result["actions_during"]!.AsArray());
        Assert.Equal("EXPIRED", (string)result["expired"]!);
        var after = result["actions_after"]!.AsArray();
        Assert.Single(after);
        Assert.StartsWith("Successfully executed action", (string)after[0]!);
        Assert.Equal(1, (int)result["invocations"]!);
        Assert.True((bool)result["invoked_after_expiry"]!);
        Assert.Equal("""["ALARM"]""", result["invoked_state"]!.ToJsonString());
        Assert.Equal("""[{"Key":"team","Value":"ops"}]""", result["tags"]!.ToJsonString());
        Assert.Equal("InvalidParameterValue", (string)result["bad_cron"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)result["missing_alarm"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["after_delete"]!["code"]!);
    }
}
