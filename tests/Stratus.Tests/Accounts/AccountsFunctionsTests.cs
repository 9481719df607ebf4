using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Accounts.Functions;
using MySqlConnector;
using Stratus.Services.Rds.Engine;

using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>A real MariaDB server of its own for the accounts functions' tests, on a free loopback port.</summary>
public sealed class AccountsDatabaseFixture : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("accounts-db-").FullName;
    private MariaDbServer? _server;
    private int _port;

    public async Task InitializeAsync()
    {
        var installation = MariaDbInstallation.Find() ?? throw new InvalidOperationException($"MariaDB is not installed: {MariaDbInstallation.InstallHint}");
        _server = new MariaDbServer(installation, _home);
        await _server.InitializeAsync(CancellationToken.None);
        _port = FreePort();
        await _server.StartAsync("127.0.0.1", _port, CancellationToken.None);
        await _server.ExecuteAsync("CREATE USER 'democct'@'%' IDENTIFIED BY 'demo-cct-password'; GRANT ALL PRIVILEGES ON *.* TO 'democct'@'%';");
    }

    /// <summary>A database of the test's own, so tests do not see each other's rows.</summary>
    public async Task<AccountsDatabase> NewDatabaseAsync() => AccountsDatabase.FromVariables(await NewDatabaseVariablesAsync());

    /// <summary>The MYSQL_* variables of a new database of the test's own.</summary>
    public async Task<Func<string, string?>> NewDatabaseVariablesAsync()
    {
        var name = "accounts_" + Guid.NewGuid().ToString("N")[..12];
        await _server!.ExecuteAsync($"CREATE DATABASE {name}");
        return Variables(name, _port);
    }

    public static Func<string, string?> Variables(string database, int port) => name => name switch
    {
        "MYSQL_HOST" => "127.0.0.1",
        "MYSQL_PORT" => port.ToString(),
        "MYSQL_USER" => "democct",
        "MYSQL_PASSWORD" => "demo-cct-password",
        "MYSQL_DATABASE" => database,
        _ => null,
    };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.StopAsync();
        try { Directory.Delete(_home, recursive: true); }
        catch (IOException) { }
    }
}

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AccountsFunctionsTests(AccountsDatabaseFixture mariaDb) : IClassFixture<AccountsDatabaseFixture>
{
    [Fact]
    public async Task Seeding_twice_leaves_the_same_rows()
    {
        var database = await mariaDb.NewDatabaseAsync();

        var first = await SeedDb.SeedAsync(database, CancellationToken.None);
        var second = await SeedDb.SeedAsync(database, CancellationToken.None);

        Assert.Equal(new SeedDb.Summary(AccountsSchema.SampleAccounts.Count, AccountsSchema.SampleAccounts.Count), first);
        Assert.Equal(new SeedDb.Summary(AccountsSchema.SampleAccounts.Count, 0), second);
        var accounts = await RetrieveAccounts.ReadAsync(database, CancellationToken.None);
        Assert.Equal(AccountsSchema.SampleAccounts.Select(a => a.Username).Order(), accounts.Select(a => a.Username).Order());
    }

    [Fact]
    public async Task The_page_lists_every_account_and_escapes_what_the_database_holds()
    {
        var database = await mariaDb.NewDatabaseAsync();
        await SeedDb.SeedAsync(database, CancellationToken.None);
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        await using (var insert = new MySqlCommand(
            "INSERT INTO accounts (username, full_name, email, country, balance, opened_on) VALUES ('mallory', '<script>alert(1)</script>', 'm@example.com', 'XX', 0, '2025-01-01')", connection))
            await insert.ExecuteNonQueryAsync();

        var html = AccountsPage.Render(await RetrieveAccounts.ReadAsync(database, CancellationToken.None), DateTimeOffset.UnixEpoch);

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
        foreach (var account in AccountsSchema.SampleAccounts) Assert.Contains(System.Net.WebUtility.HtmlEncode(account.FullName), html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Equal(AccountsSchema.SampleAccounts.Count + 1, Regex.Matches(html, "<tr><td>").Count);
        Assert.Contains($"{AccountsSchema.SampleAccounts.Count + 1} accounts", html);
    }

    [Fact]
    public async Task An_empty_table_shows_a_friendly_empty_state()
    {
        var database = await mariaDb.NewDatabaseAsync();

        var html = AccountsPage.Render(await RetrieveAccounts.ReadAsync(database, CancellationToken.None), DateTimeOffset.UnixEpoch);

        Assert.Contains("No accounts yet", html);
        Assert.DoesNotContain("<table>", html);
    }

    [Fact]
    public async Task A_database_that_is_down_fails_fast_with_a_clear_message()
    {
        var nobodyListens = AccountsDatabase.FromVariables(AccountsDatabaseFixture.Variables("accounts", AccountsDatabaseFixture.FreePort()));
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => RetrieveAccounts.ReadAsync(nobodyListens, CancellationToken.None));

        Assert.StartsWith("Database unavailable:", error.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(AccountsDatabase.ConnectTimeoutSeconds + 5));
    }

    [Fact]
    public void Missing_configuration_names_the_variable()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AccountsDatabase.FromVariables(_ => null));
        Assert.Contains("MYSQL_HOST", error.Message);
    }
}
