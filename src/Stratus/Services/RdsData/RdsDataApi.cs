using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Protocols.RestJson;

namespace Stratus.Services.RdsData;

/// <summary>
/// The RDS Data API's wire operations (REST-JSON, 2018-08-01; signing name rds-data), each bound to its path as in botocore's
/// model: request members in, domain call, response shape out.
/// </summary>
public sealed class RdsDataApi : IStratusService, IDisposable
{
    private readonly RdsDataService _data;

    public RdsDataApi(RdsDataService data, ILogger logger)
    {
        _data = data;
        var operations = Operations();
        NotServedOperations.AddTo(operations, RdsDataNotServed.Operations, RdsDataErrors.NotServed);
        Endpoint = new ServiceEndpoint("rds-data", operations, new RestJsonProtocol([.. Served, .. RdsDataNotServed.Routes]))
        {
            Logger = logger,
            Validation = RdsDataErrors.Validation,
            Rules = RdsDataRules.Members,
        };
    }

    public string Name => "rds-data";
    public ServiceEndpoint Endpoint { get; }

    private static readonly RestRoute[] Served =
    [
        new("POST", "/Execute", "ExecuteStatement"),
        new("POST", "/BatchExecute", "BatchExecuteStatement"),
        new("POST", "/BeginTransaction", "BeginTransaction"),
        new("POST", "/CommitTransaction", "CommitTransaction"),
        new("POST", "/RollbackTransaction", "RollbackTransaction"),
    ];

    private OperationTable Operations() => new()
    {
        { "ExecuteStatement", async i => (OperationResult)Statement(await _data.ExecuteStatementAsync(i.Scope, StatementRequest.Read(i), i.Aborted)) },
        { "BatchExecuteStatement", async i =>
            {
                var results = await _data.BatchExecuteStatementAsync(i.Scope, BatchRequest.Read(i), i.Aborted);
                return (OperationResult)new JsonObject
                {
                    ["updateResults"] = new JsonArray([.. results.Select(generated => (JsonNode)new JsonObject { ["generatedFields"] = generated })]),
                };
            } },
        { "BeginTransaction", async i =>
            (OperationResult)new JsonObject { ["transactionId"] = await _data.BeginTransactionAsync(i.Scope, DataApiTarget.Read(i), i.Aborted) } },
        { "CommitTransaction", async i => (OperationResult)new JsonObject
            {
                ["transactionStatus"] = await _data.CommitTransactionAsync(i.Scope, i.Required("resourceArn"), i.Required("transactionId"), i.Aborted),
            } },
        { "RollbackTransaction", async i => (OperationResult)new JsonObject
            {
                ["transactionStatus"] = await _data.RollbackTransactionAsync(i.Scope, i.Required("resourceArn"), i.Required("transactionId"), i.Aborted),
            } },
    };

    private static JsonObject Statement(StatementResult result)
    {
        var body = new JsonObject();
        if (result.Records is { } records) body["records"] = records;
        if (result.Columns is { } columns) body["columnMetadata"] = new JsonArray([.. columns.Select(c => (JsonNode)ColumnMetadata(c))]);
        body["numberOfRecordsUpdated"] = result.RecordsUpdated;
        body["generatedFields"] = result.GeneratedFields;
        if (result.FormattedRecords is { } formatted) body["formattedRecords"] = formatted;
        return body;
    }

    private static JsonObject ColumnMetadata(DataApiColumn c) => new()
    {
        ["name"] = c.Name,
        ["type"] = c.Type,
        ["typeName"] = c.TypeName,
        ["label"] = c.Label,
        ["schemaName"] = c.SchemaName,
        ["tableName"] = c.TableName,
        ["isAutoIncrement"] = c.IsAutoIncrement,
        ["isSigned"] = c.IsSigned,
        ["isCurrency"] = c.IsCurrency,
        ["isCaseSensitive"] = c.IsCaseSensitive,
        ["nullable"] = c.Nullable,
        ["precision"] = c.Precision,
        ["scale"] = c.Scale,
        ["arrayBaseColumnType"] = c.ArrayBaseColumnType,
    };

    public void Dispose() => _data.Dispose();
}
