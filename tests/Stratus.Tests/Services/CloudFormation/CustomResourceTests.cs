using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// Custom resources backed by a Python function that answers as cfn-response does, PUTting its JSON to the
/// ResponseURL Stratus serves: its Data read with Fn::GetAtt, updates with the old properties, deletes
/// invoked with the physical id, and functions that fail or never answer failing the resource.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CustomResourceTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_function_backed_custom_resource_is_created_updated_and_deleted_through_its_response_url()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); lam = client("lambda"); iam = client("iam")
            def outputs(stack):
                return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            def reasons(name):
                return [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
                        if e["LogicalResourceId"] == "Thing" and e["ResourceStatus"].endswith("_FAILED")]
            role = iam.create_role(RoleName="custom-resource-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            def function(name, source):
                arn = lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=role, Timeout=10,
                                          Code={"ZipFile": python_zip(source)})["FunctionArn"]
                lam.get_waiter("function_active_v2").wait(FunctionName=name)
                return arn
            greeter = function("greeter", '''
            import json, urllib.request
            def handler(event, context):
                props = event["ResourceProperties"]
                status, reason, data = "SUCCESS", "", {}
                if event["RequestType"] == "Delete" and props["RefuseDelete"] == "true":
                    status, reason = "FAILED", "delete refused for " + event["PhysicalResourceId"]
                else:
                    data = {"Greeting": "hello " + props["Name"], "Kind": event["RequestType"], "Count": type(props["Count"]).__name__,
                            "Old": (event.get("OldResourceProperties") or {}).get("Name", "none"), "Type": event["ResourceType"]}
                body = json.dumps({"Status": status, "Reason": reason, "PhysicalResourceId": event.get("PhysicalResourceId") or "thing-" + props["Name"],
                                   "StackId": event["StackId"], "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"], "Data": data})
                request = urllib.request.Request(event["ResponseURL"], data=body.encode(), method="PUT", headers={"Content-Type": ""})
                urllib.request.urlopen(request).read()
            ''')
            crashing = function("crashing", "def handler(event, context):\n    raise ValueError('no luck')\n")
            silent = function("silent", "def handler(event, context):\n    return 'forgot to answer'\n")
            template = lambda token, extra={}: json.dumps({
                "Parameters": {"Name": {"Type": "String", "Default": "world"}, "Refuse": {"Type": "String", "Default": "false"}},
                "Resources": {"Thing": {"Type": "Custom::Greeter", "Properties": {"ServiceToken": token, "Name": {"Ref": "Name"}, "Count": 3,
                                                                                  "RefuseDelete": {"Ref": "Refuse"}, **extra}}},
                "Outputs": {k: {"Value": {"Fn::GetAtt": ["Thing", k]}} for k in ["Greeting", "Kind", "Count", "Old", "Type"]}
                           | {"Id": {"Value": {"Ref": "Thing"}}}})

            cfn.create_stack(StackName="custom", TemplateBody=template(greeter))
            stack = settle_stack("custom")
            out["created"] = [stack["StackStatus"], outputs(stack)]
            cfn.update_stack(StackName="custom", TemplateBody=template(greeter), Parameters=[{"ParameterKey": "Name", "ParameterValue": "there"}])
            stack = settle_stack("custom")
            out["updated"] = [stack["StackStatus"], outputs(stack)]
            cfn.delete_stack(StackName="custom")
            out["deleted"] = settle_stack(stack["StackId"])["StackStatus"]

            cfn.create_stack(StackName="stubborn", TemplateBody=template(greeter), Parameters=[{"ParameterKey": "Refuse", "ParameterValue": "true"}])
            settle_stack("stubborn")
            cfn.delete_stack(StackName="stubborn")
            out["refused"] = [settle_stack("stubborn")["StackStatus"], reasons("stubborn")]

            cfn.create_stack(StackName="crashing", TemplateBody=template(crashing))
            out["crashing"] = [settle_stack("crashing")["StackStatus"], reasons("crashing")]
            cfn.create_stack(StackName="silent", TemplateBody=template(silent, {"ServiceTimeout": 2}))
            out["silent"] = [settle_stack("silent")["StackStatus"], reasons("silent")]
            """);

        Assert.Equal("""["CREATE_COMPLETE",{"Greeting":"hello world","Kind":"Create","Count":"str","Old":"none","Type":"Custom::Greeter","Id":"thing-world"}]""",
            r["created"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE",{"Greeting":"hello there","Kind":"Update","Count":"str","Old":"world","Type":"Custom::Greeter","Id":"thing-world"}]""",
            r["updated"]!.ToJsonString());
        Assert.Equal("DELETE_COMPLETE", r["deleted"]!.GetValue<string>());
        Assert.Equal("DELETE_FAILED", r["refused"]![0]!.GetValue<string>());
        Assert.Matches("^Received response status \\[FAILED\\] from custom resource. Message returned: delete refused for thing-world \\(RequestId: [-0-9a-f]{36}\\)$",
            Assert.Single(r["refused"]![1]!.AsArray())!.GetValue<string>());
        Assert.Equal("ROLLBACK_COMPLETE", r["crashing"]![0]!.GetValue<string>());
        Assert.Contains("failed without sending a response", Assert.Single(r["crashing"]![1]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("no luck", r["crashing"]![1]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("ROLLBACK_COMPLETE", r["silent"]![0]!.GetValue<string>());
        Assert.StartsWith("CloudFormation did not receive a response from your Custom Resource.",
            Assert.Single(r["silent"]![1]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
    }
}
