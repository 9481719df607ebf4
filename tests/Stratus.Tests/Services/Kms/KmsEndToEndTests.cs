using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Kms;

/// <summary>KMS through boto3 and the aws CLI (v1 and v2), a stack with AWS::KMS::Key and AWS::KMS::Alias, and the console's keys list.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class KmsEndToEndTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Boto3_drives_keys_aliases_data_keys_states_rotation_policies_and_tags_with_kms_errors()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            kms = client("kms")
            key = kms.create_key(Description="orders", Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]
            kid = key["KeyId"]
            out["key"] = {k: key[k] for k in ["KeyState", "KeyUsage", "KeySpec", "KeyManager", "Origin", "Enabled", "Description"]}
            out["arn"] = key["Arn"] == f"arn:aws:kms:us-east-1:000000000000:key/{kid}"
            kms.create_alias(AliasName="alias/orders", TargetKeyId=kid)
            enc = kms.encrypt(KeyId="alias/orders", Plaintext=b"card 4111", EncryptionContext={"order": "42"})
            out["enc_key"] = enc["KeyId"] == key["Arn"]
            out["dec"] = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"order": "42"})["Plaintext"].decode()
            out["wrong_context"] = error(kms.decrypt, CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"order": "43"})
            out["no_context"] = error(kms.decrypt, CiphertextBlob=enc["CiphertextBlob"])
            dk = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")
            out["dk_len"] = len(dk["Plaintext"])
            out["dk_round"] = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
            out["dk_bytes"] = "Plaintext" in kms.generate_data_key_without_plaintext(KeyId=kid, NumberOfBytes=64)
            out["dk_both"] = error(kms.generate_data_key, KeyId=kid, KeySpec="AES_128", NumberOfBytes=16)
            other = kms.create_key()["KeyMetadata"]["KeyId"]
            re = kms.re_encrypt(CiphertextBlob=enc["CiphertextBlob"], SourceEncryptionContext={"order": "42"}, DestinationKeyId=other)
            out["re_source"] = re["SourceKeyId"] == key["Arn"]
            out["re_dec"] = kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"].decode()
            out["random"] = len(kms.generate_random(NumberOfBytes=48)["Plaintext"])
            out["managed"] = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyManager"]
            out["aliases"] = sorted(a["AliasName"] for a in kms.list_aliases(KeyId=kid)["Aliases"])
            out["dup_alias"] = error(kms.create_alias, AliasName="alias/orders", TargetKeyId=other)
            kms.update_alias(AliasName="alias/orders", TargetKeyId=other)
            out["moved"] = kms.describe_key(KeyId="alias/orders")["KeyMetadata"]["KeyId"] == other
            out["missing"] = error(kms.describe_key, KeyId="alias/nothing")
            kms.disable_key(KeyId=kid)
            out["disabled"] = error(kms.encrypt, KeyId=kid, Plaintext=b"x")
            kms.enable_key(KeyId=kid)
            kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=180)
            rot = kms.get_key_rotation_status(KeyId=kid)
            out["rotation"] = [rot["KeyRotationEnabled"], rot["RotationPeriodInDays"]]
            out["policy"] = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])["Statement"][0]["Principal"]
            kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
            out["policy_after"] = json.loads(kms.get_key_policy(KeyId=kid)["Policy"])
            out["bad_policy"] = error(kms.put_key_policy, KeyId=kid, PolicyName="default", Policy="{not json")
            out["policies"] = kms.list_key_policies(KeyId=kid)["PolicyNames"]
            kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "env", "TagValue": "dev"}])
            kms.untag_resource(KeyId=kid, TagKeys=["team"])
            out["tags"] = kms.list_resource_tags(KeyId=kid)["Tags"]
            kms.update_key_description(KeyId=kid, Description="orders v2")
            out["short_window"] = error(kms.schedule_key_deletion, KeyId=kid, PendingWindowInDays=6)
            sched = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
            out["sched"] = [sched["KeyState"], sched["PendingWindowInDays"], round((sched["DeletionDate"].timestamp() - time.time()) / 86400)]
            out["pending"] = error(kms.decrypt, CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"order": "42"})
            kms.cancel_key_deletion(KeyId=kid)
            out["after_cancel"] = kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"]
            out["rsa"] = error(kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
            hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
            mac = kms.generate_mac(KeyId=hmac["KeyId"], MacAlgorithm="HMAC_SHA_256", Message=b"payload")["Mac"]
            out["hmac"] = [hmac["MacAlgorithms"], len(mac), kms.verify_mac(KeyId=hmac["KeyId"], MacAlgorithm="HMAC_SHA_256", Message=b"payload", Mac=mac)["MacValid"]]
            out["bad_mac"] = error(kms.verify_mac, KeyId=hmac["KeyId"], MacAlgorithm="HMAC_SHA_256", Message=b"tampered", Mac=mac)
            keys, marker = [], None
            while True:
                page = kms.list_keys(Limit=1, **({"Marker": marker} if marker else {}))
                keys += [k["KeyId"] for k in page["Keys"]]
                if not page["Truncated"]: break
                marker = page["NextMarker"]
            out["listed"] = kid in keys and other in keys
            """);

        Assert.Equal("""{"KeyState":"Enabled","KeyUsage":"ENCRYPT_DECRYPT","KeySpec":"SYMMETRIC_DEFAULT","KeyManager":"CUSTOMER","Origin":"AWS_KMS","Enabled":true,"Description":"orders"}""",
            r["key"]!.ToJsonString());
        Assert.True((bool)r["arn"]!);
        Assert.True((bool)r["enc_key"]!);
        Assert.Equal("card 4111", (string?)r["dec"]);
        Assert.Equal("InvalidCiphertextException", (string?)r["wrong_context"]!["code"]);
        Assert.Equal(400, (int)r["wrong_context"]!["status"]!);
        Assert.Equal("InvalidCiphertextException", (string?)r["no_context"]!["code"]);
        Assert.Equal(32, (int)r["dk_len"]!);
        Assert.True((bool)r["dk_round"]!);
        Assert.False((bool)r["dk_bytes"]!);
        Assert.Equal("ValidationException", (string?)r["dk_both"]!["code"]);
        Assert.True((bool)r["re_source"]!);
        Assert.Equal("card 4111", (string?)r["re_dec"]);
        Assert.Equal(48, (int)r["random"]!);
        Assert.Equal("AWS", (string?)r["managed"]);
        Assert.Equal("""["alias/orders"]""", r["aliases"]!.ToJsonString());
        Assert.Equal("AlreadyExistsException", (string?)r["dup_alias"]!["code"]);
        Assert.True((bool)r["moved"]!);
        Assert.Equal("NotFoundException", (string?)r["missing"]!["code"]);
        Assert.Equal("DisabledException", (string?)r["disabled"]!["code"]);
        Assert.EndsWith(" is disabled.", (string?)r["disabled"]!["message"]);
        Assert.Equal("[true,180]", r["rotation"]!.ToJsonString());
        Assert.Equal("""{"AWS":"arn:aws:iam::000000000000:root"}""", r["policy"]!.ToJsonString());
        Assert.Equal("""{"Version":"2012-10-17","Statement":[]}""", r["policy_after"]!.ToJsonString());
        Assert.Equal("MalformedPolicyDocumentException", (string?)r["bad_policy"]!["code"]);
        Assert.Equal("""["default"]""", r["policies"]!.ToJsonString());
        Assert.Equal("""[{"TagKey":"env","TagValue":"dev"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("ValidationException", (string?)r["short_window"]!["code"]);
        Assert.Equal("""["PendingDeletion",7,7]""", r["sched"]!.ToJsonString());
        Assert.Equal("KMSInvalidStateException", (string?)r["pending"]!["code"]);
        Assert.Equal("Disabled", (string?)r["after_cancel"]);
        Assert.Equal("UnsupportedOperationException", (string?)r["rsa"]!["code"]);
        Assert.Contains("RSA_2048", (string?)r["rsa"]!["message"]);
        Assert.True((bool)r["listed"]!);
        Assert.Equal("""[["HMAC_SHA_256"],32,true]""", r["hmac"]!.ToJsonString());
        Assert.Equal("KMSInvalidMacException", (string?)r["bad_mac"]!["code"]);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task The_aws_cli_encrypts_a_file_and_decrypts_it_back_through_an_alias(string version)
    {
        var cli = version == "v1" ? "aws" : AwsCliV2.Path;
        var work = Directory.CreateTempSubdirectory("stratus-kms-cli-").FullName;
        try
        {
            async Task<ProcessResult> Aws(params string[] args) =>
                await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "--output", "text", .. args], stratus.Url, TimeSpan.FromMinutes(2));

            var created = await Aws("kms", "create-key", "--description", $"cli {version}", "--query", "KeyMetadata.KeyId");
            Assert.True(created.ExitCode == 0, created.ToString());
            var keyId = created.Stdout.Trim();
            var alias = $"alias/cli-{version}";
            Assert.Equal(0, (await Aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyId)).ExitCode);

            var plain = Path.Combine(work, "secret.txt");
            var content = new byte[3000];
            new Random(5).NextBytes(content);
            await File.WriteAllBytesAsync(plain, content);
            var encrypted = await Aws("kms", "encrypt", "--key-id", alias, "--plaintext", "fileb://" + plain,
                "--encryption-context", "file=secret.txt", "--query", "CiphertextBlob");
            Assert.True(encrypted.ExitCode == 0, encrypted.ToString());
            var blobFile = Path.Combine(work, "secret.bin");
            await File.WriteAllBytesAsync(blobFile, Convert.FromBase64String(encrypted.Stdout.Trim()));

            var decrypted = await Aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + blobFile, "--encryption-context", "file=secret.txt", "--query", "Plaintext");
            Assert.True(decrypted.ExitCode == 0, decrypted.ToString());
            Assert.Equal(content, Convert.FromBase64String(decrypted.Stdout.Trim()));

            var wrongContext = await Aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + blobFile, "--query", "Plaintext");
            Assert.NotEqual(0, wrongContext.ExitCode);
            Assert.Contains("InvalidCiphertextException", wrongContext.Stderr);

            Assert.Equal(0, (await Aws("kms", "disable-key", "--key-id", keyId)).ExitCode);
            var disabled = await Aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + blobFile, "--encryption-context", "file=secret.txt");
            Assert.NotEqual(0, disabled.ExitCode);
            Assert.Contains("DisabledException", disabled.Stderr);

            var scheduled = await Aws("kms", "schedule-key-deletion", "--key-id", keyId, "--pending-window-in-days", "30", "--query", "KeyState");
            Assert.Equal("PendingDeletion", scheduled.Stdout.Trim());
            var again = await Aws("kms", "schedule-key-deletion", "--key-id", keyId, "--pending-window-in-days", "7");
            Assert.Contains("KMSInvalidStateException", again.Stderr);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_stack_makes_a_key_with_rotation_and_an_alias_that_encrypt_and_deleting_it_schedules_the_key_for_deletion()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            cf, kms = client("cloudformation"), client("kms")
            FAST = {"Delay": 1, "MaxAttempts": 60}
            template = '''
            Parameters:
              Rotate: {Type: String, Default: "true"}
            Resources:
              DataKey:
                Type: AWS::KMS::Key
                Properties:
                  Description: stack key
                  EnableKeyRotation: !Ref Rotate
                  PendingWindowInDays: 7
                  KeyPolicy:
                    Version: "2012-10-17"
                    Statement:
                      - Sid: Enable IAM User Permissions
                        Effect: Allow
                        Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
                        Action: "kms:*"
                        Resource: "*"
                  Tags: [{Key: app, Value: stack}]
              DataKeyAlias:
                Type: AWS::KMS::Alias
                Properties:
                  AliasName: alias/stack-data
                  TargetKeyId: !Ref DataKey
            Outputs:
              KeyId: {Value: !Ref DataKey}
              KeyArn: {Value: !GetAtt DataKey.Arn}
              AttKeyId: {Value: !GetAtt DataKey.KeyId}
              Alias: {Value: !Ref DataKeyAlias}
            '''
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="kms-stack")["Stacks"][0]["Outputs"]}
            cf.create_stack(StackName="kms-stack", TemplateBody=template)
            cf.get_waiter("stack_create_complete").wait(StackName="kms-stack", WaiterConfig=FAST)
            o = outputs()
            out["outputs"] = [o["KeyId"] == o["AttKeyId"], o["KeyArn"].endswith(":key/" + o["KeyId"]), o["Alias"]]
            meta = kms.describe_key(KeyId="alias/stack-data")["KeyMetadata"]
            out["key"] = [meta["KeyId"] == o["KeyId"], meta["Description"], meta["KeyState"]]
            out["rotation"] = kms.get_key_rotation_status(KeyId=o["KeyId"])["KeyRotationEnabled"]
            out["policy_sid"] = json.loads(kms.get_key_policy(KeyId=o["KeyId"])["Policy"])["Statement"][0]["Sid"]
            out["tags"] = kms.list_resource_tags(KeyId=o["KeyId"])["Tags"]
            blob = kms.encrypt(KeyId="alias/stack-data", Plaintext=b"via stack")["CiphertextBlob"]
            out["round"] = kms.decrypt(CiphertextBlob=blob)["Plaintext"].decode()
            cf.update_stack(StackName="kms-stack", TemplateBody=template, Parameters=[{"ParameterKey": "Rotate", "ParameterValue": "false"}])
            cf.get_waiter("stack_update_complete").wait(StackName="kms-stack", WaiterConfig=FAST)
            out["rotation_after_update"] = kms.get_key_rotation_status(KeyId=o["KeyId"])["KeyRotationEnabled"]
            cf.delete_stack(StackName="kms-stack")
            cf.get_waiter("stack_delete_complete").wait(StackName="kms-stack", WaiterConfig=FAST)
            deleted = kms.describe_key(KeyId=o["KeyId"])["KeyMetadata"]
            out["deleted"] = [deleted["KeyState"], deleted["PendingDeletionWindowInDays"]]
            out["alias_gone"] = error(kms.describe_key, KeyId="alias/stack-data")
            """);

        Assert.Equal("""[true,true,"alias/stack-data"]""", r["outputs"]!.ToJsonString());
        Assert.Equal("""[true,"stack key","Enabled"]""", r["key"]!.ToJsonString());
        Assert.True((bool)r["rotation"]!);
        Assert.Equal("Enable IAM User Permissions", (string?)r["policy_sid"]);
        Assert.Equal("""[{"TagKey":"app","TagValue":"stack"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("via stack", (string?)r["round"]);
        Assert.False((bool)r["rotation_after_update"]!);
        Assert.Equal("""["PendingDeletion",7]""", r["deleted"]!.ToJsonString());
        Assert.Equal("NotFoundException", (string?)r["alias_gone"]!["code"]);
    }

    [Fact]
    public async Task The_console_lists_keys_with_their_aliases_and_parameters_without_secure_values()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            kms, ssm = client("kms"), client("ssm")
            kid = kms.create_key(Description="console <key>")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/console-key", TargetKeyId=kid)
            ssm.put_parameter(Name="/console/plain", Value="visible-value", Type="String")
            ssm.put_parameter(Name="/console/secret", Value="hidden-value", Type="SecureString", KeyId="alias/console-key")
            out["kid"] = kid
            """);
        using var http = new HttpClient();
        var html = await http.GetStringAsync(stratus.Url + "/_stratus/");

        Assert.Contains($"data-key=\"{(string?)r["kid"]}\"", html);
        Assert.Contains("alias/console-key", html);
        Assert.Contains("console &lt;key&gt;", html);
        Assert.Contains("data-parameter=\"/console/plain\"", html);
        Assert.Contains("visible-value", html);
        Assert.Contains("data-parameter=\"/console/secret\"", html);
        Assert.DoesNotContain("hidden-value", html);
        Assert.Contains("<td>kms</td>", html);
    }
}
