using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Rds;
using Stratus.Services.RdsData.Engine;
using Stratus.Services.SecretsManager;

namespace Stratus.Services.RdsData;

/// <summary>
/// The RDS Data API: SQL over HTTPS against an Aurora cluster whose HTTP endpoint is enabled. Each call logs in to the cluster's writer
/// (its cluster endpoint) as the user of a Secrets Manager secret, read through Secrets Manager's domain, and runs the statement with
/// the real driver; a transaction keeps its connection between calls. Nothing is stored by Stratus: the data is the database's.
/// </summary>
public sealed class RdsDataService(RdsService rds, SecretsManagerService secrets, TimeProvider clock) : IDisposable
{
    private static readonly IDataApiEngine MySql = new MySqlDataApiEngine();
    private static readonly IDataApiEngine Postgres = new PostgresDataApiEngine();
    private readonly DataApiTransactions _transactions = new(clock);

    public async Task<StatementResult> ExecuteStatementAsync(Scope scope, StatementRequest request, CancellationToken aborted)
    {
        if (request.TransactionId is { } id)
            return await InTransactionAsync(scope, request.Target.ResourceArn, id, request.ContinueAfterTimeout,
                (open, token) => RunAsync(open.Engine, open.Connection, open.Transaction, request, token), aborted);
        var (engine, connection) = await OpenAsync(scope, request.Target, aborted);
        return await OnOwnConnectionAsync(engine, connection, request.ContinueAfterTimeout,
            token => RunAsync(engine, connection, null, request, token), aborted);
    }

