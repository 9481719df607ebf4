using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// RDS Proxy in front of an Aurora MySQL cluster, driven by boto3 and reached with MySqlConnector: the proxy listens at
/// an address of its own and reaches the writer (after a failover, the new one), a READ_ONLY endpoint reaches the
/// reader, targets report a probed health, Auth secrets are checked in Secrets Manager, and the proxy listens again
/// where it did after a restart of Stratus and stops listening once deleted.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsProxyTests
{
    private const string Engine = "aurora-mysql";

    /// <summary>wait_for_proxy polls DescribeDBProxies (up to a minute) until the proxy has the status, "gone" once it is not found
    /// (one call per poll: a proxy being deleted may go between two).</summary>
    private const string WaitForProxy = """
        def wait_for_proxy(rds, name, status):
            for _ in range(120):
                try:
                    found = rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]
                except rds.exceptions.DBProxyNotFoundFault:
                    found = None
                if (found["Status"] if found else "gone") == status:
                    return found
                time.sleep(0.5)
            raise Exception(f"{name} never became {status}: {found}")

        def wait_for_proxy_endpoint(rds, name, status):
            for _ in range(120):
                try:
                    found = rds.describe_db_proxy_endpoints(DBProxyEndpointName=name)["DBProxyEndpoints"][0]
                except rds.exceptions.DBProxyEndpointNotFoundFault:
                    found = None
                if (found["Status"] if found else "gone") == status:
                    return found
                time.sleep(0.5)
            raise Exception(f"{name} never became {status}: {found}")

        """;

    [Fact]
    public async Task A_proxy_forwards_to_the_writer_follows_a_failover_and_listens_again_after_a_restart()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var setup = await Clients.Boto3Async(stratus.Url, WaitForProxy + $$"""
            rds = client("rds")
            sm = client("secretsmanager")
            secret = sm.create_secret(Name="app-db", SecretString=json.dumps({"username": "aurora_admin", "password": "aurora-master-pass"}))["ARN"]
            no_password = sm.create_secret(Name="no-password", SecretString=json.dumps({"username": "aurora_admin"}))["ARN"]
            subnets = [s["SubnetIdentifier"] for s in rds.describe_db_subnet_groups()["DBSubnetGroups"][0]["Subnets"]]
            role = "arn:aws:iam::000000000000:role/proxy"
            auth = [{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "DISABLED"}]
            rds.create_db_cluster(DBClusterIdentifier="px", Engine="{{Engine}}", MasterUsername="aurora_admin", MasterUserPassword="aurora-master-pass", DatabaseName="app")
            rds.create_db_instance(DBInstanceIdentifier="px-writer", DBClusterIdentifier="px", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            rds.create_db_instance(DBInstanceIdentifier="px-reader", DBClusterIdentifier="px", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")

            out["missingSecret"] = error(rds.create_db_proxy, DBProxyName="bad", EngineFamily="MYSQL", RoleArn=role, VpcSubnetIds=subnets,
                Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret + "-nope"}])
            out["noPassword"] = error(rds.create_db_proxy, DBProxyName="bad", EngineFamily="MYSQL", RoleArn=role, VpcSubnetIds=subnets,
                Auth=[{"AuthScheme": "SECRETS", "SecretArn": no_password}])
            out["sqlServer"] = error(rds.create_db_proxy, DBProxyName="bad", EngineFamily="SQLSERVER", RoleArn=role, VpcSubnetIds=subnets, Auth=auth)
            created = rds.create_db_proxy(DBProxyName="app-proxy", EngineFamily="MYSQL", RoleArn=role, VpcSubnetIds=subnets, Auth=auth,
                RequireTLS=False, Tags=[{"Key": "team", "Value": "db"}])["DBProxy"]
            out["created"] = {k: created.get(k) for k in ["Status", "EngineFamily", "DBProxyArn", "IdleClientTimeout"]}
            out["again"] = error(rds.create_db_proxy, DBProxyName="app-proxy", EngineFamily="MYSQL", RoleArn=role, VpcSubnetIds=subnets, Auth=auth)
            rds.create_db_proxy(DBProxyName="pg-proxy", EngineFamily="POSTGRESQL", RoleArn=role, VpcSubnetIds=subnets, Auth=auth)
            out["missing"] = error(rds.describe_db_proxies, DBProxyName="nope")
            proxy = wait_for_proxy(rds, "app-proxy", "available")
            wait_for_proxy(rds, "pg-proxy", "available")
            out["proxyEndpoint"] = proxy["Endpoint"]
            out["tags"] = rds.list_tags_for_resource(ResourceName=proxy["DBProxyArn"])["TagList"]

            for member in ["px-writer", "px-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["wrongFamily"] = error(rds.register_db_proxy_targets, DBProxyName="pg-proxy", DBClusterIdentifiers=["px"])
            out["member"] = error(rds.register_db_proxy_targets, DBProxyName="app-proxy", DBInstanceIdentifiers=["px-reader"])
            registered = rds.register_db_proxy_targets(DBProxyName="app-proxy", TargetGroupName="default", DBClusterIdentifiers=["px"])["DBProxyTargets"]
            out["registered"] = sorted([t["Type"], t.get("Role", ""), t.get("TargetHealth", {}).get("State", "")] for t in registered)
            out["twice"] = error(rds.register_db_proxy_targets, DBProxyName="app-proxy", DBClusterIdentifiers=["px"])
            out["otherGroup"] = error(rds.describe_db_proxy_targets, DBProxyName="app-proxy", TargetGroupName="other")
            group = rds.modify_db_proxy_target_group(DBProxyName="app-proxy", TargetGroupName="default",
                ConnectionPoolConfig={"MaxConnectionsPercent": 80, "MaxIdleConnectionsPercent": 20, "SessionPinningFilters": ["EXCLUDE_VARIABLE_SETS"]})["DBProxyTargetGroup"]
            out["pool"] = group["ConnectionPoolConfig"]
            out["badPool"] = error(rds.modify_db_proxy_target_group, DBProxyName="app-proxy", TargetGroupName="default",
                ConnectionPoolConfig={"MaxConnectionsPercent": 10, "MaxIdleConnectionsPercent": 50})
            out["groups"] = [g["TargetGroupName"] for g in rds.describe_db_proxy_target_groups(DBProxyName="app-proxy")["TargetGroups"]]
            rds.create_db_proxy_endpoint(DBProxyName="app-proxy", DBProxyEndpointName="app-ro", VpcSubnetIds=subnets, TargetRole="READ_ONLY")
            out["readOnly"] = wait_for_proxy_endpoint(rds, "app-ro", "available")["Endpoint"]
            out["endpoints"] = [[e["DBProxyEndpointName"], e["IsDefault"], e["TargetRole"]]
                for e in rds.describe_db_proxy_endpoints(DBProxyName="app-proxy")["DBProxyEndpoints"]]
            c = rds.describe_db_clusters(DBClusterIdentifier="px")["DBClusters"][0]
            out["port"] = c["Port"]
            out["addresses"] = {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"]
                for i in rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["px"]}])["DBInstances"]}
            """, TimeSpan.FromMinutes(6));
        foreach (var (call, code) in new[] { ("missingSecret", "InvalidParameterValue"), ("noPassword", "InvalidParameterValue"), ("sqlServer", "InvalidParameterValue"),
            ("again", "DBProxyAlreadyExistsFault"), ("missing", "DBProxyNotFoundFault"),
            ("wrongFamily", "InvalidParameterValue"), ("member", "InvalidParameterCombination"), ("twice", "DBProxyTargetAlreadyRegisteredFault"),
            ("otherGroup", "DBProxyTargetGroupNotFoundFault"), ("badPool", "InvalidParameterValue") })
            Assert.True(setup[call]?["code"]?.GetValue<string>() == code, $"{call}: expected {code}, got {setup[call]?.ToJsonString()}");
        Assert.Equal(404, setup["missing"]!["status"]!.GetValue<int>());
        Assert.Equal("creating", setup["created"]!["Status"]!.GetValue<string>());
        Assert.Equal(1800, setup["created"]!["IdleClientTimeout"]!.GetValue<int>());
        Assert.Matches(@"^arn:aws:rds:us-east-1:\d{12}:db-proxy:prx-[a-z0-9]+$", setup["created"]!["DBProxyArn"]!.GetValue<string>());
        Assert.Equal("""[{"Key":"team","Value":"db"}]""", setup["tags"]!.ToJsonString());
        // A cluster target: the tracked cluster, then each member with its role and the health a connection to it found.
        Assert.Equal("""[["RDS_INSTANCE","READ_ONLY","AVAILABLE"],["RDS_INSTANCE","READ_WRITE","AVAILABLE"],["TRACKED_CLUSTER","",""]]""", setup["registered"]!.ToJsonString());
        Assert.Equal(80, setup["pool"]!["MaxConnectionsPercent"]!.GetValue<int>());
        Assert.Equal(20, setup["pool"]!["MaxIdleConnectionsPercent"]!.GetValue<int>());
        Assert.Equal(120, setup["pool"]!["ConnectionBorrowTimeout"]!.GetValue<int>());
        Assert.Equal("""["default"]""", setup["groups"]!.ToJsonString());
        Assert.Equal("""[["default",true,"READ_WRITE"],["app-ro",false,"READ_ONLY"]]""", setup["endpoints"]!.ToJsonString());

        var addresses = setup["addresses"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>());
        var proxy = setup["proxyEndpoint"]!.GetValue<string>();
        var readOnly = setup["readOnly"]!.GetValue<string>();
        Assert.DoesNotContain(proxy, addresses.Values);
        Assert.NotEqual(proxy, readOnly);
        // The proxy listens at MySQL's port, as RDS Proxy does for the MYSQL family; the cluster runs on the same port.
        var db = new RdsAuroraTests.AuroraDatabase(Engine, 3306);
        Assert.Equal(addresses["px-writer"], await db.ServerAddressAsync(proxy));
        Assert.Equal(addresses["px-reader"], await db.ServerAddressAsync(readOnly));
        await db.ExecuteAsync(proxy, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))");
        await db.ExecuteAsync(proxy, "INSERT INTO items VALUES (1, 'through-the-proxy')");
        (await db.WaitForAsync(readOnly, "SELECT name FROM items WHERE id = 1", "through-the-proxy")).Expect("the row written through the proxy reads back through its READ_ONLY endpoint");

        // After a failover the proxy reaches the new writer, which takes writes.
        await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            rds.failover_db_cluster(DBClusterIdentifier="px", TargetDBInstanceIdentifier="px-reader")
            time.sleep(1)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="px", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            for member in ["px-writer", "px-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            """, TimeSpan.FromMinutes(6));
        Assert.Equal(addresses["px-reader"], await db.ServerAddressAsync(proxy));
        await db.ExecuteAsync(proxy, "INSERT INTO items VALUES (2, 'after-failover')");

        // A restart of Stratus: the proxy and its endpoint close with it and listen again where they did.
        await stratus.StopAsync();
        Assert.True(await RdsTestKit.NothingListensAsync(proxy, db.Port), $"nothing listens on {proxy} once Stratus stopped");
        await stratus.RestartAsync();
        var restarted = await Clients.Boto3Async(stratus.Url, WaitForProxy + """
            rds = client("rds")
            for member in ["px-writer", "px-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["proxy"] = wait_for_proxy(rds, "app-proxy", "available")["Endpoint"]
            out["readOnly"] = wait_for_proxy_endpoint(rds, "app-ro", "available")["Endpoint"]
            targets = rds.describe_db_proxy_targets(DBProxyName="app-proxy")["Targets"]
            out["roles"] = sorted([t["RdsResourceId"] != "", t.get("Role", ""), t.get("TargetHealth", {}).get("State", "")] for t in targets if t["Type"] == "RDS_INSTANCE")
            """, TimeSpan.FromMinutes(5));
        Assert.Equal(proxy, restarted["proxy"]!.GetValue<string>());
        Assert.Equal(readOnly, restarted["readOnly"]!.GetValue<string>());
        Assert.Equal("""[[true,"READ_ONLY","AVAILABLE"],[true,"READ_WRITE","AVAILABLE"]]""", restarted["roles"]!.ToJsonString());
        Assert.Equal(2L, Convert.ToInt64(await db.ScalarAsync(proxy, "SELECT COUNT(*) FROM items")));

        // Deregistering leaves the proxy without a target: a connection is closed. Deleting stops it listening.
        var deleted = await Clients.Boto3Async(stratus.Url, WaitForProxy + """
            rds = client("rds")
            rds.deregister_db_proxy_targets(DBProxyName="app-proxy", DBClusterIdentifiers=["px"])
            out["targets"] = rds.describe_db_proxy_targets(DBProxyName="app-proxy")["Targets"]
            out["status"] = rds.delete_db_proxy(DBProxyName="app-proxy")["DBProxy"]["Status"]
            wait_for_proxy(rds, "app-proxy", "gone")
            out["endpointGone"] = error(rds.describe_db_proxy_endpoints, DBProxyEndpointName="app-ro")
            rds.delete_db_proxy(DBProxyName="pg-proxy")
            wait_for_proxy(rds, "pg-proxy", "gone")
            """, TimeSpan.FromMinutes(2));
        Assert.Equal("[]", deleted["targets"]!.ToJsonString());
        Assert.Equal("deleting", deleted["status"]!.GetValue<string>());
        Assert.Equal("DBProxyEndpointNotFoundFault", deleted["endpointGone"]!["code"]!.GetValue<string>());
        Assert.True(await RdsTestKit.NothingListensAsync(proxy, db.Port), $"nothing listens on {proxy} once the proxy is deleted");
        Assert.True(await RdsTestKit.NothingListensAsync(readOnly, db.Port), $"nothing listens on {readOnly} once its proxy is deleted");
        await stratus.StopAsync();
    }
}
