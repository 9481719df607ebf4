using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// An aurora-postgresql writer archives its WAL while its readers stream from it: after RebootDBCluster (every member
/// restarts), after a failover (the other reader follows the promoted one, the old writer comes back as a reader) and after
/// a reboot of the promoted writer, a row written through the cluster endpoint reaches every reader, and the cluster
/// reports a restorable window all along. A failing step names each server's log tail, as replication stops in the logs.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsAuroraPostgresArchivingTests
{
    private const string Engine = "aurora-postgresql";
    private const string User = "aurora_admin";
    private const string Password = "aurora-master-pass";
    private static readonly string[] Members = ["books-a", "books-b", "books-c"];

    [Fact]
    public async Task Readers_keep_replicating_from_an_archiving_writer_across_reboots_and_a_failover()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var created = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="books", Engine="{{Engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DatabaseName="app")
            for member in {{Python(Members)}}:
                rds.create_db_instance(DBInstanceIdentifier=member, DBClusterIdentifier="books", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            for member in {{Python(Members)}}:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="books")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            out["addresses"] = {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"] for i in rds.describe_db_instances()["DBInstances"]}
            """, TimeSpan.FromMinutes(6));
        var db = new RdsAuroraTests.AuroraDatabase(Engine, (int)created["port"]!);
        var endpoint = (string)created["endpoint"]!;
        var addresses = created["addresses"]!.AsObject().ToDictionary(a => a.Key, a => (string)a.Value!);
        await db.ExecuteAsync(endpoint, "CREATE TABLE books (id INT PRIMARY KEY)");

        async Task WriteAndExpectOnReadersAsync(int id, string step)
        {
            await db.ExecuteAsync(endpoint, $"INSERT INTO books VALUES ({id})");
            var window = await Clients.Boto3Async(stratus.Url, """
                c = client("rds").describe_db_clusters(DBClusterIdentifier="books")["DBClusters"][0]
                out["window"] = "EarliestRestorableTime" in c and "LatestRestorableTime" in c
                out["writer"] = [m["DBInstanceIdentifier"] for m in c["DBClusterMembers"] if m["IsClusterWriter"]][0]
                """);
            Assert.True((bool)window["window"]!, $"{step}: the cluster reports a restorable window");
            foreach (var reader in Members.Where(m => m != (string)window["writer"]!))
            {
                var answer = await db.WaitForAsync(addresses[reader], $"SELECT COUNT(*) FROM books WHERE id = {id}", 1L);
                if (answer.Value is not 1L) Assert.Fail($"{step}: row {id} did not reach {reader} ({answer.Value ?? answer.Error}).\n{ServerLogs(stratus.DataDir!)}");
            }
        }

        await WriteAndExpectOnReadersAsync(1, "after the creation");
        await RebootAsync(stratus.Url);
        await WriteAndExpectOnReadersAsync(2, "after RebootDBCluster");
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.failover_db_cluster(DBClusterIdentifier="books", TargetDBInstanceIdentifier="books-b")
            time.sleep(1)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="books", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            for member in {{Python(Members)}}:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            """, TimeSpan.FromMinutes(6));
        await WriteAndExpectOnReadersAsync(3, "after the failover");
        await RebootAsync(stratus.Url);
        await WriteAndExpectOnReadersAsync(4, "after a RebootDBCluster of the promoted writer");
    }

    private static async Task RebootAsync(string url) => await Clients.Boto3Async(url, $$"""
        rds = client("rds")
        rds.reboot_db_cluster(DBClusterIdentifier="books")
        time.sleep(1)
        for member in {{Python(Members)}}:
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
        """, TimeSpan.FromMinutes(5));

    private static string Python(IEnumerable<string> names) => "[" + string.Join(", ", names.Select(n => $"\"{n}\"")) + "]";

    /// <summary>The last lines of every PostgreSQL server's log under Stratus's data directory.</summary>
    private static string ServerLogs(string dataDir) => string.Join("\n", Directory.EnumerateFiles(dataDir, "postgresql.log", SearchOption.AllDirectories)
        .Select(log => $"== {log}\n" + string.Join("\n", File.ReadLines(log).TakeLast(40))));
}
