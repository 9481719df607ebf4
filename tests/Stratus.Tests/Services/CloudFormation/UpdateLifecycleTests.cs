using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// CancelUpdateStack, ContinueUpdateRollback and RollbackStack through boto3, reaching the failed states with
/// a Lambda function whose role does not exist (or no longer does), as a real update fails.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class UpdateLifecycleTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        cfn = client("cloudformation"); iam = client("iam"); lam = client("lambda"); ssm = client("ssm")
        def settle(name):
            deadline = time.time() + 60
            while True:
                stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.time() > deadline: return stack["StackStatus"]
                time.sleep(0.3)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        def role(name): return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        def function(role_arn, memory=128, **extra):
            return {"Type": "AWS::Lambda::Function", **extra, "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "Role": role_arn,
                "MemorySize": memory, "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}}}
        def parameter(name, value): return {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": name, "Value": value}}
        def template(resources): return json.dumps({"Resources": resources})
        def value(name):
            found = error(ssm.get_parameter, Name=name)
            return found["code"] if found else ssm.get_parameter(Name=name)["Parameter"]["Value"]

        """;

    [Fact]
    public async Task RollbackStack_returns_a_failed_update_to_the_last_stable_stack_and_deletes_a_failed_create()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            role_arn = role("rollback-fn")
            missing = role_arn.rsplit("/", 1)[0] + "/no-such-role"
            cfn.create_stack(StackName="rolling", TemplateBody=template({"Fn": function(role_arn), "P": parameter("/rolling/p", "1")}))
            out["created"] = settle("rolling")
            out["refused while stable"] = error(cfn.rollback_stack, StackName="rolling")

            cfn.update_stack(StackName="rolling", DisableRollback=True,
                TemplateBody=template({"Fn": function(missing, 256), "P": parameter("/rolling/p", "2")}))
            out["update"] = [settle("rolling"), value("/rolling/p")]
            cfn.rollback_stack(StackName="rolling")
            out["rolled back"] = [settle("rolling"), value("/rolling/p"),
                lam.get_function_configuration(FunctionName=cfn.describe_stack_resource(StackName="rolling", LogicalResourceId="Fn")
                    ["StackResourceDetail"]["PhysicalResourceId"])["Role"] == role_arn,
                cfn.get_template(StackName="rolling")["TemplateBody"]["Resources"]["P"]["Properties"]["Value"]]
            out["refused twice"] = error(cfn.rollback_stack, StackName="rolling")

            cfn.create_stack(StackName="rolling-create", DisableRollback=True,
                TemplateBody=template({"Bad": function(missing), "Kept": parameter("/rolling/kept", "1")}))
            out["create"] = [settle("rolling-create"), value("/rolling/kept")]
            cfn.rollback_stack(StackName="rolling-create")
            out["create rolled back"] = [settle("rolling-create"), value("/rolling/kept")]
            cfn.delete_stack(StackName="rolling"); cfn.delete_stack(StackName="rolling-create")
            """);

        Assert.Equal("CREATE_COMPLETE", (string)r["created"]!);
        Assert.Equal("ValidationError", (string)r["refused while stable"]!["code"]!);
        Assert.Matches(@"^Stack:arn:aws:cloudformation:us-east-1:\d{12}:stack/rolling/[-0-9a-f]+ is in CREATE_COMPLETE state and can not be rolled back\.$",
            (string)r["refused while stable"]!["message"]!);
        Assert.Equal("""["UPDATE_FAILED","2"]""", r["update"]!.ToJsonString());
        Assert.Equal("""["UPDATE_ROLLBACK_COMPLETE","1",true,"1"]""", r["rolled back"]!.ToJsonString());
        Assert.Contains("UPDATE_ROLLBACK_COMPLETE state and can not be rolled back", (string)r["refused twice"]!["message"]!);
        Assert.Equal("""["CREATE_FAILED","1"]""", r["create"]!.ToJsonString());
        Assert.Equal("""["ROLLBACK_COMPLETE","ParameterNotFound"]""", r["create rolled back"]!.ToJsonString());
    }

    [Fact]
    public async Task A_failed_update_rollback_is_continued_retried_and_skips_what_it_is_told_to()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            old_role = role("continue-old"); new_role = role("continue-new")
            missing = new_role.rsplit("/", 1)[0] + "/no-such-role"
            cfn.create_stack(StackName="continuing", TemplateBody=template({"Fn": function(old_role)}))
            out["created"] = settle("continuing")
            out["refused while stable"] = error(cfn.continue_update_rollback, StackName="continuing")
            # The role the function had is deleted behind the stack's back, so rolling the function back to it fails.
            iam.delete_role(RoleName="continue-old")
            cfn.update_stack(StackName="continuing", TemplateBody=template({"Fn": function(new_role), "Bad": function(missing, DependsOn="Fn")}))
            out["update"] = settle("continuing")
            fn = cfn.describe_stack_resource(StackName="continuing", LogicalResourceId="Fn")["StackResourceDetail"]
            out["function"] = [fn["ResourceStatus"], lam.get_function_configuration(FunctionName=fn["PhysicalResourceId"])["Role"] == new_role]

            cfn.continue_update_rollback(StackName="continuing")
            out["retried"] = settle("continuing")
            out["skip unknown"] = error(cfn.continue_update_rollback, StackName="continuing", ResourcesToSkip=["Nope"])
            cfn.continue_update_rollback(StackName="continuing", ResourcesToSkip=["Fn"])
            out["skipped"] = settle("continuing")
            out["resources"] = sorted((s["LogicalResourceId"], s["ResourceStatus"]) for s in cfn.list_stack_resources(StackName="continuing")["StackResourceSummaries"])
            out["refused after"] = error(cfn.continue_update_rollback, StackName="continuing")
            cfn.delete_stack(StackName="continuing")
            """);

        Assert.Equal("CREATE_COMPLETE", (string)r["created"]!);
        Assert.Equal("""{"code":"ValidationError","message":"ContinueUpdateRollback cannot be called from current stack status","status":400}""",
            r["refused while stable"]!.ToJsonString());
        Assert.Equal("UPDATE_ROLLBACK_FAILED", (string)r["update"]!);
        Assert.Equal("""["UPDATE_FAILED",true]""", r["function"]!.ToJsonString());
        Assert.Equal("UPDATE_ROLLBACK_FAILED", (string)r["retried"]!);
        Assert.Equal("ValidationError", (string)r["skip unknown"]!["code"]!);
        Assert.Equal("UPDATE_ROLLBACK_COMPLETE", (string)r["skipped"]!);
        Assert.Equal("""[["Fn","UPDATE_COMPLETE"]]""", r["resources"]!.ToJsonString());
        Assert.Equal("ContinueUpdateRollback cannot be called from current stack status", (string)r["refused after"]!["message"]!);
    }

    [Fact]
    public async Task CancelUpdateStack_stops_an_update_in_progress_and_rolls_it_back()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            cfn.create_stack(StackName="cancelling", TemplateBody=template({"P": parameter("/cancelling/p", "1")}))
            out["created"] = settle("cancelling")
            out["refused while stable"] = error(cfn.cancel_update_stack, StackName="cancelling")
            # The wait condition waits for a signal that never comes, holding the update in progress.
            cfn.update_stack(StackName="cancelling", TemplateBody=template({"P": parameter("/cancelling/p", "2"),
                "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                "Wait": {"Type": "AWS::CloudFormation::WaitCondition", "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "600"}}}))
            out["updating"] = [cfn.describe_stacks(StackName="cancelling")["Stacks"][0]["StackStatus"], value("/cancelling/p")]
            cfn.cancel_update_stack(StackName="cancelling")
            out["cancelled"] = [settle("cancelling"), value("/cancelling/p")]
            events = cfn.describe_stack_events(StackName="cancelling")["StackEvents"]
            out["reason"] = next(e.get("ResourceStatusReason") for e in events if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS")
            out["wait"] = next(e.get("ResourceStatusReason") for e in events if e["LogicalResourceId"] == "Wait" and e["ResourceStatus"] == "CREATE_FAILED")
            out["resources"] = sorted(s["LogicalResourceId"] for s in cfn.list_stack_resources(StackName="cancelling")["StackResourceSummaries"])
            out["refused after"] = error(cfn.cancel_update_stack, StackName="cancelling")
            cfn.delete_stack(StackName="cancelling")
            """);

        Assert.Equal("CREATE_COMPLETE", (string)r["created"]!);
        Assert.Equal("""{"code":"ValidationError","message":"CancelUpdateStack cannot be called from current stack status","status":400}""",
            r["refused while stable"]!.ToJsonString());
        Assert.Equal("""["UPDATE_IN_PROGRESS","2"]""", r["updating"]!.ToJsonString());
        Assert.Equal("""["UPDATE_ROLLBACK_COMPLETE","1"]""", r["cancelled"]!.ToJsonString());
        Assert.Equal("Stack update cancelled", (string)r["reason"]!);
        Assert.Equal("Resource creation cancelled", (string)r["wait"]!);
        Assert.Equal("""["P"]""", r["resources"]!.ToJsonString());
        Assert.Equal("CancelUpdateStack cannot be called from current stack status", (string)r["refused after"]!["message"]!);
    }
}
