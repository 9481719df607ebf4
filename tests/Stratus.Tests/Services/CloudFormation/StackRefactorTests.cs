using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// Stack refactoring through boto3: an SSM parameter moved between stacks found from the templates alone, then renamed into a
/// stack the refactor creates by a ResourceMapping; the live parameter is never touched (same name, same version, still there),
/// and the stack that holds it last deletes it. Refactors that would create, delete or change a resource are refused.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StackRefactorTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        cfn = client("cloudformation"); ssm = client("ssm")
        def settle(name):
            while True:
                stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS"): return stack["StackStatus"]
                time.sleep(0.2)
        def delete(name):
            stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
            cfn.delete_stack(StackName=name)
            return settle(stack_id)
        def param(name, value, extra=None):
            p = {"Type": "String", "Name": name, "Value": value}
            p.update(extra or {})
            return {"Type": "AWS::SSM::Parameter", "Properties": p}
        def template(**resources):
            return json.dumps({"Resources": resources})
        def resources(name):
            return sorted([r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceStatus"]]
                          for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"])
        def version(name):
            p = ssm.get_parameter(Name=name)["Parameter"]
            return [p["Value"], p["Version"]]
        def refactor(**kw):
            rid = cfn.create_stack_refactor(**kw)["StackRefactorId"]
            return rid, cfn.describe_stack_refactor(StackRefactorId=rid)
        """;

    [Fact]
    public async Task A_resource_moves_between_stacks_then_into_a_new_stack_under_a_new_name_untouched()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + "\n" + """
            cfn.create_stack(StackName="rf-a", TemplateBody=template(Keep=param("/rf/keep", "k"), Moved=param("/rf/moved", "m")))
            cfn.create_stack(StackName="rf-b", TemplateBody=template(Other=param("/rf/other", "o")))
            out["created"] = [settle("rf-a"), settle("rf-b")]
            out["before"] = version("/rf/moved")

            # Without ResourceMappings: Moved left rf-a's template and appears, defined alike, in rf-b's.
            auto_id, described = refactor(Description="split", StackDefinitions=[
                {"StackName": "rf-a", "TemplateBody": template(Keep=param("/rf/keep", "k"))},
                {"StackName": "rf-b", "TemplateBody": template(Other=param("/rf/other", "o"), Moved=param("/rf/moved", "m"))}])
            out["auto described"] = [described["Status"], described["ExecutionStatus"], described["Description"], len(described["StackIds"])]
            out["auto actions"] = [{k: a.get(k) for k in ("Action", "Entity", "PhysicalResourceId", "Detection", "ResourceMapping")}
                                   for a in cfn.list_stack_refactor_actions(StackRefactorId=auto_id)["StackRefactorActions"]]
            cfn.execute_stack_refactor(StackRefactorId=auto_id)
            out["auto executed"] = cfn.describe_stack_refactor(StackRefactorId=auto_id)["ExecutionStatus"]
            out["after auto"] = [settle("rf-a"), resources("rf-a"), settle("rf-b"), resources("rf-b")]
            body = cfn.get_template(StackName="rf-b")["TemplateBody"]  # boto3 decodes a JSON template itself
            out["b template"] = sorted((json.loads(body) if isinstance(body, str) else body)["Resources"])
            events = cfn.describe_stack_events(StackName="rf-a")["StackEvents"] + cfn.describe_stack_events(StackName="rf-b")["StackEvents"]
            out["move events"] = sorted([e["StackName"], e["ResourceStatus"]] for e in events if e["LogicalResourceId"] == "Moved"
                                        and e["ResourceStatus"] in ("DELETE_SKIPPED", "IMPORT_COMPLETE"))
            out["after auto version"] = version("/rf/moved")

            # With a ResourceMapping: into a stack the refactor creates, under a new logical id.
            manual_id, described = refactor(EnableStackCreation=True, StackDefinitions=[
                {"StackName": "rf-b", "TemplateBody": template(Other=param("/rf/other", "o"))},
                {"StackName": "rf-c", "TemplateBody": template(Renamed=param("/rf/moved", "m"))}],
                ResourceMappings=[{"Source": {"StackName": "rf-b", "LogicalResourceId": "Moved"},
                                   "Destination": {"StackName": "rf-c", "LogicalResourceId": "Renamed"}}])
            out["manual described"] = [described["Status"], described["ExecutionStatus"]]
            out["manual actions"] = sorted([a["Action"], a["Entity"], a.get("Detection")]
                                           for a in cfn.list_stack_refactor_actions(StackRefactorId=manual_id)["StackRefactorActions"])
            out["no stack yet"] = error(cfn.describe_stacks, StackName="rf-c")["code"]
            cfn.execute_stack_refactor(StackRefactorId=manual_id)
            out["after manual"] = [settle("rf-b"), resources("rf-b"), settle("rf-c"), resources("rf-c")]
            out["after manual version"] = version("/rf/moved")
            out["executed again"] = error(cfn.execute_stack_refactor, StackRefactorId=manual_id)

            listed = cfn.list_stack_refactors(ExecutionStatusFilter=["EXECUTE_COMPLETE"])["StackRefactorSummaries"]
            out["listed"] = sorted(s["StackRefactorId"] for s in listed) == sorted([auto_id, manual_id])
            page = cfn.list_stack_refactors(MaxResults=1)
            out["paged"] = [len(page["StackRefactorSummaries"]), "NextToken" in page]
            out["none available"] = cfn.list_stack_refactors(ExecutionStatusFilter=["AVAILABLE"])["StackRefactorSummaries"]

            # The stack holding the parameter now deletes it; the stack it left does not.
            delete("rf-b")
            out["after deleting b"] = version("/rf/moved")
            delete("rf-c")
            out["after deleting c"] = error(ssm.get_parameter, Name="/rf/moved")["code"]
            delete("rf-a")

            out["limits"] = cfn.describe_account_limits()["AccountLimits"]
            """);

        Assert.Equal("""["CREATE_COMPLETE","CREATE_COMPLETE"]""", r["created"]!.ToJsonString());
        Assert.Equal("m", (string?)r["before"]![0]);
        Assert.Equal("""["CREATE_COMPLETE","AVAILABLE","split",2]""", r["auto described"]!.ToJsonString());
        Assert.Equal("""[{"Action":"MOVE","Entity":"RESOURCE","PhysicalResourceId":"/rf/moved","Detection":"AUTO","ResourceMapping":{"Source":{"StackName":"rf-a","LogicalResourceId":"Moved"},"Destination":{"StackName":"rf-b","LogicalResourceId":"Moved"}}}]""",
            r["auto actions"]!.ToJsonString());
        Assert.Equal("EXECUTE_COMPLETE", (string?)r["auto executed"]);
        Assert.Equal("""["UPDATE_COMPLETE",[["Keep","/rf/keep","CREATE_COMPLETE"]],"UPDATE_COMPLETE",[["Moved","/rf/moved","IMPORT_COMPLETE"],["Other","/rf/other","CREATE_COMPLETE"]]]""",
            r["after auto"]!.ToJsonString());
        Assert.Equal("""["Moved","Other"]""", r["b template"]!.ToJsonString());
        Assert.Equal("""[["rf-a","DELETE_SKIPPED"],["rf-b","IMPORT_COMPLETE"]]""", r["move events"]!.ToJsonString());
        Assert.Equal(r["before"]!.ToJsonString(), r["after auto version"]!.ToJsonString());

        Assert.Equal("""["CREATE_COMPLETE","AVAILABLE"]""", r["manual described"]!.ToJsonString());
        Assert.Equal("""[["CREATE","STACK",null],["MOVE","RESOURCE","MANUAL"]]""", r["manual actions"]!.ToJsonString());
        Assert.Equal("ValidationError", (string?)r["no stack yet"]);
        Assert.Equal("""["UPDATE_COMPLETE",[["Other","/rf/other","CREATE_COMPLETE"]],"CREATE_COMPLETE",[["Renamed","/rf/moved","IMPORT_COMPLETE"]]]""",
            r["after manual"]!.ToJsonString());
        Assert.Equal(r["before"]!.ToJsonString(), r["after manual version"]!.ToJsonString());
        Assert.Equal("ValidationError", (string?)r["executed again"]!["code"]);
        Assert.Contains("EXECUTE_COMPLETE", (string?)r["executed again"]!["message"]);
        Assert.True((bool)r["listed"]!);
        Assert.Equal("[1,true]", r["paged"]!.ToJsonString());
        Assert.Equal("[]", r["none available"]!.ToJsonString());

        Assert.Equal(r["before"]!.ToJsonString(), r["after deleting b"]!.ToJsonString());
        Assert.Equal("ParameterNotFound", (string?)r["after deleting c"]);
        Assert.Equal("""[{"Name":"StackLimit","Value":2000},{"Name":"StackOutputsLimit","Value":200}]""", r["limits"]!.ToJsonString());
    }

    [Fact]
    public async Task Refactors_that_create_delete_or_change_resources_or_touch_guarded_stacks_are_refused()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + "\n" + """
            one = param("/rx/one", "1"); two = param("/rx/two", "2")
            named = param("/rx/named", {"Fn::Sub": "${AWS::StackName}-value"})
            cfn.create_stack(StackName="rx-a", TemplateBody=template(One=one, Two=two, Named=named))
            cfn.create_stack(StackName="rx-b", TemplateBody=template(Three=param("/rx/three", "3")))
            settle("rx-a"); settle("rx-b")
            def failed(a, b, **kw):
                rid, d = refactor(StackDefinitions=[{"StackName": "rx-a", "TemplateBody": template(**a)},
                                                     {"StackName": "rx-b", "TemplateBody": template(**b)}], **kw)
                return [d["Status"], d["ExecutionStatus"], d.get("StatusReason", "")], rid

            out["changed"], changed_id = failed({"One": one, "Named": named}, {"Three": param("/rx/three", "3"), "Two": param("/rx/two", "changed")})
            out["execute failed"] = error(cfn.execute_stack_refactor, StackRefactorId=changed_id)["code"]
            out["deleted"], _ = failed({"One": one, "Named": named}, {"Three": param("/rx/three", "3")})
            out["created"], _ = failed({"One": one, "Two": two, "Named": named}, {"Three": param("/rx/three", "3"), "Four": param("/rx/four", "4")})
            out["stack name"], _ = failed({"One": one, "Two": two}, {"Three": param("/rx/three", "3"), "Named": named})
            out["unknown source"], _ = failed({"One": one, "Two": two, "Named": named}, {"Three": param("/rx/three", "3")},
                ResourceMappings=[{"Source": {"StackName": "rx-a", "LogicalResourceId": "Nope"}, "Destination": {"StackName": "rx-b", "LogicalResourceId": "Three"}}])
            out["no stack"] = error(cfn.create_stack_refactor, StackDefinitions=[
                {"StackName": "rx-a", "TemplateBody": template(One=one, Named=named)},
                {"StackName": "rx-new", "TemplateBody": template(Two=two)}])["code"]
            out["not found"] = error(cfn.describe_stack_refactor, StackRefactorId="00000000-0000-0000-0000-000000000000")

            # A refactor planned before its stack changed is obsolete.
            rid, d = refactor(StackDefinitions=[{"StackName": "rx-a", "TemplateBody": template(One=one, Named=named)},
                                                {"StackName": "rx-b", "TemplateBody": template(Three=param("/rx/three", "3"), Two=two)}])
            out["planned"] = d["ExecutionStatus"]
            cfn.update_stack(StackName="rx-a", TemplateBody=template(One=param("/rx/one", "1b"), Two=two, Named=named)); settle("rx-a")
            out["obsolete"] = [error(cfn.execute_stack_refactor, StackRefactorId=rid)["code"],
                               cfn.describe_stack_refactor(StackRefactorId=rid)["ExecutionStatus"]]
            one = param("/rx/one", "1b")

            cfn.set_stack_policy(StackName="rx-a", StackPolicyBody=json.dumps({"Statement": [
                {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}))
            out["policy"], _ = failed({"One": one, "Named": named}, {"Three": param("/rx/three", "3"), "Two": two})
            out["resources kept"] = [resources("rx-a"), resources("rx-b")]
            for name in ("rx-a", "rx-b"): delete(name)
            """);

        static void AssertFailed(JsonNode? result, string reason)
        {
            Assert.Equal("CREATE_FAILED", (string?)result![0]);
            Assert.Equal("UNAVAILABLE", (string?)result[1]);
            Assert.Contains(reason, (string?)result[2]);
        }
        AssertFailed(r["changed"], "cannot change a resource's properties");
        Assert.Equal("ValidationError", (string?)r["execute failed"]);
        AssertFailed(r["deleted"], "Resource rx-a.Two is in none of the templates: a stack refactor cannot delete resources");
        AssertFailed(r["created"], "Resource rx-b.Four is not a resource of the stacks being refactored: a stack refactor cannot create resources");
        AssertFailed(r["stack name"], "uses AWS::StackName");
        AssertFailed(r["unknown source"], "ResourceMappings source rx-a.Nope");
        Assert.Equal("ValidationError", (string?)r["no stack"]);
        Assert.Equal("StackRefactorNotFoundException", (string?)r["not found"]!["code"]);
        Assert.Equal(404, (int)r["not found"]!["status"]!);
        Assert.Equal("AVAILABLE", (string?)r["planned"]);
        Assert.Equal("""["ValidationError","OBSOLETE"]""", r["obsolete"]!.ToJsonString());
        AssertFailed(r["policy"], "stack refactoring does not support stacks with a stack policy");
        Assert.Equal("""[[["Named","/rx/named","CREATE_COMPLETE"],["One","/rx/one","UPDATE_COMPLETE"],["Two","/rx/two","CREATE_COMPLETE"]],[["Three","/rx/three","CREATE_COMPLETE"]]]""",
            r["resources kept"]!.ToJsonString());
    }

    [Fact]
    public async Task A_template_with_more_outputs_than_the_quota_is_refused_as_aws_refuses_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cfn = client("cloudformation")
            def body(outputs):
                return json.dumps({"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}},
                                   "Outputs": {f"O{n}": {"Value": "x"} for n in range(outputs)}})
            out["at quota"] = error(cfn.validate_template, TemplateBody=body(200))
            out["past quota"] = error(cfn.validate_template, TemplateBody=body(201))
            out["create past quota"] = error(cfn.create_stack, StackName="too-many-outputs", TemplateBody=body(201))
            """);

        Assert.Null(r["at quota"]);
        Assert.Equal("ValidationError", (string?)r["past quota"]!["code"]);
        Assert.Equal("Template format error: Outputs count 201 is greater than max allowed 200", (string?)r["past quota"]!["message"]);
        Assert.Equal("Template format error: Outputs count 201 is greater than max allowed 200", (string?)r["create past quota"]!["message"]);
    }
}
