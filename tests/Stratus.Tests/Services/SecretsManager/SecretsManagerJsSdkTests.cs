using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>Secrets Manager through the AWS SDK for JavaScript v3 (tests/js).</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SecretsManagerJsSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Js_sdk_creates_versions_reads_and_lists_secrets()
    {
        var js = Path.Combine(RepoPaths.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "@aws-sdk", "client-secrets-manager")),
            "The JavaScript SDK is not installed: run `npm install --prefix tests/js --no-package-lock` (test.sh does).");

        var run = await Clients.RunAsync("node", [Path.Combine(js, "secrets-manager-sdk.mjs")], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());

        var seen = JsonNode.Parse(run.Stdout.Trim().Split('\n')[^1])!;
        Assert.True((bool)seen["arnSuffix"]!);
        Assert.Equal("second-js-value", (string?)seen["current"]);
        Assert.Equal("first-js-value", (string?)seen["previous"]);
        Assert.Equal("""["AWSCURRENT"]""", seen["stages"]!.ToJsonString());
        Assert.Equal("[0,1,2,250,255]", seen["binary"]!.ToJsonString());
        Assert.True((bool)seen["created"]!);
        Assert.Equal("""["AWSCURRENT","AWSPREVIOUS"]""", seen["describedStages"]!.ToJsonString());
        Assert.Equal("""["js/binary","js/sdk-secret"]""", seen["names"]!.ToJsonString());
        Assert.Equal(20, (int)seen["passwordLength"]!);
        Assert.True((bool)seen["passwordAlphanumeric"]!);
        Assert.Equal("ResourceNotFoundException", (string?)seen["error"]!["name"]);
        Assert.Equal("Secrets Manager can't find the specified secret.", (string?)seen["error"]!["message"]);
        Assert.Equal(400, (int)seen["error"]!["status"]!);
    }
}
