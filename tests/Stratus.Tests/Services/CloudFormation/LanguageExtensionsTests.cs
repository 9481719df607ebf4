using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The AWS::LanguageExtensions transform end to end by boto3: SSM parameters and outputs made by Fn::ForEach over a
/// CommaDelimitedList parameter, Fn::Length and Fn::ToJsonString values read back, a DeletionPolicy given by a parameter
/// honoured when the stack is deleted (directly and through a change set), GetTemplate's two stages, and the transform run
/// before SAM's in a template declaring both.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LanguageExtensionsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_loop_over_a_list_parameter_makes_parameters_and_outputs_and_the_policy_parameter_decides_their_deletion()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); ssm = client("ssm")
            def error(call):
                try:
                    call()
                    return None
                except botocore.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["Error"]["Message"]]
            template = json.dumps({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Transform": "AWS::LanguageExtensions",
                "Parameters": {
                    "Names": {"Type": "CommaDelimitedList", "Default": "alpha,beta,gamma"},
                    "Prefix": {"Type": "String", "Default": "langext"},
                    "Policy": {"Type": "String", "AllowedValues": ["Delete", "Retain"], "Default": "Retain"}},
                "Resources": {
                    "Fn::ForEach::Parameters": ["Name", {"Ref": "Names"}, {
                        "Param${Name}": {
                            "Type": "AWS::SSM::Parameter",
                            "DeletionPolicy": {"Ref": "Policy"},
                            "UpdateReplacePolicy": {"Ref": "Policy"},
                            "Properties": {
                                "Name": {"Fn::Sub": "/${Prefix}/${Name}"},
                                "Type": "String",
                                "Value": {"Fn::ToJsonString": {"name": "${Name}", "of": {"Fn::Length": {"Ref": "Names"}}, "region": {"Ref": "AWS::Region"}}}}}}]},
                "Outputs": {
                    "Fn::ForEach::Names": ["Name", {"Ref": "Names"}, {
                        "${Name}Parameter": {"Value": {"Ref": {"Fn::Sub": "Param${Name}"}}}}],
                    "Count": {"Value": {"Fn::Length": {"Ref": "Names"}}},
                    "Listed": {"Value": {"Fn::ToJsonString": {"Ref": "Names"}}}}})
            def parameters(prefix, policy):
                return [{"ParameterKey": "Prefix", "ParameterValue": prefix}, {"ParameterKey": "Policy", "ParameterValue": policy}]
            def stored(prefix):
                return sorted(p["Name"] for p in ssm.get_parameters_by_path(Path="/" + prefix + "/")["Parameters"])

            out["validated"] = cfn.validate_template(TemplateBody=template).get("DeclaredTransforms")
            out["unacknowledged"] = error(lambda: cfn.create_stack(StackName="looped", TemplateBody=template, Parameters=parameters("kept", "Retain")))
            cfn.create_stack(StackName="looped", TemplateBody=template, Parameters=parameters("kept", "Retain"), Capabilities=["CAPABILITY_AUTO_EXPAND"])
            stack = settle_stack("looped")
            out["created"] = [stack["StackStatus"], sorted([o["OutputKey"], o["OutputValue"]] for o in stack["Outputs"] if o["OutputKey"] != "Listed"),
                              [o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "Listed"] == ['["alpha","beta","gamma"]']]
            out["value"] = ssm.get_parameter(Name="/kept/beta")["Parameter"]["Value"]
            processed = cfn.get_template(StackName="looped")["TemplateBody"]
            original = cfn.get_template(StackName="looped", TemplateStage="Original")["TemplateBody"]
            out["stages"] = [sorted(processed["Resources"]), [processed["Resources"]["Paramalpha"][p] for p in ["DeletionPolicy", "UpdateReplacePolicy"]], "Transform" in processed,
                             original == json.loads(template)]
            cfn.delete_stack(StackName="looped")
            out["retained"] = [settle_stack(stack["StackId"])["StackStatus"], stored("kept")]
            for name in stored("kept"): ssm.delete_parameter(Name=name)

            cfn.create_change_set(StackName="dropped", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=template,
                                  Parameters=parameters("dropped", "Delete") + [{"ParameterKey": "Names", "ParameterValue": "one,two"}])
            cfn.get_waiter("change_set_create_complete").wait(StackName="dropped", ChangeSetName="first")
            out["change-set"] = sorted(c["ResourceChange"]["LogicalResourceId"] for c in
                                       cfn.describe_change_set(StackName="dropped", ChangeSetName="first")["Changes"])
            cfn.execute_change_set(StackName="dropped", ChangeSetName="first")
            stack = settle_stack("dropped")
            out["made"] = [stack["StackStatus"], stored("dropped")]
            cfn.delete_stack(StackName="dropped")
            out["deleted"] = [settle_stack(stack["StackId"])["StackStatus"], stored("dropped")]
            """);

        Assert.Equal("""["AWS::LanguageExtensions"]""", r["validated"]!.ToJsonString());
        Assert.Equal("""["InsufficientCapabilitiesException","Requires capabilities : [CAPABILITY_AUTO_EXPAND]"]""", r["unacknowledged"]!.ToJsonString());
        Assert.Equal("""["CREATE_COMPLETE",[["Count","3"],["alphaParameter","/kept/alpha"],["betaParameter","/kept/beta"],["gammaParameter","/kept/gamma"]],true]""",
            r["created"]!.ToJsonString());
        Assert.Equal("""{"name":"beta","of":3,"region":"us-east-1"}""", r["value"]!.GetValue<string>());
        Assert.Equal("""[["Paramalpha","Parambeta","Paramgamma"],["Retain","Retain"],false,true]""", r["stages"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE",["/kept/alpha","/kept/beta","/kept/gamma"]]""", r["retained"]!.ToJsonString());
        Assert.Equal("""["Paramone","Paramtwo"]""", r["change-set"]!.ToJsonString());
        Assert.Equal("""["CREATE_COMPLETE",["/dropped/one","/dropped/two"]]""", r["made"]!.ToJsonString());
        Assert.Equal("""["DELETE_COMPLETE",[]]""", r["deleted"]!.ToJsonString());
    }

    [Fact]
    public async Task Language_extensions_run_before_SAM_when_a_template_declares_both()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation"); lam = client("lambda")
            template = json.dumps({
                "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
                "Resources": {
                    "Fn::ForEach::Functions": ["Kind", ["Red", "Blue"], {
                        "${Kind}Function": {
                            "Type": "AWS::Serverless::Function",
                            "Properties": {
                                "Runtime": "python3.12", "Handler": "index.handler", "Timeout": 30,
                                "InlineCode": "def handler(event, context):\n    return 'ok'\n",
                                "Environment": {"Variables": {"SETTINGS": {"Fn::ToJsonString": {"kind": "${Kind}"}}}}}}}]},
                "Outputs": {
                    "Fn::ForEach::Arns": ["Kind", ["Red", "Blue"], {
                        "${Kind}Arn": {"Value": {"Fn::GetAtt": [{"Fn::Sub": "${Kind}Function"}, "Arn"]}}}]}})
            cfn.create_stack(StackName="sam-looped", TemplateBody=template, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            stack = settle_stack("sam-looped")
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName="sam-looped")["StackResourceSummaries"]}
            blue = lam.get_function_configuration(FunctionName=resources["BlueFunction"])
            out["made"] = [stack["StackStatus"], sorted(resources), blue["Environment"]["Variables"]["SETTINGS"] == '{"kind":"Blue"}', outputs["BlueArn"] == blue["FunctionArn"],
                           outputs["RedArn"].endswith(resources["RedFunction"])]
            cfn.delete_stack(StackName="sam-looped")
            out["deleted"] = settle_stack(stack["StackId"])["StackStatus"]
            """);

        Assert.Equal("""["CREATE_COMPLETE",["BlueFunction","BlueFunctionRole","RedFunction","RedFunctionRole"],true,true,true]""",
            r["made"]!.ToJsonString());
        Assert.Equal("DELETE_COMPLETE", r["deleted"]!.GetValue<string>());
    }
}
