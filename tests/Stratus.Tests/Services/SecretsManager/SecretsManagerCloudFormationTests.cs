using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudFormation;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>AWS::SecretsManager::* resources and dynamic references in stacks, driven with boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SecretsManagerCloudFormationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Dynamic_references_reach_the_function_but_never_events_templates_or_stack_descriptions()
    {
        var r = await Clients.Boto3Async(stratus.Url, $$$"""
            cf = client("cloudformation")
            sm = client("secretsmanager")
            ssm = client("ssm")
            lam = client("lambda")
            FAST = {"Delay": 1, "MaxAttempts": 180}
            sm.create_secret(Name="external/api", SecretString='{"apiKey": "old-external-canary"}')
            sm.put_secret_value(SecretId="external/api", SecretString='{"apiKey": "external-canary-3Hb"}')
            ssm.put_parameter(Name="/app/plain", Value="first-parameter-canary", Type="String")
            ssm.put_parameter(Name="/app/plain", Value="parameter-canary-8Lm", Overwrite=True)
            cf.create_stack(StackName="secrets", TemplateBody={{{CloudFormationTemplates.Python("secrets_stack.yml")}}}, Capabilities=["CAPABILITY_IAM"])
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="secrets", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                raise SystemExit(json.dumps(cf.describe_stack_events(StackName="secrets")["StackEvents"], default=str))
            o = {x["OutputKey"]: x["OutputValue"] for x in cf.describe_stacks(StackName="secrets")["Stacks"][0]["Outputs"]}
            generated = json.loads(sm.get_secret_value(SecretId=o["SecretArn"])["SecretString"])
            out["generated"] = [sorted(generated), generated["username"], len(generated["password"]), any(ch in '"@/\\' for ch in generated["password"])]
            d = sm.describe_secret(SecretId=o["SecretArn"])
            out["secret"] = [d["Name"].startswith("AppSecret-"), d["Description"], d["Tags"]]
            out["policy"] = json.loads(sm.get_resource_policy(SecretId=o["SecretArn"])["ResourcePolicy"])["Statement"][0]["Effect"]
            seen = json.loads(lam.invoke(FunctionName=o["FunctionName"])["Payload"].read())
            out["function"] = [seen["GENERATED_PASSWORD"] == generated["password"], seen["EXTERNAL_KEY"], seen["EXTERNAL_PREVIOUS"],
                               seen["PLAIN_PARAMETER"], seen["FIRST_PARAMETER"]]
            shown = json.dumps([cf.describe_stack_events(StackName="secrets"), cf.get_template(StackName="secrets"),
                                cf.describe_stacks(StackName="secrets"), cf.describe_stack_resources(StackName="secrets")], default=str)
            out["leaks"] = [v for v in [generated["password"], "external-canary-3Hb", "old-external-canary", "parameter-canary-8Lm"] if v in shown]
            out["references_kept"] = "{{resolve:secretsmanager:external/api:SecretString:apiKey}}" in shown

            secure = '''
            Resources:
              Role:
                Type: AWS::IAM::Role
                Properties:
                  AssumeRolePolicyDocument: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
              Fn:
                Type: AWS::Lambda::Function
                Properties:
                  Runtime: python3.12
                  Handler: index.handler
                  Role: !GetAtt Role.Arn
                  Environment: {Variables: {PW: "{{resolve:ssm-secure:/app/secure}}"}}
                  Code: {ZipFile: "def handler(e, c): return 1"}
            '''
            ssm.put_parameter(Name="/app/secure", Value="secure-canary", Type="SecureString")
            cf.create_stack(StackName="secure-in-lambda", TemplateBody=secure, Capabilities=["CAPABILITY_IAM"])
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="secure-in-lambda", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                pass
            events = cf.describe_stack_events(StackName="secure-in-lambda")["StackEvents"]
            out["secure_reason"] = [e.get("ResourceStatusReason") for e in events if e["LogicalResourceId"] == "Fn" and e["ResourceStatus"] == "CREATE_FAILED"]

            cf.delete_stack(StackName="secrets")
            cf.get_waiter("stack_delete_complete").wait(StackName="secrets", WaiterConfig=FAST)
            out["after_delete"] = error(sm.get_secret_value, SecretId=o["SecretArn"])["code"]
            """, TimeSpan.FromMinutes(5));

        Assert.Equal("""[["password","username"],"app",24,false]""", r["generated"]!.ToJsonString());
        Assert.Equal("""[true,"Generated for the function",[{"Key":"Team","Value":"core"}]]""", r["secret"]!.ToJsonString());
        Assert.Equal("Deny", (string?)r["policy"]);
        Assert.Equal("""[true,"external-canary-3Hb","old-external-canary","parameter-canary-8Lm","first-parameter-canary"]""", r["function"]!.ToJsonString());
        Assert.Equal("[]", r["leaks"]!.ToJsonString());
        Assert.True((bool)r["references_kept"]!);
        Assert.Equal("""["SSM Secure reference is not supported in: [AWS::Lambda::Function/Properties/Environment/Variables/PW]"]""", r["secure_reason"]!.ToJsonString());
        // CloudFormation schedules the secret's deletion (recovery window), as on AWS.
        Assert.Equal("InvalidRequestException", (string?)r["after_delete"]);
        Assert.DoesNotContain("external-canary-3Hb", stratus.Server.Output);
    }
}
