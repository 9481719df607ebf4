using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// postgres instances on a real PostgreSQL server, driven by boto3 and read with Npgsql: the data survives a restart
/// and a kill -9 of Stratus, a crash of the server, a snapshot and restore, a stop and start and a final snapshot,
/// and no postgres process outlives Stratus. One flow in one persistent Stratus, as each step needs the one before.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsPostgresTests
{
    private const string Identifier = "pg-lifecycle";
    private const string User = "postgres";
    private const string Password = "pg-master-pass";
    private const string Database = "app";
    private static readonly PostgresLogin Pg = new(User, Password, Database);
    private const string Row = "SELECT name FROM accounts WHERE id = 1";

    [Fact]
    public async Task A_postgres_instance_keeps_its_rows_through_restarts_crashes_snapshots_stop_start_and_deletion()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var created = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            i = rds.create_db_instance(DBInstanceIdentifier="{{Identifier}}", DBInstanceClass="db.t3.micro", Engine="postgres",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="{{Database}}", AllocatedStorage=20)["DBInstance"]
            out["version"] = i["EngineVersion"]
            out["versions"] = [v["EngineVersion"] for v in rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]]
            out["family"] = rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"][0]["DBParameterGroupFamily"]
            """);
        var endpoint = await WaitAvailableAsync(stratus.Url, Identifier);
        var version = created["version"]!.GetValue<string>();
        Assert.Equal(5432, endpoint.Port);
        Assert.Equal(new[] { version }, created["versions"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("postgres" + version.Split('.')[0], created["family"]!.GetValue<string>());

        await Pg.ExecuteAsync(endpoint, "CREATE TABLE accounts (id INT PRIMARY KEY, name TEXT); INSERT INTO accounts VALUES (1, 'alice')");
        Assert.StartsWith($"PostgreSQL {version}", (string?)await Pg.ScalarAsync(endpoint, "SELECT version()"));
        Assert.False((bool)(await Pg.ScalarAsync(endpoint, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))!, "the master user is not a superuser, as on RDS");

        // The server crashes: Stratus restarts it and records why.
        var pid = PostmasterPid(stratus, endpoint);
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            for _ in range(120):
                if any("exited unexpectedly" in e["Message"] for e in rds.describe_events(SourceIdentifier="{{Identifier}}", SourceType="db-instance")["Events"]):
                    break
                time.sleep(0.5)
            else:
                raise SystemExit("no restart event")
            """);
        endpoint = await WaitAvailableAsync(stratus.Url, Identifier);
        Assert.Equal("alice", await Pg.ScalarAsync(endpoint, Row));
        Assert.NotEqual(pid, PostmasterPid(stratus, endpoint));

        // Stratus stops (its server with it) and comes back; then it is killed, and the next start adopts the orphan.
        pid = PostmasterPid(stratus, endpoint);
        await stratus.StopAsync();
        Assert.False(IsProcessRunning(pid), "stopping Stratus stops its postgres");
        await stratus.RestartAsync();
        endpoint = await WaitAvailableAsync(stratus.Url, Identifier);
        Assert.Equal("alice", await Pg.ScalarAsync(endpoint, Row));
        var orphan = PostmasterPid(stratus, endpoint);
        await stratus.KillAsync();
        Assert.True(IsProcessRunning(orphan), "postgres outlives a kill -9 of Stratus until the next start adopts it");
        await stratus.RestartAsync();
        endpoint = await WaitAvailableAsync(stratus.Url, Identifier);
        Assert.False(IsProcessRunning(orphan), "the orphaned postgres was stopped");
        Assert.Equal("alice", await Pg.ScalarAsync(endpoint, Row));

        // A snapshot holds the rows of its moment; a restore is a new instance on its own address.
        await Clients.Boto3Async(stratus.Url, $$"""
            client("rds").create_db_snapshot(DBInstanceIdentifier="{{Identifier}}", DBSnapshotIdentifier="pg-snap")
            """);
        await WaitSnapshotAvailableAsync(stratus.Url, "pg-snap");
        endpoint = await WaitAvailableAsync(stratus.Url, Identifier);
        await Pg.ExecuteAsync(endpoint, "INSERT INTO accounts VALUES (2, 'after-snapshot')");
        await Clients.Boto3Async(stratus.Url, """
            client("rds").restore_db_instance_from_db_snapshot(DBInstanceIdentifier="pg-restored", DBSnapshotIdentifier="pg-snap")
            """);
        var restored = await WaitAvailableAsync(stratus.Url, "pg-restored");
        Assert.NotEqual(endpoint.Address, restored.Address);
        Assert.Equal("alice", await Pg.ScalarAsync(restored, Row));
        Assert.Equal(1L, await Pg.ScalarAsync(restored, "SELECT COUNT(*) FROM accounts"));

        // Stop and start.
        await Clients.Boto3Async(stratus.Url, $$"""client("rds").stop_db_instance(DBInstanceIdentifier="{{Identifier}}")""");
        Assert.Equal("stopped", (string?)(await WaitStatusAsync(stratus.Url, Identifier, "stopped"))["status"]);
        Assert.True(await NothingListensAsync(endpoint.Address, endpoint.Port));
        await Clients.Boto3Async(stratus.Url, $$"""client("rds").start_db_instance(DBInstanceIdentifier="{{Identifier}}")""");
        endpoint = await WaitAvailableAsync(stratus.Url, Identifier);
        Assert.Equal(2L, await Pg.ScalarAsync(endpoint, "SELECT COUNT(*) FROM accounts"));

        // Deletion with a final snapshot: the instance goes, its rows stay in the snapshot.
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.delete_db_instance(DBInstanceIdentifier="{{Identifier}}", FinalDBSnapshotIdentifier="pg-final")
            rds.delete_db_instance(DBInstanceIdentifier="pg-restored", SkipFinalSnapshot=True)
            """);
        await WaitDeletedAsync(stratus.Url, Identifier);
        await WaitSnapshotAvailableAsync(stratus.Url, "pg-final");
        Assert.True(await NothingListensAsync(endpoint.Address, endpoint.Port));
        await Clients.Boto3Async(stratus.Url, """
            client("rds").restore_db_instance_from_db_snapshot(DBInstanceIdentifier="pg-from-final", DBSnapshotIdentifier="pg-final")
            """);
        var fromFinal = await WaitAvailableAsync(stratus.Url, "pg-from-final");
        Assert.Equal(2L, await Pg.ScalarAsync(fromFinal, "SELECT COUNT(*) FROM accounts"));

        // Stratus stops: no postgres of its data dir is left.
        await stratus.StopAsync();
        Assert.Empty(PostgresProcessesOf(stratus.DataDir!));
    }

    [Fact]
    public async Task A_CloudFormation_db_instance_with_Engine_postgres_answers_on_5432()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            properties = dict(Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage="20",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="{{Database}}")
            db = dict(Type="AWS::RDS::DBInstance", Properties=properties)
            outputs = dict(Address=dict(Value={"Fn::GetAtt": ["Db", "Endpoint.Address"]}), Port=dict(Value={"Fn::GetAtt": ["Db", "Endpoint.Port"]}))
            body = json.dumps(dict(Resources=dict(Db=db), Outputs=outputs))
            cf.create_stack(StackName="pg", TemplateBody=body)
            cf.get_waiter("stack_create_complete").wait(StackName="pg", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            for o in cf.describe_stacks(StackName="pg")["Stacks"][0]["Outputs"]:
                out[o["OutputKey"]] = o["OutputValue"]
            """, TimeSpan.FromMinutes(5));

        Assert.Equal("5432", (string?)result["Port"]);
        var endpoint = new DbEndpoint(result["Address"]!.GetValue<string>(), 5432, "");
        Assert.Equal(1, await Pg.ScalarAsync(endpoint, "SELECT 1"));
    }

    /// <summary>The postmaster's pid, first line of its postmaster.pid.</summary>
    private static int PostmasterPid(StratusProcess stratus, DbEndpoint endpoint) =>
        int.Parse(File.ReadLines(Path.Combine(stratus.DataDir!, "rds", "instances", endpoint.ResourceId, "data", "postmaster.pid")).First().Trim());

    private static List<int> PostgresProcessesOf(string dataDir) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => (Pid: int.Parse(name!), CommandLine: ReadCommandLine(name!)))
            .Where(p => p.CommandLine.Contains("postgres", StringComparison.Ordinal) && p.CommandLine.Contains(dataDir, StringComparison.Ordinal))
            .Select(p => p.Pid).ToList();

    private static string ReadCommandLine(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }
}
