using Stratus.Protocols;

namespace Stratus.Services.RdsData;

/// <summary>
/// The Data API's errors, with the codes and status codes of botocore's rds-data model. Where AWS's troubleshooting guide names a
/// message (a transaction not found, the HTTP endpoint not enabled, the response size limit) it is AWS's; a database's own error
/// is passed on in its words, as AWS passes it.
/// </summary>
public static class RdsDataErrors
{
    public static readonly ValidationStyle Validation = new("BadRequestException");

    public static AwsException BadRequest(string message) => new("BadRequestException", message);

    public static AwsException NotServed(string operation, string reason) => BadRequest($"Stratus does not serve the rds-data operation {operation}: {reason}");

    /// <summary>The database refused the statement (a syntax error, a constraint): its own message.</summary>
    public static AwsException Database(string message) => BadRequest(message);

    public static AwsException ResponseTooLarge() => BadRequest("Database returned more than the allowed response size limit");

    /// <summary>A row past the 64 KB per-row limit: AWS's troubleshooting guide names the error "Packet for query is too large"; the detail is ours.</summary>
    public static AwsException RowTooLarge(long bytes) =>
        BadRequest($"Packet for query is too large: a row of the result set holds {bytes} bytes, more than the Data API's {RdsDataRules.MaxRowBytes} per row");

    public static AwsException UnsupportedResult(string why) => new("UnsupportedResultException", $"The result contains an unsupported data type: {why}");

    public static AwsException ArrayParameter(string name) => BadRequest($"Array parameters are not supported: parameter {name}");

    public static AwsException InvalidTypeHint(string name, string hint, string value) =>
        BadRequest($"The value of parameter {name} cannot be converted to {hint}: {value}");

    public static AwsException SchemaNotSupported() => BadRequest("The schema parameter isn't supported");

    public static AwsException ClusterNotFound(string arn) => new("DatabaseNotFoundException", $"DB cluster {arn} not found", 404);

    public static AwsException DatabaseNotFound(string message) => new("DatabaseNotFoundException", message, 404);

    public static AwsException HttpEndpointNotEnabled(string clusterIdentifier) =>
        new("HttpEndpointNotEnabledException", $"HttpEndpoint is not enabled for cluster {clusterIdentifier}");

    /// <summary>The cluster is stopped, or its writer is not running: 504, as the model declares (the shape has no message member).</summary>
    public static AwsException DatabaseUnavailable(string why) => new("DatabaseUnavailableException", why, 504);

    public static AwsException SecretsError(string message) => new("SecretsErrorException", $"Error fetching secret: {message}");

    public static AwsException InvalidSecret(string secretArn) =>
        new("InvalidSecretException", $"The secret {secretArn} does not hold a JSON object with username and password");

    public static AwsException TransactionNotFound(string id) => new("TransactionNotFoundException", $"Transaction {id} is not found", 404);

    /// <summary>A second call on a transaction while its previous statement still runs, as AWS refuses it.</summary>
    public static AwsException TransactionBusy() => new("DatabaseErrorException", "Transaction is still running a query");

    public static AwsException StatementTimeout(long? connectionId) => new("StatementTimeoutException", "Request timed out")
    {
        Fields = connectionId is { } id ? new Dictionary<string, string> { ["dbConnectionId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null,
    };
}
