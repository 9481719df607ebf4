using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>OnSuccess and OnFailure destinations on EventBridge event buses, through boto3: the record arrives as AWS puts it.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaEventBusDestinationTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    [Fact]
    public async Task Event_invoke_results_are_put_on_the_destination_bus_with_AWS_detail_types()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            events = client("events")
            logs = client("logs")
            bus = events.create_event_bus(Name="lambda-results")["EventBusArn"]
            catcher = create("bus-catcher", {"app.py": "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n"})
            create("bus-source", {"app.py": "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('failed ' + str(event['n']))\n    return {'doubled': event['n'] * 2}\n"})
            rule = events.put_rule(Name="lambda-results", EventBusName="lambda-results",
                                   EventPattern=json.dumps({"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Success", "Lambda Function Invocation Result - Failure"]}))["RuleArn"]
            lam.add_permission(FunctionName="bus-catcher", StatementId="events", Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule)
            events.put_targets(Rule="lambda-results", EventBusName="lambda-results", Targets=[{"Id": "catcher", "Arn": catcher["FunctionArn"]}])
            out["sns"] = error(lam.put_function_event_invoke_config, FunctionName="bus-source",
                               DestinationConfig={"OnSuccess": {"Destination": "arn:aws:sns:us-east-1:000000000000:results"}})
            out["no_bus"] = error(lam.put_function_event_invoke_config, FunctionName="bus-source",
                                  DestinationConfig={"OnSuccess": {"Destination": "arn:aws:events:us-east-1:000000000000:event-bus/nope"}})
            lam.put_function_event_invoke_config(FunctionName="bus-source", MaximumRetryAttempts=0,
                                                 DestinationConfig={"OnSuccess": {"Destination": bus}, "OnFailure": {"Destination": bus}})
            lam.invoke(FunctionName="bus-source", InvocationType="Event", Payload=json.dumps({"n": 21}))
            lam.invoke(FunctionName="bus-source", InvocationType="Event", Payload=json.dumps({"n": 5, "fail": True}))
            received = []
            deadline = time.time() + 60
            while len(received) < 2 and time.time() < deadline:
                time.sleep(1)
                try:
                    found = logs.filter_log_events(logGroupName="/aws/lambda/bus-catcher")["events"]
                except logs.exceptions.ResourceNotFoundException:
                    found = []
                received = [json.loads(e["message"][len("EVENT "):]) for e in found if e["message"].startswith("EVENT ")]
            out["bus"] = bus
            out["events"] = sorted(received, key=lambda e: e["detail-type"])
            """);

        Assert.Equal("InvalidParameterValueException", result["sns"]!["code"]!.GetValue<string>());
        Assert.Contains("sns", result["sns"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", result["no_bus"]!["code"]!.GetValue<string>());
        var bus = result["bus"]!.GetValue<string>();
        var events = result["events"]!.AsArray();
        Assert.Equal(2, events.Count);
        var (failure, success) = (events[0]!, events[1]!);
        Assert.Equal("Lambda Function Invocation Result - Failure", failure["detail-type"]!.GetValue<string>());
        Assert.Equal("Lambda Function Invocation Result - Success", success["detail-type"]!.GetValue<string>());
        foreach (var @event in new[] { failure, success })
        {
            Assert.Equal("lambda", @event["source"]!.GetValue<string>());
            Assert.Equal($"[\"{bus}\",\"arn:aws:lambda:us-east-1:000000000000:function:bus-source:$LATEST\"]", @event["resources"]!.ToJsonString());
            Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:bus-source:$LATEST", @event["detail"]!["requestContext"]!["functionArn"]!.GetValue<string>());
        }
        Assert.Equal("Success", success["detail"]!["requestContext"]!["condition"]!.GetValue<string>());
        Assert.Equal(42, success["detail"]!["responsePayload"]!["doubled"]!.GetValue<int>());
        Assert.Equal("RetriesExhausted", failure["detail"]!["requestContext"]!["condition"]!.GetValue<string>());
        Assert.Equal("failed 5", failure["detail"]!["responsePayload"]!["errorMessage"]!.GetValue<string>());
    }
}
