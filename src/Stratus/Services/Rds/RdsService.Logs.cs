using System.Text;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// The server's own log files under the names RDS gives them (error/mysql-error.log, slowquery/mysql-slowquery.log,
/// general/mysql-general.log), and CopyDBSnapshot, a real copy of the snapshot's files.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>RDS returns at most 10,000 lines and 1 MB in one portion.</summary>
    private const int MaxPortionLines = 10_000;
    private const int MaxPortionBytes = 1024 * 1024;

    /// <summary>The instance's log files that exist now (the slow query and general logs only once a parameter group turns them on).</summary>
    public IReadOnlyList<RdsLogFile> LogFiles(Scope scope, string identifier)
    {
        var instance = GetInstance(scope, identifier);
        return ServerOf(instance).LogFiles
            .Select(f => new FileInfo(f.Item2) is { Exists: true } info ? new RdsLogFile(f.Item1, info.FullName, info.Length, info.LastWriteTimeUtc) : null)
            .OfType<RdsLogFile>().ToList();
    }

    public RdsPage<RdsLogFile> DescribeLogFiles(Scope scope, string identifier, string? nameContains, long? writtenAfterMs, long? largerThan, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var files = LogFiles(scope, identifier)
            .Where(f => nameContains is null || f.Name.Contains(nameContains, StringComparison.Ordinal))
            .Where(f => writtenAfterMs is null || f.LastWritten.ToUnixTimeMilliseconds() > writtenAfterMs)
            .Where(f => largerThan is null || f.Size > largerThan).ToList();
        return Page(files, f => f.Name, marker, max);
    }

    /// <summary>
    /// A portion of a log, as RDS pages it: with a Marker ("0" is the start), up to NumberOfLines lines after it; without
    /// one, the last NumberOfLines lines (10,000 when not given). The marker is the byte offset where the next portion starts.
    /// </summary>
    public RdsLogPortion DownloadLogFilePortion(Scope scope, string identifier, string logFileName, string? marker, int? numberOfLines)
    {
        var file = LogFiles(scope, identifier).FirstOrDefault(f => f.Name == logFileName) ?? throw RdsErrors.LogFileNotFound(logFileName);
        if (numberOfLines is < 1) throw RdsErrors.InvalidValue($"Invalid value {numberOfLines} for NumberOfLines: must be at least 1.");
        var lines = Math.Min(numberOfLines ?? MaxPortionLines, MaxPortionLines);
        using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        if (marker is null)
        {
            var start = TailStart(stream, length, lines);
            return new RdsLogPortion(Read(stream, start, (int)(length - start)), length.ToString(), false);
        }
        if (!long.TryParse(marker, out var offset) || offset < 0)
            throw RdsErrors.InvalidValue($"Invalid value {marker} for Marker: use \"0\" or the Marker a previous portion returned.");
        offset = Math.Min(offset, length);
        var end = LinesEnd(stream, offset, length, lines);
        return new RdsLogPortion(Read(stream, offset, (int)(end - offset)), end.ToString(), end < length);
    }

    /// <summary>Where the last <paramref name="lines"/> lines begin, no more than 1 MB before the end.</summary>
    private static long TailStart(FileStream stream, long length, int lines)
    {
        var floor = Math.Max(0, length - MaxPortionBytes);
        var buffer = new byte[(int)(length - floor)];
        stream.Position = floor;
        stream.ReadExactly(buffer);
        var seen = 0;
        // A final line without its newline counts as a line too.
        for (var i = buffer.Length - 2; i >= 0; i--)
            if (buffer[i] == (byte)'\n' && ++seen == lines) return floor + i + 1;
        return floor;
    }

    /// <summary>The offset after <paramref name="lines"/> whole lines from <paramref name="offset"/>, within 1 MB.</summary>
    private static long LinesEnd(FileStream stream, long offset, long length, int lines)
    {
        var buffer = new byte[(int)Math.Min(MaxPortionBytes, length - offset)];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        var seen = 0;
        for (var i = 0; i < buffer.Length; i++)
            if (buffer[i] == (byte)'\n' && ++seen == lines) return offset + i + 1;
        return offset + buffer.Length;
    }

    private static string Read(FileStream stream, long offset, int count)
    {
        var buffer = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer);
    }

    // ---- snapshot copies ----

    /// <summary>
    /// Copies a snapshot's files into a new manual snapshot of the caller's in the background; a restore of the copy holds the
    /// same data. The source may be another account's shared with the caller, named by its ARN.
    /// </summary>
    public DbSnapshot CopySnapshot(Scope scope, string source, string target, IReadOnlyList<RdsTag> tags, bool copyTags)
    {
        var original = RestorableSnapshot(scope, source);
        if (original.Status != "available") throw RdsErrors.InvalidSnapshotState($"Snapshot {original.Identifier} is not in available state.");
        var id = RdsRules.SnapshotIdentifier("TargetDBSnapshotIdentifier", target);
        var fleet = RequireFleet();
        var copy = original with
        {
            AccountId = scope.AccountId,
            Identifier = id,
            ResourceId = NewResourceId("snap-"),
            SnapshotCreateTime = Now,
            Status = "creating",
            SnapshotType = "manual",
            SourceSnapshotArn = original.Arn,
            Tags = copyTags && tags.Count == 0 ? OwnTags(scope, original) : tags,
            OptionGroupName = original.AccountId == scope.AccountId ? original.OptionGroupName : null,
            SharedAccounts = [],
        };
        RequireQuota(scope, _instanceSnapshotShelf.Quota);
        if (!_snapshots.TryAdd(SnapshotKey(copy), copy)) throw RdsErrors.SnapshotAlreadyExists(id);
        Event(copy, $"Copying snapshot {original.Identifier}", "creation");
        var task = Task.Run(() =>
        {
            try
            {
                Engine.DbFleet.CopyDirectory(fleet.SnapshotDataDir(original.ResourceId), fleet.SnapshotDataDir(copy.ResourceId));
                if (_snapshots.Update(SnapshotKey(copy), s => s with { Status = "available" }) is { } done) Event(done, "Finished copy of snapshot", "creation");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _snapshots.Update(SnapshotKey(copy), s => s with { Status = "failed" });
                Event(copy, $"The copy of snapshot {original.Identifier} failed: {e.Message}", "failure");
            }
        });
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
        return copy;
    }
}
