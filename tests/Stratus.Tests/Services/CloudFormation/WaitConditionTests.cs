using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// AWS::CloudFormation::WaitConditionHandle and WaitCondition: signals PUT to the handle's URL (served by
/// Stratus) complete the condition at its Count, a FAILURE signal or the Timeout fails it, Data is read with GetAtt.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WaitConditionTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Signals_to_the_handle_url_complete_or_fail_the_wait_condition()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            import urllib.request, urllib.error
            cfn = client("cloudformation")
            def handle_url(name):
                while True:
                    for resource in cfn.describe_stack_resources(StackName=name)["StackResources"]:
                        if resource["LogicalResourceId"] == "Handle" and resource["ResourceStatus"] == "CREATE_COMPLETE":
                            return resource["PhysicalResourceId"]
                    time.sleep(0.2)
            def signal(url, status, unique_id, data="", reason=""):
                body = json.dumps({"Status": status, "UniqueId": unique_id, "Data": data, "Reason": reason}).encode()
                try:
                    return urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})).status
                except urllib.error.HTTPError as e:
                    return e.code
            def reasons(name):
                return [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
                        if e["LogicalResourceId"] == "Condition" and e["ResourceStatus"] == "CREATE_FAILED"]
            template = lambda count, timeout: json.dumps({"Resources": {
                "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                "Condition": {"Type": "AWS::CloudFormation::WaitCondition", "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": timeout, "Count": count}}},
                "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Condition", "Data"]}}}})

            cfn.create_stack(StackName="waiting", TemplateBody=template(2, 120))
            url = handle_url("waiting")
            out["signalled"] = [signal(url, "SUCCESS", "b", "two"), signal(url, "SUCCESS", "a", "one")]
            stack = settle_stack("waiting")
            out["completed"] = [stack["StackStatus"], json.loads(stack["Outputs"][0]["OutputValue"])]
            out["bogus"] = signal(url.rsplit("/", 1)[0] + "/" + "0" * 64, "SUCCESS", "x")
            cfn.delete_stack(StackName="waiting")
            settle_stack(stack["StackId"])
            out["after_delete"] = signal(url, "SUCCESS", "c")

            cfn.create_stack(StackName="failing", TemplateBody=template(1, 120))
            signal(handle_url("failing"), "FAILURE", "setup", reason="disk full")
            out["failed"] = [settle_stack("failing")["StackStatus"], reasons("failing")]
            cfn.create_stack(StackName="late", TemplateBody=template(1, 1))
            out["timed_out"] = [settle_stack("late")["StackStatus"], reasons("late")]
            """);

        Assert.Equal("[200,200]", r["signalled"]!.ToJsonString());
        Assert.Equal("""["CREATE_COMPLETE",{"a":"one","b":"two"}]""", r["completed"]!.ToJsonString());
        Assert.Equal(403, r["bogus"]!.GetValue<int>());
        Assert.Equal(403, r["after_delete"]!.GetValue<int>());
        Assert.Equal("ROLLBACK_COMPLETE", r["failed"]![0]!.GetValue<string>());
        Assert.Equal("WaitCondition received failed message: 'disk full' for uniqueId: setup", Assert.Single(r["failed"]![1]!.AsArray())!.GetValue<string>());
        Assert.Equal("""["ROLLBACK_COMPLETE",["WaitCondition timed out. Received 0 conditions when expecting 1"]]""", r["timed_out"]!.ToJsonString());
    }
}
