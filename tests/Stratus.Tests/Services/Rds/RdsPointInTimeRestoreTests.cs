using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Automated backups and point-in-time restore on real servers, for each engine: the automated snapshot taken at creation
/// from the running server, not restarted for it (listed, refused by DeleteDBSnapshot), a manual snapshot taken while a client
/// keeps writing on one connection that never fails, restored with every row committed before it, rows written before and after a noted time, a restore to that time that holds only the
/// first rows (MariaDB's binary log replayed up to it, PostgreSQL's archived WAL recovered up to it), AWS's refusals of a
/// restore, the backups surviving a restart of Stratus, a template's DBInstance restored to the latest time (MariaDB's flow),
/// and a deleted instance's retained backup restored to its latest time and then deleted. One flow in one persistent Stratus per engine, as each step needs the one before.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsPointInTimeRestoreTests
{
    private static readonly PostgresLogin Pg = new("postgres", "pg-master-pass", "app");

    /// <summary>An engine's instance settings and its SQL through the test's client library.</summary>
    /// <summary><paramref name="ServerStartedSql"/> gives the server's start as Unix seconds.</summary>
    private sealed record Engine(string Name, string CreateArgs, Func<DbEndpoint, string, Task> Execute, Func<DbEndpoint, string, Task<object?>> Scalar,
        Func<DbEndpoint, Task<DbConnection>> Connect, string ServerStartedSql);

    private static readonly Engine MariaDb = new("mariadb",
        $"""Engine="mariadb", MasterUsername="{SeedUser}", MasterUserPassword="{SeedPassword}", DBName="{SeedDatabase}" """,
        (endpoint, sql) => ExecuteAsync(endpoint, sql), (endpoint, sql) => ScalarAsync(endpoint, sql), async endpoint => await ConnectAsync(endpoint),
        "SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'");

    private static readonly Engine Postgres = new("postgres",
        $"""Engine="postgres", MasterUsername="{Pg.User}", MasterUserPassword="{Pg.Password}", DBName="{Pg.Database}" """,
        Pg.ExecuteAsync, Pg.ScalarAsync, async endpoint => await Pg.ConnectAsync(endpoint), "SELECT EXTRACT(EPOCH FROM pg_postmaster_start_time())");

    [Fact]
    public Task A_mariadb_instance_restores_to_a_point_in_time_from_its_binary_log() => RestoreFlowAsync(MariaDb);

    [Fact]
    public Task A_postgres_instance_restores_to_a_point_in_time_from_its_archived_wal() => RestoreFlowAsync(Postgres);

    private static async Task RestoreFlowAsync(Engine engine)
    {
        var source = $"{engine.Name}-src";
        await using var stratus = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(stratus.Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="{{source}}", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                BackupRetentionPeriod=2, PreferredBackupWindow="01:00-01:45", {{engine.CreateArgs}})
            """);
        var endpoint = await WaitAvailableAsync(stratus.Url, source);

        // The first automated snapshot is taken at creation: listed as automated, refused by DeleteDBSnapshot.
        var backups = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            snaps = rds.describe_db_snapshots(DBInstanceIdentifier="{{source}}", SnapshotType="automated")["DBSnapshots"]
            out["snapshots"] = [[s["SnapshotType"], s["Status"], s["DBSnapshotIdentifier"].startswith("rds:{{source}}-")] for s in snaps]
            out["manual"] = len(rds.describe_db_snapshots(DBInstanceIdentifier="{{source}}", SnapshotType="manual")["DBSnapshots"])
            out["delete"] = error(rds.delete_db_snapshot, DBSnapshotIdentifier=snaps[0]["DBSnapshotIdentifier"])
            out["share"] = error(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier=snaps[0]["DBSnapshotIdentifier"], AttributeName="restore", ValuesToAdd=["123456789012"])
            # The server archives its log from its first start, before the first snapshot: no archive failure.
            out["archive_failures"] = [e["Message"] for e in rds.describe_events(SourceIdentifier="{{source}}", SourceType="db-instance", Duration=60)["Events"]
                                       if "could not be archived" in e["Message"]]
            i = rds.describe_db_instances(DBInstanceIdentifier="{{source}}")["DBInstances"][0]
            out["instance"] = [i["BackupRetentionPeriod"], i["PreferredBackupWindow"], "LatestRestorableTime" in i]
            out["snapshot_time"] = snaps[0]["SnapshotCreateTime"].timestamp()
            b = rds.describe_db_instance_automated_backups(DBInstanceIdentifier="{{source}}")["DBInstanceAutomatedBackups"][0]
            out["backup"] = [b["Status"], b["DbiResourceId"] == i["DbiResourceId"], b["DBInstanceAutomatedBackupsArn"].split(":")[5], b["BackupRetentionPeriod"],
                             b["RestoreWindow"]["EarliestTime"] == snaps[0]["SnapshotCreateTime"]]
            """);
        Assert.Equal("""[["automated","available",true]]""", backups["snapshots"]!.ToJsonString());
        Assert.Equal(0, (int)backups["manual"]!);
        Assert.Equal("InvalidDBSnapshotState", (string?)backups["delete"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)backups["share"]!["code"]);
        Assert.Equal("[]", backups["archive_failures"]!.ToJsonString());
        Assert.Equal("""[2,"01:00-01:45",true]""", backups["instance"]!.ToJsonString());
        Assert.Equal("""["active",true,"auto-backup",2,true]""", backups["backup"]!.ToJsonString());
        // Taken online: the server serving now started before the snapshot was complete, it did not stop for it.
        var serverStarted = Convert.ToDouble(await engine.Scalar(endpoint, engine.ServerStartedSql), CultureInfo.InvariantCulture);
        Assert.True(serverStarted < (double)backups["snapshot_time"]!, $"the server started at {serverStarted}, after the first automated snapshot at {backups["snapshot_time"]}");

        // Rows before and after a noted time; the binary log's times are whole seconds, so a second and more on either side.
        await engine.Execute(endpoint, "CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO ledger VALUES (1, 'before'), (2, 'before')");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        await engine.Execute(endpoint, "INSERT INTO ledger VALUES (3, 'after'), (4, 'after')");
        var restoreTime = between.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00:00";
        await SnapshotWhileWritingAsync(stratus.Url, engine, source, endpoint);

        var refusals = await Clients.Boto3Async(stratus.Url, $$"""
            from datetime import datetime, timedelta
            rds = client("rds")
            t = datetime.fromisoformat("{{restoreTime}}")
            out["too_early"] = error(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="{{source}}", TargetDBInstanceIdentifier="x1",
                RestoreTime=t - timedelta(days=1))
            out["too_late"] = error(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="{{source}}", TargetDBInstanceIdentifier="x1",
                RestoreTime=t + timedelta(days=1))
            out["both"] = error(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="{{source}}", TargetDBInstanceIdentifier="x1",
                RestoreTime=t, UseLatestRestorableTime=True)
            out["target_exists"] = error(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="{{source}}", TargetDBInstanceIdentifier="{{source}}",
                RestoreTime=t)
            out["no_source"] = error(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="nope", TargetDBInstanceIdentifier="x1", RestoreTime=t)
            out["no_backup"] = error(rds.restore_db_instance_to_point_in_time, SourceDbiResourceId="db-NOPE", TargetDBInstanceIdentifier="x1", RestoreTime=t)
            rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier="{{source}}", TargetDBInstanceIdentifier="{{engine.Name}}-pitr", RestoreTime=t)
            """);
        Assert.Equal("InvalidRestoreFault", (string?)refusals["too_early"]!["code"]);
        Assert.Equal("InvalidRestoreFault", (string?)refusals["too_late"]!["code"]);
        Assert.Equal("InvalidParameterCombination", (string?)refusals["both"]!["code"]);
        Assert.Equal("DBInstanceAlreadyExists", (string?)refusals["target_exists"]!["code"]);
        Assert.Equal("DBInstanceNotFound", (string?)refusals["no_source"]!["code"]);
        Assert.Equal("DBInstanceAutomatedBackupNotFound", (string?)refusals["no_backup"]!["code"]);

        var restored = await WaitAvailableAsync(stratus.Url, $"{engine.Name}-pitr");
        Assert.NotEqual(endpoint.Address, restored.Address);
        Assert.Equal("2", Convert.ToString(await engine.Scalar(restored, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
        Assert.Equal("before", await engine.Scalar(restored, "SELECT note FROM ledger WHERE id = 2"));
        // The restored server is a primary of its own: it takes writes, and keeps automated backups of its own.
        await engine.Execute(restored, "INSERT INTO ledger VALUES (5, 'restored')");

        // Across a restart of Stratus: the servers come back with their rows, the backups with their snapshots.
        await stratus.StopAsync();
        await stratus.RestartAsync();
        endpoint = await WaitAvailableAsync(stratus.Url, source);
        restored = await WaitAvailableAsync(stratus.Url, $"{engine.Name}-pitr");
        Assert.Equal("3", Convert.ToString(await engine.Scalar(restored, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
        var afterRestart = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            out["backups"] = sorted([b["DBInstanceIdentifier"], b["Status"]] for b in rds.describe_db_instance_automated_backups()["DBInstanceAutomatedBackups"])
            out["active"] = [b["Status"] for b in rds.describe_db_instance_automated_backups(Filters=[{"Name": "status", "Values": ["active"]}])["DBInstanceAutomatedBackups"]]
            out["snapshots"] = len(rds.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"])
            """);
        Assert.Equal($"""[["{engine.Name}-pitr","active"],["{source}","active"]]""", afterRestart["backups"]!.ToJsonString());
        Assert.Equal("""["active","active"]""", afterRestart["active"]!.ToJsonString());
        Assert.Equal(2, (int)afterRestart["snapshots"]!);

        if (engine == MariaDb)
        {
            // A template's AWS::RDS::DBInstance restores to a point in time with the API's input and code.
            var stack = await Clients.Boto3Async(stratus.Url, $$"""
                cf = client("cloudformation")
                props = dict(SourceDBInstanceIdentifier="{{source}}", UseLatestRestorableTime=True, DBInstanceClass="db.t3.micro")
                db = dict(Type="AWS::RDS::DBInstance", DeletionPolicy="Delete", Properties=props)
                outputs = dict(Address=dict(Value={"Fn::GetAtt": ["Db", "Endpoint.Address"]}), Port=dict(Value={"Fn::GetAtt": ["Db", "Endpoint.Port"]}))
                cf.create_stack(StackName="pitr", TemplateBody=json.dumps(dict(Resources=dict(Db=db), Outputs=outputs)))
                try:
                    cf.get_waiter("stack_create_complete").wait(StackName="pitr", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
                except botocore.exceptions.WaiterError:
                    raise SystemExit(json.dumps([e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="pitr")["StackEvents"]]))
                for o in cf.describe_stacks(StackName="pitr")["Stacks"][0]["Outputs"]:
                    out[o["OutputKey"]] = o["OutputValue"]
                """, TimeSpan.FromMinutes(5));
            var fromStack = new DbEndpoint((string)stack["Address"]!, int.Parse((string)stack["Port"]!, CultureInfo.InvariantCulture), "");
            Assert.Equal("4", Convert.ToString(await engine.Scalar(fromStack, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
            await Clients.Boto3Async(stratus.Url, """
                cf = client("cloudformation")
                cf.delete_stack(StackName="pitr")
                cf.get_waiter("stack_delete_complete").wait(StackName="pitr", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
                """, TimeSpan.FromMinutes(5));
        }

        // Deleted with DeleteAutomatedBackups false, the source's backups are retained, and restore to its latest time: every row.
        await engine.Execute(endpoint, "INSERT INTO ledger VALUES (6, 'last')");
        var deleted = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            out["resource"] = rds.delete_db_instance(DBInstanceIdentifier="{{source}}", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)["DBInstance"]["DbiResourceId"]
            rds.delete_db_instance(DBInstanceIdentifier="{{engine.Name}}-pitr", SkipFinalSnapshot=True)
            for name in ["{{source}}", "{{engine.Name}}-pitr"]:
                rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            b = rds.describe_db_instance_automated_backups(DbiResourceId=out["resource"])["DBInstanceAutomatedBackups"][0]
            out["retained"] = [b["Status"], b["DBInstanceIdentifier"], "LatestTime" in b["RestoreWindow"]]
            out["others"] = len(rds.describe_db_instance_automated_backups()["DBInstanceAutomatedBackups"])
            out["by_name"] = error(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="{{source}}", TargetDBInstanceIdentifier="x1",
                UseLatestRestorableTime=True)
            rds.restore_db_instance_to_point_in_time(SourceDbiResourceId=out["resource"], TargetDBInstanceIdentifier="{{engine.Name}}-latest", UseLatestRestorableTime=True)
            """);
        Assert.Equal($"""["retained","{source}",true]""", deleted["retained"]!.ToJsonString());
        Assert.Equal(1, (int)deleted["others"]!);
        Assert.Equal("DBInstanceNotFound", (string?)deleted["by_name"]!["code"]);
        var latest = await WaitAvailableAsync(stratus.Url, $"{engine.Name}-latest");
        Assert.Equal("5", Convert.ToString(await engine.Scalar(latest, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));

        var cleanup = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            resource = "{{(string)deleted["resource"]!}}"
            latest = rds.describe_db_instances(DBInstanceIdentifier="{{engine.Name}}-latest")["DBInstances"][0]["DbiResourceId"]
            out["active_delete"] = error(rds.delete_db_instance_automated_backup, DbiResourceId=latest)
            out["deleted"] = rds.delete_db_instance_automated_backup(DbiResourceId=resource)["DBInstanceAutomatedBackup"]["Status"]
            out["gone"] = error(rds.describe_db_instance_automated_backups, DbiResourceId=resource)
            out["snapshots_left"] = sorted(s["DBInstanceIdentifier"] for s in rds.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"])
            rds.delete_db_instance(DBInstanceIdentifier="{{engine.Name}}-latest", SkipFinalSnapshot=True)
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="{{engine.Name}}-latest", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["after_all"] = len(rds.describe_db_instance_automated_backups()["DBInstanceAutomatedBackups"])
            """);
        Assert.Equal("InvalidDBInstanceAutomatedBackupState", (string?)cleanup["active_delete"]!["code"]);
        Assert.Equal("deleting", (string?)cleanup["deleted"]);
        Assert.Equal("DBInstanceAutomatedBackupNotFound", (string?)cleanup["gone"]!["code"]);
        Assert.Equal($"""["{engine.Name}-latest"]""", cleanup["snapshots_left"]!.ToJsonString());
        Assert.Equal(0, (int)cleanup["after_all"]!);
        Assert.False(Directory.Exists(Path.Combine(stratus.DataDir!, "rds", "backups", (string)deleted["resource"]!)), "the retained backup's log archive is deleted with it");
    }
    /// <summary>
    /// CreateDBSnapshot while a client writes a row at a time on one connection: the connection never fails (the server keeps
    /// serving), and the snapshot restores to a server holding every row committed before the snapshot was asked for.
    /// </summary>
    private static async Task SnapshotWhileWritingAsync(string url, Engine engine, string source, DbEndpoint endpoint)
    {
        await engine.Execute(endpoint, "CREATE TABLE stream (id INT PRIMARY KEY)");
        await using var connection = await engine.Connect(endpoint);
        var committed = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = $"INSERT INTO stream VALUES ({committed + 1})";
                await insert.ExecuteNonQueryAsync();
                Interlocked.Increment(ref committed);
            }
        });
        while (Volatile.Read(ref committed) < 20 && !writer.IsCompleted) await Task.Delay(50);
        var committedBefore = Volatile.Read(ref committed);
        var taken = await Clients.Boto3Async(url, $$"""
            rds = client("rds")
            s = rds.create_db_snapshot(DBSnapshotIdentifier="{{engine.Name}}-online", DBInstanceIdentifier="{{source}}")["DBSnapshot"]
            out["asked"] = [s["Status"], rds.describe_db_instances(DBInstanceIdentifier="{{source}}")["DBInstances"][0]["DBInstanceStatus"]]
            rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="{{engine.Name}}-online", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            """, TimeSpan.FromMinutes(5));
        var committedDuring = Volatile.Read(ref committed) - committedBefore;
        await stop.CancelAsync();
        await writer;
        Assert.Equal("""["creating","backing-up"]""", taken["asked"]!.ToJsonString());
        Assert.True(committedDuring > 0, "the client kept writing while the snapshot was taken");

        await WaitStatusAsync(url, source, "available");
        await Clients.Boto3Async(url, $$"""
            client("rds").restore_db_instance_from_db_snapshot(DBInstanceIdentifier="{{engine.Name}}-online", DBSnapshotIdentifier="{{engine.Name}}-online",
                DBInstanceClass="db.t3.micro", BackupRetentionPeriod=0)
            """);
        var restored = await WaitAvailableAsync(url, $"{engine.Name}-online");
        Assert.Equal(committedBefore.ToString(CultureInfo.InvariantCulture), Convert.ToString(
            await engine.Scalar(restored, $"SELECT COUNT(*) FROM stream WHERE id <= {committedBefore}"), CultureInfo.InvariantCulture));
        Assert.Equal("4", Convert.ToString(await engine.Scalar(restored, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
        await Clients.Boto3Async(url, $$"""
            rds = client("rds")
            rds.delete_db_instance(DBInstanceIdentifier="{{engine.Name}}-online", SkipFinalSnapshot=True)
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="{{engine.Name}}-online", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            rds.delete_db_snapshot(DBSnapshotIdentifier="{{engine.Name}}-online")
            """);
    }
}
