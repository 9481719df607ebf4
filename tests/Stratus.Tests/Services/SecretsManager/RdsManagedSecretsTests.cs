using MySqlConnector;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudFormation;
using Stratus.Tests.Services.Rds;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>
/// RDS with Secrets Manager: a generated secret as a DB instance's master password (dynamic references) with a
/// target attachment, and ManageMasterUserPassword, each proven by logging in to the real MariaDB with the secret.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsManagedSecretsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Attached_and_managed_master_secrets_log_in_to_mariadb_and_rotation_changes_the_password()
    {
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            sm = client("secretsmanager")
            rds = client("rds")
            FAST = {"Delay": 1, "MaxAttempts": 300}
            cf.create_stack(StackName="rds-secrets", TemplateBody={{CloudFormationTemplates.Python("rds_secrets_stack.yml")}})
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="rds-secrets", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                raise SystemExit(json.dumps(cf.describe_stack_events(StackName="rds-secrets")["StackEvents"], default=str))
            o = {x["OutputKey"]: x["OutputValue"] for x in cf.describe_stacks(StackName="rds-secrets")["Stacks"][0]["Outputs"]}
            out["attached"] = json.loads(sm.get_secret_value(SecretId=o["AttachedSecretArn"])["SecretString"])
            managed = rds.describe_db_instances(DBInstanceIdentifier=o["ManagedDbName"])["DBInstances"][0]
            out["masterUserSecret"] = managed["MasterUserSecret"]
            out["managedArn"] = o["ManagedSecretArn"]
            out["managedEndpoint"] = [managed["Endpoint"]["Address"], managed["Endpoint"]["Port"]]
            d = sm.describe_secret(SecretId=o["ManagedSecretArn"])
            out["managedSecret"] = [d["Name"], d.get("OwningService")]
            out["managedValue"] = json.loads(sm.get_secret_value(SecretId=o["ManagedSecretArn"])["SecretString"])
            out["ownedRefusesPut"] = error(sm.put_secret_value, SecretId=o["ManagedSecretArn"], SecretString="x")["code"]
            out["events"] = json.dumps(cf.describe_stack_events(StackName="rds-secrets"), default=str)
            """, TimeSpan.FromMinutes(6));

        var attached = r["attached"]!;
        Assert.Equal("democct", (string?)attached["username"]);
        Assert.Equal("mysql", (string?)attached["engine"]);
        Assert.Equal("accounts", (string?)attached["dbname"]);
        Assert.NotNull(attached["dbInstanceIdentifier"]);
        var attachedEndpoint = new DbEndpoint((string)attached["host"]!, (int)attached["port"]!, "");
        Assert.Equal(1L, await SelectOneAsync(attachedEndpoint, "democct", (string)attached["password"]!, "accounts"));

        Assert.Equal((string?)r["managedArn"], (string?)r["masterUserSecret"]!["SecretArn"]);
        Assert.Equal("active", (string?)r["masterUserSecret"]!["SecretStatus"]);
        Assert.NotNull(r["masterUserSecret"]!["KmsKeyId"]);
        Assert.Matches("^rds!db-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", (string?)r["managedSecret"]![0]);
        Assert.Equal("rds", (string?)r["managedSecret"]![1]);
        Assert.Equal("admin", (string?)r["managedValue"]!["username"]);
        Assert.Equal("InvalidRequestException", (string?)r["ownedRefusesPut"]);
        var managedEndpoint = new DbEndpoint((string)r["managedEndpoint"]![0]!, (int)r["managedEndpoint"]![1]!, "");
        var firstPassword = (string)r["managedValue"]!["password"]!;
        Assert.Equal(1L, await SelectOneAsync(managedEndpoint, "admin", firstPassword, null));
        Assert.DoesNotContain(firstPassword, (string?)r["events"]);
        Assert.DoesNotContain((string)attached["password"]!, (string?)r["events"]);

        // RotateSecret on the secret RDS owns sets a new password in MariaDB, then makes it AWSCURRENT.
        var rotated = await Clients.Boto3Async(stratus.Url, $$"""
            sm = client("secretsmanager")
            sm.rotate_secret(SecretId="{{(string?)r["managedArn"]}}")
            out["current"] = json.loads(sm.get_secret_value(SecretId="{{(string?)r["managedArn"]}}")["SecretString"])["password"]
            out["previous"] = json.loads(sm.get_secret_value(SecretId="{{(string?)r["managedArn"]}}", VersionStage="AWSPREVIOUS")["SecretString"])["password"]
            """);
        Assert.Equal(firstPassword, (string?)rotated["previous"]);
        Assert.NotEqual(firstPassword, (string?)rotated["current"]);
        Assert.Equal(1L, await SelectOneAsync(managedEndpoint, "admin", (string)rotated["current"]!, null));
        await Assert.ThrowsAsync<MySqlException>(() => SelectOneAsync(managedEndpoint, "admin", firstPassword, null));

        var deleted = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            sm = client("secretsmanager")
            cf.delete_stack(StackName="rds-secrets")
            cf.get_waiter("stack_delete_complete").wait(StackName="rds-secrets", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            out["managed"] = error(sm.describe_secret, SecretId="{{(string?)r["managedArn"]}}")["code"]
            """, TimeSpan.FromMinutes(4));
        // RDS deletes the master user secret it manages with the instance.
        Assert.Equal("ResourceNotFoundException", (string?)deleted["managed"]);
    }

    [Fact]
    public async Task Modify_db_instance_turns_managed_passwords_on_rotates_them_and_turns_them_off()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            sm = client("secretsmanager")
            rds.create_db_instance(DBInstanceIdentifier="managed-later", DBInstanceClass="db.t3.micro", Engine="mariadb",
                                   MasterUsername="admin", MasterUserPassword="initial-pass-1", AllocatedStorage=20)
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="managed-later", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            d = rds.describe_db_instances(DBInstanceIdentifier="managed-later")["DBInstances"][0]
            out["endpoint"] = [d["Endpoint"]["Address"], d["Endpoint"]["Port"]]
            out["before"] = d.get("MasterUserSecret")
            out["both"] = error(rds.modify_db_instance, DBInstanceIdentifier="managed-later", ManageMasterUserPassword=True,
                                MasterUserPassword="x1234567", ApplyImmediately=True)["code"]
            arn = rds.modify_db_instance(DBInstanceIdentifier="managed-later", ManageMasterUserPassword=True, ApplyImmediately=True)["DBInstance"]["MasterUserSecret"]["SecretArn"]
            out["first"] = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"]
            rds.modify_db_instance(DBInstanceIdentifier="managed-later", RotateMasterUserPassword=True, ApplyImmediately=True)
            out["rotated"] = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"]
            out["arn"] = arn
            """);
        var endpoint = new DbEndpoint((string)r["endpoint"]![0]!, (int)r["endpoint"]![1]!, "");
        try
        {
            Assert.Null(r["before"]);
            Assert.Equal("InvalidParameterCombination", (string?)r["both"]);
            Assert.NotEqual((string?)r["first"], (string?)r["rotated"]);
            Assert.Equal(1L, await SelectOneAsync(endpoint, "admin", (string)r["rotated"]!, null));
            await Assert.ThrowsAsync<MySqlException>(() => SelectOneAsync(endpoint, "admin", (string)r["first"]!, null));

            var off = await Clients.Boto3Async(stratus.Url, $$"""
                rds = client("rds")
                sm = client("secretsmanager")
                out["off_without_password"] = error(rds.modify_db_instance, DBInstanceIdentifier="managed-later", ManageMasterUserPassword=False, ApplyImmediately=True)["code"]
                rds.modify_db_instance(DBInstanceIdentifier="managed-later", ManageMasterUserPassword=False, MasterUserPassword="back-to-plain-1", ApplyImmediately=True)
                out["after"] = rds.describe_db_instances(DBInstanceIdentifier="managed-later")["DBInstances"][0].get("MasterUserSecret")
                out["secret"] = error(sm.describe_secret, SecretId="{{(string?)r["arn"]}}")["code"]
                """);
            Assert.Equal("InvalidParameterCombination", (string?)off["off_without_password"]);
            Assert.Null(off["after"]);
            Assert.Equal("ResourceNotFoundException", (string?)off["secret"]);
            Assert.Equal(1L, await SelectOneAsync(endpoint, "admin", "back-to-plain-1", null));
        }
        finally
        {
            await Clients.Boto3Async(stratus.Url, """
                rds = client("rds")
                rds.delete_db_instance(DBInstanceIdentifier="managed-later", SkipFinalSnapshot=True)
                rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="managed-later", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
                """);
        }
    }

    private static async Task<long> SelectOneAsync(DbEndpoint endpoint, string user, string password, string? database)
    {
        await using var connection = await RdsTestKit.ConnectAsync(endpoint, user, password, database);
        await using var command = new MySqlCommand("select 1", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
