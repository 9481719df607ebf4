using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>AWS::Lambda::LayerVersion (from S3), LayerVersionPermission, Url and EventInvokeConfig made and removed by a stack.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaLayerUrlProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Stack_publishes_a_layer_from_S3_and_serves_a_layered_function_at_its_url()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            import urllib.request
            s3 = client("s3")
            cfn = client("cloudformation")
            s3.create_bucket(Bucket="cfn-layers")
            s3.put_object(Bucket="cfn-layers", Key="layer.zip", Body=zip_of({"python/cfnmod.py": "WHO = 'from the stack layer'\n"}))
            template = {
                "Resources": {
                    "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"LayerName": "cfn-layer", "CompatibleRuntimes": ["python3.12"],
                              "Content": {"S3Bucket": "cfn-layers", "S3Key": "layer.zip"}}},
                    "LayerPermission": {"Type": "AWS::Lambda::LayerVersionPermission", "Properties": {"Action": "lambda:GetLayerVersion",
                                        "LayerVersionArn": {"Ref": "Layer"}, "Principal": "*"}},
                    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "cfn-layered", "Runtime": "python3.12", "Handler": "index.handler",
                           "Role": role(), "Layers": [{"Ref": "Layer"}],
                           "Code": {"ZipFile": "import cfnmod\ndef handler(event, context):\n    return {'statusCode': 200, 'body': cfnmod.WHO}\n"}}},
                    "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]}, "AuthType": "NONE"}},
                    "UrlPermission": {"Type": "AWS::Lambda::Permission", "Properties": {"FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunctionUrl",
                                      "Principal": "*", "FunctionUrlAuthType": "NONE"}},
                    "Eic": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {"FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST", "MaximumRetryAttempts": 0}},
                },
                "Outputs": {"Url": {"Value": {"Fn::GetAtt": ["Url", "FunctionUrl"]}}, "LayerArn": {"Value": {"Ref": "Layer"}}},
            }
            cfn.create_stack(StackName="layer-url-stack", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="layer-url-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="layer-url-stack")["Stacks"][0]["Outputs"]}
            out["layer_arn"] = outputs["LayerArn"]
            url_id = outputs["Url"].split("//")[1].split(".")[0]
            out["body"] = urllib.request.urlopen(URL.rstrip("/") + "/_aws/lambda-url/" + url_id + "/").read().decode()
            out["retries"] = lam.get_function_event_invoke_config(FunctionName="cfn-layered", Qualifier="$LATEST")["MaximumRetryAttempts"]
            out["policy_principal"] = json.loads(lam.get_layer_version_policy(LayerName="cfn-layer", VersionNumber=1)["Policy"])["Statement"][0]["Principal"]
            cfn.delete_stack(StackName="layer-url-stack")
            cfn.get_waiter("stack_delete_complete").wait(StackName="layer-url-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["versions_after"] = len(lam.list_layer_versions(LayerName="cfn-layer")["LayerVersions"])
            """);

        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:layer:cfn-layer:1", result["layer_arn"]!.GetValue<string>());
        Assert.Equal("from the stack layer", result["body"]!.GetValue<string>());
        Assert.Equal(0, result["retries"]!.GetValue<int>());
        Assert.Equal("*", result["policy_principal"]!.GetValue<string>());
        Assert.Equal(0, result["versions_after"]!.GetValue<int>());
    }
}
