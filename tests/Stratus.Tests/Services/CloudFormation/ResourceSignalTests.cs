using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// SignalResource with a wait condition's CreationPolicy (signals sent by a Lambda function through boto3 and by the test
/// itself; a FAILURE signal and the timeout roll the stack back), DescribeEvents grouping the events by the operation ids
/// CreateStack, UpdateStack and change sets return, and ListTypes listing the resource types Stratus provisions.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ResourceSignalTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Helpers = LambdaScripts.Prelude + """
        cfn = client("cloudformation")
        def settle(name):
            deadline = time.time() + 90
            while time.time() < deadline:
                stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS"): return stack
                time.sleep(0.3)
            raise Exception(name + " did not settle")
        def initiated(name, logical):
            deadline = time.time() + 60
            while time.time() < deadline:
                if any(e["LogicalResourceId"] == logical and e.get("ResourceStatusReason") == "Resource creation Initiated"
                       for e in cfn.describe_stack_events(StackName=name)["StackEvents"]): return
                time.sleep(0.2)
            raise Exception(logical + " never started")
        def gated(count, timeout, extra={}):
            return json.dumps({"Resources": dict({"Gate": {"Type": "AWS::CloudFormation::WaitCondition",
                "CreationPolicy": {"ResourceSignal": {"Count": count, "Timeout": timeout}}}}, **extra)})
        def gate_events(name):
            return [[e["ResourceStatus"], e.get("ResourceStatusReason")] for e in reversed(cfn.describe_stack_events(StackName=name)["StackEvents"])
                    if e["LogicalResourceId"] == "Gate"]

        """;

    [Fact]
    public async Task A_creation_policy_waits_for_its_signals_and_a_failure_or_the_timeout_rolls_the_stack_back()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            SIGNALLER = '''
            import boto3
            cfn = boto3.client("cloudformation")
            def handler(event, context):
                cfn.signal_resource(StackName=event["stack"], LogicalResourceId="Gate", UniqueId=event["id"], Status="SUCCESS")
                return "signalled " + event["id"]
            '''
            create("stack-signaller", {"app.py": SIGNALLER}, Timeout=30)
            topic = {"Topic": {"Type": "AWS::SSM::Parameter", "DependsOn": "Gate", "Properties": {"Type": "String", "Value": "after the gate"}}}
            created = cfn.create_stack(StackName="gated", TemplateBody=gated(2, "PT2M", topic))
            initiated("gated", "Gate")
            out["pending"] = [r["ResourceStatus"] for r in cfn.describe_stack_resources(StackName="gated")["StackResources"]]
            out["invoked"] = [invoke("stack-signaller", {"stack": "gated", "id": "fn-1"})["payload"],
                              invoke("stack-signaller", {"stack": "gated", "id": "fn-2"})["payload"]]
            stack = settle("gated")
            out["completed"] = [stack["StackStatus"], gate_events("gated"),
                sorted(r["ResourceStatus"] for r in cfn.describe_stack_resources(StackName="gated")["StackResources"])]
            out["after"] = error(cfn.signal_resource, StackName="gated", LogicalResourceId="Gate", UniqueId="late", Status="SUCCESS")
            out["no_stack"] = error(cfn.signal_resource, StackName="nowhere", LogicalResourceId="Gate", UniqueId="x", Status="SUCCESS")
            out["no_resource"] = error(cfn.signal_resource, StackName="gated", LogicalResourceId="Nothing", UniqueId="x", Status="SUCCESS")
            out["bad_status"] = error(cfn.signal_resource, StackName="gated", LogicalResourceId="Gate", UniqueId="x", Status="MAYBE")
            out["created_id"] = [stack["StackId"] == created["StackId"], [o["OperationType"] for o in stack["LastOperations"]],
                stack["LastOperations"][0]["OperationId"] == created["OperationId"]]

            cfn.create_stack(StackName="refused", TemplateBody=gated(1, "PT2M"))
            initiated("refused", "Gate")
            # Signalled the cfn-signal-less way: boto3 straight from the caller.
            cfn.signal_resource(StackName="refused", LogicalResourceId="Gate", UniqueId="i-0abc", Status="FAILURE")
            stack = settle("refused")
            out["refused"] = [stack["StackStatus"], gate_events("refused"), [o["OperationType"] for o in stack["LastOperations"]]]

            cfn.create_stack(StackName="late", TemplateBody=gated(1, "PT1S"))
            out["late"] = [settle("late")["StackStatus"], gate_events("late")]
            cfn.create_stack(StackName="malformed", TemplateBody=gated(1, "five minutes"))
            out["malformed"] = [settle("malformed")["StackStatus"], gate_events("malformed")[-2][1]]
            for name in ["gated", "refused", "late", "malformed"]: cfn.delete_stack(StackName=name)
            lam.delete_function(FunctionName="stack-signaller")
            """);

        Assert.Equal("""["CREATE_IN_PROGRESS"]""", r["pending"]!.ToJsonString());
        Assert.Equal("""["signalled fn-1","signalled fn-2"]""", r["invoked"]!.ToJsonString());
        // The parameter that depends on the gate waits for both signals; each is an event of the gate's.
        Assert.Equal("""["CREATE_COMPLETE",[["CREATE_IN_PROGRESS",null],["CREATE_IN_PROGRESS","Resource creation Initiated"],""" +
            """["CREATE_IN_PROGRESS","Received SUCCESS signal with UniqueId fn-1"],["CREATE_IN_PROGRESS","Received SUCCESS signal with UniqueId fn-2"],""" +
            """["CREATE_COMPLETE",null]],["CREATE_COMPLETE","CREATE_COMPLETE"]]""", r["completed"]!.ToJsonString());
        Assert.Equal("ValidationError", r["after"]!["code"]!.GetValue<string>());
        Assert.Matches("^Stack arn:aws:cloudformation:us-east-1:000000000000:stack/gated/[-0-9a-f]+ is in CREATE_COMPLETE state and cannot be signaled$",
            r["after"]!["message"]!.GetValue<string>());
        Assert.Equal("Stack with id nowhere does not exist", r["no_stack"]!["message"]!.GetValue<string>());
        Assert.Equal("Resource Nothing does not exist for stack gated", r["no_resource"]!["message"]!.GetValue<string>());
        Assert.Equal("ValidationError", r["bad_status"]!["code"]!.GetValue<string>());
        Assert.Equal("""[true,["CREATE_STACK"],true]""", r["created_id"]!.ToJsonString());

        Assert.Equal("""["ROLLBACK_COMPLETE",[["CREATE_IN_PROGRESS",null],["CREATE_IN_PROGRESS","Resource creation Initiated"],""" +
            """["CREATE_IN_PROGRESS","Received FAILURE signal with UniqueId i-0abc"],""" +
            """["CREATE_FAILED","Received 1 FAILURE signal(s) out of 1. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement"],""" +
            """["DELETE_IN_PROGRESS",null],["DELETE_COMPLETE",null]],["ROLLBACK","CREATE_STACK"]]""", r["refused"]!.ToJsonString());
        Assert.Equal("""["ROLLBACK_COMPLETE",[["CREATE_IN_PROGRESS",null],["CREATE_IN_PROGRESS","Resource creation Initiated"],""" +
            """["CREATE_FAILED","Failed to receive 1 resource signal(s) within the specified duration"],""" +
            """["DELETE_IN_PROGRESS",null],["DELETE_COMPLETE",null]]]""", r["late"]!.ToJsonString());
        Assert.Equal("""["ROLLBACK_COMPLETE","CreationPolicy ResourceSignal Timeout five minutes is not an ISO 8601 duration (PT#H#M#S)."]""",
            r["malformed"]!.ToJsonString());
    }

    [Fact]
    public async Task Describe_events_groups_each_operation_s_events_under_the_id_its_call_returned()
    {
        var r = await Clients.Boto3Async(stratus.Url, Helpers + """
            def parameter(value):
                return json.dumps({"Resources": {"Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": value}}}})
            created = cfn.create_stack(StackName="operations", TemplateBody=parameter("one"))
            settle("operations")
            updated = cfn.update_stack(StackName="operations", TemplateBody=parameter("two"))
            settle("operations")
            events = cfn.describe_events(StackName="operations")["OperationEvents"]
            out["ids"] = [created["OperationId"] != updated["OperationId"],
                sorted({e["OperationId"] for e in events}) == sorted([created["OperationId"], updated["OperationId"]])]
            out["newest_first"] = [[e["OperationType"], e["OperationStatus"], e["EventType"], e["LogicalResourceId"], e["ResourceStatus"]] for e in events]
            out["stack_events"] = all(e["OperationId"] in (created["OperationId"], updated["OperationId"])
                for e in cfn.describe_stack_events(StackName="operations")["StackEvents"])
            by_id = cfn.describe_events(OperationId=created["OperationId"])["OperationEvents"]
            out["by_id"] = [[e["OperationType"], e["ResourceStatus"]] for e in by_id if e["LogicalResourceId"] == "operations"]

            broken = json.dumps({"Resources": {"Ok": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "fine"}},
                "Broken": {"Type": "AWS::SSM::Parameter", "DependsOn": "Ok", "Properties": {"Type": "NoSuchType", "Value": "x"}}}})
            failing = cfn.create_stack(StackName="failing-ops", TemplateBody=broken)
            settle("failing-ops")
            failed = cfn.describe_events(StackName="failing-ops", Filters={"FailedEvents": True})["OperationEvents"]
            out["failed_only"] = [[e["OperationId"] == failing["OperationId"], e["OperationType"], e["OperationStatus"], e["EventType"],
                e["LogicalResourceId"], e["ResourceStatus"]] for e in failed]
            out["rollback"] = sorted({(e["OperationType"], e["OperationStatus"]) for e in cfn.describe_events(StackName="failing-ops")["OperationEvents"]})

            change_set = cfn.create_change_set(StackName="from-change-set", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=parameter("cs"))
            cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=change_set["Id"], WaiterConfig={"Delay": 1})
            cfn.execute_change_set(ChangeSetName=change_set["Id"])
            settle("from-change-set")
            out["change_set"] = sorted({(e["OperationType"], e["OperationStatus"]) for e in cfn.describe_events(ChangeSetName=change_set["Id"])["OperationEvents"]})

            public = cfn.list_types(Visibility="PUBLIC", Filters={"TypeNamePrefix": "AWS::Lambda::"})["TypeSummaries"]
            out["types"] = [["AWS::Lambda::Function", "RESOURCE", "arn:aws:cloudformation:us-east-1::type/resource/AWS-Lambda-Function"] in
                [[t["TypeName"], t["Type"], t["TypeArn"]] for t in public], all(t["TypeName"].startswith("AWS::Lambda::") for t in public),
                len(cfn.list_types()["TypeSummaries"]), len(cfn.list_types(Visibility="PUBLIC", Type="HOOK")["TypeSummaries"])]
            out["none"] = error(cfn.describe_events)
            out["unknown"] = error(cfn.describe_events, OperationId="00000000-0000-0000-0000-000000000000")
            for name in ["operations", "failing-ops", "from-change-set"]: cfn.delete_stack(StackName=name)
            """);

        Assert.Equal("[true,true]", r["ids"]!.ToJsonString());
        Assert.Equal("""[["UPDATE_STACK","SUCCEEDED","STACK_EVENT","operations","UPDATE_COMPLETE"],""" +
            """["UPDATE_STACK","SUCCEEDED","STACK_EVENT","operations","UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"],""" +
            """["UPDATE_STACK","SUCCEEDED","PROGRESS_EVENT","Setting","UPDATE_COMPLETE"],["UPDATE_STACK","SUCCEEDED","PROGRESS_EVENT","Setting","UPDATE_IN_PROGRESS"],""" +
            """["UPDATE_STACK","SUCCEEDED","STACK_EVENT","operations","UPDATE_IN_PROGRESS"],""" +
            """["CREATE_STACK","SUCCEEDED","STACK_EVENT","operations","CREATE_COMPLETE"],["CREATE_STACK","SUCCEEDED","PROGRESS_EVENT","Setting","CREATE_COMPLETE"],""" +
            """["CREATE_STACK","SUCCEEDED","PROGRESS_EVENT","Setting","CREATE_IN_PROGRESS"],["CREATE_STACK","SUCCEEDED","PROGRESS_EVENT","Setting","CREATE_IN_PROGRESS"],""" +
            """["CREATE_STACK","SUCCEEDED","STACK_EVENT","operations","CREATE_IN_PROGRESS"]]""", r["newest_first"]!.ToJsonString());
        Assert.True(r["stack_events"]!.GetValue<bool>());
        Assert.Equal("""[["CREATE_STACK","CREATE_COMPLETE"],["CREATE_STACK","CREATE_IN_PROGRESS"]]""", r["by_id"]!.ToJsonString());

        // The failure is the create's; the rollback it set off is an operation of its own, which succeeded.
        Assert.Equal("""[[true,"CREATE_STACK","FAILED","PROVISIONING_ERROR","Broken","CREATE_FAILED"]]""", r["failed_only"]!.ToJsonString());
        Assert.Equal("""[["CREATE_STACK","FAILED"],["ROLLBACK","SUCCEEDED"]]""", r["rollback"]!.ToJsonString());
        Assert.Equal("""[["CREATE_CHANGESET","SUCCEEDED"],["CREATE_STACK","SUCCEEDED"]]""", r["change_set"]!.ToJsonString());
        // ListTypes: the public resource types Stratus provisions; private ones and hooks are none.
        Assert.Equal("[true,true,0,0]", r["types"]!.ToJsonString());
        Assert.Equal("ValidationError", r["none"]!["code"]!.GetValue<string>());
        Assert.Equal("One of ChangeSetName, OperationId or StackName must be specified.", r["none"]!["message"]!.GetValue<string>());
        Assert.Equal("Operation with id 00000000-0000-0000-0000-000000000000 does not exist", r["unknown"]!["message"]!.GetValue<string>());
    }
}
