using System.IO.Compression;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

using Stratus.Tests.Services.Ecr;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Lambda resources made by stacks through Lambda's own domain code, and the seed's api_gw_template.yml in front of a real function.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>, IDisposable
{
    // Under the folder Stratus is started from (the repository, see StratusProcess): the stratus-local convention reads only there.
    private readonly DirectoryInfo _work = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, $"stratus-cfn-lambda-{Guid.NewGuid():N}"));

    public void Dispose() => _work.Delete(recursive: true);

    private async Task<string> Aws(params string[] args)
    {
        var result = await Clients.AwsAsync(stratus.Url, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    private async Task<(string Status, string ContentType, string Body)> Curl(string url, string? host = null)
    {
        string[] hostHeader = host is null ? [] : ["-H", "Host: " + host];
        var result = await Clients.RunAsync("curl", ["-sk", "--noproxy", "*", "--max-time", "30", .. hostHeader, "-w", "\n%{http_code} %{content_type}", url],
            stratus.Url, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        var statusLine = lines[^1].Split(' ', 2);
        return (statusLine[0], statusLine.Length > 1 ? statusLine[1] : "", string.Join('\n', lines[..^1]));
    }

    [Fact]
    public async Task The_seed_api_gw_template_puts_a_real_function_behind_a_rest_api_and_delete_stack_removes_it()
    {
        var zip = Path.Combine(_work.FullName, "fn.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            var entry = archive.CreateEntry("app.py");
            entry.ExternalAttributes = Convert.ToInt32("644", 8) << 16;
            await using var writer = new StreamWriter(entry.Open());
            await writer.WriteAsync("def handler(event, context):\n    return \"<html>hello</html>\"\n");
        }
        await Aws("iam", "create-role", "--role-name", "role-demo-cct-cfn", "--assume-role-policy-document",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""");
        await Aws("lambda", "create-function", "--function-name", "demo-cct-lambda-retrieve-accounts", "--runtime", "python3.12", "--handler", "app.handler",
            "--zip-file", "fileb://" + zip, "--timeout", "30", "--role", "arn:aws:iam::000000000000:role/role-demo-cct-cfn");
        await Aws("lambda", "wait", "function-active", "--function-name", "demo-cct-lambda-retrieve-accounts");
        var lambdaArn = await Aws("lambda", "get-function", "--function-name", "demo-cct-lambda-retrieve-accounts",
            "--query", "Configuration.FunctionArn", "--output", "text");

        var template = "file://" + CloudFormationTemplates.PathOf("api_gw_template.yml");
        const string stack = "stack-api-gw-demo-cct";
        var parameter = "ParameterKey=RetrieveAccountLambdaArn,ParameterValue=" + lambdaArn;
        Assert.Equal("RetrieveAccountLambdaArn", await Aws("cloudformation", "validate-template", "--template-body", template,
            "--query", "Parameters[*].ParameterKey", "--output", "text"));
        await Aws("cloudformation", "create-stack", "--template-body", template, "--stack-name", stack, "--parameters", parameter);
        await Aws("cloudformation", "wait", "stack-create-complete", "--stack-name", stack);

        var url = await Aws("cloudformation", "describe-stacks", "--stack-name", stack,
            "--query", "Stacks[0].Outputs[?OutputKey=='InvokeUrl'].OutputValue", "--output", "text");
        var apiId = await Aws("cloudformation", "describe-stack-resource", "--stack-name", stack, "--logical-resource-id", "AccountsApi",
            "--query", "StackResourceDetail.PhysicalResourceId", "--output", "text");
        Assert.Equal($"https://{apiId}.execute-api.us-east-1.amazonaws.com/demo-cct/", url);
        var policy = await Aws("lambda", "get-policy", "--function-name", "demo-cct-lambda-retrieve-accounts", "--query", "Policy", "--output", "text");
        Assert.Contains($"arn:aws:execute-api:us-east-1:000000000000:{apiId}/*/GET/", policy);

        Assert.Equal(("200", "text/html", "<html>hello</html>"), await Curl($"{stratus.Url}/demo-cct/", $"{apiId}.execute-api.us-east-1.amazonaws.com"));
        Assert.Equal(("200", "text/html", "<html>hello</html>"),
            await Curl($"https://{apiId}.execute-api.us-east-1.localhost:{stratus.Server.Port}/demo-cct/"));

        var estimate = await Aws("cloudformation", "estimate-template-cost", "--template-body", template, "--parameters", parameter, "--query", "Url", "--output", "text");
        Assert.StartsWith("http", estimate);

        await Aws("cloudformation", "delete-stack", "--stack-name", stack);
        await Aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", stack);
        var gone = await Clients.AwsAsync(stratus.Url, "apigateway", "get-rest-api", "--rest-api-id", apiId);
        Assert.Contains("NotFoundException", gone.Stderr);
        var policyAfter = await Clients.AwsAsync(stratus.Url, "lambda", "get-policy", "--function-name", "demo-cct-lambda-retrieve-accounts");
        Assert.Contains("ResourceNotFoundException", policyAfter.Stderr);
    }

    [Fact]
    public async Task Functions_from_inline_code_and_a_local_directory_are_created_updated_in_their_environment_and_deleted()
    {
        var code = Directory.CreateDirectory(Path.Combine(_work.FullName, "local-code")).FullName;
        await File.WriteAllTextAsync(Path.Combine(code, "app.py"), "def handler(event, context):\n    return {'from': 'directory', 'got': event}\n");
        // The image function's ImageUri must name an image in Stratus's ECR, as on AWS.
        await EcrRegistryTests.CreateRepositoryAsync(stratus.Url, "demo-cct-lambda-seed-db");
        await LambdaTestImage.Scratch().PushAsync(stratus.Url, await EcrRegistryTests.RepositoryUriAsync(stratus.Url, "demo-cct-lambda-seed-db"), "latest");
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            lam = client("lambda")
            FAST = {"Delay": 1, "MaxAttempts": 120}
            body = {{CloudFormationTemplates.Python("lambda_stack.yml")}}
            CODE = {{System.Text.Json.JsonSerializer.Serialize(code)}}
            def invoke(name, payload=None):
                r = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}))
                return [r.get("FunctionError"), json.loads(r["Payload"].read())]
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="functions")["Stacks"][0]["Outputs"]}

            cf.create_stack(StackName="functions", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                            Parameters=[{"ParameterKey": "CodeDirectory", "ParameterValue": CODE}])
            cf.get_waiter("stack_create_complete").wait(StackName="functions", WaiterConfig=FAST)
            o = outputs()
            inline = o["InlineArn"].split(":")[-1]
            out["inline"] = invoke(inline)
            out["local"] = invoke(o["LocalName"], {"n": 1})
            out["version"] = [o["VersionNumber"], o["VersionArn"] == o["InlineArn"] + ":1", invoke(o["VersionArn"])]
            policy = json.loads(lam.get_policy(FunctionName=inline)["Policy"])
            out["permission"] = [[s["Sid"] == o["PermissionId"], s["Principal"], s["Action"]] for s in policy["Statement"]]
            out["tags"] = lam.list_tags(Resource=o["InlineArn"])["Tags"]
            image = lam.get_function(FunctionName=o["ImageName"])
            out["image"] = [image["Configuration"]["PackageType"], image["Code"]["ImageUri"], image["Configuration"]["ImageConfigResponse"]]

            cf.update_stack(StackName="functions", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                            Parameters=[{"ParameterKey": "CodeDirectory", "UsePreviousValue": True},
                                        {"ParameterKey": "Greeting", "ParameterValue": "bye"}])
            cf.get_waiter("stack_update_complete").wait(StackName="functions", WaiterConfig=FAST)
            out["sameFunction"] = outputs()["InlineArn"] == o["InlineArn"]
            out["environment"] = lam.get_function_configuration(FunctionName=inline)["Environment"]["Variables"]
            out["inlineAfter"] = invoke(inline)
            out["versionAfter"] = invoke(o["VersionArn"])

            cf.delete_stack(StackName="functions")
            cf.get_waiter("stack_delete_complete").wait(StackName="functions", WaiterConfig=FAST)
            out["gone"] = [error(lam.get_function, FunctionName=inline)["code"], error(lam.get_function, FunctionName=o["LocalName"])["code"],
                          error(lam.get_function, FunctionName=o["ImageName"])["code"]]
            """, TimeSpan.FromMinutes(5));

        Assert.Equal("""[null,"hello"]""", result["inline"]!.ToJsonString());
        Assert.Equal("""[null,{"from":"directory","got":{"n":1}}]""", result["local"]!.ToJsonString());
        Assert.Equal("""["1",true,[null,"hello"]]""", result["version"]!.ToJsonString());
        Assert.Equal("""[[true,{"Service":"apigateway.amazonaws.com"},"lambda:InvokeFunction"]]""", result["permission"]!.ToJsonString());
        Assert.Equal("""{"Environment":"demo-cct-paas"}""", result["tags"]!.ToJsonString());
        Assert.Equal("""["Image","000000000000.dkr.ecr.us-east-1.amazonaws.com/demo-cct-lambda-seed-db:latest",{"ImageConfig":{"Command":["from-template"]}}]""",
            result["image"]!.ToJsonString());
        Assert.True((bool)result["sameFunction"]!);
        Assert.Equal("""{"GREETING":"bye"}""", result["environment"]!.ToJsonString());
        Assert.Equal("""[null,"bye"]""", result["inlineAfter"]!.ToJsonString());
        Assert.Equal("""[null,"hello"]""", result["versionAfter"]!.ToJsonString());
        Assert.Equal("""["ResourceNotFoundException","ResourceNotFoundException","ResourceNotFoundException"]""", result["gone"]!.ToJsonString());
    }

    [Fact]
    public async Task Provisioned_concurrency_of_a_sam_alias_and_a_version_is_ready_at_create_changed_in_place_and_removed()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            cf = client("cloudformation")
            lam = client("lambda")
            FAST = {"Delay": 1, "MaxAttempts": 120}
            CAPS = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
            CODE = "import os\nINIT = os.environ.get('AWS_LAMBDA_INITIALIZATION_TYPE')\ndef handler(event, context):\n    return INIT\n"
            BROKEN = "raise RuntimeError('no init')\ndef handler(event, context):\n    return 1\n"
            def template(alias_pc, version_pc, code=CODE):
                version = {"FunctionName": {"Ref": "Plain"}}
                if version_pc:
                    version["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": version_pc}
                return json.dumps({
                    "Transform": "AWS::Serverless-2016-10-31",
                    "Resources": {
                        "Sam": {"Type": "AWS::Serverless::Function", "Properties": {
                            "InlineCode": code, "Handler": "index.handler", "Runtime": "python3.12", "AutoPublishAlias": "live",
                            "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": alias_pc}}},
                        "Plain": {"Type": "AWS::Lambda::Function", "Properties": {
                            "Code": {"ZipFile": code}, "Handler": "index.handler", "Runtime": "python3.12", "Role": {"Fn::GetAtt": ["SamRole", "Arn"]}}},
                        "PlainVersion": {"Type": "AWS::Lambda::Version", "Properties": version},
                    },
                    "Outputs": {"Sam": {"Value": {"Ref": "Sam"}}, "Plain": {"Value": {"Ref": "Plain"}},
                                "PlainVersion": {"Value": {"Fn::GetAtt": ["PlainVersion", "Version"]}}},
                })
            def state(name, qualifier):
                found = error(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier=qualifier)
                if found:
                    return found["code"]
                c = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
                return [c["Status"], c["RequestedProvisionedConcurrentExecutions"], c["AllocatedProvisionedConcurrentExecutions"]]

            cf.create_stack(StackName="provisioned", TemplateBody=template(1, 1), Capabilities=CAPS)
            cf.get_waiter("stack_create_complete").wait(StackName="provisioned", WaiterConfig=FAST)
            o = {x["OutputKey"]: x["OutputValue"] for x in cf.describe_stacks(StackName="provisioned")["Stacks"][0]["Outputs"]}
            # Complete means READY: no polling between the waiter and these reads.
            out["created"] = [state(o["Sam"], "live"), state(o["Plain"], o["PlainVersion"])]
            out["invoked"] = json.loads(lam.invoke(FunctionName=o["Sam"], Qualifier="live")["Payload"].read())

            cf.update_stack(StackName="provisioned", TemplateBody=template(2, None), Capabilities=CAPS)
            cf.get_waiter("stack_update_complete").wait(StackName="provisioned", WaiterConfig=FAST)
            after = {x["OutputKey"]: x["OutputValue"] for x in cf.describe_stacks(StackName="provisioned")["Stacks"][0]["Outputs"]}
            out["updated"] = [state(o["Sam"], "live"), state(o["Plain"], o["PlainVersion"]), after["PlainVersion"] == o["PlainVersion"]]

            cf.delete_stack(StackName="provisioned")
            cf.get_waiter("stack_delete_complete").wait(StackName="provisioned", WaiterConfig=FAST)
            out["deleted"] = [error(lam.list_provisioned_concurrency_configs, FunctionName=o["Sam"])["code"],
                              error(lam.list_provisioned_concurrency_configs, FunctionName=o["Plain"])["code"]]

            cf.create_stack(StackName="provisioned-broken", TemplateBody=template(1, None, BROKEN), Capabilities=CAPS)
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="provisioned-broken", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                pass
            out["broken"] = cf.describe_stacks(StackName="provisioned-broken")["Stacks"][0]["StackStatus"]
            events = cf.describe_stack_events(StackName="provisioned-broken")["StackEvents"]
            out["brokenReason"] = [e.get("ResourceStatusReason") for e in events if e["LogicalResourceId"] == "SamAliaslive" and e["ResourceStatus"] == "CREATE_FAILED"]

            unpublished = template(1, None).replace('"AutoPublishAlias": "live", ', "")
            out["noAlias"] = error(cf.create_stack, StackName="provisioned-no-alias", TemplateBody=unpublished, Capabilities=CAPS)
            """, TimeSpan.FromMinutes(5));

        Assert.Equal("""[["READY",1,1],["READY",1,1]]""", result["created"]!.ToJsonString());
        Assert.Equal("\"provisioned-concurrency\"", result["invoked"]!.ToJsonString());
        // The alias's configuration changed in place; the version's removed without replacing the version.
        Assert.Equal("""[["READY",2,2],"ProvisionedConcurrencyConfigNotFoundException",true]""", result["updated"]!.ToJsonString());
        Assert.Equal("""["ResourceNotFoundException","ResourceNotFoundException"]""", result["deleted"]!.ToJsonString());
        Assert.Equal("ROLLBACK_COMPLETE", (string?)result["broken"]);
        Assert.Equal("""["Provisioned Concurrency configuration failed to be applied. Reason: FUNCTION_ERROR_INIT_FAILURE"]""",
            result["brokenReason"]!.ToJsonString());
        Assert.Contains("Resource with id [Sam] is invalid. To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function",
            (string?)result["noAlias"]!["message"]);
    }

    [Fact]
    public async Task Code_in_a_missing_s3_bucket_fails_the_function_with_lambdas_s3_error_and_rolls_back_the_role()
    {
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            iam = client("iam")
            cf.create_stack(StackName="s3-code", TemplateBody={{CloudFormationTemplates.Python("lambda_s3_code.yml")}}, Capabilities=["CAPABILITY_IAM"])
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="s3-code", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            except botocore.exceptions.WaiterError:
                pass
            out["status"] = cf.describe_stacks(StackName="s3-code")["Stacks"][0]["StackStatus"]
            events = cf.describe_stack_events(StackName="s3-code")["StackEvents"]
            out["reason"] = [e.get("ResourceStatusReason") for e in events if e["LogicalResourceId"] == "BucketFunction" and e["ResourceStatus"] == "CREATE_FAILED"][0]
            out["roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("s3-code-")]
            """);

        Assert.Equal("ROLLBACK_COMPLETE", (string?)result["status"]);
        Assert.Equal("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist "
            + "(Service: Lambda, Status Code: 400, Error Code: InvalidParameterValueException)", (string?)result["reason"]);
        Assert.Equal("[]", result["roles"]!.ToJsonString());
    }

    [Fact]
    public async Task Local_code_is_confined_to_the_start_folder_and_its_download_link_is_presigned()
    {
        var inside = Directory.CreateDirectory(Path.Combine(_work.FullName, "confined")).FullName;
        await File.WriteAllTextAsync(Path.Combine(inside, "app.py"), "def handler(event, context):\n    return 'confined'\n");
        var leaking = Directory.CreateDirectory(Path.Combine(_work.FullName, "leaking")).FullName;
        await File.WriteAllTextAsync(Path.Combine(leaking, "app.py"), "def handler(event, context):\n    return open('passwd').read()\n");
        File.CreateSymbolicLink(Path.Combine(leaking, "passwd"), "/etc/passwd");

        var result = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request, urllib.error
            cf, lam = client("cloudformation"), client("lambda")
            def stack(name, key):
                cf.create_stack(StackName=name, TemplateBody={{CloudFormationTemplates.Python("lambda_local_code.yml")}}, Capabilities=["CAPABILITY_IAM"],
                                Parameters=[{"ParameterKey": "FunctionName", "ParameterValue": name}, {"ParameterKey": "CodeKey", "ParameterValue": key}])
                try:
                    cf.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
                except botocore.exceptions.WaiterError:
                    pass
                events = cf.describe_stack_events(StackName=name)["StackEvents"]
                return [e.get("ResourceStatusReason") for e in events if e["LogicalResourceId"] == "Fn" and e["ResourceStatus"] == "CREATE_FAILED"]
            def fetch(url):
                try:
                    with urllib.request.urlopen(url) as r:
                        return [r.status, len(r.read())]
                except urllib.error.HTTPError as e:
                    return [e.code, e.read().decode()]
            out["outside"] = stack("code-outside", "/etc")
            out["link"] = stack("code-link", {{System.Text.Json.JsonSerializer.Serialize(leaking)}})
            out["inside"] = stack("code-inside", {{System.Text.Json.JsonSerializer.Serialize(inside)}})
            location = lam.get_function(FunctionName="code-inside")["Code"]["Location"]
            out["query"] = sorted(location.split("?", 1)[1].split("&"))[0].split("=")[0]
            out["signed"] = fetch(location)
            out["unsigned"] = fetch(location.split("?")[0])
            out["tampered"] = fetch(location[:-1] + ("0" if location[-1] != "0" else "1"))
            out["extended"] = fetch(location.replace("Expires=", "Expires=9"))
            """);

        Assert.Contains("S3Key /etc is outside the local code root", (string?)result["outside"]![0]);
        Assert.Contains("passwd is a link outside the local code root", (string?)result["link"]![0]);
        Assert.Equal("[]", result["inside"]!.ToJsonString());
        Assert.Equal("Expires", (string?)result["query"]);
        Assert.Equal(200, (int)result["signed"]![0]!);
        foreach (var refused in new[] { "unsigned", "tampered", "extended" })
        {
            Assert.Equal(403, (int)result[refused]![0]!);
            Assert.Contains("<Code>AccessDenied</Code>", (string?)result[refused]![1]);
        }
    }
}
