using System.Text;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.SecretsManager;

[Trait(TestKind.Category, TestKind.EndToEnd)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretsManagerTests
{
    private const string StringValue = "{\"username\":\"app\",\"password\":\"clear-text-canary-7Qx\"}";
    private const string SecondValue = "second-canary-value-9Zk";

    [Fact]
    public async Task Secrets_versions_stages_deletion_listing_and_errors_follow_secrets_manager_and_survive_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var r = await Clients.Boto3Async(server.Url, $$"""
            sm = client("secretsmanager")
            TOKEN = "a" * 32
            c = sm.create_secret(Name="app/db", SecretString='{{StringValue}}', ClientRequestToken=TOKEN, Description="db",
                                 KmsKeyId="alias/app", Tags=[{"Key": "team", "Value": "core"}])
            out["create"] = c
            out["exists"] = error(sm.create_secret, Name="app/db", SecretString="x")
            out["bad_name"] = error(sm.create_secret, Name="bad name", SecretString="x")
            out["both"] = error(sm.create_secret, Name="both", SecretString="x", SecretBinary=b"y")
            out["get"] = sm.get_secret_value(SecretId="app/db")
            out["by_arn"] = sm.get_secret_value(SecretId=c["ARN"])["Name"]
            out["by_partial_arn"] = sm.get_secret_value(SecretId=c["ARN"][:-7])["Name"]
            out["put_same_token"] = sm.put_secret_value(SecretId="app/db", ClientRequestToken=TOKEN, SecretString='{{StringValue}}')["VersionId"]
            out["put_token_other_value"] = error(sm.put_secret_value, SecretId="app/db", ClientRequestToken=TOKEN, SecretString="other")
            v2 = sm.put_secret_value(SecretId="app/db", SecretString="{{SecondValue}}")
            v3 = sm.put_secret_value(SecretId="app/db", SecretString="pending-value", VersionStages=["AWSPENDING"])
            out["current"] = sm.get_secret_value(SecretId="app/db")["SecretString"]
            out["previous"] = sm.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"]
            out["pending"] = sm.get_secret_value(SecretId="app/db", VersionStage="AWSPENDING")["SecretString"]
            out["by_version"] = sm.get_secret_value(SecretId="app/db", VersionId=TOKEN)["VersionStages"]
            out["no_stage"] = error(sm.get_secret_value, SecretId="app/db", VersionStage="NOPE")
            out["no_version"] = error(sm.get_secret_value, SecretId="app/db", VersionId="b" * 32)
            out["stage_needs_remove"] = error(sm.update_secret_version_stage, SecretId="app/db", VersionStage="AWSCURRENT", MoveToVersionId=v3["VersionId"])
            sm.update_secret_version_stage(SecretId="app/db", VersionStage="AWSCURRENT", MoveToVersionId=v3["VersionId"], RemoveFromVersionId=v2["VersionId"])
            d = sm.describe_secret(SecretId="app/db")
            out["describe"] = {k: d.get(k) for k in ["Name", "Description", "KmsKeyId", "Tags", "DeletedDate"]}
            out["stages"] = {
                "v1": d["VersionIdsToStages"].get(TOKEN), "v2": d["VersionIdsToStages"].get(v2["VersionId"]),
                "v3": d["VersionIdsToStages"].get(v3["VersionId"])}
            out["describe_has_value"] = "clear-text-canary" in json.dumps(d, default=str)
            versions = sm.list_secret_version_ids(SecretId="app/db", IncludeDeprecated=True)["Versions"]
            out["versions"] = sorted((v["VersionId"] == TOKEN, v["KmsKeyIds"]) for v in versions)
            sm.update_secret(SecretId="app/db", Description="database", SecretString="updated-value")
            out["updated"] = [sm.describe_secret(SecretId="app/db")["Description"], sm.get_secret_value(SecretId="app/db")["SecretString"]]
            sm.create_secret(Name="app/binary", SecretBinary=bytes([0, 1, 2, 255]))
            out["binary"] = list(sm.get_secret_value(SecretId="app/binary")["SecretBinary"])
            sm.create_secret(Name="app/empty", Description="no value yet")
            out["empty"] = error(sm.get_secret_value, SecretId="app/empty")
            for n in range(7):
                sm.create_secret(Name=f"paged/s{n}", SecretString="v", Tags=[{"Key": "n", "Value": str(n)}])
            names, token, pages = [], None, 0
            while True:
                kw = {"NextToken": token} if token else {}
                page = sm.list_secrets(MaxResults=3, Filters=[{"Key": "name", "Values": ["paged/"]}], **kw)
                names += [s["Name"] for s in page["SecretList"]]
                pages += 1
                token = page.get("NextToken")
                if not token: break
            out["paged"] = [names, pages]
            out["tag_filter"] = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["3"]}])["SecretList"]]
            out["negated"] = sorted(s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": ["!paged/"]}])["SecretList"])
            out["desc_filter"] = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "description", "Values": ["DATA"]}])["SecretList"]]
            out["list_has_value"] = "clear-text-canary" in json.dumps(sm.list_secrets(), default=str)
            sm.tag_resource(SecretId="app/db", Tags=[{"Key": "env", "Value": "dev"}])
            sm.untag_resource(SecretId="app/db", TagKeys=["team"])
            out["tags"] = sm.describe_secret(SecretId="app/db")["Tags"]
            policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
            public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
            out["validate"] = sm.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"]
            out["validate_bad"] = sm.validate_resource_policy(ResourcePolicy='{"Statement": [{"Effect": "Maybe"}]}')
            out["public"] = error(sm.put_resource_policy, SecretId="app/db", ResourcePolicy=public, BlockPublicPolicy=True)
            sm.put_resource_policy(SecretId="app/db", ResourcePolicy=policy)
            out["policy"] = json.loads(sm.get_resource_policy(SecretId="app/db")["ResourcePolicy"]) == json.loads(policy)
            sm.delete_resource_policy(SecretId="app/db")
            out["policy_gone"] = "ResourcePolicy" in sm.get_resource_policy(SecretId="app/db")
            batch = sm.batch_get_secret_value(SecretIdList=["app/db", "app/missing"])
            out["batch"] = [[v["Name"] for v in batch["SecretValues"]], [e["ErrorCode"] for e in batch["Errors"]]]
            out["batch_filters"] = sorted(v["Name"] for v in sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["paged/s1"]}])["SecretValues"])
            out["batch_both"] = error(sm.batch_get_secret_value, SecretIdList=["app/db"], Filters=[{"Key": "name", "Values": ["x"]}])
            out["rotate"] = error(sm.rotate_secret, SecretId="app/db", RotationLambdaARN="arn:aws:lambda:us-east-1:000000000000:function:rotator")
            out["cancel_rotate"] = error(sm.cancel_rotate_secret, SecretId="app/db")
            out["window_small"] = error(sm.delete_secret, SecretId="app/db", RecoveryWindowInDays=6)
            out["window_and_force"] = error(sm.delete_secret, SecretId="app/db", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
            deleted = sm.delete_secret(SecretId="app/db", RecoveryWindowInDays=7)
            out["deletion_days"] = round((deleted["DeletionDate"] - sm.describe_secret(SecretId="app/db")["DeletedDate"]).total_seconds() / 86400)
            out["deleted_get"] = error(sm.get_secret_value, SecretId="app/db")
            out["deleted_reuse"] = error(sm.create_secret, Name="app/db", SecretString="x")
            out["deleted_listed"] = ["app/db" in [s["Name"] for s in sm.list_secrets()["SecretList"]],
                                     "app/db" in [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]]
            sm.restore_secret(SecretId="app/db")
            out["restored"] = sm.get_secret_value(SecretId="app/db")["SecretString"]
            old_arn = sm.describe_secret(SecretId="app/binary")["ARN"]
            sm.delete_secret(SecretId="app/binary", ForceDeleteWithoutRecovery=True)
            out["forced_gone"] = error(sm.describe_secret, SecretId="app/binary")
            out["reused_new_arn"] = sm.create_secret(Name="app/binary", SecretString="again")["ARN"] != old_arn
            p = sm.get_random_password()["RandomPassword"]
            out["password_default"] = [len(p), any(ch.islower() for ch in p), any(ch.isupper() for ch in p), any(ch.isdigit() for ch in p),
                                       any(not ch.isalnum() for ch in p), " " in p]
            q = sm.get_random_password(PasswordLength=12, ExcludeCharacters="abcdef", ExcludePunctuation=True, ExcludeUppercase=True, IncludeSpace=True)["RandomPassword"]
            out["password_options"] = [len(q), any(ch in "abcdef" for ch in q), any(ch.isupper() for ch in q), any(not ch.isalnum() and ch != " " for ch in q), " " in q]
            out["password_all_excluded"] = error(sm.get_random_password, ExcludeNumbers=True, ExcludePunctuation=True, ExcludeUppercase=True, ExcludeLowercase=True)
            out["password_too_long"] = error(sm.get_random_password, PasswordLength=4097)
            out["missing"] = error(sm.get_secret_value, SecretId="nope")
            """);

        Assert.Matches(@"^arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-[A-Za-z0-9]{6}$", (string?)r["create"]!["ARN"]);
        Assert.Equal(new string('a', 32), (string?)r["create"]!["VersionId"]);
        Assert.Equal("ResourceExistsException", (string?)r["exists"]!["code"]);
        Assert.Equal("The operation failed because the secret app/db already exists.", (string?)r["exists"]!["message"]);
        Assert.Equal("InvalidParameterException", (string?)r["bad_name"]!["code"]);
        Assert.Equal("InvalidParameterException", (string?)r["both"]!["code"]);
        Assert.Equal(StringValue, (string?)r["get"]!["SecretString"]);
        Assert.Equal("""["AWSCURRENT"]""", r["get"]!["VersionStages"]!.ToJsonString());
        Assert.Equal("app/db", (string?)r["by_arn"]);
        Assert.Equal("app/db", (string?)r["by_partial_arn"]);
        Assert.Equal(new string('a', 32), (string?)r["put_same_token"]);
        Assert.Equal("ResourceExistsException", (string?)r["put_token_other_value"]!["code"]);
        Assert.Equal(SecondValue, (string?)r["current"]);
        Assert.Equal(StringValue, (string?)r["previous"]);
        Assert.Equal("pending-value", (string?)r["pending"]);
        Assert.Equal("""["AWSPREVIOUS"]""", r["by_version"]!.ToJsonString());
        Assert.Equal("Secrets Manager can't find the specified secret value for staging label: NOPE", (string?)r["no_stage"]!["message"]);
        Assert.Equal("ResourceNotFoundException", (string?)r["no_version"]!["code"]);
        Assert.Equal("InvalidParameterException", (string?)r["stage_needs_remove"]!["code"]);
        Assert.Equal("""{"Name":"app/db","Description":"db","KmsKeyId":"alias/app","Tags":[{"Key":"team","Value":"core"}],"DeletedDate":null}""", r["describe"]!.ToJsonString());
        // AWSCURRENT moved to v3 (AWSPENDING stays with it), v2 became AWSPREVIOUS, v1 lost its label.
        Assert.Equal("""{"v1":null,"v2":["AWSPREVIOUS"],"v3":["AWSPENDING","AWSCURRENT"]}""", r["stages"]!.ToJsonString());
        Assert.False((bool)r["describe_has_value"]!);
        Assert.Equal("""[[false,["alias/app"]],[false,["alias/app"]],[true,["alias/app"]]]""", r["versions"]!.ToJsonString());
        Assert.Equal("""["database","updated-value"]""", r["updated"]!.ToJsonString());
        Assert.Equal("[0,1,2,255]", r["binary"]!.ToJsonString());
        Assert.Equal("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", (string?)r["empty"]!["message"]);
        Assert.Equal("""[["paged/s0","paged/s1","paged/s2","paged/s3","paged/s4","paged/s5","paged/s6"],3]""", r["paged"]!.ToJsonString());
        Assert.Equal("""["paged/s3"]""", r["tag_filter"]!.ToJsonString());
        Assert.Equal("""["app/binary","app/db","app/empty"]""", r["negated"]!.ToJsonString());
        Assert.Equal("""["app/db"]""", r["desc_filter"]!.ToJsonString());
        Assert.False((bool)r["list_has_value"]!);
        Assert.Equal("""[{"Key":"env","Value":"dev"}]""", r["tags"]!.ToJsonString());
        Assert.True((bool)r["validate"]!);
        Assert.False((bool)r["validate_bad"]!["PolicyValidationPassed"]!);
        Assert.Equal(2, r["validate_bad"]!["ValidationErrors"]!.AsArray().Count);
        Assert.Equal("PublicPolicyException", (string?)r["public"]!["code"]);
        Assert.True((bool)r["policy"]!);
        Assert.False((bool)r["policy_gone"]!);
        Assert.Equal("""[["app/db"],["ResourceNotFoundException"]]""", r["batch"]!.ToJsonString());
        Assert.Equal("""["paged/s1"]""", r["batch_filters"]!.ToJsonString());
        Assert.Equal("InvalidParameterException", (string?)r["batch_both"]!["code"]);
        // No such function: AWS answers as for a function that does not allow Secrets Manager.
        Assert.Equal("AccessDeniedException", (string?)r["rotate"]!["code"]);
        Assert.Contains("secretsmanager.amazonaws.com", (string?)r["rotate"]!["message"]);
        Assert.Equal("InvalidRequestException", (string?)r["cancel_rotate"]!["code"]);
        Assert.Equal("InvalidParameterException", (string?)r["window_small"]!["code"]);
        Assert.Equal("InvalidParameterException", (string?)r["window_and_force"]!["code"]);
        Assert.Equal(7, (int)r["deletion_days"]!);
        Assert.Equal("InvalidRequestException", (string?)r["deleted_get"]!["code"]);
        Assert.Equal("You can't perform this operation on the secret because it was marked for deletion.", (string?)r["deleted_get"]!["message"]);
        Assert.Equal("InvalidRequestException", (string?)r["deleted_reuse"]!["code"]);
        Assert.Equal("[false,true]", r["deleted_listed"]!.ToJsonString());
        Assert.Equal("updated-value", (string?)r["restored"]);
        Assert.Equal("ResourceNotFoundException", (string?)r["forced_gone"]!["code"]);
        Assert.True((bool)r["reused_new_arn"]!);
        Assert.Equal("[32,true,true,true,true,false]", r["password_default"]!.ToJsonString());
        Assert.Equal("[12,false,false,false,true]", r["password_options"]!.ToJsonString());
        Assert.Equal("InvalidParameterException", (string?)r["password_all_excluded"]!["code"]);
        Assert.NotNull(r["password_too_long"]);
        Assert.Equal("ResourceNotFoundException", (string?)r["missing"]!["code"]);
        Assert.Equal("Secrets Manager can't find the specified secret.", (string?)r["missing"]!["message"]);
        Assert.Equal(400, (int)r["missing"]!["status"]!);

        // The aws CLI, as a user would.
        var created = await Clients.AwsAsync(server.Url, "secretsmanager", "create-secret", "--name", "cli/secret", "--secret-string", "cli-canary-4Rt");
        Assert.True(created.ExitCode == 0, created.ToString());
        var read = await Clients.AwsAsync(server.Url, "secretsmanager", "get-secret-value", "--secret-id", "cli/secret", "--query", "SecretString", "--output", "text");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("cli-canary-4Rt", read.Stdout.Trim());

        // No value is anywhere in the data directory (state.db, its -wal, key files) or in what Stratus logged.
        foreach (var canary in new[] { "clear-text-canary-7Qx", SecondValue, "cli-canary-4Rt", "pending-value" })
        {
            foreach (var file in Directory.EnumerateFiles(server.DataDir!, "*", SearchOption.AllDirectories))
                Assert.False(Encoding.UTF8.GetString(ReadShared(file)).Contains(canary, StringComparison.Ordinal), $"{canary} is in clear text in {file}");
            Assert.DoesNotContain(canary, server.Output);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.DataDir!, "secretsmanager.key")));

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, """
            sm = client("secretsmanager")
            out["current"] = sm.get_secret_value(SecretId="app/db")["SecretString"]
            out["previous"] = sm.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"]
            """);
        Assert.Equal("updated-value", (string?)after["current"]);
        Assert.Equal("pending-value", (string?)after["previous"]);
    }

    private static byte[] ReadShared(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        file.CopyTo(copy);
        return copy.ToArray();
    }
}
