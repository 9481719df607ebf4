using MySqlConnector;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// AWS::RDS::DBCluster restored from a cluster snapshot, driven by boto3 and read with MySqlConnector: the snapshot's
/// master user logs in through the writer with the snapshot's password and reads its rows, and CloudFormation's drift
/// detection finds the cluster in sync, then the property changed behind the stack's back. With ManageMasterUserPassword
/// beside SnapshotIdentifier the master password is a new one, read from the cluster's secret and logging in through the writer.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterRestoreStackTests
{
    private const string User = "admin1";
    private const string Password = "snapshot-master-pass";

    [Fact]
    public async Task A_stack_restores_a_cluster_from_a_snapshot_and_reports_its_drift()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="origin", Engine="aurora-mysql", MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="origin-writer", DBClusterIdentifier="origin", Engine="aurora-mysql", DBInstanceClass="db.t3.medium")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="origin-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            """, TimeSpan.FromMinutes(5));
        var origin = await WaitAvailableAsync(stratus.Url, "origin-writer");
        await QueryAsync(origin, Password, "CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO app.items VALUES (1, 'snapshotted')");

        var stack = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="origin-snap", DBClusterIdentifier="origin")
            rds.get_waiter("db_cluster_snapshot_available").wait(DBClusterSnapshotIdentifier="origin-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            cf = client("cloudformation")
            cluster = dict(Type="AWS::RDS::DBCluster", Properties=dict(Engine="aurora-mysql", SnapshotIdentifier="origin-snap", CopyTagsToSnapshot=True))
            writer = dict(Type="AWS::RDS::DBInstance", Properties=dict(Engine="aurora-mysql", DBInstanceClass="db.t3.medium", DBClusterIdentifier={"Ref": "Cluster"}))
            outputs = dict(Name=dict(Value={"Ref": "Cluster"}), Address=dict(Value={"Fn::GetAtt": ["Cluster", "Endpoint.Address"]}),
                Port=dict(Value={"Fn::GetAtt": ["Cluster", "Endpoint.Port"]}))
            cf.create_stack(StackName="restored", TemplateBody=json.dumps(dict(Resources=dict(Cluster=cluster, Writer=writer), Outputs=outputs)))
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="restored", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            except botocore.exceptions.WaiterError:
                raise SystemExit(json.dumps([e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="restored")["StackEvents"]]))
            for o in cf.describe_stacks(StackName="restored")["Stacks"][0]["Outputs"]:
                out[o["OutputKey"]] = o["OutputValue"]
            c = rds.describe_db_clusters(DBClusterIdentifier=out["Name"])["DBClusters"][0]
            out["user"] = c["MasterUsername"]

            def detect():
                cf.detect_stack_drift(StackName="restored")
                drift = next(d for d in cf.describe_stack_resource_drifts(StackName="restored")["StackResourceDrifts"] if d["LogicalResourceId"] == "Cluster")
                return drift["StackResourceDriftStatus"], sorted([d["PropertyPath"], d["ExpectedValue"], d["ActualValue"]] for d in drift["PropertyDifferences"])
            out["in sync"] = detect()
            rds.modify_db_cluster(DBClusterIdentifier=out["Name"], CopyTagsToSnapshot=False, ApplyImmediately=True)
            out["drifted"] = detect()
            """, TimeSpan.FromMinutes(8));
        Assert.Equal(User, (string?)stack["user"]);
        Assert.Equal("""["IN_SYNC",[]]""", stack["in sync"]!.ToJsonString());
        Assert.Equal("""["MODIFIED",[["/CopyTagsToSnapshot","true","false"]]]""", stack["drifted"]!.ToJsonString());

        // The snapshot's master user, with the snapshot's password, reads the snapshot's rows through the restored writer.
        var writer = new DbEndpoint(stack["Address"]!.GetValue<string>(), int.Parse(stack["Port"]!.GetValue<string>()), "");
        Assert.Equal("snapshotted", await QueryAsync(writer, Password, "SELECT name FROM app.items WHERE id = 1"));

        // With ManageMasterUserPassword, CloudFormation restores and then turns the managed password on: the secret holds a new
        // password, the writer the stack adds runs with it, and the snapshot's password no longer logs in.
        var managed = await Clients.Boto3Async(stratus.Url, """
            cf = client("cloudformation")
            sm = client("secretsmanager")
            cluster = dict(Type="AWS::RDS::DBCluster", Properties=dict(Engine="aurora-mysql", SnapshotIdentifier="origin-snap", ManageMasterUserPassword=True))
            writer = dict(Type="AWS::RDS::DBInstance", Properties=dict(Engine="aurora-mysql", DBInstanceClass="db.t3.medium", DBClusterIdentifier={"Ref": "Cluster"}))
            outputs = dict(Secret=dict(Value={"Fn::GetAtt": ["Cluster", "MasterUserSecret.SecretArn"]}),
                Address=dict(Value={"Fn::GetAtt": ["Cluster", "Endpoint.Address"]}), Port=dict(Value={"Fn::GetAtt": ["Cluster", "Endpoint.Port"]}))
            cf.create_stack(StackName="managed", TemplateBody=json.dumps(dict(Resources=dict(Cluster=cluster, Writer=writer), Outputs=outputs)))
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="managed", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            except botocore.exceptions.WaiterError:
                raise SystemExit(json.dumps([e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="managed")["StackEvents"]]))
            for o in cf.describe_stacks(StackName="managed")["Stacks"][0]["Outputs"]:
                out[o["OutputKey"]] = o["OutputValue"]
            out["name"] = sm.describe_secret(SecretId=out["Secret"])["Name"]
            out["value"] = json.loads(sm.get_secret_value(SecretId=out["Secret"])["SecretString"])
            """, TimeSpan.FromMinutes(6));
        Assert.StartsWith("rds!cluster-", managed["name"]!.GetValue<string>());
        Assert.Equal(User, managed["value"]!["username"]!.GetValue<string>());
        var managedPassword = managed["value"]!["password"]!.GetValue<string>();
        Assert.NotEqual(Password, managedPassword);
        var managedWriter = new DbEndpoint(managed["Address"]!.GetValue<string>(), int.Parse(managed["Port"]!.GetValue<string>()), "");
        Assert.Equal("snapshotted", await QueryAsync(managedWriter, managedPassword, "SELECT name FROM app.items WHERE id = 1"));
        await Assert.ThrowsAnyAsync<MySqlException>(() => QueryAsync(managedWriter, Password, "SELECT 1"));

        await Clients.Boto3Async(stratus.Url, """
            cf = client("cloudformation")
            cf.delete_stack(StackName="restored")
            cf.get_waiter("stack_delete_complete").wait(StackName="restored", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            """, TimeSpan.FromMinutes(5));
    }

    private static async Task<object?> QueryAsync(DbEndpoint endpoint, string password, string sql)
    {
        await using var connection = await ConnectAsync(endpoint, User, password, null);
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
