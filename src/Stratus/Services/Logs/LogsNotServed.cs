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
        ("import tasks are not built", ["CancelImportTask", "CreateImportTask", "DescribeImportTaskBatches", "DescribeImportTasks"]),
        ("scheduled queries are not built",
            ["CreateScheduledQuery", "DeleteScheduledQuery", "GetScheduledQuery", "GetScheduledQueryHistory", "ListScheduledQueries", "UpdateScheduledQuery"]),
        ("OpenSearch and S3 Tables integrations are not built",
            ["AssociateSourceToS3TableIntegration", "DeleteIntegration", "DisassociateSourceFromS3TableIntegration", "GetIntegration", "ListIntegrations",
             "ListSourcesForS3TableIntegration", "PutIntegration"]),
        ("Live Tail streams its events over an HTTP/2 event stream, which Stratus does not serve", ["StartLiveTail"]),
        ("newer log group features (field listing across data sources, log objects, aggregate summaries, bearer token authentication) are not built yet",
            ["GetLogFields", "GetLogObject", "ListAggregateLogGroupSummaries", "PutBearerTokenAuthentication"]));
}
