using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Stacks end to end through boto3: create, describe, update, roll back, export and delete, with IAM resources made by IAM's own code.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudFormationStackTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Waiters = """
        cf = client("cloudformation")
        iam = client("iam")
        FAST = {"Delay": 1, "MaxAttempts": 60}
        def wait(name, stack):
            cf.get_waiter(name).wait(StackName=stack, WaiterConfig=FAST)
        def settle(stack):
            for _ in range(120):
                status = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
                if not status.endswith("_IN_PROGRESS"):
                    return status
                time.sleep(0.25)
            return status
        def events(stack):
            return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in reversed(cf.describe_stack_events(StackName=stack)["StackEvents"])]

        """;

    [Fact]
    public async Task An_iam_stack_is_validated_created_described_and_deleted_with_its_resources()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$"""
            body = {{CloudFormationTemplates.Python("iam_stack.yml")}}
            v = cf.validate_template(TemplateBody=body)
            out["validate"] = {"params": {p["ParameterKey"]: [p.get("DefaultValue"), p["NoEcho"], p.get("Description")] for p in v["Parameters"]},
                               "caps": v["Capabilities"], "reason": v["CapabilitiesReason"], "description": v["Description"]}
            out["noCaps"] = error(cf.create_stack, StackName="iam-app", TemplateBody=body)
            stack_id = cf.create_stack(StackName="iam-app", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                                       Tags=[{"Key": "team", "Value": "core"}])["StackId"]
            out["again"] = error(cf.create_stack, StackName="iam-app", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
            wait("stack_create_complete", "iam-app")
            s = cf.describe_stacks(StackName="iam-app")["Stacks"][0]
            out["stack"] = {"id": s["StackId"] == stack_id, "status": s["StackStatus"], "params": {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]},
                            "outputs": {o["OutputKey"]: [o["OutputValue"], o.get("ExportName")] for o in s["Outputs"]}, "tags": s["Tags"], "caps": s["Capabilities"]}
            role = s["Outputs"][[o["OutputKey"] for o in s["Outputs"]].index("RoleName")]["OutputValue"]
            r = iam.get_role(RoleName=role)["Role"]
            out["role"] = {"name": role, "tags": r.get("Tags"), "description": r.get("Description"), "session": r["MaxSessionDuration"],
                           "attached": sorted(p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]),
                           "inline": sorted(iam.list_role_policies(RoleName=role)["PolicyNames"])}
            resources = cf.describe_stack_resources(StackName="iam-app")["StackResources"]
            out["resources"] = sorted([r["LogicalResourceId"], r["ResourceType"], r["ResourceStatus"]] for r in resources)
            out["resource"] = cf.describe_stack_resource(StackName="iam-app", LogicalResourceId="FunctionRole")["StackResourceDetail"]["PhysicalResourceId"]
            out["byPhysical"] = cf.describe_stack_resources(PhysicalResourceId=role)["StackResources"][0]["StackName"]
            out["summaries"] = sorted(r["LogicalResourceId"] for r in cf.list_stack_resources(StackName="iam-app")["StackResourceSummaries"])
            out["template"] = cf.get_template(StackName="iam-app")["TemplateBody"] == body
            summary = cf.get_template_summary(StackName="iam-app")
            out["summary"] = [sorted(summary["ResourceTypes"]), sorted(p["ParameterKey"] for p in summary["Parameters"])]
            out["exports"] = [e["Name"] for e in cf.list_exports()["Exports"] if e["ExportingStackId"] == stack_id]
            ev = events("iam-app")
            out["firstEvent"], out["lastEvent"] = ev[0], ev[-1]
            policy_arn = s["Outputs"][[o["OutputKey"] for o in s["Outputs"]].index("PolicyArn")]["OutputValue"]

            cf.delete_stack(StackName="iam-app")
            wait("stack_delete_complete", "iam-app")
            out["gone"] = error(cf.describe_stacks, StackName="iam-app")
            out["byId"] = cf.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
            out["listed"] = [x["StackStatus"] for x in cf.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"] if x["StackId"] == stack_id]
            out["roleGone"] = error(iam.get_role, RoleName=role)["code"]
            out["policyGone"] = error(iam.get_policy, PolicyArn=policy_arn)["code"]
            out["deleteAgain"] = cf.delete_stack(StackName="iam-app")["ResponseMetadata"]["HTTPStatusCode"]
            """);

        Assert.Equal(JsonNode.Parse("""
            {"params": {"Environment": ["dev", false, "Deployment environment"], "Secret": ["hunter2", true, null]},
             "caps": ["CAPABILITY_IAM"], "reason": "The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::Policy, AWS::IAM::ManagedPolicy]",
             "description": "IAM role, inline policy and managed policy for a function"}
            """), result["validate"], JsonNode.DeepEquals);
        Assert.Equal("InsufficientCapabilitiesException", (string?)result["noCaps"]!["code"]);
        Assert.Equal("Requires capabilities : [CAPABILITY_IAM]", (string?)result["noCaps"]!["message"]);
        Assert.Equal("AlreadyExistsException", (string?)result["again"]!["code"]);

        var stack = result["stack"]!;
        Assert.True((bool)stack["id"]!);
        Assert.Equal("CREATE_COMPLETE", (string?)stack["status"]);
        Assert.Equal("****", (string?)stack["params"]!["Secret"]);
        Assert.Equal("dev", (string?)stack["params"]!["Environment"]);
        Assert.Equal("iam-app-RoleArn", (string?)stack["outputs"]!["RoleArn"]![1]);
        Assert.StartsWith("arn:aws:iam::000000000000:role/iam-app-FunctionRole-", (string?)stack["outputs"]!["RoleArn"]![0]);
        Assert.StartsWith("arn:aws:iam::000000000000:policy/iam-app-SharedPolicy-", (string?)stack["outputs"]!["PolicyArn"]![0]);

        var role = result["role"]!;
        Assert.Equal("""[{"Key":"Environment","Value":"dev"}]""", role["tags"]!.ToJsonString());
        Assert.Equal("role with a secret", (string?)role["description"]);
        Assert.Equal(3600, (int)role["session"]!);
        Assert.Equal("AWSLambdaBasicExecutionRole", (string?)role["attached"]![0]);
        Assert.StartsWith("iam-app-SharedPolicy-", (string?)role["attached"]![1]);
        Assert.Equal("""["iam-app-extra","read-logs"]""", role["inline"]!.ToJsonString());

        Assert.Equal("""[["ExtraPolicy","AWS::IAM::Policy","CREATE_COMPLETE"],["FunctionRole","AWS::IAM::Role","CREATE_COMPLETE"],["SharedPolicy","AWS::IAM::ManagedPolicy","CREATE_COMPLETE"]]""",
            result["resources"]!.ToJsonString());
        Assert.Equal((string?)role["name"], (string?)result["resource"]);
        Assert.Equal("iam-app", (string?)result["byPhysical"]);
        Assert.Equal("""["ExtraPolicy","FunctionRole","SharedPolicy"]""", result["summaries"]!.ToJsonString());
        Assert.True((bool)result["template"]!);
        Assert.Equal("""[["AWS::IAM::ManagedPolicy","AWS::IAM::Policy","AWS::IAM::Role"],["Environment","Secret"]]""", result["summary"]!.ToJsonString());
        Assert.Equal("""["iam-app-RoleArn"]""", result["exports"]!.ToJsonString());
        Assert.Equal("""["iam-app","CREATE_IN_PROGRESS","User Initiated"]""", result["firstEvent"]!.ToJsonString());
        Assert.Equal("""["iam-app","CREATE_COMPLETE",""]""", result["lastEvent"]!.ToJsonString());

        Assert.Equal("ValidationError", (string?)result["gone"]!["code"]);
        Assert.Equal("Stack with id iam-app does not exist", (string?)result["gone"]!["message"]);
        Assert.Equal("DELETE_COMPLETE", (string?)result["byId"]);
        Assert.Equal("""["DELETE_COMPLETE"]""", result["listed"]!.ToJsonString());
        Assert.Equal("NoSuchEntity", (string?)result["roleGone"]);
        Assert.Equal("NoSuchEntity", (string?)result["policyGone"]);
        Assert.Equal(200, (int)result["deleteAgain"]!);
    }

    [Fact]
    public async Task A_failing_resource_fails_the_stack_and_rolls_back_what_was_created_in_reverse_order()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$$"""
            body = {{{CloudFormationTemplates.Python("failing_stack.yml")}}}
            cf.create_stack(StackName="doomed", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
            out["status"] = settle("doomed")
            s = cf.describe_stacks(StackName="doomed")["Stacks"][0]
            out["reason"] = s["StackStatusReason"]
            out["events"] = events("doomed")
            out["roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("doomed-")]
            out["resources"] = [r["ResourceStatus"] for r in cf.list_stack_resources(StackName="doomed")["StackResourceSummaries"]]

            cf.create_stack(StackName="kept-failure", TemplateBody=body, Capabilities=["CAPABILITY_IAM"], OnFailure="DO_NOTHING")
            out["doNothing"] = settle("kept-failure")
            out["keptRoles"] = sorted(r["RoleName"].split("-")[2] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("kept-failure-"))
            cf.delete_stack(StackName="kept-failure")
            wait("stack_delete_complete", "kept-failure")
            out["keptRolesAfterDelete"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("kept-failure-")]

            self_cleaning = cf.create_stack(StackName="self-cleaning", TemplateBody=body, Capabilities=["CAPABILITY_IAM"], OnFailure="DELETE")["StackId"]
            wait("stack_delete_complete", "self-cleaning")
            out["onFailureDelete"] = [cf.describe_stacks(StackName=self_cleaning)["Stacks"][0]["StackStatus"],
                                      [e[1] for e in events(self_cleaning) if e[0] == "self-cleaning"],
                                      [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("self-cleaning-")]]

            cf.create_stack(StackName="unsupported", TemplateBody=json.dumps(dict(Resources=dict(Queue=dict(Type="AWS::SQS::Queue")))))
            out["unsupported"] = [settle("unsupported"), [e for e in events("unsupported") if e[1] == "CREATE_FAILED"][0][2]]
            """);

        Assert.Equal("ROLLBACK_COMPLETE", (string?)result["status"]);
        Assert.Equal("The following resource(s) failed to create: [BadRole]. Rollback requested by user.", (string?)result["reason"]);
        var events = result["events"]!.AsArray().Select(e => $"{e![0]} {e[1]}" + ((string?)e[2] == "Resource creation Initiated" ? " Resource creation Initiated" : "")).ToList();
        Assert.Equal(
        [
            "doomed CREATE_IN_PROGRESS",
            "GoodRole CREATE_IN_PROGRESS", "GoodRole CREATE_IN_PROGRESS Resource creation Initiated", "GoodRole CREATE_COMPLETE",
            "GoodPolicy CREATE_IN_PROGRESS", "GoodPolicy CREATE_IN_PROGRESS Resource creation Initiated", "GoodPolicy CREATE_COMPLETE",
            "BadRole CREATE_IN_PROGRESS", "BadRole CREATE_FAILED",
            "doomed ROLLBACK_IN_PROGRESS",
            "BadRole DELETE_COMPLETE",
            "GoodPolicy DELETE_IN_PROGRESS", "GoodPolicy DELETE_COMPLETE",
            "GoodRole DELETE_IN_PROGRESS", "GoodRole DELETE_COMPLETE",
            "doomed ROLLBACK_COMPLETE",
        ], events);
        var badRole = result["events"]!.AsArray().First(e => (string?)e![1] == "CREATE_FAILED")!;
        Assert.Equal("Policy arn:aws:iam::aws:policy/StratusDoesNotExist does not exist or is not attachable. (Service: IAM, Status Code: 404, Error Code: NoSuchEntity)", (string?)badRole[2]);
        Assert.Empty(result["roles"]!.AsArray());
        Assert.All(result["resources"]!.AsArray(), s => Assert.Equal("DELETE_COMPLETE", (string?)s));

        Assert.Equal("CREATE_FAILED", (string?)result["doNothing"]);
        Assert.Equal("""["GoodRole"]""", result["keptRoles"]!.ToJsonString());
        Assert.Empty(result["keptRolesAfterDelete"]!.AsArray());

        Assert.Equal("""["DELETE_COMPLETE",["CREATE_IN_PROGRESS","DELETE_IN_PROGRESS","DELETE_COMPLETE"],[]]""", result["onFailureDelete"]!.ToJsonString());

        Assert.Equal("ROLLBACK_COMPLETE", (string?)result["unsupported"]![0]);
        Assert.StartsWith("Resource type AWS::SQS::Queue is not supported by Stratus.", (string?)result["unsupported"]![1]);
    }

    [Fact]
    public async Task Updates_change_resources_in_place_and_a_failed_update_rolls_back()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$"""
            body = {{CloudFormationTemplates.Python("iam_stack.yml")}}
            cf.create_stack(StackName="evolving", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
            wait("stack_create_complete", "evolving")
            role = cf.describe_stack_resource(StackName="evolving", LogicalResourceId="FunctionRole")["StackResourceDetail"]["PhysicalResourceId"]
            policy = cf.describe_stack_resource(StackName="evolving", LogicalResourceId="SharedPolicy")["StackResourceDetail"]["PhysicalResourceId"]
            out["same"] = error(cf.update_stack, StackName="evolving", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
            cf.update_stack(StackName="evolving", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                            Parameters=[{"ParameterKey": "Environment", "ParameterValue": "prod"}, {"ParameterKey": "Secret", "UsePreviousValue": True}])
            wait("stack_update_complete", "evolving")
            r = iam.get_role(RoleName=role)["Role"]
            new_policy = cf.describe_stack_resource(StackName="evolving", LogicalResourceId="SharedPolicy")["StackResourceDetail"]["PhysicalResourceId"]
            out["replaced"] = [new_policy != policy, error(iam.get_policy, PolicyArn=policy)["code"],
                               iam.get_policy(PolicyArn=new_policy)["Policy"]["Description"], [p["PolicyArn"] == new_policy for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]]
            out["updated"] = {"status": cf.describe_stacks(StackName="evolving")["Stacks"][0]["StackStatus"], "session": r["MaxSessionDuration"], "tags": r["Tags"],
                              "sameRole": cf.describe_stack_resource(StackName="evolving", LogicalResourceId="FunctionRole")["StackResourceDetail"]["PhysicalResourceId"] == role}

            cf.update_stack(StackName="evolving", TemplateBody={{CloudFormationTemplates.Python("failing_stack.yml")}}, Capabilities=["CAPABILITY_IAM"])
            out["failed"] = settle("evolving")
            out["failedEvents"] = [e[:2] for e in events("evolving") if e[0] in ("evolving", "BadRole", "GoodRole")][-12:]
            out["afterRollback"] = {"role": iam.get_role(RoleName=role)["Role"]["MaxSessionDuration"],
                                    "resources": sorted(r["LogicalResourceId"] for r in cf.list_stack_resources(StackName="evolving")["StackResourceSummaries"]),
                                    "goodRoles": [x["RoleName"] for x in iam.list_roles()["Roles"] if x["RoleName"].startswith("evolving-GoodRole")],
                                    "env": [p["ParameterValue"] for p in cf.describe_stacks(StackName="evolving")["Stacks"][0]["Parameters"] if p["ParameterKey"] == "Environment"]}

            failing = {{CloudFormationTemplates.Python("failing_stack.yml")}}
            cf.update_stack(StackName="evolving", TemplateBody=failing, Capabilities=["CAPABILITY_IAM"], DisableRollback=True)
            out["noRollback"] = [settle("evolving"), sorted(r["LogicalResourceId"] + ":" + r["ResourceStatus"] for r in cf.list_stack_resources(StackName="evolving")["StackResourceSummaries"])]
            out["previousGone"] = error(cf.update_stack, StackName="evolving", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                                        Parameters=[{"ParameterKey": "Secret", "UsePreviousValue": True}])["message"]
            cf.update_stack(StackName="evolving", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                            Parameters=[{"ParameterKey": "Environment", "ParameterValue": "prod"}])
            out["recovered"] = [settle("evolving"), sorted(r["LogicalResourceId"] for r in cf.list_stack_resources(StackName="evolving")["StackResourceSummaries"]),
                                [x["RoleName"] for x in iam.list_roles()["Roles"] if x["RoleName"].startswith("evolving-GoodRole")]]
            cf.delete_stack(StackName="evolving")
            wait("stack_delete_complete", "evolving")
            """);

        Assert.Equal("No updates are to be performed.", (string?)result["same"]!["message"]);
        Assert.Equal("""{"status":"UPDATE_COMPLETE","session":7200,"tags":[{"Key":"Environment","Value":"prod"}],"sameRole":true}""", result["updated"]!.ToJsonString());
        Assert.Equal("""[true,"NoSuchEntity","Shared policy of evolving in prod",[false,true]]""", result["replaced"]!.ToJsonString());
        Assert.Equal("UPDATE_ROLLBACK_COMPLETE", (string?)result["failed"]);
        var tail = result["failedEvents"]!.AsArray().Select(e => $"{e![0]} {e[1]}").ToList();
        Assert.Equal(
        [
            "evolving UPDATE_IN_PROGRESS",
            "GoodRole CREATE_IN_PROGRESS", "GoodRole CREATE_IN_PROGRESS", "GoodRole CREATE_COMPLETE",
            "BadRole CREATE_IN_PROGRESS", "BadRole CREATE_FAILED",
            "evolving UPDATE_ROLLBACK_IN_PROGRESS",
            "GoodRole DELETE_IN_PROGRESS", "GoodRole DELETE_COMPLETE",
            "BadRole DELETE_COMPLETE",
            "evolving UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
            "evolving UPDATE_ROLLBACK_COMPLETE",
        ], tail);
        Assert.Equal("""{"role":7200,"resources":["ExtraPolicy","FunctionRole","SharedPolicy"],"goodRoles":[],"env":["prod"]}""", result["afterRollback"]!.ToJsonString());
        Assert.Equal("""["UPDATE_FAILED",["BadRole:CREATE_FAILED","ExtraPolicy:CREATE_COMPLETE","FunctionRole:UPDATE_COMPLETE","GoodPolicy:CREATE_COMPLETE","GoodRole:CREATE_COMPLETE","SharedPolicy:UPDATE_COMPLETE"]]""",
            result["noRollback"]!.ToJsonString());
        Assert.Equal("Invalid input for parameter key Secret. Cannot specify usePreviousValue as true for a parameter key not in the previous template", (string?)result["previousGone"]);
        Assert.Equal("""["UPDATE_COMPLETE",["ExtraPolicy","FunctionRole","SharedPolicy"],[]]""", result["recovered"]!.ToJsonString());
    }

    [Fact]
    public async Task Exports_are_imported_across_stacks_and_protected_while_in_use()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$"""
            cf.create_stack(StackName="exporter", TemplateBody={{CloudFormationTemplates.Python("exporter.yml")}}, Capabilities=["CAPABILITY_IAM"])
            wait("stack_create_complete", "exporter")
            arn = cf.describe_stacks(StackName="exporter")["Stacks"][0]["Outputs"][0]["OutputValue"]
            cf.create_stack(StackName="importer", TemplateBody={{CloudFormationTemplates.Python("importer.yml")}}, Capabilities=["CAPABILITY_IAM"])
            wait("stack_create_complete", "importer")
            role = cf.describe_stacks(StackName="importer")["Stacks"][0]["Outputs"][0]["OutputValue"]
            out["attached"] = [p["PolicyArn"] == arn for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
            out["exports"] = [[e["Name"], e["Value"] == arn] for e in cf.list_exports()["Exports"] if e["Name"] == "shared-policy-arn"]
            out["imports"] = cf.list_imports(ExportName="shared-policy-arn")["Imports"]
            out["inUse"] = error(cf.delete_stack, StackName="exporter")
            cf.create_stack(StackName="exporter-twin", TemplateBody={{CloudFormationTemplates.Python("exporter.yml")}}, Capabilities=["CAPABILITY_IAM"])
            out["twin"] = [settle("exporter-twin"), cf.describe_stacks(StackName="exporter-twin")["Stacks"][0]["StackStatusReason"]]
            cf.delete_stack(StackName="importer")
            wait("stack_delete_complete", "importer")
            cf.delete_stack(StackName="exporter")
            wait("stack_delete_complete", "exporter")
            out["exportsAfter"] = [e["Name"] for e in cf.list_exports().get("Exports", [])]
            out["missingImport"] = error(cf.list_imports, ExportName="shared-policy-arn")["code"]
            cf.create_stack(StackName="orphan", TemplateBody={{CloudFormationTemplates.Python("importer.yml")}}, Capabilities=["CAPABILITY_IAM"])
            out["orphan"] = [settle("orphan"), [e[2] for e in events("orphan") if e[1] == "CREATE_FAILED"]]
            """);

        Assert.Equal("[true]", result["attached"]!.ToJsonString());
        Assert.Equal("""[["shared-policy-arn",true]]""", result["exports"]!.ToJsonString());
        Assert.Equal("""["importer"]""", result["imports"]!.ToJsonString());
        Assert.Equal("Export shared-policy-arn cannot be deleted as it is in use by importer", (string?)result["inUse"]!["message"]);
        Assert.Equal("""["ROLLBACK_COMPLETE","Export with name shared-policy-arn is already exported by stack exporter. Rollback requested by user."]""", result["twin"]!.ToJsonString());
        Assert.Empty(result["exportsAfter"]!.AsArray());
        Assert.Equal("ValidationError", (string?)result["missingImport"]);
        Assert.Equal("""["ROLLBACK_COMPLETE",["No export named shared-policy-arn found."]]""", result["orphan"]!.ToJsonString());
    }

    [Fact]
    public async Task Retained_resources_outlive_their_stack()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$"""
            body = {{CloudFormationTemplates.Python("retain_stack.yml")}}
            params = [{"ParameterKey": "KeptRoleName", "ParameterValue": "kept-by-retain"}]
            out["missing"] = error(cf.create_stack, StackName="retainer", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"])
            out["named"] = error(cf.create_stack, StackName="retainer", TemplateBody=body, Parameters=params, Capabilities=["CAPABILITY_IAM"])
            cf.create_stack(StackName="retainer", TemplateBody=body, Parameters=params, Capabilities=["CAPABILITY_NAMED_IAM"])
            wait("stack_create_complete", "retainer")
            dropped = cf.describe_stack_resource(StackName="retainer", LogicalResourceId="DroppedRole")["StackResourceDetail"]["PhysicalResourceId"]
            cf.delete_stack(StackName="retainer")
            wait("stack_delete_complete", "retainer")
            out["kept"] = iam.get_role(RoleName="kept-by-retain")["Role"]["RoleName"]
            out["dropped"] = error(iam.get_role, RoleName=dropped)["code"]
            out["skipped"] = [e[1] for e in events(cf.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"][0]["StackId"]) if e[0] == "KeptRole"][-1]
            """);

        Assert.Equal("Parameters: [KeptRoleName] must have values", (string?)result["missing"]!["message"]);
        Assert.Equal("Requires capabilities : [CAPABILITY_NAMED_IAM]", (string?)result["named"]!["message"]);
        Assert.Equal("kept-by-retain", (string?)result["kept"]);
        Assert.Equal("NoSuchEntity", (string?)result["dropped"]);
        Assert.Equal("DELETE_SKIPPED", (string?)result["skipped"]);
    }

    [Fact]
    public async Task Change_sets_describe_what_they_will_do_and_run_it()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$"""
            body = {{CloudFormationTemplates.Python("deploy_stack.yml")}}
            created = cf.create_change_set(StackName="staged", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
            out["review"] = cf.describe_stacks(StackName="staged")["Stacks"][0]["StackStatus"]
            cf.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"], WaiterConfig=FAST)
            d = cf.describe_change_set(ChangeSetName="first", StackName="staged")
            out["first"] = [d["Status"], d["ExecutionStatus"], [[c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]] for c in d["Changes"]]]
            out["listed"] = [s["ChangeSetName"] for s in cf.list_change_sets(StackName="staged")["Summaries"]]
            cf.execute_change_set(ChangeSetName=created["Id"])
            wait("stack_create_complete", "staged")
            out["executed"] = cf.describe_change_set(ChangeSetName=created["Id"])["ExecutionStatus"]
            again = cf.create_change_set(StackName="staged", ChangeSetName="second", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                                         Parameters=[{"ParameterKey": "Stage", "UsePreviousValue": True}])
            d = cf.describe_change_set(ChangeSetName=again["Id"])
            out["second"] = [d["Status"], d["StatusReason"], d["ExecutionStatus"]]
            out["cannotRun"] = error(cf.execute_change_set, ChangeSetName=again["Id"])["code"]
            cf.delete_change_set(ChangeSetName=again["Id"])
            out["deleted"] = error(cf.describe_change_set, ChangeSetName=again["Id"])["code"]
            third = cf.create_change_set(StackName="staged", ChangeSetName="third", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                                         Parameters=[{"ParameterKey": "Stage", "ParameterValue": "green"}])
            d = cf.describe_change_set(ChangeSetName=third["Id"])
            out["third"] = [[c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["Details"][0]["Target"]["Name"]] for c in d["Changes"]]
            cf.execute_change_set(ChangeSetName="third", StackName="staged")
            wait("stack_update_complete", "staged")
            out["stage"] = cf.describe_stacks(StackName="staged")["Stacks"][0]["Outputs"]
            cf.delete_stack(StackName="staged")
            wait("stack_delete_complete", "staged")
            """);

        Assert.Equal("REVIEW_IN_PROGRESS", (string?)result["review"]);
        Assert.Equal("""["CREATE_COMPLETE","AVAILABLE",[["Add","DeployRole"]]]""", result["first"]!.ToJsonString());
        Assert.Equal("""["first"]""", result["listed"]!.ToJsonString());
        Assert.Equal("EXECUTE_COMPLETE", (string?)result["executed"]);
        Assert.Equal("FAILED", (string?)result["second"]![0]);
        Assert.Equal("The submitted information didn't contain changes. Submit different information to create a change set.", (string?)result["second"]![1]);
        Assert.Equal("UNAVAILABLE", (string?)result["second"]![2]);
        Assert.Equal("InvalidChangeSetStatus", (string?)result["cannotRun"]);
        Assert.Equal("ChangeSetNotFound", (string?)result["deleted"]);
        Assert.Equal("""[["Modify","DeployRole","Description"]]""", result["third"]!.ToJsonString());
        Assert.Contains("""{"OutputKey":"Stage","OutputValue":"green"}""", result["stage"]!.ToJsonString());
    }

    [Fact]
    public async Task Bad_templates_and_parameters_are_ValidationErrors()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$$"""
            out["yaml"] = error(cf.validate_template, TemplateBody="Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: [a, b\n")
            out["json"] = error(cf.validate_template, TemplateBody='{"Resources": {"R": {"Type": "AWS::IAM::Role"}},}')
            out["function"] = error(cf.validate_template, TemplateBody=json.dumps(dict(Resources=dict(R=dict(Type="AWS::IAM::Role", Properties=dict(X={"Fn::Nope": 1}))))))
            out["ref"] = error(cf.create_stack, StackName="bad-ref", TemplateBody=json.dumps(dict(Resources=dict(R=dict(Type="AWS::IAM::Role", Properties=dict(X=dict(Ref="Nope")))))))
            out["pattern"] = error(cf.create_stack, StackName="bad-param", TemplateBody={{{CloudFormationTemplates.Python("deploy_stack.yml")}}},
                                   Capabilities=["CAPABILITY_IAM"], Parameters=[{"ParameterKey": "Stage", "ParameterValue": "UPPER"}])
            out["unknownParam"] = error(cf.create_stack, StackName="bad-param", TemplateBody={{{CloudFormationTemplates.Python("deploy_stack.yml")}}},
                                   Capabilities=["CAPABILITY_IAM"], Parameters=[{"ParameterKey": "Nope", "ParameterValue": "x"}])
            out["name"] = error(cf.create_stack, StackName="1-bad", TemplateBody={{{CloudFormationTemplates.Python("exporter.yml")}}})
            out["noBody"] = error(cf.create_stack, StackName="nobody")
            out["noStack"] = error(cf.describe_stack_events, StackName="never-made")
            out["stacks"] = [s["StackName"] for s in cf.list_stacks()["StackSummaries"] if s["StackName"].startswith("bad-")]
            """);

        Assert.All(result.Select(p => p.Value).OfType<JsonObject>(), e => Assert.Equal(400, (int)e["status"]!));
        Assert.Equal("Template format error: YAML not well-formed. (line 6, column 1)", (string?)result["yaml"]!["message"]);
        Assert.Equal("Template format error: JSON not well-formed. (line 1, column 49)", (string?)result["json"]!["message"]);
        Assert.StartsWith("Template format error: Encountered unsupported function: Fn::Nope", (string?)result["function"]!["message"]);
        Assert.Equal("Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template", (string?)result["ref"]!["message"]);
        Assert.Equal("Parameter 'Stage' failed to satisfy constraint: lowercase letters only", (string?)result["pattern"]!["message"]);
        Assert.Equal("Parameters: [Nope] do not exist in the template", (string?)result["unknownParam"]!["message"]);
        Assert.Contains("failed to satisfy constraint: Member must satisfy regular expression pattern", (string?)result["name"]!["message"]);
        Assert.Equal("Either Template URL or Template Body must be specified.", (string?)result["noBody"]!["message"]);
        Assert.Equal("Stack with id never-made does not exist", (string?)result["noStack"]!["message"]);
        Assert.All(new[] { "yaml", "json", "function", "ref", "pattern", "unknownParam", "name", "noBody", "noStack" },
            key => Assert.Equal("ValidationError", (string?)result[key]!["code"]));
        Assert.Empty(result["stacks"]!.AsArray());
    }

    [Fact]
    public async Task The_cost_estimate_url_opens_a_page_pricing_each_resource()
    {
        var result = await Clients.Boto3Async(stratus.Url, Waiters + $$"""
            import urllib.request
            url = cf.estimate_template_cost(TemplateBody={{CloudFormationTemplates.Python("iam_stack.yml")}})["Url"]
            out["url"] = url
            with urllib.request.urlopen(url) as page:
                out["status"], out["type"], out["html"] = page.status, page.headers["Content-Type"], page.read().decode()
            out["missing"] = error(cf.estimate_template_cost, TemplateBody="Resources: {}")["message"]
            try:
                urllib.request.urlopen(URL + "/_stratus/cost/no-such-estimate")
            except urllib.error.HTTPError as e:
                out["unknown"] = e.code
            """);

        Assert.StartsWith(stratus.Url + "/_stratus/cost/", (string?)result["url"]);
        Assert.Equal(200, (int)result["status"]!);
        Assert.StartsWith("text/html", (string?)result["type"]);
        var html = (string)result["html"]!;
        foreach (var expected in new[] { "FunctionRole", "ExtraPolicy", "SharedPolicy", "AWS::IAM::Role", "$0.00", "IAM is free of charge", "Where the prices come from" })
            Assert.Contains(expected, html);
        Assert.Equal("Template format error: At least one Resources member must be defined.", (string?)result["missing"]);
        Assert.Equal(404, (int)result["unknown"]!);
    }
}
