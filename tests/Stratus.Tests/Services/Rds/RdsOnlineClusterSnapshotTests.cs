using System.Data.Common;
using System.Globalization;
using MySqlConnector;
using Npgsql;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// CreateDBClusterSnapshot taken online from the running writer (mariadb-backup, pg_basebackup): one connection keeps
/// inserting through the cluster endpoint before, during and after the snapshot and never fails (a writer stopped for the
/// copy would end it), and the snapshot restores into a cluster holding every row committed before the call.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsOnlineClusterSnapshotTests
{
    private const string User = "aurora_admin";
    private const string Password = "aurora-master-pass";

    [Theory]
    [InlineData("aurora-mysql")]
    [InlineData("aurora-postgresql")]
    public async Task A_cluster_snapshot_is_taken_while_one_connection_keeps_writing(string engine)
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var created = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="feed", Engine="{{engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="feed-writer", DBClusterIdentifier="feed", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="feed-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="feed")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            """, TimeSpan.FromMinutes(5));
        var db = new RdsAuroraTests.AuroraDatabase(engine, (int)created["port"]!);
        var endpoint = (string)created["endpoint"]!;
        await db.ExecuteAsync(endpoint, "CREATE TABLE feed (id INT PRIMARY KEY)");

        // One connection for the whole test: it breaks if the writer stops.
        await using DbConnection connection = engine == "aurora-postgresql"
            ? new NpgsqlConnection($"Host={endpoint};Port={created["port"]};Username={User};Password={Password};Database=app;Pooling=false")
            : new MySqlConnection($"Server={endpoint};Port={created["port"]};User ID={User};Password={Password};Database=app;Pooling=false");
        await connection.OpenAsync();
        var written = 0;
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = $"INSERT INTO feed VALUES ({written + 1})";
                await insert.ExecuteNonQueryAsync();
                written++;
                await Task.Delay(20);
            }
        });
        while (Volatile.Read(ref written) < 20 && !writing.IsCompleted) await Task.Delay(50);
        var beforeCall = Volatile.Read(ref written);

        await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.create_db_cluster_snapshot(DBClusterIdentifier="feed", DBClusterSnapshotIdentifier="feed-snap")
            rds.get_waiter("db_cluster_snapshot_available").wait(DBClusterSnapshotIdentifier="feed-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            """, TimeSpan.FromMinutes(5));
        var afterSnapshot = Volatile.Read(ref written);
        while (Volatile.Read(ref written) < afterSnapshot + 20 && !writing.IsCompleted) await Task.Delay(50);
        await stop.CancelAsync();
        await writing;
        Assert.True(afterSnapshot > beforeCall, $"the connection went on writing while the snapshot was taken ({beforeCall} rows before it, {afterSnapshot} after)");

        var restored = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.restore_db_cluster_from_snapshot(DBClusterIdentifier="feed-copy", SnapshotIdentifier="feed-snap", Engine="{{engine}}")
            rds.create_db_instance(DBInstanceIdentifier="feed-copy-writer", DBClusterIdentifier="feed-copy", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="feed-copy-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["endpoint"] = rds.describe_db_clusters(DBClusterIdentifier="feed-copy")["DBClusters"][0]["Endpoint"]
            """, TimeSpan.FromMinutes(5));
        var rows = Convert.ToInt32(await db.ScalarAsync((string)restored["endpoint"]!, "SELECT COUNT(*) FROM feed"), CultureInfo.InvariantCulture);
        var contiguous = Convert.ToInt32(await db.ScalarAsync((string)restored["endpoint"]!, "SELECT COALESCE(MAX(id), 0) FROM feed"), CultureInfo.InvariantCulture);
        Assert.True(rows >= beforeCall && rows <= afterSnapshot && rows == contiguous,
            $"the restored cluster holds {rows} rows (ids up to {contiguous}): every row committed before the snapshot ({beforeCall}), none after it completed ({afterSnapshot})");
    }
}
