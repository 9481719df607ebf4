using MySqlConnector;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// RestoreDBInstanceFromDBSnapshot with ManageMasterUserPassword, driven by boto3 and proven with MySqlConnector: the
/// restored instance gets its own rds!db-... secret, its master logs in with that secret's password and no longer with
/// the snapshot's, and deleting the instance deletes the secret.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsRestoreManagedPasswordTests
{
    [Fact]
    public async Task A_restored_instance_with_a_managed_password_gets_its_own_secret()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var r = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            sm = client("secretsmanager")
            FAST = {"Delay": 1, "MaxAttempts": 180}
            rds.create_db_instance(DBInstanceIdentifier="rm-source", DBInstanceClass="db.t3.micro", Engine="mariadb",
                                   MasterUsername="admin", MasterUserPassword="snapshot-pass-1", AllocatedStorage=20)
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="rm-source", WaiterConfig=FAST)
            rds.create_db_snapshot(DBSnapshotIdentifier="rm-snap", DBInstanceIdentifier="rm-source")
            rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="rm-snap", WaiterConfig=FAST)
            out["kmsWithoutManaged"] = error(rds.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="rm-x", DBSnapshotIdentifier="rm-snap",
                                             MasterUserSecretKmsKeyId="alias/aws/secretsmanager")["code"]
            restored = rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="rm-restored", DBSnapshotIdentifier="rm-snap",
                                                                ManageMasterUserPassword=True)["DBInstance"]
            out["responseSecret"] = restored.get("MasterUserSecret")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="rm-restored", WaiterConfig=FAST)
            d = rds.describe_db_instances(DBInstanceIdentifier="rm-restored")["DBInstances"][0]
            out["secret"] = d["MasterUserSecret"]
            out["endpoint"] = [d["Endpoint"]["Address"], d["Endpoint"]["Port"]]
            described = sm.describe_secret(SecretId=d["MasterUserSecret"]["SecretArn"])
            out["name"] = described["Name"]
            out["tags"] = {t["Key"]: t["Value"] for t in described["Tags"]}
            out["arn"] = d["DBInstanceArn"]
            out["value"] = json.loads(sm.get_secret_value(SecretId=d["MasterUserSecret"]["SecretArn"])["SecretString"])
            out["sourceSecret"] = rds.describe_db_instances(DBInstanceIdentifier="rm-source")["DBInstances"][0].get("MasterUserSecret")
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("InvalidParameterCombination", r["kmsWithoutManaged"]!.GetValue<string>());
        Assert.Equal(r["secret"]!["SecretArn"]!.GetValue<string>(), r["responseSecret"]!["SecretArn"]!.GetValue<string>());
        Assert.Equal("active", r["secret"]!["SecretStatus"]!.GetValue<string>());
        Assert.Matches("^rds!db-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", r["name"]!.GetValue<string>());
        Assert.Equal(r["arn"]!.GetValue<string>(), r["tags"]!["aws:rds:primaryDBInstanceArn"]!.GetValue<string>());
        Assert.Null(r["sourceSecret"]);
        Assert.Equal("admin", r["value"]!["username"]!.GetValue<string>());
        var password = r["value"]!["password"]!.GetValue<string>();
        Assert.NotEqual("snapshot-pass-1", password);
        var endpoint = new DbEndpoint(r["endpoint"]![0]!.GetValue<string>(), r["endpoint"]![1]!.GetValue<int>(), "");
        Assert.Null(await LoginErrorAsync(endpoint, password));
        Assert.Equal(1045, await LoginErrorAsync(endpoint, "snapshot-pass-1"));

        var deleted = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            sm = client("secretsmanager")
            rds.delete_db_instance(DBInstanceIdentifier="rm-restored", SkipFinalSnapshot=True)
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="rm-restored", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["secret"] = error(sm.describe_secret, SecretId="{{r["secret"]!["SecretArn"]!.GetValue<string>()}}")["code"]
            """, TimeSpan.FromMinutes(3));
        Assert.Equal("ResourceNotFoundException", deleted["secret"]!.GetValue<string>());
    }

    /// <summary>The MySQL error number the master's login fails with (1045 access denied), or null when it succeeds.</summary>
    private static async Task<int?> LoginErrorAsync(DbEndpoint endpoint, string password)
    {
        try
        {
            await using var connection = await RdsTestKit.ConnectAsync(endpoint, "admin", password, null);
            return null;
        }
        catch (MySqlException e)
        {
            return e.Number;
        }
    }
}
