using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The IaC generator through boto3: a scan finds a function, a role and a log group made through their APIs (and a parameter a stack
/// manages), filters them by type, identifier and tag and relates the function to its role; a template generated from the function
/// and the role is imported into a new stack, which then changes the function's description; a repository and a secret are described too.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IacGeneratorTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Resources_found_by_a_scan_become_a_generated_template_that_a_stack_imports_and_then_manages()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            cfn, iam, logs = client("cloudformation"), client("iam"), client("logs")
            def settle(name):
                deadline = time.time() + 90
                while time.time() < deadline:
                    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
                    if not stack["StackStatus"].endswith("_IN_PROGRESS"): return stack
                    time.sleep(0.3)
                raise Exception(name + " did not settle")
            def scan(**kw):
                scan_id = cfn.start_resource_scan(**kw)["ResourceScanId"]
                deadline = time.time() + 60
                while time.time() < deadline:
                    described = cfn.describe_resource_scan(ResourceScanId=scan_id)
                    if described["Status"] != "IN_PROGRESS": return described
                    time.sleep(0.3)
                raise Exception("scan did not finish")
            def listed(scan_id, **kw):
                return sorted([x["ResourceType"], x["ResourceIdentifier"], x["ManagedByStack"]]
                              for x in cfn.list_resource_scan_resources(ResourceScanId=scan_id, **kw)["Resources"])

            role_arn = iam.create_role(RoleName="scanned-role", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=[{"Key": "team", "Value": "blue"}])["Role"]["Arn"]
            lam.create_function(FunctionName="scanned-fn", Runtime="python3.12", Role=role_arn, Handler="app.handler", Timeout=30, Description="made by hand",
                Code={"ZipFile": zip_of({"app.py": "def handler(event, context):\n    return 'scanned'\n"})})
            logs.create_log_group(logGroupName="/scanned/group", tags={"team": "red"})
            cfn.create_stack(StackName="holder", TemplateBody=json.dumps({"Resources": {"Held": {"Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/scanned/held", "Type": "String", "Value": "mine"}}}}))
            settle("holder")

            full = scan()
            out["scan"] = [full["Status"], full["PercentageCompleted"], full["ResourcesScanned"] == full["ResourcesRead"] >= 4,
                [t for t in full["ResourceTypes"] if t in ("AWS::IAM::Role", "AWS::Lambda::Function", "AWS::Logs::LogGroup", "AWS::SSM::Parameter")]]
            scan_id = full["ResourceScanId"]
            out["functions"] = listed(scan_id, ResourceTypePrefix="AWS::Lambda::")
            out["blue"] = listed(scan_id, TagKey="team", TagValue="blue")
            out["team"] = [x[1] for x in listed(scan_id, TagKey="team")]
            out["held"] = listed(scan_id, ResourceIdentifier="/scanned/held")
            function = {"ResourceType": "AWS::Lambda::Function", "ResourceIdentifier": {"FunctionName": "scanned-fn"}}
            related = cfn.list_resource_scan_related_resources(ResourceScanId=scan_id, Resources=[function])["RelatedResources"]
            out["related"] = [[x["ResourceType"], x["ResourceIdentifier"]] for x in related]
            partial = scan(ScanFilters=[{"Types": ["AWS::IAM::*"]}])
            out["partial"] = [partial["ResourceTypes"], partial["ScanFilters"],
                [s["ScanType"] for s in cfn.list_resource_scans()["ResourceScanSummaries"] if s["ResourceScanId"] in (scan_id, partial["ResourceScanId"])]]
            out["no_scan"] = error(cfn.describe_resource_scan, ResourceScanId=scan_id[:-4] + "0000")

            role = {"ResourceType": "AWS::IAM::Role", "ResourceIdentifier": {"RoleName": "scanned-role"}}
            template_id = cfn.create_generated_template(GeneratedTemplateName="adopt", Resources=[dict(function, LogicalResourceId="Fn"), role])["GeneratedTemplateId"]
            cfn.update_generated_template(GeneratedTemplateName="adopt", AddResources=[
                {"ResourceType": "AWS::Lambda::Function", "LogicalResourceId": "Ghost", "ResourceIdentifier": {"FunctionName": "no-such-fn"}},
                {"ResourceType": "AWS::SSM::Parameter", "LogicalResourceId": "Held", "ResourceIdentifier": {"Name": "/scanned/held"}}])
            described = cfn.describe_generated_template(GeneratedTemplateName="adopt")
            out["described"] = [described["GeneratedTemplateId"] == template_id, described["Status"], described["Progress"], described["TemplateConfiguration"],
                [[x["LogicalResourceId"], x["ResourceStatus"], x.get("ResourceStatusReason")] for x in described["Resources"]]]
            cfn.update_generated_template(GeneratedTemplateName="adopt", RemoveResources=["Ghost", "Held"])
            generated = cfn.get_generated_template(GeneratedTemplateName="adopt")
            body = json.loads(generated["TemplateBody"])
            role_id = next(k for k, v in body["Resources"].items() if v["Type"] == "AWS::IAM::Role")
            fn = body["Resources"]["Fn"]
            out["template"] = [generated["Status"], body["Metadata"]["AWSToolsMetrics"]["IaC_Generator"] == template_id, sorted(body["Resources"]),
                fn["DeletionPolicy"], fn["UpdateReplacePolicy"], fn["Properties"]["Description"], fn["Properties"]["Role"] == role_arn, fn["Properties"]["Timeout"],
                body["Resources"][role_id]["Properties"]["RoleName"]]
            yaml_body = cfn.get_generated_template(GeneratedTemplateName="adopt", Format="YAML")["TemplateBody"]
            out["yaml"] = ["DeletionPolicy: Retain" in yaml_body, "Description: made by hand" in yaml_body]
            out["exists"] = error(cfn.create_generated_template, GeneratedTemplateName="adopt", Resources=[role])
            out["missing"] = error(cfn.describe_generated_template, GeneratedTemplateName="nothing")
            ecr, sm = client("ecr"), client("secretsmanager")
            ecr.create_repository(repositoryName="scanned-repo", imageTagMutability="IMMUTABLE")
            secret_arn = sm.create_secret(Name="scanned-secret", Description="kept", SecretString="hush")["ARN"]
            cfn.create_generated_template(GeneratedTemplateName="others", TemplateConfiguration={"DeletionPolicy": "DELETE"}, Resources=[
                {"ResourceType": "AWS::ECR::Repository", "LogicalResourceId": "Repo", "ResourceIdentifier": {"RepositoryName": "scanned-repo"}},
                {"ResourceType": "AWS::SecretsManager::Secret", "LogicalResourceId": "Secret", "ResourceIdentifier": {"Id": secret_arn}}])
            others = json.loads(cfn.get_generated_template(GeneratedTemplateName="others")["TemplateBody"])["Resources"]
            out["others"] = [others["Repo"]["DeletionPolicy"], others["Repo"]["UpdateReplacePolicy"], others["Repo"]["Properties"]["ImageTagMutability"],
                sorted(others["Secret"]["Properties"]), others["Secret"]["Properties"]["Description"]]
            cfn.delete_generated_template(GeneratedTemplateName="others")
            ecr.delete_repository(repositoryName="scanned-repo")
            sm.delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)

            identifiers = {v["LogicalResourceId"]: v for v in cfn.describe_generated_template(GeneratedTemplateName="adopt")["Resources"]}
            change_set = cfn.create_change_set(StackName="adopted", ChangeSetName="import", ChangeSetType="IMPORT", Capabilities=["CAPABILITY_NAMED_IAM"],
                TemplateBody=generated["TemplateBody"], ResourcesToImport=[{"ResourceType": v["ResourceType"], "LogicalResourceId": k,
                    "ResourceIdentifier": v["ResourceIdentifier"]} for k, v in identifiers.items()])
            cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=change_set["Id"], WaiterConfig={"Delay": 1})
            cfn.execute_change_set(ChangeSetName=change_set["Id"])
            out["imported"] = [settle("adopted")["StackStatus"], sorted([x["LogicalResourceId"], x["PhysicalResourceId"]]
                for x in cfn.describe_stack_resources(StackName="adopted")["StackResources"])]
            fn["Properties"]["Description"] = "managed now"
            cfn.update_stack(StackName="adopted", TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_NAMED_IAM"])
            out["updated"] = [settle("adopted")["StackStatus"], lam.get_function_configuration(FunctionName="scanned-fn")["Description"]]
            out["managed"] = listed(scan()["ResourceScanId"], ResourceIdentifier="scanned-fn")

            cfn.delete_generated_template(GeneratedTemplateName="adopt")
            out["deleted"] = [t["GeneratedTemplateName"] for t in cfn.list_generated_templates()["Summaries"]]
            stack_id = cfn.describe_stacks(StackName="adopted")["Stacks"][0]["StackId"]
            cfn.delete_stack(StackName="adopted")
            out["retained"] = [settle(stack_id)["StackStatus"], lam.get_function_configuration(FunctionName="scanned-fn")["FunctionName"]]
            cfn.delete_stack(StackName="holder")
            lam.delete_function(FunctionName="scanned-fn")
            iam.delete_role(RoleName="scanned-role")
            logs.delete_log_group(logGroupName="/scanned/group")
            """);

        Assert.Equal("""["COMPLETE",100.0,true,["AWS::IAM::Role","AWS::Lambda::Function","AWS::Logs::LogGroup","AWS::SSM::Parameter"]]""", r["scan"]!.ToJsonString());
        Assert.Equal("""[["AWS::Lambda::Function",{"FunctionName":"scanned-fn"},false]]""", r["functions"]!.ToJsonString());
        Assert.Equal("""[["AWS::IAM::Role",{"RoleName":"scanned-role"},false]]""", r["blue"]!.ToJsonString());
        Assert.Equal("""[{"RoleName":"scanned-role"},{"LogGroupName":"/scanned/group"}]""", r["team"]!.ToJsonString());
        Assert.Equal("""[["AWS::SSM::Parameter",{"Name":"/scanned/held"},true]]""", r["held"]!.ToJsonString());
        Assert.Equal("""[["AWS::IAM::Role",{"RoleName":"scanned-role"}]]""", r["related"]!.ToJsonString());
        Assert.Equal("""[["AWS::IAM::Role"],[{"Types":["AWS::IAM::*"]}],["PARTIAL","FULL"]]""", r["partial"]!.ToJsonString());
        Assert.Equal("ResourceScanNotFound", r["no_scan"]!["code"]!.GetValue<string>());

        Assert.Equal("""[true,"COMPLETE",{"ResourcesSucceeded":2,"ResourcesFailed":2,"ResourcesProcessing":0,"ResourcesPending":0},""" +
            """{"DeletionPolicy":"RETAIN","UpdateReplacePolicy":"RETAIN"},[["Fn","COMPLETE",null],["IAMRolescannedrole","COMPLETE",null],""" +
            """["Ghost","FAILED","Resource {FunctionName=no-such-fn} of type AWS::Lambda::Function does not exist"],""" +
            """["Held","FAILED","Resource {Name=/scanned/held} of type AWS::SSM::Parameter is already managed by a stack"]]]""",
            r["described"]!.ToJsonString());
        Assert.Equal("""["COMPLETE",true,["Fn","IAMRolescannedrole"],"Retain","Retain","made by hand",true,30,"scanned-role"]""", r["template"]!.ToJsonString());
        Assert.Equal("[true,true]", r["yaml"]!.ToJsonString());
        Assert.Equal("AlreadyExistsException", r["exists"]!["code"]!.GetValue<string>());
        Assert.Equal("GeneratedTemplateNotFound", r["missing"]!["code"]!.GetValue<string>());
        // A secret's value is write-only: the template leaves it to be filled in, as AWS's generator does.
        Assert.Equal("""["Delete","Retain","IMMUTABLE",["Description","Name"],"kept"]""", r["others"]!.ToJsonString());

        Assert.Equal("""["IMPORT_COMPLETE",[["Fn","scanned-fn"],["IAMRolescannedrole","scanned-role"]]]""", r["imported"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE","managed now"]""", r["updated"]!.ToJsonString());
        Assert.Equal("""[["AWS::Lambda::Function",{"FunctionName":"scanned-fn"},true]]""", r["managed"]!.ToJsonString());
        Assert.Equal("[]", r["deleted"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE","scanned-fn"]""", r["retained"]!.ToJsonString());
    }
}
