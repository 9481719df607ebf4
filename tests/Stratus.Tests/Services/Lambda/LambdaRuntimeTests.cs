using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>A Stratus whose Event retries wait one second (then two) instead of AWS's minutes, and which recycles environments idle for two seconds.</summary>
public sealed class TunedLambdaFixture : IAsyncLifetime
{
    public StratusProcess Server { get; private set; } = null!;
    public string Url => Server.Url;

    public async Task InitializeAsync() =>
        Server = await StratusProcess.StartEphemeralAsync(new Dictionary<string, string>
        {
            ["STRATUS_LAMBDA_EVENT_RETRY_SECONDS"] = "1",
            ["STRATUS_LAMBDA_IDLE_SECONDS"] = "2",
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Functions really running: Python, Node and custom runtimes over the Runtime API, with their failures contained.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaRuntimeTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    private const string PythonFunction = """
        PY = '''
        import os, time, uuid, urllib.request
        INSTANCE = uuid.uuid4().hex
        COUNT = 0
        print("init done")
        def handler(event, context):
            global COUNT
            COUNT += 1
            action = event.get("action")
            if action == "sleep":
                time.sleep(event["seconds"])
            if action == "fail":
                raise ValueError("bad input: " + str(event.get("why")))
            if action == "crash":
                os._exit(3)
            if action == "hog":
                blocks = [bytes([i % 256]) * (1024 * 1024) for i in range(event["mb"])]
                return {"count": COUNT, "mb": len(blocks)}
            if action == "huge":
                return "z" * (7 * 1024 * 1024)
            if action == "spam":
                line = "y" * 500
                for _ in range(20000):
                    print(line)
            if action == "notify":
                urllib.request.urlopen(event["url"], data=b"attempt").read()
                if event.get("fail"):
                    raise RuntimeError("try again")
            if action == "sandbox":
                try:
                    open("/var/task/written", "w")
                    code_writable = True
                except OSError:
                    code_writable = False
                tmp_before = os.listdir("/tmp")
                open("/tmp/scratch", "w").write("x")
                import boto3
                identity = boto3.client("sts").get_caller_identity()
                return {"code_writable": code_writable, "tmp_before": tmp_before, "tmp_after": os.listdir("/tmp"),
                        "processes": len([p for p in os.listdir("/proc") if p.isdigit()]), "account": identity["Account"], "arn": identity["Arn"],
                        "env": {k: os.environ.get(k) for k in ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT",
                                "AWS_EXECUTION_ENV", "TZ", "AWS_ENDPOINT_URL", "GREETING", "AWS_LAMBDA_RUNTIME_API"]}}
            print("handled", action)
            return {"count": COUNT, "instance": INSTANCE, "remaining": context.get_remaining_time_in_millis(),
                    "request_id": context.aws_request_id, "function": context.function_name}
        '''
        """;

    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + PythonFunction + "\n" + script);

    [Fact]
    public async Task Python_function_runs_warm_in_a_sandbox_with_AWS_environment()
    {
        var result = await RunAsync("""
            create("rt-py", {"app.py": PY}, runtime="python3.11", Environment={"Variables": {"GREETING": "hi"}}, MemorySize=256)
            first = invoke("rt-py", {"action": "count"})
            second = invoke("rt-py", {"action": "count"}, LogType="Tail")
            out["first"] = first
            out["second"] = second
            out["sandbox"] = invoke("rt-py", {"action": "sandbox"})["payload"]
            lam.update_function_configuration(FunctionName="rt-py", Environment={"Variables": {"GREETING": "hello"}})
            out["after_update"] = invoke("rt-py", {"action": "count"})["payload"]
            out["dry_run"] = lam.invoke(FunctionName="rt-py", InvocationType="DryRun")["StatusCode"]
            out["bad_json"] = error(lam.invoke, FunctionName="rt-py", Payload=b"{not json")
            out["too_large"] = error(lam.invoke, FunctionName="rt-py", Payload=json.dumps({"x": "a" * (6 * 1024 * 1024)}))
            lam.publish_version(FunctionName="rt-py")
            out["version"] = invoke("rt-py", {"action": "count"}, Qualifier="1")["version"]
            out["missing"] = error(lam.invoke, FunctionName="rt-nothing", Payload=b"{}")
            """);

        var first = result["first"]!;
        var second = result["second"]!;
        Assert.Equal(200, first["status"]!.GetValue<int>());
        Assert.Null(first["error"]);
        Assert.Equal("$LATEST", first["version"]!.GetValue<string>());
        Assert.Equal(1, first["payload"]!["count"]!.GetValue<int>());
        Assert.Equal("rt-py", first["payload"]!["function"]!.GetValue<string>());
        Assert.InRange(first["payload"]!["remaining"]!.GetValue<int>(), 1, 3000);
        Assert.Equal(2, second["payload"]!["count"]!.GetValue<int>());
        Assert.Equal(first["payload"]!["instance"]!.GetValue<string>(), second["payload"]!["instance"]!.GetValue<string>());
        var log = second["log"]!.GetValue<string>();
        Assert.Contains($"START RequestId: {second["payload"]!["request_id"]} Version: $LATEST", log);
        Assert.Contains("handled count", log);
        Assert.Contains($"END RequestId: {second["payload"]!["request_id"]}", log);
        Assert.Contains("REPORT RequestId:", log);
        Assert.Contains("Memory Size: 256 MB", log);

        var sandbox = result["sandbox"]!;
        Assert.False(sandbox["code_writable"]!.GetValue<bool>());
        Assert.Equal("[]", sandbox["tmp_before"]!.ToJsonString());
        Assert.Equal("""["scratch"]""", sandbox["tmp_after"]!.ToJsonString());
        Assert.InRange(sandbox["processes"]!.GetValue<int>(), 1, 5);
        Assert.Equal("000000000000", sandbox["account"]!.GetValue<string>());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/lambda-role/rt-py", sandbox["arn"]!.GetValue<string>());
        var env = sandbox["env"]!;
        Assert.Equal("rt-py", env["AWS_LAMBDA_FUNCTION_NAME"]!.GetValue<string>());
        Assert.Equal("$LATEST", env["AWS_LAMBDA_FUNCTION_VERSION"]!.GetValue<string>());
        Assert.Equal("256", env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]!.GetValue<string>());
        Assert.Equal("/aws/lambda/rt-py", env["AWS_LAMBDA_LOG_GROUP_NAME"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", env["AWS_LAMBDA_LOG_STREAM_NAME"]!.GetValue<string>());
        Assert.Equal("us-east-1", env["AWS_REGION"]!.GetValue<string>());
        Assert.Equal("app.handler", env["_HANDLER"]!.GetValue<string>());
        Assert.Equal("/var/task", env["LAMBDA_TASK_ROOT"]!.GetValue<string>());
        Assert.Equal("AWS_Lambda_python3.11", env["AWS_EXECUTION_ENV"]!.GetValue<string>());
        Assert.Equal(":UTC", env["TZ"]!.GetValue<string>());
        Assert.Equal(stratus.Url.TrimEnd('/'), env["AWS_ENDPOINT_URL"]!.GetValue<string>().Replace("localhost", "127.0.0.1"));
        Assert.Equal("hi", env["GREETING"]!.GetValue<string>());
        Assert.Matches(@"^127\.0\.0\.1:\d+$", env["AWS_LAMBDA_RUNTIME_API"]!.GetValue<string>());

        Assert.Equal(1, result["after_update"]!["count"]!.GetValue<int>());
        Assert.Equal(204, result["dry_run"]!.GetValue<int>());
        Assert.Equal("InvalidRequestContentException", result["bad_json"]!["code"]!.GetValue<string>());
        Assert.Equal("RequestTooLargeException", result["too_large"]!["code"]!.GetValue<string>());
        Assert.Equal(413, result["too_large"]!["status"]!.GetValue<int>());
        Assert.Equal("1", result["version"]!.GetValue<string>());
        Assert.Equal("ResourceNotFoundException", result["missing"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_function_is_held_to_its_memory_size_where_the_kernel_allows()
    {
        var result = await RunAsync("""
            create("rt-small", {"app.py": PY}, MemorySize=128, Timeout=30)
            out["fits"] = invoke("rt-small", {"action": "hog", "mb": 40})
            out["outgrows"] = invoke("rt-small", {"action": "hog", "mb": 400}, LogType="Tail")
            out["after"] = invoke("rt-small", {"action": "count"})
            create("rt-large", {"app.py": PY}, MemorySize=1024, Timeout=30)
            out["large"] = invoke("rt-large", {"action": "hog", "mb": 400})
            import urllib.request
            out["health"] = json.load(urllib.request.urlopen(URL + "/_stratus/health"))["services"]["lambda"]["state"]
            """);

        Assert.Equal(40, result["fits"]!["payload"]!["mb"]!.GetValue<int>());
        Assert.Equal(400, result["large"]!["payload"]!["mb"]!.GetValue<int>());
        Assert.Equal(1, result["after"]!["payload"]!["count"]!.GetValue<int>());
        var health = result["health"]!.GetValue<string>();
        var outgrown = result["outgrows"]!;
        if (health.Contains("memory limits enforced", StringComparison.Ordinal))
        {
            Assert.Equal("Unhandled", outgrown["error"]!.GetValue<string>());
            Assert.Equal("Runtime.OutOfMemory", outgrown["payload"]!["errorType"]!.GetValue<string>());
            Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$", outgrown["payload"]!["errorMessage"]!.GetValue<string>());
            var log = outgrown["log"]!.GetValue<string>();
            Assert.Contains("Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory\n", log);
            Assert.Contains("Memory Size: 128 MB\tMax Memory Used: 128 MB", log);
        }
        else
        {
            Assert.Matches("memory limits not enforced: .{20,}", health);
            Assert.Equal(400, outgrown["payload"]!["mb"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Errors_timeouts_crashes_and_init_failures_are_contained()
    {
        var result = await RunAsync("""
            create("rt-fail", {"app.py": PY}, Timeout=1)
            out["error"] = invoke("rt-fail", {"action": "fail", "why": "no id"})
            out["timeout"] = invoke("rt-fail", {"action": "sleep", "seconds": 5}, LogType="Tail")
            out["after_timeout"] = invoke("rt-fail", {"action": "count"})
            out["crash"] = invoke("rt-fail", {"action": "crash"})
            out["after_crash"] = invoke("rt-fail", {"action": "count"})
            create("rt-spam", {"app.py": PY}, Timeout=30)
            out["spam"] = invoke("rt-spam", {"action": "spam"}, LogType="Tail")
            out["spam_log_bytes"] = len(out["spam"]["log"].encode())
            out["huge"] = invoke("rt-spam", {"action": "huge"})
            out["after_huge"] = invoke("rt-spam", {"action": "count"})
            create("rt-import", {"app.py": "import not_installed_module\n"})
            out["import"] = invoke("rt-import", {})
            create("rt-no-handler", {"app.py": "x = 1\n"})
            out["no_handler"] = invoke("rt-no-handler", {})
            out["image"] = error(lam.create_function, FunctionName="rt-image", PackageType="Image", Role=role(),
                Code={"ImageUri": "000000000000.dkr.ecr.us-east-1.amazonaws.com/seed:latest"})
            """);

        var failed = result["error"]!;
        Assert.Equal(200, failed["status"]!.GetValue<int>());
        Assert.Equal("Unhandled", failed["error"]!.GetValue<string>());
        Assert.Equal("ValueError", failed["payload"]!["errorType"]!.GetValue<string>());
        Assert.Equal("bad input: no id", failed["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.True(failed["payload"]!["stackTrace"]!.AsArray().Count > 0);

        var timedOut = result["timeout"]!;
        Assert.Equal("Unhandled", timedOut["error"]!.GetValue<string>());
        Assert.Contains("Task timed out after 1.00 seconds", timedOut["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.Contains("Task timed out after 1.00 seconds", timedOut["log"]!.GetValue<string>());
        Assert.Null(result["after_timeout"]!["error"]);
        Assert.Equal(1, result["after_timeout"]!["payload"]!["count"]!.GetValue<int>());

        var crash = result["crash"]!;
        Assert.Equal("Unhandled", crash["error"]!.GetValue<string>());
        Assert.Equal("Runtime.ExitError", crash["payload"]!["errorType"]!.GetValue<string>());
        Assert.Contains("Runtime exited with error: exit status 3", crash["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.Equal(1, result["after_crash"]!["payload"]!["count"]!.GetValue<int>());

        Assert.Null(result["spam"]!["error"]);
        Assert.Equal(4096, result["spam_log_bytes"]!.GetValue<int>());
        Assert.Contains("REPORT RequestId:", result["spam"]!["log"]!.GetValue<string>());
        Assert.Equal("Unhandled", result["huge"]!["error"]!.GetValue<string>());
        Assert.Equal("Function.ResponseSizeTooLarge", result["huge"]!["payload"]!["errorType"]!.GetValue<string>());
        Assert.Null(result["after_huge"]!["error"]);

        Assert.Equal("Runtime.ImportModuleError", result["import"]!["payload"]!["errorType"]!.GetValue<string>());
        Assert.Contains("Unable to import module 'app'", result["import"]!["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.Equal("Runtime.HandlerNotFound", result["no_handler"]!["payload"]!["errorType"]!.GetValue<string>());

        // An image that was never pushed is refused at create time, as AWS refuses it.
        Assert.Equal("InvalidParameterValueException", result["image"]!["code"]!.GetValue<string>());
        Assert.Contains("does not exist", result["image"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_and_custom_runtime_functions_answer_over_the_Runtime_API()
    {
        var result = await RunAsync("""
            create("rt-node", {"index.js": "exports.handler = async (event, context) => {\n  console.log('node got', JSON.stringify(event));\n  if (event.fail) throw new TypeError('node failed');\n  return { echo: event, name: context.functionName, left: context.getRemainingTimeInMillis() > 0, node: process.version };\n};\n"},
                   runtime="nodejs20.x", handler="index.handler")
            out["node"] = invoke("rt-node", {"x": 1}, LogType="Tail")
            out["node_error"] = invoke("rt-node", {"fail": True})
            create("rt-esm", {"app.mjs": "export const handler = async (event) => ({ esm: event.n * 2 });\n"}, runtime="nodejs22.x", handler="app.handler")
            out["esm"] = invoke("rt-esm", {"n": 21})
            bootstrap = '''#!/bin/sh
            set -eu
            while true; do
              HEADERS="$(mktemp)"
              EVENT="$(curl -sS -D "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")"
              REQUEST_ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d: -f2 | tr -d '[:space:]')"
              echo "shell handling $REQUEST_ID"
              curl -sS -o /dev/null -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "{\\"shell\\": $EVENT, \\"handler\\": \\"$_HANDLER\\"}"
            done
            '''
            create("rt-shell", {"bootstrap": bootstrap}, runtime="provided.al2023", handler="function.handler", executable=("bootstrap",))
            out["shell"] = invoke("rt-shell", {"y": 2}, LogType="Tail")
            out["shell_warm"] = invoke("rt-shell", {"y": 3})
            create("rt-no-bootstrap", {"readme.txt": "nothing"}, runtime="provided.al2", handler="x")
            out["no_bootstrap"] = invoke("rt-no-bootstrap", {})
            """);

        var node = result["node"]!;
        Assert.Null(node["error"]);
        Assert.Equal("""{"x":1}""", node["payload"]!["echo"]!.ToJsonString());
        Assert.Equal("rt-node", node["payload"]!["name"]!.GetValue<string>());
        Assert.True(node["payload"]!["left"]!.GetValue<bool>());
        Assert.Contains("node got {\"x\":1}", node["log"]!.GetValue<string>());
        Assert.Equal("Unhandled", result["node_error"]!["error"]!.GetValue<string>());
        Assert.Equal("TypeError", result["node_error"]!["payload"]!["errorType"]!.GetValue<string>());
        Assert.Equal("node failed", result["node_error"]!["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.Equal(42, result["esm"]!["payload"]!["esm"]!.GetValue<int>());

        var shell = result["shell"]!;
        Assert.Null(shell["error"]);
        Assert.Equal("""{"y":2}""", shell["payload"]!["shell"]!.ToJsonString());
        Assert.Equal("function.handler", shell["payload"]!["handler"]!.GetValue<string>());
        Assert.Contains("shell handling", shell["log"]!.GetValue<string>());
        Assert.Equal("""{"y":3}""", result["shell_warm"]!["payload"]!["shell"]!.ToJsonString());
        Assert.Equal("Runtime.InvalidEntrypoint", result["no_bootstrap"]!["payload"]!["errorType"]!.GetValue<string>());
        Assert.Contains("Couldn't find valid bootstrap(s)", result["no_bootstrap"]!["payload"]!["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrency_scales_out_and_throttles_past_reserved_concurrency()
    {
        var result = await RunAsync("""
            from concurrent.futures import ThreadPoolExecutor
            create("rt-scale", {"app.py": PY}, Timeout=10)
            with ThreadPoolExecutor(3) as pool:
                runs = list(pool.map(lambda _: invoke("rt-scale", {"action": "sleep", "seconds": 1.5}), range(3)))
            out["instances"] = len({r["payload"]["instance"] for r in runs})

            create("rt-reserved", {"app.py": PY}, Timeout=10)
            lam.put_function_concurrency(FunctionName="rt-reserved", ReservedConcurrentExecutions=1)
            def attempt(_):
                try:
                    return invoke("rt-reserved", {"action": "sleep", "seconds": 1.5})["status"]
                except botocore.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response.get("Reason"), e.response["Error"]["Message"]]
            with ThreadPoolExecutor(3) as pool:
                outcomes = list(pool.map(attempt, range(3)))
            out["reserved_ok"] = outcomes.count(200)
            out["throttled"] = [o for o in outcomes if o != 200]
            lam.put_function_concurrency(FunctionName="rt-reserved", ReservedConcurrentExecutions=0)
            out["zero"] = error(lam.invoke, FunctionName="rt-reserved", Payload=b"{}")
            """);

        Assert.Equal(3, result["instances"]!.GetValue<int>());
        Assert.Equal(1, result["reserved_ok"]!.GetValue<int>());
        var throttled = result["throttled"]!.AsArray();
        Assert.Equal(2, throttled.Count);
        foreach (var t in throttled)
            Assert.Equal("""["TooManyRequestsException",429,"ReservedFunctionConcurrentInvocationLimitExceeded","Rate Exceeded."]""", t!.ToJsonString());
        Assert.Equal("TooManyRequestsException", result["zero"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Idle_environments_are_recycled()
    {
        var result = await RunAsync("""
            create("rt-idle", {"app.py": PY})
            first = invoke("rt-idle", {"action": "count"})["payload"]
            time.sleep(4.5)
            second = invoke("rt-idle", {"action": "count"})["payload"]
            out["same_instance"] = first["instance"] == second["instance"]
            out["second_count"] = second["count"]
            """);

        Assert.False(result["same_instance"]!.GetValue<bool>());
        Assert.Equal(1, result["second_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Event_invokes_are_queued_and_retried_twice_after_errors()
    {
        var result = await RunAsync("""
            import http.server, threading
            hits = {"ok": 0, "failing": 0}
            class Counter(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers["Content-Length"]))
                    hits[self.path.strip("/")] += 1
                    self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
                def log_message(self, *a):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{server.server_address[1]}"
            create("rt-event", {"app.py": PY}, Timeout=5)
            ok = lam.invoke(FunctionName="rt-event", InvocationType="Event", Payload=json.dumps({"action": "notify", "url": base + "/ok"}))
            failing = lam.invoke(FunctionName="rt-event", InvocationType="Event", Payload=json.dumps({"action": "notify", "url": base + "/failing", "fail": True}))
            legacy = lam.invoke_async(FunctionName="rt-event", InvokeArgs=json.dumps({"action": "notify", "url": base + "/ok"}))
            out["statuses"] = [ok["StatusCode"], failing["StatusCode"], legacy["Status"]]
            out["too_large"] = error(lam.invoke, FunctionName="rt-event", InvocationType="Event", Payload=json.dumps({"x": "a" * 300000}))
            deadline = time.time() + 20
            while time.time() < deadline and hits["failing"] < 3:
                time.sleep(0.2)
            time.sleep(5)
            out["hits"] = hits
            """);

        Assert.Equal("[202,202,202]", result["statuses"]!.ToJsonString());
        Assert.Equal("RequestTooLargeException", result["too_large"]!["code"]!.GetValue<string>());
        Assert.Equal(2, result["hits"]!["ok"]!.GetValue<int>());
        Assert.Equal(3, result["hits"]!["failing"]!.GetValue<int>());
    }
}
