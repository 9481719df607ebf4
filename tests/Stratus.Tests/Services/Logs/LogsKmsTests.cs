using System.Text;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Log groups encrypted under KMS keys (CreateLogGroup's kmsKeyId, AssociateKmsKey/DisassociateKmsKey, AWS::Logs::LogGroup's
/// KmsKeyId) through boto3 against a persistent Stratus: the key policy must allow the logs service principal, the data
/// directory holds no message of an encrypted group in plain text, the events come back after a restart, and reads fail
/// while the key is disabled.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsKmsTests
{
    private const string Setup = """
        logs = client("logs")
        kms = client("kms")
        account = client("sts").get_caller_identity()["Account"]
        def key_policy(group_pattern):
            return json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
                {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                 "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "Resource": "*",
                 "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{account}:log-group:{group_pattern}"}}}]})
        """;

    [Fact]
    public async Task Events_of_an_encrypted_group_are_sealed_on_disk_and_unreadable_while_the_key_is_disabled()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        var plain = "plain-" + Guid.NewGuid().ToString("N");
        var result = await Clients.Boto3Async(server.Url, Setup + "\n" + $$"""
            key = kms.create_key(Policy=key_policy("/kms/*"))["KeyMetadata"]["Arn"]
            default_key = kms.create_key()["KeyMetadata"]["Arn"]
            logs.create_log_group(logGroupName="/kms/secret", kmsKeyId=key)
            logs.create_log_group(logGroupName="/kms/plain")
            logs.create_log_group(logGroupName="/other/group")
            out["described"] = [g.get("kmsKeyId") == key for g in logs.describe_log_groups(logGroupNamePrefix="/kms/")["logGroups"]]
            out["default_policy"] = error(logs.create_log_group, logGroupName="/kms/refused", kmsKeyId=default_key)
            out["key_id_only"] = error(logs.create_log_group, logGroupName="/kms/refused", kmsKeyId=key.split("/")[-1])
            out["outside_condition"] = error(logs.associate_kms_key, logGroupName="/other/group", kmsKeyId=key)
            out["both_named"] = error(logs.associate_kms_key, logGroupName="/kms/plain", resourceIdentifier="arn:aws:logs:us-east-1:" + account + ":log-group:/kms/plain", kmsKeyId=key)
            out["refused_left_nothing"] = logs.describe_log_groups(logGroupNamePrefix="/kms/refused")["logGroups"]
            now = int(time.time() * 1000)
            for name, message in [("/kms/secret", "{{secret}}"), ("/kms/plain", "{{plain}}")]:
                logs.create_log_stream(logGroupName=name, logStreamName="s")
                logs.put_log_events(logGroupName=name, logStreamName="s", logEvents=[{"timestamp": now, "message": message}])
            out["key"] = key
            time.sleep(2)
            """);

        Assert.Equal("[false,true]", result["described"]!.ToJsonString());
        foreach (var refused in new[] { "default_policy", "key_id_only", "outside_condition" })
            Assert.Equal("AccessDeniedException", (string)result[refused]!["code"]!);
        Assert.Equal("The specified KMS key does not exist or is not allowed to be used with Arn 'arn:aws:logs:us-east-1:000000000000:log-group:/kms/refused'"
            .Replace("000000000000", ((string)result["key"]!).Split(':')[4]), (string)result["default_policy"]!["message"]!);
        Assert.Equal("InvalidParameterException", (string)result["both_named"]!["code"]!);
        Assert.Empty(result["refused_left_nothing"]!.AsArray());

        // The plain group's message is in the data directory as written; the encrypted group's is not, in any file.
        var stored = Directory.EnumerateFiles(server.DataDir!, "*", SearchOption.AllDirectories)
            .Select(path => Encoding.UTF8.GetString(File.ReadAllBytes(path))).ToList();
        Assert.Contains(stored, text => text.Contains(plain, StringComparison.Ordinal));
        Assert.DoesNotContain(stored, text => text.Contains(secret, StringComparison.Ordinal));

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, Setup + "\n" + $$"""
            key = "{{(string)result["key"]!}}"
            def read():
                return [e["message"] for e in logs.get_log_events(logGroupName="/kms/secret", logStreamName="s", startFromHead=True)["events"]]
            out["after_restart"] = read()
            kms.disable_key(KeyId=key)
            out["get_disabled"] = error(logs.get_log_events, logGroupName="/kms/secret", logStreamName="s")
            out["filter_disabled"] = error(logs.filter_log_events, logGroupName="/kms/secret")
            out["query_disabled"] = error(logs.start_query, logGroupName="/kms/secret", startTime=0, endTime=int(time.time()) + 60, queryString="fields @message")
            out["put_disabled"] = error(logs.put_log_events, logGroupName="/kms/secret", logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "x"}])
            out["plain_still_read"] = len(logs.filter_log_events(logGroupName="/kms/plain")["events"])
            kms.enable_key(KeyId=key)
            out["enabled_again"] = read()
            logs.disassociate_kms_key(logGroupName="/kms/secret")
            out["disassociated"] = [g.get("kmsKeyId") for g in logs.describe_log_groups(logGroupNamePrefix="/kms/secret")["logGroups"]]
            kms.disable_key(KeyId=key)
            # Events written under the key still need it after the disassociation, as AWS documents.
            out["old_events_need_key"] = error(logs.get_log_events, logGroupName="/kms/secret", logStreamName="s")
            kms.enable_key(KeyId=key)
            logs.associate_kms_key(resourceIdentifier=f"arn:aws:logs:us-east-1:{account}:log-group:/kms/plain", kmsKeyId=key)
            out["associated_by_arn"] = [g.get("kmsKeyId") == key for g in logs.describe_log_groups(logGroupNamePrefix="/kms/plain")["logGroups"]]

            group = dict(Type="AWS::Logs::LogGroup", Properties=dict(LogGroupName="/kms/stack", KmsKeyId=key))
            template = dict(Resources=dict(Group=group))
            cfn = client("cloudformation")
            cfn.create_stack(StackName="kms-group", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="kms-group", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["stack_group"] = [g.get("kmsKeyId") == key for g in logs.describe_log_groups(logGroupNamePrefix="/kms/stack")["logGroups"]]
            cfn.delete_stack(StackName="kms-group")
            cfn.get_waiter("stack_delete_complete").wait(StackName="kms-group", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);

        Assert.Equal($"[\"{secret}\"]", after["after_restart"]!.ToJsonString());
        foreach (var refused in new[] { "get_disabled", "filter_disabled", "query_disabled", "put_disabled", "old_events_need_key" })
            Assert.Equal("AccessDeniedException", (string)after[refused]!["code"]!);
        Assert.Equal(1, (int)after["plain_still_read"]!);
        Assert.Equal($"[\"{secret}\"]", after["enabled_again"]!.ToJsonString());
        Assert.Equal("[null]", after["disassociated"]!.ToJsonString());
        Assert.Equal("[true]", after["associated_by_arn"]!.ToJsonString());
        Assert.Equal("[true]", after["stack_group"]!.ToJsonString());
    }

    [Fact]
    public async Task Events_written_under_a_key_stay_sealed_after_it_is_disassociated_and_their_block_is_compacted()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var folded = "folded-" + Guid.NewGuid().ToString("N");
        var pending = "pending-" + Guid.NewGuid().ToString("N");
        var plain = "plain-" + Guid.NewGuid().ToString("N");
        // One block (one minute of event time): a sealed chunk folded, then a sealed event still pending when the key goes
        // and a plain one after it, all in the block the next housekeeping flush compacts.
        await Clients.Boto3Async(server.Url, Setup + "\n" + $$"""
            key = kms.create_key(Policy=key_policy("/kms/*"))["KeyMetadata"]["Arn"]
            logs.create_log_group(logGroupName="/kms/compacted", kmsKeyId=key)
            logs.create_log_stream(logGroupName="/kms/compacted", logStreamName="s")
            now = int(time.time() * 1000) // 60000 * 60000 + 1000
            def put(message):
                logs.put_log_events(logGroupName="/kms/compacted", logStreamName="s", logEvents=[{"timestamp": now, "message": message}])
            put("{{folded}}")
            time.sleep(2)
            put("{{pending}}")
            logs.disassociate_kms_key(logGroupName="/kms/compacted")
            put("{{plain}}")
            time.sleep(3)
            """);

        var stored = Directory.EnumerateFiles(server.DataDir!, "*", SearchOption.AllDirectories)
            .Select(path => Encoding.UTF8.GetString(File.ReadAllBytes(path))).ToList();
        Assert.Contains(stored, text => text.Contains(plain, StringComparison.Ordinal));
        Assert.DoesNotContain(stored, text => text.Contains(folded, StringComparison.Ordinal) || text.Contains(pending, StringComparison.Ordinal));

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, Setup + "\n" + """
            out["events"] = [e["message"] for e in logs.get_log_events(logGroupName="/kms/compacted", logStreamName="s", startFromHead=True)["events"]]
            """);
        Assert.Equal($"[\"{folded}\",\"{pending}\",\"{plain}\"]", after["events"]!.ToJsonString());
    }
}
