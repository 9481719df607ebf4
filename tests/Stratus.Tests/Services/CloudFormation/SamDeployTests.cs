using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>SAM templates deployed as users deploy them (aws cloudformation deploy, which goes through change sets) and exercised.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SamDeployTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_sam_application_deploys_with_cloudformation_deploy_and_its_api_answers_through_the_alias()
    {
        var template = CloudFormationTemplates.PathOf("sam_api_function.yml");
        var deployed = await Clients.AwsAsync(stratus.Url, "cloudformation", "deploy", "--stack-name", "sam-app", "--template-file", template,
            "--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Greeting=bonjour");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());

        var result = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request, urllib.error
            cf = client("cloudformation")
            apigw = client("apigateway")
            lam = client("lambda")
            def call(api, stage, path, method="GET"):
                request = urllib.request.Request(f"{URL}/restapis/{api}/{stage}/_user_request_{path}", method=method)
                try:
                    with urllib.request.urlopen(request) as r:
                        return [r.status, json.loads(r.read() or b"null"), r.headers.get("Access-Control-Allow-Origin")]
                except urllib.error.HTTPError as e:
                    return [e.code, e.read().decode(), None]
            stack = cf.describe_stacks(StackName="sam-app")["Stacks"][0]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
            resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName="sam-app")["StackResourceSummaries"]}
            api = resources["ServerlessRestApi"]
            out["status"] = stack["StackStatus"]
            out["apiUrl"] = outputs["ApiUrl"] == f"https://{api}.execute-api.us-east-1.amazonaws.com/Prod/"
            out["roleOutput"] = outputs["HelloRoleArn"].endswith("/" + resources["HelloFunctionRole"])
            out["stages"] = sorted(s["stageName"] for s in apigw.get_stages(restApiId=api)["item"])
            out["root"] = call(api, "Prod", "/")
            out["item"] = call(api, "Prod", "/items/42")
            function = resources["HelloFunction"]
            alias = lam.get_alias(FunctionName=function, Name="live")
            out["alias"] = [alias["FunctionVersion"], [v["Version"] for v in lam.list_versions_by_function(FunctionName=function)["Versions"]]]
            tags = lam.list_tags(Resource=lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"])["Tags"]
            out["tags"] = tags
            out["items"] = call(outputs["ItemsApiId"], "dev", "/items", "POST")
            out["preflight"] = call(outputs["ItemsApiId"], "dev", "/items", "OPTIONS")
            settings = apigw.get_stage(restApiId=outputs["ItemsApiId"], stageName="dev")
            out["devStage"] = [settings["variables"], settings["methodSettings"]["*/*"]["metricsEnabled"],
                               settings["methodSettings"]["*/*"]["throttlingBurstLimit"], apigw.get_rest_api(restApiId=outputs["ItemsApiId"])["binaryMediaTypes"]]
            original = cf.get_template(StackName="sam-app", TemplateStage="Original")["TemplateBody"]
            processed = cf.get_template(StackName="sam-app")["TemplateBody"]
            out["original"] = "Transform: AWS::Serverless-2016-10-31" in original
            out["processed"] = [processed["Resources"]["ServerlessRestApiProdStage"]["Type"], "Transform" in processed]
            out["summary"] = cf.get_template_summary(TemplateBody=original).get("DeclaredTransforms")
            out["createStack"] = error(cf.create_stack, StackName="sam-direct", TemplateBody=original, Capabilities=["CAPABILITY_IAM"])
            # Acknowledged, CreateStack expands the transform itself, as CloudFormation does.
            cf.create_stack(StackName="sam-direct", TemplateBody=original, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            cf.get_waiter("stack_create_complete").wait(StackName="sam-direct", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["direct"] = cf.describe_stacks(StackName="sam-direct")["Stacks"][0]["StackStatus"]
            cf.delete_stack(StackName="sam-direct")
            cf.get_waiter("stack_delete_complete").wait(StackName="sam-direct", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);

        Assert.Equal("CREATE_COMPLETE", (string?)result["status"]);
        Assert.True((bool)result["apiUrl"]!);
        Assert.True((bool)result["roleOutput"]!);
        Assert.Equal("""["Prod","Stage"]""", result["stages"]!.ToJsonString());
        Assert.Equal("""[200,{"path":"/","id":null,"greeting":"bonjour","stage":"test","version":"1"},null]""", result["root"]!.ToJsonString());
        Assert.Equal("""[200,{"path":"/items/42","id":"42","greeting":"bonjour","stage":"test","version":"1"},null]""", result["item"]!.ToJsonString());
        Assert.Equal("""["1",["$LATEST","1"]]""", result["alias"]!.ToJsonString());
        Assert.Equal("""{"lambda:createdBy":"SAM","team":"platform"}""", result["tags"]!.ToJsonString());
        Assert.Equal("""[200,{"items":"POST","greeting":"bonjour"},null]""", result["items"]!.ToJsonString());
        Assert.Equal(200, (int)result["preflight"]![0]!);
        Assert.Equal("*", (string?)result["preflight"]![2]);
        Assert.Equal("""[{"release":"1"},true,50,["image/png"]]""", result["devStage"]!.ToJsonString());
        Assert.True((bool)result["original"]!);
        Assert.Equal("""["AWS::ApiGateway::Stage",false]""", result["processed"]!.ToJsonString());
        Assert.Equal("""["AWS::Serverless-2016-10-31"]""", result["summary"]!.ToJsonString());
        Assert.Equal("InsufficientCapabilitiesException", (string?)result["createStack"]!["code"]);
        Assert.Equal("Requires capabilities : [CAPABILITY_AUTO_EXPAND]", (string?)result["createStack"]!["message"]);
        Assert.Equal("CREATE_COMPLETE", (string?)result["direct"]);

        // New code publishes a new version and moves the alias to it; the old version stays (SAM retains them) and the API follows.
        var changed = Path.Combine(Path.GetTempPath(), $"sam-app-{Guid.NewGuid():N}.yml");
        try
        {
            await File.WriteAllTextAsync(changed, (await File.ReadAllTextAsync(template)).Replace(
                "\"path\": event[\"path\"],", "\"path\": event[\"path\"], \"release\": 2,", StringComparison.Ordinal));
            var redeployed = await Clients.AwsAsync(stratus.Url, "cloudformation", "deploy", "--stack-name", "sam-app", "--template-file", changed,
                "--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Greeting=bonjour");
            Assert.True(redeployed.ExitCode == 0, redeployed.ToString());
        }
        finally
        {
            File.Delete(changed);
        }
        var updated = await Clients.Boto3Async(stratus.Url, """
            import urllib.request
            cf = client("cloudformation")
            lam = client("lambda")
            resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName="sam-app")["StackResourceSummaries"]}
            api, function = resources["ServerlessRestApi"], resources["HelloFunction"]
            with urllib.request.urlopen(f"{URL}/restapis/{api}/Prod/_user_request_/") as r:
                out["root"] = json.loads(r.read())
            out["alias"] = lam.get_alias(FunctionName=function, Name="live")["FunctionVersion"]
            out["versions"] = [v["Version"] for v in lam.list_versions_by_function(FunctionName=function)["Versions"]]
            out["status"] = cf.describe_stacks(StackName="sam-app")["Stacks"][0]["StackStatus"]
            cf.delete_stack(StackName="sam-app")
            cf.get_waiter("stack_delete_complete").wait(StackName="sam-app", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["gone"] = error(lam.get_function, FunctionName=function)["code"]
            """);
        Assert.Equal("UPDATE_COMPLETE", (string?)updated["status"]);
        Assert.Equal("""{"path":"/","release":2,"id":null,"greeting":"bonjour","stage":"test","version":"2"}""", updated["root"]!.ToJsonString());
        Assert.Equal("2", (string?)updated["alias"]);
        Assert.Equal("""["$LATEST","1","2"]""", updated["versions"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string?)updated["gone"]);
    }

    [Fact]
    public async Task An_unpackaged_dotnet_serverless_template_is_refused_as_aws_refuses_it()
    {
        var refused = await Clients.AwsAsync(stratus.Url, "cloudformation", "deploy", "--stack-name", "sam-dotnet",
            "--template-file", CloudFormationTemplates.PathOf("sam_dotnet_empty.yml"), "--capabilities", "CAPABILITY_IAM");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Resource with id [GetFunction] is invalid. 'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key'", refused.Stderr);
    }
}