    /// <summary>
    /// One statement for each parameter set; outside a transaction the sets run in one of their own, committed when all succeeded
    /// (a failing set leaves none of them applied).
    /// </summary>
    public async Task<IReadOnlyList<JsonArray>> BatchExecuteStatementAsync(Scope scope, BatchRequest request, CancellationToken aborted)
    {
        var sets = request.ParameterSets.Count == 0 ? [[]] : request.ParameterSets;
        if (request.TransactionId is { } id)
            return await InTransactionAsync(scope, request.Target.ResourceArn, id, false,
                (open, token) => RunBatchAsync(open.Engine, open.Connection, open.Transaction, request.Sql, sets, token), aborted);
        var (engine, connection) = await OpenAsync(scope, request.Target, aborted);
        return await OnOwnConnectionAsync(engine, connection, false, async token =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            var results = await RunBatchAsync(engine, connection, transaction, request.Sql, sets, token);
            await transaction.CommitAsync(token);
            return results;
        }, aborted);
    }

    public async Task<string> BeginTransactionAsync(Scope scope, DataApiTarget target, CancellationToken aborted)
    {
        var (engine, connection) = await OpenAsync(scope, target, aborted);
        try
        {
            var transaction = await connection.BeginTransactionAsync(aborted);
            return _transactions.Add(scope, target.ResourceArn, engine, connection, transaction).Id;
        }
        catch (DbException e)
        {
            await connection.DisposeAsync();
            throw engine.Refusal(e);
        }
    }

    /// <summary>CommitTransaction: AWS answers the status "Transaction Committed".</summary>
    public Task<string> CommitTransactionAsync(Scope scope, string resourceArn, string transactionId, CancellationToken aborted) =>
        EndTransactionAsync(scope, resourceArn, transactionId, (t, token) => t.CommitAsync(token), "Transaction Committed", aborted);

    /// <summary>RollbackTransaction: AWS answers the status "Rollback Complete".</summary>
    public Task<string> RollbackTransactionAsync(Scope scope, string resourceArn, string transactionId, CancellationToken aborted) =>
        EndTransactionAsync(scope, resourceArn, transactionId, (t, token) => t.RollbackAsync(token), "Rollback Complete", aborted);

    private async Task<string> EndTransactionAsync(Scope scope, string resourceArn, string transactionId,
        Func<DbTransaction, CancellationToken, Task> end, string status, CancellationToken aborted)
    {
        Reachable(scope, resourceArn);
        var open = _transactions.Lease(scope, resourceArn, transactionId);
        _transactions.Forget(open);
        try
        {
            await end(open.Transaction, aborted);
            return status;
        }
        catch (DbException e)
        {
            throw open.Engine.Refusal(e);
        }
        finally
        {
            await open.DisposeAsync();
        }
    }

    /// <summary>A call within a transaction: the transaction's connection, one call at a time; a database error aborts it, as on AWS.</summary>
    private async Task<T> InTransactionAsync<T>(Scope scope, string resourceArn, string transactionId, bool continueAfterTimeout,
        Func<DataApiTransaction, CancellationToken, Task<T>> work, CancellationToken aborted)
    {
        Reachable(scope, resourceArn);
        var open = _transactions.Lease(scope, resourceArn, transactionId);
        var released = false;
        try
        {
            return await WithinTimeoutAsync(open.Engine, open.Connection, continueAfterTimeout, token => work(open, token),
                running => { released = true; running.ContinueWith(_ => _transactions.Release(open), TaskScheduler.Default); }, aborted);
        }
        catch (DbException e)
        {
            released = true;
            await _transactions.AbortAsync(open);
            throw open.Engine.Refusal(e);
        }
        finally
        {
            if (!released) _transactions.Release(open);
        }
    }

    /// <summary>A call on a connection of its own, closed after it (or once a statement that continues after the timeout ends).</summary>
    private async Task<T> OnOwnConnectionAsync<T>(IDataApiEngine engine, DbConnection connection, bool continueAfterTimeout,
        Func<CancellationToken, Task<T>> work, CancellationToken aborted)
    {
        var keptOpen = false;
        try
        {
            return await WithinTimeoutAsync(engine, connection, continueAfterTimeout, work,
                running => { keptOpen = true; running.ContinueWith(_ => connection.Dispose(), TaskScheduler.Default); }, aborted);
        }
        catch (DbException e)
        {
            throw engine.Refusal(e);
        }
        finally
        {
            if (!keptOpen) await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// AWS's 45-second limit: past it the call answers StatementTimeoutException; the statement is cancelled, or with continueAfterTimeout
    /// left to finish (<paramref name="continuing"/> takes its task). A caller that hangs up cancels it likewise.
    /// </summary>
    private async Task<T> WithinTimeoutAsync<T>(IDataApiEngine engine, DbConnection connection, bool continueAfterTimeout,
        Func<CancellationToken, Task<T>> work, Action<Task> continuing, CancellationToken aborted)
    {
        using var cancel = continueAfterTimeout ? new CancellationTokenSource() : CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var running = work(cancel.Token);
        using var timer = new CancellationTokenSource();
        var finished = await Task.WhenAny(running, Task.Delay(RdsDataRules.StatementTimeout, clock, timer.Token));
        if (finished == running)
        {
            await timer.CancelAsync();
            return await running;
        }
        var connectionId = engine.ConnectionId(connection);
        if (continueAfterTimeout) continuing(running);
        else
        {
            await cancel.CancelAsync();
            try { await running; }
            catch (Exception e) when (e is DbException or OperationCanceledException) { /* cancelled, as the timeout asks */ }
        }
        throw RdsDataErrors.StatementTimeout(connectionId);
    }

    /// <summary>The cluster a call names, checked as AWS checks it before running anything.</summary>
    private DbCluster Reachable(Scope scope, string resourceArn)
    {
        var cluster = rds.FindClusterByArn(scope, resourceArn) ?? throw RdsDataErrors.ClusterNotFound(resourceArn);
        if (!cluster.HttpEndpointEnabled) throw RdsDataErrors.HttpEndpointNotEnabled(cluster.Identifier);
        if (!RdsService.ServersRun(cluster))
            throw RdsDataErrors.DatabaseUnavailable($"DB cluster {cluster.Identifier} is {cluster.Status}{(cluster.WriterIdentifier is null ? " and has no writer instance" : "")}");
        return cluster;
    }

    private async Task<(IDataApiEngine Engine, DbConnection Connection)> OpenAsync(Scope scope, DataApiTarget target, CancellationToken aborted)
    {
        var cluster = Reachable(scope, target.ResourceArn);
        var (user, password) = Credentials(scope, target.SecretArn);
        var engine = cluster.Engine == "aurora-postgresql" ? Postgres : MySql;
        var connection = engine.Connection(cluster.WriterEndpointAddress!, cluster.Port, user, password, target.Database);
        try
        {
            await connection.OpenAsync(aborted);
            return (engine, connection);
        }
        catch (Exception e) when (e is DbException or SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw e is DbException refused ? engine.Refusal(refused) : RdsDataErrors.DatabaseUnavailable($"DB cluster {cluster.Identifier} did not answer: {e.Message}");
        }
    }

    /// <summary>The secret's username and password, as RDS's managed secrets and the console's Data API secrets hold them.</summary>
    private (string User, string Password) Credentials(Scope scope, string secretArn)
    {
        SecretValue value;
        try
        {
            value = secrets.GetValue(scope, secretArn, null, null).Value;
        }
        catch (AwsException e)
        {
            throw RdsDataErrors.SecretsError(e.Message);
        }
        try
        {
            if (value.String is { } text && JsonNode.Parse(text) is JsonObject json
                && json["username"] is JsonValue user && user.TryGetValue<string>(out var name)
                && json["password"] is JsonValue pass && pass.TryGetValue<string>(out var password))
                return (name, password);
        }
        catch (JsonException) { /* not JSON: refused below */ }
        throw RdsDataErrors.InvalidSecret(secretArn);
    }

    private static DbCommand Command(IDataApiEngine engine, DbConnection connection, DbTransaction? transaction, string sql, IReadOnlyList<DataApiParameter> parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = DataApiSql.BindNamedParameters(sql, parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal), engine.MySqlSyntax);
        // The Data API's own 45-second limit governs (WithinTimeoutAsync); the driver's would cut a statement that continues after it.
        command.CommandTimeout = 0;
        foreach (var parameter in parameters) engine.Bind(command, parameter);
        return command;
    }

    private static async Task<StatementResult> RunAsync(IDataApiEngine engine, DbConnection connection, DbTransaction? transaction,
        StatementRequest request, CancellationToken token)
    {
        await using var command = Command(engine, connection, transaction, request.Sql, request.Parameters);
        IReadOnlyList<DataApiColumn>? columns = null;
        JsonArray? records = null;
        string? formatted = null;
        long recordsUpdated;
        // KeyInfo: Npgsql reads a column's nullability from the catalog only when asked for key information.
        await using (var reader = await command.ExecuteReaderAsync(request.IncludeResultMetadata ? CommandBehavior.KeyInfo : CommandBehavior.Default, token))
        {
            if (reader.FieldCount > 0)
            {
                var schema = await reader.GetColumnSchemaAsync(token);
                columns = [.. schema.Select(engine.Column)];
                var rows = await ReadRowsAsync(reader, columns, request, token);
                if (request.FormatAsJson) formatted = rows.ToJsonString();
                else records = rows;
            }
            while (await reader.NextResultAsync(token)) { }
            await reader.CloseAsync();
            recordsUpdated = Math.Max(reader.RecordsAffected, 0);
        }
        return new StatementResult(request.IncludeResultMetadata ? columns : null, records, formatted, recordsUpdated, engine.GeneratedFields(command, recordsUpdated));
    }

    /// <summary>The rows in the wire form the call asked for, refused past AWS's 64 KB row and 1 MiB response limits as they are read.</summary>
    private static async Task<JsonArray> ReadRowsAsync(DbDataReader reader, IReadOnlyList<DataApiColumn> columns, StatementRequest request, CancellationToken token)
    {
        var rows = new JsonArray();
        long size = 0;
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync(token))
        {
            try
            {
                reader.GetValues(values);
            }
            catch (Exception e) when (e is InvalidCastException or NotSupportedException)
            {
                // A column of a type the driver has no value for (AWS answers these as UnsupportedResultException too).
                throw RdsDataErrors.UnsupportedResult(e.Message);
            }
            var rowBytes = RowBytes(values);
            if (rowBytes > RdsDataRules.MaxRowBytes) throw RdsDataErrors.RowTooLarge(rowBytes);
            ByColumnType(values, columns);
            JsonNode row = request.FormatAsJson ? JsonRecord(columns, values, request.Options)
                : new JsonArray([.. values.Select(v => (JsonNode)DataApiFields.Field(v, request.Options))]);
            size += Encoding.UTF8.GetByteCount(row.ToJsonString());
            if (size > RdsDataRules.MaxResponseBytes) throw RdsDataErrors.ResponseTooLarge();
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>
    /// A row's size as the database returned it: text in UTF-8 and binary by their bytes, any other value by its text form
    /// (numbers, dates), which is near enough for a limit of 64 KB that only text and binary columns reach.
    /// </summary>
    private static long RowBytes(object[] values)
    {
        long bytes = 0;
        foreach (var value in values)
            bytes += value switch
            {
                DBNull => 0,
                string text => Encoding.UTF8.GetByteCount(text),
                byte[] binary => binary.Length,
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)?.Length ?? 0,
            };
        return bytes;
    }

    /// <summary>A DATE column's value is a date: both drivers read it as a DateTime at midnight, which would answer a time AWS does not.</summary>
    private static void ByColumnType(object[] values, IReadOnlyList<DataApiColumn> columns)
    {
        for (var i = 0; i < values.Length; i++)
            if (columns[i].Type == DataApiColumns.Date && values[i] is DateTime date) values[i] = DateOnly.FromDateTime(date);
    }

    /// <summary>A record of formattedRecords: an object by column label (a later column of the same label wins).</summary>
    private static JsonObject JsonRecord(IReadOnlyList<DataApiColumn> columns, object[] values, ResultOptions options)
    {
        var record = new JsonObject();
        for (var i = 0; i < columns.Count; i++) record[columns[i].Label] = DataApiFields.Json(values[i], options);
        return record;
    }

    private static async Task<IReadOnlyList<JsonArray>> RunBatchAsync(IDataApiEngine engine, DbConnection connection, DbTransaction transaction,
        string sql, IReadOnlyList<IReadOnlyList<DataApiParameter>> sets, CancellationToken token)
    {
        var results = new List<JsonArray>(sets.Count);
        foreach (var set in sets)
        {
            await using var command = Command(engine, connection, transaction, sql, set);
            var updated = await command.ExecuteNonQueryAsync(token);
            results.Add(engine.GeneratedFields(command, Math.Max(updated, 0)));
        }
        return results;
    }

    public void Dispose() => _transactions.Dispose();
}
