using Stratus.Protocols;

namespace Stratus.Services.Logs;

/// <summary>
/// The operations of botocore's logs model that Stratus does not serve, each with the reason README's CloudWatch Logs
/// section gives. They answer InvalidOperationException naming the operation and the reason, never a fake answer.
/// </summary>
public static class LogsNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("vended log deliveries are not built",
            ["CreateDelivery", "DeleteDelivery", "DeleteDeliveryDestination", "DeleteDeliveryDestinationPolicy", "DeleteDeliverySource", "DescribeConfigurationTemplates",
             "DescribeDeliveries", "DescribeDeliveryDestinations", "DescribeDeliverySources", "GetDelivery", "GetDeliveryDestination", "GetDeliveryDestinationPolicy",
             "GetDeliverySource", "PutDeliveryDestination", "PutDeliveryDestinationPolicy", "PutDeliverySource", "UpdateDeliveryConfiguration"]),
        ("cross-account subscription destinations deliver to Kinesis, which Stratus does not serve",
            ["DeleteDestination", "DescribeDestinations", "PutDestination", "PutDestinationPolicy"]),
        ("log anomaly detection is not built",
            ["CreateLogAnomalyDetector", "DeleteLogAnomalyDetector", "GetLogAnomalyDetector", "ListAnomalies", "ListLogAnomalyDetectors", "UpdateAnomaly", "UpdateLogAnomalyDetector"]),
        ("import tasks import from CloudTrail Lake event data stores (the only source the model names), which Stratus does not serve",
            ["CancelImportTask", "CreateImportTask", "DescribeImportTaskBatches", "DescribeImportTasks"]),
        ("integrations send log data to Amazon OpenSearch Service or Amazon S3 Tables, which Stratus does not serve",
            ["AssociateSourceToS3TableIntegration", "DeleteIntegration", "DisassociateSourceFromS3TableIntegration", "GetIntegration", "ListIntegrations",
             "ListSourcesForS3TableIntegration", "PutIntegration"]),
        ("field listings and aggregate summaries are by a log group's data source (set by vended log deliveries), which Stratus does not record",
            ["GetLogFields", "ListAggregateLogGroupSummaries"]),
        ("log objects are the large fields of events ingested through PutOpenTelemetryLogs (the OTLP endpoint), which Stratus does not serve", ["GetLogObject"]),
        ("bearer tokens for CloudWatch Logs are IAM service-specific credentials, which Stratus does not issue (it authenticates CloudWatch Logs calls by SigV4)", ["PutBearerTokenAuthentication"]));
}
