using System.Text.Json;
using MySqlConnector;

namespace Accounts.Functions;

/// <summary>
/// The accounts database as the functions see it: configured only through the seed's MYSQL_* variables,
/// with a connect timeout far below the functions' 30 s timeout so a database that is down fails fast.
/// The password is MYSQL_PASSWORD, or the "password" of the Secrets Manager secret MYSQL_SECRET_ARN names
/// (whose "username" also stands in for an unset MYSQL_USER), read once per execution environment.
/// </summary>
public sealed class AccountsDatabase(string connectionString)
{
    public const int ConnectTimeoutSeconds = 5;

    private static readonly HttpClient SecretsHttp = new() { Timeout = TimeSpan.FromSeconds(10) };
    private static AccountsDatabase? _configured;

    /// <summary>The database the environment configures; a secret is read at the first call and kept, as the environment lives on.</summary>
    public static async Task<AccountsDatabase> FromEnvironmentAsync(CancellationToken cancellation) =>
        _configured ??= await FromVariablesAsync(Environment.GetEnvironmentVariable,
            new SecretsManagerClient(SecretsHttp, Environment.GetEnvironmentVariable).GetSecretStringAsync, cancellation);

    public static AccountsDatabase FromVariables(Func<string, string?> variable) =>
        FromSettings(variable, variable("MYSQL_USER"), () => Required(variable, "MYSQL_PASSWORD"));

    public static async Task<AccountsDatabase> FromVariablesAsync(Func<string, string?> variable,
        Func<string, CancellationToken, Task<string>> readSecret, CancellationToken cancellation)
    {
        if (variable("MYSQL_SECRET_ARN") is not { Length: > 0 } secretArn) return FromVariables(variable);
        using var secret = JsonDocument.Parse(await readSecret(secretArn, cancellation));
        string? Field(string name) => secret.RootElement.ValueKind == JsonValueKind.Object && secret.RootElement.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var password = Field("password") ?? throw new InvalidOperationException($"Configuration error: the secret {secretArn} has no \"password\".");
        return FromSettings(variable, variable("MYSQL_USER") is { Length: > 0 } user ? user : Field("username"), () => password);
    }

    private static string Required(Func<string, string?> variable, string name) => variable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"Configuration error: the environment variable {name} is not set.");

    /// <summary>The connection string; the password is asked for after the host, so a missing variable is named in the order the seed lists them.</summary>
    private static AccountsDatabase FromSettings(Func<string, string?> variable, string? user, Func<string> password)
    {
        string Required(string name) => AccountsDatabase.Required(variable, name);

        var builder = new MySqlConnectionStringBuilder
        {
            Server = Required("MYSQL_HOST"),
            Port = uint.TryParse(variable("MYSQL_PORT"), out var port) ? port : 3306,
            UserID = user is { Length: > 0 } ? user : Required("MYSQL_USER"),
            Password = password(),
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
