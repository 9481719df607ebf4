using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>AWS::Logs::QueryDefinition and AWS::Logs::ResourcePolicy through a stack: created, changed in place, deleted.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsTemplateResourcesTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_stack_saves_a_query_and_a_resource_policy_changes_them_in_place_and_deletes_them()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cf, logs = client("cloudformation"), client("logs")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            def template(query, service):
                return json.dumps({"Resources": {
                    "Saved": {"Type": "AWS::Logs::QueryDefinition", "Properties": {"Name": "cfn/errors", "QueryString": query,
                        "LogGroupNames": ["/cfn/app"]}},
                    "Policy": {"Type": "AWS::Logs::ResourcePolicy", "Properties": {"PolicyName": "cfn-delivery",
                        "PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                            "Principal": {"Service": service}, "Action": "logs:PutLogEvents", "Resource": "*"}]})}}},
                    "Outputs": {"Id": {"Value": {"Ref": "Saved"}}, "Att": {"Value": {"Fn::GetAtt": ["Saved", "QueryDefinitionId"]}},
                        "Policy": {"Value": {"Ref": "Policy"}}}})
            def saved():
                return [(d["queryDefinitionId"], d["queryString"], d["logGroupNames"]) for d in logs.describe_query_definitions(queryDefinitionNamePrefix="cfn/")["queryDefinitions"]]
            def policies():
                return [(p["policyName"], json.loads(p["policyDocument"])["Statement"][0]["Principal"]["Service"]) for p in logs.describe_resource_policies()["resourcePolicies"]]
            cf.create_stack(StackName="logs-resources", TemplateBody=template("fields @message | filter @message like /ERROR/", "events.amazonaws.com"))
            cf.get_waiter("stack_create_complete").wait(StackName="logs-resources", WaiterConfig=FAST)
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="logs-resources")["Stacks"][0]["Outputs"]}
            out["outputs"] = outputs
            out["created"] = [saved(), policies()]
            cf.update_stack(StackName="logs-resources", TemplateBody=template("stats count(*) by bin(1m)", "delivery.logs.amazonaws.com"))
            cf.get_waiter("stack_update_complete").wait(StackName="logs-resources", WaiterConfig=FAST)
            out["updated"] = [saved(), policies()]
            cf.create_stack(StackName="logs-bad-query", TemplateBody=json.dumps({"Resources": {"Bad": {"Type": "AWS::Logs::QueryDefinition",
                "Properties": {"Name": "cfn/bad", "QueryString": "fields | |"}}}}))
            while cf.describe_stacks(StackName="logs-bad-query")["Stacks"][0]["StackStatus"] != "ROLLBACK_COMPLETE":
                time.sleep(0.5)
            out["bad_reason"] = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName="logs-bad-query")["StackEvents"]
                if e["LogicalResourceId"] == "Bad" and e["ResourceStatus"] == "CREATE_FAILED"]
            cf.delete_stack(StackName="logs-resources")
            cf.get_waiter("stack_delete_complete").wait(StackName="logs-resources", WaiterConfig=FAST)
            out["deleted"] = [saved(), policies()]
            """);

        var id = r["outputs"]!["Id"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f-]{36}$", id);
        Assert.Equal(id, r["outputs"]!["Att"]!.GetValue<string>());
        Assert.Equal("cfn-delivery", r["outputs"]!["Policy"]!.GetValue<string>());
        Assert.Equal($$"""[[["{{id}}","fields @message | filter @message like /ERROR/",["/cfn/app"]]],[["cfn-delivery","events.amazonaws.com"]]]""",
            r["created"]!.ToJsonString());
        Assert.Equal($$"""[[["{{id}}","stats count(*) by bin(1m)",["/cfn/app"]]],[["cfn-delivery","delivery.logs.amazonaws.com"]]]""",
            r["updated"]!.ToJsonString());
        Assert.Contains("MalformedQuery", Assert.Single(r["bad_reason"]!.AsArray())!.GetValue<string>());
        Assert.Equal("[[],[]]", r["deleted"]!.ToJsonString());
    }
}
