using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// A persistent Stratus with one DB instance holding one row, shared by the lifecycle tests. It uses
/// ports of its own so that "nothing listens there any more" cannot be spoiled by the instances of
/// test classes running in parallel (the seed tests own 3306).
/// </summary>
public sealed class RdsInstanceFixture : IAsyncLifetime
{
    public const string Identifier = "lifecycle-db";
    public const int Port = 3316;

    public StratusProcess Server { get; private set; } = null!;
    public string Url => Server.Url;
    /// <summary>The master password as the latest test left it.</summary>
    public string Password { get; set; } = SeedPassword;

    public async Task InitializeAsync()
    {
        Server = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="{{Identifier}}", DBInstanceClass="db.t3.small", Engine="mysql", Port={{Port}},
                MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}", DBName="{{SeedDatabase}}", AllocatedStorage=20)
            """);
        var endpoint = await WaitAvailableAsync(Url, Identifier);
        await ExecuteAsync(endpoint, "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(50)); INSERT INTO accounts VALUES (1, 'alice')");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public Task<DbEndpoint> EndpointAsync() => WaitAvailableAsync(Url, Identifier);

    public string PidFile(DbEndpoint endpoint) => Path.Combine(Server.DataDir!, "rds", "instances", endpoint.ResourceId, "mariadbd.pid");
}

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsLifecycleTests(RdsInstanceFixture db) : IClassFixture<RdsInstanceFixture>
{
    private const string Row = "SELECT name FROM accounts WHERE id = 1";

    [Fact]
    public async Task Modifying_the_master_password_locks_out_the_old_one()
    {
        var endpoint = await db.EndpointAsync();
        const string newPassword = "N3w-pass_word!";
        await Clients.Boto3Async(db.Url, $$"""
            client("rds").modify_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", MasterUserPassword="{{newPassword}}", ApplyImmediately=True)
            """);
        endpoint = await db.EndpointAsync();
        var oldPassword = db.Password;
        db.Password = newPassword;

        Assert.Equal(1045, await LoginErrorAsync(endpoint, oldPassword));
        Assert.Null(await LoginErrorAsync(endpoint, newPassword));
    }

    [Fact]
    public async Task Modifying_class_and_storage_applies_now_or_at_the_next_reboot()
    {
        var result = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            later = rds.modify_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", DBInstanceClass="db.t3.medium", ApplyImmediately=False)["DBInstance"]
            out["laterClass"] = later["DBInstanceClass"]
            out["pendingClass"] = later["PendingModifiedValues"].get("DBInstanceClass")
            now = rds.modify_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", AllocatedStorage=40, ApplyImmediately=True)["DBInstance"]
            out["storage"] = now["AllocatedStorage"]
            out["shrink"] = error(rds.modify_db_instance, DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", AllocatedStorage=30, ApplyImmediately=True)
            out["badClass"] = error(rds.modify_db_instance, DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", DBInstanceClass="db.huge.none", ApplyImmediately=True)
            """);
        Assert.Equal("db.t3.small", result["laterClass"]!.GetValue<string>());
        Assert.Equal("db.t3.medium", result["pendingClass"]!.GetValue<string>());
        Assert.Equal(40, result["storage"]!.GetValue<int>());
        Assert.Equal("InvalidParameterValue", result["shrink"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", result["badClass"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Changing_the_port_moves_the_server_to_it()
    {
        var before = await db.EndpointAsync();
        var newPort = before.Port + 1;
        var modified = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            out["status"] = rds.modify_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", DBPortNumber={{newPort}})["DBInstance"]["DBInstanceStatus"]
            """);
        Assert.Equal("modifying", modified["status"]!.GetValue<string>());

        var after = await db.EndpointAsync();
        Assert.Equal(newPort, after.Port);
        Assert.Equal("alice", await ScalarAsync(after, Row, db.Password));
        Assert.True(await NothingListensAsync(before.Address, before.Port));
    }

    [Fact]
    public async Task Reboot_restarts_the_server_process_and_keeps_the_data()
    {
        var endpoint = await db.EndpointAsync();
        // A runtime setting only survives while the same process runs.
        await ExecuteAsync(endpoint, "SET GLOBAL max_connections = 321", db.Password);

        var rebooting = await Clients.Boto3Async(db.Url, $$"""
            out["status"] = client("rds").reboot_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}")["DBInstance"]["DBInstanceStatus"]
            """);
        Assert.Equal("rebooting", rebooting["status"]!.GetValue<string>());
        endpoint = await db.EndpointAsync();

        Assert.NotEqual(321L, Convert.ToInt64(await ScalarAsync(endpoint, "SELECT @@max_connections", db.Password)));
        Assert.Equal("alice", await ScalarAsync(endpoint, Row, db.Password));
    }

    [Fact]
    public async Task Snapshot_then_restore_makes_a_new_instance_with_the_data()
    {
        var endpoint = await db.EndpointAsync();
        await Clients.Boto3Async(db.Url, $$"""
            client("rds").create_db_snapshot(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}", DBSnapshotIdentifier="lifecycle-snap")
            """);
        await WaitSnapshotAvailableAsync(db.Url, "lifecycle-snap");
        endpoint = await db.EndpointAsync();
        await ExecuteAsync(endpoint, "INSERT INTO accounts VALUES (2, 'after-snapshot')", db.Password);

        await Clients.Boto3Async(db.Url, """
            client("rds").restore_db_instance_from_db_snapshot(DBInstanceIdentifier="restored-db", DBSnapshotIdentifier="lifecycle-snap")
            """);
        var restored = await WaitAvailableAsync(db.Url, "restored-db");

        Assert.NotEqual(endpoint.Address, restored.Address);
        Assert.Equal("alice", await ScalarAsync(restored, Row, db.Password));
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(restored, "SELECT COUNT(*) FROM accounts", db.Password)));

        await Clients.Boto3Async(db.Url, """
            rds = client("rds")
            rds.delete_db_instance(DBInstanceIdentifier="restored-db", SkipFinalSnapshot=True)
            rds.delete_db_snapshot(DBSnapshotIdentifier="lifecycle-snap")
            """);
        await WaitDeletedAsync(db.Url, "restored-db");
        Assert.True(await NothingListensAsync(restored.Address, restored.Port));
        await ExecuteAsync(endpoint, "DELETE FROM accounts WHERE id = 2", db.Password);
    }

    [Fact]
    public async Task Stop_and_start_keep_the_data()
    {
        var endpoint = await db.EndpointAsync();
        await Clients.Boto3Async(db.Url, $$"""
            client("rds").stop_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}")
            """);
        var stopped = await WaitStatusAsync(db.Url, RdsInstanceFixture.Identifier, "stopped");
        Assert.Equal("stopped", stopped["status"]!.GetValue<string>());
        Assert.True(await NothingListensAsync(endpoint.Address, endpoint.Port));

        await Clients.Boto3Async(db.Url, $$"""
            client("rds").start_db_instance(DBInstanceIdentifier="{{RdsInstanceFixture.Identifier}}")
            """);
        endpoint = await db.EndpointAsync();
        Assert.Equal("alice", await ScalarAsync(endpoint, Row, db.Password));
    }

    [Fact]
    public async Task A_database_process_that_dies_is_restarted_and_the_event_recorded()
    {
        var endpoint = await db.EndpointAsync();
        var pid = int.Parse(File.ReadAllText(db.PidFile(endpoint)).Trim());
        System.Diagnostics.Process.GetProcessById(pid).Kill();

        var events = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            for _ in range(120):
                messages = [e["Message"] for e in rds.describe_events(SourceIdentifier="{{RdsInstanceFixture.Identifier}}", SourceType="db-instance")["Events"]]
                if any("exited unexpectedly" in m for m in messages):
                    break
                time.sleep(0.5)
            out["messages"] = messages
            """);
        Assert.Contains(events["messages"]!.AsArray(), m => m!.GetValue<string>().Contains("exited unexpectedly"));
        endpoint = await db.EndpointAsync();
        Assert.Equal("alice", await ScalarAsync(endpoint, Row, db.Password));
        Assert.NotEqual(pid, int.Parse(File.ReadAllText(db.PidFile(endpoint)).Trim()));
    }

    [Fact]
    public async Task Stopping_Stratus_stops_its_servers_and_restarting_it_brings_them_back_even_after_kill_9()
    {
        var endpoint = await db.EndpointAsync();
        var runningPid = int.Parse(File.ReadAllText(db.PidFile(endpoint)).Trim());
        await db.Server.StopAsync();
        Assert.False(IsProcessRunning(runningPid), "stopping Stratus stops its database servers");
        Assert.True(await NothingListensAsync(endpoint.Address, endpoint.Port));

        await db.Server.RestartAsync();
        endpoint = await db.EndpointAsync();
        Assert.Equal("alice", await ScalarAsync(endpoint, Row, db.Password));

        var orphanPid = int.Parse(File.ReadAllText(db.PidFile(endpoint)).Trim());
        await db.Server.KillAsync();
        Assert.True(IsProcessRunning(orphanPid), "the server outlives a kill -9 of Stratus until the next start adopts it");
        await db.Server.RestartAsync();
        endpoint = await db.EndpointAsync();

        Assert.Equal("alice", await ScalarAsync(endpoint, Row, db.Password));
        Assert.False(IsProcessRunning(orphanPid), "the orphaned server was stopped");
        var status = await Clients.Boto3Async(db.Url, """
            import urllib.request
            out["state"] = urllib.request.urlopen(URL + "/_stratus/health").read().decode()
            """);
        Assert.Contains("running: 1 DB instance", status["state"]!.GetValue<string>());
    }
}
