using MySqlConnector;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Replicas of replicas (cascading replication: MariaDB's middle server logs what it applies, a PostgreSQL hot standby
/// streams to a standby of its own) and replicas of an instance in another Region named by its ARN, driven by boto3 and
/// read with MySqlConnector and Npgsql: a row written at the top of the chain appears at its bottom; a chain holds at most
/// three replicas below its source, as RDS allows.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsReplicaChainTests
{
    private const string User = "admin1";
    private const string Password = "chain-master-pass";
    private const string Database = "app";

    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgres")]
    public async Task A_row_written_at_the_source_reaches_a_replica_of_a_replica_and_a_cross_region_replica(string engine)
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var source = await Clients.Boto3Async(stratus.Url, $$"""
            i = client("rds").create_db_instance(DBInstanceIdentifier="top", DBInstanceClass="db.t3.micro", Engine="{{engine}}",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="{{Database}}", AllocatedStorage=20)["DBInstance"]
            out["arn"] = i["DBInstanceArn"]
            """);
        var sourceArn = source["arn"]!.GetValue<string>();
        var top = await WaitAvailableAsync(stratus.Url, "top");
        await ExecuteAsync(engine, top, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'first')");

        await Clients.Boto3Async(stratus.Url, """client("rds").create_db_instance_read_replica(DBInstanceIdentifier="middle", SourceDBInstanceIdentifier="top")""");
        await WaitAvailableAsync(stratus.Url, "middle");
        // As on RDS, a replica serves replicas of its own once it keeps automated backups.
        var refused = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["code"] = error(rds.create_db_instance_read_replica, DBInstanceIdentifier="bottom", SourceDBInstanceIdentifier="middle")["code"]
            rds.modify_db_instance(DBInstanceIdentifier="middle", BackupRetentionPeriod=1, ApplyImmediately=True)
            """);
        Assert.Equal("InvalidDBInstanceState", (string?)refused["code"]);
        await WaitStatusAsync(stratus.Url, "middle", "available");
        await Clients.Boto3Async(stratus.Url, """client("rds").create_db_instance_read_replica(DBInstanceIdentifier="bottom", SourceDBInstanceIdentifier="middle")""");
        var bottom = await WaitAvailableAsync(stratus.Url, "bottom");

        // In another Region, named by the source's ARN: the replica lives in the caller's Region.
        var crossRegion = await Clients.Boto3Async(stratus.Url, $$"""
            west = client("rds", region="us-west-2")
            i = west.create_db_instance_read_replica(DBInstanceIdentifier="west-copy", SourceDBInstanceIdentifier="{{sourceArn}}")["DBInstance"]
            out["source"] = i["ReadReplicaSourceDBInstanceIdentifier"]
            try:
                west.get_waiter("db_instance_available").wait(DBInstanceIdentifier="west-copy", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            except botocore.exceptions.WaiterError:
                raise SystemExit("not available: " + json.dumps([e["Message"] for e in west.describe_events(SourceIdentifier="west-copy", SourceType="db-instance")["Events"]]))
            w = west.describe_db_instances(DBInstanceIdentifier="west-copy")["DBInstances"][0]
            out["address"] = w["Endpoint"]["Address"]
            out["port"] = w["Endpoint"]["Port"]
            out["east"] = [i["DBInstanceIdentifier"] for i in client("rds").describe_db_instances()["DBInstances"]]
            out["replicas"] = client("rds").describe_db_instances(DBInstanceIdentifier="top")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"]
            """);
        Assert.Equal(sourceArn, (string?)crossRegion["source"]);
        Assert.DoesNotContain("west-copy", crossRegion["east"]!.AsArray().Select(n => (string?)n));
        Assert.Equal([sourceArn.Replace("us-east-1", "us-west-2").Replace(":db:top", ":db:west-copy"), "middle"],
            crossRegion["replicas"]!.AsArray().Select(n => (string?)n).Order(StringComparer.Ordinal));
        var west = new DbEndpoint(crossRegion["address"]!.GetValue<string>(), crossRegion["port"]!.GetValue<int>(), "");

        await ExecuteAsync(engine, top, "INSERT INTO items VALUES (2, 'second')");
        Assert.Equal("second", await EventuallyAsync(() => ScalarAsync(engine, bottom, "SELECT name FROM items WHERE id = 2")));
        Assert.Equal("second", await EventuallyAsync(() => ScalarAsync(engine, west, "SELECT name FROM items WHERE id = 2")));
        Assert.Equal("first", await ScalarAsync(engine, bottom, "SELECT name FROM items WHERE id = 1"));

        var links = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["bottom"] = rds.describe_db_instances(DBInstanceIdentifier="bottom")["DBInstances"][0]["ReadReplicaSourceDBInstanceIdentifier"]
            out["middle"] = rds.describe_db_instances(DBInstanceIdentifier="middle")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"]
            """);
        Assert.Equal("middle", (string?)links["bottom"]);
        Assert.Equal("[\"bottom\"]", links["middle"]!.ToJsonString());
    }

    [Fact]
    public async Task A_chain_takes_three_read_replicas_below_its_source_and_refuses_a_fourth()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(stratus.Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="level0", DBInstanceClass="db.t3.micro", Engine="mariadb",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", AllocatedStorage=20)
            """);
        await WaitAvailableAsync(stratus.Url, "level0");
        for (var level = 1; level <= 3; level++)
        {
            await Clients.Boto3Async(stratus.Url, $$"""client("rds").create_db_instance_read_replica(DBInstanceIdentifier="level{{level}}", SourceDBInstanceIdentifier="level{{level - 1}}")""");
            await WaitAvailableAsync(stratus.Url, $"level{level}");
            // Automated backups on, so that only the chain's depth can refuse a replica of this one.
            await Clients.Boto3Async(stratus.Url, $$"""client("rds").modify_db_instance(DBInstanceIdentifier="level{{level}}", BackupRetentionPeriod=1, ApplyImmediately=True)""");
            await WaitStatusAsync(stratus.Url, $"level{level}", "available");
        }

        var refused = await Clients.Boto3Async(stratus.Url, """
            out["error"] = error(client("rds").create_db_instance_read_replica, DBInstanceIdentifier="level4", SourceDBInstanceIdentifier="level3")
            out["instances"] = sorted(i["DBInstanceIdentifier"] for i in client("rds").describe_db_instances()["DBInstances"])
            """);
        Assert.Equal("InvalidDBInstanceState", (string?)refused["error"]!["code"]);
        Assert.Equal(400, (int?)refused["error"]!["status"]);
        Assert.Contains("holds at most 3 read replicas below its source", (string?)refused["error"]!["message"]);
        Assert.Equal("""["level0","level1","level2","level3"]""", refused["instances"]!.ToJsonString());
    }

    private static Task ExecuteAsync(string engine, DbEndpoint endpoint, string sql) => engine == "postgres"
        ? new PostgresLogin(User, Password, Database).ExecuteAsync(endpoint, sql)
        : ExecuteMariaAsync(endpoint, sql);

    private static Task<object?> ScalarAsync(string engine, DbEndpoint endpoint, string sql) => engine == "postgres"
        ? new PostgresLogin(User, Password, Database).ScalarAsync(endpoint, sql)
        : ScalarMariaAsync(endpoint, sql);

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

    /// <summary>Replication is asynchronous: polls until the query answers (up to a minute).</summary>
    private static async Task<object?> EventuallyAsync(Func<Task<object?>> query)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var value = await query();
            if (value is not null || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }
}
