using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// A snapshot export to S3 (StartExportTask), as DescribeExportTasks reports it, with what its run needs: the source's
/// engine and data (a snapshot's resource id; a cluster's is copied from its writer when the run starts) and the id of
/// the throwaway server the run reads the tables from.
/// </summary>
public sealed record RdsExportTask : IRdsListed
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>ExportTaskIdentifier.</summary>
    public required string Identifier { get; init; }
    public required string SourceArn { get; init; }
    /// <summary>SNAPSHOT (a DB snapshot or DB cluster snapshot) or CLUSTER (a DB cluster, exported from a copy taken at the start).</summary>
    public required string SourceType { get; init; }
    public required string Engine { get; init; }
    /// <summary>The snapshot's resource id, whose data directory the run copies; null for a cluster source.</summary>
    public string? SnapshotResourceId { get; init; }
    public required int Port { get; init; }
    /// <summary>Names the throwaway server's home under the fleet (never an RDS instance).</summary>
    public required string WorkId { get; init; }
    public required IReadOnlyList<string> ExportOnly { get; init; }
    public DateTimeOffset? SnapshotTime { get; init; }
    public required DateTimeOffset TaskStartTime { get; init; }
    public DateTimeOffset? TaskEndTime { get; init; }
    public required string S3Bucket { get; init; }
    public required string S3Prefix { get; init; }
    public required string IamRoleArn { get; init; }
    public required string KmsKeyId { get; init; }
    public required string Status { get; init; }
    public int PercentProgress { get; init; }
    public int TotalExtractedDataInGB { get; init; }
    public string? FailureCause { get; init; }
    public string? WarningMessage { get; init; }

    public bool IsActive => Status is RdsExportStatus.Starting or RdsExportStatus.InProgress or RdsExportStatus.Canceling;

    /// <summary>Where the export's files go: S3Prefix/ExportTaskIdentifier/ (the prefix may be empty).</summary>
    public string KeyPrefix => (S3Prefix.Trim('/') is { Length: > 0 } prefix ? prefix + "/" : "") + Identifier + "/";
}

/// <summary>ExportTask.Status values, as RDS spells them.</summary>
public static class RdsExportStatus
{
    public const string Starting = "STARTING";
    public const string InProgress = "IN_PROGRESS";
    public const string Complete = "COMPLETE";
    public const string Failed = "FAILED";
    public const string Canceling = "CANCELING";
    public const string Canceled = "CANCELED";
}

/// <summary>StartExportTask's members.</summary>
public sealed record StartExportTaskRequest(string Identifier, string SourceArn, string S3BucketName, string IamRoleArn, string KmsKeyId,
    string? S3Prefix, IReadOnlyList<string> ExportOnly)
{
    public static StartExportTaskRequest Read(IInputReader input) => new(input.Required("ExportTaskIdentifier"), input.Required("SourceArn"),
        input.Required("S3BucketName"), input.Required("IamRoleArn"), input.Required("KmsKeyId"), input.String("S3Prefix"), input.Strings("ExportOnly"));
}
