using System.Text.Json.Nodes;
using MySqlConnector;
using Npgsql;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Read replicas replicating for real, driven by boto3 and read with MySqlConnector and Npgsql: a row written on the
/// source appears on the replica, the replica refuses writes until it is promoted, DescribeDBInstances links both
/// ways, the replica's ReplicaLag and DatabaseConnections are in CloudWatch as measured from its server, and a postgres
/// replica of a source archiving its WAL keeps streaming after both are rebooted.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsReadReplicaTests
{
    private const string User = "admin1";
    private const string Password = "replica-master-pass";
    private const string Database = "app";
    private static readonly PostgresLogin Pg = new(User, Password, Database);

    [Fact]
    public async Task A_mariadb_replica_follows_its_source_refuses_writes_reports_its_lag_and_is_writable_once_promoted()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var source = await CreateSourceAsync(stratus.Url, "maria-src", "mariadb");
        await ExecuteMariaAsync(source, "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO accounts VALUES (1, 'alice')");

        var replica = await CreateReplicaAsync(stratus.Url, "maria-rep", "maria-src");
        Assert.NotEqual(source.Address, replica.Address);
        Assert.Equal("alice", await ScalarMariaAsync(replica, "SELECT name FROM accounts WHERE id = 1"));
        await ExecuteMariaAsync(source, "INSERT INTO accounts VALUES (2, 'bob')");
        Assert.Equal("bob", await EventuallyAsync(() => ScalarMariaAsync(replica, "SELECT name FROM accounts WHERE id = 2")));

        var refused = await Assert.ThrowsAsync<MySqlException>(() => ExecuteMariaAsync(replica, "INSERT INTO accounts VALUES (3, 'eve')"));
        Assert.Equal(1290, refused.Number); // ER_OPTION_PREVENTS_STATEMENT: --read-only

        var links = await LinksAsync(stratus.Url, "maria-src", "maria-rep");
        Assert.Equal("[\"maria-rep\"]", links["replicas"]!.ToJsonString());
        Assert.Equal("maria-src", (string?)links["source"]);
        Assert.Equal("replicating", (string?)links["replication"]);

        var metrics = await MetricsAsync(stratus.Url, "maria-rep");
        Assert.True(metrics["ReplicaLag"]!.GetValue<double>() >= 0);
        Assert.True(metrics["DatabaseConnections"]!.GetValue<double>() >= 0);

        await PromoteAsync(stratus.Url, "maria-rep");
        await ExecuteMariaAsync(replica, "INSERT INTO accounts VALUES (3, 'carol')");
        Assert.Equal("carol", await ScalarMariaAsync(replica, "SELECT name FROM accounts WHERE id = 3"));
        links = await LinksAsync(stratus.Url, "maria-src", "maria-rep");
        Assert.Equal("[]", links["replicas"]!.ToJsonString());
        Assert.Null(links["source"]);
    }

    [Fact]
    public async Task A_postgres_replica_streams_from_its_source_refuses_writes_and_its_source_parameters_are_read_back()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        // A postgres parameter group: work_mem (dynamic) is set in the running server at once, read back with SHOW.
        await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            family = rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"][0]["DBParameterGroupFamily"]
            rds.create_db_parameter_group(DBParameterGroupName="pg-params", DBParameterGroupFamily=family, Description="replica test")
            """);
        var source = await CreateSourceAsync(stratus.Url, "pg-src", "postgres", "pg-params");
        await Pg.ExecuteAsync(source, "CREATE TABLE accounts (id INT PRIMARY KEY, name TEXT); INSERT INTO accounts VALUES (1, 'alice')");
        var modified = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.modify_db_parameter_group(DBParameterGroupName="pg-params", Parameters=[
                {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"},
                {"ParameterName": "log_min_duration_statement", "ParameterValue": "-1", "ApplyMethod": "immediate"}])
            p = [p for p in rds.describe_db_parameters(DBParameterGroupName="pg-params", Source="user")["Parameters"]]
            out["user"] = {x["ParameterName"]: x["ParameterValue"] for x in p}
            """);
        Assert.Equal("8192", (string?)modified["user"]!["work_mem"]);
        Assert.Equal("8MB", await EventuallyAsync(() => Pg.ScalarAsync(source, "SHOW work_mem"), "8MB"));

        var replica = await CreateReplicaAsync(stratus.Url, "pg-rep", "pg-src");
        Assert.Equal("alice", await Pg.ScalarAsync(replica, "SELECT name FROM accounts WHERE id = 1"));
        await Pg.ExecuteAsync(source, "INSERT INTO accounts VALUES (2, 'bob')");
        Assert.Equal("bob", await EventuallyAsync(() => Pg.ScalarAsync(replica, "SELECT name FROM accounts WHERE id = 2")));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Pg.ExecuteAsync(replica, "INSERT INTO accounts VALUES (3, 'eve')"));
        Assert.Equal("25006", refused.SqlState); // read_only_sql_transaction: a hot standby

        var metrics = await MetricsAsync(stratus.Url, "pg-rep");
        Assert.True(metrics["ReplicaLag"]!.GetValue<double>() >= 0);

        // Both rebooted, the source archiving its WAL (it keeps automated backups): the replica still receives the new rows.
        await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            for name in ["pg-src", "pg-rep"]:
                rds.reboot_db_instance(DBInstanceIdentifier=name)
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            """);
        await Pg.ExecuteAsync(source, "INSERT INTO accounts VALUES (4, 'dave')");
        Assert.Equal("dave", await EventuallyAsync(() => Pg.ScalarAsync(replica, "SELECT name FROM accounts WHERE id = 4")));

        // Deleting the source promotes its replica, as RDS does.
        await Clients.Boto3Async(stratus.Url, """client("rds").delete_db_instance(DBInstanceIdentifier="pg-src", SkipFinalSnapshot=True)""");
        await WaitDeletedAsync(stratus.Url, "pg-src");
        var promoted = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            for _ in range(120):
                i = rds.describe_db_instances(DBInstanceIdentifier="pg-rep")["DBInstances"][0]
                if i["DBInstanceStatus"] == "available" and "ReadReplicaSourceDBInstanceIdentifier" not in i:
                    break
                time.sleep(0.5)
            out["source"] = i.get("ReadReplicaSourceDBInstanceIdentifier")
            """);
        Assert.Null(promoted["source"]);
        await Pg.ExecuteAsync(replica, "INSERT INTO accounts VALUES (3, 'carol')");
        Assert.Equal("carol", await Pg.ScalarAsync(replica, "SELECT name FROM accounts WHERE id = 3"));
    }

    private static async Task<DbEndpoint> CreateSourceAsync(string url, string identifier, string engine, string? parameterGroup = null)
    {
        await Clients.Boto3Async(url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="{{identifier}}", DBInstanceClass="db.t3.micro", Engine="{{engine}}",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="{{Database}}", AllocatedStorage=20
                {{(parameterGroup is null ? "" : $", DBParameterGroupName=\"{parameterGroup}\"")}})
            """);
        return await WaitAvailableAsync(url, identifier);
    }

    private static async Task<DbEndpoint> CreateReplicaAsync(string url, string identifier, string source)
    {
        var created = await Clients.Boto3Async(url, $$"""
            i = client("rds").create_db_instance_read_replica(DBInstanceIdentifier="{{identifier}}", SourceDBInstanceIdentifier="{{source}}")["DBInstance"]
            out["status"] = i["DBInstanceStatus"]
            out["source"] = i["ReadReplicaSourceDBInstanceIdentifier"]
            """);
        Assert.Equal("creating", (string?)created["status"]);
        Assert.Equal(source, (string?)created["source"]);
        return await WaitAvailableAsync(url, identifier);
    }

    private static Task<JsonObject> LinksAsync(string url, string source, string replica) => Clients.Boto3Async(url, $$"""
        rds = client("rds")
        out["replicas"] = rds.describe_db_instances(DBInstanceIdentifier="{{source}}")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"]
        r = rds.describe_db_instances(DBInstanceIdentifier="{{replica}}")["DBInstances"][0]
        out["source"] = r.get("ReadReplicaSourceDBInstanceIdentifier")
        out["replication"] = (r.get("StatusInfos") or [{}])[0].get("Status")
        """);

    private static async Task PromoteAsync(string url, string identifier)
    {
        var promoted = await Clients.Boto3Async(url, $$"""
            out["status"] = client("rds").promote_read_replica(DBInstanceIdentifier="{{identifier}}")["DBInstance"]["DBInstanceStatus"]
            """);
        Assert.Equal("modifying", (string?)promoted["status"]);
        await WaitStatusAsync(url, identifier, "available");
    }

    /// <summary>The latest ReplicaLag and DatabaseConnections averages of an instance in GetMetricStatistics (waits for them).</summary>
    private static Task<JsonObject> MetricsAsync(string url, string identifier) => Clients.Boto3Async(url, $$"""
        import datetime
        cw = client("cloudwatch")
        for _ in range(120):
            now = datetime.datetime.now(datetime.timezone.utc)
            for name in ["ReplicaLag", "DatabaseConnections"]:
                points = cw.get_metric_statistics(Namespace="AWS/RDS", MetricName=name, Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "{{identifier}}"}],
                    StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=["Average"])["Datapoints"]
                if points:
                    out[name] = sorted(points, key=lambda p: p["Timestamp"])[-1]["Average"]
            if len(out) == 2:
                break
            time.sleep(0.5)
        else:
            raise SystemExit("no AWS/RDS datapoints: " + json.dumps(out))
        """);

    /// <summary>Replication is asynchronous: polls until the query answers (up to a minute).</summary>
    private static async Task<object?> EventuallyAsync(Func<Task<object?>> query, object? expected = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var value = await query();
            if ((expected is null ? value is not null : Equals(value, expected)) || DateTime.UtcNow > deadline) return value;
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
