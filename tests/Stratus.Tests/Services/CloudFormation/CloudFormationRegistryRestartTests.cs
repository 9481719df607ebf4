using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>The extension registry survives a restart: types, versions, registrations and configurations, and a resource made before it is deleted by its handler after.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudFormationRegistryRestartTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Registered_types_and_their_resources_outlive_a_restart()
    {
        var before = await Clients.Boto3Async(_server.Url, """
            cfn = client("cloudformation"); s3 = client("s3"); iam = client("iam")
            SHARED_PYTHON
            s3.create_bucket(Bucket="registry-packages")
            s3.put_object(Bucket="registry-packages", Key="greeting.zip", Body=package(schema))
            role = iam.create_role(RoleName="greeting-handlers", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "resources.cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            out["token"] = cfn.register_type(TypeName=TYPE, SchemaHandlerPackage="s3://registry-packages/greeting.zip", ExecutionRoleArn=role)["RegistrationToken"]
            out["registered"] = registered(out["token"])["ProgressStatus"]
            cfn.set_type_configuration(TypeName=TYPE, Type="RESOURCE", Configuration=json.dumps({"Prefix": "kept"}))
            cfn.create_stack(StackName="kept", TemplateBody=json.dumps({"Resources": {"Greeting": {"Type": TYPE, "Properties": {"Name": "kept", "Value": "v"}}}}))
            out["created"] = settle_stack("kept")["StackStatus"]
            """.Replace("SHARED_PYTHON", CloudFormationRegistryTests.TypeAndPackage, StringComparison.Ordinal), TimeSpan.FromMinutes(6));
        Assert.Equal("COMPLETE", before["registered"]!.GetValue<string>());
        Assert.Equal("CREATE_COMPLETE", before["created"]!.GetValue<string>());

        await _server.RestartAsync();

        var after = await Clients.Boto3Async(_server.Url, $$"""
            cfn = client("cloudformation"); ssm = client("ssm"); iam = client("iam")
            TYPE = "Stratus::Test::Greeting"
            described = cfn.describe_type(Type="RESOURCE", TypeName=TYPE)
            out["described"] = [described["DefaultVersionId"], described["DeprecatedStatus"], json.loads(described["Schema"])["typeName"]]
            out["registration"] = cfn.describe_type_registration(RegistrationToken="{{before["token"]!.GetValue<string>()}}")["ProgressStatus"]
            out["configuration"] = [c["Configuration"] for c in cfn.batch_describe_type_configurations(
                TypeConfigurationIdentifiers=[{"TypeName": TYPE, "Type": "RESOURCE"}])["TypeConfigurations"]]
            out["parameter"] = ssm.get_parameter(Name="/registry/kept")["Parameter"]["Value"]
            stack_id = cfn.describe_stacks(StackName="kept")["Stacks"][0]["StackId"]
            cfn.delete_stack(StackName="kept")
            out["deleted"] = [settle_stack(stack_id)["StackStatus"], error(lambda: ssm.get_parameter(Name="/registry/kept"))["code"]]
            cfn.deregister_type(Type="RESOURCE", TypeName=TYPE)
            iam.delete_role(RoleName="greeting-handlers")
            """, TimeSpan.FromMinutes(6));

        Assert.Equal("""["00000001","LIVE","Stratus::Test::Greeting"]""", after["described"]!.ToJsonString());
        Assert.Equal("COMPLETE", after["registration"]!.GetValue<string>());
        Assert.Equal("""["{\u0022Prefix\u0022: \u0022kept\u0022}"]""", after["configuration"]!.ToJsonString());
        Assert.Equal("v", after["parameter"]!.GetValue<string>());
        Assert.Equal("""["DELETE_COMPLETE","ParameterNotFound"]""", after["deleted"]!.ToJsonString());
    }
}
