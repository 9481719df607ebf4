using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Kms;

/// <summary>SSM SecureString through KMS: a customer key by alias, AWS's encryption context, a disabled key, and a lost kms-keys.key.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class KmsSsmTests
{
    [Fact]
    public async Task SecureStrings_are_kms_ciphertext_under_their_key_and_an_unusable_key_is_a_4xx_invalid_key_id()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var r = await Clients.Boto3Async(server.Url, """
            kms, ssm = client("kms"), client("ssm")
            kid = kms.create_key(Description="params")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/params", TargetKeyId=kid)
            ssm.put_parameter(Name="/app/db/password", Value="pw-customer-key", Type="SecureString", KeyId="alias/params")
            ssm.put_parameter(Name="/app/api/token", Value="tok-default-key", Type="SecureString")
            ssm.put_parameter(Name="/app/plain", Value="plain-value", Type="String")
            out["customer"] = ssm.get_parameter(Name="/app/db/password", WithDecryption=True)["Parameter"]["Value"]
            out["default"] = ssm.get_parameter(Name="/app/api/token", WithDecryption=True)["Parameter"]["Value"]
            out["key_ids"] = {p["Name"]: p.get("KeyId") for p in ssm.describe_parameters()["Parameters"]}
            # As on AWS, the value without decryption is KMS's ciphertext, bound to the parameter's ARN.
            blob = base64.b64decode(ssm.get_parameter(Name="/app/db/password")["Parameter"]["Value"])
            arn = "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password"
            decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})
            out["kms_decrypt"] = [decrypted["Plaintext"].decode(), decrypted["KeyId"].endswith(kid)]
            out["ssm_key_made"] = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyManager"]
            out["unknown_key"] = error(ssm.put_parameter, Name="/app/x", Value="v", Type="SecureString", KeyId="alias/nothing")
            kms.disable_key(KeyId=kid)
            out["disabled_get"] = error(ssm.get_parameter, Name="/app/db/password", WithDecryption=True)
            out["disabled_put"] = error(ssm.put_parameter, Name="/app/db/password", Value="new", Type="SecureString", KeyId="alias/params", Overwrite=True)
            out["hidden_still"] = ssm.get_parameter(Name="/app/db/password")["Parameter"]["Type"]
            kms.enable_key(KeyId=kid)
            """);

        Assert.Equal("pw-customer-key", (string?)r["customer"]);
        Assert.Equal("tok-default-key", (string?)r["default"]);
        Assert.Equal("""{"/app/api/token":"alias/aws/ssm","/app/db/password":"alias/params","/app/plain":null}""", r["key_ids"]!.ToJsonString());
        Assert.Equal("""["pw-customer-key",true]""", r["kms_decrypt"]!.ToJsonString());
        Assert.Equal("AWS", (string?)r["ssm_key_made"]);
        Assert.Equal("InvalidKeyId", (string?)r["unknown_key"]!["code"]);
        Assert.Contains("NotFoundException", (string?)r["unknown_key"]!["message"]);
        Assert.Equal("InvalidKeyId", (string?)r["disabled_get"]!["code"]);
        Assert.Equal(400, (int)r["disabled_get"]!["status"]!);
        Assert.Contains("DisabledException", (string?)r["disabled_get"]!["message"]);
        Assert.Equal("InvalidKeyId", (string?)r["disabled_put"]!["code"]);
        Assert.Equal("SecureString", (string?)r["hidden_still"]);

        // The key file that seals KMS's key material is lost: the SecureStrings cannot be read, and SSM says so with a 4xx.
        File.Delete(Path.Combine(server.DataDir!, "kms-keys.key"));
        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, """
            ssm = client("ssm")
            out["lost"] = error(ssm.get_parameter, Name="/app/db/password", WithDecryption=True)
            out["lost_default"] = error(ssm.get_parameters, Names=["/app/api/token"], WithDecryption=True)
            out["plain"] = ssm.get_parameter(Name="/app/plain")["Parameter"]["Value"]
            """);
        Assert.Equal("InvalidKeyId", (string?)after["lost"]!["code"]);
        Assert.Equal(400, (int)after["lost"]!["status"]!);
        Assert.Contains("kms-keys.key", (string?)after["lost"]!["message"]);
        Assert.Equal("InvalidKeyId", (string?)after["lost_default"]!["code"]);
        Assert.Equal("plain-value", (string?)after["plain"]);
    }
}
