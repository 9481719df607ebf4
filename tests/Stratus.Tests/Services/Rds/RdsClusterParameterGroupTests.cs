using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// A DB cluster parameter group applied to an Aurora MySQL cluster's servers, driven by boto3 and read back with
/// MySqlConnector: its values are the members' settings from their start, a dynamic change is set at once in every
/// member, a static one leaves the members pending-reboot until they reboot, and an instance's own group wins.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterParameterGroupTests
{
    private const string Engine = "aurora-mysql";

    [Fact]
    public async Task A_cluster_parameter_group_sets_the_members_servers()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="tuned", DBParameterGroupFamily="aurora-mysql8.0", Description="tuned")
            rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tuned",
                Parameters=[{"ParameterName": "max_connections", "ParameterValue": "123", "ApplyMethod": "immediate"}])
            rds.create_db_cluster(DBClusterIdentifier="pg", Engine="{{Engine}}", MasterUsername="aurora_admin", MasterUserPassword="aurora-master-pass",
                DatabaseName="app", DBClusterParameterGroupName="tuned")
            rds.create_db_parameter_group(DBParameterGroupName="own", DBParameterGroupFamily="aurora-mysql8.0", Description="own")
            rds.modify_db_parameter_group(DBParameterGroupName="own",
                Parameters=[{"ParameterName": "wait_timeout", "ParameterValue": "777", "ApplyMethod": "immediate"}])
            rds.create_db_instance(DBInstanceIdentifier="pg-writer", DBClusterIdentifier="pg", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            rds.create_db_instance(DBInstanceIdentifier="pg-reader", DBClusterIdentifier="pg", Engine="{{Engine}}", DBInstanceClass="db.r6g.large",
                DBParameterGroupName="own")
            for member in ["pg-writer", "pg-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["inUse"] = error(rds.delete_db_cluster_parameter_group, DBClusterParameterGroupName="tuned")
            c = rds.describe_db_clusters(DBClusterIdentifier="pg")["DBClusters"][0]
            out["group"] = c["DBClusterParameterGroup"]
            out["port"] = c["Port"]
            out["addresses"] = {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"]
                for i in rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["pg"]}])["DBInstances"]}
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("tuned", setup["group"]!.GetValue<string>());
        Assert.Equal("InvalidDBParameterGroupState", setup["inUse"]!["code"]!.GetValue<string>());
        var addresses = setup["addresses"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>());
        var db = new RdsAuroraTests.AuroraDatabase(Engine, setup["port"]!.GetValue<int>());
        foreach (var member in addresses.Values)
            Assert.Equal(123L, Convert.ToInt64(await db.ScalarAsync(member, "SELECT @@max_connections")));

        // A dynamic change is set at once in every member, except where the instance's own group sets the parameter.
        var changed = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tuned", Parameters=[
                {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "immediate"},
                {"ParameterName": "wait_timeout", "ParameterValue": "555", "ApplyMethod": "immediate"}])
            out["status"] = [m["DBClusterParameterGroupStatus"] for m in rds.describe_db_clusters(DBClusterIdentifier="pg")["DBClusters"][0]["DBClusterMembers"]]
            """, TimeSpan.FromMinutes(1));
        Assert.Equal(["in-sync", "in-sync"], changed["status"]!.AsArray().Select(s => s!.GetValue<string>()));
        foreach (var member in addresses.Values)
            Assert.Equal(150L, Convert.ToInt64(await db.ScalarAsync(member, "SELECT @@max_connections")));
        Assert.Equal(555L, Convert.ToInt64(await db.ScalarAsync(addresses["pg-writer"], "SELECT @@global.wait_timeout")));
        Assert.Equal(777L, Convert.ToInt64(await db.ScalarAsync(addresses["pg-reader"], "SELECT @@global.wait_timeout")));

        // A static change waits for the reboot: the members report pending-reboot, the rebooted writer runs with it and is in sync.
        var rebooted = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tuned",
                Parameters=[{"ParameterName": "performance_schema", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}])
            members = lambda: {m["DBInstanceIdentifier"]: m["DBClusterParameterGroupStatus"]
                for m in rds.describe_db_clusters(DBClusterIdentifier="pg")["DBClusters"][0]["DBClusterMembers"]}
            out["pending"] = members()
            rds.reboot_db_instance(DBInstanceIdentifier="pg-writer")
            time.sleep(1)
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="pg-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["after"] = members()
            """, TimeSpan.FromMinutes(5));
        Assert.Equal("""{"pg-reader":"pending-reboot","pg-writer":"pending-reboot"}""", SortedJson(rebooted["pending"]!.AsObject()));
        Assert.Equal("""{"pg-reader":"pending-reboot","pg-writer":"in-sync"}""", SortedJson(rebooted["after"]!.AsObject()));
        (await db.WaitForAsync(addresses["pg-writer"], "SELECT @@performance_schema", 1L)).Expect("performance_schema on the rebooted writer");
        Assert.Equal(0L, Convert.ToInt64(await db.ScalarAsync(addresses["pg-reader"], "SELECT @@performance_schema")));
    }

    private static string SortedJson(System.Text.Json.Nodes.JsonObject o) =>
        "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"\"{p.Key}\":\"{p.Value!.GetValue<string>()}\"")) + "}";
}
