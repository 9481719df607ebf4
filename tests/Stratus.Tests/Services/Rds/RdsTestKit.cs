using System.Net.Sockets;
using System.Text.Json.Nodes;
using MySqlConnector;
using Npgsql;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>The endpoint an instance reported, and how the tests reach its database.</summary>
public sealed record DbEndpoint(string Address, int Port, string ResourceId);

/// <summary>A PostgreSQL instance's master login, and its statements through Npgsql (no pooling, as each test step stands alone).</summary>
public sealed record PostgresLogin(string User, string Password, string Database)
{
    public async Task ExecuteAsync(DbEndpoint endpoint, string sql)
    {
        await using var connection = await ConnectAsync(endpoint);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(DbEndpoint endpoint, string sql)
    {
        await using var connection = await ConnectAsync(endpoint);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async Task<NpgsqlConnection> ConnectAsync(DbEndpoint endpoint)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Address,
            Port = endpoint.Port,
            Username = User,
            Password = Password,
            Database = Database,
            Pooling = false,
            Timeout = 10,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}

/// <summary>Waiting for instances through boto3's own waiters, and talking to their MariaDB with MySqlConnector.</summary>
public static class RdsTestKit
{
    public const string SeedUser = "democct";
    public const string SeedPassword = "demo-cct-password";
    public const string SeedDatabase = "accounts";

    /// <summary>A python prelude: wait_for_endpoint polls DescribeDBClusterEndpoints (up to a minute) until the custom endpoint has the status.</summary>
    public const string WaitForEndpoint = """
        def wait_for_endpoint(rds, name, status):
            for _ in range(120):
                found = rds.describe_db_cluster_endpoints(DBClusterEndpointIdentifier=name)["DBClusterEndpoints"]
                if (found[0]["Status"] if found else "gone") == status:
                    return found[0] if found else None
                time.sleep(0.5)
            raise Exception(f"{name} never became {status}: {found}")

        """;

    /// <summary>boto3's db_instance_available waiter (polling every second rather than every 30), then the endpoint.</summary>
    public static async Task<DbEndpoint> WaitAvailableAsync(string url, string identifier)
    {
        var result = await Clients.Boto3Async(url, $$"""
            rds = client("rds")
            try:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="{{identifier}}", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            except botocore.exceptions.WaiterError:
                events = rds.describe_events(SourceIdentifier="{{identifier}}", SourceType="db-instance")["Events"]
                raise SystemExit("not available; events: " + json.dumps([e["Message"] for e in events]))
            i = rds.describe_db_instances(DBInstanceIdentifier="{{identifier}}")["DBInstances"][0]
            out["address"] = i["Endpoint"]["Address"]
            out["port"] = i["Endpoint"]["Port"]
            out["resourceId"] = i["DbiResourceId"]
            """);
        return new DbEndpoint(result["address"]!.GetValue<string>(), result["port"]!.GetValue<int>(), result["resourceId"]!.GetValue<string>());
    }

    public static Task<JsonObject> WaitDeletedAsync(string url, string identifier) => Clients.Boto3Async(url, $$"""
        client("rds").get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="{{identifier}}", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        """);

    public static Task<JsonObject> WaitSnapshotAvailableAsync(string url, string snapshot) => Clients.Boto3Async(url, $$"""
        client("rds").get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="{{snapshot}}", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        """);

    /// <summary>Polls until the instance reports the status (for states boto3 has no waiter for, like stopped).</summary>
    public static Task<JsonObject> WaitStatusAsync(string url, string identifier, string status) => Clients.Boto3Async(url, $$"""
        rds = client("rds")
        for _ in range(240):
            s = rds.describe_db_instances(DBInstanceIdentifier="{{identifier}}")["DBInstances"][0]["DBInstanceStatus"]
            if s == "{{status}}":
                break
            time.sleep(0.5)
        out["status"] = s
        """);

    public static async Task<MySqlConnection> ConnectAsync(DbEndpoint endpoint, string user = SeedUser, string password = SeedPassword, string? database = SeedDatabase)
    {
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = endpoint.Address,
            Port = (uint)endpoint.Port,
            UserID = user,
            Password = password,
            Database = database ?? "",
            Pooling = false,
            ConnectionTimeout = 10,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task ExecuteAsync(DbEndpoint endpoint, string sql, string password = SeedPassword)
    {
        await using var connection = await ConnectAsync(endpoint, password: password);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(DbEndpoint endpoint, string sql, string password = SeedPassword)
    {
        await using var connection = await ConnectAsync(endpoint, password: password);
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>The MySQL error number a login fails with (1045 access denied), or null when it succeeds.</summary>
    public static async Task<int?> LoginErrorAsync(DbEndpoint endpoint, string password)
    {
        try
        {
            await using var connection = await ConnectAsync(endpoint, password: password);
            return null;
        }
        catch (MySqlException e)
        {
            return e.Number;
        }
    }

    /// <summary>Whether nothing accepts TCP connections at the address and port any more.</summary>
    public static async Task<bool> NothingListensAsync(string address, int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(5));
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Whether the process runs (a zombie that nobody reaped does not).</summary>
    public static bool IsProcessRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
