using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// AWS::SSM::Parameter::Value parameters resolved from Parameter Store at create, update and change set,
/// and the template's Rules evaluated over them: the CDK's CheckBootstrapVersion passes or fails as on AWS.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ParameterStoreAndRulesTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        cfn = client("cloudformation"); ssm = client("ssm")
        def outputs(stack):
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        # The CDK's rule, as cdk synth writes it for a bootstrapped environment.
        CDK_RULES = {"CheckBootstrapVersion": {"Assertions": [{
            "Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]},
            "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI."}]}}
        def cdk_template(extra_rules={}):
            return json.dumps({
                "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}},
                "Rules": {**CDK_RULES, **extra_rules},
                "Resources": {"Metadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:x"}}},
                "Outputs": {"Version": {"Value": {"Ref": "BootstrapVersion"}}}})

        """;

    [Fact]
    public async Task Parameter_store_types_resolve_at_create_update_and_change_set_and_missing_ones_are_refused_in_aws_words()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            ssm.put_parameter(Name="/app/image", Value="ami-123", Type="String")
            ssm.put_parameter(Name="/app/zones", Value="a,b,c", Type="StringList")
            ssm.put_parameter(Name="/app/secret", Value="s", Type="SecureString")
            template = json.dumps({
                "Parameters": {
                    "Image": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/image"},
                    "Zones": {"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "/app/zones"},
                    "Csv": {"Type": "AWS::SSM::Parameter::Value<CommaDelimitedList>", "Default": "/app/zones"},
                    "Typed": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/app/image"}},
                "Resources": {"Copy": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": "/app/copy", "Value": {"Ref": "Image"}}}},
                "Outputs": {"Image": {"Value": {"Ref": "Image"}}, "Second": {"Value": {"Fn::Select": [1, {"Ref": "Zones"}]}},
                            "Joined": {"Value": {"Fn::Join": ["-", {"Ref": "Csv"}]}}, "Typed": {"Value": {"Ref": "Typed"}}}})
            cfn.create_stack(StackName="ssm-types", TemplateBody=template)
            stack = settle_stack("ssm-types")
            out["created"] = [stack["StackStatus"], outputs(stack)]
            out["parameters"] = sorted([p["ParameterKey"], p["ParameterValue"], p.get("ResolvedValue")] for p in stack["Parameters"])
            out["copy"] = ssm.get_parameter(Name="/app/copy")["Parameter"]["Value"]

            ssm.put_parameter(Name="/app/image", Value="ami-456", Overwrite=True)
            change = cfn.create_change_set(StackName="ssm-types", ChangeSetName="newer", TemplateBody=template)
            described = cfn.describe_change_set(ChangeSetName=change["Id"])
            out["change"] = [(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in described["Changes"]]
            cfn.execute_change_set(ChangeSetName=change["Id"])
            stack = settle_stack("ssm-types")
            out["updated"] = [stack["StackStatus"], outputs(stack)["Image"], ssm.get_parameter(Name="/app/copy")["Parameter"]["Value"]]
            out["no_change"] = error(cfn.update_stack, StackName="ssm-types", TemplateBody=template)

            out["missing"] = error(cfn.create_stack, StackName="ssm-missing", TemplateBody=template,
                                   Parameters=[{"ParameterKey": "Image", "ParameterValue": "/app/nothing"}, {"ParameterKey": "Typed", "ParameterValue": "/app/none"}])
            out["secure"] = error(cfn.create_stack, StackName="ssm-secure", TemplateBody=template, Parameters=[{"ParameterKey": "Image", "ParameterValue": "/app/secret"}])
            out["missing_change_set"] = error(cfn.create_change_set, StackName="ssm-missing", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=template,
                                              Parameters=[{"ParameterKey": "Image", "ParameterValue": "/app/nothing"}])
            out["no_stack_left"] = error(cfn.describe_stacks, StackName="ssm-missing")
            cfn.delete_stack(StackName="ssm-types")
            """);

        Assert.Equal("""["CREATE_COMPLETE",{"Image":"ami-123","Second":"b","Joined":"a-b-c","Typed":"ami-123"}]""", r["created"]!.ToJsonString());
        Assert.Equal("""[["Csv","/app/zones","a,b,c"],["Image","/app/image","ami-123"],["Typed","/app/image","ami-123"],["Zones","/app/zones","a,b,c"]]""",
            r["parameters"]!.ToJsonString());
        Assert.Equal("ami-123", r["copy"]!.GetValue<string>());
        Assert.Equal("""[["Modify","Copy"]]""", r["change"]!.ToJsonString());
        Assert.Equal("""["UPDATE_COMPLETE","ami-456","ami-456"]""", r["updated"]!.ToJsonString());
        Assert.Equal("No updates are to be performed.", r["no_change"]!["message"]!.GetValue<string>());
        Assert.Equal("ValidationError", r["missing"]!["code"]!.GetValue<string>());
        Assert.Equal("Unable to fetch parameters [/app/nothing,/app/none] from parameter store for this account.", r["missing"]!["message"]!.GetValue<string>());
        Assert.Equal("Parameters [/app/secret] referenced by template have types not supported by CloudFormation.", r["secure"]!["message"]!.GetValue<string>());
        Assert.Equal("Unable to fetch parameters [/app/nothing] from parameter store for this account.", r["missing_change_set"]!["message"]!.GetValue<string>());
        Assert.Equal("Stack with id ssm-missing does not exist", r["no_stack_left"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rules_pass_or_fail_the_cdks_bootstrap_check_and_the_rule_functions_as_cloudformation_evaluates_them()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            out["unbootstrapped"] = error(cfn.create_stack, StackName="cdk-app", TemplateBody=cdk_template())
            ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="5", Type="String")
            out["old_bootstrap"] = error(cfn.create_stack, StackName="cdk-app", TemplateBody=cdk_template())
            out["old_bootstrap_change_set"] = error(cfn.create_change_set, StackName="cdk-app", ChangeSetName="cdk-deploy-change-set", ChangeSetType="CREATE",
                                                    TemplateBody=cdk_template())
            ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="29", Overwrite=True)
            change = cfn.create_change_set(StackName="cdk-app", ChangeSetName="cdk-deploy-change-set", ChangeSetType="CREATE", TemplateBody=cdk_template())
            cfn.execute_change_set(ChangeSetName=change["Id"])
            stack = settle_stack("cdk-app")
            out["bootstrapped"] = [stack["StackStatus"], outputs(stack)["Version"]]

            env = lambda name: json.dumps({
                "Parameters": {"Env": {"Type": "String"}, "Sizes": {"Type": "CommaDelimitedList"}},
                "Rules": {
                    "ProdOnlyLarge": {"RuleCondition": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                                      "Assertions": [{"Assert": {"Fn::EachMemberEquals": [{"Ref": "Sizes"}, "large"]}, "AssertDescription": "prod takes large only"}]},
                    "KnownSizes": {"Assertions": [{"Assert": {"Fn::And": [{"Fn::EachMemberIn": [{"Ref": "Sizes"}, ["small", "large"]]},
                                                                         {"Fn::Or": [{"Fn::Equals": [{"Ref": "Env"}, "prod"]}, {"Fn::Equals": [{"Ref": "Env"}, "dev"]}]}]}}]}},
                "Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Name": name, "Value": {"Ref": "Env"}}}}})
            def attempt(stack, env_value, sizes):
                return error(cfn.create_stack, StackName=stack, TemplateBody=env("/rules/" + stack),
                             Parameters=[{"ParameterKey": "Env", "ParameterValue": env_value}, {"ParameterKey": "Sizes", "ParameterValue": sizes}])
            out["dev_small"] = attempt("dev-small", "dev", "small,large")
            out["prod_small"] = attempt("prod-small", "prod", "small,large")
            out["prod_large"] = attempt("prod-large", "prod", "large,large")
            out["unknown_size"] = attempt("unknown-size", "dev", "huge")
            out["settled"] = [settle_stack(n)["StackStatus"] for n in ["dev-small", "prod-large"]]
            out["value_of"] = error(cfn.create_stack, StackName="value-of", TemplateBody=cdk_template({"Vpc": {"Assertions": [
                {"Assert": {"Fn::Equals": [{"Fn::ValueOf": ["BootstrapVersion", "Tags"]}, "x"]}}]}}))
            out["not_a_rule_function"] = error(cfn.validate_template, TemplateBody=cdk_template({"Bad": {"Assertions": [{"Assert": {"Fn::Join": ["", ["a"]]}}]}}))
            out["no_assertions"] = error(cfn.validate_template, TemplateBody=cdk_template({"Bad": {"RuleCondition": {"Fn::Equals": ["a", "a"]}}}))
            for n in ["cdk-app", "dev-small", "prod-large"]: cfn.delete_stack(StackName=n)
            """);

        Assert.Equal("Unable to fetch parameters [/cdk-bootstrap/hnb659fds/version] from parameter store for this account.", r["unbootstrapped"]!["message"]!.GetValue<string>());
        const string cdkMessage = "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.";
        Assert.Equal(["ValidationError", cdkMessage], [r["old_bootstrap"]!["code"]!.GetValue<string>(), r["old_bootstrap"]!["message"]!.GetValue<string>()]);
        Assert.Equal(cdkMessage, r["old_bootstrap_change_set"]!["message"]!.GetValue<string>());
        Assert.Equal("""["CREATE_COMPLETE","29"]""", r["bootstrapped"]!.ToJsonString());

        Assert.Null(r["dev_small"]);
        Assert.Equal("prod takes large only", r["prod_small"]!["message"]!.GetValue<string>());
        Assert.Null(r["prod_large"]);
        Assert.Equal("Template error: an assertion of rule KnownSizes failed", r["unknown_size"]!["message"]!.GetValue<string>());
        Assert.Equal("""["CREATE_COMPLETE","CREATE_COMPLETE"]""", r["settled"]!.ToJsonString());
        Assert.Contains("Fn::ValueOf in rule Vpc reads AWS-specific resources", r["value_of"]!["message"]!.GetValue<string>());
        Assert.Contains("Fn::Join is not a function supported in Rules", r["not_a_rule_function"]!["message"]!.GetValue<string>());
        Assert.Equal("Template format error: Rule Bad must contain an Assertions list", r["no_assertions"]!["message"]!.GetValue<string>());
    }
}
