using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Snapshot exports to S3 on the wire: StartExportTask and CancelExportTask answer the ExportTask itself, DescribeExportTasks a page of them.</summary>
public sealed partial class RdsApi
{
    private void AddExportOperations(OperationTable table)
    {
        table.Add("StartExportTask", i => ExportTaskBody(_rds.StartExportTask(i.Scope, StartExportTaskRequest.Read(i))));
        table.Add("DescribeExportTasks", i => Paged(_rds.DescribeExportTasks(i.Scope, i.String("ExportTaskIdentifier"), i.String("SourceArn"),
            i.String("SourceType"), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "ExportTasks", ExportTaskBody));
        table.Add("CancelExportTask", i => ExportTaskBody(_rds.CancelExportTask(i.Scope, i.Required("ExportTaskIdentifier"))));
    }

    private static JsonObject ExportTaskBody(RdsExportTask t) => new()
    {
        ["ExportTaskIdentifier"] = t.Identifier,
        ["SourceArn"] = t.SourceArn,
        ["ExportOnly"] = new JsonArray(t.ExportOnly.Select(e => (JsonNode)e).ToArray()),
        ["SnapshotTime"] = t.SnapshotTime,
        ["TaskStartTime"] = t.TaskStartTime,
        ["TaskEndTime"] = t.TaskEndTime,
        ["S3Bucket"] = t.S3Bucket,
        ["S3Prefix"] = t.S3Prefix,
        ["IamRoleArn"] = t.IamRoleArn,
        ["KmsKeyId"] = t.KmsKeyId,
        ["Status"] = t.Status,
        ["PercentProgress"] = t.PercentProgress,
        ["TotalExtractedDataInGB"] = t.TotalExtractedDataInGB,
        ["FailureCause"] = t.FailureCause,
        ["WarningMessage"] = t.WarningMessage,
        ["SourceType"] = t.SourceType,
    };
}
