using System.Text.Json;
using MySqlConnector;

namespace Accounts.Functions;

/// <summary>
/// The seeding function: creates the accounts table if missing and inserts the sample accounts that are
/// not there yet, so running it twice leaves the same rows. Answers {"rowsPresent":N,"rowsInserted":M}.
/// Handler: Accounts.Functions::Accounts.Functions.SeedDb::HandleAsync
/// </summary>
public sealed class SeedDb
{
    public async Task<Stream> HandleAsync(Stream input)
    {
        var summary = await SeedAsync(await AccountsDatabase.FromEnvironmentAsync(CancellationToken.None), CancellationToken.None);
        return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(summary, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }

    public sealed record Summary(int RowsPresent, int RowsInserted);

    public static async Task<Summary> SeedAsync(AccountsDatabase database, CancellationToken cancellation)
    {
        await using var connection = await database.OpenAsync(cancellation);
        await using (var create = new MySqlCommand(AccountsSchema.CreateTable, connection))
            await create.ExecuteNonQueryAsync(cancellation);

        var inserted = 0;
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        foreach (var account in AccountsSchema.SampleAccounts)
        {
            await using var insert = new MySqlCommand("""
                INSERT IGNORE INTO accounts (username, full_name, email, country, balance, opened_on)
                VALUES (@username, @fullName, @email, @country, @balance, @openedOn)
                """, connection, transaction);
            insert.Parameters.AddWithValue("@username", account.Username);
            insert.Parameters.AddWithValue("@fullName", account.FullName);
            insert.Parameters.AddWithValue("@email", account.Email);
            insert.Parameters.AddWithValue("@country", account.Country);
            insert.Parameters.AddWithValue("@balance", account.Balance);
            insert.Parameters.AddWithValue("@openedOn", account.OpenedOn.ToDateTime(TimeOnly.MinValue));
            inserted += await insert.ExecuteNonQueryAsync(cancellation);
        }
        await transaction.CommitAsync(cancellation);

        await using var count = new MySqlCommand("SELECT COUNT(*) FROM accounts", connection);
        var present = Convert.ToInt32(await count.ExecuteScalarAsync(cancellation));
        return new Summary(present, inserted);
    }
}
