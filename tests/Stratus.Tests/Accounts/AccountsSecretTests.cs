using Accounts.Functions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>
/// The accounts functions reading their database password from Secrets Manager (MYSQL_SECRET_ARN) through
/// their own SigV4-signed GetSecretValue, against a Stratus that verifies signatures.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AccountsSecretTests(AccountsDatabaseFixture mariaDb) : IClassFixture<AccountsDatabaseFixture>
{
    [Fact]
    public async Task The_password_comes_from_the_secret_the_environment_names()
    {
        await using var server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", "test:test");
        var created = await Clients.Boto3Async(server.Url, """
            out["arn"] = client("secretsmanager").create_secret(Name="accounts/db", SecretString=json.dumps({"username": "democct", "password": "demo-cct-password"}))["ARN"]
            """);
        var database = await mariaDb.NewDatabaseVariablesAsync();
        Func<string, string?> Environment(string secretKey) => name => name switch
        {
            "MYSQL_PASSWORD" or "MYSQL_USER" => null,
            "MYSQL_SECRET_ARN" => (string?)created["arn"],
            "AWS_ENDPOINT_URL" => server.Url,
            "AWS_REGION" => "us-east-1",
            "AWS_ACCESS_KEY_ID" => "test",
            "AWS_SECRET_ACCESS_KEY" => secretKey,
            _ => database(name),
        };
        using var http = new HttpClient();

        var signed = Environment("test");
        var accounts = await AccountsDatabase.FromVariablesAsync(signed, new SecretsManagerClient(http, signed).GetSecretStringAsync, CancellationToken.None);
        var summary = await SeedDb.SeedAsync(accounts, CancellationToken.None);
        Assert.Equal(AccountsSchema.SampleAccounts.Count, summary.RowsInserted);

        var badlySigned = Environment("wrong");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            AccountsDatabase.FromVariablesAsync(badlySigned, new SecretsManagerClient(http, badlySigned).GetSecretStringAsync, CancellationToken.None));
        Assert.StartsWith("Configuration error: Secrets Manager refused to read", refused.Message);

        // The MYSQL_PASSWORD path still needs no secret at all.
        Assert.Equal(AccountsSchema.SampleAccounts.Count, (await RetrieveAccounts.ReadAsync(AccountsDatabase.FromVariables(database), CancellationToken.None)).Count);
    }
}
