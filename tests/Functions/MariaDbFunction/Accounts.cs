using MySqlConnector;

namespace MariaDbFunction;

public sealed record AccountsResult(string ServerVersion, long Accounts);

public static class Accounts
{
    /// <summary>Seeds one account into the database the environment names and counts them.</summary>
    public static async Task<AccountsResult> SeedAndCountAsync()
    {
        var connection = new MySqlConnectionStringBuilder
        {
            Server = Environment.GetEnvironmentVariable("MYSQL_HOST"),
            Port = uint.Parse(Environment.GetEnvironmentVariable("MYSQL_PORT")!),
            UserID = Environment.GetEnvironmentVariable("MYSQL_USER"),
            Password = Environment.GetEnvironmentVariable("MYSQL_PASSWORD"),
        };
        var database = Environment.GetEnvironmentVariable("MYSQL_DATABASE");
        await using var db = new MySqlConnection(connection.ConnectionString);
        await db.OpenAsync();
        foreach (var sql in new[]
                 {
                     $"CREATE DATABASE IF NOT EXISTS `{database}`",
                     $"CREATE TABLE IF NOT EXISTS `{database}`.accounts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64))",
                     $"INSERT INTO `{database}`.accounts (name) VALUES ('ada')",
                 })
            await new MySqlCommand(sql, db).ExecuteNonQueryAsync();
        var count = (long)(await new MySqlCommand($"SELECT COUNT(*) FROM `{database}`.accounts", db).ExecuteScalarAsync())!;
        return new AccountsResult(db.ServerVersion, count);
    }
}
