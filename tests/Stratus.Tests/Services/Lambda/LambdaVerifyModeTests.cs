using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>With signatures checked, a function's own SDK calls are signed with its role's session and accepted.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaVerifyModeTests
{
    [Fact]
    public async Task Function_calls_back_into_a_verifying_Stratus_as_its_role()
    {
        await using var server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", "test:test");
        var result = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + """
            create("verified", {"app.py": "import boto3\ndef handler(e, c):\n    return boto3.client('sts').get_caller_identity()['Arn']\n"}, runtime="python3.11", Timeout=30)
            out["arn"] = invoke("verified")
            out["forged"] = error(client("lambda", key="AKIAFORGED", secret="nope").list_functions)
            """);

        Assert.Null(result["arn"]!["error"]);
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/lambda-role/verified", result["arn"]!["payload"]!.GetValue<string>());
        Assert.Equal("InvalidClientTokenId", result["forged"]!["code"]!.GetValue<string>());
    }
}
