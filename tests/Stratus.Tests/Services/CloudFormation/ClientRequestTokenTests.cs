using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>ClientRequestToken on stack operations: a retry with the same token is answered without a second operation, events carry the token.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ClientRequestTokenTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_retried_operation_runs_once_its_events_carry_the_token_and_another_operation_cannot_reuse_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation")
            one = json.dumps({"Resources": {"H1": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
            two = json.dumps({"Resources": {"H1": {"Type": "AWS::CloudFormation::WaitConditionHandle"}, "H2": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
            def settle():
                deadline = time.time() + 60
                while cfn.describe_stacks(StackName="tokens")["Stacks"][0]["StackStatus"].endswith("_IN_PROGRESS") and time.time() < deadline: time.sleep(0.3)
            first = cfn.create_stack(StackName="tokens", TemplateBody=one, ClientRequestToken="create-1")["StackId"]
            settle()
            out["create retry"] = cfn.create_stack(StackName="tokens", TemplateBody=one, ClientRequestToken="create-1")["StackId"] == first
            out["create again"] = error(cfn.create_stack, StackName="tokens", TemplateBody=one, ClientRequestToken="create-2")
            out["reused by update"] = error(cfn.update_stack, StackName="tokens", TemplateBody=two, ClientRequestToken="create-1")
            out["update"] = cfn.update_stack(StackName="tokens", TemplateBody=two, ClientRequestToken="update-1")["StackId"] == first
            settle()
            out["update retry"] = cfn.update_stack(StackName="tokens", TemplateBody=two, ClientRequestToken="update-1")["StackId"] == first
            events = [e for page in cfn.get_paginator("describe_stack_events").paginate(StackName="tokens") for e in page["StackEvents"]]
            stack_events = [[e["ResourceStatus"], e.get("ClientRequestToken")] for e in reversed(events) if e["LogicalResourceId"] == "tokens"]
            out["stack events"] = stack_events
            out["resource tokens"] = sorted({(e["LogicalResourceId"], e.get("ClientRequestToken")) for e in events if e["LogicalResourceId"] != "tokens"})
            cfn.delete_stack(StackName="tokens", ClientRequestToken="delete-1")
            cfn.delete_stack(StackName=first, ClientRequestToken="delete-1")
            deadline = time.time() + 60
            while cfn.describe_stacks(StackName=first)["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE" and time.time() < deadline: time.sleep(0.3)
            out["deletes"] = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName=first)["StackEvents"]
                if e["LogicalResourceId"] == "tokens" and e.get("ClientRequestToken") == "delete-1"]
            """);

        Assert.True((bool)r["create retry"]!);
        Assert.Equal("AlreadyExistsException", (string)r["create again"]!["code"]!);
        Assert.Equal("TokenAlreadyExistsException", (string)r["reused by update"]!["code"]!);
        Assert.Equal(400, (int)r["reused by update"]!["status"]!);
        Assert.True((bool)r["update"]!);
        Assert.True((bool)r["update retry"]!);
        Assert.Equal("""[["CREATE_IN_PROGRESS","create-1"],["CREATE_COMPLETE","create-1"],["UPDATE_IN_PROGRESS","update-1"],["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS","update-1"],["UPDATE_COMPLETE","update-1"]]""",
            r["stack events"]!.ToJsonString());
        Assert.Equal("""[["H1","create-1"],["H2","update-1"]]""", r["resource tokens"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE","DELETE_IN_PROGRESS"]""", r["deletes"]!.ToJsonString());
    }
}
