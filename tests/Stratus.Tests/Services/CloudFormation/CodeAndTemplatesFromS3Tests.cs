using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// What deploy tools put in S3 and point at: a template's TemplateURL (Stratus's own URLs and the AWS forms
/// the CLI and the CDK write) and a function's S3Bucket/S3Key, in CloudFormation and in Lambda's API, read
/// through S3's domain; missing objects refused with AWS's errors.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CodeAndTemplatesFromS3Tests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        cfn = client("cloudformation"); s3 = client("s3"); lam = client("lambda"); iam = client("iam")
        def package(text):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                info = zipfile.ZipInfo("app.py"); info.external_attr = 0o644 << 16
                z.writestr(info, "def handler(event, context):\n    return " + repr(text) + "\n")
            return buffer.getvalue()
        def invoke(name):
            return json.loads(lam.invoke(FunctionName=name)["Payload"].read())
        role = iam.create_role(RoleName="s3-code-role-" + str(time.time_ns()), AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]

        """;

    [Fact]
    public async Task Create_function_and_update_function_code_read_packages_and_versions_from_s3()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="api-code")
            s3.put_bucket_versioning(Bucket="api-code", VersioningConfiguration={"Status": "Enabled"})
            first = s3.put_object(Bucket="api-code", Key="fn/app.zip", Body=package("first"))["VersionId"]
            s3.put_object(Bucket="api-code", Key="fn/app.zip", Body=package("second"))
            lam.create_function(FunctionName="from-s3", Runtime="python3.12", Handler="app.handler", Role=role,
                                Code={"S3Bucket": "api-code", "S3Key": "fn/app.zip"})
            lam.get_waiter("function_active_v2").wait(FunctionName="from-s3")
            out["latest"] = invoke("from-s3")
            lam.update_function_code(FunctionName="from-s3", S3Bucket="api-code", S3Key="fn/app.zip", S3ObjectVersion=first)
            lam.get_waiter("function_updated_v2").wait(FunctionName="from-s3")
            out["versioned"] = invoke("from-s3")
            out["missing_key"] = error(lam.update_function_code, FunctionName="from-s3", S3Bucket="api-code", S3Key="fn/none.zip")
            out["missing_bucket"] = error(lam.create_function, FunctionName="nowhere", Runtime="python3.12", Handler="app.handler", Role=role,
                                          Code={"S3Bucket": "no-such-code-bucket", "S3Key": "app.zip"})
            out["other_account"] = error(client("lambda", key="111111111111").create_function, FunctionName="theirs", Runtime="python3.12",
                                         Handler="app.handler", Role=role, Code={"S3Bucket": "api-code", "S3Key": "fn/app.zip"})
            lam.delete_function(FunctionName="from-s3")
            """);

        Assert.Equal("second", r["latest"]!.GetValue<string>());
        Assert.Equal("first", r["versioned"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", r["missing_key"]!["code"]!.GetValue<string>());
        Assert.Equal("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
            r["missing_key"]!["message"]!.GetValue<string>());
        Assert.Equal("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist",
            r["missing_bucket"]!["message"]!.GetValue<string>());
        Assert.Equal("Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: Access Denied",
            r["other_account"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Templates_are_read_from_s3_by_every_url_form_and_their_functions_code_too()
    {
        var port = new Uri(stratus.Url).Port;
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="deploy-artifacts")
            s3.put_object(Bucket="deploy-artifacts", Key="code/app.zip", Body=package("from a template"))
            template = json.dumps({
                "Parameters": {"Greeting": {"Type": "String", "Default": "hi", "Description": "what to say"}},
                "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "app.handler", "Role": role,
                    "Code": {"S3Bucket": "deploy-artifacts", "S3Key": "code/app.zip"}}}},
                "Outputs": {"Name": {"Value": {"Ref": "Fn"}}}})
            s3.put_object(Bucket="deploy-artifacts", Key="templates/app stack.json", Body=template.encode())
            urls = {
                "stratus_path": URL + "/deploy-artifacts/templates/app%20stack.json",
                "stratus_virtual": "http://deploy-artifacts.s3.localhost:STRATUS_PORT/templates/app%20stack.json",
                "aws_path": "https://s3.us-east-1.amazonaws.com/deploy-artifacts/templates/app%20stack.json",
                "aws_global": "https://s3.amazonaws.com/deploy-artifacts/templates/app%20stack.json",
                "aws_virtual": "https://deploy-artifacts.s3.us-east-1.amazonaws.com/templates/app%20stack.json",
            }
            out["validated"] = {k: [p["ParameterKey"] for p in cfn.validate_template(TemplateURL=u)["Parameters"]] for k, u in urls.items()}
            out["summary"] = cfn.get_template_summary(TemplateURL=urls["aws_virtual"])["Parameters"][0]["Description"]
            cfn.create_stack(StackName="from-url", TemplateURL=urls["aws_path"])
            stack = settle_stack("from-url")
            out["created"] = stack["StackStatus"]
            name = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Name"]
            lam.get_waiter("function_active_v2").wait(FunctionName=name)
            out["invoked"] = invoke(name)
            s3.put_object(Bucket="deploy-artifacts", Key="code/v2.zip", Body=package("updated"))
            s3.put_object(Bucket="deploy-artifacts", Key="templates/v2.json", Body=template.replace("code/app.zip", "code/v2.zip").encode())
            change = cfn.create_change_set(StackName="from-url", ChangeSetName="v2", TemplateURL=urls["stratus_virtual"].replace("app%20stack", "v2"))
            cfn.execute_change_set(ChangeSetName=change["Id"])
            out["updated"] = settle_stack("from-url")["StackStatus"]
            lam.get_waiter("function_updated_v2").wait(FunctionName=name)
            out["invoked_after"] = invoke(name)
            cfn.update_stack(StackName="from-url", TemplateURL=urls["stratus_path"])
            out["update_stack"] = settle_stack("from-url")["StackStatus"]
            out["missing"] = error(cfn.validate_template, TemplateURL=URL + "/deploy-artifacts/templates/none.json")
            out["missing_bucket"] = error(cfn.create_stack, StackName="x", TemplateURL="https://s3.amazonaws.com/no-such-bucket-here/t.json")
            out["not_s3"] = error(cfn.validate_template, TemplateURL="https://example.com/template.json")
            out["both"] = error(cfn.validate_template, TemplateURL=urls["aws_path"], TemplateBody=template)
            # A URL presigned with temporary credentials carries their session token: longer than 1,024 characters, within the model's 5,120.
            temporary = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="ASIATEMPORARY",
                aws_secret_access_key="secret", aws_session_token="T" * 1500)
            presigned = temporary.generate_presigned_url("get_object", Params={"Bucket": "deploy-artifacts", "Key": "templates/app stack.json"}, ExpiresIn=900)
            out["presigned_length"] = len(presigned)
            out["presigned"] = [p["ParameterKey"] for p in cfn.validate_template(TemplateURL=presigned)["Parameters"]]
            out["too_long"] = error(cfn.validate_template, TemplateURL=urls["aws_path"] + "?pad=" + "a" * 5120)
            cfn.delete_stack(StackName="from-url")
            """.Replace("STRATUS_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(5, r["validated"]!.AsObject().Count);
        Assert.All(r["validated"]!.AsObject(), v => Assert.Equal("""["Greeting"]""", v.Value!.ToJsonString()));
        Assert.Equal("what to say", r["summary"]!.GetValue<string>());
        Assert.Equal("CREATE_COMPLETE", r["created"]!.GetValue<string>());
        Assert.Equal("from a template", r["invoked"]!.GetValue<string>());
        Assert.Equal("UPDATE_COMPLETE", r["updated"]!.GetValue<string>());
        Assert.Equal("updated", r["invoked_after"]!.GetValue<string>());
        Assert.Equal("UPDATE_COMPLETE", r["update_stack"]!.GetValue<string>());
        Assert.Equal("ValidationError", r["missing"]!["code"]!.GetValue<string>());
        Assert.StartsWith("S3 error: The specified key does not exist.", r["missing"]!["message"]!.GetValue<string>());
        Assert.StartsWith("S3 error: The specified bucket does not exist", r["missing_bucket"]!["message"]!.GetValue<string>());
        Assert.Equal("TemplateURL must be a supported URL.", r["not_s3"]!["message"]!.GetValue<string>());
        Assert.Equal("Specify exactly one of TemplateBody or TemplateUrl.", r["both"]!["message"]!.GetValue<string>());
        Assert.InRange(r["presigned_length"]!.GetValue<int>(), 1025, 5120);
        Assert.Equal("""["Greeting"]""", r["presigned"]!.ToJsonString());
        Assert.Equal("ValidationError", r["too_long"]!["code"]!.GetValue<string>());
        Assert.Contains("Member must have length less than or equal to 5120", r["too_long"]!["message"]!.GetValue<string>());
    }
}
