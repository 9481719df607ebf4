using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Stacks survive a restart in their last state, and what they made can still be changed and deleted.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudFormationRestartTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Stacks_keep_their_status_outputs_events_and_resources_across_a_restart()
    {
        var before = await Clients.Boto3Async(_server.Url, $$"""
            cf = client("cloudformation")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            cf.create_stack(StackName="durable", TemplateBody={{CloudFormationTemplates.Python("iam_stack.yml")}}, Capabilities=["CAPABILITY_IAM"])
            cf.get_waiter("stack_create_complete").wait(StackName="durable", WaiterConfig=FAST)
            cf.create_stack(StackName="failed-before", TemplateBody={{CloudFormationTemplates.Python("failing_stack.yml")}}, Capabilities=["CAPABILITY_IAM"])
            for _ in range(100):
                if cf.describe_stacks(StackName="failed-before")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE": break
                time.sleep(0.2)
            s = cf.describe_stacks(StackName="durable")["Stacks"][0]
            out["outputs"] = s["Outputs"]
            out["events"] = len(cf.describe_stack_events(StackName="durable")["StackEvents"])
            """);

        await _server.RestartAsync();

        var after = await Clients.Boto3Async(_server.Url, $$"""
            cf = client("cloudformation")
            iam = client("iam")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            s = cf.describe_stacks(StackName="durable")["Stacks"][0]
            out["status"] = s["StackStatus"]
            out["outputs"] = s["Outputs"]
            out["events"] = len(cf.describe_stack_events(StackName="durable")["StackEvents"])
            out["failed"] = cf.describe_stacks(StackName="failed-before")["Stacks"][0]["StackStatus"]
            out["exports"] = [e["Name"] for e in cf.list_exports()["Exports"]]
            role = [o["OutputValue"] for o in s["Outputs"] if o["OutputKey"] == "RoleName"][0]
            cf.update_stack(StackName="durable", UsePreviousTemplate=True, Capabilities=["CAPABILITY_IAM"],
                            Parameters=[{"ParameterKey": "Environment", "ParameterValue": "prod"}, {"ParameterKey": "Secret", "UsePreviousValue": True}])
            cf.get_waiter("stack_update_complete").wait(StackName="durable", WaiterConfig=FAST)
            out["session"] = iam.get_role(RoleName=role)["Role"]["MaxSessionDuration"]
            cf.delete_stack(StackName="durable")
            cf.get_waiter("stack_delete_complete").wait(StackName="durable", WaiterConfig=FAST)
            out["roleGone"] = error(iam.get_role, RoleName=role)["code"]
            """);

        Assert.Equal("CREATE_COMPLETE", (string?)after["status"]);
        Assert.True(JsonNode.DeepEquals(before["outputs"], after["outputs"]), after.ToJsonString());
        Assert.Equal((int)before["events"]!, (int)after["events"]!);
        Assert.Equal("ROLLBACK_COMPLETE", (string?)after["failed"]);
        Assert.Equal("""["durable-RoleArn"]""", after["exports"]!.ToJsonString());
        Assert.Equal(7200, (int)after["session"]!);
        Assert.Equal("NoSuchEntity", (string?)after["roleGone"]);
    }
}
