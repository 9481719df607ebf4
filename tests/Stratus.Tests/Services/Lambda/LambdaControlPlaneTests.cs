using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Lambda's control plane through boto3: functions, validation, versions, aliases, policies, tags, concurrency.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaControlPlaneTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + script);

    [Fact]
    public async Task Functions_are_created_read_listed_updated_and_deleted()
    {
        var result = await RunAsync("""
            files = {"app.py": "def handler(e, c):\n    return e\n"}
            # VpcConfig names subnets and a security group EC2 has: the default VPC's.
            ec2 = client("ec2")
            subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
            group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
            out["expected_vpc"] = subnets + [group["GroupId"], group["VpcId"]]
            out["unknown_subnet"] = error(create, "cp-nosubnet", files, VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": [group["GroupId"]]})
            out["unknown_group"] = error(create, "cp-nogroup", files, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": ["sg-1"]})
            out["half_vpc"] = error(create, "cp-half", files, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": []})
            created = create("cp-crud", files, Timeout=30, MemorySize=256, Description="first",
                             Environment={"Variables": {"MODE": "test"}}, Tags={"Environment": "demo"},
                             VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [group["GroupId"]]})
            out["created"] = {k: created.get(k) for k in ("State", "StateReasonCode", "Runtime", "Handler", "Timeout", "MemorySize", "PackageType", "Version", "FunctionArn")}
            out["created_vpc"] = created["VpcConfig"]["SubnetIds"] + created["VpcConfig"]["SecurityGroupIds"] + [created["VpcConfig"]["VpcId"]]
            lam.get_waiter("function_active_v2").wait(FunctionName="cp-crud", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
            got = lam.get_function(FunctionName="cp-crud")
            out["get_state"] = got["Configuration"]["State"]
            out["get_env"] = got["Configuration"]["Environment"]["Variables"]
            out["get_tags"] = got["Tags"]
            import urllib.request
            downloaded = urllib.request.urlopen(got["Code"]["Location"]).read()
            out["download_matches"] = zipfile.ZipFile(io.BytesIO(downloaded)).read("app.py").decode() == files["app.py"]
            out["sha_matches"] = base64.b64encode(__import__("hashlib").sha256(downloaded).digest()).decode() == got["Configuration"]["CodeSha256"]
            out["by_arn"] = lam.get_function_configuration(FunctionName=created["FunctionArn"])["FunctionName"]

            # Another region, so functions other tests create do not show up in the listing.
            eu = client("lambda", region="eu-west-1")
            for i in range(4):
                eu.create_function(FunctionName=f"cp-list-{i}", Runtime="python3.12", Role=role(), Handler="app.handler", Code={"ZipFile": zip_of(files)})
            page1 = eu.list_functions(MaxItems=2)
            page2 = eu.list_functions(MaxItems=2, Marker=page1["NextMarker"])
            out["pages"] = [[f["FunctionName"] for f in page1["Functions"]], [f["FunctionName"] for f in page2["Functions"]], "NextMarker" in page2]
            out["paginated_all"] = sorted(f["FunctionName"] for p in eu.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1}) for f in p["Functions"])

            updated = lam.update_function_configuration(FunctionName="cp-crud", Timeout=60, MemorySize=512, Handler="app.other",
                                                        Environment={"Variables": {"MODE": "prod"}}, EphemeralStorage={"Size": 1024})
            out["update_status"] = updated["LastUpdateStatus"]
            lam.get_waiter("function_updated").wait(FunctionName="cp-crud", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
            cfg = lam.get_function_configuration(FunctionName="cp-crud")
            out["updated"] = [cfg["Timeout"], cfg["MemorySize"], cfg["Handler"], cfg["Environment"]["Variables"]["MODE"], cfg["EphemeralStorage"]["Size"], cfg["LastUpdateStatus"]]
            code = lam.update_function_code(FunctionName="cp-crud", ZipFile=zip_of({"app.py": "def other(e, c):\n    return 2\n"}))
            out["code_changed"] = code["CodeSha256"] != got["Configuration"]["CodeSha256"]

            out["duplicate"] = error(create, "cp-crud", files)
            lam.delete_function(FunctionName="cp-crud")
            out["after_delete"] = error(lam.get_function, FunctionName="cp-crud")
            """);

        Assert.Equal("Pending", result["created"]!["State"]!.GetValue<string>());
        Assert.Equal("Creating", result["created"]!["StateReasonCode"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:cp-crud", result["created"]!["FunctionArn"]!.GetValue<string>());
        Assert.Equal(result["expected_vpc"]!.ToJsonString(), result["created_vpc"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["unknown_subnet"]!["code"]!.GetValue<string>());
        Assert.Contains("InvalidSubnetID.NotFound", result["unknown_subnet"]!["message"]!.GetValue<string>());
        Assert.Contains("The subnet ID 'subnet-1' does not exist", result["unknown_subnet"]!["message"]!.GetValue<string>());
        Assert.Contains("InvalidGroup.NotFound", result["unknown_group"]!["message"]!.GetValue<string>());
        Assert.Equal("SubnetIds and SecurityIds must coexist or be both empty list.", result["half_vpc"]!["message"]!.GetValue<string>());
        Assert.Equal("Active", result["get_state"]!.GetValue<string>());
        Assert.Equal("test", result["get_env"]!["MODE"]!.GetValue<string>());
        Assert.Equal("demo", result["get_tags"]!["Environment"]!.GetValue<string>());
        Assert.True(result["download_matches"]!.GetValue<bool>());
        Assert.True(result["sha_matches"]!.GetValue<bool>());
        Assert.Equal("cp-crud", result["by_arn"]!.GetValue<string>());
        Assert.Equal("""[["cp-list-0","cp-list-1"],["cp-list-2","cp-list-3"],false]""", result["pages"]!.ToJsonString());
        Assert.Equal("""["cp-list-0","cp-list-1","cp-list-2","cp-list-3"]""", result["paginated_all"]!.ToJsonString());
        Assert.Equal("InProgress", result["update_status"]!.GetValue<string>());
        Assert.Equal("""[60,512,"app.other","prod",1024,"Successful"]""", result["updated"]!.ToJsonString());
        Assert.True(result["code_changed"]!.GetValue<bool>());
        Assert.Equal("ResourceConflictException", result["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal("Function already exist: cp-crud", result["duplicate"]!["message"]!.GetValue<string>());
        Assert.Equal(404, result["after_delete"]!["status"]!.GetValue<int>());
        Assert.Equal("Function not found: arn:aws:lambda:us-east-1:000000000000:function:cp-crud", result["after_delete"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_settings_get_AWS_errors_and_create_nothing()
    {
        var result = await RunAsync("""
            files = {"app.py": "def handler(e, c):\n    return e\n"}
            z = zip_of(files)
            r = role()
            def attempt(**kw):
                args = dict(FunctionName="cp-bad", Runtime="python3.12", Role=r, Handler="app.handler", Code={"ZipFile": z})
                args.update(kw)
                return error(lam.create_function, **args)
            out["timeout"] = attempt(Timeout=901)
            out["memory"] = attempt(MemorySize=10241)
            out["handler"] = attempt(Handler="app handler")
            out["runtime_old"] = attempt(Runtime="python2.7")
            out["runtime_unknown"] = attempt(Runtime="cobol85")
            out["env_size"] = attempt(Environment={"Variables": {"BIG": "x" * 5000}})
            out["env_reserved"] = attempt(Environment={"Variables": {"AWS_REGION": "eu-west-1"}})
            out["missing_role"] = attempt(Role="arn:aws:iam::000000000000:role/nobody")
            untrusting = role("cp-ec2-role", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            out["untrusted_role"] = attempt(Role=untrusting)
            out["bad_zip"] = attempt(Code={"ZipFile": b"not a zip"})
            out["bad_image"] = error(lam.create_function, FunctionName="cp-bad", PackageType="Image", Role=r, Code={"ImageUri": "not an image"})
            out["nothing_created"] = error(lam.get_function, FunctionName="cp-bad")["code"]
            """);

        void Expect(string key, string code, string messagePart)
        {
            Assert.True(result[key]!["code"]!.GetValue<string>() == code, $"{key}: {result[key]}");
            Assert.Contains(messagePart, result[key]!["message"]!.GetValue<string>());
        }
        Expect("timeout", "ValidationException", "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");
        Expect("memory", "ValidationException", "Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240");
        Expect("handler", "ValidationException", "at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+");
        Expect("runtime_old", "InvalidParameterValueException", "The runtime parameter of python2.7 is no longer supported");
        Expect("runtime_unknown", "InvalidParameterValueException", "Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set");
        Expect("env_size", "InvalidParameterValueException", "exceeded the 4KB limit");
        Expect("env_reserved", "InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION");
        Expect("missing_role", "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.");
        Expect("untrusted_role", "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.");
        Expect("bad_zip", "InvalidParameterValueException", "Could not unzip uploaded file.");
        Expect("bad_image", "InvalidParameterValueException", "Source image not an image is not valid.");
        Assert.Equal("ResourceNotFoundException", result["nothing_created"]!.GetValue<string>());
    }

    [Fact]
    public async Task Versions_aliases_policies_tags_and_concurrency()
    {
        var result = await RunAsync("""
            created = create("cp-ver", {"app.py": "def handler(e, c):\n    return 'v1'\n"})
            v1 = lam.publish_version(FunctionName="cp-ver", Description="one")
            out["v1"] = [v1["Version"], v1["FunctionArn"], v1["Description"]]
            out["republish_same"] = lam.publish_version(FunctionName="cp-ver")["Version"]
            lam.update_function_code(FunctionName="cp-ver", ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 'v2'\n"}), Publish=True)
            out["versions"] = [v["Version"] for v in lam.list_versions_by_function(FunctionName="cp-ver")["Versions"]]
            alias = lam.create_alias(FunctionName="cp-ver", Name="live", FunctionVersion="1")
            out["alias"] = [alias["AliasArn"], alias["FunctionVersion"]]
            lam.update_alias(FunctionName="cp-ver", Name="live", FunctionVersion="2")
            out["alias_updated"] = lam.get_alias(FunctionName="cp-ver", Name="live")["FunctionVersion"]
            out["aliases"] = [a["Name"] for a in lam.list_aliases(FunctionName="cp-ver")["Aliases"]]
            out["by_alias"] = lam.get_function_configuration(FunctionName="cp-ver", Qualifier="live")["Version"]
            out["missing_version"] = error(lam.create_alias, FunctionName="cp-ver", Name="x", FunctionVersion="9")["code"]
            lam.delete_alias(FunctionName="cp-ver", Name="live")
            out["aliases_after"] = len(lam.list_aliases(FunctionName="cp-ver")["Aliases"])

            out["no_policy"] = error(lam.get_policy, FunctionName="cp-ver")
            added = lam.add_permission(FunctionName="cp-ver", StatementId="authorize-apigateway", Action="lambda:InvokeFunction",
                                       Principal="apigateway.amazonaws.com", SourceArn="arn:aws:execute-api:us-east-1:000000000000:abc/*")
            out["statement"] = json.loads(added["Statement"])
            out["policy"] = json.loads(lam.get_policy(FunctionName="cp-ver")["Policy"])
            out["duplicate_sid"] = error(lam.add_permission, FunctionName="cp-ver", StatementId="authorize-apigateway", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
            lam.remove_permission(FunctionName="cp-ver", StatementId="authorize-apigateway")
            out["removed_again"] = error(lam.remove_permission, FunctionName="cp-ver", StatementId="authorize-apigateway")

            arn = created["FunctionArn"]
            lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
            lam.untag_resource(Resource=arn, TagKeys=["a"])
            out["tags"] = lam.list_tags(Resource=arn)["Tags"]

            settings = lam.get_account_settings()
            limit = settings["AccountLimit"]["ConcurrentExecutions"]
            out["reserved"] = lam.put_function_concurrency(FunctionName="cp-ver", ReservedConcurrentExecutions=2)["ReservedConcurrentExecutions"]
            out["get_reserved"] = lam.get_function_concurrency(FunctionName="cp-ver").get("ReservedConcurrentExecutions")
            out["unreserved"] = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == limit - 2
            out["too_much"] = error(lam.put_function_concurrency, FunctionName="cp-ver", ReservedConcurrentExecutions=limit)
            lam.delete_function_concurrency(FunctionName="cp-ver")
            out["after_delete_reserved"] = "ReservedConcurrentExecutions" in lam.get_function_concurrency(FunctionName="cp-ver")
            out["function_count"] = settings["AccountUsage"]["FunctionCount"] >= 1
            signing = lam.get_function_code_signing_config(FunctionName=arn)
            out["code_signing"] = [signing["CodeSigningConfigArn"], signing["FunctionName"]]
            out["code_signing_missing"] = error(lam.get_function_code_signing_config, FunctionName="cp-nothing")
            out["attach_code_signing"] = error(lam.put_function_code_signing_config, FunctionName="cp-ver",
                CodeSigningConfigArn="arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdef0")
            """);

        Assert.Equal("""["1","arn:aws:lambda:us-east-1:000000000000:function:cp-ver:1","one"]""", result["v1"]!.ToJsonString());
        Assert.Equal("1", result["republish_same"]!.GetValue<string>());
        Assert.Equal("""["$LATEST","1","2"]""", result["versions"]!.ToJsonString());
        Assert.Equal("""["arn:aws:lambda:us-east-1:000000000000:function:cp-ver:live","1"]""", result["alias"]!.ToJsonString());
        Assert.Equal("2", result["alias_updated"]!.GetValue<string>());
        Assert.Equal("""["live"]""", result["aliases"]!.ToJsonString());
        Assert.Equal("2", result["by_alias"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["missing_version"]!.GetValue<string>());
        Assert.Equal(0, result["aliases_after"]!.GetValue<int>());
        Assert.Equal("ResourceNotFoundException", result["no_policy"]!["code"]!.GetValue<string>());
        var statement = result["statement"]!;
        Assert.Equal("apigateway.amazonaws.com", statement["Principal"]!["Service"]!.GetValue<string>());
        Assert.Equal("arn:aws:execute-api:us-east-1:000000000000:abc/*", statement["Condition"]!["ArnLike"]!["AWS:SourceArn"]!.GetValue<string>());
        Assert.Equal("2012-10-17", result["policy"]!["Version"]!.GetValue<string>());
        Assert.Equal("authorize-apigateway", result["policy"]!["Statement"]![0]!["Sid"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:cp-ver", result["policy"]!["Statement"]![0]!["Resource"]!.GetValue<string>());
        Assert.Equal("ResourceConflictException", result["duplicate_sid"]!["code"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["removed_again"]!["code"]!.GetValue<string>());
        Assert.Equal("""{"b":"2"}""", result["tags"]!.ToJsonString());
        Assert.Equal(2, result["reserved"]!.GetValue<int>());
        Assert.Equal(2, result["get_reserved"]!.GetValue<int>());
        // A function without a config reads as AWS answers for one: an empty ARN.
        Assert.Equal("""["","cp-ver"]""", result["code_signing"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", result["code_signing_missing"]!["code"]!.GetValue<string>());
        Assert.Equal(404, result["code_signing_missing"]!["status"]!.GetValue<int>());
        Assert.Equal("CodeSigningConfigNotFoundException", result["attach_code_signing"]!["code"]!.GetValue<string>());
        Assert.True(result["unreserved"]!.GetValue<bool>());
        Assert.Equal("InvalidParameterValueException", result["too_much"]!["code"]!.GetValue<string>());
        Assert.Contains("decreases account's UnreservedConcurrentExecution below its minimum value", result["too_much"]!["message"]!.GetValue<string>());
        Assert.False(result["after_delete_reserved"]!.GetValue<bool>());
        Assert.True(result["function_count"]!.GetValue<bool>());
    }
}
