using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Functions, their code, versions, aliases, policies, tags and concurrency (reserved and provisioned) survive a restart.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaPersistenceTests
{
    [Fact]
    public async Task Functions_survive_a_restart_and_still_run()
    {
        await using var server = await StratusProcess.StartPersistentAsync(new Dictionary<string, string> { ["STRATUS_LAMBDA_EVENT_RETRY_SECONDS"] = "1" });
        var before = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + """
            create("kept", {"app.py": "def handler(e, c):\n    return {'kept': e.get('n')}\n"}, Tags={"team": "core"})
            lam.publish_version(FunctionName="kept")
            lam.create_alias(FunctionName="kept", Name="live", FunctionVersion="1")
            lam.add_permission(FunctionName="kept", StatementId="apigw", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            lam.put_function_concurrency(FunctionName="kept", ReservedConcurrentExecutions=5)
            # An event that cannot run yet (no concurrency): it must still be queued after the restart.
            create("later", {"app.py": "import boto3\ndef handler(e, c):\n    boto3.client('iam').create_user(UserName=e['user'])\n"}, runtime="python3.11", Timeout=30)
            lam.put_function_concurrency(FunctionName="later", ReservedConcurrentExecutions=0)
            out["queued"] = lam.invoke(FunctionName="later", InvocationType="Event", Payload=json.dumps({"user": "made-by-queued-event"}))["StatusCode"]
            out["sha"] = lam.get_function(FunctionName="kept")["Configuration"]["CodeSha256"]
            """);

        await server.RestartAsync();

        var after = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + """
            import urllib.request
            got = lam.get_function(FunctionName="kept")
            out["sha"] = got["Configuration"]["CodeSha256"]
            out["download"] = len(urllib.request.urlopen(got["Code"]["Location"]).read()) > 0
            out["tags"] = got["Tags"]
            out["reserved"] = got["Concurrency"]["ReservedConcurrentExecutions"]
            out["alias"] = lam.get_alias(FunctionName="kept", Name="live")["FunctionVersion"]
            out["sids"] = [s["Sid"] for s in json.loads(lam.get_policy(FunctionName="kept")["Policy"])["Statement"]]
            out["invoke"] = invoke("kept", {"n": 7}, Qualifier="live")
            lam.delete_function_concurrency(FunctionName="later")
            iam = client("iam")
            deadline = time.time() + 20
            out["event_ran"] = False
            while time.time() < deadline and not out["event_ran"]:
                out["event_ran"] = error(iam.get_user, UserName="made-by-queued-event") is None
                time.sleep(0.3)
            """);

        Assert.Equal(before["sha"]!.GetValue<string>(), after["sha"]!.GetValue<string>());
        Assert.True(after["download"]!.GetValue<bool>());
        Assert.Equal("""{"team":"core"}""", after["tags"]!.ToJsonString());
        Assert.Equal(5, after["reserved"]!.GetValue<int>());
        Assert.Equal("1", after["alias"]!.GetValue<string>());
        Assert.Equal("""["apigw"]""", after["sids"]!.ToJsonString());
        Assert.Equal("""{"kept":7}""", after["invoke"]!["payload"]!.ToJsonString());
        Assert.Equal("1", after["invoke"]!["version"]!.GetValue<string>());
        Assert.Equal(202, before["queued"]!.GetValue<int>());
        Assert.True(after["event_ran"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Provisioned_concurrency_starts_again_after_a_restart_and_follows_its_alias()
    {
        await using var server = await StratusProcess.StartPersistentAsync(new Dictionary<string, string>());
        const string WaitReady = """
            def wait_ready():
                deadline = time.time() + 60
                while True:
                    got = lam.get_provisioned_concurrency_config(FunctionName="warm", Qualifier="live")
                    if got["Status"] != "IN_PROGRESS" or time.time() > deadline:
                        return got
                    time.sleep(0.2)
            """;
        var before = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + WaitReady + "\n" + """
            import time
            APP = "import os\nINIT = os.environ.get('AWS_LAMBDA_INITIALIZATION_TYPE')\ndef handler(e, c):\n    return {'init': INIT, 'version': os.environ['AWS_LAMBDA_FUNCTION_VERSION']}\n"
            create("warm", {"app.py": APP})
            lam.publish_version(FunctionName="warm")
            lam.create_alias(FunctionName="warm", Name="live", FunctionVersion="1")
            lam.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="live", ProvisionedConcurrentExecutions=1)
            out["status"] = wait_ready()["Status"]
            lam.put_runtime_management_config(FunctionName="warm", UpdateRuntimeOn="FunctionUpdate")
            """);

        await server.RestartAsync();

        var after = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + WaitReady + "\n" + """
            import time
            got = wait_ready()
            out["status"] = got["Status"]
            out["allocated"] = got["AllocatedProvisionedConcurrentExecutions"]
            out["invoke"] = invoke("warm", {}, Qualifier="live")
            out["runtime"] = lam.get_runtime_management_config(FunctionName="warm")["UpdateRuntimeOn"]
            # The alias moves to a new version: its provisioned environments are started again for that version.
            lam.update_function_configuration(FunctionName="warm", Description="second")
            lam.get_waiter("function_updated_v2").wait(FunctionName="warm")
            version = lam.publish_version(FunctionName="warm")["Version"]
            lam.update_alias(FunctionName="warm", Name="live", FunctionVersion=version)
            out["moved_status"] = wait_ready()["Status"]
            out["moved"] = invoke("warm", {}, Qualifier="live")
            """);

        Assert.Equal("READY", before["status"]!.GetValue<string>());
        Assert.Equal("READY", after["status"]!.GetValue<string>());
        Assert.Equal(1, after["allocated"]!.GetValue<int>());
        Assert.Equal("provisioned-concurrency", after["invoke"]!["payload"]!["init"]!.GetValue<string>());
        Assert.Equal("FunctionUpdate", after["runtime"]!.GetValue<string>());
        Assert.Equal("READY", after["moved_status"]!.GetValue<string>());
        Assert.Equal("2", after["moved"]!["payload"]!["version"]!.GetValue<string>());
        Assert.Equal("provisioned-concurrency", after["moved"]!["payload"]!["init"]!.GetValue<string>());
    }
}
