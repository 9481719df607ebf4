using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Event invoke configs applied to Event invokes, their destinations, and weighted alias routing, through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaEventInvokeConfigTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + script);

    [Fact]
    public async Task Failed_event_invoke_with_no_retries_lands_in_its_OnFailure_function()
    {
        var result = await RunAsync("""
            logs = client("logs")
            failing = create("eic-failing", {"app.py": "def handler(event, context):\n    print('attempt', event['n'])\n    raise ValueError('broken ' + str(event['n']))\n"})
            catcher = create("eic-catcher", {"app.py": "import json\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n"})
            put = lam.put_function_event_invoke_config(FunctionName="eic-failing", MaximumRetryAttempts=0, MaximumEventAgeInSeconds=300,
                                                       DestinationConfig={"OnFailure": {"Destination": catcher["FunctionArn"]}})
            out["put"] = {k: put[k] for k in ["FunctionArn", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"]}
            out["get"] = lam.get_function_event_invoke_config(FunctionName="eic-failing")["MaximumRetryAttempts"]
            out["listed"] = len(lam.list_function_event_invoke_configs(FunctionName="eic-failing")["FunctionEventInvokeConfigs"])
            updated = lam.update_function_event_invoke_config(FunctionName="eic-failing", MaximumEventAgeInSeconds=600)
            out["updated"] = [updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"], updated["DestinationConfig"]["OnFailure"]["Destination"]]
            out["sqs"] = error(lam.put_function_event_invoke_config, FunctionName="eic-failing",
                               DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dead-letters"}})
            out["retries_range"] = error(lam.put_function_event_invoke_config, FunctionName="eic-failing", MaximumRetryAttempts=3)
            out["none_yet"] = error(lam.get_function_event_invoke_config, FunctionName="eic-catcher")
            accepted = lam.invoke(FunctionName="eic-failing", InvocationType="Event", Payload=json.dumps({"n": 7}))
            out["status"] = accepted["StatusCode"]
            request_id = accepted["ResponseMetadata"]["RequestId"]
            record = None
            deadline = time.time() + 120
            while record is None and time.time() < deadline:
                time.sleep(1)
                try:
                    events = logs.filter_log_events(logGroupName="/aws/lambda/eic-catcher")["events"]
                except logs.exceptions.ResourceNotFoundException:
                    events = []
                lines = [e["message"] for e in events if e["message"].startswith("RECORD ")]
                if lines:
                    record = json.loads(lines[0][len("RECORD "):])
            out["record"] = record
            out["request_id"] = request_id
            time.sleep(3)
            failing_events = logs.filter_log_events(logGroupName="/aws/lambda/eic-failing")["events"]
            out["attempts"] = len([e for e in failing_events if e["message"].startswith("attempt 7")])
            lam.delete_function_event_invoke_config(FunctionName="eic-failing")
            out["deleted"] = error(lam.get_function_event_invoke_config, FunctionName="eic-failing")
            """);

        var put = result["put"]!;
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:eic-failing:$LATEST", put["FunctionArn"]!.GetValue<string>());
        Assert.Equal(0, put["MaximumRetryAttempts"]!.GetValue<int>());
        Assert.Equal(300, put["MaximumEventAgeInSeconds"]!.GetValue<int>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:eic-catcher", put["DestinationConfig"]!["OnFailure"]!["Destination"]!.GetValue<string>());
        Assert.Equal(0, result["get"]!.GetValue<int>());
        Assert.Equal(1, result["listed"]!.GetValue<int>());
        Assert.Equal("""[0,600,"arn:aws:lambda:us-east-1:000000000000:function:eic-catcher"]""", result["updated"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["sqs"]!["code"]!.GetValue<string>());
        Assert.Contains("Stratus does not serve", result["sqs"]!["message"]!.GetValue<string>());
        Assert.Equal("ValidationException", result["retries_range"]!["code"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["none_yet"]!["code"]!.GetValue<string>());
        Assert.Equal(202, result["status"]!.GetValue<int>());

        var record = result["record"]!;
        Assert.Equal("1.0", record["version"]!.GetValue<string>());
        var context = record["requestContext"]!;
        Assert.Equal(result["request_id"]!.GetValue<string>(), context["requestId"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:eic-failing:$LATEST", context["functionArn"]!.GetValue<string>());
        Assert.Equal("RetriesExhausted", context["condition"]!.GetValue<string>());
        Assert.Equal(1, context["approximateInvokeCount"]!.GetValue<int>());
        Assert.Equal(7, record["requestPayload"]!["n"]!.GetValue<int>());
        Assert.Equal("Unhandled", record["responseContext"]!["functionError"]!.GetValue<string>());
        Assert.Equal("$LATEST", record["responseContext"]!["executedVersion"]!.GetValue<string>());
        Assert.Equal("broken 7", record["responsePayload"]!["errorMessage"]!.GetValue<string>());
        // MaximumRetryAttempts 0: one attempt, no retries.
        Assert.Equal(1, result["attempts"]!.GetValue<int>());
        Assert.Equal("ResourceNotFoundException", result["deleted"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Alias_with_routing_config_serves_both_versions()
    {
        var result = await RunAsync("""
            create("routed", {"app.py": "def handler(event, context):\n    return 'one'\n"}, Publish=True)
            lam.update_function_code(FunctionName="routed", ZipFile=zip_of({"app.py": "def handler(event, context):\n    return 'two'\n"}), Publish=True)
            lam.create_alias(FunctionName="routed", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
            served = {}
            for _ in range(50):
                r = invoke("routed", Qualifier="live")
                served[r["version"] + ":" + r["payload"]] = served.get(r["version"] + ":" + r["payload"], 0) + 1
            out["served"] = served
            out["by_arn"] = invoke("arn:aws:lambda:us-east-1:000000000000:function:routed:live")["version"] in ("1", "2")
            out["latest_routing"] = error(lam.create_alias, FunctionName="routed", Name="bad", FunctionVersion="$LATEST",
                                          RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
            out["same_version"] = error(lam.update_alias, FunctionName="routed", Name="live", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
            """);

        var served = result["served"]!.AsObject();
        Assert.Equal(["1:one", "2:two"], served.Select(s => s.Key).Order().ToArray());
        Assert.All(served, s => Assert.InRange(s.Value!.GetValue<int>(), 8, 42));
        Assert.True(result["by_arn"]!.GetValue<bool>());
        Assert.Equal("InvalidParameterValueException", result["latest_routing"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", result["same_version"]!["code"]!.GetValue<string>());
    }
}
