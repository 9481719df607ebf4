using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Stack policies refusing updates to protected resources, and termination protection refusing deletes, through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StackPolicyAndTerminationProtectionTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_protected_resource_is_not_updated_a_during_update_policy_lets_it_and_a_protected_stack_is_not_deleted()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            import botocore
            cfn = client("cloudformation"); ssm = client("ssm")
            def template(kept, free):
                return json.dumps({"Resources": {
                    "Kept": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": "/policy/kept", "Value": kept}},
                    "Free": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": "/policy/free", "Value": free}}}})
            policy = json.dumps({"Statement": [
                {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "LogicalResourceId/Kept"}]})
            def error(call):
                try:
                    call(); return None
                except botocore.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["Error"]["Message"]]

            cfn.create_stack(StackName="guarded", TemplateBody=template("1", "1"), StackPolicyBody=policy, EnableTerminationProtection=True)
            out["created"] = [settle_stack("guarded")["StackStatus"], settle_stack("guarded")["EnableTerminationProtection"]]
            out["policy"] = json.loads(cfn.get_stack_policy(StackName="guarded")["StackPolicyBody"]) == json.loads(policy)

            cfn.update_stack(StackName="guarded", TemplateBody=template("2", "2"))
            stack = settle_stack("guarded")
            events = cfn.describe_stack_events(StackName="guarded")["StackEvents"]
            out["refused"] = [stack["StackStatus"], next(e["ResourceStatusReason"] for e in events
                if e["LogicalResourceId"] == "Kept" and e["ResourceStatus"] == "UPDATE_FAILED")]
            out["values after refusal"] = [ssm.get_parameter(Name=n)["Parameter"]["Value"] for n in ("/policy/kept", "/policy/free")]

            everything = json.dumps({"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]})
            cfn.update_stack(StackName="guarded", TemplateBody=template("3", "3"), StackPolicyDuringUpdateBody=everything)
            out["with during-update policy"] = [settle_stack("guarded")["StackStatus"], ssm.get_parameter(Name="/policy/kept")["Parameter"]["Value"]]
            out["policy kept"] = json.loads(cfn.get_stack_policy(StackName="guarded")["StackPolicyBody"]) == json.loads(policy)

            out["bad policy"] = error(lambda: cfn.set_stack_policy(StackName="guarded", StackPolicyBody='{"Statement": [{"Effect": "Allow"}]}'))
            out["delete refused"] = error(lambda: cfn.delete_stack(StackName="guarded"))
            out["still there"] = settle_stack("guarded")["StackStatus"]
            cfn.update_termination_protection(StackName="guarded", EnableTerminationProtection=False)
            cfn.delete_stack(StackName="guarded")
            out["deleted"] = [s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "guarded"]
            """);

        Assert.Equal("""["CREATE_COMPLETE",true]""", r["created"]!.ToJsonString());
        Assert.True(r["policy"]!.GetValue<bool>());
        Assert.Equal("UPDATE_ROLLBACK_COMPLETE", r["refused"]![0]!.GetValue<string>());
        Assert.Equal("Action denied by stack policy: Statement [#2] does not allow [Update:Modify] for resource [LogicalResourceId/Kept]", r["refused"]![1]!.GetValue<string>());
        Assert.Equal("""["1","1"]""", r["values after refusal"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE","3"]""", r["with during-update policy"]!.ToJsonString());
        Assert.True(r["policy kept"]!.GetValue<bool>());
        Assert.Equal("ValidationError", r["bad policy"]![0]!.GetValue<string>());
        Assert.StartsWith("Error validating stack policy: ", r["bad policy"]![1]!.GetValue<string>());
        Assert.Equal("""["ValidationError","Stack [guarded] cannot be deleted while TerminationProtection is enabled"]""", r["delete refused"]!.ToJsonString());
        Assert.Equal("UPDATE_COMPLETE", r["still there"]!.GetValue<string>());
        Assert.Contains("DELETE", r["deleted"]![0]!.GetValue<string>());
    }
}
