using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Drift detection against the live state in each service, and CloudFormation's pages of 100, through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class DriftAndPaginationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Changes_made_outside_the_stack_show_as_drift_with_their_property_differences()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); lam = client("lambda"); ssm = client("ssm"); logs = client("logs")
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            cfn.create_stack(StackName="drifting", Capabilities=["CAPABILITY_IAM"], TemplateBody=json.dumps({"Resources": {
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust, "Description": "drift"}},
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "MemorySize": 128, "Environment": {"Variables": {"AA": "1"}},
                    "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}}},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": "/drifting/p", "Value": "1"}},
                "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/drifting/logs", "RetentionInDays": 7}},
                "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "drifting-bucket"}},
                "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}))
            deadline = time.time() + 60
            while cfn.describe_stacks(StackName="drifting")["Stacks"][0]["StackStatus"].endswith("_IN_PROGRESS") and time.time() < deadline: time.sleep(0.3)
            out["before"] = cfn.describe_stacks(StackName="drifting")["Stacks"][0]["DriftInformation"]["StackDriftStatus"]
            def detect():
                detection = cfn.detect_stack_drift(StackName="drifting")["StackDriftDetectionId"]
                status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
                drifts = cfn.describe_stack_resource_drifts(StackName="drifting")["StackResourceDrifts"]
                return [status["DetectionStatus"], status["StackDriftStatus"], status["DriftedStackResourceCount"],
                        {d["LogicalResourceId"]: d["StackResourceDriftStatus"] for d in drifts}], drifts
            out["in sync"], _ = detect()

            function = cfn.describe_stack_resource(StackName="drifting", LogicalResourceId="Fn")["StackResourceDetail"]["PhysicalResourceId"]
            lam.update_function_configuration(FunctionName=function, MemorySize=256, Environment={"Variables": {"AA": "1", "BB": "2"}})
            ssm.delete_parameter(Name="/drifting/p")
            logs.delete_retention_policy(logGroupName="/drifting/logs")
            out["drifted"], drifts = detect()
            differences = lambda logical: sorted([d["PropertyPath"], d["ExpectedValue"], d["ActualValue"], d["DifferenceType"]]
                for r in drifts if r["LogicalResourceId"] == logical for d in r["PropertyDifferences"])
            out["function differences"] = differences("Fn")
            out["log differences"] = differences("Logs")
            fn_drift = next(d for d in drifts if d["LogicalResourceId"] == "Fn")
            out["actual memory"] = json.loads(fn_drift["ActualProperties"])["MemorySize"]
            out["stack"] = cfn.describe_stacks(StackName="drifting")["Stacks"][0]["DriftInformation"]["StackDriftStatus"]
            out["summary"] = cfn.list_stacks()["StackSummaries"][0]["DriftInformation"]["StackDriftStatus"]
            out["resource"] = {s["LogicalResourceId"]: s["DriftInformation"]["StackResourceDriftStatus"]
                for s in cfn.list_stack_resources(StackName="drifting")["StackResourceSummaries"]}
            out["one"] = cfn.detect_stack_resource_drift(StackName="drifting", LogicalResourceId="Fn")["StackResourceDrift"]["StackResourceDriftStatus"]
            out["filtered"] = [d["LogicalResourceId"] for d in cfn.describe_stack_resource_drifts(StackName="drifting",
                StackResourceDriftStatusFilters=["MODIFIED"])["StackResourceDrifts"]]
            first = cfn.describe_stack_resource_drifts(StackName="drifting", MaxResults=4)
            second = cfn.describe_stack_resource_drifts(StackName="drifting", MaxResults=4, NextToken=first["NextToken"])
            out["pages"] = [len(first["StackResourceDrifts"]), len(second["StackResourceDrifts"]), "NextToken" in second]
            out["unknown detection"] = error(cfn.describe_stack_drift_detection_status, StackDriftDetectionId="00000000-0000-0000-0000-000000000000")
            cfn.delete_stack(StackName="drifting")
            """);

        Assert.Equal("NOT_CHECKED", (string)r["before"]!);
        Assert.Equal("""["DETECTION_COMPLETE","IN_SYNC",0,{"Bucket":"IN_SYNC","Fn":"IN_SYNC","Handle":"NOT_CHECKED","Logs":"IN_SYNC","P":"IN_SYNC","Role":"IN_SYNC"}]""",
            r["in sync"]!.ToJsonString());
        Assert.Equal("""["DETECTION_COMPLETE","DRIFTED",3,{"Bucket":"IN_SYNC","Fn":"MODIFIED","Handle":"NOT_CHECKED","Logs":"MODIFIED","P":"DELETED","Role":"IN_SYNC"}]""",
            r["drifted"]!.ToJsonString());
        Assert.Equal("""[["/Environment/Variables/BB","null","2","ADD"],["/MemorySize","128","256","NOT_EQUAL"]]""", r["function differences"]!.ToJsonString());
        Assert.Equal("""[["/RetentionInDays","7","null","REMOVE"]]""", r["log differences"]!.ToJsonString());
        Assert.Equal(256, (int)r["actual memory"]!);
        Assert.Equal("DRIFTED", (string)r["stack"]!);
        Assert.Equal("DRIFTED", (string)r["summary"]!);
        Assert.Equal("MODIFIED", (string)r["resource"]!["Fn"]!);
        Assert.Equal("DELETED", (string)r["resource"]!["P"]!);
        Assert.Equal("MODIFIED", (string)r["one"]!);
        Assert.Equal("""["Fn","Logs"]""", r["filtered"]!.ToJsonString());
        Assert.Equal("""[4,2,false]""", r["pages"]!.ToJsonString());
        Assert.Equal("ValidationError", (string)r["unknown detection"]!["code"]!);
    }

    [Fact]
    public async Task Lists_come_in_pages_of_100_that_paginators_follow_and_a_foreign_token_is_refused()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation")
            resources = {f"Handle{i:02}": {"Type": "AWS::CloudFormation::WaitConditionHandle"} for i in range(60)}
            cfn.create_stack(StackName="paged", TemplateBody=json.dumps({"Resources": resources}))
            deadline = time.time() + 60
            while cfn.describe_stacks(StackName="paged")["Stacks"][0]["StackStatus"].endswith("_IN_PROGRESS") and time.time() < deadline: time.sleep(0.3)
            first = cfn.describe_stack_events(StackName="paged")
            second = cfn.describe_stack_events(StackName="paged", NextToken=first["NextToken"])
            every = [e["EventId"] for page in cfn.get_paginator("describe_stack_events").paginate(StackName="paged") for e in page["StackEvents"]]
            out["events"] = [len(first["StackEvents"]), len(second["StackEvents"]), "NextToken" in second, len(every), len(set(every)),
                first["StackEvents"][0]["ResourceStatus"], second["StackEvents"][-1]["ResourceStatus"]]
            resources = cfn.list_stack_resources(StackName="paged")
            out["resources"] = [len(resources["StackResourceSummaries"]), "NextToken" in resources]
            out["bad token"] = error(cfn.describe_stack_events, StackName="paged", NextToken="not-a-token")
            out["past the end"] = error(cfn.list_stacks, NextToken=base64.b64encode(b"100000").decode())
            cfn.delete_stack(StackName="paged")
            """);

        // 60 resources make 3 events each (in progress, initiated, complete), with the stack's own two: 182, newest first.
        Assert.Equal("""[100,82,false,182,182,"CREATE_COMPLETE","CREATE_IN_PROGRESS"]""", r["events"]!.ToJsonString());
        Assert.Equal("""[60,false]""", r["resources"]!.ToJsonString());
        Assert.Equal("""{"code":"ValidationError","message":"not-a-token is not a valid NextToken","status":400}""", r["bad token"]!.ToJsonString());
        Assert.Equal("ValidationError", (string)r["past the end"]!["code"]!);
    }
}
