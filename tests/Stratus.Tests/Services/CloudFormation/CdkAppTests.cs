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
    private readonly CdkCli _cdk = new(stratus.Url, "CdkApp");

    public void Dispose() => _cdk.Dispose();

    private Task<string> Cdk(params string[] args) => _cdk.RunAsync(args);

    [Fact]
    public async Task Cdk_bootstrap_deploy_redeploy_and_destroy_run_unmodified_against_stratus()
    {
        Assert.True(CdkCli.IsInstalled, CdkCli.InstallHint);

        Assert.Contains("Environment aws://000000000000/us-east-1 bootstrapped", await Cdk("bootstrap", "aws://000000000000/us-east-1"));

        var outputsFile = Path.Combine(_cdk.WorkDir, "outputs.json");
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
