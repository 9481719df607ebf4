using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Durable functions driven by AWS's own durable execution SDK for JavaScript (@aws/durable-execution-sdk-js, bundled in
/// the function's zip from tests/js's node_modules): steps and waits replayed from checkpoints, callbacks completed
/// through SendDurableExecutionCallbackSuccess, StopDurableExecution, a wait's timer surviving a restart, chained invokes
/// (context.invoke) of plain and durable functions, and an invocation that crashed retried from its last checkpoint.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaDurableFunctionTests
{
    private static readonly string NodeModules = Path.Combine(RepoPaths.Root, "tests", "js", "node_modules");

    /// <summary>The SDK and the packages it needs, from tests/js's node_modules; a handler whose mode the input names.</summary>
    private static string Helpers => LambdaScripts.Prelude + $$"""
        import os, time
        NODE_MODULES = {{System.Text.Json.JsonSerializer.Serialize(NodeModules)}}
        HANDLER = '''
        const { withDurableExecution } = require("@aws/durable-execution-sdk-js");
        exports.handler = withDurableExecution(async (event, context) => {
          if (event.mode === "steps") {
            const first = await context.step("first", async () => event.n + 1);
            await context.wait("pause", { seconds: event.wait });
            const second = await context.step("second", async () => first * 10);
            return { first, second };
          }
          if (event.mode === "chain") {
            const plain = await context.invoke("plain", event.plain, { n: event.n });
            const durable = await context.invoke("durable", event.durable, { mode: "steps", n: plain.n, wait: event.wait ?? 1 });
            return { plain, durable };
          }
          if (event.mode === "chain-fails") {
            const caught = [];
            for (const target of event.targets) {
              try {
                await context.invoke(target, {});
                caught.push("no error");
              } catch (err) {
                caught.push(err.message);
              }
            }
            return caught;
          }
          if (event.mode === "crash-once") {
            // The step runs (and is checkpointed) on the first invocation only, which then crashes; the retry replays it.
            let ranNow = false;
            const marked = await context.step("mark", async () => { ranNow = true; return "marked"; });
            if (ranNow) process.exit(3);
            return { recovered: marked };
          }
          if (event.mode === "callback") {
            const [answer, callbackId] = await context.createCallback("approval", { timeout: { minutes: 5 } });
            return { approved: await answer };
          }
          await context.wait("forever", { hours: 1 });
          return "woke";
        });
        '''
        def sdk_files():
            files, todo, seen = {"index.js": HANDLER}, ["@aws/durable-execution-sdk-js"], set()
            while todo:
                name = todo.pop()
                if name in seen:
                    continue
                seen.add(name)
                base = os.path.join(NODE_MODULES, name)
                todo += list(json.load(open(os.path.join(base, "package.json"))).get("dependencies", {}).keys())
                for folder, _, names in os.walk(base):
                    for n in names:
                        path = os.path.join(folder, n)
                        files["node_modules/" + os.path.relpath(path, NODE_MODULES)] = open(path, "rb").read()
            return files
        def create_durable(name, timeout=600):
            lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=role(), Handler="index.handler", Timeout=30,
                                Code={"ZipFile": zip_of(sdk_files())}, DurableConfig={"ExecutionTimeout": timeout})
        def create_plain(name, handler):
            lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=role(), Handler="index.handler", Timeout=30,
                                Code={"ZipFile": zip_of({"index.js": handler})})
        def wait_for(arn, statuses=("SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"), seconds=120):
            deadline = time.time() + seconds
            while True:
                got = lam.get_durable_execution(DurableExecutionArn=arn)
                if got["Status"] in statuses or time.time() > deadline:
                    return got
                time.sleep(0.5)
        def history(arn):
            return lam.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]
        def events_of(arn, event_type):
            return [e for e in history(arn) if e["EventType"] == event_type]

        """;

    [Fact]
    public async Task Two_steps_and_a_wait_complete_after_replay_with_the_steps_results_in_history()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("steps")
            out["config"] = lam.get_function_configuration(FunctionName="steps")["DurableConfig"]
            out["unqualified"] = error(lam.invoke, FunctionName="steps", Payload=json.dumps({"mode": "steps", "n": 1, "wait": 1}))
            r = lam.invoke(FunctionName="steps", Qualifier="$LATEST", Payload=json.dumps({"mode": "steps", "n": 4, "wait": 2}),
                           DurableExecutionName="order-4")
            arn = r["DurableExecutionArn"]
            out["sync"] = {"status": r["StatusCode"], "payload": json.loads(r["Payload"].read()), "error": r.get("FunctionError")}
            got = lam.get_durable_execution(DurableExecutionArn=arn)
            out["execution"] = {k: got.get(k) for k in ["DurableExecutionName", "Status", "Version"]}
            out["execution"].update({k: json.loads(got[k]) for k in ["Result", "InputPayload"]})
            events = history(arn)
            out["types"] = sorted(set(e["EventType"] for e in events))
            out["step_results"] = [e["StepSucceededDetails"]["Result"]["Payload"] for e in events if e["EventType"] == "StepSucceeded"]
            out["wait"] = [e["WaitStartedDetails"]["Duration"] for e in events if e["EventType"] == "WaitStarted"]
            out["invocations"] = len([e for e in events if e["EventType"] == "InvocationCompleted"])
            out["without_data"] = "Payload" in json.dumps(lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"], default=str)
            listed = lam.list_durable_executions_by_function(FunctionName="steps", Qualifier="$LATEST", Statuses=["SUCCEEDED"])["DurableExecutions"]
            out["listed"] = [e["DurableExecutionArn"] == arn for e in listed]
            out["none_running"] = lam.list_durable_executions_by_function(FunctionName="steps", Statuses=["RUNNING"])["DurableExecutions"]
            out["same_name_other_input"] = error(lam.invoke, FunctionName="steps", Qualifier="$LATEST", InvocationType="Event",
                                                 Payload=json.dumps({"mode": "steps", "n": 5, "wait": 1}), DurableExecutionName="order-4")
            out["missing"] = error(lam.get_durable_execution, DurableExecutionArn=arn.rsplit("/", 1)[0] + "/0000")
            out["bad_token"] = error(lam.checkpoint_durable_execution, DurableExecutionArn=arn, CheckpointToken="bm90LWEtdG9rZW4=", Updates=[])
            """);

        Assert.Equal("""{"RetentionPeriodInDays":14,"ExecutionTimeout":600}""", result["config"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["unqualified"]!["code"]!.GetValue<string>());
        Assert.Equal("""{"status":200,"payload":{"first":5,"second":50},"error":null}""", result["sync"]!.ToJsonString());
        Assert.Equal("""{"DurableExecutionName":"order-4","Status":"SUCCEEDED","Version":"$LATEST","Result":{"first":5,"second":50},"InputPayload":{"mode":"steps","n":4,"wait":2}}""",
            result["execution"]!.ToJsonString());
        foreach (var type in new[] { "ExecutionStarted", "StepStarted", "StepSucceeded", "WaitStarted", "WaitSucceeded", "InvocationCompleted", "ExecutionSucceeded" })
            Assert.Contains(type, result["types"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("""["5","50"]""", result["step_results"]!.ToJsonString());
        Assert.Equal("[2]", result["wait"]!.ToJsonString());
        // Once to the wait, once after it (the replay that skips the first step).
        Assert.True(result["invocations"]!.GetValue<int>() >= 2);
        Assert.False(result["without_data"]!.GetValue<bool>());
        Assert.Equal("[true]", result["listed"]!.ToJsonString());
        Assert.Equal("[]", result["none_running"]!.ToJsonString());
        Assert.Equal("DurableExecutionAlreadyStartedException", result["same_name_other_input"]!["code"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["missing"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", result["bad_token"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_callback_completed_by_SendDurableExecutionCallbackSuccess_resumes_the_execution_and_StopDurableExecution_stops_one()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("approvals")
            arn = lam.invoke(FunctionName="approvals", Qualifier="$LATEST", InvocationType="Event",
                             Payload=json.dumps({"mode": "callback"}))["DurableExecutionArn"]
            deadline = time.time() + 120
            started = []
            while not started and time.time() < deadline:
                started = events_of(arn, "CallbackStarted")
                time.sleep(0.5)
            callback_id = started[0]["CallbackStartedDetails"]["CallbackId"]
            out["while_waiting"] = lam.get_durable_execution(DurableExecutionArn=arn)["Status"]
            lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
            lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps("yes").encode())
            done = wait_for(arn)
            out["done"] = {"status": done["Status"], "result": json.loads(done["Result"])}
            out["callback_events"] = [e["EventType"] for e in history(arn) if e["EventType"].startswith("Callback")]
            out["again"] = error(lam.send_durable_execution_callback_success, CallbackId=callback_id, Result=b"1")
            out["unknown"] = error(lam.send_durable_execution_callback_failure, CallbackId="abcd", Error={"ErrorMessage": "no"})

            create_durable("sleeper")
            arn = lam.invoke(FunctionName="sleeper", Qualifier="$LATEST", InvocationType="Event", Payload="{}")["DurableExecutionArn"]
            deadline = time.time() + 120
            while not events_of(arn, "WaitStarted") and time.time() < deadline:
                time.sleep(0.5)
            stop = lam.stop_durable_execution(DurableExecutionArn=arn, Error={"ErrorMessage": "changed my mind", "ErrorType": "Cancelled"})
            out["stop_time"] = "StopTimestamp" in stop
            got = lam.get_durable_execution(DurableExecutionArn=arn)
            out["stopped"] = {"status": got["Status"], "error": got.get("Error")}
            out["stopped_event"] = [e["ExecutionStoppedDetails"]["Error"]["Payload"]["ErrorMessage"] for e in history(arn) if e["EventType"] == "ExecutionStopped"]
            out["stop_again"] = error(lam.stop_durable_execution, DurableExecutionArn=arn)
            """);

        Assert.Equal("RUNNING", result["while_waiting"]!.GetValue<string>());
        Assert.Equal("SUCCEEDED", result["done"]!["status"]!.GetValue<string>());
        Assert.Contains("yes", result["done"]!["result"]!["approved"]!.ToJsonString());
        Assert.Equal("""["CallbackStarted","CallbackSucceeded"]""", result["callback_events"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["again"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", result["unknown"]!["code"]!.GetValue<string>());
        Assert.True(result["stop_time"]!.GetValue<bool>());
        Assert.Equal("""{"status":"STOPPED","error":{"ErrorMessage":"changed my mind","ErrorType":"Cancelled"}}""", result["stopped"]!.ToJsonString());
        Assert.Equal("""["changed my mind"]""", result["stopped_event"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["stop_again"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wait_survives_a_restart_and_the_function_is_invoked_again_when_it_ends()
    {
        await using var server = await StratusProcess.StartPersistentAsync(new Dictionary<string, string>());
        var before = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("patient")
            out["arn"] = arn = lam.invoke(FunctionName="patient", Qualifier="$LATEST", InvocationType="Event",
                                          Payload=json.dumps({"mode": "steps", "n": 1, "wait": 8}))["DurableExecutionArn"]
            deadline = time.time() + 120
            while not events_of(arn, "WaitStarted") and time.time() < deadline:
                time.sleep(0.3)
            out["status"] = lam.get_durable_execution(DurableExecutionArn=arn)["Status"]
            """);

        await server.RestartAsync();

        var after = await Clients.Boto3Async(server.Url, Helpers + $$"""
            arn = {{System.Text.Json.JsonSerializer.Serialize(before["arn"]!.GetValue<string>())}}
            done = wait_for(arn)
            out["done"] = {"status": done["Status"], "result": json.loads(done.get("Result") or "null")}
            out["waits_ended"] = len(events_of(arn, "WaitSucceeded"))
            """);

        Assert.Equal("RUNNING", before["status"]!.GetValue<string>());
        Assert.Equal("""{"status":"SUCCEEDED","result":{"first":2,"second":20}}""", after["done"]!.ToJsonString());
        Assert.Equal(1, after["waits_ended"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_chained_invoke_of_a_plain_and_a_durable_function_suspends_the_caller_and_resumes_it_with_their_results()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("chainer")
            create_plain("plus-one", "exports.handler = async (event) => ({ n: event.n + 1 });")
            r = lam.invoke(FunctionName="chainer", Qualifier="$LATEST",
                           Payload=json.dumps({"mode": "chain", "n": 2, "plain": "plus-one", "durable": "chainer:$LATEST"}))
            arn = r["DurableExecutionArn"]
            out["sync"] = {"payload": json.loads(r["Payload"].read()), "error": r.get("FunctionError")}
            events = history(arn)
            out["chained"] = [e["EventType"] for e in events if e["EventType"].startswith("ChainedInvoke")]
            started = [e["ChainedInvokeStartedDetails"] for e in events if e["EventType"] == "ChainedInvokeStarted"]
            out["started"] = [{k: d.get(k) for k in ["FunctionName", "ExecutedVersion"]} | {"input": json.loads(d["Input"]["Payload"])} for d in started]
            child = started[1]["DurableExecutionArn"]
            got = lam.get_durable_execution(DurableExecutionArn=child)
            out["child"] = {"status": got["Status"], "result": json.loads(got["Result"])}
            out["results"] = [json.loads(e["ChainedInvokeSucceededDetails"]["Result"]["Payload"]) for e in events if e["EventType"] == "ChainedInvokeSucceeded"]
            # The caller's invocation ends at each chained invoke and a new one resumes it with the answer.
            out["invocations"] = len([e for e in events if e["EventType"] == "InvocationCompleted"])
            """);

        Assert.Equal("""{"payload":{"plain":{"n":3},"durable":{"first":4,"second":40}},"error":null}""", result["sync"]!.ToJsonString());
        Assert.Equal("""["ChainedInvokeStarted","ChainedInvokeSucceeded","ChainedInvokeStarted","ChainedInvokeSucceeded"]""", result["chained"]!.ToJsonString());
        Assert.Equal("""[{"FunctionName":"plus-one","ExecutedVersion":"$LATEST","input":{"n":2}},{"FunctionName":"chainer:$LATEST","ExecutedVersion":"$LATEST","input":{"mode":"steps","n":3,"wait":1}}]""",
            result["started"]!.ToJsonString());
        Assert.Equal("""{"status":"SUCCEEDED","result":{"first":4,"second":40}}""", result["child"]!.ToJsonString());
        Assert.Equal("""[{"n":3},{"first":4,"second":40}]""", result["results"]!.ToJsonString());
        Assert.True(result["invocations"]!.GetValue<int>() >= 3);
    }

    [Fact]
    public async Task A_chained_invoke_whose_function_throws_or_is_refused_fails_and_the_caller_catches_the_error()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("catcher")
            create_plain("thrower", "exports.handler = async () => { throw new Error('no such order'); };")
            r = lam.invoke(FunctionName="catcher", Qualifier="$LATEST", Payload=json.dumps({"mode": "chain-fails", "targets": ["thrower", "catcher"]}))
            arn = r["DurableExecutionArn"]
            out["caught"] = json.loads(r["Payload"].read())
            out["status"] = lam.get_durable_execution(DurableExecutionArn=arn)["Status"]
            out["failed"] = [e["ChainedInvokeFailedDetails"]["Error"]["Payload"]["ErrorType"] for e in history(arn) if e["EventType"] == "ChainedInvokeFailed"]
            """);

        Assert.Equal("no such order", result["caught"]![0]!.GetValue<string>());
        // A durable function invoked without a qualifier is refused as Invoke refuses it.
        Assert.Contains("must be invoked with a qualified ARN", result["caught"]![1]!.GetValue<string>());
        Assert.Equal("SUCCEEDED", result["status"]!.GetValue<string>());
        Assert.Equal("""["Error","InvalidParameterValueException"]""", result["failed"]!.ToJsonString());
    }

    [Fact]
    public async Task An_invocation_that_crashes_is_retried_from_the_last_checkpoint_and_the_history_shows_the_attempts()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("crasher")
            r = lam.invoke(FunctionName="crasher", Qualifier="$LATEST", Payload=json.dumps({"mode": "crash-once"}))
            arn = r["DurableExecutionArn"]
            out["sync"] = {"payload": json.loads(r["Payload"].read()), "error": r.get("FunctionError")}
            invocations = [e["InvocationCompletedDetails"] for e in history(arn) if e["EventType"] == "InvocationCompleted"]
            out["attempts"] = ["Error" in d for d in invocations]
            out["steps_run"] = len(events_of(arn, "StepSucceeded"))
            """);

        Assert.Equal("""{"payload":{"recovered":"marked"},"error":null}""", result["sync"]!.ToJsonString());
        Assert.Equal("[true,false]", result["attempts"]!.ToJsonString());
        Assert.Equal(1, result["steps_run"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_chained_invoke_survives_a_restart_and_its_durable_execution_ending_resumes_the_caller()
    {
        await using var server = await StratusProcess.StartPersistentAsync(new Dictionary<string, string>());
        var before = await Clients.Boto3Async(server.Url, Helpers + """
            create_durable("relay")
            create_plain("plus-one", "exports.handler = async (event) => ({ n: event.n + 1 });")
            out["arn"] = arn = lam.invoke(FunctionName="relay", Qualifier="$LATEST", InvocationType="Event",
                                          Payload=json.dumps({"mode": "chain", "n": 1, "wait": 8, "plain": "plus-one", "durable": "relay:$LATEST"}))["DurableExecutionArn"]
            deadline = time.time() + 120
            child = None
            while child is None and time.time() < deadline:
                started = [e["ChainedInvokeStartedDetails"] for e in events_of(arn, "ChainedInvokeStarted") if "DurableExecutionArn" in e["ChainedInvokeStartedDetails"]]
                child = started[0]["DurableExecutionArn"] if started else None
                time.sleep(0.3)
            while not events_of(child, "WaitStarted") and time.time() < deadline:
                time.sleep(0.3)
            out["status"] = lam.get_durable_execution(DurableExecutionArn=arn)["Status"]
            """);

        await server.RestartAsync();

        var after = await Clients.Boto3Async(server.Url, Helpers + $$"""
            arn = {{System.Text.Json.JsonSerializer.Serialize(before["arn"]!.GetValue<string>())}}
            done = wait_for(arn)
            out["done"] = {"status": done["Status"], "result": json.loads(done.get("Result") or "null")}
            """);

        Assert.Equal("RUNNING", before["status"]!.GetValue<string>());
        Assert.Equal("""{"status":"SUCCEEDED","result":{"plain":{"n":2},"durable":{"first":3,"second":30}}}""", after["done"]!.ToJsonString());
    }
}
