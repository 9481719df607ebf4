using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// CreateFunction and UpdateFunctionConfiguration members beyond code and size, through boto3: LoggingConfig applied to the
/// function's logs, TracingConfig, KMSKeyArn and SnapStart recorded and reported as given, and the members for features
/// Stratus does not serve refused by name instead of ignored.
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
            key = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
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
            out["durable"] = error(lam.update_function_configuration, FunctionName="configured", DurableConfig={"ExecutionTimeout": 60})
            out["tenancy"] = error(create, "tenanted", code, TenancyConfig={"TenantIsolationMode": "PER_TENANT"})
            out["tenanted_exists"] = "ResourceNotFoundException" == (error(lam.get_function, FunctionName="tenanted") or {}).get("code")
            """);

        Assert.Equal("""{"TracingConfig":{"Mode":"Active"},"KMSKeyArn":"arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555","SnapStart":{"ApplyOn":"PublishedVersions","OptimizationStatus":"Off"}}""",
            result["created"]!.ToJsonString());
        Assert.Equal(result["created"]!.ToJsonString(), result["got"]!.ToJsonString());
        Assert.Equal("""{"TracingConfig":{"Mode":"PassThrough"},"KMSKeyArn":null,"SnapStart":{"ApplyOn":"None","OptimizationStatus":"Off"}}""", result["updated"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", result["snapstart_runtime"]!["code"]!.GetValue<string>());
        Assert.Contains("python3.11", result["snapstart_runtime"]!["message"]!.GetValue<string>());
        foreach (var (refused, member) in new[] { ("dead_letter", "DeadLetterConfig"), ("file_systems", "FileSystemConfigs"), ("durable", "DurableConfig"), ("tenancy", "TenancyConfig") })
        {
            Assert.Equal("InvalidParameterValueException", result[refused]!["code"]!.GetValue<string>());
            Assert.Contains(member, result[refused]!["message"]!.GetValue<string>());
        }
        Assert.True(result["tenanted_exists"]!.GetValue<bool>());
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
