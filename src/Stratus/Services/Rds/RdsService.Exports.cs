using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam;
using Stratus.Services.Kms;
using Stratus.Services.Rds.Engine;
using Stratus.Services.Rds.Engine.Export;
using Stratus.Services.S3;

namespace Stratus.Services.Rds;

/// <summary>
/// Snapshot exports to S3 (StartExportTask, DescribeExportTasks, CancelExportTask). A task starts a throwaway server of the
/// snapshot's engine on a copy of its data (as a restore does, but under the fleet's own id, never an RDS instance), or on an
/// online copy of a cluster's writer, reads every table the ExportOnly list keeps and writes each as a GZIP Parquet file into
/// the bucket through S3's domain, as the account, under AWS's layout:
/// <c>PREFIX/EXPORT_ID/DATABASE/SCHEMA.TABLE/1/part-00000-UUID-c000.gz.parquet</c>, then the summary files
/// <c>export_info_EXPORT_ID.json</c> and <c>export_tables_info_EXPORT_ID_from_1_to_N.json</c>. A task still running when
/// Stratus stops starts over at the next start (its files are written again under the same names).
/// </summary>
public sealed partial class RdsService
{
    private const long BytesPerGb = 1L << 30;

    private readonly ResourceTable<RdsExportTask> _exportTasks;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _exportRuns = new(StringComparer.Ordinal);
    private S3Service? _exportBuckets;
    private IKmsKeyUse? _exportKeys;

    /// <summary>
    /// Gives exports the services built after RDS: S3, which they write into, and KMS, whose key they name. Tasks a stopped
    /// Stratus left running start over now.
    /// </summary>
    public void ExportSnapshotsTo(S3Service s3, IKmsKeyUse kms)
    {
        _exportBuckets = s3;
        _exportKeys = kms;
        if (_fleet is null) return;
        foreach (var task in _exportTasks.Values.Where(t => t.IsActive).ToList())
        {
            if (task.Status == RdsExportStatus.Canceling) FinishExport(task, RdsExportStatus.Canceled, null);
            else RunExport(task);
        }
    }

