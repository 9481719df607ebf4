using System.Diagnostics;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Cli;

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CommandLineTests
{
    private static Task<ProcessResult> Stratus(params string[] args) =>
        Clients.RunAsync("dotnet", [RepoPaths.StratusDll, .. args], "", TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Help_describes_the_commands_and_their_options()
    {
        var help = await Stratus("start", "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var option in new[] { "--port", "--host", "--data-dir", "--ephemeral", "--auth", "--root-key", "STRATUS_PORT", "STRATUS_DATA_DIR" })
            Assert.Contains(option, help.Stdout);

        var root = await Stratus("--help");
        Assert.Contains("start", root.Stdout);
        Assert.Contains("status", root.Stdout);
    }

    [Fact]
    public async Task Status_reports_a_running_server_and_explains_when_none_answers()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var status = await Stratus("status", "--port", server.Port.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("ephemeral", status.Stdout);
        Assert.Matches(@"iam\s+running", status.Stdout);

        await server.StopAsync();
        var down = await Stratus("status", "--port", server.Port.ToString());
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("No Stratus answers", down.Stderr);
    }

    [Fact]
    public async Task Status_and_the_start_banner_list_every_invoke_url_in_both_forms()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await WaitForOutputAsync(server, "Invoke URLs: none yet.");
        var ids = await Clients.Boto3Async(server.Url, Services.Lambda.LambdaScripts.Prelude + """
            ag = client("apigateway")
            rest = ag.create_rest_api(name="shop")["id"]
            root = ag.get_resources(restApiId=rest)["items"][0]["id"]
            ag.put_method(restApiId=rest, resourceId=root, httpMethod="GET", authorizationType="NONE")
            ag.put_integration(restApiId=rest, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            ag.put_method_response(restApiId=rest, resourceId=root, httpMethod="GET", statusCode="200")
            ag.put_integration_response(restApiId=rest, resourceId=root, httpMethod="GET", statusCode="200")
            ag.create_deployment(restApiId=rest, stageName="prod")
            v2 = client("apigatewayv2")
            web = v2.create_api(Name="web", ProtocolType="HTTP")["ApiId"]
            v2.create_stage(ApiId=web, StageName="$default")
            create("url-fn", {"app.py": "def handler(event, context):\n    return 1\n"})
            url = lam.create_function_url_config(FunctionName="url-fn", AuthType="NONE")["FunctionUrl"]
            out.update(rest=rest, web=web, url_id=url.split("//")[1].split(".")[0])
            """);
        string rest = (string)ids["rest"]!, web = (string)ids["web"]!, urlId = (string)ids["url_id"]!;
        var port = server.Port;
        string[] expected =
        [
            $"  REST API shop ({rest}/prod, 000000000000 us-east-1)\n    http://127.0.0.1:{port}/_aws/execute-api/{rest}/prod/\n    http://{rest}.execute-api.localhost:{port}/prod/\n",
            $"  HTTP API web ({web}/$default, 000000000000 us-east-1)\n    http://127.0.0.1:{port}/_aws/execute-api/{web}/\n    http://{web}.execute-api.localhost:{port}/\n",
            $"  function URL url-fn ($LATEST, 000000000000 us-east-1)\n    http://127.0.0.1:{port}/_aws/lambda-url/{urlId}/\n    http://{urlId}.lambda-url.us-east-1.localhost:{port}/\n",
        ];

        var status = await Stratus("status", "--port", port.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Invoke URLs (the first form opens from every client", status.Stdout);
        foreach (var entry in expected) Assert.Contains(entry, status.Stdout);
        // The path form status lists opens with no DNS at all.
        using var http = new HttpClient();
        using var answer = await http.GetAsync($"http://127.0.0.1:{port}/_aws/execute-api/{rest}/prod/");
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);

        // A restarted Stratus names the URLs its data dir already serves in its start banner.
        await server.RestartAsync();
        foreach (var entry in expected) await WaitForOutputAsync(server, entry);
    }

    /// <summary>The banner's lines follow "Stratus ready", which is all the server's start waits for.</summary>
    private static async Task WaitForOutputAsync(StratusProcess server, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!server.Output.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Contains(text, server.Output);
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await server.StopAsync();
        Assert.Contains("Stratus stopped.", server.Output);
    }

    [Fact]
    public async Task A_port_in_use_is_a_clear_error()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var second = await Stratus("start", "--ephemeral", "--port", server.Port.ToString());
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"could not listen on 127.0.0.1:{server.Port}", second.Stderr);
    }

    [Fact]
    public async Task Bad_option_values_are_refused_before_starting()
    {
        var badHost = await Stratus("start", "--ephemeral", "--host", "not-an-address");
        Assert.Equal(1, badHost.ExitCode);
        Assert.Contains("--host must be an IP address", badHost.Stderr);

        var badKey = await Stratus("start", "--ephemeral", "--root-key", "no-colon");
        Assert.Equal(1, badKey.ExitCode);
        Assert.Contains("--root-key must be", badKey.Stderr);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_root_key_comes_from_a_file_or_the_environment_and_the_command_line_is_warned_about()
    {
        const string Script = """
            out["root"] = client("sts", key="AKIAROOTFILE", secret="file-secret").get_caller_identity()["Arn"]
            out["other"] = error(client("sts", key="AKIAOTHER", secret="x").get_caller_identity)
            """;
        var keyFile = Path.Combine(Path.GetTempPath(), $"stratus-root-key-{Guid.NewGuid():N}");
        File.WriteAllText(keyFile, "AKIAROOTFILE:file-secret\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await using (var fromFile = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key-file", keyFile))
            {
                var r = await Clients.Boto3Async(fromFile.Url, Script);
                Assert.Equal("arn:aws:iam::000000000000:root", r["root"]!.GetValue<string>());
                Assert.Equal("InvalidClientTokenId", r["other"]!["code"]!.GetValue<string>());
                Assert.DoesNotContain("warning", fromFile.Output);
            }
            await using (var fromEnvironment = await StratusProcess.StartEphemeralAsync(
                new Dictionary<string, string> { ["STRATUS_ROOT_KEY"] = "AKIAROOTFILE:file-secret" }, "--auth", "verify"))
            {
                var r = await Clients.Boto3Async(fromEnvironment.Url, Script);
                Assert.Equal("arn:aws:iam::000000000000:root", r["root"]!.GetValue<string>());
                Assert.DoesNotContain("warning", fromEnvironment.Output);
            }
            await using (var onCommandLine = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", "AKIAROOTFILE:file-secret"))
                Assert.Contains("--root-key on the command line is visible to every user", onCommandLine.Output);

            var both = await Stratus("start", "--ephemeral", "--root-key", "a:b", "--root-key-file", keyFile);
            Assert.Equal(1, both.ExitCode);
            Assert.Contains("not both", both.Stderr);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }
}
