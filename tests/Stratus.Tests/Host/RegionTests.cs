using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Host;

/// <summary>Requests signed for a region AWS does not have are refused as AWS's endpoints refuse them, in either auth mode.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RegionTests
{
    private const string Script = """
        out["sts"] = error(client("sts", region="eu-west-9").get_caller_identity)
        out["lambda"] = error(client("lambda", region="eu-west-9").list_functions)
        out["logs"] = error(client("logs", region="eu-west-9").describe_log_groups)
        out["china"] = error(client("iam", region="cn-north-1").list_roles)
        out["newest"] = client("lambda", region="mx-central-1").list_functions()["Functions"]
        """;

    [Theory]
    [InlineData("accept")]
    [InlineData("verify")]
    public async Task A_region_that_does_not_exist_is_refused_with_AWS_error(string auth)
    {
        await using var server = await StratusProcess.StartEphemeralAsync(
            new Dictionary<string, string> { ["STRATUS_ROOT_KEY"] = "test:test" }, "--auth", auth);
        var result = await Clients.Boto3Async(server.Url, Script);

        foreach (var (service, code) in new[] { ("sts", "SignatureDoesNotMatch"), ("lambda", "InvalidSignatureException"), ("logs", "InvalidSignatureException") })
        {
            Assert.Equal(code, (string?)result[service]!["code"]);
            Assert.Equal(403, (int)result[service]!["status"]!);
            Assert.Equal("Credential should be scoped to a valid region, not 'eu-west-9'. ", (string?)result[service]!["message"]);
        }
        Assert.Equal("Credential should be scoped to a valid region, not 'cn-north-1'. ", (string?)result["china"]!["message"]);
        Assert.Equal("[]", result["newest"]!.ToJsonString());
    }
}
