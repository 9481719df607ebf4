using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// C# functions on dotnet10/dotnet8: class-library handlers bound through the Stratus runtime host (Stream and POCO,
/// the function's own serializer and ILambdaContext by name, async, errors) and an executable assembly.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaDotnetTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Class_library_and_executable_handlers_run()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + $"""
            library = base64.b64decode("{LambdaPackages.Base64("DotnetFunctions")}")
            executable = base64.b64decode("{LambdaPackages.Base64("ExecutableFunction")}")
            """ + """

            def dotnet(name, handler, code, runtime="dotnet10"):
                lam.create_function(FunctionName=name, Runtime=runtime, Role=role(), Handler=handler, Code={"ZipFile": code}, MemorySize=512, Timeout=30)
            dotnet("cs-echo", "DotnetFunctions::DotnetFunctions.Echo::Handle", library)
            out["echo"] = invoke("cs-echo", raw=b'"hello stream"')
            out["echo_warm"] = invoke("cs-echo", raw=b'"again"')
            dotnet("cs-greet", "DotnetFunctions::DotnetFunctions.Greeter::GreetAsync", library, runtime="dotnet8")
            out["greet"] = invoke("cs-greet", {"name": "Ada"}, LogType="Tail")
            dotnet("cs-fail", "DotnetFunctions::DotnetFunctions.Failing::ThrowAsync", library)
            out["fail"] = invoke("cs-fail", {})
            dotnet("cs-missing", "DotnetFunctions::DotnetFunctions.Nope::Handle", library)
            out["missing_type"] = invoke("cs-missing", {})
            dotnet("cs-exe", "ExecutableFunction", executable)
            out["exe"] = invoke("cs-exe", {"n": 1})

            # .NET functions have run, so a runtime host is started ahead of the next .NET cold start.
            time.sleep(2)
            import datetime
            created = lam.create_function(FunctionName="cs-standby", Runtime="dotnet8", Role=role(), Handler="DotnetFunctions::DotnetFunctions.Facts::Describe",
                                          Code={"ZipFile": library}, MemorySize=512, Timeout=30,
                                          Environment={"Variables": {"GREETING": "a=b; grüße, 你好"}})
            facts = invoke("cs-standby")["payload"]
            out["standby"] = facts
            started = datetime.datetime.fromisoformat(facts["process_started_utc"].replace("Z", "+00:00"))
            out["started_before_create"] = started < datetime.datetime.strptime(created["LastModified"], "%Y-%m-%dT%H:%M:%S.%f%z")
            """);

        Assert.Null(result["echo"]!["error"]);
        Assert.Equal("HELLO STREAM", result["echo"]!["payload"]!.GetValue<string>());
        Assert.Equal("AGAIN", result["echo_warm"]!["payload"]!.GetValue<string>());

        var greet = result["greet"]!;
        Assert.Null(greet["error"]);
        // Snake case proves the function's own [LambdaSerializer] wrote the response, not the host's default.
        Assert.Equal("Hello, Ada", greet["payload"]!["greeting_text"]!.GetValue<string>());
        Assert.Equal("cs-greet", greet["payload"]!["function_name"]!.GetValue<string>());
        Assert.True(greet["payload"]!["has_time_left"]!.GetValue<bool>());
        Assert.Equal(512, greet["payload"]!["memory_limit_in_mb"]!.GetValue<int>());
        Assert.Matches("^[0-9a-f-]{36}$", greet["payload"]!["request_id"]!.GetValue<string>());
        Assert.Contains("greeting Ada", greet["log"]!.GetValue<string>());

        var failed = result["fail"]!;
        Assert.Equal("Unhandled", failed["error"]!.GetValue<string>());
        Assert.Equal("InvalidOperationException", failed["payload"]!["errorType"]!.GetValue<string>());
        Assert.Equal("the order is not valid", failed["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.Contains(failed["payload"]!["stackTrace"]!.AsArray(), line => line!.GetValue<string>().Contains("DotnetFunctions.Failing.ThrowAsync"));

        Assert.Equal("Runtime.TypeNotFound", result["missing_type"]!["payload"]!["errorType"]!.GetValue<string>());

        Assert.True(result["started_before_create"]!.GetValue<bool>(), result["standby"]!.ToJsonString());
        Assert.Equal("cs-standby", result["standby"]!["function_name"]!.GetValue<string>());
        Assert.Equal("AWS_Lambda_dotnet8", result["standby"]!["execution_env"]!.GetValue<string>());
        Assert.Equal("/var/task", result["standby"]!["task_root"]!.GetValue<string>());
        Assert.Equal("a=b; grüße, 你好", result["standby"]!["greeting"]!.GetValue<string>());

        Assert.Null(result["exe"]!["error"]);
        Assert.Equal("""{"executable":true,"received":{"n":1}}""", result["exe"]!["payload"]!.ToJsonString());
    }
}
