using System.Text.Json;
using MySqlConnector;

namespace Accounts.Functions;

/// <summary>
/// The accounts page function: reads the accounts and returns the HTML page as a JSON string, which the
/// API Gateway integration response unwraps with $input.path('$') and serves as text/html.
/// Handler: Accounts.Functions::Accounts.Functions.RetrieveAccounts::HandleAsync
/// </summary>
public sealed class RetrieveAccounts
{
    public async Task<Stream> HandleAsync(Stream input)
    {
        var accounts = await ReadAsync(await AccountsDatabase.FromEnvironmentAsync(CancellationToken.None), CancellationToken.None);
        return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(AccountsPage.Render(accounts, DateTimeOffset.UtcNow)));
    }

    public static async Task<IReadOnlyList<Account>> ReadAsync(AccountsDatabase database, CancellationToken cancellation)
    {
        await using var connection = await database.OpenAsync(cancellation);
        await using (var create = new MySqlCommand(AccountsSchema.CreateTable, connection))
            await create.ExecuteNonQueryAsync(cancellation);
        await using var query = new MySqlCommand(
            "SELECT username, full_name, email, country, balance, opened_on FROM accounts ORDER BY full_name", connection);
        await using var reader = await query.ExecuteReaderAsync(cancellation);
        var accounts = new List<Account>();
        while (await reader.ReadAsync(cancellation))
            accounts.Add(new Account(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetDecimal(4), DateOnly.FromDateTime(reader.GetDateTime(5))));
        return accounts;
    }
}
