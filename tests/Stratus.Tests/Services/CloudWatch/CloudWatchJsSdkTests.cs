using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>CloudWatch through the AWS SDK for JavaScript v3 (tests/js), whose client speaks AWS JSON 1.0.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudWatchJsSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Js_sdk_puts_and_reads_metrics_over_json_1_0_and_gets_cloudwatch_errors()
    {
        var js = Path.Combine(RepoPaths.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "@aws-sdk", "client-cloudwatch")),
            "The JavaScript SDK is not installed: run `npm install --prefix tests/js --no-package-lock` (test.sh does).");

        var run = await Clients.RunAsync("node", [Path.Combine(js, "cloudwatch-json10.mjs")], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());

        var seen = JsonNode.Parse(run.Stdout.Trim().Split('\n')[^1])!;
        Assert.Equal(7, seen["sum"]!.GetValue<double>());
        Assert.Equal(2, seen["samples"]!.GetValue<double>());
        Assert.Equal(4, seen["maximum"]!.GetValue<double>());
        Assert.Equal("""["Hits"]""", seen["metrics"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", seen["error"]!["name"]!.GetValue<string>());
        Assert.Equal(400, seen["error"]!["status"]!.GetValue<int>());
    }
}
