using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Custom endpoints of an Aurora MySQL cluster driven by boto3 and reached with MySqlConnector: each listens on an
/// address of its own and reaches only the members it names, follows ModifyDBClusterEndpoint, keeps its address across
/// a restart of Stratus and stops listening once deleted.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterEndpointTests
{
    private const string Engine = "aurora-mysql";

    [Fact]
    public async Task Custom_endpoints_reach_the_members_they_name_and_keep_their_address_across_a_restart()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var setup = await Clients.Boto3Async(stratus.Url, RdsTestKit.WaitForEndpoint + $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="ce", Engine="{{Engine}}", MasterUsername="aurora_admin", MasterUserPassword="aurora-master-pass", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="ce-writer", DBClusterIdentifier="ce", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            rds.create_db_instance(DBInstanceIdentifier="ce-reader", DBClusterIdentifier="ce", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            for member in ["ce-writer", "ce-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            created = rds.create_db_cluster_endpoint(DBClusterIdentifier="ce", DBClusterEndpointIdentifier="ce-analytics", EndpointType="reader", StaticMembers=["ce-reader"])
            out["created"] = {k: created.get(k) for k in ["Status", "EndpointType", "CustomEndpointType", "StaticMembers", "DBClusterEndpointArn"]}
            rds.create_db_cluster_endpoint(DBClusterIdentifier="ce", DBClusterEndpointIdentifier="ce-no-reader", EndpointType="ANY", ExcludedMembers=["ce-reader"])
            out["again"] = error(rds.create_db_cluster_endpoint, DBClusterIdentifier="ce", DBClusterEndpointIdentifier="ce-analytics", EndpointType="READER")
            out["unknownMember"] = error(rds.create_db_cluster_endpoint, DBClusterIdentifier="ce", DBClusterEndpointIdentifier="x", EndpointType="ANY", StaticMembers=["nope"])
            out["bothLists"] = error(rds.create_db_cluster_endpoint, DBClusterIdentifier="ce", DBClusterEndpointIdentifier="x", EndpointType="ANY",
                StaticMembers=["ce-reader"], ExcludedMembers=["ce-writer"])
            out["writerType"] = error(rds.create_db_cluster_endpoint, DBClusterIdentifier="ce", DBClusterEndpointIdentifier="x", EndpointType="WRITER")
            out["modifyMissing"] = error(rds.modify_db_cluster_endpoint, DBClusterEndpointIdentifier="nope", EndpointType="ANY")
            out["deleteMissing"] = error(rds.delete_db_cluster_endpoint, DBClusterEndpointIdentifier="nope")
            out["analytics"] = wait_for_endpoint(rds, "ce-analytics", "available")["Endpoint"]
            out["noReader"] = wait_for_endpoint(rds, "ce-no-reader", "available")["Endpoint"]
            out["types"] = [e["EndpointType"] for e in rds.describe_db_cluster_endpoints(DBClusterIdentifier="ce")["DBClusterEndpoints"]]
            out["readerCustom"] = [e["DBClusterEndpointIdentifier"] for e in rds.describe_db_cluster_endpoints(
                Filters=[{"Name": "db-cluster-endpoint-custom-type", "Values": ["reader"]}])["DBClusterEndpoints"]]
            c = rds.describe_db_clusters(DBClusterIdentifier="ce")["DBClusters"][0]
            out["port"] = c["Port"]
            out["addresses"] = {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"]
                for i in rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["ce"]}])["DBInstances"]}
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("creating", setup["created"]!["Status"]!.GetValue<string>());
        Assert.Equal("CUSTOM", setup["created"]!["EndpointType"]!.GetValue<string>());
        Assert.Equal("READER", setup["created"]!["CustomEndpointType"]!.GetValue<string>());
        Assert.Equal(["ce-reader"], setup["created"]!["StaticMembers"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.EndsWith(":cluster-endpoint:ce-analytics", setup["created"]!["DBClusterEndpointArn"]!.GetValue<string>());
        Assert.Equal("DBClusterEndpointAlreadyExistsFault", setup["again"]!["code"]!.GetValue<string>());
        Assert.Equal("DBInstanceNotFound", setup["unknownMember"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", setup["bothLists"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValue", setup["writerType"]!["code"]!.GetValue<string>());
        Assert.Equal("DBClusterEndpointNotFoundFault", setup["modifyMissing"]!["code"]!.GetValue<string>());
        Assert.Equal("DBClusterEndpointNotFoundFault", setup["deleteMissing"]!["code"]!.GetValue<string>());
        Assert.Equal(["WRITER", "READER", "CUSTOM", "CUSTOM"], setup["types"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(["ce-analytics"], setup["readerCustom"]!.AsArray().Select(t => t!.GetValue<string>()));
        var addresses = setup["addresses"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>());
        var analytics = setup["analytics"]!.GetValue<string>();
        var noReader = setup["noReader"]!.GetValue<string>();
        Assert.DoesNotContain(analytics, addresses.Values);
        Assert.NotEqual(analytics, noReader);
        var db = new RdsAuroraTests.AuroraDatabase(Engine, setup["port"]!.GetValue<int>());

        // Each connection goes to a member the endpoint names, and only to one.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(addresses["ce-reader"], await db.ServerAddressAsync(analytics));
            Assert.Equal(addresses["ce-writer"], await db.ServerAddressAsync(noReader));
        }

        // ModifyDBClusterEndpoint: the next connection follows the new members.
        var modified = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            m = rds.modify_db_cluster_endpoint(DBClusterEndpointIdentifier="ce-analytics", EndpointType="ANY", StaticMembers=["ce-writer"])
            out["modified"] = [m["CustomEndpointType"], m["StaticMembers"]]
            """, TimeSpan.FromMinutes(1));
        Assert.Equal("""["ANY",["ce-writer"]]""", modified["modified"]!.ToJsonString());
        Assert.Equal(addresses["ce-writer"], await db.ServerAddressAsync(analytics));

        // A restart of Stratus: the endpoint closes with it and listens again where it did, with its members.
        await stratus.StopAsync();
        Assert.True(await RdsTestKit.NothingListensAsync(analytics, db.Port), $"nothing listens on {analytics} once Stratus stopped");
        await stratus.RestartAsync();
        var restarted = await Clients.Boto3Async(stratus.Url, RdsTestKit.WaitForEndpoint + """
            rds = client("rds")
            for member in ["ce-writer", "ce-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="ce", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            e = wait_for_endpoint(rds, "ce-analytics", "available")
            out["analytics"] = [e["Endpoint"], e["StaticMembers"]]
            """, TimeSpan.FromMinutes(5));
        Assert.Equal($"""["{analytics}",["ce-writer"]]""", restarted["analytics"]!.ToJsonString());
        Assert.Equal(addresses["ce-writer"], await db.ServerAddressAsync(analytics));

        // DeleteDBClusterEndpoint: deleting, then gone, and its address no longer listens.
        var deleted = await Clients.Boto3Async(stratus.Url, RdsTestKit.WaitForEndpoint + """
            rds = client("rds")
            out["status"] = rds.delete_db_cluster_endpoint(DBClusterEndpointIdentifier="ce-analytics")["Status"]
            wait_for_endpoint(rds, "ce-analytics", "gone")
            out["types"] = [e["EndpointType"] for e in rds.describe_db_cluster_endpoints(DBClusterIdentifier="ce")["DBClusterEndpoints"]]
            """, TimeSpan.FromMinutes(2));
        Assert.Equal("deleting", deleted["status"]!.GetValue<string>());
        Assert.Equal(["WRITER", "READER", "CUSTOM"], deleted["types"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.True(await RdsTestKit.NothingListensAsync(analytics, db.Port), $"nothing listens on {analytics} once its endpoint is deleted");
        await stratus.StopAsync();
    }
}
