using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// Stack sets (SELF_MANAGED) in Stratus's one account across its Regions, through boto3: each instance a real stack in
/// its Region whose resources exist there, operations asynchronous and run as their preferences say, drift detected
/// on the instances' stacks, and AWS::CloudFormation::StackSet in a template.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StackSetTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Helpers = """
        import urllib.request
        cfn = client("cloudformation")
        account = client("sts").get_caller_identity()["Account"]
        def ssm(region): return client("ssm", region=region)
        def wait_op(stack_set, op):
            deadline = time.time() + 60
            while time.time() < deadline:
                operation = cfn.describe_stack_set_operation(StackSetName=stack_set, OperationId=op)["StackSetOperation"]
                if operation["Status"] not in ("RUNNING", "STOPPING"): return operation
                time.sleep(0.3)
            raise Exception("operation " + op + " did not end")
        def results(stack_set, op):
            return [[r["Region"], r["Status"]] for r in cfn.list_stack_set_operation_results(StackSetName=stack_set, OperationId=op)["Summaries"]]
        def instance(stack_set, region):
            return cfn.describe_stack_instance(StackSetName=stack_set, StackInstanceAccount=account, StackInstanceRegion=region)["StackInstance"]
        def parameter_of(stack_set, region):
            stack_id = instance(stack_set, region)["StackId"]
            resources = client("cloudformation", region=region).describe_stack_resources(StackName=stack_id)["StackResources"]
            name = [r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "Setting"][0]
            return ssm(region).get_parameter(Name=name)["Parameter"]["Value"]
        setting = json.dumps({
            "Parameters": {"Greeting": {"Type": "String"}, "Suffix": {"Type": "String", "Default": "!"}},
            "Resources": {"Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String",
                "Value": {"Fn::Join": ["", [{"Ref": "Greeting"}, {"Ref": "Suffix"}]]}}}}})

        """;

    [Fact]
    public async Task A_stack_set_deploys_updates_and_deletes_real_stacks_in_each_region()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            greeting = lambda v: [{"ParameterKey": "Greeting", "ParameterValue": v}]
            set_id = cfn.create_stack_set(StackSetName="greetings", Description="says hello", TemplateBody=setting, Parameters=greeting("hello"),
                Tags=[{"Key": "team", "Value": "blue"}])["StackSetId"]
            described = cfn.describe_stack_set(StackSetName="greetings")["StackSet"]
            out["described"] = [described["StackSetId"] == set_id, described["Status"], described["AdministrationRoleARN"], described["ExecutionRoleName"],
                described["PermissionModel"], described["Parameters"], described["Tags"], described["StackSetARN"].startswith("arn:aws:cloudformation:us-east-1:" + account + ":stackset/greetings:")]
            out["duplicate"] = error(cfn.create_stack_set, StackSetName="greetings", TemplateBody=setting)
            out["service_managed"] = error(cfn.create_stack_set, StackSetName="org", TemplateBody=setting, PermissionModel="SERVICE_MANAGED",
                AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
            out["other_account"] = error(cfn.create_stack_instances, StackSetName="greetings", Accounts=["111111111111"], Regions=["us-east-1"])
            out["unknown_region"] = error(cfn.create_stack_instances, StackSetName="greetings", Accounts=[account], Regions=["moon-east-1"])

            op = cfn.create_stack_instances(StackSetName="greetings", Accounts=[account], Regions=["us-east-1", "eu-west-1", "ap-southeast-2"],
                ParameterOverrides=[], OperationPreferences={"RegionOrder": ["eu-west-1", "ap-southeast-2"], "MaxConcurrentCount": 1, "FailureToleranceCount": 0})["OperationId"]
            created = wait_op("greetings", op)
            out["created"] = [created["Action"], created["Status"], created["OperationPreferences"]["RegionOrder"], results("greetings", op)]
            out["values"] = [parameter_of("greetings", region) for region in ["us-east-1", "eu-west-1", "ap-southeast-2"]]
            first = instance("greetings", "eu-west-1")
            stack = client("cloudformation", region="eu-west-1").describe_stacks(StackName=first["StackId"])["Stacks"][0]
            out["instance"] = [first["Status"], first["StackInstanceStatus"]["DetailedStatus"], first["LastOperationId"] == op,
                stack["StackName"].startswith("StackSet-greetings-"), stack["StackStatus"], stack["Tags"]]
            out["regions"] = sorted(cfn.describe_stack_set(StackSetName="greetings")["StackSet"]["Regions"])

            op = cfn.update_stack_instances(StackSetName="greetings", Accounts=[account], Regions=["ap-southeast-2"],
                ParameterOverrides=[{"ParameterKey": "Greeting", "ParameterValue": "gday"}])["OperationId"]
            out["overridden"] = [wait_op("greetings", op)["Status"], parameter_of("greetings", "ap-southeast-2"),
                instance("greetings", "ap-southeast-2")["ParameterOverrides"]]
            op = cfn.update_stack_set(StackSetName="greetings", UsePreviousTemplate=True, Parameters=greeting("bonjour"))["OperationId"]
            updated = wait_op("greetings", op)
            out["updated"] = [updated["Action"], updated["Status"], [parameter_of("greetings", region) for region in ["us-east-1", "eu-west-1", "ap-southeast-2"]]]
            out["operations"] = [[o["Action"], o["Status"]] for o in cfn.list_stack_set_operations(StackSetName="greetings")["Summaries"]]
            out["not_empty"] = error(cfn.delete_stack_set, StackSetName="greetings")

            retained = instance("greetings", "us-east-1")["StackId"]
            op = cfn.delete_stack_instances(StackSetName="greetings", Accounts=[account], Regions=["us-east-1"], RetainStacks=True)["OperationId"]
            out["retained"] = [wait_op("greetings", op)["Status"], cfn.describe_stacks(StackName=retained)["Stacks"][0]["StackStatus"]]
            deleted_params = [instance("greetings", region)["StackId"] for region in ["eu-west-1", "ap-southeast-2"]]
            op = cfn.delete_stack_instances(StackSetName="greetings", Accounts=[account], Regions=["eu-west-1", "ap-southeast-2"], RetainStacks=False)["OperationId"]
            out["deleted"] = [wait_op("greetings", op)["Status"], cfn.list_stack_instances(StackSetName="greetings")["Summaries"],
                [client("cloudformation", region=region).describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
                 for region, stack_id in zip(["eu-west-1", "ap-southeast-2"], deleted_params)]]
            cfn.delete_stack(StackName=retained)
            cfn.delete_stack_set(StackSetName="greetings")
            out["gone"] = error(cfn.describe_stack_set, StackSetName="greetings")
            # Stack sets are regional: these two are listed in eu-west-3 only.
            paris = client("cloudformation", region="eu-west-3")
            paris.create_stack_set(StackSetName="second", TemplateBody=setting)
            paris.create_stack_set(StackSetName="third", TemplateBody=setting)
            page = paris.list_stack_sets(Status="ACTIVE", MaxResults=1)
            out["listed"] = [len(page["Summaries"]), "NextToken" in page,
                [s["StackSetName"] for s in paris.list_stack_sets(Status="ACTIVE", MaxResults=1, NextToken=page["NextToken"])["Summaries"]],
                "greetings" in [s["StackSetName"] for s in cfn.list_stack_sets(Status="DELETED")["Summaries"]],
                [s["StackSetName"] for s in client("cloudformation", region="eu-west-1").list_stack_sets()["Summaries"]]]
            """);

        var described = r["described"]!.AsArray();
        Assert.True(described[0]!.GetValue<bool>());
        Assert.Equal("ACTIVE", described[1]!.GetValue<string>());
        Assert.Matches("^arn:aws:iam::[0-9]{12}:role/AWSCloudFormationStackSetAdministrationRole$", described[2]!.GetValue<string>());
        Assert.Equal("AWSCloudFormationStackSetExecutionRole", described[3]!.GetValue<string>());
        Assert.Equal("SELF_MANAGED", described[4]!.GetValue<string>());
        Assert.Equal("""[{"ParameterKey":"Greeting","ParameterValue":"hello"}]""", described[5]!.ToJsonString());
        Assert.Equal("""[{"Key":"team","Value":"blue"}]""", described[6]!.ToJsonString());
        Assert.True(described[7]!.GetValue<bool>());
        Assert.Equal("NameAlreadyExistsException", r["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal(409, r["duplicate"]!["status"]!.GetValue<int>());
        Assert.Contains("AWS Organizations", r["service_managed"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Account 111111111111 is not served", r["other_account"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("ValidationError", r["unknown_region"]!["code"]!.GetValue<string>());

        // RegionOrder first, then the rest in the order given.
        Assert.Equal("""["CREATE","SUCCEEDED",["eu-west-1","ap-southeast-2"],[["eu-west-1","SUCCEEDED"],["ap-southeast-2","SUCCEEDED"],["us-east-1","SUCCEEDED"]]]""",
            r["created"]!.ToJsonString());
        Assert.Equal("""["hello!","hello!","hello!"]""", r["values"]!.ToJsonString());
        Assert.Equal("""["CURRENT","SUCCEEDED",true,true,"CREATE_COMPLETE",[{"Key":"team","Value":"blue"}]]""", r["instance"]!.ToJsonString());
        Assert.Equal("""["ap-southeast-2","eu-west-1","us-east-1"]""", r["regions"]!.ToJsonString());
        Assert.Equal("""["SUCCEEDED","gday!",[{"ParameterKey":"Greeting","ParameterValue":"gday"}]]""", r["overridden"]!.ToJsonString());
        // The stack set's new value reaches every instance; the override stays where it was given.
        Assert.Equal("""["UPDATE","SUCCEEDED",["bonjour!","bonjour!","gday!"]]""", r["updated"]!.ToJsonString());
        Assert.Equal("""[["UPDATE","SUCCEEDED"],["UPDATE","SUCCEEDED"],["CREATE","SUCCEEDED"]]""", r["operations"]!.ToJsonString());
        Assert.Equal("StackSetNotEmptyException", r["not_empty"]!["code"]!.GetValue<string>());
        Assert.Equal("""["SUCCEEDED","UPDATE_COMPLETE"]""", r["retained"]!.ToJsonString());
        Assert.Equal("""["SUCCEEDED",[],["DELETE_COMPLETE","DELETE_COMPLETE"]]""", r["deleted"]!.ToJsonString());
        Assert.Equal("StackSetNotFoundException", r["gone"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["gone"]!["status"]!.GetValue<int>());
        Assert.Equal("""[1,true,["third"],true,[]]""", r["listed"]!.ToJsonString());
    }

    [Fact]
    public async Task A_failure_beyond_the_tolerance_cancels_the_regions_after_it_and_a_running_operation_can_be_stopped()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            ssm("us-east-1").put_parameter(Name="/stackset/clash", Value="taken", Type="String")
            clashing = json.dumps({"Resources": {"Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/stackset/clash", "Type": "String", "Value": "mine"}}}})
            cfn.create_stack_set(StackSetName="clashing", TemplateBody=clashing)
            op = cfn.create_stack_instances(StackSetName="clashing", Accounts=[account], Regions=["us-east-1", "eu-west-1"],
                OperationPreferences={"FailureToleranceCount": 0})["OperationId"]
            failed = wait_op("clashing", op)
            east, west = instance("clashing", "us-east-1"), instance("clashing", "eu-west-1")
            out["strict"] = [failed["Status"], failed["StatusDetails"]["FailedStackInstancesCount"], results("clashing", op),
                [east["Status"], east["StackInstanceStatus"]["DetailedStatus"]], [west["Status"], west["StackInstanceStatus"]["DetailedStatus"]]]
            out["reason"] = east["StatusReason"]
            out["both"] = error(cfn.create_stack_instances, StackSetName="clashing", Accounts=[account], Regions=["eu-west-1"],
                OperationPreferences={"FailureToleranceCount": 1, "FailureTolerancePercentage": 100})
            op = cfn.create_stack_instances(StackSetName="clashing", Accounts=[account], Regions=["us-east-1", "eu-west-1"],
                OperationPreferences={"FailureTolerancePercentage": 100})["OperationId"]
            tolerated = wait_op("clashing", op)
            out["tolerant"] = [tolerated["Status"], results("clashing", op), ssm("eu-west-1").get_parameter(Name="/stackset/clash")["Parameter"]["Value"],
                [i["Region"] + ":" + i["StackInstanceStatus"]["DetailedStatus"] for i in cfn.list_stack_instances(StackSetName="clashing",
                    Filters=[{"Name": "DETAILED_STATUS", "Values": "FAILED"}])["Summaries"]]]

            waiting = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                "Condition": {"Type": "AWS::CloudFormation::WaitCondition", "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 600}}}})
            cfn.create_stack_set(StackSetName="waiting", TemplateBody=waiting)
            op = cfn.create_stack_instances(StackSetName="waiting", Accounts=[account], Regions=["us-west-2", "eu-central-1"])["OperationId"]
            deadline, url = time.time() + 60, None
            while url is None and time.time() < deadline:
                stack_id = instance("waiting", "us-west-2").get("StackId")
                if stack_id:
                    url = next((r["PhysicalResourceId"] for r in client("cloudformation", region="us-west-2").describe_stack_resources(StackName=stack_id)["StackResources"]
                                if r["LogicalResourceId"] == "Handle" and r["ResourceStatus"] == "CREATE_COMPLETE"), None)
                time.sleep(0.2)
            out["in_progress"] = [error(cfn.update_stack_set, StackSetName="waiting", TemplateBody=waiting)["code"],
                error(cfn.delete_stack_set, StackSetName="waiting")["code"],
                cfn.describe_stack_set_operation(StackSetName="waiting", OperationId=op)["StackSetOperation"]["Status"]]
            cfn.stop_stack_set_operation(StackSetName="waiting", OperationId=op)
            out["stopping"] = cfn.describe_stack_set_operation(StackSetName="waiting", OperationId=op)["StackSetOperation"]["Status"]
            body = json.dumps({"Status": "SUCCESS", "UniqueId": "go", "Data": "", "Reason": ""}).encode()
            urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""}))
            stopped = wait_op("waiting", op)
            out["stopped"] = [stopped["Status"], results("waiting", op), instance("waiting", "eu-central-1")["StackInstanceStatus"]["DetailedStatus"]]
            out["stop_again"] = error(cfn.stop_stack_set_operation, StackSetName="waiting", OperationId=op)["code"]
            out["unknown_op"] = error(cfn.describe_stack_set_operation, StackSetName="waiting", OperationId="nope")
            """);

        Assert.Equal("""["FAILED",1,[["us-east-1","FAILED"],["eu-west-1","CANCELLED"]],["OUTDATED","FAILED"],["OUTDATED","CANCELLED"]]""", r["strict"]!.ToJsonString());
        var reason = r["reason"]!.GetValue<string>();
        Assert.StartsWith("ResourceLogicalId:Setting, ResourceType:AWS::SSM::Parameter, ResourceStatusReason:", reason);
        Assert.Equal("ValidationError", r["both"]!["code"]!.GetValue<string>());
        Assert.Equal("""["SUCCEEDED",[["us-east-1","FAILED"],["eu-west-1","SUCCEEDED"]],"mine",["us-east-1:FAILED"]]""", r["tolerant"]!.ToJsonString());
        Assert.Equal("""["OperationInProgressException","OperationInProgressException","RUNNING"]""", r["in_progress"]!.ToJsonString());
        Assert.Equal("STOPPING", r["stopping"]!.GetValue<string>());
        Assert.Equal("""["STOPPED",[["us-west-2","SUCCEEDED"],["eu-central-1","CANCELLED"]],"CANCELLED"]""", r["stopped"]!.ToJsonString());
        Assert.Equal("InvalidOperationException", r["stop_again"]!.GetValue<string>());
        Assert.Equal("OperationNotFoundException", r["unknown_op"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["unknown_op"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Drift_is_detected_on_each_instance_and_a_template_deploys_a_stack_set()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            cfn.create_stack_set(StackSetName="drifting", TemplateBody=setting, Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "steady"}])
            op = cfn.create_stack_instances(StackSetName="drifting", Accounts=[account], Regions=["us-east-2", "ca-central-1"])["OperationId"]
            wait_op("drifting", op)
            stack_id = instance("drifting", "ca-central-1")["StackId"]
            name = client("cloudformation", region="ca-central-1").describe_stack_resource(StackName=stack_id, LogicalResourceId="Setting")["StackResourceDetail"]["PhysicalResourceId"]
            ssm("ca-central-1").put_parameter(Name=name, Value="changed by hand", Type="String", Overwrite=True)
            op = cfn.detect_stack_set_drift(StackSetName="drifting")["OperationId"]
            detection = wait_op("drifting", op)
            details = cfn.describe_stack_set(StackSetName="drifting")["StackSet"]["StackSetDriftDetectionDetails"]
            out["detection"] = [detection["Action"], detection["Status"], details["DriftStatus"], details["DriftDetectionStatus"],
                details["TotalStackInstancesCount"], details["DriftedStackInstancesCount"], details["InSyncStackInstancesCount"]]
            out["instances"] = sorted([i["Region"] + ":" + i["DriftStatus"] for i in cfn.list_stack_instances(StackSetName="drifting")["Summaries"]])
            drifts = cfn.list_stack_instance_resource_drifts(StackSetName="drifting", StackInstanceAccount=account, StackInstanceRegion="ca-central-1",
                OperationId=op, StackInstanceResourceDriftStatuses=["MODIFIED"])["Summaries"]
            out["drifts"] = [[d["LogicalResourceId"], d["StackResourceDriftStatus"], [p["PropertyPath"] for p in d["PropertyDifferences"]]] for d in drifts]
            out["summary"] = [s["DriftStatus"] for s in cfn.list_stack_sets()["Summaries"] if s["StackSetName"] == "drifting"]

            parent = json.dumps({"Resources": {"Everywhere": {"Type": "AWS::CloudFormation::StackSet", "Properties": {
                "StackSetName": "from-template", "PermissionModel": "SELF_MANAGED", "TemplateBody": setting,
                "Parameters": [{"ParameterKey": "Greeting", "ParameterValue": "templated"}],
                "OperationPreferences": {"RegionOrder": ["sa-east-1"]},
                "StackInstancesGroup": [{"DeploymentTargets": {"Accounts": [account]}, "Regions": ["sa-east-1", "eu-north-1"]}]}}},
                "Outputs": {"Id": {"Value": {"Ref": "Everywhere"}}}})
            cfn.create_stack(StackName="with-stack-set", TemplateBody=parent)
            deadline = time.time() + 60
            while time.time() < deadline:
                stack = cfn.describe_stacks(StackName="with-stack-set")["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS"): break
                time.sleep(0.3)
            out["templated"] = [stack["StackStatus"], stack["Outputs"][0]["OutputValue"].startswith("from-template:"),
                [parameter_of("from-template", region) for region in ["sa-east-1", "eu-north-1"]]]
            cfn.delete_stack(StackName="with-stack-set")
            deadline = time.time() + 60
            while time.time() < deadline and cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"].endswith("_IN_PROGRESS"):
                time.sleep(0.3)
            out["templated_deleted"] = [cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"],
                "from-template" in [s["StackSetName"] for s in cfn.list_stack_sets(Status="DELETED")["Summaries"]]]
            out["organizations"] = error(cfn.describe_organizations_access)
            """);

        Assert.Equal("""["DETECT_DRIFT","SUCCEEDED","DRIFTED","COMPLETED",2,1,1]""", r["detection"]!.ToJsonString());
        Assert.Equal("""["ca-central-1:DRIFTED","us-east-2:IN_SYNC"]""", r["instances"]!.ToJsonString());
        Assert.Equal("""[["Setting","MODIFIED",["/Value"]]]""", r["drifts"]!.ToJsonString());
        Assert.Equal("""["DRIFTED"]""", r["summary"]!.ToJsonString());
        Assert.Equal("""["CREATE_COMPLETE",true,["templated!","templated!"]]""", r["templated"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE",true]""", r["templated_deleted"]!.ToJsonString());
        Assert.Equal("InvalidAction", r["organizations"]!["code"]!.GetValue<string>());
        Assert.Contains("AWS Organizations", r["organizations"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
