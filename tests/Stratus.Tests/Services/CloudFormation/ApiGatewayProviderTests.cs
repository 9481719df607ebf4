using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>API Gateway resources made by stacks through API Gateway's own domain code, and served over HTTP(S) as deployed.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private async Task<string> Aws(params string[] args)
    {
        var result = await Clients.AwsAsync(stratus.Url, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    /// <summary>GETs a URL with curl (which resolves *.localhost to loopback), skipping verification of Stratus's self-signed certificate.</summary>
    private async Task<(string Status, string ContentType, string Body)> Curl(string url)
    {
        var result = await Clients.RunAsync("curl", ["-sk", "--noproxy", "*", "--max-time", "30", "-w", "\n%{http_code} %{content_type}", url],
            stratus.Url, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        var statusLine = lines[^1].Split(' ', 2);
        return (statusLine[0], statusLine.Length > 1 ? statusLine[1] : "", string.Join('\n', lines[..^1]));
    }

    [Fact]
    public async Task The_seed_api_gw_template_flow_with_a_mock_page_validates_creates_serves_estimates_and_deletes()
    {
        var template = "file://" + CloudFormationTemplates.PathOf("api_gw_mock_template.yml");
        const string stack = "stack-api-gw-demo-cct-mock";
        const string parameter = "ParameterKey=RetrieveAccountLambdaArn,ParameterValue=arn:aws:lambda:us-east-1:000000000000:function:demo-cct-lambda-retrieve-accounts";

        Assert.Equal("RetrieveAccountLambdaArn", await Aws("cloudformation", "validate-template", "--template-body", template,
            "--query", "Parameters[*].ParameterKey", "--output", "text"));
        await Aws("cloudformation", "create-stack", "--template-body", template, "--stack-name", stack, "--parameters", parameter);
        await Aws("cloudformation", "wait", "stack-create-complete", "--stack-name", stack);

        var url = await Aws("cloudformation", "describe-stacks", "--stack-name", stack,
            "--query", "Stacks[0].Outputs[?OutputKey=='InvokeUrl'].OutputValue", "--output", "text");
        var apiId = await Aws("cloudformation", "describe-stack-resource", "--stack-name", stack, "--logical-resource-id", "AccountsApi",
            "--query", "StackResourceDetail.PhysicalResourceId", "--output", "text");
        Assert.Equal($"https://{apiId}.execute-api.us-east-1.localhost:{stratus.Server.Port}/demo-cct/", url);
        Assert.Equal("apigw-demo-cct-cfn", await Aws("apigateway", "get-rest-api", "--rest-api-id", apiId, "--query", "name", "--output", "text"));

        var overHttps = await Curl(url);
        Assert.Equal(("200", "text/html", "<html>hello</html>"), overHttps);
        var overHttp = await Curl($"{stratus.Url}/restapis/{apiId}/demo-cct/_user_request_/");
        Assert.Equal(("200", "text/html", "<html>hello</html>"), overHttp);

        var estimate = await Aws("cloudformation", "estimate-template-cost", "--template-body", template, "--parameters", parameter, "--query", "Url", "--output", "text");
        var page = await Curl(estimate);
        Assert.Equal("200", page.Status);
        Assert.Contains("AWS::ApiGateway::RestApi", page.Body);

        await Aws("cloudformation", "delete-stack", "--stack-name", stack);
        await Aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", stack);
        var gone = await Clients.AwsAsync(stratus.Url, "apigateway", "get-rest-api", "--rest-api-id", apiId);
        Assert.Contains("NotFoundException", gone.Stderr);
        Assert.Equal("403", (await Curl(url)).Status);
    }

    [Fact]
    public async Task A_rest_api_from_an_openapi_body_is_imported_updated_with_its_stage_and_deleted()
    {
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request, urllib.error
            cf = client("cloudformation")
            apigw = client("apigateway")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            body = {{CloudFormationTemplates.Python("openapi_rest_api.yml")}}
            def get(api, path):
                try:
                    with urllib.request.urlopen(f"{URL}/restapis/{api}/live/_user_request_{path}") as r:
                        return [r.status, r.headers.get("X-Item"), json.loads(r.read())]
                except urllib.error.HTTPError as e:
                    return [e.code, None, e.read().decode()]
            def shape(api):
                resources = apigw.get_resources(restApiId=api, limit=500)["items"]
                return {r["path"]: sorted(r.get("resourceMethods", {})) for r in resources}

            cf.create_stack(StackName="openapi", TemplateBody=body, Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "hi"}])
            cf.get_waiter("stack_create_complete").wait(StackName="openapi", WaiterConfig=FAST)
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="openapi")["Stacks"][0]["Outputs"]}
            api = outputs["ApiId"]
            rest = apigw.get_rest_api(restApiId=api)
            out["api"] = [rest["name"], rest["description"], rest["rootResourceId"] == outputs["RootResourceId"]]
            out["stageUrl"] = outputs["StageUrl"] == f"https://{api}.execute-api.us-east-1.localhost:{URL.rsplit(':', 1)[1]}/live"
            out["created"] = shape(api)
            items = [r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/items/{id}"][0]
            method = apigw.get_method(restApiId=api, resourceId=items["id"], httpMethod="GET")
            out["method"] = [method["requestParameters"], method["methodResponses"]["200"]["responseParameters"],
                             method["methodIntegration"]["type"], method["methodIntegration"]["integrationResponses"]["200"]["responseParameters"]]
            out["root"] = get(api, "/")
            out["item"] = get(api, "/items/42")

            cf.update_stack(StackName="openapi", TemplateBody=body, Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "howdy"},
                                                                               {"ParameterKey": "Extra", "ParameterValue": "yes"}])
            cf.get_waiter("stack_update_complete").wait(StackName="openapi", WaiterConfig=FAST)
            out["updatedStatus"] = cf.describe_stacks(StackName="openapi")["Stacks"][0]["StackStatus"]
            out["sameApi"] = cf.describe_stacks(StackName="openapi")["Stacks"][0]["Outputs"][0]["OutputValue"] == api
            out["updated"] = shape(api)
            out["rootAfter"] = get(api, "/")
            stage = apigw.get_stage(restApiId=api, stageName="live")
            out["deployment"] = apigw.get_deployment(restApiId=api, deploymentId=stage["deploymentId"])["description"]

            cf.delete_stack(StackName="openapi")
            cf.get_waiter("stack_delete_complete").wait(StackName="openapi", WaiterConfig=FAST)
            out["gone"] = error(apigw.get_rest_api, restApiId=api)["code"]
            """);

        Assert.Equal("""["items-from-openapi","Items from OpenAPI",true]""", result["api"]!.ToJsonString());
        Assert.True((bool)result["stageUrl"]!);
        Assert.Equal("""{"/":["GET"],"/items":[],"/items/{id}":["GET"]}""", result["created"]!.ToJsonString());
        Assert.Equal("""[{"method.request.path.id":true},{"method.response.header.X-Item":false},"MOCK"]""",
            new JsonArray(result["method"]!.AsArray().Take(3).Select(n => n?.DeepClone()).ToArray()).ToJsonString());
        Assert.Equal("'yes'", (string?)result["method"]![3]!["method.response.header.X-Item"]);
        Assert.Equal("""[200,null,{"greeting":"hi"}]""", result["root"]!.ToJsonString());
        Assert.Equal("""[200,"yes",{"item":"42"}]""", result["item"]!.ToJsonString());

        Assert.Equal("UPDATE_COMPLETE", (string?)result["updatedStatus"]);
        Assert.True((bool)result["sameApi"]!);
        Assert.Equal("""{"/":["GET"],"/extra":["GET"],"/items":[],"/items/{id}":["GET"]}""", result["updated"]!.ToJsonString());
        Assert.Equal("""[200,null,{"greeting":"howdy"}]""", result["rootAfter"]!.ToJsonString());
        Assert.Equal("deployment with extra=yes", (string?)result["deployment"]);
        Assert.Equal("NotFoundException", (string?)result["gone"]);
    }

    [Fact]
    public async Task A_method_is_updated_in_place_while_the_deployed_stage_keeps_its_snapshot_as_on_aws()
    {
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request
            cf = client("cloudformation")
            apigw = client("apigateway")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            body = {{CloudFormationTemplates.Python("api_gw_method_update.yml")}}
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="method-update")["Stacks"][0]["Outputs"]}
            def served(api):
                with urllib.request.urlopen(f"{URL}/restapis/{api}/v1/_user_request_/items") as r:
                    return json.loads(r.read())
            def template(api, items):
                return apigw.get_integration_response(restApiId=api, resourceId=items, httpMethod="GET", statusCode="200")["responseTemplates"]

            cf.create_stack(StackName="method-update", TemplateBody=body)
            cf.get_waiter("stack_create_complete").wait(StackName="method-update", WaiterConfig=FAST)
            o = outputs()
            out["created"] = [template(o["ApiId"], o["ItemsId"]), served(o["ApiId"])]
            cf.update_stack(StackName="method-update", TemplateBody=body, Parameters=[{"ParameterKey": "Page", "ParameterValue": "two"}])
            cf.get_waiter("stack_update_complete").wait(StackName="method-update", WaiterConfig=FAST)
            out["same"] = outputs() == o
            out["updated"] = [template(o["ApiId"], o["ItemsId"]), served(o["ApiId"])]
            cf.delete_stack(StackName="method-update")
            cf.get_waiter("stack_delete_complete").wait(StackName="method-update", WaiterConfig=FAST)
            out["gone"] = error(apigw.get_rest_api, restApiId=o["ApiId"])["code"]
            """);

        Assert.Equal("""[{"application/json":"{\"page\": \"one\"}"},{"page":"one"}]""", result["created"]!.ToJsonString(Relaxed));
        Assert.True((bool)result["same"]!);
        Assert.Equal("""[{"application/json":"{\"page\": \"two\"}"},{"page":"one"}]""", result["updated"]!.ToJsonString(Relaxed));
        Assert.Equal("NotFoundException", (string?)result["gone"]);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
