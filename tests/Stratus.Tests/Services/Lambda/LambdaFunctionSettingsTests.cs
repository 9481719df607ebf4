using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// CreateFunction and UpdateFunctionConfiguration members beyond code and size, through boto3: LoggingConfig applied to the
/// function's logs and to the runtimes' formats, TracingConfig and SnapStart recorded and reported as given, KMSKeyArn checked
/// with KMS, drift of each, and the members for features Stratus does not serve refused by name instead of ignored.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaFunctionSettingsTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + script);

    [Fact]
    public async Task LoggingConfig_sends_JSON_records_to_its_log_group_filtered_by_level()
    {
        var result = await RunAsync("""
            logs = client("logs")
            code = {"app.py": "import logging\nlog = logging.getLogger('app')\ndef handler(event, context):\n    log.debug('hidden debug')\n    log.info('shown info')\n    log.warning('shown warning')\n    print('plain line')\n    print(json.dumps({'level': 'DEBUG', 'message': 'own debug record'}))\n    return 'ok'\nimport json\n"}
            created = create("logged-json", code, LoggingConfig={"LogFormat": "JSON", "LogGroup": "shared/app-logs"})
            out["created"] = created["LoggingConfig"]
            out["text_levels"] = error(create, "logged-text", code, LoggingConfig={"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"})
            out["bad_format"] = error(create, "logged-bad", code, LoggingConfig={"LogFormat": "Yaml"})
            out["invoke"] = invoke("logged-json")["payload"]
            messages = []
            deadline = time.time() + 60
            while not any('platform.report' in m for m in messages) and time.time() < deadline:
                time.sleep(1)
                try:
                    events = logs.filter_log_events(logGroupName="shared/app-logs")["events"]
                except logs.exceptions.ResourceNotFoundException:
                    events = []
                messages = [e["message"] for e in events]
            out["messages"] = messages
            out["streams"] = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="shared/app-logs")["logStreams"]]
            try:
                out["default_group_events"] = len(logs.filter_log_events(logGroupName="/aws/lambda/logged-json")["events"])
            except logs.exceptions.ResourceNotFoundException:
                out["default_group_events"] = 0
            out["warn"] = lam.update_function_configuration(FunctionName="logged-json", LoggingConfig={"SystemLogLevel": "WARN"})["LoggingConfig"]
            out["listed"] = [f["LoggingConfig"] for f in lam.list_functions()["Functions"] if f["FunctionName"] == "logged-json"]
            out["to_text"] = lam.update_function_configuration(FunctionName="logged-json", LoggingConfig={"LogFormat": "Text", "LogGroup": "/aws/lambda/logged-json"})["LoggingConfig"]
            out["got"] = lam.get_function_configuration(FunctionName="logged-json")["LoggingConfig"]
            """);

        Assert.Equal("""{"LogFormat":"JSON","ApplicationLogLevel":"INFO","SystemLogLevel":"INFO","LogGroup":"shared/app-logs"}""", result["created"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["text_levels"]!["code"]!.GetValue<string>());
        Assert.Contains("LogLevel is not supported when LogFormat is set to \"Text\"", result["text_levels"]!["message"]!.GetValue<string>());
        Assert.Equal("ValidationException", result["bad_format"]!["code"]!.GetValue<string>());
        Assert.Equal("ok", result["invoke"]!.GetValue<string>());

        var messages = result["messages"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        var start = JsonNode.Parse(messages.Single(m => m.Contains("\"platform.start\"", StringComparison.Ordinal)))!;
        Assert.Equal("$LATEST", start["record"]!["version"]!.GetValue<string>());
        var report = JsonNode.Parse(messages.Single(m => m.Contains("\"platform.report\"", StringComparison.Ordinal)))!;
        Assert.Equal("success", report["record"]!["status"]!.GetValue<string>());
        Assert.Equal(128, report["record"]!["metrics"]!["memorySizeMB"]!.GetValue<int>());
        Assert.Equal(start["record"]!["requestId"]!.GetValue<string>(), report["record"]!["requestId"]!.GetValue<string>());
        Assert.DoesNotContain(messages, m => m.StartsWith("START ", StringComparison.Ordinal) || m.StartsWith("END ", StringComparison.Ordinal));
        // The runtime wrote Python logging as JSON records at INFO (AWS_LAMBDA_LOG_LEVEL); its DEBUG record never left it.
        var info = JsonNode.Parse(messages.Single(m => m.Contains("shown info", StringComparison.Ordinal)))!;
        Assert.Equal("INFO", info["level"]!.GetValue<string>());
        Assert.Equal("app", info["logger"]!.GetValue<string>());
        Assert.Equal(start["record"]!["requestId"]!.GetValue<string>(), info["requestId"]!.GetValue<string>());
        Assert.Equal("WARN", JsonNode.Parse(messages.Single(m => m.Contains("shown warning", StringComparison.Ordinal)))!["level"]!.GetValue<string>());
        Assert.DoesNotContain(messages, m => m.Contains("hidden debug", StringComparison.Ordinal));
        // Lambda filters the function's own JSON records by their level too; plain lines pass.
        Assert.DoesNotContain(messages, m => m.Contains("own debug record", StringComparison.Ordinal));
        Assert.Contains("plain line", messages);
        // A custom group's streams carry the function's name, as AWS names them; nothing went to the default group.
        Assert.All(result["streams"]!.AsArray(), s => Assert.Contains("/logged-json[$LATEST]", s!.GetValue<string>()));
        Assert.Equal(0, result["default_group_events"]!.GetValue<int>());

        Assert.Equal("""{"LogFormat":"JSON","ApplicationLogLevel":"INFO","SystemLogLevel":"WARN","LogGroup":"shared/app-logs"}""", result["warn"]!.ToJsonString());
        Assert.Equal(result["warn"]!.ToJsonString(), result["listed"]![0]!.ToJsonString());
        Assert.Equal("""{"LogFormat":"Text","LogGroup":"/aws/lambda/logged-json"}""", result["to_text"]!.ToJsonString());
        Assert.Equal(result["to_text"]!.ToJsonString(), result["got"]!.ToJsonString());
    }

    [Fact]
    public async Task Tracing_KMS_key_and_SnapStart_are_reported_as_set_and_unserved_members_are_refused()
    {
        var result = await RunAsync("""
            code = {"app.py": "def handler(event, context):\n    return 1\n"}
            key = client("kms").create_key()["KeyMetadata"]["Arn"]
            out["key"] = key
            created = create("configured", code, TracingConfig={"Mode": "Active"}, KMSKeyArn=key, SnapStart={"ApplyOn": "PublishedVersions"},
                             DeadLetterConfig={})
            out["created"] = {k: created.get(k) for k in ["TracingConfig", "KMSKeyArn", "SnapStart"]}
            got = lam.get_function_configuration(FunctionName="configured")
            out["got"] = {k: got.get(k) for k in ["TracingConfig", "KMSKeyArn", "SnapStart"]}
            updated = lam.update_function_configuration(FunctionName="configured", TracingConfig={"Mode": "PassThrough"}, KMSKeyArn="",
                                                        SnapStart={"ApplyOn": "None"}, DeadLetterConfig={"TargetArn": ""})
            out["updated"] = {k: updated.get(k) for k in ["TracingConfig", "KMSKeyArn", "SnapStart"]}
            out["snapstart_runtime"] = error(create, "snap-old", code, runtime="python3.11", SnapStart={"ApplyOn": "PublishedVersions"})
            out["dead_letter"] = error(lam.update_function_configuration, FunctionName="configured",
                                       DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"})
            out["file_systems"] = error(lam.update_function_configuration, FunctionName="configured",
                                        FileSystemConfigs=[{"Arn": "arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-0123456789abcdef0", "LocalMountPath": "/mnt/efs"}])
            out["tenancy"] = error(create, "tenanted", code, TenancyConfig={"TenantIsolationMode": "PER_TENANT"})
            out["tenanted_exists"] = "ResourceNotFoundException" == (error(lam.get_function, FunctionName="tenanted") or {}).get("code")
            """);

        Assert.Equal($$$"""{"TracingConfig":{"Mode":"Active"},"KMSKeyArn":"{{{result["key"]}}}","SnapStart":{"ApplyOn":"PublishedVersions","OptimizationStatus":"Off"}}""",
            result["created"]!.ToJsonString());
        Assert.Equal(result["created"]!.ToJsonString(), result["got"]!.ToJsonString());
        Assert.Equal("""{"TracingConfig":{"Mode":"PassThrough"},"KMSKeyArn":null,"SnapStart":{"ApplyOn":"None","OptimizationStatus":"Off"}}""", result["updated"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["snapstart_runtime"]!["code"]!.GetValue<string>());
        Assert.Contains("python3.11", result["snapstart_runtime"]!["message"]!.GetValue<string>());
        foreach (var (refused, member) in new[] { ("dead_letter", "DeadLetterConfig"), ("file_systems", "FileSystemConfigs"), ("tenancy", "TenancyConfig") })
        {
            Assert.Equal("InvalidParameterValueException", result[refused]!["code"]!.GetValue<string>());
            Assert.Contains(member, result[refused]!["message"]!.GetValue<string>());
        }
        Assert.True(result["tenanted_exists"]!.GetValue<bool>());
    }

    [Fact]
    public async Task KMS_key_is_checked_when_set_and_before_each_invoke_and_a_named_code_signing_config_must_exist()
    {
        var result = await RunAsync("""
            kms = client("kms")
            key = kms.create_key()["KeyMetadata"]["Arn"]
            logs = client("logs")
            code = {"app.py": "import os, json\ndef handler(event, context):\n    print('got', json.dumps(event))\n    return os.environ['SECRET']\n"}
            def ran_queued():
                try:
                    return any('got {"queued": 1}' in e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/kms-fn")["events"])
                except logs.exceptions.ResourceNotFoundException:
                    return False
            variables = {"Variables": {"SECRET": "under-key"}}
            missing = key.split(":key/")[0] + ":key/11111111-2222-3333-4444-555555555555"
            out["missing"] = error(create, "kms-missing", code, KMSKeyArn=missing, Environment=variables, Timeout=30)
            out["alias"] = error(create, "kms-alias", code, KMSKeyArn=key.split(":key/")[0] + ":alias/aws/lambda", Environment=variables, Timeout=30)
            create("kms-fn", code, KMSKeyArn=key, Environment=variables, Timeout=30)
            create("kms-no-variables", {"app.py": "def handler(event, context):\n    return 'plain'\n"}, KMSKeyArn=key, Timeout=30)
            out["enabled"] = invoke("kms-fn")["payload"]
            kms.disable_key(KeyId=key)
            out["disabled"] = error(lam.invoke, FunctionName="kms-fn", Payload=b"{}")
            out["queued"] = lam.invoke(FunctionName="kms-fn", InvocationType="Event", Payload=b'{"queued": 1}')["StatusCode"]
            time.sleep(4)
            out["held"] = not ran_queued()
            out["no_variables"] = invoke("kms-no-variables")["payload"]
            out["update_disabled"] = lam.update_function_configuration(FunctionName="kms-fn", KMSKeyArn=key)["KMSKeyArn"] == key
            lam.get_waiter("function_updated_v2").wait(FunctionName="kms-fn")
            kms.enable_key(KeyId=key)
            out["reenabled"] = invoke("kms-fn")["payload"]
            deadline = time.time() + 60
            while not ran_queued() and time.time() < deadline:
                time.sleep(1)
            out["queued_ran"] = ran_queued()
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
            out["pending"] = error(lam.invoke, FunctionName="kms-fn", Payload=b"{}")
            out["update_pending"] = error(lam.update_function_configuration, FunctionName="kms-fn", KMSKeyArn=key)
            out["signing"] = error(create, "csc-fn", code, Timeout=30,
                                   CodeSigningConfigArn="arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdef0")
            out["signing_made"] = error(lam.get_function, FunctionName="csc-fn")["code"]
            """);

        foreach (var (refused, kmsCode) in new[] { ("missing", "NotFoundException"), ("alias", "NotFoundException"), ("update_pending", "KMSInvalidStateException") })
        {
            Assert.Equal("InvalidParameterValueException", result[refused]!["code"]!.GetValue<string>());
            Assert.StartsWith("Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant.",
                result[refused]!["message"]!.GetValue<string>());
            Assert.Contains($"KMS Exception: {kmsCode} KMS Message:", result[refused]!["message"]!.GetValue<string>());
        }
        Assert.Equal("under-key", result["enabled"]!.GetValue<string>());
        Assert.Equal("KMSDisabledException", result["disabled"]!["code"]!.GetValue<string>());
        Assert.Equal(502, result["disabled"]!["status"]!.GetValue<int>());
        Assert.Contains("because the KMS key used is disabled", result["disabled"]!["message"]!.GetValue<string>());
        // An Event invoke is accepted; the key's failure is a system error, so the event waits in the queue and runs once the key is enabled.
        Assert.Equal(202, result["queued"]!.GetValue<int>());
        Assert.True(result["held"]!.GetValue<bool>());
        Assert.True(result["queued_ran"]!.GetValue<bool>());
        // Nothing to decrypt, nothing to fail; a disabled key still takes a grant, as KMS's CreateGrant allows.
        Assert.Equal("plain", result["no_variables"]!.GetValue<string>());
        Assert.True(result["update_disabled"]!.GetValue<bool>());
        Assert.Equal("under-key", result["reenabled"]!.GetValue<string>());
        Assert.Equal("KMSInvalidStateException", result["pending"]!["code"]!.GetValue<string>());
        Assert.Equal(502, result["pending"]!["status"]!.GetValue<int>());
        Assert.Equal("CodeSigningConfigNotFoundException", result["signing"]!["code"]!.GetValue<string>());
        Assert.Equal(404, result["signing"]!["status"]!.GetValue<int>());
        Assert.Equal("ResourceNotFoundException", result["signing_made"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_and_Python_runtimes_format_their_logs_as_AWSs_in_both_log_formats()
    {
        var result = await RunAsync("""
            logs = client("logs")
            node = {"index.js": "exports.handler = async () => {\n  console.debug('node debug');\n  console.log('node info', {a: 1});\n  console.warn('node warning');\n  console.error(new Error('node boom'));\n  return 'ok';\n};\n"}
            create("log-node-json", node, runtime="nodejs20.x", handler="index.handler", Timeout=30, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"})
            create("log-node-text", node, runtime="nodejs20.x", handler="index.handler", Timeout=30)
            py = {"app.py": "import logging\nlog = logging.getLogger('app')\ndef handler(event, context):\n    log.info('py info')\n    log.warning('py warning')\n    return 'ok'\n"}
            create("log-py-text", py, Timeout=30)
            out["answers"] = [invoke(name)["payload"] for name in ["log-node-json", "log-node-text", "log-py-text"]]
            def messages(name, last):
                deadline = time.time() + 60
                found = []
                while not any(last in m for m in found) and time.time() < deadline:
                    time.sleep(1)
                    try:
                        found = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/" + name)["events"]]
                    except logs.exceptions.ResourceNotFoundException:
                        found = []
                return found
            out["node_json"] = messages("log-node-json", "platform.report")
            out["node_text"] = messages("log-node-text", "REPORT RequestId")
            out["py_text"] = messages("log-py-text", "REPORT RequestId")
            """);

        Assert.Equal("""["ok","ok","ok"]""", result["answers"]!.ToJsonString());
        static List<string> Lines(JsonNode? node) => node!.AsArray().Select(m => m!.GetValue<string>().TrimEnd('\n')).ToList();

        var nodeJson = Lines(result["node_json"]);
        var requestId = JsonNode.Parse(nodeJson.Single(m => m.Contains("\"platform.start\"", StringComparison.Ordinal)))!["record"]!["requestId"]!.GetValue<string>();
        var info = JsonNode.Parse(nodeJson.Single(m => m.Contains("node info", StringComparison.Ordinal)))!.AsObject();
        Assert.Equal(["timestamp", "level", "requestId", "message"], info.Select(p => p.Key));
        Assert.Equal("INFO", info["level"]!.GetValue<string>());
        Assert.Equal(requestId, info["requestId"]!.GetValue<string>());
        Assert.Equal("node info { a: 1 }", info["message"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", info["timestamp"]!.GetValue<string>());
        Assert.Equal("WARN", JsonNode.Parse(nodeJson.Single(m => m.Contains("node warning", StringComparison.Ordinal)))!["level"]!.GetValue<string>());
        var error = JsonNode.Parse(nodeJson.Single(m => m.Contains("node boom", StringComparison.Ordinal) && m.Contains("\"level\":\"ERROR\"", StringComparison.Ordinal)))!;
        Assert.Equal("Error", error["errorType"]!.GetValue<string>());
        Assert.Equal("node boom", error["errorMessage"]!.GetValue<string>());
        Assert.NotEmpty(error["stackTrace"]!.AsArray());
        // ApplicationLogLevel INFO: console.debug wrote nothing.
        Assert.DoesNotContain(nodeJson, m => m.Contains("node debug", StringComparison.Ordinal));

        var nodeText = Lines(result["node_text"]);
        var textRequestId = nodeText.Single(m => m.StartsWith("START RequestId: ", StringComparison.Ordinal)).Split(' ')[2];
        Assert.Matches($@"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{textRequestId}\tINFO\tnode info {{ a: 1 }}$", nodeText.Single(m => m.Contains("node info", StringComparison.Ordinal)));
        Assert.EndsWith($"\t{textRequestId}\tDEBUG\tnode debug", nodeText.Single(m => m.Contains("node debug", StringComparison.Ordinal)));
        Assert.EndsWith($"\t{textRequestId}\tWARN\tnode warning", nodeText.Single(m => m.Contains("node warning", StringComparison.Ordinal)));

        var pyText = Lines(result["py_text"]);
        var pyRequestId = pyText.Single(m => m.StartsWith("START RequestId: ", StringComparison.Ordinal)).Split(' ')[2];
        Assert.Matches($@"^\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{pyRequestId}\tpy warning$", pyText.Single(m => m.Contains("py warning", StringComparison.Ordinal)));
        // The root logger stays at Python's WARNING, as AWS's runtime leaves it with the Text format.
        Assert.DoesNotContain(pyText, m => m.Contains("py info", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Drift_detection_compares_logging_tracing_storage_SnapStart_and_the_KMS_key()
    {
        var result = await RunAsync("""
            cfn = client("cloudformation")
            key = client("kms").create_key()["KeyMetadata"]["Arn"]
            cfn.create_stack(StackName="fn-drift", TemplateBody=json.dumps({"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "fn-drift", "Runtime": "python3.12", "Handler": "index.handler", "Role": role(), "Timeout": 30,
                "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}, "LoggingConfig": {"LogFormat": "JSON"},
                "TracingConfig": {"Mode": "Active"}, "EphemeralStorage": {"Size": 512}, "SnapStart": {"ApplyOn": "PublishedVersions"},
                "KmsKeyArn": key}}}}))
            cfn.get_waiter("stack_create_complete").wait(StackName="fn-drift", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            def detect():
                detection = cfn.detect_stack_drift(StackName="fn-drift")["StackDriftDetectionId"]
                cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
                drift = cfn.describe_stack_resource_drifts(StackName="fn-drift")["StackResourceDrifts"][0]
                return drift["StackResourceDriftStatus"], sorted([d["PropertyPath"], d["ExpectedValue"], d["ActualValue"], d["DifferenceType"]]
                    for d in drift["PropertyDifferences"])
            out["in_sync"] = detect()
            lam.update_function_configuration(FunctionName="fn-drift", LoggingConfig={"LogFormat": "Text"}, TracingConfig={"Mode": "PassThrough"},
                                              EphemeralStorage={"Size": 1024}, SnapStart={"ApplyOn": "None"}, KMSKeyArn="")
            out["drifted"] = detect()
            out["key"] = key
            cfn.delete_stack(StackName="fn-drift")
            cfn.get_waiter("stack_delete_complete").wait(StackName="fn-drift", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);

        Assert.Equal("""["IN_SYNC",[]]""", result["in_sync"]!.ToJsonString());
        Assert.Equal($$"""["MODIFIED",[["/EphemeralStorage/Size","512","1024","NOT_EQUAL"],["/KmsKeyArn","{{result["key"]}}","null","REMOVE"],["/LoggingConfig/LogFormat","JSON","Text","NOT_EQUAL"],["/SnapStart/ApplyOn","PublishedVersions","None","NOT_EQUAL"],["/TracingConfig/Mode","Active","PassThrough","NOT_EQUAL"]]]""",
            result["drifted"]!.ToJsonString());
    }

    [Fact]
    public async Task CloudFormation_function_carries_LoggingConfig_and_TracingConfig()
    {
        var result = await RunAsync("""
            cfn = client("cloudformation")
            def template(logging):
                return json.dumps({"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                    "FunctionName": "cfn-logged", "Runtime": "python3.12", "Handler": "index.handler", "Role": role(),
                    "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}, "TracingConfig": {"Mode": "Active"},
                    "LoggingConfig": logging}}}})
            cfn.create_stack(StackName="cfn-logged", TemplateBody=template({"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "LogGroup": "cfn/logs"}))
            cfn.get_waiter("stack_create_complete").wait(StackName="cfn-logged", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            got = lam.get_function_configuration(FunctionName="cfn-logged")
            out["created"] = [got["LoggingConfig"], got["TracingConfig"]]
            cfn.update_stack(StackName="cfn-logged", TemplateBody=template({"LogFormat": "Text"}))
            cfn.get_waiter("stack_update_complete").wait(StackName="cfn-logged", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["updated"] = lam.get_function_configuration(FunctionName="cfn-logged")["LoggingConfig"]
            cfn.delete_stack(StackName="cfn-logged")
            cfn.get_waiter("stack_delete_complete").wait(StackName="cfn-logged", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);

        Assert.Equal("""[{"LogFormat":"JSON","ApplicationLogLevel":"WARN","SystemLogLevel":"INFO","LogGroup":"cfn/logs"},{"Mode":"Active"}]""", result["created"]!.ToJsonString());
        // A template's LoggingConfig is the whole setting: the group it leaves out is the default again.
        Assert.Equal("""{"LogFormat":"Text","LogGroup":"/aws/lambda/cfn-logged"}""", result["updated"]!.ToJsonString());
    }
}
