using MySqlConnector;

namespace Accounts.Functions;

/// <summary>
/// The accounts database as the functions see it: configured only through the seed's MYSQL_* variables,
/// with a connect timeout far below the functions' 30 s timeout so a database that is down fails fast.
/// </summary>
public sealed class AccountsDatabase(string connectionString)
{
    public const int ConnectTimeoutSeconds = 5;

    public static AccountsDatabase FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    public static AccountsDatabase FromVariables(Func<string, string?> variable)
    {
        string Required(string name) => variable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Configuration error: the environment variable {name} is not set.");

        var builder = new MySqlConnectionStringBuilder
        {
            Server = Required("MYSQL_HOST"),
            Port = uint.TryParse(variable("MYSQL_PORT"), out var port) ? port : 3306,
            UserID = Required("MYSQL_USER"),
            Password = Required("MYSQL_PASSWORD"),
            Database = Required("MYSQL_DATABASE"),
            ConnectionTimeout = ConnectTimeoutSeconds,
            DefaultCommandTimeout = 10,
            SslMode = MySqlSslMode.Preferred,
        };
        return new AccountsDatabase(builder.ConnectionString);
    }

    public async Task<MySqlConnection> OpenAsync(CancellationToken cancellation)
    {
        var connection = new MySqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellation);
            return connection;
        }
        catch (MySqlException e)
        {
            await connection.DisposeAsync();
            throw new DatabaseUnavailableException($"Database unavailable: {e.Message}", e);
        }
    }
}

/// <summary>The database could not be reached; API Gateway maps this message to a 503 page.</summary>
public sealed class DatabaseUnavailableException(string message, Exception inner) : Exception(message, inner);
