using System.Net;
using System.Net.Sockets;
using Npgsql;
using Stratus.Persistence;
using Stratus.Services.Rds.Engine;

namespace Stratus.Tests.Services.Rds.Engine;

/// <summary>
/// One PostgreSQL server as the engine runs it: a private home, the master user, and a parameter set applied
/// as parameter groups will apply it (dynamic at once, static from the next start).
/// </summary>
public sealed class PostgresServerTests : IAsyncLifetime
{
    private const string User = "master";
    private const string Password = "master-pass-1";

    private readonly string _home = Path.Combine(Directory.CreateTempSubdirectory("stratus-pg-").FullName, "db-TEST");
    private readonly int _port = FreePort();
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        var installation = PostgresInstallation.Find() ?? throw new InvalidOperationException($"PostgreSQL is not installed: {PostgresInstallation.Hint}");
        _server = (PostgresServer)installation.Server(_home);
        await _server.InitializeAsync(CancellationToken.None);
        await _server.StartAsync("127.0.0.1", _port, CancellationToken.None);
        await _server.CreateMasterUserAsync(User, Password, "app", CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        Directory.Delete(Path.GetDirectoryName(_home)!, recursive: true);
    }

    [Fact]
    public async Task Dynamic_parameters_apply_at_once_and_static_ones_at_the_next_start()
    {
        var maxConnections = await ShowAsync("max_connections");
        await _server.ApplyParametersAsync([new DbParameter("work_mem", "7MB", "dynamic"), new DbParameter("max_connections", "57", "static")], CancellationToken.None);

        Assert.Equal("7MB", await ShowAsync("work_mem"));
        Assert.Equal(maxConnections, await ShowAsync("max_connections"));

        await _server.StopAsync();
        await _server.StartAsync("127.0.0.1", _port, CancellationToken.None);

        Assert.Equal("57", await ShowAsync("max_connections"));
        Assert.Equal("7MB", await ShowAsync("work_mem"));
    }

    [Fact]
    public async Task A_parameter_name_that_is_not_one_is_refused_before_reaching_the_server()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _server.ApplyParametersAsync([new DbParameter("work_mem; DROP DATABASE app", "1MB", "dynamic")], CancellationToken.None));
        Assert.Equal("app", await ScalarAsync("SELECT current_database()"));
    }

    [Fact]
    public async Task The_master_user_logs_in_over_TCP_with_its_password_only_and_the_home_is_private()
    {
        Assert.Equal(User, await ScalarAsync("SELECT current_user"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync("SELECT 1", "wrong-password"));
        Assert.Equal("28P01", refused.SqlState);
        var admin = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync("SELECT 1", "any-password", PostgresServer.AdminUser));
        Assert.Equal("28P01", admin.SqlState);
        foreach (var path in new[] { _home, _server.DataDir, _server.SocketDir })
            Assert.Equal(DataDirectory.PrivateDirectory, Mode(path));
    }

    private static UnixFileMode Mode(string path) => OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path) & (UnixFileMode)0x1ff;

    private async Task<string?> ShowAsync(string parameter) => (string?)await ScalarAsync($"SHOW {parameter}");

    private async Task<object?> ScalarAsync(string sql, string password = Password, string user = User)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = _port,
            Username = user,
            Password = password,
            Database = "app",
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
