using System.Data.Common;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsAuroraTests;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Aurora global databases and cross-Region read replica clusters, driven by boto3 in two Regions (us-east-1 and us-west-2,
/// both this machine) and read with real clients: a row written on the primary reaches the secondary's writer and reader,
/// which refuse writes; a switchover makes the secondary the primary and the old primary replicates from it;
/// a failover with AllowDataLoss moves the primary back at once; RemoveFromGlobalCluster makes a secondary writable; a replica cluster is promoted and takes writes.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsGlobalClusterTests
{
    private const string Waiters = """
        def wait_cluster(rds, name):
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        def wait_instance(rds, name):
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        def address(rds, name):
            return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["Endpoint"]["Address"]
        def make_cluster(rds, name, instances, **kw):
            rds.create_db_cluster(DBClusterIdentifier=name, **kw)
            for instance in instances:
                rds.create_db_instance(DBInstanceIdentifier=instance, DBClusterIdentifier=name, Engine=kw["Engine"], DBInstanceClass="db.r6g.large")
            wait_cluster(rds, name)
            for instance in instances:
                wait_instance(rds, instance)
        """;

    [Theory]
    [InlineData("aurora-mysql")]
    [InlineData("aurora-postgresql")]
    public async Task A_secondary_replicates_the_primary_switches_over_and_is_removed_writable(string engine)
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            {{Waiters}}
            east, west = client("rds"), client("rds", region="us-west-2")
            make_cluster(east, "east", ["east-1"], Engine="{{engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DatabaseName="{{Database}}")
            east_arn = east.describe_db_clusters(DBClusterIdentifier="east")["DBClusters"][0]["DBClusterArn"]
            g = east.create_global_cluster(GlobalClusterIdentifier="world", SourceDBClusterIdentifier=east_arn)["GlobalCluster"]
            out["created"] = [g["Status"], g["Engine"], g["DatabaseName"]]
            out["taken"] = error(east.create_global_cluster, GlobalClusterIdentifier="world", Engine="{{engine}}")
            out["missing"] = error(west.describe_global_clusters, GlobalClusterIdentifier="nowhere")
            out["sameRegion"] = error(east.create_db_cluster, DBClusterIdentifier="east-copy", Engine="{{engine}}", GlobalClusterIdentifier="world")
            out["withName"] = error(west.create_db_cluster, DBClusterIdentifier="named", Engine="{{engine}}", GlobalClusterIdentifier="world", DatabaseName="other")
            make_cluster(west, "west", ["west-1", "west-2"], Engine="{{engine}}", GlobalClusterIdentifier="world")
            out["notEmpty"] = error(east.delete_global_cluster, GlobalClusterIdentifier="world")
            out["deletePrimary"] = error(east.delete_db_cluster, DBClusterIdentifier="east", SkipFinalSnapshot=True)
            g = west.describe_global_clusters(Filters=[{"Name": "region", "Values": ["us-west-2"]}])["GlobalClusters"][0]
            out["members"] = [[m["DBClusterArn"].split(":")[3], m["IsWriter"], [r.split(":")[3] for r in m["Readers"]]] for m in g["GlobalClusterMembers"]]
            w = west.describe_db_clusters(DBClusterIdentifier="west")["DBClusters"][0]
            out["westGlobal"] = w["GlobalClusterIdentifier"]
            out["westWriter"] = [m["DBInstanceIdentifier"] for m in w["DBClusterMembers"] if m["IsClusterWriter"]]
            out["port"] = w["Port"]
            out["eastEndpoint"] = east.describe_db_clusters(DBClusterIdentifier="east")["DBClusters"][0]["Endpoint"]
            out["westEndpoint"] = w["Endpoint"]
            out["addresses"] = {"east-1": address(east, "east-1"), "west-1": address(west, "west-1"), "west-2": address(west, "west-2")}
            """, TimeSpan.FromMinutes(8));
        Assert.Equal(["available", engine, Database], setup["created"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("GlobalClusterAlreadyExistsFault", setup["taken"]!["code"]!.GetValue<string>());
        Assert.Equal("GlobalClusterNotFoundFault", setup["missing"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", setup["sameRegion"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", setup["withName"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidGlobalClusterStateFault", setup["notEmpty"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidGlobalClusterStateFault", setup["deletePrimary"]!["code"]!.GetValue<string>());
        Assert.Equal("""[["us-east-1",true,["us-west-2"]],["us-west-2",false,[]]]""", setup["members"]!.ToJsonString());
        Assert.Equal("world", setup["westGlobal"]!.GetValue<string>());
        Assert.Equal(["west-1"], setup["westWriter"]!.AsArray().Select(w => w!.GetValue<string>()));
        var db = new AuroraDatabase(engine, setup["port"]!.GetValue<int>());
        var addresses = setup["addresses"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>());

        // Written on the primary, read on the secondary's writer and reader; the secondary's servers refuse writes.
        await db.ExecuteAsync(setup["eastEndpoint"]!.GetValue<string>(), "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(60)); INSERT INTO items VALUES (1, 'in-the-east')");
        foreach (var member in new[] { "west-1", "west-2" })
        {
            (await db.WaitForAsync(addresses[member], "SELECT name FROM items WHERE id = 1", "in-the-east")).Expect($"the primary's row replicated to {member}");
            await Assert.ThrowsAnyAsync<DbException>(() => db.ExecuteAsync(addresses[member], "INSERT INTO items VALUES (9, 'on-a-secondary')"));
        }

        // Switchover: the secondary becomes the primary and takes writes; the old primary replicates them and refuses its own.
        var switched = await Clients.Boto3Async(stratus.Url, $$"""
            {{Waiters}}
            east, west = client("rds"), client("rds", region="us-west-2")
            west_arn = west.describe_db_clusters(DBClusterIdentifier="west")["DBClusters"][0]["DBClusterArn"]
            g = east.switchover_global_cluster(GlobalClusterIdentifier="world", TargetDbClusterIdentifier=west_arn)["GlobalCluster"]
            out["status"] = g["Status"]
            out["failoverTo"] = g["FailoverState"]["ToDbClusterArn"].split(":")[3]
            for _ in range(600):
                g = east.describe_global_clusters(GlobalClusterIdentifier="world")["GlobalClusters"][0]
                if g["Status"] == "available":
                    break
                time.sleep(1)
            wait_cluster(east, "east")
            wait_cluster(west, "west")
            wait_instance(east, "east-1")
            out["after"] = [[m["DBClusterArn"].split(":")[3], m["IsWriter"]] for m in g["GlobalClusterMembers"]]
            out["failoverState"] = "FailoverState" in g
            out["address"] = address(east, "east-1")
            """, TimeSpan.FromMinutes(8));
        Assert.Equal("switching-over", switched["status"]!.GetValue<string>());
        Assert.Equal("us-west-2", switched["failoverTo"]!.GetValue<string>());
        Assert.Equal("""[["us-west-2",true],["us-east-1",false]]""", switched["after"]!.ToJsonString());
        Assert.False(switched["failoverState"]!.GetValue<bool>());
        var eastWriter = switched["address"]!.GetValue<string>();
        await db.ExecuteAsync(setup["westEndpoint"]!.GetValue<string>(), "INSERT INTO items VALUES (2, 'in-the-west')");
        (await db.WaitForAsync(eastWriter, "SELECT name FROM items WHERE id = 2", "in-the-west")).Expect("the new primary's row replicated to the old primary");
        (await db.WaitForAsync(eastWriter, "SELECT name FROM items WHERE id = 1", "in-the-east")).Expect("the old primary kept its rows");
        await Assert.ThrowsAnyAsync<DbException>(() => db.ExecuteAsync(eastWriter, "INSERT INTO items VALUES (9, 'on-the-old-primary')"));

        // A failover (AllowDataLoss) back to the east: it takes writes again and the west replicates them.
        var failedBack = await Clients.Boto3Async(stratus.Url, $$"""
            {{Waiters}}
            east, west = client("rds"), client("rds", region="us-west-2")
            east_arn = east.describe_db_clusters(DBClusterIdentifier="east")["DBClusters"][0]["DBClusterArn"]
            out["both"] = error(east.failover_global_cluster, GlobalClusterIdentifier="world", TargetDbClusterIdentifier=east_arn, AllowDataLoss=True, Switchover=True)
            g = east.failover_global_cluster(GlobalClusterIdentifier="world", TargetDbClusterIdentifier=east_arn, AllowDataLoss=True)["GlobalCluster"]
            out["status"] = [g["Status"], g["FailoverState"]["IsDataLossAllowed"]]
            for _ in range(600):
                g = east.describe_global_clusters(GlobalClusterIdentifier="world")["GlobalClusters"][0]
                if g["Status"] == "available":
                    break
                time.sleep(1)
            wait_cluster(east, "east")
            wait_cluster(west, "west")
            for instance in ["west-1", "west-2"]:
                wait_instance(west, instance)
            out["writer"] = [m["DBClusterArn"].split(":")[3] for m in g["GlobalClusterMembers"] if m["IsWriter"]]
            """, TimeSpan.FromMinutes(8));
        Assert.Equal("InvalidParameterCombination", failedBack["both"]!["code"]!.GetValue<string>());
        Assert.Equal("""["failing-over",true]""", failedBack["status"]!.ToJsonString());
        Assert.Equal(["us-east-1"], failedBack["writer"]!.AsArray().Select(w => w!.GetValue<string>()));
        await db.ExecuteAsync(setup["eastEndpoint"]!.GetValue<string>(), "INSERT INTO items VALUES (3, 'failed-back')");
        foreach (var member in new[] { "west-1", "west-2" })
            (await db.WaitForAsync(addresses[member], "SELECT name FROM items WHERE id = 3", "failed-back")).Expect($"the row written after the failover replicated to {member}");
        await Assert.ThrowsAnyAsync<DbException>(() => db.ExecuteAsync(addresses["west-1"], "INSERT INTO items VALUES (9, 'on-a-secondary')"));

        // RemoveFromGlobalCluster: the secondary stands alone and takes writes; then the primary leaves and the global cluster goes.
        var removed = await Clients.Boto3Async(stratus.Url, $$"""
            {{Waiters}}
            east, west = client("rds"), client("rds", region="us-west-2")
            east_arn = east.describe_db_clusters(DBClusterIdentifier="east")["DBClusters"][0]["DBClusterArn"]
            west_arn = west.describe_db_clusters(DBClusterIdentifier="west")["DBClusters"][0]["DBClusterArn"]
            out["notMember"] = error(east.remove_from_global_cluster, GlobalClusterIdentifier="world", DbClusterIdentifier=east_arn.replace(":east", ":nobody"))
            out["primaryFirst"] = error(east.remove_from_global_cluster, GlobalClusterIdentifier="world", DbClusterIdentifier=east_arn)
            west.remove_from_global_cluster(GlobalClusterIdentifier="world", DbClusterIdentifier=west_arn)
            time.sleep(1)
            wait_cluster(west, "west")
            out["westGlobal"] = "GlobalClusterIdentifier" in west.describe_db_clusters(DBClusterIdentifier="west")["DBClusters"][0]
            east.remove_from_global_cluster(GlobalClusterIdentifier="world", DbClusterIdentifier=east_arn)
            out["deleted"] = west.delete_global_cluster(GlobalClusterIdentifier="world")["GlobalCluster"]["GlobalClusterIdentifier"]
            out["left"] = len(east.describe_global_clusters()["GlobalClusters"])
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("DBClusterNotFoundFault", removed["notMember"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidGlobalClusterStateFault", removed["primaryFirst"]!["code"]!.GetValue<string>());
        Assert.False(removed["westGlobal"]!.GetValue<bool>());
        Assert.Equal("world", removed["deleted"]!.GetValue<string>());
        Assert.Equal(0, removed["left"]!.GetValue<int>());
        await db.ExecuteAsync(setup["westEndpoint"]!.GetValue<string>(), "INSERT INTO items VALUES (4, 'west-alone')");
        Assert.Equal("west-alone", await db.ScalarAsync(addresses["west-1"], "SELECT name FROM items WHERE id = 4"));
    }

    [Fact]
    public async Task A_cross_Region_replica_cluster_replicates_and_is_promoted_writable()
    {
        const string engine = "aurora-mysql";
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            {{Waiters}}
            east, west = client("rds"), client("rds", region="us-west-2")
            make_cluster(east, "origin", ["origin-1"], Engine="{{engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DatabaseName="{{Database}}")
            origin = east.describe_db_clusters(DBClusterIdentifier="origin")["DBClusters"][0]
            out["postgres"] = error(west.create_db_cluster, DBClusterIdentifier="pg-copy", Engine="aurora-postgresql", ReplicationSourceIdentifier=origin["DBClusterArn"])
            make_cluster(west, "copy", ["copy-1"], Engine="{{engine}}", ReplicationSourceIdentifier=origin["DBClusterArn"])
            out["lastSourceInstance"] = error(east.delete_db_instance, DBInstanceIdentifier="origin-1")
            out["localFailover"] = error(west.failover_db_cluster, DBClusterIdentifier="copy")
            copy = west.describe_db_clusters(DBClusterIdentifier="copy")["DBClusters"][0]
            out["source"] = copy["ReplicationSourceIdentifier"] == origin["DBClusterArn"]
            out["replicas"] = east.describe_db_clusters(DBClusterIdentifier="origin")["DBClusters"][0]["ReadReplicaIdentifiers"] == [copy["DBClusterArn"]]
            out["port"] = copy["Port"]
            out["originEndpoint"] = origin["Endpoint"]
            out["copyEndpoint"] = copy["Endpoint"]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("InvalidParameterCombination", setup["postgres"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidDBClusterStateFault", setup["lastSourceInstance"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidDBClusterStateFault", setup["localFailover"]!["code"]!.GetValue<string>());
        Assert.True(setup["source"]!.GetValue<bool>(), "the replica cluster reports its source's ARN as ReplicationSourceIdentifier");
        Assert.True(setup["replicas"]!.GetValue<bool>(), "the source lists the replica cluster's ARN in ReadReplicaIdentifiers");
        var db = new AuroraDatabase(engine, setup["port"]!.GetValue<int>());
        var copyEndpoint = setup["copyEndpoint"]!.GetValue<string>();
        await db.ExecuteAsync(setup["originEndpoint"]!.GetValue<string>(), "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(60)); INSERT INTO items VALUES (1, 'at-the-source')");
        (await db.WaitForAsync(copyEndpoint, "SELECT name FROM items WHERE id = 1", "at-the-source")).Expect("the source's row replicated to the replica cluster");
        await Assert.ThrowsAnyAsync<DbException>(() => db.ExecuteAsync(copyEndpoint, "INSERT INTO items VALUES (9, 'on-the-replica')"));

        var promoted = await Clients.Boto3Async(stratus.Url, $$"""
            {{Waiters}}
            west = client("rds", region="us-west-2")
            out["status"] = west.promote_read_replica_db_cluster(DBClusterIdentifier="copy")["DBCluster"]["Status"]
            time.sleep(1)
            wait_cluster(west, "copy")
            out["source"] = "ReplicationSourceIdentifier" in west.describe_db_clusters(DBClusterIdentifier="copy")["DBClusters"][0]
            out["again"] = error(west.promote_read_replica_db_cluster, DBClusterIdentifier="copy")
            """, TimeSpan.FromMinutes(5));
        Assert.Equal("promoting", promoted["status"]!.GetValue<string>());
        Assert.False(promoted["source"]!.GetValue<bool>());
        Assert.Equal("InvalidDBClusterStateFault", promoted["again"]!["code"]!.GetValue<string>());
        await db.ExecuteAsync(copyEndpoint, "INSERT INTO items VALUES (2, 'promoted')");
        Assert.Equal("promoted", await db.ScalarAsync(copyEndpoint, "SELECT name FROM items WHERE id = 2"));
    }

    [Fact]
    public async Task A_CloudFormation_global_cluster_takes_its_stack_cluster_as_primary_and_goes_with_the_stack()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            cf, rds = client("cloudformation"), client("rds")
            cluster = dict(Type="AWS::RDS::DBCluster", Properties=dict(Engine="aurora-mysql", MasterUsername="{{User}}", MasterUserPassword="{{Password}}"))
            writer = dict(Type="AWS::RDS::DBInstance", Properties=dict(Engine="aurora-mysql", DBInstanceClass="db.r6g.large", DBClusterIdentifier={"Ref": "Cluster"}))
            glob = dict(Type="AWS::RDS::GlobalCluster", Properties=dict(GlobalClusterIdentifier="stacked", SourceDBClusterIdentifier={"Ref": "Cluster"}, DeletionProtection=False))
            body = json.dumps(dict(Resources=dict(Cluster=cluster, Writer=writer, Global=glob), Outputs=dict(Name=dict(Value={"Ref": "Cluster"}))))
            cf.create_stack(StackName="global", TemplateBody=body)
            cf.get_waiter("stack_create_complete").wait(StackName="global", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            name = cf.describe_stacks(StackName="global")["Stacks"][0]["Outputs"][0]["OutputValue"]
            g = rds.describe_global_clusters(GlobalClusterIdentifier="stacked")["GlobalClusters"][0]
            out["primary"] = [m["DBClusterArn"].split(":")[-1] == name and m["IsWriter"] for m in g["GlobalClusterMembers"]]
            out["clusterGlobal"] = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["GlobalClusterIdentifier"]
            cf.delete_stack(StackName="global")
            cf.get_waiter("stack_delete_complete").wait(StackName="global", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            out["globals"] = len(rds.describe_global_clusters()["GlobalClusters"])
            out["clusters"] = len(rds.describe_db_clusters()["DBClusters"])
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("[true]", result["primary"]!.ToJsonString());
        Assert.Equal("stacked", result["clusterGlobal"]!.GetValue<string>());
        Assert.Equal(0, result["globals"]!.GetValue<int>());
        Assert.Equal(0, result["clusters"]!.GetValue<int>());
    }
}
