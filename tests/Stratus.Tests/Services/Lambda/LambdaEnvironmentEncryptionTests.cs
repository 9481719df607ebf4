using System.Text;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Environment variables are kept encrypted at rest, as AWS keeps them: under the function's KMSKeyArn, else the AWS managed
/// key aws/lambda (made on first use). The data directory holds no variable's value; Get answers and the function see them
/// in plain text, after a restart too.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaEnvironmentEncryptionTests
{
    private const string DefaultKeyValue = "canary-default-key-4c1f9e";
    private const string OwnKeyValue = "canary-own-key-8b27d3";

    [Fact]
    public async Task Variables_are_stored_as_KMS_ciphertext_and_read_back_in_plain_text_after_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var code = """code = {"app.py": "import os\ndef handler(e, c):\n    return os.environ['SECRET']\n"}""" + "\n";
        var before = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + code + $$$"""
            kms = client("kms")
            out["aliases_before"] = [a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/lambda"]
            made = create("env-default", code, Timeout=30, Environment={"Variables": {"SECRET": "{{{DefaultKeyValue}}}"}})
            out["created"] = made["Environment"]
            key = kms.create_key()["KeyMetadata"]["Arn"]
            create("env-own", code, Timeout=30, KMSKeyArn=key, Environment={"Variables": {"SECRET": "{{{OwnKeyValue}}}"}})
            lam.publish_version(FunctionName="env-own")
            out["got"] = lam.get_function_configuration(FunctionName="env-own", Qualifier="1")["Environment"]
            out["listed"] = [f["Environment"] for f in lam.list_functions()["Functions"] if f["FunctionName"] == "env-default"]
            out["managed_key"] = [a.get("TargetKeyId") is not None for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/lambda"]
            """);

        // Every file under the data directory (the state store and its WAL included) is searched for the values.
        var leaks = Directory.EnumerateFiles(server.DataDir!, "*", SearchOption.AllDirectories)
            .Where(file => ContainsEither(file, DefaultKeyValue, OwnKeyValue)).ToList();

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + """
            out["default"] = invoke("env-default")["payload"]
            out["own"] = invoke("env-own", Qualifier="1")["payload"]
            out["got"] = lam.get_function(FunctionName="env-default")["Configuration"]["Environment"]
            """);

        Assert.Equal("[null]", before["aliases_before"]!.ToJsonString());
        Assert.Equal($$$"""{"Variables":{"SECRET":"{{{DefaultKeyValue}}}"}}""", before["created"]!.ToJsonString());
        Assert.Equal($$$"""{"Variables":{"SECRET":"{{{OwnKeyValue}}}"}}""", before["got"]!.ToJsonString());
        Assert.Equal($$$"""[{"Variables":{"SECRET":"{{{DefaultKeyValue}}}"}}]""", before["listed"]!.ToJsonString());
        Assert.Equal("[true]", before["managed_key"]!.ToJsonString());
        Assert.Empty(leaks);
        Assert.Equal(DefaultKeyValue, after["default"]!.GetValue<string>());
        Assert.Equal(OwnKeyValue, after["own"]!.GetValue<string>());
        Assert.Equal($$$"""{"Variables":{"SECRET":"{{{DefaultKeyValue}}}"}}""", after["got"]!.ToJsonString());
    }

    private static bool ContainsEither(string file, params string[] values)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (IOException)
        {
            return false;
        }
        return values.Any(value => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)) >= 0);
    }
}
