using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Recursive loop detection through boto3: a function that invokes itself asynchronously with the SDK inside its
/// runtime is stopped after 16 invocations in the chain when its RecursiveLoop is Terminate (the stopped event's record going to
/// its OnFailure destination), and runs on when Allow.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaRecursionTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    [Fact]
    public async Task A_self_invoking_function_is_stopped_after_16_hops_unless_its_recursive_loop_is_Allow()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            logs = client("logs")
            LOOP = "import json, os, boto3\ndef handler(event, context):\n    print('HOP', event['n'])\n    if event['n'] < 20:\n        boto3.client('lambda').invoke(FunctionName=os.environ['AWS_LAMBDA_FUNCTION_NAME'], InvocationType='Event', Payload=json.dumps({'n': event['n'] + 1}))\n"
            create("loop-terminate", {"app.py": LOOP}, Timeout=30)
            create("loop-allow", {"app.py": LOOP}, Timeout=30)
            sink = create("loop-sink", {"app.py": "import json\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n"})["FunctionArn"]
            lam.put_function_event_invoke_config(FunctionName="loop-terminate", DestinationConfig={"OnFailure": {"Destination": sink}})
            out["default"] = lam.get_function_recursion_config(FunctionName="loop-terminate")["RecursiveLoop"]
            out["put"] = lam.put_function_recursion_config(FunctionName="loop-allow", RecursiveLoop="Allow")["RecursiveLoop"]
            out["get"] = lam.get_function_recursion_config(FunctionName="loop-allow")["RecursiveLoop"]
            out["bad"] = error(lam.put_function_recursion_config, FunctionName="loop-allow", RecursiveLoop="Sometimes")
            out["missing"] = error(lam.get_function_recursion_config, FunctionName="no-such-function")
            for name in ["loop-terminate", "loop-allow"]:
                lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 1}))
            def lines(name):
                try:
                    return [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/" + name)["events"]]
                except logs.exceptions.ResourceNotFoundException:
                    return []
            def hops(name):
                return sorted(int(m.split()[1]) for m in lines(name) if m.startswith("HOP "))
            deadline = time.time() + 120
            def records():
                return [json.loads(m[len("RECORD "):]) for m in lines("loop-sink") if m.startswith("RECORD ")]
            while time.time() < deadline and not (any("recursive loop" in m for m in lines("loop-terminate")) and 20 in hops("loop-allow") and records()):
                time.sleep(1)
            time.sleep(3)
            out["records"] = records()
            out["terminate_hops"] = hops("loop-terminate")
            out["allow_hops"] = hops("loop-allow")
            out["stopped"] = [m for m in lines("loop-terminate") if "recursive loop" in m]
            """);

        Assert.Equal("Terminate", result["default"]!.GetValue<string>());
        Assert.Equal("Allow", result["put"]!.GetValue<string>());
        Assert.Equal("Allow", result["get"]!.GetValue<string>());
        Assert.Equal("ValidationException", result["bad"]!["code"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["missing"]!["code"]!.GetValue<string>());
        // Sixteen invocations ran; the seventeenth in the chain was dropped, and said so in the function's log.
        Assert.Equal(Enumerable.Range(1, 16), result["terminate_hops"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Single(result["stopped"]!.AsArray());
        Assert.Equal(Enumerable.Range(1, 20), result["allow_hops"]!.AsArray().Select(n => n!.GetValue<int>()));
        // The stopped (seventeenth) event went to the OnFailure destination once, with the payload it carried and no response:
        // the function never ran for it.
        var record = Assert.Single(result["records"]!.AsArray())!;
        Assert.Equal("RecursiveInvocationException", record["requestContext"]!["condition"]!.GetValue<string>());
        Assert.Equal(0, record["requestContext"]!["approximateInvokeCount"]!.GetValue<int>());
        Assert.EndsWith(":function:loop-terminate:$LATEST", record["requestContext"]!["functionArn"]!.GetValue<string>());
        Assert.Equal(17, record["requestPayload"]!["n"]!.GetValue<int>());
        Assert.Null(record["responsePayload"]);
    }
}
