using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Stack sets, their instances and operations are on disk: they survive a restart, and an operation a stop cut short is failed.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StackSetRestartTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Helpers = """
        cfn = client("cloudformation")
        account = client("sts").get_caller_identity()["Account"]
        def wait_op(stack_set, op):
            deadline = time.time() + 60
            while time.time() < deadline:
                operation = cfn.describe_stack_set_operation(StackSetName=stack_set, OperationId=op)["StackSetOperation"]
                if operation["Status"] not in ("RUNNING", "STOPPING"): return operation
                time.sleep(0.3)
            raise Exception("operation " + op + " did not end")

        """;

    [Fact]
    public async Task Stack_sets_keep_their_instances_and_operations_across_a_restart()
    {
        var before = await Clients.Boto3Async(_server.Url, Helpers + """
            setting = json.dumps({"Resources": {"Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "kept"}}}})
            cfn.create_stack_set(StackSetName="durable", TemplateBody=setting)
            op = cfn.create_stack_instances(StackSetName="durable", Accounts=[account], Regions=["us-east-1", "eu-west-1"])["OperationId"]
            out["created"] = [op, wait_op("durable", op)["Status"]]
            waiting = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                "Condition": {"Type": "AWS::CloudFormation::WaitCondition", "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 600}}}})
            cfn.create_stack_set(StackSetName="cut-short", TemplateBody=waiting)
            op = cfn.create_stack_instances(StackSetName="cut-short", Accounts=[account], Regions=["us-west-2"])["OperationId"]
            deadline = time.time() + 60
            while time.time() < deadline and "StackId" not in cfn.describe_stack_instance(StackSetName="cut-short", StackInstanceAccount=account,
                    StackInstanceRegion="us-west-2")["StackInstance"]:
                time.sleep(0.2)
            out["cut_short"] = [op, cfn.describe_stack_set_operation(StackSetName="cut-short", OperationId=op)["StackSetOperation"]["Status"]]
            """);
        Assert.Equal("SUCCEEDED", before["created"]![1]!.GetValue<string>());
        Assert.Equal("RUNNING", before["cut_short"]![1]!.GetValue<string>());

        await _server.RestartAsync();

        var after = await Clients.Boto3Async(_server.Url, Helpers + $$"""
            out["set"] = cfn.describe_stack_set(StackSetName="durable")["StackSet"]["Status"]
            out["instances"] = [i["Region"] + ":" + i["Status"] for i in cfn.list_stack_instances(StackSetName="durable")["Summaries"]]
            out["operation"] = cfn.describe_stack_set_operation(StackSetName="durable", OperationId="{{before["created"]![0]}}")["StackSetOperation"]["Status"]
            cut = cfn.describe_stack_set_operation(StackSetName="cut-short", OperationId="{{before["cut_short"]![0]}}")["StackSetOperation"]
            out["cut_short"] = [cut["Status"], cut.get("StatusReason", "")]
            op = cfn.delete_stack_instances(StackSetName="durable", Accounts=[account], Regions=["us-east-1", "eu-west-1"], RetainStacks=False)["OperationId"]
            out["deleted"] = [wait_op("durable", op)["Status"], cfn.list_stack_instances(StackSetName="durable")["Summaries"]]
            """);

        Assert.Equal("ACTIVE", after["set"]!.GetValue<string>());
        Assert.Equal("""["eu-west-1:CURRENT","us-east-1:CURRENT"]""", after["instances"]!.ToJsonString());
        Assert.Equal("SUCCEEDED", after["operation"]!.GetValue<string>());
        Assert.Equal("""["FAILED","Stratus stopped while this operation was in progress."]""", after["cut_short"]!.ToJsonString());
        Assert.Equal("""["SUCCEEDED",[]]""", after["deleted"]!.ToJsonString());
    }
}
