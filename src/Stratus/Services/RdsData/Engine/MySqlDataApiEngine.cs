using System.Data.Common;
using System.Text.Json.Nodes;
using MySqlConnector;
using Stratus.Protocols;

namespace Stratus.Services.RdsData.Engine;

/// <summary>Aurora MySQL through MySqlConnector: TINYINT(1) stays a number (as the server declares it), @user variables stay usable.</summary>
public sealed class MySqlDataApiEngine : IDataApiEngine
{
    public bool MySqlSyntax => true;

    public DbConnection Connection(string host, int port, string user, string password, string? database) => new MySqlConnection(new MySqlConnectionStringBuilder
    {
        Server = host,
        Port = (uint)port,
        UserID = user,
        Password = password,
        Database = database ?? "",
        TreatTinyAsBoolean = false,
        AllowUserVariables = true,
        // The Data API answers a stale connection's failure as DatabaseUnavailableException, not a hang.
        ConnectionTimeout = 15,
    }.ConnectionString);

    public void Bind(DbCommand command, DataApiParameter parameter) =>
        ((MySqlCommand)command).Parameters.AddWithValue("@" + parameter.Name, DataApiTypeHints.Apply(parameter) switch
        {
            TimeOnly time => time.ToTimeSpan(),
            null => DBNull.Value,
            var value => value,
        });

    public DataApiColumn Column(DbColumn column)
    {
        var typeName = (column.DataTypeName ?? "").ToUpperInvariant();
        var type = typeName switch
        {
            "BIT" => DataApiColumns.Bit,
            "TEXT" or "MEDIUMTEXT" or "LONGTEXT" or "TINYTEXT" or "JSON" => DataApiColumns.LongVarChar,
            "CHAR" => DataApiColumns.Char,
            "BLOB" or "MEDIUMBLOB" or "LONGBLOB" or "TINYBLOB" => DataApiColumns.LongVarBinary,
            "BINARY" => DataApiColumns.Binary,
            "DATE" => DataApiColumns.Date,
            "YEAR" => DataApiColumns.Date,
            _ => DataApiColumns.JdbcType(column.DataType),
        };
        // MySQL compares text by its collation, case-insensitively by default; binary strings are case-sensitive.
        return DataApiColumns.Describe(column, typeName, type, isCaseSensitive: type is DataApiColumns.Binary or DataApiColumns.VarBinary or DataApiColumns.LongVarBinary);
    }

    public long? ConnectionId(DbConnection connection) => ((MySqlConnection)connection).ServerThread;

    public JsonArray GeneratedFields(DbCommand command, long recordsUpdated) =>
        recordsUpdated > 0 && ((MySqlCommand)command).LastInsertedId is > 0 and var id ? [new JsonObject { ["longValue"] = id }] : [];

    public AwsException Refusal(DbException error) => error is MySqlException { ErrorCode: MySqlErrorCode.UnknownDatabase }
        ? RdsDataErrors.DatabaseNotFound(error.Message)
        : RdsDataErrors.Database(error.Message);
}
