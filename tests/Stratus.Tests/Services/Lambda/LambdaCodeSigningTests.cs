using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Code signing configs through boto3: their lifecycle and AWS's errors, and what they do to deployments. Stratus serves no
/// AWS Signer, so no package carries a signature: Enforce refuses every zip deployment with CodeVerificationFailedException,
/// Warn deploys it and counts AWS/Lambda's SignatureValidationErrors.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaCodeSigningTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + script);

    [Fact]
    public async Task Configs_are_created_read_updated_listed_and_deleted_only_when_no_function_uses_them()
    {
        var result = await RunAsync("""
            profiles = ["arn:aws:signer:us-east-1:000000000000:/signing-profiles/Publisher/abcdef0123"]
            made = lam.create_code_signing_config(Description="release", AllowedPublishers={"SigningProfileVersionArns": profiles},
                                                  CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}, Tags={"team": "core"})["CodeSigningConfig"]
            arn = made["CodeSigningConfigArn"]
            out["made"] = made
            out["got"] = lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == made
            out["default_policy"] = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": profiles})["CodeSigningConfig"]["CodeSigningPolicies"]
            out["listed"] = arn in [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]]
            out["paged"] = len(lam.list_code_signing_configs(MaxItems=1)["CodeSigningConfigs"])
            out["tags"] = lam.list_tags(Resource=arn)["Tags"]
            out["too_many"] = error(lam.create_code_signing_config, AllowedPublishers={"SigningProfileVersionArns": profiles * 21})
            out["not_arn"] = error(lam.create_code_signing_config, AllowedPublishers={"SigningProfileVersionArns": ["Publisher"]})
            out["bad_policy"] = error(lam.create_code_signing_config, AllowedPublishers={"SigningProfileVersionArns": profiles},
                                      CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Ignore"})
            missing = arn[:-17] + "0123456789abcdef0"
            out["missing"] = error(lam.get_code_signing_config, CodeSigningConfigArn=missing)
            out["updated"] = lam.update_code_signing_config(CodeSigningConfigArn=arn, Description="changed")["CodeSigningConfig"]
            create("csc-user", {"app.py": "def handler(e, c):\n    return 'v1'\n"}, Timeout=30)
            out["attach_missing"] = error(lam.put_function_code_signing_config, FunctionName="csc-user", CodeSigningConfigArn=missing)
            out["attached"] = lam.put_function_code_signing_config(FunctionName="csc-user", CodeSigningConfigArn=arn)
            out["attached"].pop("ResponseMetadata")
            out["read"] = lam.get_function_code_signing_config(FunctionName="csc-user")["CodeSigningConfigArn"] == arn
            out["users"] = lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"]
            out["in_use"] = error(lam.delete_code_signing_config, CodeSigningConfigArn=arn)
            lam.delete_function_code_signing_config(FunctionName="csc-user")
            out["detached"] = lam.get_function_code_signing_config(FunctionName="csc-user")["CodeSigningConfigArn"]
            lam.delete_code_signing_config(CodeSigningConfigArn=arn)
            out["deleted"] = error(lam.get_code_signing_config, CodeSigningConfigArn=arn)["code"]
            lam.delete_function(FunctionName="csc-user")
            """);

        var made = result["made"]!;
        Assert.Matches(@"^arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-[0-9a-f]{17}$", made["CodeSigningConfigArn"]!.GetValue<string>());
        Assert.Equal(made["CodeSigningConfigArn"]!.GetValue<string>().Split(':')[^1], made["CodeSigningConfigId"]!.GetValue<string>());
        Assert.Equal("release", made["Description"]!.GetValue<string>());
        Assert.Equal("Enforce", made["CodeSigningPolicies"]!["UntrustedArtifactOnDeployment"]!.GetValue<string>());
        Assert.True(result["got"]!.GetValue<bool>());
        Assert.Equal("""{"UntrustedArtifactOnDeployment":"Warn"}""", result["default_policy"]!.ToJsonString());
        Assert.True(result["listed"]!.GetValue<bool>());
        Assert.Equal(1, result["paged"]!.GetValue<int>());
        Assert.Equal("""{"team":"core"}""", result["tags"]!.ToJsonString());
        foreach (var refused in new[] { "too_many", "not_arn", "bad_policy" })
            Assert.Equal("ValidationException", result[refused]!["code"]!.GetValue<string>());
        foreach (var refused in new[] { "too_many", "not_arn" })
            Assert.Contains("'allowedPublishers.signingProfileVersionArns'", result[refused]!["message"]!.GetValue<string>());
        Assert.Contains("Member must have length less than or equal to 20", result["too_many"]!["message"]!.GetValue<string>());
        Assert.Contains("regular expression pattern", result["not_arn"]!["message"]!.GetValue<string>());
        Assert.Contains("'codeSigningPolicies.untrustedArtifactOnDeployment'", result["bad_policy"]!["message"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["missing"]!["code"]!.GetValue<string>());
        Assert.Equal(404, result["missing"]!["status"]!.GetValue<int>());
        Assert.Equal("changed", result["updated"]!["Description"]!.GetValue<string>());
        Assert.Equal("Enforce", result["updated"]!["CodeSigningPolicies"]!["UntrustedArtifactOnDeployment"]!.GetValue<string>());
        Assert.Equal("CodeSigningConfigNotFoundException", result["attach_missing"]!["code"]!.GetValue<string>());
        Assert.Equal(404, result["attach_missing"]!["status"]!.GetValue<int>());
        Assert.Equal($$"""{"CodeSigningConfigArn":"{{made["CodeSigningConfigArn"]}}","FunctionName":"csc-user"}""", result["attached"]!.ToJsonString());
        Assert.True(result["read"]!.GetValue<bool>());
        Assert.Equal("""["arn:aws:lambda:us-east-1:000000000000:function:csc-user"]""", result["users"]!.ToJsonString());
        Assert.Equal("ResourceConflictException", result["in_use"]!["code"]!.GetValue<string>());
        Assert.Equal(409, result["in_use"]!["status"]!.GetValue<int>());
        Assert.Equal("", result["detached"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["deleted"]!.GetValue<string>());
    }

    [Fact]
    public async Task Enforce_refuses_every_zip_deployment_and_Warn_deploys_it_and_counts_SignatureValidationErrors()
    {
        var result = await RunAsync("""
            import datetime
            cw = client("cloudwatch")
            profiles = {"SigningProfileVersionArns": ["arn:aws:signer:us-east-1:000000000000:/signing-profiles/Publisher/abcdef0123"]}
            enforce = lam.create_code_signing_config(AllowedPublishers=profiles, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})["CodeSigningConfig"]["CodeSigningConfigArn"]
            warn = lam.create_code_signing_config(AllowedPublishers=profiles, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})["CodeSigningConfig"]["CodeSigningConfigArn"]
            v1 = {"app.py": "def handler(e, c):\n    return 'v1'\n"}
            v2 = {"app.py": "def handler(e, c):\n    return 'v2'\n"}
            out["create_enforced"] = error(create, "csc-enforced", v1, Timeout=30, CodeSigningConfigArn=enforce)
            out["enforced_made"] = error(lam.get_function, FunctionName="csc-enforced")["code"]
            # Code deployed before the config was attached keeps running; the next deployment is checked.
            create("csc-attached", v1, Timeout=30)
            lam.put_function_code_signing_config(FunctionName="csc-attached", CodeSigningConfigArn=enforce)
            out["update_enforced"] = error(lam.update_function_code, FunctionName="csc-attached", ZipFile=zip_of(v2))
            out["still_runs"] = invoke("csc-attached")["payload"]
            created = create("csc-warned", v1, Timeout=30, CodeSigningConfigArn=warn)
            lam.get_waiter("function_active_v2").wait(FunctionName="csc-warned")
            lam.update_function_code(FunctionName="csc-warned", ZipFile=zip_of(v2))
            lam.get_waiter("function_updated_v2").wait(FunctionName="csc-warned")
            out["warned_runs"] = invoke("csc-warned")["payload"]
            dimensions = [{"Name": "FunctionName", "Value": "csc-warned"}]
            deadline = time.time() + 30
            total = 0
            while total < 2 and time.time() < deadline:
                now = datetime.datetime.now(datetime.timezone.utc)
                points = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName="SignatureValidationErrors", Dimensions=dimensions,
                                                  StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1),
                                                  Period=60, Statistics=["Sum"])["Datapoints"]
                total = sum(p["Sum"] for p in points)
                if total < 2:
                    time.sleep(1)
            out["signature_errors"] = total
            out["listed"] = [m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Lambda", MetricName="SignatureValidationErrors", Dimensions=dimensions)["Metrics"]]
            out["enforced_errors"] = cw.list_metrics(Namespace="AWS/Lambda", MetricName="SignatureValidationErrors",
                                                     Dimensions=[{"Name": "FunctionName", "Value": "csc-attached"}])["Metrics"]
            for name in ["csc-attached", "csc-warned"]:
                lam.delete_function(FunctionName=name)
            for arn in [enforce, warn]:
                lam.delete_code_signing_config(CodeSigningConfigArn=arn)
            """);

        foreach (var refused in new[] { "create_enforced", "update_enforced" })
        {
            Assert.Equal("CodeVerificationFailedException", result[refused]!["code"]!.GetValue<string>());
            Assert.Equal(400, result[refused]!["status"]!.GetValue<int>());
            Assert.StartsWith("Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept.",
                result[refused]!["message"]!.GetValue<string>());
        }
        Assert.Equal("ResourceNotFoundException", result["enforced_made"]!.GetValue<string>());
        Assert.Equal("v1", result["still_runs"]!.GetValue<string>());
        Assert.Equal("v2", result["warned_runs"]!.GetValue<string>());
        Assert.Equal(2, result["signature_errors"]!.GetValue<double>());
        Assert.Equal("""["SignatureValidationErrors"]""", result["listed"]!.ToJsonString());
        Assert.Equal("[]", result["enforced_errors"]!.ToJsonString());
    }

    [Fact]
    public async Task A_template_makes_a_config_attaches_it_to_its_function_and_updates_it_in_place()
    {
        var result = await RunAsync("""
            cfn = client("cloudformation")
            def template(policy, description):
                return json.dumps({
                    "Parameters": {"Role": {"Type": "String"}},
                    "Resources": {
                        "Signing": {"Type": "AWS::Lambda::CodeSigningConfig", "Properties": {
                            "Description": description, "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": policy},
                            "AllowedPublishers": {"SigningProfileVersionArns": ["arn:aws:signer:us-east-1:000000000000:/signing-profiles/Publisher/abcdef0123"]}}},
                        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                            "FunctionName": "csc-stack-fn", "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Ref": "Role"}, "Timeout": 30,
                            "CodeSigningConfigArn": {"Ref": "Signing"}, "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"}}}},
                    "Outputs": {"Arn": {"Value": {"Ref": "Signing"}}, "Id": {"Value": {"Fn::GetAtt": ["Signing", "CodeSigningConfigId"]}}}})
            def settle(name):
                deadline = time.time() + 120
                while time.time() < deadline:
                    stacks = (cfn.describe_stacks(StackName=name) if error(cfn.describe_stacks, StackName=name) is None else {"Stacks": [{"StackStatus": "DELETE_COMPLETE"}]})["Stacks"]
                    stack = stacks[0]
                    if not stack["StackStatus"].endswith("IN_PROGRESS"):
                        return stack
                    time.sleep(0.5)
                return stack
            parameters = [{"ParameterKey": "Role", "ParameterValue": role()}]
            cfn.create_stack(StackName="csc-stack", TemplateBody=template("Warn", "first"), Parameters=parameters)
            created = settle("csc-stack")
            out["created"] = created["StackStatus"]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in created.get("Outputs", [])}
            out["id_matches"] = outputs.get("Arn", "").endswith(":" + outputs.get("Id", "-"))
            out["attached"] = lam.get_function_code_signing_config(FunctionName="csc-stack-fn")["CodeSigningConfigArn"] == outputs.get("Arn")
            cfn.update_stack(StackName="csc-stack", TemplateBody=template("Enforce", "second"), Parameters=parameters)
            out["updated"] = settle("csc-stack")["StackStatus"]
            config = lam.get_code_signing_config(CodeSigningConfigArn=outputs["Arn"])["CodeSigningConfig"]
            out["config"] = [config["Description"], config["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"]]
            cfn.delete_stack(StackName="csc-stack")
            settle("csc-stack")
            out["config_gone"] = error(lam.get_code_signing_config, CodeSigningConfigArn=outputs["Arn"])["code"]
            """);

        Assert.Equal("CREATE_COMPLETE", result["created"]!.GetValue<string>());
        Assert.True(result["id_matches"]!.GetValue<bool>());
        Assert.True(result["attached"]!.GetValue<bool>());
        Assert.Equal("UPDATE_COMPLETE", result["updated"]!.GetValue<string>());
        Assert.Equal("""["second","Enforce"]""", result["config"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", result["config_gone"]!.GetValue<string>());
    }
}
