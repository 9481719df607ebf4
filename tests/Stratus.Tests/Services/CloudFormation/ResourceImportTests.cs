using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// Resource import through boto3: a Lambda function and log groups made by their own APIs are adopted into a new stack
/// and into an existing one, driven by the stack's later update, and kept (Retain) or deleted with it; and
/// ImportStacksToStackSet adopting stacks in two Regions as a stack set's instances.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ResourceImportTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Helpers = """
        cfn = client("cloudformation")
        def wait_stack(stack, cf=cfn):
            deadline = time.time() + 60
            while time.time() < deadline:
                status = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
                if not status.endswith("_IN_PROGRESS"): return status
                time.sleep(0.3)
            raise Exception(stack + " did not settle")

        """;

    [Fact]
    public async Task Resources_made_outside_CloudFormation_are_imported_into_a_new_and_an_existing_stack_then_updated_and_deleted_with_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            lam, logs, iam = client("lambda"), client("logs"), client("iam")
            role = iam.create_role(RoleName="adopted-fn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            source = "def handler(event, context):\n    return 'adopted'\n"
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w") as z: z.writestr("index.py", source)
            function_arn = lam.create_function(FunctionName="adopted-fn", Runtime="python3.12", Handler="index.handler", Role=role,
                Code={"ZipFile": archive.getvalue()})["FunctionArn"]
            logs.create_log_group(logGroupName="/adopted/one")
            logs.create_log_group(logGroupName="/adopted/two")

            function = {"Type": "AWS::Lambda::Function", "DeletionPolicy": "Retain", "Properties": {"FunctionName": "adopted-fn",
                "Runtime": "python3.12", "Handler": "index.handler", "Role": role, "Code": {"ZipFile": source}}}
            def group(name, policy="Delete", **extra):
                return {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": policy, "Properties": dict({"LogGroupName": name}, **extra)}
            def template(resources, outputs={"FunctionArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}}):
                return json.dumps({"Resources": resources, "Outputs": outputs})
            def to_import(kind, logical, key, value):
                return {"ResourceType": kind, "LogicalResourceId": logical, "ResourceIdentifier": {key: value}}
            fn_import = to_import("AWS::Lambda::Function", "Fn", "FunctionName", "adopted-fn")
            one_import = to_import("AWS::Logs::LogGroup", "GroupOne", "LogGroupName", "/adopted/one")
            two_import = to_import("AWS::Logs::LogGroup", "GroupTwo", "LogGroupName", "/adopted/two")
            def import_set(stack, name, body, resources):
                return cfn.create_change_set(StackName=stack, ChangeSetName=name, ChangeSetType="IMPORT", TemplateBody=body, ResourcesToImport=resources)

            no_policy = group("/adopted/one")
            del no_policy["DeletionPolicy"]
            out["no_policy"] = error(import_set, "adopter", "first", template({"Fn": function, "GroupOne": no_policy}), [fn_import, one_import])
            out["not_imported"] = error(import_set, "adopter", "first", template({"Fn": function, "GroupOne": group("/adopted/one")}), [fn_import])
            out["unsupported"] = error(import_set, "adopter", "first", json.dumps({"Resources": {"Version": {"Type": "AWS::Lambda::Version",
                "DeletionPolicy": "Retain", "Properties": {"FunctionName": "adopted-fn"}}}}),
                [to_import("AWS::Lambda::Version", "Version", "FunctionArn", function_arn)])
            out["no_review_stack"] = error(cfn.describe_stacks, StackName="adopter")
            summary = cfn.get_template_summary(TemplateBody=template({"Fn": function, "GroupOne": group("/adopted/one")}))
            out["summary"] = sorted([s["ResourceType"], s["LogicalResourceIds"], s["ResourceIdentifiers"]] for s in summary["ResourceIdentifierSummaries"])

            missing = import_set("adopter-missing", "first", json.dumps({"Resources": {"Nothing": group("/adopted/none")}}),
                [to_import("AWS::Logs::LogGroup", "Nothing", "LogGroupName", "/adopted/none")])
            described = cfn.describe_change_set(ChangeSetName=missing["Id"])
            out["missing"] = [described["Status"], described["ExecutionStatus"], described["StatusReason"],
                cfn.describe_stacks(StackName="adopter-missing")["Stacks"][0]["StackStatus"]]

            first = import_set("adopter", "first", template({"Fn": function, "GroupOne": group("/adopted/one")}), [fn_import, one_import])
            described = cfn.describe_change_set(ChangeSetName=first["Id"])
            out["change_set"] = [described["Status"], described["ExecutionStatus"],
                sorted([c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["PhysicalResourceId"],
                    c["ResourceChange"]["ResourceType"]] for c in described["Changes"]),
                cfn.describe_stacks(StackName="adopter")["Stacks"][0]["StackStatus"]]
            stack_id = first["StackId"]
            cfn.execute_change_set(ChangeSetName=first["Id"])
            out["created"] = wait_stack("adopter")
            stack = cfn.describe_stacks(StackName="adopter")["Stacks"][0]
            out["outputs"] = [o["OutputValue"] == function_arn for o in stack["Outputs"]]
            out["events"] = [[e["LogicalResourceId"], e["ResourceStatus"]] for e in reversed(cfn.describe_stack_events(StackName="adopter")["StackEvents"])]
            out["resources"] = sorted([r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceStatus"]]
                for r in cfn.describe_stack_resources(StackName="adopter")["StackResources"])
            out["owned"] = error(import_set, "another", "first", template({"Fn": function}), [fn_import])

            second = template({"Fn": function, "GroupOne": group("/adopted/one"), "GroupTwo": group("/adopted/two")})
            out["outputs_changed"] = error(import_set, "adopter", "second",
                template({"Fn": function, "GroupOne": group("/adopted/one"), "GroupTwo": group("/adopted/two")}, {"Other": {"Value": "x"}}), [two_import])
            change_set = import_set("adopter", "second", second, [two_import])
            cfn.execute_change_set(ChangeSetName=change_set["Id"])
            out["added"] = [wait_stack("adopter"), sorted(r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName="adopter")["StackResources"])]

            cfn.update_stack(StackName="adopter", TemplateBody=template({"Fn": function, "GroupOne": group("/adopted/one", RetentionInDays=7),
                "GroupTwo": group("/adopted/two")}))
            out["updated"] = [wait_stack("adopter"),
                [g.get("retentionInDays") for g in logs.describe_log_groups(logGroupNamePrefix="/adopted/")["logGroups"]]]

            cfn.delete_stack(StackName="adopter")
            out["deleted"] = [wait_stack(stack_id), lam.get_function(FunctionName="adopted-fn")["Configuration"]["FunctionArn"] == function_arn,
                [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/adopted/")["logGroups"]],
                sorted([e["LogicalResourceId"], e["ResourceStatus"]] for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
                    if e["ResourceStatus"] in ("DELETE_SKIPPED", "DELETE_COMPLETE") and e["LogicalResourceId"] != "adopter")]
            """);

        Assert.Equal("ValidationError", r["no_policy"]!["code"]!.GetValue<string>());
        Assert.Equal("The following resources to import [GroupOne] must have DeletionPolicy attribute specified in the template.",
            r["no_policy"]!["message"]!.GetValue<string>());
        Assert.StartsWith("You have modified resources [GroupOne] in your template that are not being imported.",
            r["not_imported"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("InvalidAction", r["unsupported"]!["code"]!.GetValue<string>());
        Assert.Contains("AWS::Lambda::Version", r["unsupported"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // A refused change set leaves no stack behind.
        Assert.Equal("ValidationError", r["no_review_stack"]!["code"]!.GetValue<string>());
        Assert.Equal("""[["AWS::Lambda::Function",["Fn"],["FunctionName"]],["AWS::Logs::LogGroup",["GroupOne"],["LogGroupName"]]]""",
            r["summary"]!.ToJsonString());
        Assert.Equal("""["FAILED","UNAVAILABLE","Resources [{LogGroupName=/adopted/none}] passed in ResourcesToImport do not exist.","REVIEW_IN_PROGRESS"]""",
            r["missing"]!.ToJsonString());

        Assert.Equal("""["CREATE_COMPLETE","AVAILABLE",[["Import","Fn","adopted-fn","AWS::Lambda::Function"],["Import","GroupOne","/adopted/one","AWS::Logs::LogGroup"]],"REVIEW_IN_PROGRESS"]""",
            r["change_set"]!.ToJsonString());
        Assert.Equal("IMPORT_COMPLETE", r["created"]!.GetValue<string>());
        Assert.Equal("[true]", r["outputs"]!.ToJsonString());
        var events = r["events"]!.AsArray().Select(e => $"{e![0]} {e[1]}").ToList();
        Assert.Equal(["adopter REVIEW_IN_PROGRESS", "adopter IMPORT_IN_PROGRESS"], events.Take(2));
        Assert.Equal("adopter IMPORT_COMPLETE", events[^1]);
        foreach (var logical in new[] { "Fn", "GroupOne" })
            Assert.True(events.IndexOf($"{logical} IMPORT_IN_PROGRESS") is var started and > 1 && events.IndexOf($"{logical} IMPORT_COMPLETE") > started, logical);
        Assert.Equal("""[["Fn","adopted-fn","IMPORT_COMPLETE"],["GroupOne","/adopted/one","IMPORT_COMPLETE"]]""", r["resources"]!.ToJsonString());
        Assert.Equal("Resources [Fn] passed in ResourceToImport are already in a stack and cannot be imported.", r["owned"]!["message"]!.GetValue<string>());

        Assert.Equal("As part of the import operation, you cannot modify or add [Outputs]", r["outputs_changed"]!["message"]!.GetValue<string>());
        Assert.Equal("""["IMPORT_COMPLETE",["Fn","GroupOne","GroupTwo"]]""", r["added"]!.ToJsonString());
        // The update reaches the adopted log group through its provider, as for one the stack created.
        Assert.Equal("""["UPDATE_COMPLETE",[7,null]]""", r["updated"]!.ToJsonString());
        // Retain keeps the function; the log groups go with the stack.
        Assert.Equal("""["DELETE_COMPLETE",true,[],[["Fn","DELETE_SKIPPED"],["GroupOne","DELETE_COMPLETE"],["GroupTwo","DELETE_COMPLETE"]]]""",
            r["deleted"]!.ToJsonString());
    }

    [Fact]
    public async Task Every_type_identified_by_one_name_is_imported_and_a_resource_adopted_meanwhile_rolls_the_second_import_back()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            role_arn = client("iam").create_role(RoleName="adopted-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            client("s3").create_bucket(Bucket="adopted-bucket")
            client("ssm").put_parameter(Name="/adopted/setting", Value="on", Type="String")
            repository_uri = client("ecr").create_repository(repositoryName="adopted-repo")["repository"]["repositoryUri"]
            secret_arn = client("secretsmanager").create_secret(Name="adopted-secret", SecretString="s3cret")["ARN"]
            resources = {
                "Role": {"Type": "AWS::IAM::Role", "DeletionPolicy": "Retain", "Properties": {"RoleName": "adopted-role", "AssumeRolePolicyDocument": json.loads(trust)}},
                "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": "adopted-bucket"}},
                "Setting": {"Type": "AWS::SSM::Parameter", "DeletionPolicy": "Retain", "Properties": {"Name": "/adopted/setting", "Type": "String", "Value": "on"}},
                "Repo": {"Type": "AWS::ECR::Repository", "DeletionPolicy": "Retain", "Properties": {"RepositoryName": "adopted-repo"}},
                "Secret": {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain", "Properties": {"Name": "adopted-secret"}}}
            outputs = {"RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}}, "RepoUri": {"Value": {"Fn::GetAtt": ["Repo", "RepositoryUri"]}},
                "SecretRef": {"Value": {"Ref": "Secret"}}, "SettingValue": {"Value": {"Fn::GetAtt": ["Setting", "Value"]}}}
            identifiers = {"Role": {"RoleName": "adopted-role"}, "Bucket": {"BucketName": "adopted-bucket"}, "Setting": {"Name": "/adopted/setting"},
                "Repo": {"RepositoryName": "adopted-repo"}, "Secret": {"Id": "adopted-secret"}}
            # A named role needs CAPABILITY_NAMED_IAM in an import too, as on AWS.
            change_set = cfn.create_change_set(StackName="many", ChangeSetName="all", ChangeSetType="IMPORT", Capabilities=["CAPABILITY_NAMED_IAM"],
                TemplateBody=json.dumps({"Resources": resources, "Outputs": outputs}),
                ResourcesToImport=[{"ResourceType": resources[k]["Type"], "LogicalResourceId": k, "ResourceIdentifier": v} for k, v in identifiers.items()])
            cfn.execute_change_set(ChangeSetName=change_set["Id"])
            out["imported"] = wait_stack("many")
            stack = cfn.describe_stacks(StackName="many")["Stacks"][0]
            values = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
            out["outputs"] = [values["RoleArn"] == role_arn, values["RepoUri"] == repository_uri, values["SecretRef"] == secret_arn, values["SettingValue"]]
            out["physical"] = sorted([r["LogicalResourceId"], r["PhysicalResourceId"]] for r in cfn.describe_stack_resources(StackName="many")["StackResources"]
                if r["LogicalResourceId"] != "Secret")
            cfn.delete_stack(StackName="many")
            out["retained"] = [wait_stack(stack["StackId"]), client("iam").get_role(RoleName="adopted-role")["Role"]["Arn"] == role_arn,
                client("ssm").get_parameter(Name="/adopted/setting")["Parameter"]["Value"]]

            client("logs").create_log_group(logGroupName="/claimed/contested")
            contested = json.dumps({"Resources": {"Group": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {"LogGroupName": "/claimed/contested"}}}})
            claims = [cfn.create_change_set(StackName=name, ChangeSetName="claim", ChangeSetType="IMPORT", TemplateBody=contested,
                ResourcesToImport=[{"ResourceType": "AWS::Logs::LogGroup", "LogicalResourceId": "Group", "ResourceIdentifier": {"LogGroupName": "/claimed/contested"}}])
                for name in ["first-claim", "second-claim"]]
            cfn.execute_change_set(ChangeSetName=claims[0]["Id"])
            first = wait_stack("first-claim")
            cfn.execute_change_set(ChangeSetName=claims[1]["Id"])
            out["contested"] = [first, wait_stack("second-claim"),
                [[e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")] for e in reversed(cfn.describe_stack_events(StackName="second-claim")["StackEvents"])
                    if e["LogicalResourceId"] == "Group"],
                cfn.list_stack_resources(StackName="second-claim")["StackResourceSummaries"]]
            """);

        Assert.Equal("IMPORT_COMPLETE", r["imported"]!.GetValue<string>());
        Assert.Equal("""[true,true,true,"on"]""", r["outputs"]!.ToJsonString());
        Assert.Equal("""[["Bucket","adopted-bucket"],["Repo","adopted-repo"],["Role","adopted-role"],["Setting","/adopted/setting"]]""", r["physical"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE",true,"on"]""", r["retained"]!.ToJsonString());
        // The second import finds the group adopted by the first since its change set was made: it fails and releases it untouched.
        Assert.Equal("""["IMPORT_COMPLETE","IMPORT_ROLLBACK_COMPLETE",[["Group","IMPORT_IN_PROGRESS",null],""" +
            """["Group","IMPORT_FAILED","Resource {LogGroupName=/claimed/contested} of type AWS::Logs::LogGroup already belongs to a stack."],""" +
            """["Group","IMPORT_ROLLBACK_COMPLETE",null]],[]]""", r["contested"]!.ToJsonString());
    }

    [Fact]
    public async Task Stacks_in_two_regions_are_imported_into_a_stack_set_as_its_instances()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            account = client("sts").get_caller_identity()["Account"]
            europe = client("cloudformation", region="eu-west-1")
            def setting(value): return json.dumps({"Resources": {"Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": value}}}})
            def wait_op(stack_set, op):
                deadline = time.time() + 60
                while time.time() < deadline:
                    operation = cfn.describe_stack_set_operation(StackSetName=stack_set, OperationId=op)["StackSetOperation"]
                    if operation["Status"] not in ("RUNNING", "STOPPING"): return operation
                    time.sleep(0.3)
                raise Exception("operation " + op + " did not end")
            def value_in(cf, region, stack_id):
                name = cf.describe_stack_resources(StackName=stack_id)["StackResources"][0]["PhysicalResourceId"]
                return client("ssm", region=region).get_parameter(Name=name)["Parameter"]["Value"]

            home = cfn.create_stack(StackName="standalone", TemplateBody=setting("shared"))["StackId"]
            away = europe.create_stack(StackName="standalone", TemplateBody=setting("shared"))["StackId"]
            out["stacks"] = [wait_stack(home), wait_stack(away, europe)]
            cfn.create_stack_set(StackSetName="adopting", TemplateBody=setting("shared"))
            out["not_found"] = error(cfn.import_stacks_to_stack_set, StackSetName="adopting", StackIds=[home[:-36] + "00000000-0000-0000-0000-000000000000"])
            out["too_many"] = error(cfn.import_stacks_to_stack_set, StackSetName="adopting", StackIds=[home] * 11)
            op = cfn.import_stacks_to_stack_set(StackSetName="adopting", StackIds=[home, away])["OperationId"]
            operation = wait_op("adopting", op)
            out["imported"] = [operation["Status"], operation["Action"],
                sorted([s["Region"], s["Status"]] for s in cfn.list_stack_set_operation_results(StackSetName="adopting", OperationId=op)["Summaries"])]
            out["instances"] = sorted([i["Region"], i["StackId"] in (home, away), i["Status"], i["StackInstanceStatus"]["DetailedStatus"]]
                for i in cfn.list_stack_instances(StackSetName="adopting")["Summaries"])
            out["operations"] = [[o["OperationId"] == op, o["Action"], o["Status"]] for o in cfn.list_stack_set_operations(StackSetName="adopting")["Summaries"]]
            cfn.create_stack_set(StackSetName="second", TemplateBody=setting("shared"))
            out["already"] = error(cfn.import_stacks_to_stack_set, StackSetName="second", StackIds=[away])

            op = cfn.update_stack_set(StackSetName="adopting", TemplateBody=setting("changed"))["OperationId"]
            out["updated"] = [wait_op("adopting", op)["Status"], value_in(cfn, "us-east-1", home), value_in(europe, "eu-west-1", away)]
            op = cfn.delete_stack_instances(StackSetName="adopting", Accounts=[account], Regions=["us-east-1", "eu-west-1"], RetainStacks=False)["OperationId"]
            out["deleted"] = [wait_op("adopting", op)["Status"], cfn.describe_stacks(StackName=home)["Stacks"][0]["StackStatus"],
                europe.describe_stacks(StackName=away)["Stacks"][0]["StackStatus"]]
            """);

        Assert.Equal("""["CREATE_COMPLETE","CREATE_COMPLETE"]""", r["stacks"]!.ToJsonString());
        Assert.Equal("StackNotFoundException", r["not_found"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["not_found"]!["status"]!.GetValue<int>());
        Assert.Equal("LimitExceededException", r["too_many"]!["code"]!.GetValue<string>());
        Assert.Equal("""["SUCCEEDED","CREATE",[["eu-west-1","SUCCEEDED"],["us-east-1","SUCCEEDED"]]]""", r["imported"]!.ToJsonString());
        Assert.Equal("""[["eu-west-1",true,"CURRENT","SUCCEEDED"],["us-east-1",true,"CURRENT","SUCCEEDED"]]""", r["instances"]!.ToJsonString());
        Assert.Equal("""[[true,"CREATE","SUCCEEDED"]]""", r["operations"]!.ToJsonString());
        Assert.Equal("InvalidOperationException", r["already"]!["code"]!.GetValue<string>());
        Assert.Contains("already belongs to stack set adopting", r["already"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // The stack set's later update reaches the imported stacks as its own instances.
        Assert.Equal("""["SUCCEEDED","changed","changed"]""", r["updated"]!.ToJsonString());
        Assert.Equal("""["SUCCEEDED","DELETE_COMPLETE","DELETE_COMPLETE"]""", r["deleted"]!.ToJsonString());
    }
}
