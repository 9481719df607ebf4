using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// ManageMasterUserPassword on an Aurora MySQL cluster, driven by boto3: RDS makes the password and keeps it only in
/// its Secrets Manager secret (MasterUserSecret on the cluster), the writer takes it, a rotation sets a new one there,
/// and the secret goes with the cluster.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterMasterUserSecretTests
{
    private const string Engine = "aurora-mysql";
    private const string User = "aurora_admin";

    [Fact]
    public async Task A_cluster_whose_password_RDS_manages_keeps_it_in_its_secret_and_rotates_it()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            sm = client("secretsmanager")
            out["withPassword"] = error(rds.create_db_cluster, DBClusterIdentifier="bad", Engine="{{Engine}}", MasterUsername="{{User}}",
                MasterUserPassword="some-password", ManageMasterUserPassword=True)
            c = rds.create_db_cluster(DBClusterIdentifier="ms", Engine="{{Engine}}", MasterUsername="{{User}}", ManageMasterUserPassword=True, DatabaseName="app")["DBCluster"]
            out["secret"] = c["MasterUserSecret"]
            rds.create_db_instance(DBInstanceIdentifier="ms-writer", DBClusterIdentifier="ms", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="ms-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="ms")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["port"] = c["Port"]
            out["value"] = json.loads(sm.get_secret_value(SecretId=c["MasterUserSecret"]["SecretArn"])["SecretString"])
            out["name"] = sm.describe_secret(SecretId=c["MasterUserSecret"]["SecretArn"])["Name"]
            out["rotateLater"] = error(rds.modify_db_cluster, DBClusterIdentifier="ms", RotateMasterUserPassword=True)
            """, TimeSpan.FromMinutes(5));
        Assert.Equal("InvalidParameterCombination", setup["withPassword"]!["code"]!.GetValue<string>());
        Assert.Equal("active", setup["secret"]!["SecretStatus"]!.GetValue<string>());
        Assert.StartsWith("rds!cluster-", setup["name"]!.GetValue<string>());
        Assert.Equal(User, setup["value"]!["username"]!.GetValue<string>());
        // Without ApplyImmediately RDS refuses a rotation.
        Assert.Equal("InvalidParameterCombination", setup["rotateLater"]!["code"]!.GetValue<string>());
        var secretArn = setup["secret"]!["SecretArn"]!.GetValue<string>();
        var endpoint = new DbEndpoint(setup["endpoint"]!.GetValue<string>(), setup["port"]!.GetValue<int>(), "");
        var first = setup["value"]!["password"]!.GetValue<string>();
        await using (var connection = await RdsTestKit.ConnectAsync(endpoint, User, first, "app")) Assert.Equal("Open", connection.State.ToString());

        // A rotation sets a new password in the writer before it becomes the secret's current value.
        var rotated = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            sm = client("secretsmanager")
            rds.modify_db_cluster(DBClusterIdentifier="ms", RotateMasterUserPassword=True, ApplyImmediately=True)
            out["value"] = json.loads(sm.get_secret_value(SecretId="{{secretArn}}")["SecretString"])
            """, TimeSpan.FromMinutes(2));
        var second = rotated["value"]!["password"]!.GetValue<string>();
        Assert.NotEqual(first, second);
        await using (var connection = await RdsTestKit.ConnectAsync(endpoint, User, second, "app")) Assert.Equal("Open", connection.State.ToString());
        await Assert.ThrowsAnyAsync<MySqlConnector.MySqlException>(() => RdsTestKit.ConnectAsync(endpoint, User, first, "app"));

        // The secret goes with the cluster.
        var deleted = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            sm = client("secretsmanager")
            rds.delete_db_instance(DBInstanceIdentifier="ms-writer", SkipFinalSnapshot=True)
            rds.delete_db_cluster(DBClusterIdentifier="ms", SkipFinalSnapshot=True)
            for _ in range(120):
                if not rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": ["ms"]}])["DBClusters"]:
                    break
                time.sleep(0.5)
            out["secret"] = error(sm.describe_secret, SecretId="{{secretArn}}")
            """, TimeSpan.FromMinutes(2));
        Assert.Equal("ResourceNotFoundException", deleted["secret"]!["code"]!.GetValue<string>());
    }
}
