using System.Data.Common;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.RdsData.Engine;

/// <summary>What differs between Aurora MySQL and Aurora PostgreSQL for the Data API: the driver, its parameters, its metadata and its errors.</summary>
public interface IDataApiEngine
{
    /// <summary>MySQL's lexis for named parameters (# comments, backslash escapes).</summary>
    bool MySqlSyntax { get; }

    /// <summary>A connection (not yet open) to the cluster's writer endpoint as the secret's user.</summary>
    DbConnection Connection(string host, int port, string user, string password, string? database);

    /// <summary>Adds a named parameter, converted as its typeHint says (DATE, TIME, TIMESTAMP, DECIMAL, UUID, JSON).</summary>
    void Bind(DbCommand command, DataApiParameter parameter);

    DataApiColumn Column(DbColumn column);

    /// <summary>The server's id of the connection (the thread id in MySQL, the backend pid in PostgreSQL), for StatementTimeoutException.</summary>
    long? ConnectionId(DbConnection connection);

    /// <summary>The values the statement generated (an AUTO_INCREMENT key in MySQL; PostgreSQL answers none, RETURNING gives them as records).</summary>
    JsonArray GeneratedFields(DbCommand command, long recordsUpdated);

    /// <summary>The database's refusal in the Data API's error: an unknown database is DatabaseNotFoundException, the rest BadRequestException.</summary>
    AwsException Refusal(DbException error);
}
