using System.Globalization;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Aurora automated backups and RestoreDBClusterToPointInTime on real servers, for each engine (aurora-mysql's binary log,
/// aurora-postgresql's WAL): the automated cluster snapshot
/// taken at creation (listed, refused by DeleteDBClusterSnapshot), the restorable window on DescribeDBClusters, rows written
/// before and after a noted time through the writer, AWS's refusals of a restore, a restore to that time whose writer (added
/// by CreateDBInstance, as the restored cluster has none) holds only the first rows, and the source's backups retained after
/// DeleteDBCluster with DeleteAutomatedBackups false, restored to their latest time by resource id and then deleted; and the
/// window across a failover: a time before it restores the old writer's log, a time after it the promoted reader's.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterPointInTimeRestoreTests
{
    private const string User = "aurora_admin";
    private const string Password = "aurora-master-pass";

    [Theory]
    [InlineData("aurora-mysql")]
    [InlineData("aurora-postgresql")]
    public async Task A_cluster_restores_to_a_point_in_time_and_keeps_its_backups_after_deletion(string engine)
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var created = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            out["no_backups"] = error(rds.create_db_cluster, DBClusterIdentifier="bad", Engine="{{engine}}", MasterUsername="{{User}}",
                MasterUserPassword="{{Password}}", BackupRetentionPeriod=0)
            rds.create_db_cluster(DBClusterIdentifier="ledger", Engine="{{engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}",
                DatabaseName="app", BackupRetentionPeriod=3, PreferredBackupWindow="01:00-01:45")
            rds.create_db_instance(DBInstanceIdentifier="ledger-writer", DBClusterIdentifier="ledger", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="ledger-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            snaps = rds.describe_db_cluster_snapshots(DBClusterIdentifier="ledger", SnapshotType="automated")["DBClusterSnapshots"]
            out["snapshots"] = [[s["SnapshotType"], s["Status"], s["DBClusterSnapshotIdentifier"].startswith("rds:ledger-")] for s in snaps]
            out["manual"] = len(rds.describe_db_cluster_snapshots(DBClusterIdentifier="ledger", SnapshotType="manual")["DBClusterSnapshots"])
            out["delete"] = error(rds.delete_db_cluster_snapshot, DBClusterSnapshotIdentifier=snaps[0]["DBClusterSnapshotIdentifier"])
            c = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
            out["cluster"] = [c["BackupRetentionPeriod"], c["PreferredBackupWindow"], c["EarliestRestorableTime"] == snaps[0]["SnapshotCreateTime"],
                              c["LatestRestorableTime"] >= c["EarliestRestorableTime"]]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            b = rds.describe_db_cluster_automated_backups(DBClusterIdentifier="ledger")["DBClusterAutomatedBackups"][0]
            out["backup"] = [b["Status"], b["DbClusterResourceId"] == c["DbClusterResourceId"], b["DBClusterAutomatedBackupsArn"].split(":")[5],
                             b["BackupRetentionPeriod"], b["RestoreWindow"]["EarliestTime"] == snaps[0]["SnapshotCreateTime"]]
            out["archive_failures"] = [e["Message"] for e in rds.describe_events(SourceIdentifier="ledger", SourceType="db-cluster", Duration=60)["Events"]
                                       if "could not be archived" in e["Message"]]
            """, TimeSpan.FromMinutes(5));
        Assert.Equal("InvalidParameterValue", (string?)created["no_backups"]!["code"]);
        Assert.Equal("""[["automated","available",true]]""", created["snapshots"]!.ToJsonString());
        Assert.Equal(0, (int)created["manual"]!);
        Assert.Equal("InvalidDBClusterSnapshotStateFault", (string?)created["delete"]!["code"]);
        Assert.Equal("""[3,"01:00-01:45",true,true]""", created["cluster"]!.ToJsonString());
        Assert.Equal("""["active",true,"cluster-auto-backup",3,true]""", created["backup"]!.ToJsonString());
        Assert.Equal("[]", created["archive_failures"]!.ToJsonString());
        var db = new RdsAuroraTests.AuroraDatabase(engine, (int)created["port"]!);
        var endpoint = (string)created["endpoint"]!;

        // Rows before and after a noted time; the binary log's times are whole seconds, so a second and more on either side.
        await db.ExecuteAsync(endpoint, "CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO ledger VALUES (1, 'before'), (2, 'before')");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        await db.ExecuteAsync(endpoint, "INSERT INTO ledger VALUES (3, 'after'), (4, 'after')");
        var restoreTime = between.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00:00";

        var restore = await Clients.Boto3Async(stratus.Url, $$"""
            from datetime import datetime, timedelta
            rds = client("rds")
            t = datetime.fromisoformat("{{restoreTime}}")
            def restore(**kwargs):
                return error(rds.restore_db_cluster_to_point_in_time, **{"DBClusterIdentifier": "x1", "SourceDBClusterIdentifier": "ledger", "RestoreToTime": t, **kwargs})
            out["too_early"] = restore(RestoreToTime=t - timedelta(days=1))
            out["too_late"] = restore(RestoreToTime=t + timedelta(days=1))
            out["both"] = restore(UseLatestRestorableTime=True)
            out["clone"] = restore(RestoreType="copy-on-write")
            out["target_exists"] = restore(DBClusterIdentifier="ledger")
            out["no_source"] = restore(SourceDBClusterIdentifier="nope")
            out["no_backup"] = error(rds.restore_db_cluster_to_point_in_time, DBClusterIdentifier="x1", SourceDbClusterResourceId="cluster-NOPE", RestoreToTime=t)
            c = rds.restore_db_cluster_to_point_in_time(DBClusterIdentifier="ledger-pitr", SourceDBClusterIdentifier="ledger", RestoreToTime=t,
                RestoreType="full-copy")["DBCluster"]
            out["restored"] = [c["Status"], c["DBClusterMembers"], c["Engine"]]
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="ledger-pitr", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            rds.create_db_instance(DBInstanceIdentifier="ledger-pitr-writer", DBClusterIdentifier="ledger-pitr", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="ledger-pitr-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["endpoint"] = rds.describe_db_clusters(DBClusterIdentifier="ledger-pitr")["DBClusters"][0]["Endpoint"]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("InvalidRestoreFault", (string?)restore["too_early"]!["code"]);
        Assert.Equal("InvalidRestoreFault", (string?)restore["too_late"]!["code"]);
        Assert.Equal("InvalidParameterCombination", (string?)restore["both"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)restore["clone"]!["code"]);
        Assert.Equal("DBClusterAlreadyExistsFault", (string?)restore["target_exists"]!["code"]);
        Assert.Equal("DBClusterNotFoundFault", (string?)restore["no_source"]!["code"]);
        Assert.Equal("DBClusterAutomatedBackupNotFoundFault", (string?)restore["no_backup"]!["code"]);
        Assert.Equal($"""["creating",[],"{engine}"]""", restore["restored"]!.ToJsonString());
        var restored = (string)restore["endpoint"]!;
        Assert.Equal("2", Convert.ToString(await db.ScalarAsync(restored, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
        Assert.Equal("before", await db.ScalarAsync(restored, "SELECT note FROM ledger WHERE id = 2"));
        // The restored writer is a primary of its own: it takes writes.
        await db.ExecuteAsync(restored, "INSERT INTO ledger VALUES (5, 'restored')");

        // Deleted with DeleteAutomatedBackups false, the source's backups are retained and restore to their latest time: every row.
        await db.ExecuteAsync(endpoint, "INSERT INTO ledger VALUES (6, 'last')");
        var retained = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            resource = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]["DbClusterResourceId"]
            rds.delete_db_instance(DBInstanceIdentifier="ledger-writer", SkipFinalSnapshot=True)
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="ledger-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            rds.delete_db_cluster(DBClusterIdentifier="ledger", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)
            for _ in range(120):
                if not [c for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == "ledger"]:
                    break
                time.sleep(1)
            b = rds.describe_db_cluster_automated_backups(DbClusterResourceId=resource)["DBClusterAutomatedBackups"][0]
            out["retained"] = [b["Status"], b["DBClusterIdentifier"], "LatestTime" in b["RestoreWindow"]]
            out["filtered"] = [x["DBClusterIdentifier"] for x in rds.describe_db_cluster_automated_backups(
                Filters=[{"Name": "status", "Values": ["retained"]}])["DBClusterAutomatedBackups"]]
            out["snapshots"] = len(rds.describe_db_cluster_snapshots(SnapshotType="automated")["DBClusterSnapshots"])
            out["by_name"] = error(rds.restore_db_cluster_to_point_in_time, DBClusterIdentifier="x1", SourceDBClusterIdentifier="ledger", UseLatestRestorableTime=True)
            out["active_delete"] = error(rds.delete_db_cluster_automated_backup,
                DbClusterResourceId=rds.describe_db_clusters(DBClusterIdentifier="ledger-pitr")["DBClusters"][0]["DbClusterResourceId"])
            rds.restore_db_cluster_to_point_in_time(DBClusterIdentifier="ledger-latest", SourceDbClusterResourceId=resource, UseLatestRestorableTime=True)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="ledger-latest", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            rds.create_db_instance(DBInstanceIdentifier="ledger-latest-writer", DBClusterIdentifier="ledger-latest", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="ledger-latest-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["endpoint"] = rds.describe_db_clusters(DBClusterIdentifier="ledger-latest")["DBClusters"][0]["Endpoint"]
            out["resource"] = resource
            out["deleted"] = rds.delete_db_cluster_automated_backup(DbClusterResourceId=resource)["DBClusterAutomatedBackup"]["Status"]
            out["gone"] = error(rds.describe_db_cluster_automated_backups, DbClusterResourceId=resource)
            """.Replace("{{engine}}", engine, StringComparison.Ordinal), TimeSpan.FromMinutes(6));
        Assert.Equal("""["retained","ledger",true]""", retained["retained"]!.ToJsonString());
        Assert.Equal("""["ledger"]""", retained["filtered"]!.ToJsonString());
        // The retained backup's snapshot and the restored cluster's own first one.
        Assert.Equal(2, (int)retained["snapshots"]!);
        Assert.Equal("DBClusterNotFoundFault", (string?)retained["by_name"]!["code"]);
        Assert.Equal("InvalidDBClusterAutomatedBackupStateFault", (string?)retained["active_delete"]!["code"]);
        Assert.Equal("5", Convert.ToString(await db.ScalarAsync((string)retained["endpoint"]!, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
        Assert.Equal("deleting", (string?)retained["deleted"]);
        Assert.Equal("DBClusterAutomatedBackupNotFoundFault", (string?)retained["gone"]!["code"]);
        Assert.False(Directory.Exists(Path.Combine(stratus.DataDir!, "rds", "backups", (string)retained["resource"]!)),
            "the retained backup's log archive is deleted with it");
    }

    [Theory]
    [InlineData("aurora-mysql")]
    [InlineData("aurora-postgresql")]
    public async Task The_restorable_window_of_a_cluster_goes_on_across_a_failover(string engine)
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var created = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="orders", Engine="{{engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="orders-a", DBClusterIdentifier="orders", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.create_db_instance(DBInstanceIdentifier="orders-b", DBClusterIdentifier="orders", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            for member in ["orders-a", "orders-b"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="orders")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            """, TimeSpan.FromMinutes(5));
        var db = new RdsAuroraTests.AuroraDatabase(engine, (int)created["port"]!);
        var endpoint = (string)created["endpoint"]!;
        static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00:00";

        await db.ExecuteAsync(endpoint, "CREATE TABLE orders (id INT PRIMARY KEY); INSERT INTO orders VALUES (1)");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var beforeFailover = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        await db.ExecuteAsync(endpoint, "INSERT INTO orders VALUES (2)");
        var failedOver = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.failover_db_cluster(DBClusterIdentifier="orders", TargetDBInstanceIdentifier="orders-b")
            time.sleep(1)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="orders", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            for member in ["orders-a", "orders-b"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="orders")["DBClusters"][0]
            out["writers"] = [m["DBInstanceIdentifier"] for m in c["DBClusterMembers"] if m["IsClusterWriter"]]
            out["automated"] = len(rds.describe_db_cluster_snapshots(DBClusterIdentifier="orders", SnapshotType="automated")["DBClusterSnapshots"])
            """, TimeSpan.FromMinutes(5));
        Assert.Equal("""["orders-b"]""", failedOver["writers"]!.ToJsonString());
        // The creation's and the promoted writer's, which its log continues.
        Assert.Equal(2, (int)failedOver["automated"]!);
        await db.ExecuteAsync(endpoint, "INSERT INTO orders VALUES (3)");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var afterFailover = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        await db.ExecuteAsync(endpoint, "INSERT INTO orders VALUES (4)");

        var restored = await Clients.Boto3Async(stratus.Url, $$"""
            from datetime import datetime
            rds = client("rds")
            for name, at in [("orders-before", "{{Iso(beforeFailover)}}"), ("orders-after", "{{Iso(afterFailover)}}")]:
                rds.restore_db_cluster_to_point_in_time(DBClusterIdentifier=name, SourceDBClusterIdentifier="orders", RestoreToTime=datetime.fromisoformat(at))
            for name in ["orders-before", "orders-after"]:
                rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
                rds.create_db_instance(DBInstanceIdentifier=name + "-w", DBClusterIdentifier=name, Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            for name in ["orders-before", "orders-after"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=name + "-w", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
                out[name] = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["Endpoint"]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("1", Convert.ToString(await db.ScalarAsync((string)restored["orders-before"]!, "SELECT COUNT(*) FROM orders"), CultureInfo.InvariantCulture));
        Assert.Equal("3", Convert.ToString(await db.ScalarAsync((string)restored["orders-after"]!, "SELECT COUNT(*) FROM orders"), CultureInfo.InvariantCulture));
    }
}
