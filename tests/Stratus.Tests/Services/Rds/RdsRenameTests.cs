using System.Text.Json.Nodes;
using MySqlConnector;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// ModifyDBInstance's NewDBInstanceIdentifier and ModifyDBCluster's NewDBClusterIdentifier, driven by boto3 against real
/// servers: the renamed instance is found only by its new name and ARN, keeps its DbiResourceId, endpoint, data and
/// tags, its read replica names it as source and goes on replicating; a rename without ApplyImmediately waits for the
/// next reboot; an Aurora cluster's members follow its new name and its endpoint keeps serving; taken names are refused.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsRenameTests
{
    private const string User = "admin1";
    private const string Password = "rename-master-pass";
    private const string Database = "app";

    [Fact]
    public async Task A_renamed_mariadb_instance_keeps_its_data_endpoint_and_replica_under_its_new_name()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(stratus.Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="mariadb",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="{{Database}}", AllocatedStorage=20,
                Tags=[{"Key": "team", "Value": "shop"}])
            """);
        var before = await WaitAvailableAsync(stratus.Url, "orders");
        await ExecuteMariaAsync(before, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'alice')");
        await Clients.Boto3Async(stratus.Url, """client("rds").create_db_instance_read_replica(DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders")""");
        var replica = await WaitAvailableAsync(stratus.Url, "orders-replica");

        var renamed = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["taken"] = error(rds.modify_db_instance, DBInstanceIdentifier="orders", NewDBInstanceIdentifier="orders-replica", ApplyImmediately=True)
            out["invalid"] = error(rds.modify_db_instance, DBInstanceIdentifier="orders", NewDBInstanceIdentifier="1-bad--name", ApplyImmediately=True)
            i = rds.modify_db_instance(DBInstanceIdentifier="orders", NewDBInstanceIdentifier="Orders-Old", ApplyImmediately=True)["DBInstance"]
            out["identifier"] = i["DBInstanceIdentifier"]
            out["status"] = i["DBInstanceStatus"]
            out["arn"] = i["DBInstanceArn"]
            out["oldName"] = error(rds.describe_db_instances, DBInstanceIdentifier="orders")
            """);
        Assert.Equal("DBInstanceAlreadyExists", (string?)renamed["taken"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)renamed["invalid"]!["code"]);
        Assert.Equal("orders-old", (string?)renamed["identifier"]);
        Assert.Equal("renaming", (string?)renamed["status"]);
        Assert.EndsWith(":db:orders-old", (string?)renamed["arn"]);
        Assert.Equal("DBInstanceNotFound", (string?)renamed["oldName"]!["code"]);

        var after = await WaitAvailableAsync(stratus.Url, "orders-old");
        Assert.Equal(before, after);
        Assert.Equal("alice", await ScalarMariaAsync(after, "SELECT name FROM items WHERE id = 1"));

        var described = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            i = rds.describe_db_instances(DBInstanceIdentifier="orders-old")["DBInstances"][0]
            out["replicas"] = i["ReadReplicaDBInstanceIdentifiers"]
            out["source"] = rds.describe_db_instances(DBInstanceIdentifier="orders-replica")["DBInstances"][0]["ReadReplicaSourceDBInstanceIdentifier"]
            out["tags"] = rds.list_tags_for_resource(ResourceName=i["DBInstanceArn"])["TagList"]
            out["events"] = [e["Message"] for e in rds.describe_events(SourceIdentifier="orders-old", SourceType="db-instance")["Events"]]
            """);
        Assert.Equal("[\"orders-replica\"]", described["replicas"]!.ToJsonString());
        Assert.Equal("orders-old", (string?)described["source"]);
        Assert.Equal("shop", (string?)described["tags"]!.AsArray().Single(t => (string?)t!["Key"] == "team")!["Value"]);
        Assert.Contains("Renamed DB instance from orders to orders-old", described["events"]!.AsArray().Select(e => (string?)e));

        // The source restarted for the rename; the replica reconnects and receives what is written after it.
        await ExecuteMariaAsync(after, "INSERT INTO items VALUES (2, 'bob')");
        Assert.Equal("bob", await EventuallyAsync(() => ScalarMariaAsync(replica, "SELECT name FROM items WHERE id = 2")));

        // Without ApplyImmediately the new name is pending until the next reboot (Stratus's maintenance window).
        var pending = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            i = rds.modify_db_instance(DBInstanceIdentifier="orders-replica", NewDBInstanceIdentifier="orders-copy")["DBInstance"]
            out["identifier"] = i["DBInstanceIdentifier"]
            out["pending"] = i["PendingModifiedValues"].get("DBInstanceIdentifier")
            out["rebooted"] = rds.reboot_db_instance(DBInstanceIdentifier="orders-replica")["DBInstance"]["DBInstanceIdentifier"]
            """);
        Assert.Equal("orders-replica", (string?)pending["identifier"]);
        Assert.Equal("orders-copy", (string?)pending["pending"]);
        Assert.Equal("orders-copy", (string?)pending["rebooted"]);
        await WaitAvailableAsync(stratus.Url, "orders-copy");
        var links = await Clients.Boto3Async(stratus.Url, """
            out["replicas"] = client("rds").describe_db_instances(DBInstanceIdentifier="orders-old")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"]
            """);
        Assert.Equal("[\"orders-copy\"]", links["replicas"]!.ToJsonString());
    }

    [Fact]
    public async Task A_renamed_aurora_cluster_keeps_its_members_and_endpoint()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            for name in ["shop", "other"]:
                rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-mysql", MasterUsername="{{RdsAuroraTests.User}}",
                    MasterUserPassword="{{RdsAuroraTests.Password}}", DatabaseName="{{RdsAuroraTests.Database}}")
            for member in ["shop-writer", "shop-reader"]:
                rds.create_db_instance(DBInstanceIdentifier=member, DBClusterIdentifier="shop", Engine="aurora-mysql", DBInstanceClass="db.r6g.large")
            for member in ["shop-writer", "shop-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="shop")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            out["reader"] = rds.describe_db_instances(DBInstanceIdentifier="shop-reader")["DBInstances"][0]["Endpoint"]["Address"]
            """, TimeSpan.FromMinutes(6));
        var endpoint = setup["endpoint"]!.GetValue<string>();
        var db = new RdsAuroraTests.AuroraDatabase("aurora-mysql", setup["port"]!.GetValue<int>());

        var renamed = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["taken"] = error(rds.modify_db_cluster, DBClusterIdentifier="shop", NewDBClusterIdentifier="other", ApplyImmediately=True)
            c = rds.modify_db_cluster(DBClusterIdentifier="shop", NewDBClusterIdentifier="shop-v2", ApplyImmediately=True)["DBCluster"]
            out["identifier"] = c["DBClusterIdentifier"]
            out["arn"] = c["DBClusterArn"]
            out["oldName"] = error(rds.describe_db_clusters, DBClusterIdentifier="shop")
            rds.modify_db_instance(DBInstanceIdentifier="shop-writer", NewDBInstanceIdentifier="shop-primary", ApplyImmediately=True)
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="shop-primary", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="shop-v2")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["members"] = sorted([m["DBInstanceIdentifier"] + (":writer" if m["IsClusterWriter"] else "") for m in c["DBClusterMembers"]])
            out["memberClusters"] = sorted({i["DBClusterIdentifier"] for i in rds.describe_db_instances(
                Filters=[{"Name": "db-cluster-id", "Values": ["shop-v2"]}])["DBInstances"]})
            """);
        Assert.Equal("DBClusterAlreadyExistsFault", (string?)renamed["taken"]!["code"]);
        Assert.Equal("shop-v2", (string?)renamed["identifier"]);
        Assert.EndsWith(":cluster:shop-v2", (string?)renamed["arn"]);
        Assert.Equal("DBClusterNotFoundFault", (string?)renamed["oldName"]!["code"]);
        Assert.Equal(endpoint, (string?)renamed["endpoint"]);
        Assert.Equal("[\"shop-primary:writer\",\"shop-reader\"]", renamed["members"]!.ToJsonString());
        Assert.Equal("[\"shop-v2\"]", renamed["memberClusters"]!.ToJsonString());

        // The cluster endpoint still reaches the (renamed) writer, whose writes reach the reader.
        await db.ExecuteAsync(endpoint, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'after-rename')");
        (await db.WaitForAsync(setup["reader"]!.GetValue<string>(), "SELECT name FROM items WHERE id = 1", "after-rename")).Expect("the row replicated to the reader");
    }

    private static async Task<object?> EventuallyAsync(Func<Task<object?>> query)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                var value = await query();
                if (value is not null || DateTime.UtcNow > deadline) return value;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline)
            {
                // The replica may still be reconnecting.
            }
            await Task.Delay(200);
        }
    }

    private static async Task ExecuteMariaAsync(DbEndpoint endpoint, string sql)
    {
        await using var connection = await ConnectAsync(endpoint, User, Password, Database);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarMariaAsync(DbEndpoint endpoint, string sql)
    {
        await using var connection = await ConnectAsync(endpoint, User, Password, Database);
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
