using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.S3;

namespace Stratus.Services.Logs;

/// <summary>
/// Export tasks: a group's events in a time range written to a bucket of Stratus's S3 (through its domain, as the
/// account), laid out as AWS lays them out: <c>PREFIX/aws-logs-write-test</c> when the task is created (AWS's
/// permission check), then <c>PREFIX/TASK-ID/STREAM/000000.gz</c>, ... gzip files of lines
/// <c>2026-12-05T12:00:00.000Z message</c>. One task runs at a time per account, as AWS allows; a task still
/// pending or running when Stratus stops is run again at the next start.
/// </summary>
public sealed partial class LogsService
{
    /// <summary>Raw bytes per exported file before the next one starts.</summary>
    private const long MaxExportFileBytes = 64L * 1024 * 1024;

    private readonly ResourceTable<ExportTask> _exportTasks;
    private readonly Func<S3Service?> _s3;
    private readonly ConcurrentDictionary<string, Task> _exportRuns = new(StringComparer.Ordinal);

    public async Task<string> CreateExportTaskAsync(Scope scope, string? taskName, string groupName, string? streamPrefix, long from, long to,
        string destination, string? destinationPrefix, CancellationToken cancellation)
    {
        if (from < 0 || to < from)
            throw LogsErrors.InvalidParameter($"Specified time range of {from} and {to} is not valid. Please make sure the values are within the retention period of the log group and from value is less than the to value");
        var group = Group(scope, groupName);
        var s3 = _s3() ?? throw new InvalidOperationException("S3 is not composed yet.");
        if (!s3.BucketExists(destination)) throw LogsErrors.InvalidParameter("The specified bucket does not exist.");
        var prefix = (destinationPrefix ?? "exportedlogs").Trim('/');
        var task = new ExportTask(scope.AccountId, scope.Region, Guid.NewGuid().ToString(), taskName, group.Name, streamPrefix, from, to, destination,
            prefix, ExportTaskStatus.Pending, "Pending execution", NowMs, null);
        lock (_createGate)
        {
            if (_exportTasks.Values.Any(t => t.AccountId == scope.AccountId && t.Status is ExportTaskStatus.Pending or ExportTaskStatus.Running))
                throw LogsErrors.ResourceLimitExceeded();
            _exportTasks.Put(ExportKey(task), task);
        }
        try
        {
            // AWS's check that it may write to the bucket, left behind as on AWS; another account's bucket is refused here.
            await WriteObjectAsync(s3, scope, destination, Key(prefix, "aws-logs-write-test"), Encoding.UTF8.GetBytes("Permission Check Successful"), cancellation);
        }
        catch (AwsException)
        {
            _exportTasks.Remove(ExportKey(task));
            throw LogsErrors.InvalidParameter("GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation.");
        }
        StartExport(task);
        return task.TaskId;
    }

    public IReadOnlyList<ExportTask> DescribeExportTasks(Scope scope, string? taskId, string? status) =>
        _exportTasks.Values
            .Where(t => t.AccountId == scope.AccountId && t.Region == scope.Region)
            .Where(t => taskId is null || t.TaskId == taskId)
            .Where(t => status is null || t.Status == status)
            .OrderByDescending(t => t.CreationTime).ThenBy(t => t.TaskId, StringComparer.Ordinal).ToList();

    public void CancelExportTask(Scope scope, string taskId)
    {
        var key = ResourceTable<ExportTask>.Key(scope.AccountId, scope.Region, taskId);
        var cancelled = false;
        var found = _exportTasks.Update(key, t =>
        {
            if (t.Status is not (ExportTaskStatus.Pending or ExportTaskStatus.Running)) return t;
            cancelled = true;
            return t with { Status = ExportTaskStatus.Cancelled, StatusMessage = "Cancelled by user", CompletionTime = NowMs };
        });
        if (found is null) throw LogsErrors.ExportTaskNotFound();
        if (!cancelled) throw LogsErrors.ExportTaskFinished();
    }

    private void ResumeExportTasks()
    {
        foreach (var task in _exportTasks.Values.Where(t => t.Status is ExportTaskStatus.Pending or ExportTaskStatus.Running).ToList())
            StartExport(task);
    }

