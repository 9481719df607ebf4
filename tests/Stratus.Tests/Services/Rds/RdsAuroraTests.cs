using System.Data.Common;
using System.Text.Json.Nodes;
using MySqlConnector;
using Npgsql;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Aurora clusters driven by boto3 and read with real clients (MySqlConnector for aurora-mysql, Npgsql for
/// aurora-postgresql): a row written through the cluster endpoint reaches each reader, directly and through the reader
/// endpoint; after a failover the cluster endpoint reaches the new writer and writes go on; a cluster snapshot restores
/// with its rows; the endpoints come back after a restart of Stratus and no server outlives it. One flow per engine in
/// one persistent Stratus, as each step needs the one before.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsAuroraTests
{
    internal const string User = "aurora_admin";
    internal const string Password = "aurora-master-pass";
    internal const string Database = "app";
    private const string FirstRow = "SELECT name FROM items WHERE id = 1";

    [Theory]
    [InlineData("aurora-mysql")]
    [InlineData("aurora-postgresql")]
    public async Task A_cluster_replicates_fails_over_restores_from_a_snapshot_and_stops_with_Stratus(string engine)
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var setup = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            out["badScaling"] = error(rds.create_db_cluster, DBClusterIdentifier="bad", Engine="{{engine}}", MasterUsername="{{User}}",
                MasterUserPassword="{{Password}}", ServerlessV2ScalingConfiguration={"MinCapacity": 8, "MaxCapacity": 2})
            rds.create_db_cluster(DBClusterIdentifier="shop", Engine="{{engine}}", MasterUsername="{{User}}", MasterUserPassword="{{Password}}",
                DatabaseName="{{Database}}", ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 8})
            out["memberWithPassword"] = error(rds.create_db_instance, DBInstanceIdentifier="x", DBClusterIdentifier="shop", Engine="{{engine}}",
                DBInstanceClass="db.r6g.large", MasterUserPassword="another-password")
            rds.create_db_instance(DBInstanceIdentifier="shop-writer", DBClusterIdentifier="shop", Engine="{{engine}}", DBInstanceClass="db.serverless")
            for reader in ["shop-reader-1", "shop-reader-2"]:
                rds.create_db_instance(DBInstanceIdentifier=reader, DBClusterIdentifier="shop", Engine="{{engine}}", DBInstanceClass="db.r6g.large", PromotionTier=0)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="shop", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            for member in ["shop-writer", "shop-reader-1", "shop-reader-2"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="shop")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["readerEndpoint"] = c["ReaderEndpoint"]
            out["port"] = c["Port"]
            out["scaling"] = c["ServerlessV2ScalingConfiguration"]
            out["writers"] = [m["DBInstanceIdentifier"] for m in c["DBClusterMembers"] if m["IsClusterWriter"]]
            out["endpointTypes"] = [e["EndpointType"] for e in rds.describe_db_cluster_endpoints(DBClusterIdentifier="shop")["DBClusterEndpoints"]]
            out["addresses"] = {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"]
                for i in rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["shop"]}])["DBInstances"]}
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("InvalidParameterValue", setup["badScaling"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", setup["memberWithPassword"]!["code"]!.GetValue<string>());
        Assert.Equal(0.5, setup["scaling"]!["MinCapacity"]!.GetValue<double>());
        Assert.Equal(8, setup["scaling"]!["MaxCapacity"]!.GetValue<double>());
        Assert.Equal(["shop-writer"], setup["writers"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Equal(["WRITER", "READER"], setup["endpointTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        var port = setup["port"]!.GetValue<int>();
        var clusterEndpoint = setup["endpoint"]!.GetValue<string>();
        var readerEndpoint = setup["readerEndpoint"]!.GetValue<string>();
        var addresses = setup["addresses"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>());
        var db = new AuroraDatabase(engine, port);

        // Written through the cluster endpoint (the writer), read on each reader directly and through the reader endpoint.
        Assert.Equal(addresses["shop-writer"], await db.ServerAddressAsync(clusterEndpoint));
        await db.ExecuteAsync(clusterEndpoint, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(60)); INSERT INTO items VALUES (1, 'through-the-writer')");
        foreach (var reader in new[] { "shop-reader-1", "shop-reader-2" })
            (await db.WaitForAsync(addresses[reader], FirstRow, "through-the-writer")).Expect($"the first row replicated to {reader}");
        Assert.Equal("through-the-writer", await db.ScalarAsync(readerEndpoint, FirstRow));
        var reached = new HashSet<string>();
        for (var i = 0; i < 4; i++) reached.Add((await db.ServerAddressAsync(readerEndpoint))!);
        Assert.Equal(new[] { addresses["shop-reader-1"], addresses["shop-reader-2"] }.Order(), reached.Order());
        await Assert.ThrowsAnyAsync<DbException>(() => db.ExecuteAsync(addresses["shop-reader-1"], "INSERT INTO items VALUES (9, 'on-a-reader')"));

        // Failover: the cluster endpoint reaches the promoted reader, which takes writes; the old writer follows it.
        var failedOver = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["status"] = rds.failover_db_cluster(DBClusterIdentifier="shop", TargetDBInstanceIdentifier="shop-reader-1")["DBCluster"]["Status"]
            time.sleep(1)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="shop", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            for member in ["shop-writer", "shop-reader-1", "shop-reader-2"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="shop")["DBClusters"][0]
            out["writers"] = [m["DBInstanceIdentifier"] for m in c["DBClusterMembers"] if m["IsClusterWriter"]]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal("failing-over", failedOver["status"]!.GetValue<string>());
        Assert.Equal(["shop-reader-1"], failedOver["writers"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Equal(addresses["shop-reader-1"], await db.ServerAddressAsync(clusterEndpoint));
        await db.ExecuteAsync(clusterEndpoint, "INSERT INTO items VALUES (2, 'after-failover')");
        foreach (var member in new[] { "shop-reader-2", "shop-writer" })
        {
            (await db.WaitForAsync(addresses[member], "SELECT name FROM items WHERE id = 2", "after-failover")).Expect($"the row written after the failover replicated to {member}");
            await Assert.ThrowsAnyAsync<DbException>(() => db.ExecuteAsync(addresses[member], "INSERT INTO items VALUES (9, 'on-a-reader')"));
        }

        // A cluster snapshot restores into a new cluster whose writer holds both rows.
        var restored = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.create_db_cluster_snapshot(DBClusterIdentifier="shop", DBClusterSnapshotIdentifier="shop-snap")
            rds.get_waiter("db_cluster_snapshot_available").wait(DBClusterSnapshotIdentifier="shop-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            rds.restore_db_cluster_from_snapshot(DBClusterIdentifier="shop-copy", SnapshotIdentifier="shop-snap", Engine="{{engine}}")
            rds.create_db_instance(DBInstanceIdentifier="shop-copy-writer", DBClusterIdentifier="shop-copy", Engine="{{engine}}", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="shop-copy-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            out["endpoint"] = rds.describe_db_clusters(DBClusterIdentifier="shop-copy")["DBClusters"][0]["Endpoint"]
            out["snapshots"] = [s["DBClusterSnapshotIdentifier"] for s in rds.describe_db_cluster_snapshots(DBClusterIdentifier="shop", SnapshotType="manual")["DBClusterSnapshots"]]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal(["shop-snap"], restored["snapshots"]!.AsArray().Select(s => s!.GetValue<string>()));
        var copyEndpoint = restored["endpoint"]!.GetValue<string>();
        var copiedRows = Convert.ToInt64(await db.ScalarAsync(copyEndpoint, "SELECT COUNT(*) FROM items"));
        Assert.True(copiedRows == 2, $"the cluster restored from the snapshot holds {copiedRows} rows, not the 2 the snapshotted writer had");
        Assert.Equal("through-the-writer", await db.ScalarAsync(copyEndpoint, FirstRow));

        // Every server and endpoint stops with Stratus; after a restart the cluster endpoint serves the rows again.
        Assert.NotEmpty(ServerProcessesOf(stratus.DataDir!));
        await stratus.StopAsync();
        Assert.Empty(ServerProcessesOf(stratus.DataDir!));
        foreach (var address in addresses.Values.Append(clusterEndpoint).Append(readerEndpoint))
            Assert.True(await RdsTestKit.NothingListensAsync(address, port), $"nothing listens on {address}:{port} once Stratus stopped");
        await stratus.RestartAsync();
        var restarted = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            for member in ["shop-writer", "shop-reader-1", "shop-reader-2"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="shop", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["endpoint"] = rds.describe_db_clusters(DBClusterIdentifier="shop")["DBClusters"][0]["Endpoint"]
            """, TimeSpan.FromMinutes(5));
        // Clients keep the endpoint they had (on AWS a DNS name that never changes), so it must not move while Stratus is down.
        Assert.True(restarted["endpoint"]!.GetValue<string>() == clusterEndpoint, $"the cluster endpoint moved from {clusterEndpoint} to {restarted["endpoint"]} across the restart");
        (await db.WaitForAsync(clusterEndpoint, "SELECT COUNT(*) FROM items", 2L)).Expect("both rows through the cluster endpoint after Stratus restarted");
        await stratus.StopAsync();
        Assert.Empty(ServerProcessesOf(stratus.DataDir!));
    }

    [Fact]
    public async Task A_CloudFormation_cluster_with_a_writer_and_a_reader_serves_its_endpoints_and_goes_with_its_stack()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            cluster = dict(Type="AWS::RDS::DBCluster", Properties=dict(Engine="aurora-postgresql", MasterUsername="{{User}}",
                MasterUserPassword="{{Password}}", DatabaseName="{{Database}}", ServerlessV2ScalingConfiguration=dict(MinCapacity=1, MaxCapacity=4)))
            member = lambda: dict(Type="AWS::RDS::DBInstance", Properties=dict(Engine="aurora-postgresql", DBInstanceClass="db.serverless",
                DBClusterIdentifier={"Ref": "Cluster"}))
            reader = member()
            reader["DependsOn"] = "Writer"
            outputs = dict(Address=dict(Value={"Fn::GetAtt": ["Cluster", "Endpoint.Address"]}), Port=dict(Value={"Fn::GetAtt": ["Cluster", "Endpoint.Port"]}),
                ReadAddress=dict(Value={"Fn::GetAtt": ["Cluster", "ReadEndpoint.Address"]}), Name=dict(Value={"Ref": "Cluster"}))
            body = json.dumps(dict(Resources=dict(Cluster=cluster, Writer=member(), Reader=reader), Outputs=outputs))
            cf.create_stack(StackName="aurora", TemplateBody=body)
            cf.get_waiter("stack_create_complete").wait(StackName="aurora", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            for o in cf.describe_stacks(StackName="aurora")["Stacks"][0]["Outputs"]:
                out[o["OutputKey"]] = o["OutputValue"]
            rds = client("rds")
            c = rds.describe_db_clusters(DBClusterIdentifier=out["Name"])["DBClusters"][0]
            out["members"] = len(c["DBClusterMembers"])
            out["scaling"] = c["ServerlessV2ScalingConfiguration"]["MaxCapacity"]
            """, TimeSpan.FromMinutes(6));
        Assert.Equal(2, result["members"]!.GetValue<int>());
        Assert.Equal(4, result["scaling"]!.GetValue<double>());
        var db = new AuroraDatabase("aurora-postgresql", int.Parse(result["Port"]!.GetValue<string>()));
        var writerEndpoint = result["Address"]!.GetValue<string>();
        await db.ExecuteAsync(writerEndpoint, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(60)); INSERT INTO items VALUES (1, 'from-a-template')");
        (await db.WaitForAsync(result["ReadAddress"]!.GetValue<string>(), FirstRow, "from-a-template")).Expect("the row through the reader endpoint");

        // RebootDBCluster restarts every member; the reader comes back replicating.
        await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            rds.reboot_db_cluster(DBClusterIdentifier="{{result["Name"]}}")
            time.sleep(1)
            for i in rds.describe_db_instances()["DBInstances"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=i["DBInstanceIdentifier"], WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            """, TimeSpan.FromMinutes(5));
        await db.ExecuteAsync(writerEndpoint, "INSERT INTO items VALUES (2, 'after-reboot')");
        (await db.WaitForAsync(result["ReadAddress"]!.GetValue<string>(), "SELECT name FROM items WHERE id = 2", "after-reboot")).Expect("the row written after the reboot through the reader endpoint");

        var deleted = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            cf.delete_stack(StackName="aurora")
            cf.get_waiter("stack_delete_complete").wait(StackName="aurora", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            out["clusters"] = len(client("rds").describe_db_clusters()["DBClusters"])
            out["instances"] = len(client("rds").describe_db_instances()["DBInstances"])
            """, TimeSpan.FromMinutes(6));
        Assert.Equal(0, deleted["clusters"]!.GetValue<int>());
        Assert.Equal(0, deleted["instances"]!.GetValue<int>());
        Assert.True(await RdsTestKit.NothingListensAsync(writerEndpoint, db.Port), "the cluster endpoint closed with the stack");
    }

    /// <summary>The mariadbd and postgres processes working on a data directory under Stratus's.</summary>
    private static List<int> ServerProcessesOf(string dataDir) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => (Pid: int.Parse(name!), CommandLine: ReadCommandLine(name!)))
            .Where(p => (p.CommandLine.Contains("mariadbd", StringComparison.Ordinal) || p.CommandLine.Contains("postgres", StringComparison.Ordinal))
                && p.CommandLine.Contains(dataDir, StringComparison.Ordinal))
            .Select(p => p.Pid).ToList();

    private static string ReadCommandLine(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>What a polled query last answered, or why it could not.</summary>
    internal sealed record Answer(string Host, object Expected, object? Value, string? Error)
    {
        /// <summary>Fails naming the step and what the server said instead (a refused connection is not a count of 0).</summary>
        public void Expect(string step)
        {
            var matched = Value is not null && Convert.ChangeType(Value, Expected.GetType(), System.Globalization.CultureInfo.InvariantCulture).Equals(Expected);
            Assert.True(matched, Error is null
                ? $"{step}: {Host} answered {Value ?? "NULL"} for a minute, not {Expected}"
                : $"{step}: {Host} did not answer within a minute: {Error}");
        }
    }

    /// <summary>The cluster's databases through the engine's own client: MySqlConnector or Npgsql.</summary>
    internal sealed class AuroraDatabase(string engine, int port)
    {
        public int Port => port;

        private bool IsPostgres => engine == "aurora-postgresql";

        /// <summary>The address the answering server is bound to: which instance a connection reached.</summary>
        public async Task<string?> ServerAddressAsync(string host) =>
            Convert.ToString(await ScalarAsync(host, IsPostgres ? "SELECT host(inet_server_addr())" : "SELECT @@bind_address"));

        public async Task ExecuteAsync(string host, string sql)
        {
            await using var connection = await OpenAsync(host);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        public async Task<object?> ScalarAsync(string host, string sql)
        {
            await using var connection = await OpenAsync(host);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteScalarAsync();
        }

        /// <summary>Polls (up to a minute, as replication and restarts take their time) until the query answers the value; the last answer or refusal.</summary>
        public async Task<Answer> WaitForAsync(string host, string sql, object expected)
        {
            var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
            var last = new Answer(host, expected, null, "no answer yet");
            while (DateTimeOffset.UtcNow < deadline)
            {
                try
                {
                    var value = await ScalarAsync(host, sql);
                    last = last with { Value = value, Error = null };
                    if (value is not null && Convert.ChangeType(value, expected.GetType(), System.Globalization.CultureInfo.InvariantCulture).Equals(expected)) return last;
                }
                catch (DbException e)
                {
                    last = last with { Value = null, Error = e.Message };
                }
                await Task.Delay(200);
            }
            return last;
        }

        private async Task<DbConnection> OpenAsync(string host)
        {
            DbConnection connection = IsPostgres
                ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder
                {
                    Host = host, Port = port, Username = User, Password = Password, Database = Database, Pooling = false, Timeout = 10,
                }.ConnectionString)
                : new MySqlConnection(new MySqlConnectionStringBuilder
                {
                    Server = host, Port = (uint)port, UserID = User, Password = Password, Database = Database, Pooling = false, ConnectionTimeout = 10,
                }.ConnectionString);
            await connection.OpenAsync();
            return connection;
        }
    }
}
