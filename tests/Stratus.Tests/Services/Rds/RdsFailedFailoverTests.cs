using System.Diagnostics;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// A FailoverDBCluster whose target reader cannot be promoted (its MariaDB server frozen with SIGSTOP, so it neither
/// answers nor exits), driven by boto3: the cluster goes failing-over and back to available, the writer stays the writer
/// and takes writes again through the cluster endpoint, and the events say what RDS says.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsFailedFailoverTests
{
    private const string Engine = "aurora-mysql";

    [Fact]
    public async Task A_failover_to_a_reader_that_cannot_be_promoted_leaves_the_writer_in_charge()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="ff", Engine="{{Engine}}", MasterUsername="aurora_admin", MasterUserPassword="aurora-master-pass", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="ff-writer", DBClusterIdentifier="ff", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            rds.create_db_instance(DBInstanceIdentifier="ff-reader", DBClusterIdentifier="ff", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            for member in ["ff-writer", "ff-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="ff")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            out["readerResourceId"] = rds.describe_db_instances(DBInstanceIdentifier="ff-reader")["DBInstances"][0]["DbiResourceId"]
            out["writerAddress"] = rds.describe_db_instances(DBInstanceIdentifier="ff-writer")["DBInstances"][0]["Endpoint"]["Address"]
            """, TimeSpan.FromMinutes(6));
        var db = new RdsAuroraTests.AuroraDatabase(Engine, setup["port"]!.GetValue<int>());
        var clusterEndpoint = setup["endpoint"]!.GetValue<string>();
        var writerAddress = setup["writerAddress"]!.GetValue<string>();
        var readerPid = int.Parse(File.ReadAllText(Path.Combine(stratus.DataDir!, "rds", "instances", setup["readerResourceId"]!.GetValue<string>(), "mariadbd.pid")).Trim());

        // The reader's server is frozen: it still runs (so it is not restarted) but cannot catch up or be promoted.
        Signal("STOP", readerPid);
        try
        {
            var failover = await Clients.Boto3Async(stratus.Url, """
                rds = client("rds")
                out["status"] = rds.failover_db_cluster(DBClusterIdentifier="ff", TargetDBInstanceIdentifier="ff-reader")["DBCluster"]["Status"]
                seen = []
                for _ in range(600):
                    c = rds.describe_db_clusters(DBClusterIdentifier="ff")["DBClusters"][0]
                    states = {i["DBInstanceIdentifier"]: i["DBInstanceStatus"] for i in rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["ff"]}])["DBInstances"]}
                    state = [c["Status"], states["ff-writer"], states["ff-reader"]]
                    if not seen or seen[-1] != state:
                        seen.append(state)
                    if state == ["available", "available", "available"] and len(seen) > 1:
                        break
                    time.sleep(0.1)
                out["seen"] = seen
                c = rds.describe_db_clusters(DBClusterIdentifier="ff")["DBClusters"][0]
                out["writers"] = [m["DBInstanceIdentifier"] for m in c["DBClusterMembers"] if m["IsClusterWriter"]]
                out["clusterEvents"] = [e["Message"] for e in rds.describe_events(SourceIdentifier="ff", SourceType="db-cluster")["Events"]]
                out["readerEvents"] = [e["Message"] for e in rds.describe_events(SourceIdentifier="ff-reader", SourceType="db-instance")["Events"]]
                """, TimeSpan.FromMinutes(3));
            Assert.Equal("failing-over", failover["status"]!.GetValue<string>());
            var seen = failover["seen"]!.AsArray().Select(s => s!.ToJsonString()).ToList();
            Assert.Contains("""["failing-over","rebooting","rebooting"]""", seen);
            Assert.Equal("""["available","available","available"]""", seen[^1]);
            Assert.Equal(["ff-writer"], failover["writers"]!.AsArray().Select(w => w!.GetValue<string>()));
            var clusterEvents = failover["clusterEvents"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
            Assert.Contains("Started cluster failover to DB instance: ff-reader", clusterEvents);
            Assert.Contains("Cluster failover failed, check the health of your cluster instances and try again.", clusterEvents);
            Assert.Contains("Promoting previous primary again: ff-writer", clusterEvents);
            Assert.DoesNotContain(clusterEvents, e => e.StartsWith("Completed failover", StringComparison.Ordinal));
            Assert.Contains(failover["readerEvents"]!.AsArray(), e => e!.GetValue<string>().StartsWith("The DB instance could not be promoted to writer: ", StringComparison.Ordinal));
        }
        finally
        {
            Signal("CONT", readerPid);
        }

        // The cluster endpoint still reaches the old writer, which takes writes; the thawed reader replicates them again.
        Assert.Equal(writerAddress, await db.ServerAddressAsync(clusterEndpoint));
        await db.ExecuteAsync(clusterEndpoint, "CREATE TABLE after_failed_failover (id INT PRIMARY KEY); INSERT INTO after_failed_failover VALUES (7)");
        var readerAddress = (await Clients.Boto3Async(stratus.Url, """
            out["address"] = client("rds").describe_db_instances(DBInstanceIdentifier="ff-reader")["DBInstances"][0]["Endpoint"]["Address"]
            """))["address"]!.GetValue<string>();
        (await db.WaitForAsync(readerAddress, "SELECT id FROM after_failed_failover", 7)).Expect("the row written after the failed failover replicated to the reader");
        await stratus.StopAsync();
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false }) ?? throw new InvalidOperationException("kill did not start");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
