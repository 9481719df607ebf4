using System.Data.Common;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Blue/green deployments of a MariaDB and a PostgreSQL instance, driven by boto3 and read with MySqlConnector and
/// Npgsql: green is a real replica named as RDS names it; after the switchover the rows written through blue read back
/// through blue's original endpoint, which now takes writes, and blue lives on as NAME-old1.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsBlueGreenTests
{
    private const string User = "admin1";
    private const string Password = "bluegreen-pass";
    private const string DatabaseName = "app";

    /// <summary>wait_for_deployment polls DescribeBlueGreenDeployments (up to three minutes) until the deployment has the status.</summary>
    private const string WaitForDeployment = """
        def wait_for_deployment(rds, id, status):
            for _ in range(360):
                d = rds.describe_blue_green_deployments(BlueGreenDeploymentIdentifier=id)["BlueGreenDeployments"][0]
                if d["Status"] == status:
                    return d
                time.sleep(0.5)
            raise Exception(f"{id} never became {status}: {d}")

        """;

    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgres")]
    public async Task A_switchover_gives_green_the_blue_endpoint_with_every_row_written_through_blue(string engine)
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(stratus.Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="shop", DBInstanceClass="db.t3.micro", Engine="{{engine}}",
                MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="{{DatabaseName}}", AllocatedStorage=20)
            """);
        var blue = await WaitAvailableAsync(stratus.Url, "shop");
        var db = new Database(engine);
        await db.ExecuteAsync(blue, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))");
        await db.ExecuteAsync(blue, "INSERT INTO items VALUES (1, 'before-green')");

        var created = await Clients.Boto3Async(stratus.Url, WaitForDeployment + """
            rds = client("rds")
            arn = rds.describe_db_instances(DBInstanceIdentifier="shop")["DBInstances"][0]["DBInstanceArn"]
            out["cluster"] = error(rds.create_blue_green_deployment, BlueGreenDeploymentName="c", Source=arn.replace(":db:shop", ":cluster:shop"))
            out["version"] = error(rds.create_blue_green_deployment, BlueGreenDeploymentName="v", Source=arn, TargetEngineVersion="1.0")
            # A first deployment, deleted with its green instance.
            first = rds.create_blue_green_deployment(BlueGreenDeploymentName="first", Source=arn)["BlueGreenDeployment"]
            out["again"] = error(rds.create_blue_green_deployment, BlueGreenDeploymentName="second", Source=arn)
            out["tooEarly"] = error(rds.switchover_blue_green_deployment, BlueGreenDeploymentIdentifier=first["BlueGreenDeploymentIdentifier"])
            out["firstGreen"] = first["Target"].split(":db:")[1]
            wait_for_deployment(rds, first["BlueGreenDeploymentIdentifier"], "AVAILABLE")
            out["deleted"] = rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier=first["BlueGreenDeploymentIdentifier"], DeleteTarget=True)["BlueGreenDeployment"]["Status"]
            out["firstGone"] = error(rds.describe_blue_green_deployments, BlueGreenDeploymentIdentifier=first["BlueGreenDeploymentIdentifier"])
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=out["firstGreen"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})

            d = rds.create_blue_green_deployment(BlueGreenDeploymentName="upgrade", Source=arn, Tags=[{"Key": "change", "Value": "42"}])["BlueGreenDeployment"]
            out["id"] = d["BlueGreenDeploymentIdentifier"]
            out["provisioning"] = [d["Status"], d["Tasks"][0]["Status"], d["SwitchoverDetails"][0]["Status"]]
            d = wait_for_deployment(rds, out["id"], "AVAILABLE")
            out["available"] = [d["Status"], d["Tasks"], d["SwitchoverDetails"][0]["Status"], d["Source"] == arn, d["TagList"]]
            out["green"] = d["Target"].split(":db:")[1]
            out["byName"] = [x["BlueGreenDeploymentIdentifier"] for x in rds.describe_blue_green_deployments(
                Filters=[{"Name": "blue-green-deployment-name", "Values": ["upgrade"]}])["BlueGreenDeployments"]]
            out["bySource"] = len(rds.describe_blue_green_deployments(Filters=[{"Name": "source", "Values": [arn]}])["BlueGreenDeployments"])
            out["byOther"] = rds.describe_blue_green_deployments(Filters=[{"Name": "target", "Values": [arn]}])["BlueGreenDeployments"]
            g = rds.describe_db_instances(DBInstanceIdentifier=out["green"])["DBInstances"][0]
            out["greenSource"] = g.get("ReadReplicaSourceDBInstanceIdentifier")
            """, TimeSpan.FromMinutes(6));
        foreach (var (call, code) in new[] { ("cluster", "SourceClusterNotSupportedFault"), ("version", "InvalidParameterCombination"),
            ("again", "BlueGreenDeploymentAlreadyExistsFault"), ("tooEarly", "InvalidBlueGreenDeploymentStateFault"), ("firstGone", "BlueGreenDeploymentNotFoundFault") })
            Assert.True(created[call]?["code"]?.GetValue<string>() == code, $"{call}: expected {code}, got {created[call]?.ToJsonString()}");
        Assert.Matches("^shop-green-[a-z0-9]{6}$", created["firstGreen"]!.GetValue<string>());
        Assert.Equal("DELETING", created["deleted"]!.GetValue<string>());
        Assert.Equal("""["PROVISIONING","IN_PROGRESS","PROVISIONING"]""", created["provisioning"]!.ToJsonString());
        Assert.Equal("""["AVAILABLE",[{"Name":"CREATING_READ_REPLICA_OF_SOURCE","Status":"COMPLETED"}],"AVAILABLE",true,[{"Key":"change","Value":"42"}]]""",
            created["available"]!.ToJsonString());
        var green = created["green"]!.GetValue<string>();
        Assert.Matches("^shop-green-[a-z0-9]{6}$", green);
        Assert.Equal($"""["{created["id"]}"]""", created["byName"]!.ToJsonString());
        Assert.Equal(1, created["bySource"]!.GetValue<int>());
        Assert.Equal("[]", created["byOther"]!.ToJsonString());
        Assert.Equal("shop", created["greenSource"]!.GetValue<string>());

        // Written through blue after green was made: green must catch up before it takes over.
        await db.ExecuteAsync(blue, "INSERT INTO items VALUES (2, 'after-green')");
        var switched = await Clients.Boto3Async(stratus.Url, WaitForDeployment + $$"""
            rds = client("rds")
            d = rds.switchover_blue_green_deployment(BlueGreenDeploymentIdentifier="{{created["id"]}}", SwitchoverTimeout=120)["BlueGreenDeployment"]
            out["switching"] = d["Status"]
            d = wait_for_deployment(rds, "{{created["id"]}}", "SWITCHOVER_COMPLETED")
            out["details"] = [d["SwitchoverDetails"][0]["Status"], d["Source"].split(":db:")[1], d["Target"].split(":db:")[1]]
            for name in ["shop", "shop-old1"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            shop = rds.describe_db_instances(DBInstanceIdentifier="shop")["DBInstances"][0]
            old = rds.describe_db_instances(DBInstanceIdentifier="shop-old1")["DBInstances"][0]
            out["shop"] = [shop["Endpoint"]["Address"], shop["Endpoint"]["Port"], shop["DbiResourceId"], shop.get("ReadReplicaSourceDBInstanceIdentifier")]
            out["old"] = [old["Endpoint"]["Address"], old["DbiResourceId"]]
            out["greenGone"] = error(rds.describe_db_instances, DBInstanceIdentifier="{{green}}")
            out["deleteTarget"] = error(rds.delete_blue_green_deployment, BlueGreenDeploymentIdentifier="{{created["id"]}}", DeleteTarget=True)
            out["deleted"] = rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier="{{created["id"]}}")["BlueGreenDeployment"]["Status"]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("SWITCHOVER_IN_PROGRESS", switched["switching"]!.GetValue<string>());
        Assert.Equal($"""["SWITCHOVER_COMPLETED","shop-old1","shop"]""", switched["details"]!.ToJsonString());
        // The endpoint stays; the server behind it is green's (another resource id), and no longer a replica.
        Assert.Equal(blue.Address, switched["shop"]![0]!.GetValue<string>());
        Assert.Equal(blue.Port, switched["shop"]![1]!.GetValue<int>());
        Assert.NotEqual(blue.ResourceId, switched["shop"]![2]!.GetValue<string>());
        Assert.Null(switched["shop"]![3]);
        Assert.NotEqual(blue.Address, switched["old"]![0]!.GetValue<string>());
        Assert.Equal(blue.ResourceId, switched["old"]![1]!.GetValue<string>());
        Assert.Equal("DBInstanceNotFound", switched["greenGone"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidBlueGreenDeploymentStateFault", switched["deleteTarget"]!["code"]!.GetValue<string>());
        Assert.Equal("DELETING", switched["deleted"]!.GetValue<string>());

        // Every row written through blue reads back through the original endpoint, which takes writes.
        Assert.Equal(2L, Convert.ToInt64(await db.ScalarAsync(blue, "SELECT COUNT(*) FROM items")));
        Assert.Equal("after-green", Convert.ToString(await db.ScalarAsync(blue, "SELECT name FROM items WHERE id = 2")));
        await db.ExecuteAsync(blue, "INSERT INTO items VALUES (3, 'after-switchover')");
        Assert.Equal(3L, Convert.ToInt64(await db.ScalarAsync(blue, "SELECT COUNT(*) FROM items")));
        await stratus.StopAsync();
    }

    /// <summary>The instance's database through the engine's client, as its master user.</summary>
    private sealed class Database(string engine)
    {
        private readonly PostgresLogin _postgres = new(User, Password, DatabaseName);

        public async Task ExecuteAsync(DbEndpoint endpoint, string sql)
        {
            await using var connection = await OpenAsync(endpoint);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        public async Task<object?> ScalarAsync(DbEndpoint endpoint, string sql)
        {
            await using var connection = await OpenAsync(endpoint);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteScalarAsync();
        }

        private async Task<DbConnection> OpenAsync(DbEndpoint endpoint) => engine == "postgres"
            ? await _postgres.ConnectAsync(endpoint)
            : await ConnectAsync(endpoint, User, Password, DatabaseName);
    }
}
