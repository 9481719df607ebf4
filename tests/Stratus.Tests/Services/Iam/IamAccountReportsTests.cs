using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>The account's alias and its credential report through boto3, the report and the keys' last use across a restart.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamAccountReportsTests : IAsyncLifetime
{
    private const string Prelude = """
        iam = client("iam")

        """;

    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<JsonObject> Run(string script) => Clients.Boto3Async(_server.Url, Prelude + script);

    private static string Str(JsonNode? node) => node!.GetValue<string>();

    [Fact]
    public async Task The_account_has_one_alias_replaced_by_the_next_and_refused_when_taken()
    {
        var r = await Run("""
            out["none"] = iam.list_account_aliases()["AccountAliases"]
            iam.create_account_alias(AccountAlias="first-alias")
            out["first"] = iam.list_account_aliases()["AccountAliases"]
            iam.create_account_alias(AccountAlias="second-alias")
            out["replaced"] = iam.list_account_aliases()
            out["taken"] = error(iam.create_account_alias, AccountAlias="second-alias")
            out["bad_form"] = error(iam.create_account_alias, AccountAlias="Not-Lower")
            out["double_hyphen"] = error(iam.create_account_alias, AccountAlias="two--hyphens")
            out["delete_other"] = error(iam.delete_account_alias, AccountAlias="first-alias")
            out["paged"] = iam.list_account_aliases(MaxItems=1)["IsTruncated"]
            iam.delete_account_alias(AccountAlias="second-alias")
            out["deleted"] = iam.list_account_aliases()["AccountAliases"]
            out["delete_again"] = error(iam.delete_account_alias, AccountAlias="second-alias")
            """);

        Assert.Empty(r["none"]!.AsArray());
        Assert.Equal(["first-alias"], r["first"]!.AsArray().Select(Str));
        Assert.Equal(["second-alias"], r["replaced"]!["AccountAliases"]!.AsArray().Select(Str));
        Assert.False(r["replaced"]!["IsTruncated"]!.GetValue<bool>());
        Assert.Equal("EntityAlreadyExists", Str(r["taken"]!["code"]));
        Assert.Equal("The account alias second-alias already exists.", Str(r["taken"]!["message"]));
        Assert.Equal("ValidationError", Str(r["bad_form"]!["code"]));
        Assert.Contains("accountAlias", Str(r["bad_form"]!["message"]));
        Assert.Equal("ValidationError", Str(r["double_hyphen"]!["code"]));
        Assert.Equal("NoSuchEntity", Str(r["delete_other"]!["code"]));
        Assert.False(r["paged"]!.GetValue<bool>());
        Assert.Empty(r["deleted"]!.AsArray());
        Assert.Equal("NoSuchEntity", Str(r["delete_again"]!["code"]));
    }

    [Fact]
    public async Task The_credential_report_lists_users_passwords_and_keys_in_AWSs_columns_and_outlives_a_restart()
    {
        var r = await Run("""
            out["not_present"] = error(iam.get_credential_report)
            iam.create_user(UserName="cr-alice")
            iam.create_login_profile(UserName="cr-alice", Password="Secret-Pass-1")
            iam.update_account_password_policy(MinimumPasswordLength=8, MaxPasswordAge=90)
            used = iam.create_access_key(UserName="cr-alice")["AccessKey"]
            unused = iam.create_access_key(UserName="cr-alice")["AccessKey"]
            iam.update_access_key(UserName="cr-alice", AccessKeyId=unused["AccessKeyId"], Status="Inactive")
            client("sts", region="eu-west-1", key=used["AccessKeyId"], secret=used["SecretAccessKey"]).get_caller_identity()
            iam.create_user(UserName="cr-bob", Path="/ops/")
            out["used_key"] = used["AccessKeyId"]
            out["states"] = [iam.generate_credential_report()["State"], iam.generate_credential_report()["State"]]
            report = iam.get_credential_report()
            out["format"] = report["ReportFormat"]
            out["csv"] = report["Content"].decode()
            out["generated"] = report["GeneratedTime"].isoformat()
            """);

        Assert.Equal("ReportNotPresent", Str(r["not_present"]!["code"]));
        Assert.Equal(["STARTED", "COMPLETE"], r["states"]!.AsArray().Select(Str));
        Assert.Equal("text/csv", Str(r["format"]));
        var lines = Str(r["csv"]).TrimEnd('\n').Split('\n');
        Assert.Equal("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,"
            + "access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
            + "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,"
            + "cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated", lines[0]);
        Assert.Equal(3, lines.Length);
        var alice = lines[1].Split(',');
        Assert.Equal(22, alice.Length);
        Assert.Equal(["cr-alice", "arn:aws:iam::000000000000:user/cr-alice"], alice[..2]);
        Assert.Equal(["true", "no_information"], alice[3..5]);
        // Password changed at creation; the next rotation is 90 days on, as the password policy says.
        Assert.Equal(DateTimeOffset.Parse(alice[5]).AddDays(90), DateTimeOffset.Parse(alice[6]));
        Assert.Equal("false", alice[7]);
        // The first key signed one STS call in eu-west-1; the second, inactive, never signed anything.
        Assert.Equal("true", alice[8]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", alice[10]);
        Assert.Equal(["eu-west-1", "sts"], alice[11..13]);
        Assert.Equal("false", alice[13]);
        Assert.Equal(["N/A", "N/A", "N/A"], alice[15..18]);
        Assert.Equal(["false", "N/A", "false", "N/A"], alice[18..22]);
        var bob = lines[2].Split(',');
        Assert.Equal(["cr-bob", "arn:aws:iam::000000000000:user/ops/cr-bob"], bob[..2]);
        Assert.Equal(["false", "N/A", "N/A", "N/A", "false"], bob[3..8]);
        Assert.Equal(["false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A"], bob[8..18]);

        await _server.RestartAsync();

        var after = await Run("""
            report = iam.get_credential_report()
            out["csv"] = report["Content"].decode()
            out["state"] = iam.generate_credential_report()["State"]
            out["last_used"] = iam.get_access_key_last_used(AccessKeyId=
                [k for k in iam.list_access_keys(UserName="cr-alice")["AccessKeyMetadata"] if k["Status"] == "Active"][0]["AccessKeyId"])["AccessKeyLastUsed"]
            """);

        // The report is kept as it was made, and the key's use survived the restart.
        Assert.Equal(Str(r["csv"]), Str(after["csv"]));
        Assert.Equal("COMPLETE", Str(after["state"]));
        Assert.Equal("sts", Str(after["last_used"]!["ServiceName"]));
        Assert.Equal("eu-west-1", Str(after["last_used"]!["Region"]));
    }
}
