using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// A SAM layer deployed through a change set: the function imports the layer's module from /opt, and the layer version
/// outlives the stack as SAM's default RetentionPolicy (Retain) says.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SamLayerDeployTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_sam_layer_is_published_imported_by_its_function_and_retained_after_the_stack()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            cf = client("cloudformation"); s3 = client("s3")
            FAST = {"Delay": 1, "MaxAttempts": 120}
            s3.create_bucket(Bucket="sam-layer-artifacts")
            s3.put_object(Bucket="sam-layer-artifacts", Key="greeting.zip", Body=zip_of({"python/greeting.py": "def hello():\n    return 'hello from the layer'\n"}))
            template = "\n".join([
                "Transform: AWS::Serverless-2016-10-31",
                "Resources:",
                "  Greeting:",
                "    Type: AWS::Serverless::LayerVersion",
                "    Properties: {LayerName: greeting, ContentUri: s3://sam-layer-artifacts/greeting.zip, CompatibleRuntimes: [python3.12]}",
                "  Hello:",
                "    Type: AWS::Serverless::Function",
                "    Properties:",
                "      Runtime: python3.12",
                "      Handler: index.handler",
                "      InlineCode: \"import greeting\\ndef handler(event, context):\\n    return greeting.hello()\\n\"",
                "      Layers: [!Ref Greeting]",
                "Outputs:",
                "  LayerArn: {Value: !Ref Greeting}",
                "  FunctionName: {Value: !Ref Hello}",
            ])
            change = cf.create_change_set(StackName="sam-layer", ChangeSetName="create", ChangeSetType="CREATE", TemplateBody=template,
                                          Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            cf.get_waiter("change_set_create_complete").wait(ChangeSetName=change["Id"], WaiterConfig=FAST)
            cf.execute_change_set(ChangeSetName=change["Id"])
            cf.get_waiter("stack_create_complete").wait(StackName="sam-layer", WaiterConfig=FAST)
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="sam-layer")["Stacks"][0]["Outputs"]}
            out["layerArn"] = outputs["LayerArn"]
            out["logicalIds"] = sorted(x["LogicalResourceId"] for x in cf.list_stack_resources(StackName="sam-layer")["StackResourceSummaries"])
            out["invoke"] = invoke(outputs["FunctionName"])
            cf.delete_stack(StackName="sam-layer")
            cf.get_waiter("stack_delete_complete").wait(StackName="sam-layer", WaiterConfig=FAST)
            out["retained"] = [v["LayerVersionArn"] for v in lam.list_layer_versions(LayerName="greeting")["LayerVersions"]]
            out["functionGone"] = error(lam.get_function, FunctionName=outputs["FunctionName"])["code"]
            """, TimeSpan.FromMinutes(3));

        Assert.Matches(":layer:greeting:1$", (string?)r["layerArn"]);
        Assert.Matches("^Greeting[0-9a-f]{10}$", (string?)r["logicalIds"]![0]);
        Assert.Equal("\"hello from the layer\"", r["invoke"]!["payload"]!.ToJsonString());
        Assert.Equal($"""["{(string?)r["layerArn"]}"]""", r["retained"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string?)r["functionGone"]);
    }
}