    private void StartExport(ExportTask task) =>
        _exportRuns[task.TaskId] = Task.Run(async () =>
        {
            try
            {
                await RunExportAsync(task);
            }
            finally
            {
                _exportRuns.TryRemove(task.TaskId, out _);
            }
        });

    private async Task RunExportAsync(ExportTask task)
    {
        var key = ExportKey(task);
        var scope = Scope.Of(task.AccountId, task.Region);
        if (!Move(key, ExportTaskStatus.Pending, ExportTaskStatus.Running, "Started export") && _exportTasks.Get(key)?.Status != ExportTaskStatus.Running) return;
        try
        {
            // A task resumed at start-up may run before S3 is composed.
            S3Service? s3;
            while ((s3 = _s3()) is null) await Task.Delay(100, _stopping.Token);
            var group = Group(scope, task.LogGroupName);
            CheckReadable(group);
            var viewer = Viewer(group, unmask: false);
            foreach (var stream in StreamsOf(group).Where(s => task.LogStreamNamePrefix is null || s.Name.StartsWith(task.LogStreamNamePrefix, StringComparison.Ordinal))
                         .OrderBy(s => s.Name, StringComparer.Ordinal).ToList())
            {
                var file = 0;
                var lines = new MemoryStream();
                foreach (var stored in _events.Events(StreamKey(stream)).Where(e => e.Timestamp >= task.From && e.Timestamp <= task.To))
                {
                    // Exported as any reader sees it: masked by the group's data protection, as at every egress point.
                    var e = viewer is null ? stored : viewer(stored);
                    var line = Encoding.UTF8.GetBytes(DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp).UtcDateTime
                        .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) + " " + e.Message + "\n");
                    lines.Write(line);
                    if (lines.Length < MaxExportFileBytes) continue;
                    if (!await WriteExportFileAsync(s3, scope, task, stream.Name, file++, lines)) return;
                    lines = new MemoryStream();
                }
                if (lines.Length > 0 && !await WriteExportFileAsync(s3, scope, task, stream.Name, file, lines)) return;
            }
            Move(key, ExportTaskStatus.Running, ExportTaskStatus.Completed, "Completed successfully");
        }
        catch (OperationCanceledException)
        {
            // Stratus is stopping: the task stays running and is run again at the next start.
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Export task {Task} failed", task.TaskId);
            Move(key, ExportTaskStatus.Running, ExportTaskStatus.Failed, e is AwsException aws ? aws.Message : "The export failed.");
        }
    }

    /// <summary>Writes one gzip file of a stream's lines; false when the task was cancelled meanwhile (nothing more is written).</summary>
    private async Task<bool> WriteExportFileAsync(S3Service s3, Scope scope, ExportTask task, string stream, int file, MemoryStream lines)
    {
        if (_exportTasks.Get(ExportKey(task))?.Status != ExportTaskStatus.Running) return false;
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            lines.Position = 0;
            await lines.CopyToAsync(gzip, _stopping.Token);
        }
        await WriteObjectAsync(s3, scope, task.Destination, Key(task.DestinationPrefix, task.TaskId, stream, file.ToString("D6", CultureInfo.InvariantCulture) + ".gz"),
            compressed.ToArray(), _stopping.Token);
        return true;
    }

    private static async Task WriteObjectAsync(S3Service s3, Scope scope, string bucket, string key, byte[] content, CancellationToken cancellation)
    {
        using var body = new MemoryStream(content);
        await s3.PutObjectAsync(scope, bucket, key, body, new S3WriteRequest { Digests = new S3Digests() }, cancellation);
    }

    private static string Key(params string[] parts) => string.Join('/', parts.Where(p => p.Length > 0));

    private bool Move(string key, string from, string to, string message)
    {
        var moved = false;
        _exportTasks.Update(key, t =>
        {
            if (t.Status != from) return t;
            moved = true;
            return t with { Status = to, StatusMessage = message, CompletionTime = to is ExportTaskStatus.Completed or ExportTaskStatus.Failed ? NowMs : t.CompletionTime };
        });
        return moved;
    }

    private static string ExportKey(ExportTask t) => ResourceTable<ExportTask>.Key(t.AccountId, t.Region, t.TaskId);

    /// <summary>The exports still writing, for Dispose to wait on.</summary>
    private Task[] RunningExports() => [.. _exportRuns.Values];
}
