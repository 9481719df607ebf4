using System.Globalization;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Automated backups replicated to another Region, on a real MariaDB server: replication started in us-west-2 from an
/// instance of us-east-1 (listed there as replicating, reported by the source), AWS's refusals, rows written after the start
/// reaching the copy's restore window, a point-in-time restore in us-west-2 from the replicated ARN holding them, the stop
/// (retained, no longer reported by the source), the copy surviving a restart of Stratus, resuming, then kept when the source
/// is deleted with its own backups, and its deletion by ARN. One flow in one persistent Stratus, as each step needs the one before.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsBackupReplicationTests
{
    private const string Source = "bk-src";

    [Fact]
    public async Task Automated_backups_replicate_to_another_region_and_restore_there()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var mariadb = $"""Engine="mariadb", MasterUsername="{SeedUser}", MasterUserPassword="{SeedPassword}", DBName="{SeedDatabase}" """;
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_instance(DBInstanceIdentifier="{{Source}}", DBInstanceClass="db.t3.micro", AllocatedStorage=20, BackupRetentionPeriod=1, {{mariadb}})
            rds.create_db_instance(DBInstanceIdentifier="bk-none", DBInstanceClass="db.t3.micro", AllocatedStorage=20, BackupRetentionPeriod=0, {{mariadb}})
            """);
        var endpoint = await WaitAvailableAsync(stratus.Url, Source);
        await WaitAvailableAsync(stratus.Url, "bk-none");
        await ExecuteAsync(endpoint, "CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO ledger VALUES (1, 'early'), (2, 'early')");

        var started = await Clients.Boto3Async(stratus.Url, $$"""
            east, west = client("rds"), client("rds", region="us-west-2")
            arn = east.describe_db_instances(DBInstanceIdentifier="{{Source}}")["DBInstances"][0]["DBInstanceArn"]
            none = east.describe_db_instances(DBInstanceIdentifier="bk-none")["DBInstances"][0]["DBInstanceArn"]
            out["same_region"] = error(east.start_db_instance_automated_backups_replication, SourceDBInstanceArn=arn)
            out["missing"] = error(west.start_db_instance_automated_backups_replication, SourceDBInstanceArn=arn.replace("{{Source}}", "nope"))
            out["not_arn"] = error(west.start_db_instance_automated_backups_replication, SourceDBInstanceArn="{{Source}}")
            out["no_backups"] = error(west.start_db_instance_automated_backups_replication, SourceDBInstanceArn=none)
            out["zero"] = error(west.start_db_instance_automated_backups_replication, SourceDBInstanceArn=arn, BackupRetentionPeriod=0)
            out["stop_before"] = error(west.stop_db_instance_automated_backups_replication, SourceDBInstanceArn=arn)
            b = west.start_db_instance_automated_backups_replication(SourceDBInstanceArn=arn, BackupRetentionPeriod=3, KmsKeyId="alias/aws/rds")["DBInstanceAutomatedBackup"]
            out["arn"] = b["DBInstanceAutomatedBackupsArn"]
            out["started"] = [b["Status"], b["DBInstanceArn"] == arn, b["Region"], b["BackupRetentionPeriod"], b["DBInstanceAutomatedBackupsArn"].split(":")[3]]
            out["again"] = error(west.start_db_instance_automated_backups_replication, SourceDBInstanceArn=arn)
            out["elsewhere"] = error(client("rds", region="eu-west-1").start_db_instance_automated_backups_replication, SourceDBInstanceArn=arn)
            out["reported"] = east.describe_db_instances(DBInstanceIdentifier="{{Source}}")["DBInstances"][0]["DBInstanceAutomatedBackupsReplications"]
            out["own_backup_reports"] = east.describe_db_instance_automated_backups(DBInstanceIdentifier="{{Source}}")["DBInstanceAutomatedBackups"][0]["DBInstanceAutomatedBackupsReplications"]
            out["east_lists"] = len(east.describe_db_instance_automated_backups()["DBInstanceAutomatedBackups"])
            east.delete_db_instance(DBInstanceIdentifier="bk-none", SkipFinalSnapshot=True)
            """);
        Assert.Equal("InvalidParameterValue", (string?)started["same_region"]!["code"]);
        Assert.Equal("DBInstanceNotFound", (string?)started["missing"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)started["not_arn"]!["code"]);
        Assert.Equal("InvalidDBInstanceState", (string?)started["no_backups"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)started["zero"]!["code"]);
        Assert.Equal("InvalidDBInstanceState", (string?)started["stop_before"]!["code"]);
        Assert.Equal("""["replicating",true,"us-east-1",3,"us-west-2"]""", started["started"]!.ToJsonString());
        Assert.Equal("InvalidDBInstanceAutomatedBackupState", (string?)started["again"]!["code"]);
        Assert.Equal("DBInstanceAutomatedBackupQuotaExceeded", (string?)started["elsewhere"]!["code"]);
        var replicatedArn = (string)started["arn"]!;
        Assert.Equal($$"""[{"DBInstanceAutomatedBackupsArn":"{{replicatedArn}}"}]""", started["reported"]!.ToJsonString());
        Assert.Equal(started["reported"]!.ToJsonString(), started["own_backup_reports"]!.ToJsonString());
        Assert.Equal(1, (int)started["east_lists"]!);

        // Rows written after the start; stopping the source archives its log up to the stop, and the copy follows it.
        await ExecuteAsync(endpoint, "INSERT INTO ledger VALUES (3, 'late'), (4, 'late')");
        var written = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        await Clients.Boto3Async(stratus.Url, $"""client("rds").stop_db_instance(DBInstanceIdentifier="{Source}")""");
        await WaitStatusAsync(stratus.Url, Source, "stopped");
        var window = await Clients.Boto3Async(stratus.Url, $$"""
            west = client("rds", region="us-west-2")
            for _ in range(300):
                b = west.describe_db_instance_automated_backups(DBInstanceAutomatedBackupsArn="{{replicatedArn}}")["DBInstanceAutomatedBackups"][0]
                latest = b["RestoreWindow"].get("LatestTime")
                if latest is not None and latest.timestamp() >= {{written.ToString(CultureInfo.InvariantCulture)}}:
                    break
                time.sleep(1)
            out["covered"] = latest is not None and latest.timestamp() >= {{written.ToString(CultureInfo.InvariantCulture)}}
            out["status"] = b["Status"]
            out["snapshots"] = [s["SnapshotType"] for s in west.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]]
            west.restore_db_instance_to_point_in_time(SourceDBInstanceAutomatedBackupsArn="{{replicatedArn}}", TargetDBInstanceIdentifier="bk-dr",
                UseLatestRestorableTime=True)
            west.get_waiter("db_instance_available").wait(DBInstanceIdentifier="bk-dr", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            i = west.describe_db_instances(DBInstanceIdentifier="bk-dr")["DBInstances"][0]
            out["address"], out["port"] = i["Endpoint"]["Address"], i["Endpoint"]["Port"]
            """);
        Assert.True((bool)window["covered"]!, "the replicated backup's restore window never reached the rows written");
        Assert.Equal("replicating", (string?)window["status"]);
        Assert.Equal("""["automated"]""", window["snapshots"]!.ToJsonString());
        var restored = new DbEndpoint((string)window["address"]!, (int)window["port"]!, "");
        Assert.Equal("4", Convert.ToString(await ScalarAsync(restored, "SELECT COUNT(*) FROM ledger"), CultureInfo.InvariantCulture));
        Assert.Equal("late", await ScalarAsync(restored, "SELECT note FROM ledger WHERE id = 4"));

        var stopped = await Clients.Boto3Async(stratus.Url, $$"""
            east, west = client("rds"), client("rds", region="us-west-2")
            arn = east.describe_db_instances(DBInstanceIdentifier="{{Source}}")["DBInstances"][0]["DBInstanceArn"]
            out["stopped"] = west.stop_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)["DBInstanceAutomatedBackup"]["Status"]
            out["again"] = error(west.stop_db_instance_automated_backups_replication, SourceDBInstanceArn=arn)
            out["reported"] = east.describe_db_instances(DBInstanceIdentifier="{{Source}}")["DBInstances"][0]["DBInstanceAutomatedBackupsReplications"]
            """);
        Assert.Equal("retained", (string?)stopped["stopped"]);
        Assert.Equal("InvalidDBInstanceState", (string?)stopped["again"]!["code"]);
        Assert.Equal("[]", stopped["reported"]!.ToJsonString());

        // Across a restart, and after the source's own backups are deleted with it, the copy stays until deleted by its ARN.
        await stratus.StopAsync();
        await stratus.RestartAsync();
        var kept = await Clients.Boto3Async(stratus.Url, $$"""
            east, west = client("rds"), client("rds", region="us-west-2")
            arn = east.describe_db_instances(DBInstanceIdentifier="{{Source}}")["DBInstances"][0]["DBInstanceArn"]
            out["resumed"] = west.start_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)["DBInstanceAutomatedBackup"]["DBInstanceAutomatedBackupsArn"]
            east.delete_db_instance(DBInstanceIdentifier="{{Source}}", SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
            west.delete_db_instance(DBInstanceIdentifier="bk-dr", SkipFinalSnapshot=True)
            east.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="{{Source}}", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            # The source's backups went with it; the next backup check finds the replication ended and keeps the copy.
            for _ in range(150):
                b = west.describe_db_instance_automated_backups(DBInstanceAutomatedBackupsArn="{{replicatedArn}}")["DBInstanceAutomatedBackups"][0]
                if b["Status"] == "retained":
                    break
                time.sleep(1)
            out["kept"] = [b["Status"], "LatestTime" in b["RestoreWindow"]]
            out["deleted"] = west.delete_db_instance_automated_backup(DBInstanceAutomatedBackupsArn="{{replicatedArn}}")["DBInstanceAutomatedBackup"]["Status"]
            out["gone"] = error(west.describe_db_instance_automated_backups, DBInstanceAutomatedBackupsArn="{{replicatedArn}}")
            """);
        Assert.Equal(replicatedArn, (string?)kept["resumed"]);
        Assert.Equal("""["retained",true]""", kept["kept"]!.ToJsonString());
        Assert.Equal("deleting", (string?)kept["deleted"]);
        Assert.Equal("DBInstanceAutomatedBackupNotFound", (string?)kept["gone"]!["code"]);
    }
}
