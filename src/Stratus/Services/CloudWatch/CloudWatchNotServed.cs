using Stratus.Protocols;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// The operations of botocore's cloudwatch model that Stratus does not serve, each with the reason README's CloudWatch
/// section gives. They answer InvalidAction naming the operation and the reason, never a fake answer.
/// </summary>
public static class CloudWatchNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("metric streams deliver to Kinesis Data Firehose, which Stratus does not serve",
            ["DeleteMetricStream", "GetMetricStream", "ListMetricStreams", "PutMetricStream", "StartMetricStreams", "StopMetricStreams"]),
        ("OpenTelemetry enrichment adds resource ARN and tag labels to vended metrics for PromQL queries, which Stratus does not serve (GetMetricData and ListMetrics never show those labels)",
            ["GetOTelEnrichment", "StartOTelEnrichment", "StopOTelEnrichment"]));
}
