using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Stratus registers no hooks: a change set has none planned, no hook result exists, and the answers say so in the model's shapes.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class HookOperationsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_change_set_has_no_hooks_and_no_hook_result_exists()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation")
            body = json.dumps({"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}})
            made = cfn.create_change_set(StackName="hooked", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body)
            hooks = cfn.describe_change_set_hooks(ChangeSetName="first", StackName="hooked")
            out["hooks"] = [hooks["Hooks"], hooks["Status"], hooks["ChangeSetId"] == made["Id"], hooks["StackId"] == made["StackId"], hooks["ChangeSetName"]]
            out["missing change set"] = error(cfn.describe_change_set_hooks, ChangeSetName="nope", StackName="hooked")["code"]
            results = cfn.list_hook_results(TargetType="CHANGE_SET", TargetId=made["Id"])
            out["results"] = [results["HookResults"], results["TargetType"]]
            out["result"] = error(cfn.get_hook_result, HookResultId="0f0f0f0f-0000-4000-8000-000000000000")
            cfn.delete_stack(StackName="hooked")
            """);

        Assert.Equal("""[[],"PLANNED",true,true,"first"]""", r["hooks"]!.ToJsonString());
        Assert.Equal("ChangeSetNotFound", (string?)r["missing change set"]);
        Assert.Equal("""[[],"CHANGE_SET"]""", r["results"]!.ToJsonString());
        Assert.Equal("HookResultNotFound", (string?)r["result"]!["code"]);
        Assert.Equal(404, (int)r["result"]!["status"]!);
    }
}
