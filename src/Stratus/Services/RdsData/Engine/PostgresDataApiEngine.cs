using System.Data.Common;
using System.Text.Json.Nodes;
using Npgsql;
using Npgsql.Schema;
using NpgsqlTypes;
using Stratus.Protocols;

namespace Stratus.Services.RdsData.Engine;

/// <summary>Aurora PostgreSQL through Npgsql: JSON-hinted parameters bind as json, and typeName is PostgreSQL's internal name (int4, varchar), as JDBC reports it.</summary>
public sealed class PostgresDataApiEngine : IDataApiEngine
{
    /// <summary>Without a database the Data API connects to PostgreSQL's default one.</summary>
    private const string DefaultDatabase = "postgres";

    public bool MySqlSyntax => false;

    public DbConnection Connection(string host, int port, string user, string password, string? database) => new NpgsqlConnection(new NpgsqlConnectionStringBuilder
    {
        Host = host,
        Port = port,
        Username = user,
        Password = password,
        Database = database ?? DefaultDatabase,
        Timeout = 15,
    }.ConnectionString);

    public void Bind(DbCommand command, DataApiParameter parameter)
    {
        var value = DataApiTypeHints.Apply(parameter) ?? DBNull.Value;
        var bound = new NpgsqlParameter(parameter.Name, value);
        if (parameter.TypeHint == "JSON") bound.NpgsqlDbType = NpgsqlDbType.Json;
        // A TIMESTAMP hint names a timestamp without time zone, as the hint's format carries none.
        if (parameter.TypeHint == "TIMESTAMP") bound.NpgsqlDbType = NpgsqlDbType.Timestamp;
        ((NpgsqlCommand)command).Parameters.Add(bound);
    }

    public DataApiColumn Column(DbColumn column)
    {
        var postgres = (column as NpgsqlDbColumn)?.PostgresType;
        var typeName = postgres?.InternalName ?? column.DataTypeName ?? "";
        var isArray = postgres is Npgsql.PostgresTypes.PostgresArrayType;
        var type = typeName switch
        {
            "numeric" => DataApiColumns.Numeric,
            "bpchar" => DataApiColumns.Char,
            "text" or "varchar" => DataApiColumns.VarChar,
            "bytea" => DataApiColumns.Binary,
            "timestamptz" or "timestamp" => DataApiColumns.Timestamp,
            "time" or "timetz" => DataApiColumns.Time,
            "date" => DataApiColumns.Date,
            "money" => DataApiColumns.Double,
            _ => DataApiColumns.JdbcType(column.DataType),
        };
        var arrayBase = isArray ? DataApiColumns.JdbcType(column.DataType?.GetElementType()) : 0;
        return DataApiColumns.Describe(column, typeName, type, isCaseSensitive: type is DataApiColumns.VarChar or DataApiColumns.Char or DataApiColumns.LongVarChar,
            isCurrency: typeName == "money", arrayBaseColumnType: arrayBase);
    }

    public long? ConnectionId(DbConnection connection) => ((NpgsqlConnection)connection).ProcessID;

    public JsonArray GeneratedFields(DbCommand command, long recordsUpdated) => [];

    public AwsException Refusal(DbException error) => error is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName }
        ? RdsDataErrors.DatabaseNotFound(error.Message)
        : RdsDataErrors.Database(error.Message);
}
