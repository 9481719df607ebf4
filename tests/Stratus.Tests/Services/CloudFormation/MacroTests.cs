using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// CloudFormation macros backed by a Python function: registered by an AWS::CloudFormation::Macro resource, run as a
/// template-level Transform and as a snippet's Fn::Transform with params, their failures and absence refusing the
/// template, the processed template kept by the stack (GetTemplate's stages), and the macro gone with its stack;
/// and AWS::Include reading snippets from Stratus's S3.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MacroTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_macro_expands_templates_at_both_levels_fails_them_with_its_message_and_leaves_with_its_stack()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); lam = client("lambda"); iam = client("iam")
            def outputs(stack):
                return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            def error(call):
                try:
                    call()
                    return None
                except botocore.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["Error"]["Message"]]
            role = iam.create_role(RoleName="macro-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            lam.create_function(FunctionName="expander", Runtime="python3.12", Handler="app.handler", Role=role, Timeout=30, Code={"ZipFile": python_zip('''
            def handler(event, context):
                params, fragment = event["params"], event["fragment"]
                if params.get("Fail"):
                    return {"requestId": event["requestId"], "status": "failure", "errorMessage": "refused by " + event["transformId"]}
                if "Text" in params:
                    return {"requestId": event["requestId"], "status": "SUCCESS",
                            "fragment": params["Text"].upper() + "-" + event["templateParameterValues"]["Env"]}
                fragment["Resources"]["Added"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
                fragment.setdefault("Outputs", {})["Seen"] = {"Value": ",".join([event["region"], event["accountId"], str("Transform" in fragment),
                                                                                  event["templateParameterValues"]["Env"]])}
                return {"requestId": event["requestId"], "status": "success", "fragment": fragment}
            ''')})
            lam.get_waiter("function_active_v2").wait(FunctionName="expander")
            macro = json.dumps({"Resources": {"Macro": {"Type": "AWS::CloudFormation::Macro", "Properties": {"Name": "Expand", "FunctionName": "expander",
                                                                                                             "Description": "test macro"}}},
                                "Outputs": {"Ref": {"Value": {"Ref": "Macro"}}}})
            cfn.create_stack(StackName="macro", TemplateBody=macro)
            stack = settle_stack("macro")
            out["macro"] = [stack["StackStatus"], outputs(stack)]
            cfn.create_stack(StackName="macro-again", TemplateBody=macro)
            stack = settle_stack("macro-again")
            out["taken"] = [stack["StackStatus"], [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="macro-again")["StackEvents"]
                                                   if e["LogicalResourceId"] == "Macro" and e["ResourceStatus"] == "CREATE_FAILED"]]

            whole = json.dumps({"Transform": "Expand", "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
                                "Resources": {"Own": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
            out["unacknowledged"] = error(lambda: cfn.create_stack(StackName="whole", TemplateBody=whole))
            cfn.create_stack(StackName="whole", TemplateBody=whole, Capabilities=["CAPABILITY_AUTO_EXPAND"])
            stack = settle_stack("whole")
            out["whole"] = [stack["StackStatus"], outputs(stack),
                            sorted(r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="whole")["StackResourceSummaries"])]
            processed = cfn.get_template(StackName="whole")["TemplateBody"]
            original = cfn.get_template(StackName="whole", TemplateStage="Original")["TemplateBody"]
            out["stages"] = [sorted(processed["Resources"]), "Transform" in processed, original == json.loads(whole),
                             cfn.get_template_summary(StackName="whole")["DeclaredTransforms"]]
            cfn.update_stack(StackName="whole", UsePreviousTemplate=True, Capabilities=["CAPABILITY_AUTO_EXPAND"],
                             Parameters=[{"ParameterKey": "Env", "ParameterValue": "stage"}])
            out["previous"] = [settle_stack("whole")["StackStatus"], cfn.get_template(StackName="whole", TemplateStage="Original")["TemplateBody"] == json.loads(whole)]

            snippet = lambda extra: json.dumps({"Parameters": {"Env": {"Type": "String"}},
                "Resources": {"Own": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                "Outputs": {"Shout": {"Value": {"Fn::Transform": {"Name": "Expand", "Parameters": {"Text": "hello", **extra}}}}}})
            cfn.create_stack(StackName="snippet", TemplateBody=snippet({}), Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}],
                             Capabilities=["CAPABILITY_AUTO_EXPAND"])
            out["snippet"] = [settle_stack("snippet")["StackStatus"], outputs(settle_stack("snippet"))]
            out["validated"] = cfn.validate_template(TemplateBody=whole).get("DeclaredTransforms")
            out["failed"] = error(lambda: cfn.create_stack(StackName="failing", TemplateBody=snippet({"Fail": True}),
                                                           Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}], Capabilities=["CAPABILITY_AUTO_EXPAND"]))
            out["failed-change-set"] = error(lambda: cfn.create_change_set(StackName="failing", ChangeSetName="c1", ChangeSetType="CREATE",
                                                                           TemplateBody=snippet({"Fail": True}), Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}]))
            out["missing"] = error(lambda: cfn.validate_template(TemplateBody=whole.replace("Expand", "Nowhere")))

            for name in ["whole", "snippet", "macro-again", "macro"]:
                stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
                cfn.delete_stack(StackName=name)
                settle_stack(stack_id)
            out["gone"] = error(lambda: cfn.create_stack(StackName="whole", TemplateBody=whole, Capabilities=["CAPABILITY_AUTO_EXPAND"]))
            lam.delete_function(FunctionName="expander")
            iam.delete_role(RoleName="macro-role")
            """);

        Assert.Equal("""["CREATE_COMPLETE",{"Ref":"Expand"}]""", r["macro"]!.ToJsonString());
        Assert.Equal("ROLLBACK_COMPLETE", r["taken"]![0]!.GetValue<string>());
        Assert.Contains("with identifier 'Expand' already exists", Assert.Single(r["taken"]![1]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""["InsufficientCapabilitiesException","Requires capabilities : [CAPABILITY_AUTO_EXPAND]"]""", r["unacknowledged"]!.ToJsonString());
        Assert.Matches("""^\["CREATE_COMPLETE",\{"Seen":"us-east-1,\d{12},False,dev"\},\["Added","Own"\]\]$""", r["whole"]!.ToJsonString());
        Assert.Equal("""[["Added","Own"],false,true,["Expand"]]""", r["stages"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE",true]""", r["previous"]!.ToJsonString());
        Assert.Equal("""["CREATE_COMPLETE",{"Shout":"HELLO-prod"}]""", r["snippet"]!.ToJsonString());
        Assert.Equal("""["Expand"]""", r["validated"]!.ToJsonString());
        Assert.Matches("""^\["ValidationError","Transform \d{12}::Expand failed with: refused by \d{12}::Expand"\]$""", r["failed"]!.ToJsonString());
        Assert.Equal(r["failed"]!.ToJsonString(), r["failed-change-set"]!.ToJsonString());
        Assert.Matches("""^\["ValidationError","No transform named \d{12}::Nowhere found."\]$""", r["missing"]!.ToJsonString());
        Assert.Matches("""^\["ValidationError","No transform named \d{12}::Expand found."\]$""", r["gone"]!.ToJsonString());
    }

    [Fact]
    public async Task AWS_Include_inserts_snippets_from_s3_at_the_top_level_and_where_Fn_Transform_stands()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); s3 = client("s3")
            s3.create_bucket(Bucket="snippets")
            s3.put_object(Bucket="snippets", Key="outputs.yaml", Body=b"Outputs:\n  Handle:\n    Value: !Ref Included\n")
            s3.put_object(Bucket="snippets", Key="resources.json", Body=json.dumps({"Included": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}).encode())
            template = json.dumps({"Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://snippets/outputs.yaml"}},
                                   "Resources": {"Own": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                                                 "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://snippets/resources.json"}}}})
            cfn.create_stack(StackName="included", TemplateBody=template, Capabilities=["CAPABILITY_AUTO_EXPAND"])
            while True:
                stack = cfn.describe_stacks(StackName="included")["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS"): break
                time.sleep(0.3)
            out["stack"] = [stack["StackStatus"], [o["OutputKey"] for o in stack.get("Outputs", [])],
                            sorted(r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="included")["StackResourceSummaries"])]
            out["processed"] = sorted(cfn.get_template(StackName="included")["TemplateBody"])
            try:
                cfn.validate_template(TemplateBody=template.replace("resources.json", "absent.json"))
            except botocore.exceptions.ClientError as e:
                out["absent"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
            cfn.delete_stack(StackName="included")
            while cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE": time.sleep(0.3)
            for key in ["outputs.yaml", "resources.json"]: s3.delete_object(Bucket="snippets", Key=key)
            s3.delete_bucket(Bucket="snippets")
            """);

        Assert.Equal("""["CREATE_COMPLETE",["Handle"],["Included","Own"]]""", r["stack"]!.ToJsonString());
        Assert.Equal("""["Outputs","Resources"]""", r["processed"]!.ToJsonString());
        Assert.Equal("ValidationError", r["absent"]![0]!.GetValue<string>());
        Assert.StartsWith("Transform AWS::Include failed with: S3 error: ", r["absent"]![1]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