    public RdsExportTask StartExportTask(Scope scope, StartExportTaskRequest request)
    {
        var s3 = _exportBuckets ?? throw new InvalidOperationException("S3 is not composed yet.");
        var identifier = RdsRules.ExportTaskIdentifier(request.Identifier);
        var source = ExportSource(scope, request.SourceArn);
        RdsRules.ExportOnly(request.ExportOnly, source.Engine);
        RequireEngine(source.Engine);
        RequireFleet();
        if (request.S3Prefix?.Contains(':') == true) throw RdsErrors.InvalidValue("The S3 prefix can't contain a colon (:).");
        S3Bucket bucket;
        try
        {
            bucket = s3.GetBucket(scope, request.S3BucketName);
        }
        catch (AwsException)
        {
            throw RdsErrors.InvalidS3Bucket(request.S3BucketName);
        }
        if (bucket.Region != scope.Region) throw RdsErrors.InvalidS3Bucket(request.S3BucketName);
        var role = _roles?.FindRoleByArn(request.IamRoleArn) ?? throw RdsErrors.IamRoleNotFound(request.IamRoleArn);
        if (!PolicyDocument.TrustsService(role.AssumeRolePolicyDocument, "export.rds.amazonaws.com")) throw RdsErrors.IamRoleMissingPermissions(request.IamRoleArn);
        try
        {
            (_exportKeys ?? throw new InvalidOperationException("KMS is not composed yet.")).CheckDecryptable(scope, request.KmsKeyId);
        }
        catch (AwsException)
        {
            throw RdsErrors.KmsKeyNotAccessible();
        }

        var task = new RdsExportTask
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Identifier = identifier,
            SourceArn = request.SourceArn,
            SourceType = source.SourceType,
            Engine = source.Engine,
            SnapshotResourceId = source.SnapshotResourceId,
            SnapshotTime = source.SnapshotTime,
            Port = source.Port,
            WorkId = "export-" + NewResourceId("").ToLowerInvariant(),
            ExportOnly = request.ExportOnly,
            TaskStartTime = Now,
            S3Bucket = bucket.Name,
            S3Prefix = request.S3Prefix ?? "",
            IamRoleArn = request.IamRoleArn,
            KmsKeyId = request.KmsKeyId,
            Status = RdsExportStatus.Starting,
        };
        lock (_exportRuns)
        {
            if (_exportTasks.Get(ExportKey(task)) is not null) throw RdsErrors.ExportTaskAlreadyExists(identifier);
            // AWS runs one export of a snapshot or cluster at a time.
            if (_exportTasks.Values.Any(t => t.AccountId == scope.AccountId && t.SourceArn == task.SourceArn && t.IsActive))
                throw RdsErrors.InvalidExportSourceState($"An export task of {task.SourceArn} is already in progress.");
            if (!_exportTasks.TryAdd(ExportKey(task), task)) throw RdsErrors.ExportTaskAlreadyExists(identifier);
        }
        RunExport(task);
        return task;
    }

    public RdsPage<RdsExportTask> DescribeExportTasks(Scope scope, string? identifier, string? sourceArn, string? sourceType,
        IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords) =>
        DescribePage(scope, _exportTasks.Values, id => GetExportTask(scope, id), identifier,
            t => (sourceArn is null || t.SourceArn == sourceArn) && (sourceType is null || t.SourceType == sourceType), filters, (name, values) => name switch
            {
                "export-task-identifier" => t => values.Contains(t.Identifier),
                "s3-bucket" => t => values.Contains(t.S3Bucket),
                "source-arn" => t => values.Contains(t.SourceArn),
                "status" => t => values.Any(v => v.Equals(t.Status, StringComparison.OrdinalIgnoreCase)),
                _ => null,
            }, marker, maxRecords);

    public RdsExportTask GetExportTask(Scope scope, string identifier) =>
        _exportTasks.Get(ResourceTable<RdsExportTask>.Key(scope.AccountId, scope.Region, identifier.ToLowerInvariant()))
        ?? throw RdsErrors.ExportTaskNotFound(identifier);

    /// <summary>
    /// Stops a task that is starting or in progress: CANCELING until its run has stopped, then CANCELED. What it already wrote
    /// stays in the bucket, as AWS documents ("Any data that has already been written to the S3 bucket isn't removed").
    /// </summary>
    public RdsExportTask CancelExportTask(Scope scope, string identifier)
    {
        var task = GetExportTask(scope, identifier);
        if (task.Status is not (RdsExportStatus.Starting or RdsExportStatus.InProgress))
            throw RdsErrors.ExportTaskNotCancelable(task.Identifier, task.Status);
        var canceling = _exportTasks.Update(ExportKey(task), t => t.Status is RdsExportStatus.Starting or RdsExportStatus.InProgress
            ? t with { Status = RdsExportStatus.Canceling } : t) ?? throw RdsErrors.ExportTaskNotFound(identifier);
        if (_exportRuns.TryGetValue(ExportKey(task), out var run)) run.Cancel();
        else FinishExport(canceling, RdsExportStatus.Canceled, null);
        return canceling;
    }

    /// <summary>What an export's SourceArn names: a DB snapshot or DB cluster snapshot that is available, or a DB cluster whose writer runs.</summary>
    private (string SourceType, string Engine, string? SnapshotResourceId, DateTimeOffset? SnapshotTime, int Port) ExportSource(Scope scope, string arn)
    {
        var parts = arn.Split(':');
        if (parts is not ["arn", _, "rds", _, _, var kind, var name]) throw RdsErrors.InvalidValue($"The source ARN {arn} isn't a DB snapshot, DB cluster snapshot or DB cluster ARN.");
        switch (kind)
        {
            case "snapshot":
                var snapshot = GetSnapshot(scope, name);
                RequireExportable(snapshot, arn);
                return ("SNAPSHOT", snapshot.Engine, snapshot.ResourceId, snapshot.SnapshotCreateTime, snapshot.Port);
            case "cluster-snapshot":
                var clusterSnapshot = GetClusterSnapshot(scope, name);
                RequireExportable(clusterSnapshot, arn);
                return ("SNAPSHOT", clusterSnapshot.Engine, clusterSnapshot.ResourceId, clusterSnapshot.SnapshotCreateTime, clusterSnapshot.Port);
            case "cluster":
                var cluster = GetCluster(scope, name);
                // AWS exports a cluster from a copy of it taken when the export starts; here an online copy of its writer.
                if (cluster.Status != "available" || Writer(cluster) is not { } writer || !Server(writer).SnapshotsOnline)
                    throw RdsErrors.InvalidExportSourceState($"The DB cluster {cluster.Identifier} must be available with a running writer that can be copied online to be exported.");
                return ("CLUSTER", cluster.Engine, null, null, cluster.Port);
            default:
                throw RdsErrors.InvalidValue($"The source ARN {arn} isn't a DB snapshot, DB cluster snapshot or DB cluster ARN.");
        }
    }

    private static void RequireExportable(RdsSnapshot snapshot, string arn)
    {
        if (snapshot.Status != "available") throw RdsErrors.InvalidExportSourceState($"The snapshot {arn} isn't available (it is {snapshot.Status}).");
    }

    private void RunExport(RdsExportTask task)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        _exportRuns[ExportKey(task)] = cancel;
        var run = Task.Run(async () =>
        {
            try
            {
                await ExportAsync(task, cancel.Token);
            }
            finally
            {
                _exportRuns.TryRemove(ExportKey(task), out _);
                cancel.Dispose();
            }
        });
        _background.TryAdd(run, 0);
        run.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task ExportAsync(RdsExportTask task, CancellationToken token)
    {
        var fleet = RequireFleet();
        var s3 = _exportBuckets!;
        var scope = Scope.Of(task.AccountId, task.Region);
        try
        {
            // A run cut short by a Stratus restart left its server's home behind: start over from a fresh copy.
            await fleet.DestroyAsync(task.WorkId);
            task = UpdateExport(task, t => t with { Status = RdsExportStatus.Starting, PercentProgress = 0 });
            var server = fleet.Server(task.WorkId, RequireEngine(task.Engine));
            var snapshotTime = await CopyExportSourceAsync(task, server, token);
            server.MarkInitialized();
            await fleet.StartAsync(task.WorkId, RequireEngine(task.Engine), null, task.Port, publiclyAccessible: false, token);
            task = UpdateExport(task, t => t with { Status = RdsExportStatus.InProgress, SnapshotTime = snapshotTime });

            var schemaIsDatabase = !RdsRules.IsPostgres(task.Engine);
            var tables = (await server.ExportTablesAsync(token))
                .Where(t => task.ExportOnly.Count == 0 || task.ExportOnly.Any(entry => t.IsNamedBy(entry, schemaIsDatabase))).ToList();
            var exported = new List<JsonObject>();
            long bytes = 0;
            foreach (var table in tables)
            {
                var (rows, size) = await ExportTableAsync(s3, scope, task, server, table, token);
                bytes += size;
                exported.Add(TableInfo(table, schemaIsDatabase, rows, size));
                var done = exported.Count;
                task = UpdateExport(task, t => t with { PercentProgress = done * 99 / tables.Count, TotalExtractedDataInGB = (int)(bytes / BytesPerGb) });
            }
            await WriteExportSummaryAsync(s3, scope, task, exported, bytes, token);
            FinishExport(task, RdsExportStatus.Complete, null);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Stratus is stopping: the task stays as it is and starts over at the next start.
        }
        catch (OperationCanceledException)
        {
            FinishExport(task, RdsExportStatus.Canceled, null);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Export task {Task} failed", task.Identifier);
            FinishExport(task, RdsExportStatus.Failed, e is AwsException aws ? aws.Message : $"The export failed: {e.Message}");
        }
        finally
        {
            await fleet.DestroyAsync(task.WorkId);
        }
    }

    /// <summary>Puts the source's data in the throwaway server's data directory; returns the moment it is of.</summary>
    private async Task<DateTimeOffset> CopyExportSourceAsync(RdsExportTask task, IDbServer server, CancellationToken token)
    {
        if (task.SnapshotResourceId is { } snapshot)
        {
            DbFleet.CopyDirectory(RequireFleet().SnapshotDataDir(snapshot), server.DataDir);
            return task.SnapshotTime ?? Now;
        }
        var scope = Scope.Of(task.AccountId, task.Region);
        var cluster = GetCluster(scope, task.SourceArn);
        var writer = Writer(cluster) ?? throw RdsErrors.InvalidExportSourceState($"The DB cluster {cluster.Identifier} has no writer to copy.");
        server.CreateHome();
        await Server(writer).SnapshotOnlineAsync(server.DataDir, token);
        return Now;
    }

    /// <summary>Reads one table into a Parquet file beside the server, then puts it into the bucket; returns its rows and bytes.</summary>
    private static async Task<(long Rows, long Bytes)> ExportTableAsync(S3Service s3, Scope scope, RdsExportTask task, IDbServer server, ExportTable table,
        CancellationToken token)
    {
        var file = Path.Combine(server.Home, "export-table.parquet");
        long rows;
        await using (var connection = await server.OpenAdminConnectionAsync(table.Database, token))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => c.Select))} FROM {table.From}";
            command.CommandTimeout = 0;
            await using var reader = await command.ExecuteReaderAsync(token);
            await using var output = File.Create(file);
            rows = await ParquetTableWriter.WriteAsync(table, reader, output, token);
        }
        var size = new FileInfo(file).Length;
        await using (var body = File.OpenRead(file))
            await s3.PutObjectAsync(scope, task.S3Bucket, $"{task.KeyPrefix}{table.Folder}/1/part-00000-{PartId(task, table)}-c000.gz.parquet", body,
                new S3WriteRequest { Digests = new S3Digests() }, token);
        File.Delete(file);
        return (rows, size);
    }

    /// <summary>A part file's UUID, the same for a table each time its task runs, so a run that starts over replaces its files.</summary>
    private static Guid PartId(RdsExportTask task, ExportTable table) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes(task.WorkId + "/" + table.Folder)).AsSpan(0, 16));

    /// <summary>One table's entry in export_tables_info (Stratus's shape: AWS does not publish the file's schema).</summary>
    private static JsonObject TableInfo(ExportTable table, bool schemaIsDatabase, long rows, long bytes) => new()
    {
        ["target"] = schemaIsDatabase ? $"{table.Database}.{table.Name}" : $"{table.Database}.{table.Schema}.{table.Name}",
        ["status"] = RdsExportStatus.Complete,
        ["tableStatistics"] = new JsonObject { ["extractedRows"] = rows, ["extractedSizeInBytes"] = bytes },
        ["schemaMetadata"] = new JsonObject
        {
            ["originalTypeMappings"] = new JsonArray(table.Columns.Select(c => (JsonNode)new JsonObject
            {
                ["columnName"] = c.Name,
                ["originalType"] = c.OriginalType,
                ["expectedExportedType"] = c.Type == ParquetColumnType.Decimal ? $"DECIMAL({c.Precision},{c.Scale})" : c.Type.ToString().ToUpperInvariant(),
            }).ToArray()),
        },
    };

    private static async Task WriteExportSummaryAsync(S3Service s3, Scope scope, RdsExportTask task, IReadOnlyList<JsonObject> tables, long bytes,
        CancellationToken token)
    {
        var info = new JsonObject
        {
            ["exportTaskIdentifier"] = task.Identifier,
            ["sourceArn"] = task.SourceArn,
            ["exportOnly"] = new JsonArray(task.ExportOnly.Select(e => (JsonNode)e).ToArray()),
            ["snapshotTime"] = task.SnapshotTime?.ToString("O"),
            ["taskStartTime"] = task.TaskStartTime.ToString("O"),
            ["s3Bucket"] = task.S3Bucket,
            ["s3Prefix"] = task.S3Prefix,
            ["exportedTables"] = tables.Count,
            ["totalExtractedDataInBytes"] = bytes,
        };
        await PutJsonAsync(s3, scope, task, $"export_info_{task.Identifier}.json", info, token);
        await PutJsonAsync(s3, scope, task, $"export_tables_info_{task.Identifier}_from_1_to_{tables.Count}.json",
            new JsonObject { ["perTableStatus"] = new JsonArray(tables.Select(t => (JsonNode)t.DeepClone()).ToArray()) }, token);
    }

    private static async Task PutJsonAsync(S3Service s3, Scope scope, RdsExportTask task, string name, JsonObject document, CancellationToken token)
    {
        using var body = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document));
        await s3.PutObjectAsync(scope, task.S3Bucket, task.KeyPrefix + name, body, new S3WriteRequest { ContentType = "application/json", Digests = new S3Digests() }, token);
    }

    private RdsExportTask UpdateExport(RdsExportTask task, Func<RdsExportTask, RdsExportTask> change) =>
        _exportTasks.Update(ExportKey(task), change) ?? task;

    private void FinishExport(RdsExportTask task, string status, string? failureCause) =>
        UpdateExport(task, t => t with
        {
            Status = status,
            PercentProgress = status == RdsExportStatus.Complete ? 100 : t.PercentProgress,
            FailureCause = failureCause,
            TaskEndTime = Now,
        });

    private static string ExportKey(RdsExportTask t) => ResourceTable<RdsExportTask>.Key(t.AccountId, t.Region, t.Identifier);
}
