using Stratus.Services.Rds.Engine;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// ReadIOPS/WriteIOPS are the storage operations the kernel counted in each server's block-I/O cgroup: rows written
/// through MariaDB and PostgreSQL show up as WriteIOPS above zero in CloudWatch (boto3), and the counters are read as the
/// kernel writes them (cgroup v1's io_serviced, v2's io.stat).
/// </summary>
public sealed class RdsStorageOperationsTests
{
    private const string Password = "iops-master-pass";

    [Fact]
    [Trait(TestKind.Category, TestKind.EndToEnd)]
    public async Task Rows_written_to_mariadb_and_postgres_instances_are_counted_as_write_operations()
    {
        using (var here = StorageCgroups.Detect(Path.GetTempPath()))
        {
            // No block-I/O cgroup here (not root, no controller): the metrics are not published, and the reason is given.
            Assert.True(here.Counting || here.Reason is not null);
            if (!here.Counting) return;
        }
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            for name, engine in [("iops-maria", "mariadb"), ("iops-pg", "postgres")]:
                rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine=engine,
                    MasterUsername="{{SeedUser}}", MasterUserPassword="{{Password}}", DBName="{{SeedDatabase}}", AllocatedStorage=20)
            """);
        var maria = await WaitAvailableAsync(stratus.Url, "iops-maria");
        var postgres = await WaitAvailableAsync(stratus.Url, "iops-pg");

        // Each INSERT commits on its own: InnoDB and the WAL flush their logs to storage at every commit.
        for (var row = 0; row < 50; row++)
            await ExecuteAsync(maria, $"CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY); INSERT INTO items VALUES ({row})", Password);
        var pg = new PostgresLogin(SeedUser, Password, SeedDatabase);
        for (var row = 0; row < 50; row++)
            await pg.ExecuteAsync(postgres, $"CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY); INSERT INTO items VALUES ({row})");

        // Samples are taken once a minute (and when an instance becomes available): wait for one that saw the writes.
        var metrics = await Clients.Boto3Async(stratus.Url, """
            import datetime
            cw = client("cloudwatch")
            def latest(instance, name):
                now = datetime.datetime.now(datetime.timezone.utc)
                points = cw.get_metric_statistics(Namespace="AWS/RDS", MetricName=name, Dimensions=[{"Name": "DBInstanceIdentifier", "Value": instance}],
                    StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=["Maximum"])["Datapoints"]
                return max([p["Maximum"] for p in points], default=None)
            for _ in range(180):
                for instance in ["iops-maria", "iops-pg"]:
                    for name in ["WriteIOPS", "ReadIOPS"]:
                        out[instance + ":" + name] = latest(instance, name)
                if all((out[i + ":WriteIOPS"] or 0) > 0 for i in ["iops-maria", "iops-pg"]):
                    break
                time.sleep(0.5)
            """);
        Assert.True(metrics["iops-maria:WriteIOPS"]?.GetValue<double>() > 0, metrics.ToJsonString());
        Assert.True(metrics["iops-pg:WriteIOPS"]?.GetValue<double>() > 0, metrics.ToJsonString());
        Assert.True(metrics["iops-maria:ReadIOPS"]?.GetValue<double>() >= 0, metrics.ToJsonString());
        Assert.True(metrics["iops-pg:ReadIOPS"]?.GetValue<double>() >= 0, metrics.ToJsonString());

        await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            for name in ["iops-maria", "iops-pg"]:
                rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
            """);
    }

    [Fact]
    public void Operations_are_summed_over_devices_as_cgroup_v1_and_v2_report_them()
    {
        Assert.Equal((7L, 12L), ServerCgroup.V1(["254:0 Read 5", "254:0 Write 10", "254:0 Sync 15", "8:0 Read 2", "8:0 Write 2", "Total 19"]));
        Assert.Equal((4L, 9L), ServerCgroup.V2(["254:0 rbytes=4096 wbytes=8192 rios=3 wios=8 dbytes=0 dios=0", "8:0 rbytes=1 wbytes=1 rios=1 wios=1 dbytes=0 dios=0"]));
    }

    [Fact]
    public void The_disk_of_a_path_is_its_deepest_mount_and_file_systems_without_a_device_have_none()
    {
        const string mounts = """
            20 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            21 20 0:25 / /tmp rw,relatime shared:2 - tmpfs tmpfs rw
            22 20 254:0 /srv /data\040dir rw - ext4 /dev/vda rw
            """;
        Assert.Equal("254:0", StorageCgroups.WholeDiskOf(mounts, "/var/lib/stratus"));
        Assert.Null(StorageCgroups.WholeDiskOf(mounts, "/tmp/stratus-rds-1"));
        Assert.Equal("254:0", StorageCgroups.WholeDiskOf(mounts, "/data dir/rds"));
        Assert.Equal("254:0", StorageCgroups.WholeDiskOf(mounts, "/tmpfoo"));
    }
}
