using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The extension registry end to end: a handler package built as the CloudFormation CLI builds it (schema.json, .rpdk-config,
/// ResourceProvider.zip with a plain Python handler speaking the resource handler protocol), uploaded to Stratus's S3,
/// registered in the background, described, versioned and configured; a stack whose resource of that type is created,
/// updated and deleted by the handler (which writes an SSM parameter with the credentials it is given, asks for a callback,
/// and finishes one operation through RecordHandlerProgress), Fn::GetAtt of its read-only properties; a FAILED handler
/// failing the stack with its message; and the registry's errors.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudFormationRegistryTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>The handler the tests register, in plain Python speaking the resource handler protocol.</summary>
    internal const string Handler = """
        import json, os, boto3
        def handler(event, context):
            data = event["requestData"]
            props, action = data["resourceProperties"], event["action"]
            step = (event.get("callbackContext") or {}).get("step", 0)
            creds = data.get("callerCredentials") or {}
            def client(name):
                return boto3.client(name, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=event["region"],
                                    aws_access_key_id=creds["accessKeyId"], aws_secret_access_key=creds["secretAccessKey"],
                                    aws_session_token=creds["sessionToken"])
            if props.get("Fail"):
                return {"status": "FAILED", "errorCode": "InvalidRequest", "message": "refused " + props["Name"]}
            name = "/registry/" + props["Name"]
            if action == "CREATE":
                if step == 0:
                    return {"status": "IN_PROGRESS", "callbackContext": {"step": 1}, "callbackDelaySeconds": 1}
                client("ssm").put_parameter(Name=name, Value=props["Value"], Type="String")
                seen = ",".join([data["typeConfiguration"]["Prefix"], str(step), data["logicalResourceId"], event["resourceType"],
                                 event["resourceTypeVersion"], data["systemTags"]["aws:cloudformation:stack-name"]])
                return {"status": "SUCCESS", "resourceModel": dict(props, Id=name, Greeting="hello " + props["Value"], Seen=seen)}
            if action == "UPDATE":
                client("ssm").put_parameter(Name=name, Value=props["Value"], Type="String", Overwrite=True)
                model = dict(props, Greeting="hello " + props["Value"], Seen="from " + data["previousResourceProperties"]["Value"])
                # Finished through the documented callback; the long delay asked for is never waited.
                client("cloudformation").record_handler_progress(BearerToken=event["bearerToken"], OperationStatus="SUCCESS",
                                                                 CurrentOperationStatus="IN_PROGRESS", ResourceModel=json.dumps(model))
                return {"status": "IN_PROGRESS", "callbackContext": {"step": 1}, "callbackDelaySeconds": 600}
            if action == "DELETE":
                client("ssm").delete_parameter(Name=props["Id"])
                return {"status": "SUCCESS"}
            return {"status": "FAILED", "errorCode": "InvalidRequest", "message": "unexpected " + action}
        """;

    /// <summary>Python defining the test type's TYPE and schema, package(schema) (the package `cfn submit --dry-run` builds) and registered(token), which waits for a registration.</summary>
    internal static readonly string TypeAndPackage = """
        TYPE = "Stratus::Test::Greeting"
        schema = {"typeName": TYPE, "description": "A greeting kept in SSM",
                  "properties": {"Name": {"type": "string"}, "Value": {"type": "string"}, "Fail": {"type": "boolean"},
                                 "Id": {"type": "string"}, "Greeting": {"type": "string"}, "Seen": {"type": "string"}},
                  "additionalProperties": False, "required": ["Name", "Value"],
                  "primaryIdentifier": ["/properties/Id"], "readOnlyProperties": ["/properties/Id", "/properties/Greeting", "/properties/Seen"],
                  "createOnlyProperties": ["/properties/Name"],
                  "typeConfiguration": {"properties": {"Prefix": {"type": "string"}}, "required": ["Prefix"], "additionalProperties": False},
                  "handlers": {"create": {"permissions": []}, "read": {"permissions": []}, "update": {"permissions": []}, "delete": {"permissions": []}}}
        def package(schema):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                z.writestr("schema.json", json.dumps(schema))
                z.writestr(".rpdk-config", json.dumps({"artifact_type": "RESOURCE", "typeName": schema["typeName"], "language": "python312",
                                                      "runtime": "python3.12", "entrypoint": "handler.handler", "settings": {}}))
                z.writestr("ResourceProvider.zip", python_zip('''HANDLER_SOURCE''', "handler.py"))
            return buffer.getvalue()
        def registered(token):
            while True:
                registration = client("cloudformation").describe_type_registration(RegistrationToken=token)
                if registration["ProgressStatus"] != "IN_PROGRESS": return registration
                time.sleep(0.3)
        """.Replace("HANDLER_SOURCE", Handler, StringComparison.Ordinal);

    [Fact]
    public async Task A_registered_type_is_versioned_configured_and_provisioned_by_its_own_handlers()
    {
        var r = await Clients.Boto3Async(stratus.Url, """"
            cfn = client("cloudformation"); s3 = client("s3"); ssm = client("ssm"); iam = client("iam")
            SHARED_PYTHON
            def reason(stack, logical):
                return [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
                        if e["LogicalResourceId"] == logical and e["ResourceStatus"].endswith("_FAILED")]
            def outputs(stack):
                return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

            s3.create_bucket(Bucket="registry-packages")
            s3.put_object(Bucket="registry-packages", Key="greeting.zip", Body=package(schema))
            role = iam.create_role(RoleName="greeting-handlers", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "resources.cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            token = cfn.register_type(Type="RESOURCE", TypeName=TYPE, SchemaHandlerPackage="s3://registry-packages/greeting.zip", ExecutionRoleArn=role)["RegistrationToken"]
            first = registered(token)
            out["registered"] = [first["ProgressStatus"], first["TypeVersionArn"].endswith(":type/resource/Stratus-Test-Greeting/00000001"),
                                 cfn.list_type_registrations(TypeName=TYPE)["RegistrationTokenList"] == [token]]
            described = cfn.describe_type(Type="RESOURCE", TypeName=TYPE)
            out["described"] = [described["DefaultVersionId"], described["IsDefaultVersion"], described["Visibility"], described["ProvisioningType"],
                                described["DeprecatedStatus"], described["TypeTestsStatus"], json.loads(described["Schema"]) == schema,
                                json.loads(described["ConfigurationSchema"]) == schema["typeConfiguration"], described["ExecutionRoleArn"] == role,
                                "TimeCreated" in described and "LastUpdated" in described]
            out["listed"] = [[t["TypeName"], t["DefaultVersionId"]] for t in cfn.list_types(Visibility="PRIVATE")["TypeSummaries"]]
            out["config-invalid"] = error(lambda: cfn.set_type_configuration(TypeName=TYPE, Type="RESOURCE", Configuration=json.dumps({"Other": 1})))
            arn = cfn.set_type_configuration(TypeName=TYPE, Type="RESOURCE", Configuration=json.dumps({"Prefix": "cfg"}))["ConfigurationArn"]
            batch = cfn.batch_describe_type_configurations(TypeConfigurationIdentifiers=[{"TypeName": TYPE, "Type": "RESOURCE"},
                                                                                          {"TypeName": TYPE, "Type": "RESOURCE", "TypeConfigurationAlias": "other"}])
            out["config"] = [arn.endswith(":type-configuration/resource/Stratus-Test-Greeting/default"),
                             [[c["Alias"], c["Configuration"], c["IsDefaultConfiguration"]] for c in batch["TypeConfigurations"]],
                             [e["ErrorCode"] for e in batch["Errors"]]]

            template = lambda value, fail=False: json.dumps({"Resources": {"Greeting": {"Type": TYPE, "Properties": {"Name": "hi", "Value": value, "Fail": fail}}},
                "Outputs": {"Ref": {"Value": {"Ref": "Greeting"}}, "Greeting": {"Value": {"Fn::GetAtt": ["Greeting", "Greeting"]}},
                            "Seen": {"Value": {"Fn::GetAtt": ["Greeting", "Seen"]}}}})
            cfn.create_stack(StackName="greeting", TemplateBody=template("one"))
            stack = settle_stack("greeting")
            out["created"] = [stack["StackStatus"], outputs(stack), ssm.get_parameter(Name="/registry/hi")["Parameter"]["Value"]]
            cfn.update_stack(StackName="greeting", TemplateBody=template("two"))
            stack = settle_stack("greeting")
            out["updated"] = [stack["StackStatus"], outputs(stack), ssm.get_parameter(Name="/registry/hi")["Parameter"]["Value"]]
            cfn.delete_stack(StackName="greeting")
            out["deleted"] = [settle_stack(stack["StackId"])["StackStatus"], error(lambda: ssm.get_parameter(Name="/registry/hi"))["code"]]

            cfn.create_stack(StackName="refused", TemplateBody=template("x", fail=True))
            out["failed"] = [settle_stack("refused")["StackStatus"], reason("refused", "Greeting")]
            cfn.delete_stack(StackName="refused")
            out["unknown-type"] = [cfn.create_stack(StackName="unknown", TemplateBody=json.dumps({"Resources": {"X": {"Type": "Stratus::Test::Missing"}}})) and
                                   settle_stack("unknown")["StackStatus"], reason("unknown", "X")]
            cfn.delete_stack(StackName="unknown")

            second = registered(cfn.register_type(TypeName=TYPE, SchemaHandlerPackage=URL + "/registry-packages/greeting.zip")["RegistrationToken"])
            versions = cfn.list_type_versions(Type="RESOURCE", TypeName=TYPE)["TypeVersionSummaries"]
            out["versions"] = [second["ProgressStatus"], [[v["VersionId"], v["IsDefaultVersion"]] for v in versions]]
            out["default-refused"] = error(lambda: cfn.deregister_type(Type="RESOURCE", TypeName=TYPE, VersionId="00000001"))
            out["whole-refused"] = error(lambda: cfn.deregister_type(Type="RESOURCE", TypeName=TYPE))
            cfn.set_type_default_version(Arn=versions[1]["Arn"])
            cfn.deregister_type(Arn=versions[0]["Arn"])
            out["after-deregister"] = [cfn.describe_type(Type="RESOURCE", TypeName=TYPE)["DefaultVersionId"],
                                       [v["VersionId"] for v in cfn.list_type_versions(Type="RESOURCE", TypeName=TYPE)["TypeVersionSummaries"]],
                                       [v["VersionId"] for v in cfn.list_type_versions(Type="RESOURCE", TypeName=TYPE, DeprecatedStatus="DEPRECATED")["TypeVersionSummaries"]]]
            cfn.deregister_type(Type="RESOURCE", TypeName=TYPE)
            out["deprecated"] = [cfn.describe_type(Type="RESOURCE", TypeName=TYPE)["DeprecatedStatus"], cfn.list_types()["TypeSummaries"],
                                 [t["TypeName"] for t in cfn.list_types(DeprecatedStatus="DEPRECATED")["TypeSummaries"]]]

            broken = dict(schema); del broken["primaryIdentifier"]
            s3.put_object(Bucket="registry-packages", Key="broken.zip", Body=package(broken))
            failed = registered(cfn.register_type(TypeName=TYPE, SchemaHandlerPackage="s3://registry-packages/broken.zip")["RegistrationToken"])
            out["invalid-schema"] = [failed["ProgressStatus"], failed["Description"]]
            missing = registered(cfn.register_type(TypeName=TYPE, SchemaHandlerPackage="s3://registry-packages/nothing.zip")["RegistrationToken"])
            out["missing-package"] = missing["ProgressStatus"]
            out["not-found"] = error(lambda: cfn.describe_type(Type="RESOURCE", TypeName="Stratus::Test::Missing"))
            out["hook"] = error(lambda: cfn.register_type(Type="HOOK", TypeName="Stratus::Test::Hook", SchemaHandlerPackage="s3://registry-packages/greeting.zip"))
            out["reserved"] = error(lambda: cfn.register_type(TypeName="AWS::Test::Greeting", SchemaHandlerPackage="s3://registry-packages/greeting.zip"))
            out["bearer"] = error(lambda: cfn.record_handler_progress(BearerToken="00000000-0000-0000-0000-000000000000", OperationStatus="SUCCESS"))
            public = cfn.describe_type(Type="RESOURCE", TypeName="AWS::Lambda::Function")
            out["public"] = [public["Visibility"], public["Arn"], "Schema" in public]
            iam.delete_role(RoleName="greeting-handlers")
            """".Replace("SHARED_PYTHON", TypeAndPackage, StringComparison.Ordinal), TimeSpan.FromMinutes(10));

        Assert.Equal("""["COMPLETE",true,true]""", r["registered"]!.ToJsonString());
        Assert.Equal("""["00000001",true,"PRIVATE","FULLY_MUTABLE","LIVE","NOT_TESTED",true,true,true,true]""", r["described"]!.ToJsonString());
        Assert.Equal("""[["Stratus::Test::Greeting","00000001"]]""", r["listed"]!.ToJsonString());
        Assert.Equal("CFNRegistryException", r["config-invalid"]!["code"]!.GetValue<string>());
        Assert.Contains("#: required key [Prefix] not found", r["config-invalid"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""[true,[["default","{\u0022Prefix\u0022: \u0022cfg\u0022}",true]],["TypeConfigurationNotFoundException"]]""", r["config"]!.ToJsonString());

        // Created after one callback, with the configuration, the request's facts and the role's credentials the handler used.
        Assert.Equal("""["CREATE_COMPLETE",{"Ref":"/registry/hi","Greeting":"hello one","Seen":"cfg,1,Greeting,Stratus::Test::Greeting,00000001,greeting"},"one"]""",
            r["created"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE",{"Ref":"/registry/hi","Greeting":"hello two","Seen":"from one"},"two"]""", r["updated"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE","ParameterNotFound"]""", r["deleted"]!.ToJsonString());
        Assert.Equal("ROLLBACK_COMPLETE", r["failed"]![0]!.GetValue<string>());
        Assert.Matches("""^Resource handler returned message: "refused hi" \(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: InvalidRequest\)$""",
            Assert.Single(r["failed"]![1]!.AsArray())!.GetValue<string>());
        Assert.Equal("ROLLBACK_COMPLETE", r["unknown-type"]![0]!.GetValue<string>());
        Assert.Contains("nor a private type registered", Assert.Single(r["unknown-type"]![1]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal("""["COMPLETE",[["00000001",true],["00000002",false]]]""", r["versions"]!.ToJsonString());
        Assert.Equal("CFNRegistryException", r["default-refused"]!["code"]!.GetValue<string>());
        Assert.Equal("CFNRegistryException", r["whole-refused"]!["code"]!.GetValue<string>());
        Assert.Equal("""["00000002",["00000002"],["00000001"]]""", r["after-deregister"]!.ToJsonString());
        Assert.Equal("""["DEPRECATED",[],["Stratus::Test::Greeting"]]""", r["deprecated"]!.ToJsonString());

        Assert.Equal("""["FAILED","Deployment is currently in DEPLOY_STAGE of status FAILED; Resource schema is not valid against the resource provider definition meta-schema: #: required key [primaryIdentifier] not found"]""",
            r["invalid-schema"]!.ToJsonString());
        Assert.Equal("FAILED", r["missing-package"]!.GetValue<string>());
        Assert.Equal("""{"code":"TypeNotFoundException","message":"The type \u0027Stratus::Test::Missing\u0027 cannot be found.","status":404}""", r["not-found"]!.ToJsonString());
        Assert.Equal("CFNRegistryException", r["hook"]!["code"]!.GetValue<string>());
        Assert.Equal("CFNRegistryException", r["reserved"]!["code"]!.GetValue<string>());
        Assert.Equal("ConditionalCheckFailed", r["bearer"]!["code"]!.GetValue<string>());
        Assert.Equal("""["PUBLIC","arn:aws:cloudformation:us-east-1::type/resource/AWS-Lambda-Function",false]""", r["public"]!.ToJsonString());
    }
}
