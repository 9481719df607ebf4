using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>Secrets Manager through the AWS SDK for JavaScript v3 (tests/js).</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SecretsManagerJsSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Js_sdk_creates_versions_reads_and_lists_secrets()
    {
        var seen = await Clients.JsSdkAsync(stratus.Url, "client-secrets-manager", "secrets-manager-sdk.mjs");
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
