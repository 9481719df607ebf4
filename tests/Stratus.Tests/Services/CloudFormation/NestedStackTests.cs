using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// AWS::CloudFormation::Stack: a child stack made from a template in Stratus's S3, listed with its parent,
/// its outputs used by the parent, updated and deleted with it; a child that fails fails the parent.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class NestedStackTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_parent_uses_its_childs_outputs_updates_it_and_deletes_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); s3 = client("s3"); ssm = client("ssm")
            def outputs(stack):
                return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            s3.create_bucket(Bucket="nested-templates")
            s3.put_object(Bucket="nested-templates", Key="child.json", Body=json.dumps({
                "Parameters": {"Greeting": {"Type": "String"}},
                "Resources": {"Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Greeting"}}}},
                "Outputs": {"SettingName": {"Value": {"Ref": "Setting"}}, "Said": {"Value": {"Fn::GetAtt": ["Setting", "Value"]}}}}).encode())
            s3.put_object(Bucket="nested-templates", Key="broken.json", Body=json.dumps({
                "Resources": {"Bad": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String"}}}}).encode())
            parent = json.dumps({
                "Parameters": {"Greeting": {"Type": "String"}},
                "Resources": {
                    "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                        "TemplateURL": "https://nested-templates.s3.amazonaws.com/child.json", "Parameters": {"Greeting": {"Ref": "Greeting"}}}},
                    "Copy": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Child", "Outputs.SettingName"]}}}},
                "Outputs": {"Said": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Said"]}}, "ChildId": {"Value": {"Ref": "Child"}},
                            "Copy": {"Value": {"Ref": "Copy"}}}})
            greeting = lambda v: [{"ParameterKey": "Greeting", "ParameterValue": v}]
            cfn.create_stack(StackName="family", TemplateBody=parent, Parameters=greeting("hello"))
            stack = settle_stack("family")
            out["created"] = stack["StackStatus"]
            parent_id = stack["StackId"]
            first = outputs(stack)
            out["said"] = first["Said"]
            child = cfn.describe_stacks(StackName=first["ChildId"])["Stacks"][0]
            out["child_name"] = child["StackName"]
            out["child_lineage"] = [child.get("ParentId") == parent_id, child.get("RootId") == parent_id, "ParentId" in stack]
            out["copied"] = ssm.get_parameter(Name=ssm.get_parameter(Name=first["Copy"])["Parameter"]["Value"])["Parameter"]["Value"]
            out["listed"] = [s.get("ParentId") == parent_id for s in cfn.list_stacks()["StackSummaries"] if s["StackId"] == first["ChildId"]]
            cfn.update_stack(StackName="family", TemplateBody=parent, Parameters=greeting("bonjour"))
            stack = settle_stack("family")
            out["updated"] = [stack["StackStatus"], outputs(stack)["Said"], outputs(stack)["ChildId"] == first["ChildId"],
                              cfn.describe_stacks(StackName=first["ChildId"])["Stacks"][0]["StackStatus"]]
            cfn.delete_stack(StackName="family")
            out["deleted"] = [settle_stack(parent_id)["StackStatus"], cfn.describe_stacks(StackName=first["ChildId"])["Stacks"][0]["StackStatus"],
                              error(ssm.get_parameter, Name=first["Copy"])["code"]]
            out["live"] = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]

            cfn.create_stack(StackName="broken-family", TemplateBody=json.dumps({"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": URL + "/nested-templates/broken.json"}}}}))
            stack = settle_stack("broken-family")
            reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="broken-family")["StackEvents"]
                       if e["LogicalResourceId"] == "Child" and e["ResourceStatus"] == "CREATE_FAILED"]
            out["broken"] = [stack["StackStatus"], reasons]
            out["broken_live"] = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
                                  and s["StackName"].startswith("broken-family-")]
            cfn.delete_stack(StackName="broken-family")
            """);

        Assert.Equal("CREATE_COMPLETE", r["created"]!.GetValue<string>());
        Assert.Equal("hello", r["said"]!.GetValue<string>());
        Assert.StartsWith("family-Child-", r["child_name"]!.GetValue<string>());
        Assert.Equal("[true,true,false]", r["child_lineage"]!.ToJsonString());
        Assert.Equal("hello", r["copied"]!.GetValue<string>());
        Assert.Equal("[true]", r["listed"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE","bonjour",true,"UPDATE_COMPLETE"]""", r["updated"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE","DELETE_COMPLETE","ParameterNotFound"]""", r["deleted"]!.ToJsonString());
        Assert.Equal("[]", r["live"]!.ToJsonString());
        Assert.Equal("ROLLBACK_COMPLETE", r["broken"]![0]!.GetValue<string>());
        var reason = Assert.Single(r["broken"]![1]!.AsArray())!.GetValue<string>();
        Assert.Matches("^Embedded stack arn:aws:cloudformation:us-east-1:[0-9]{12}:stack/broken-family-Child-[A-Z0-9]+/[-0-9a-f]+ was not successfully created: ", reason);
        Assert.Contains("[Bad]", reason, StringComparison.Ordinal);
        Assert.Equal("[]", r["broken_live"]!.ToJsonString());
    }
}
