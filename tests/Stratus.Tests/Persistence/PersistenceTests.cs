using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Persistence;

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class PersistenceTests
{
    private const string Setup = """
        iam = client("iam")
        TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

        """;

    [Fact]
    public async Task State_survives_a_restart_with_a_data_dir()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(server.Url, Setup + """
            iam.create_role(RoleName="kept", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k", "Value": "v"}])
            iam.attach_role_policy(RoleName="kept", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            iam.create_user(UserName="keeper")
            out["key"] = iam.create_access_key(UserName="keeper")["AccessKey"]["AccessKeyId"]
            """);

        await server.RestartAsync();

        var r = await Clients.Boto3Async(server.Url, Setup + """
            role = iam.get_role(RoleName="kept")["Role"]
            out["tags"] = role["Tags"]
            out["attached"] = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="kept")["AttachedPolicies"]]
            out["keys"] = len(iam.list_access_keys(UserName="keeper")["AccessKeyMetadata"])
            """);
        Assert.Equal("""[{"Key":"k","Value":"v"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("""["AWSLambdaBasicExecutionRole"]""", r["attached"]!.ToJsonString());
        Assert.Equal(1, r["keys"]!.GetValue<int>());
    }

    [Fact]
    public async Task Ephemeral_state_is_gone_after_a_restart()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(server.Url, Setup + """iam.create_role(RoleName="fleeting", AssumeRolePolicyDocument=TRUST)""");

        await server.RestartAsync();

        var r = await Clients.Boto3Async(server.Url, Setup + """out["gone"] = error(iam.get_role, RoleName="fleeting")""");
        Assert.Equal("NoSuchEntity", r["gone"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_kill_during_writes_leaves_a_consistent_store()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var writer = Clients.Boto3Async(server.Url, Setup + """
            import threading
            def create(start):
                for i in range(start, start + 400):
                    try:
                        iam.create_role(RoleName=f"crash-{i}", AssumeRolePolicyDocument=TRUST)
                    except Exception:
                        return
            threads = [threading.Thread(target=create, args=(n * 1000,)) for n in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
            """);
        await WaitForRolesAsync(server.Url, atLeast: 20);
        await server.KillAsync();
        await writer;

        await server.RestartAsync();

        var r = await Clients.Boto3Async(server.Url, Setup + $$"""
            import sqlite3
            names = [x["RoleName"] for page in iam.get_paginator("list_roles").paginate() for x in page["Roles"]]
            out["count"] = len(names)
            out["all_readable"] = all(iam.get_role(RoleName=n)["Role"]["RoleName"] == n for n in names)
            db = sqlite3.connect("{{server.DataDir}}/state.db")
            out["integrity"] = db.execute("PRAGMA integrity_check").fetchone()[0]
            """);
        Assert.True(r["count"]!.GetValue<int>() > 0, "some roles were written before the kill");
        Assert.True(r["all_readable"]!.GetValue<bool>());
        Assert.Equal("ok", r["integrity"]!.GetValue<string>());
    }

    /// <summary>Waits until the writers are really writing, however long Python takes to start on a busy machine.</summary>
    private static async Task WaitForRolesAsync(string url, int atLeast)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var roles = await http.GetStringAsync($"{url}/?Action=ListRoles&Version=2010-05-08&MaxItems=1000");
            if (System.Text.RegularExpressions.Regex.Matches(roles, "<RoleName>").Count >= atLeast) return;
            await Task.Delay(50);
        }
        Assert.Fail($"fewer than {atLeast} roles were written within two minutes");
    }
}
