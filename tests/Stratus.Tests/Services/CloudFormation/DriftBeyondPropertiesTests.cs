using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Drift detection of tags, an IAM role's inline and managed policies, and a function's code (which AWS does not check), through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class DriftBeyondPropertiesTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Tags_and_role_policies_changed_outside_the_stack_show_as_drift_and_function_code_is_not_checked()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); lam = client("lambda"); ssm = client("ssm"); logs = client("logs"); iam = client("iam"); s3 = client("s3")
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}
            basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            tags = [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}]
            cfn.create_stack(StackName="tagdrift", Capabilities=["CAPABILITY_IAM"], TemplateBody=json.dumps({"Resources": {
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust, "ManagedPolicyArns": [basic],
                    "Policies": [{"PolicyName": "logs", "PolicyDocument": allow}], "Tags": tags}},
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Tags": tags, "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}}},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": "/tagdrift/p", "Value": "1", "Tags": {"team": "a"}}},
                "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/tagdrift/logs", "Tags": tags}},
                "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "tagdrift-bucket", "Tags": tags}}}}))
            deadline = time.time() + 60
            while cfn.describe_stacks(StackName="tagdrift")["Stacks"][0]["StackStatus"].endswith("_IN_PROGRESS") and time.time() < deadline: time.sleep(0.3)
            out["status"] = cfn.describe_stacks(StackName="tagdrift")["Stacks"][0]["StackStatus"]
            def detect():
                detection = cfn.detect_stack_drift(StackName="tagdrift")["StackDriftDetectionId"]
                status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
                drifts = cfn.describe_stack_resource_drifts(StackName="tagdrift")["StackResourceDrifts"]
                return [status["StackDriftStatus"], {d["LogicalResourceId"]: d["StackResourceDriftStatus"] for d in drifts}], drifts
            out["in sync"], _ = detect()

            physical = lambda logical: cfn.describe_stack_resource(StackName="tagdrift", LogicalResourceId=logical)["StackResourceDetail"]["PhysicalResourceId"]
            function = lam.get_function(FunctionName=physical("Fn"))["Configuration"]["FunctionArn"]
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z: z.writestr("index.py", "def handler(event, context):\n    return 2\n")
            lam.update_function_code(FunctionName=function, ZipFile=buf.getvalue())
            out["code only"], _ = detect()

            lam.tag_resource(Resource=function, Tags={"owner": "me"})
            role = physical("Role")
            iam.tag_role(RoleName=role, Tags=[{"Key": "env", "Value": "prod"}])
            iam.put_role_policy(RoleName=role, PolicyName="logs", PolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))
            iam.detach_role_policy(RoleName=role, PolicyArn=basic)
            s3.put_bucket_tagging(Bucket="tagdrift-bucket", Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
            logs.untag_log_group(logGroupName="/tagdrift/logs", tags=["team"])
            ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tagdrift/p", Tags=[{"Key": "team", "Value": "b"}])
            out["drifted"], drifts = detect()
            differences = lambda logical: sorted([d["PropertyPath"], d["ExpectedValue"], d["ActualValue"], d["DifferenceType"]]
                for r in drifts if r["LogicalResourceId"] == logical for d in r["PropertyDifferences"])
            out["differences"] = {logical: differences(logical) for logical in ["Fn", "Role", "Bucket", "Logs", "P"]}
            cfn.delete_stack(StackName="tagdrift")
            """);

        Assert.Equal("CREATE_COMPLETE", (string)r["status"]!);
        Assert.Equal("""["IN_SYNC",{"Bucket":"IN_SYNC","Fn":"IN_SYNC","Logs":"IN_SYNC","P":"IN_SYNC","Role":"IN_SYNC"}]""", r["in sync"]!.ToJsonString());
        // Code is write-only in the function's schema: AWS's drift detection does not compare it, and neither does Stratus.
        Assert.Equal("""["IN_SYNC",{"Bucket":"IN_SYNC","Fn":"IN_SYNC","Logs":"IN_SYNC","P":"IN_SYNC","Role":"IN_SYNC"}]""", r["code only"]!.ToJsonString());
        Assert.Equal("""["DRIFTED",{"Bucket":"MODIFIED","Fn":"MODIFIED","Logs":"MODIFIED","P":"MODIFIED","Role":"MODIFIED"}]""", r["drifted"]!.ToJsonString());
        var d = r["differences"]!;
        Assert.Equal<string[][]>([["/Tags/2", "null", """{"Key":"owner","Value":"me"}""", "ADD"]], Rows(d["Fn"]!));
        Assert.Equal<string[][]>([["/Tags/1", """{"Key":"env","Value":"dev"}""", "null", "REMOVE"]], Rows(d["Bucket"]!));
        Assert.Equal<string[][]>([["/Tags/0/Key", "team", "env", "NOT_EQUAL"], ["/Tags/0/Value", "a", "dev", "NOT_EQUAL"], ["/Tags/1", """{"Key":"env","Value":"dev"}""", "null", "REMOVE"]],
            Rows(d["Logs"]!));
        Assert.Equal<string[][]>([["/Tags/team", "a", "b", "NOT_EQUAL"]], Rows(d["P"]!));
        Assert.Equal<string[][]>([["/ManagedPolicyArns/0", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "null", "REMOVE"],
            ["/Policies/0/PolicyDocument/Statement/0/Action", "logs:PutLogEvents", "logs:*", "NOT_EQUAL"], ["/Tags/1/Value", "dev", "prod", "NOT_EQUAL"]],
            Rows(d["Role"]!));
    }

    /// <summary>Each difference as [path, expected, actual, type].</summary>
    private static string[][] Rows(System.Text.Json.Nodes.JsonNode differences) =>
        [.. differences.AsArray().Select(row => row!.AsArray().Select(v => v!.GetValue<string>()).ToArray())];
}
