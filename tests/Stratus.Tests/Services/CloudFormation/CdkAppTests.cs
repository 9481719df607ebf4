using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// A real CDK app (CdkApp/: a function whose code is a folder asset behind a LambdaRestApi, a bucket and
/// a parameter) bootstrapped, deployed, deployed again and destroyed by the unmodified CDK CLI from npm
/// (tests/js), pointed at Stratus with the endpoint variables only.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CdkAppTests(StratusFixture stratus) : IClassFixture<StratusFixture>, IDisposable
{
    private static readonly string Js = Path.Combine(RepoPaths.Root, "tests", "js");
    private static readonly string App = Path.Combine(RepoPaths.Root, "tests", "Stratus.Tests", "Services", "CloudFormation", "CdkApp");
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("stratus-cdk-");

    public void Dispose() => _work.Delete(recursive: true);

    private async Task<string> Cdk(params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = stratus.Url,
            ["AWS_REGION"] = "us-east-1",
            ["NODE_PATH"] = Path.Combine(Js, "node_modules"),
            // No calls outside: no version check, notices or telemetry.
            ["CDK_DISABLE_VERSION_CHECK"] = "1",
            ["CDK_DISABLE_CLI_TELEMETRY"] = "true",
            ["CDK_HOME"] = Path.Combine(_work.FullName, "home"),
        };
        var run = await Clients.RunAsync("bash", ["-c", $"cd \"{App}\" && exec \"{Path.Combine(Js, "node_modules", ".bin", "cdk")}\" \"$@\"", "cdk",
                .. args, "--no-notices", "--output", Path.Combine(_work.FullName, "cdk.out")],
            stratus.Url, TimeSpan.FromMinutes(8), environment);
        Assert.True(run.ExitCode == 0, "cdk " + string.Join(' ', args) + " failed:\n" + run);
        return run.Stdout + run.Stderr;
    }

    [Fact]
    public async Task Cdk_bootstrap_deploy_redeploy_and_destroy_run_unmodified_against_stratus()
    {
        Assert.True(File.Exists(Path.Combine(Js, "node_modules", ".bin", "cdk")) && Directory.Exists(Path.Combine(Js, "node_modules", "aws-cdk-lib")),
            "The CDK is not installed: run `npm install --prefix tests/js --no-package-lock` (test.sh does).");

        Assert.Contains("Environment aws://000000000000/us-east-1 bootstrapped", await Cdk("bootstrap", "aws://000000000000/us-east-1"));

        var outputsFile = Path.Combine(_work.FullName, "outputs.json");
        await Cdk("deploy", "--require-approval", "never", "--outputs-file", outputsFile);
        var outputs = JsonNode.Parse(await File.ReadAllTextAsync(outputsFile))!["StratusCdkApp"]!.AsObject();
        var endpoint = outputs.First(o => o.Key.StartsWith("ApiEndpoint", StringComparison.Ordinal)).Value!.GetValue<string>();
        var curl = await Clients.RunAsync("curl", ["-sk", "--noproxy", "*", "--max-time", "60", endpoint + "hello"], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(curl.ExitCode == 0, curl.ToString());
        var answer = JsonNode.Parse(curl.Stdout)!;
        Assert.Equal("/hello", answer["path"]!.GetValue<string>());
        Assert.Equal(outputs["BucketName"]!.GetValue<string>(), answer["bucket"]!.GetValue<string>());
        Assert.Equal("/cdk-app/greeting", answer["parameter"]!.GetValue<string>());

        Assert.Contains("(no changes)", await Cdk("deploy", "--require-approval", "never"));

        Assert.Contains("StratusCdkApp: destroyed", await Cdk("destroy", "--force"));
        var left = await Clients.Boto3Async(stratus.Url, """
            out["stack"] = client("cloudformation").describe_stacks(StackName=[s["StackId"] for s in client("cloudformation").list_stacks()["StackSummaries"]
                                                                              if s["StackName"] == "StratusCdkApp"][0])["Stacks"][0]["StackStatus"]
            out["functions"] = [f["FunctionName"] for f in client("lambda").list_functions()["Functions"]]
            out["apis"] = [a["name"] for a in client("apigateway").get_rest_apis()["items"]]
            out["buckets"] = [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
            out["parameters"] = [p["Name"] for p in client("ssm").describe_parameters()["Parameters"]]
            out["roles"] = [r["RoleName"] for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("StratusCdkApp")]
            """);
        Assert.Equal("DELETE_COMPLETE", left["stack"]!.GetValue<string>());
        Assert.Empty(left["functions"]!.AsArray());
        Assert.Empty(left["apis"]!.AsArray());
        Assert.Empty(left["roles"]!.AsArray());
        // What stays is the bootstrap stack's, as on AWS: its staging bucket and its version parameter.
        Assert.Equal(["cdk-hnb659fds-assets-000000000000-us-east-1"], left["buckets"]!.AsArray().Select(b => b!.GetValue<string>()));
        Assert.Equal(["/cdk-bootstrap/hnb659fds/version"], left["parameters"]!.AsArray().Select(p => p!.GetValue<string>()));
    }
}
