using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// What HTTP and WebSocket APIs' stages record the same way, through the CloudWatch and Logs domain interfaces: metrics in
/// AWS/ApiGateway per ApiId and Stage (and per route where detailed metrics are on), the stage's access log line in its format,
/// and execution log lines in API-Gateway-Execution-Logs_{api-id}/{stage}, one stream per request, as REST APIs write theirs.
/// </summary>
public sealed class StageTelemetry(IMetricPublisher metrics, ILogWriter logs)
{
    public const string Namespace = "AWS/ApiGateway";

    /// <param name="routeKey">The route (null for a request no route took) whose detailed metrics (dimensions ApiId, Stage, Route) are published too, where the stage enables them.</param>
    public void Publish(ServedStage stage, string? routeKey, string name, double value, string unit, DateTimeOffset at)
    {
        IReadOnlyList<KeyValuePair<string, string>> dimensions = [new("ApiId", stage.Api.ApiId), new("Stage", stage.Stage.StageName)];
        metrics.Publish(new MetricDatum(stage.AccountId, stage.Region, Namespace, name, dimensions, value, unit, at));
        if (routeKey is not null && stage.RouteSettingsOf(routeKey).DetailedMetricsEnabled == true)
            metrics.Publish(new MetricDatum(stage.AccountId, stage.Region, Namespace, name, [.. dimensions, new("Route", routeKey)], value, unit, at));
    }

    /// <param name="variable">A $context variable's value by its name without the '$', or null when it has none.</param>
    public void WriteAccessLog(ServedStage stage, DateTimeOffset at, Func<string, string?> variable)
    {
        if (stage.Stage.AccessLogSettings is { DestinationArn: { } arn, Format: { } format } && AccessLog.LogGroup(arn) is { } group)
            logs.Append(group.Account, group.Region, group.Name, AccessLog.StreamName(stage.Api.ApiId, stage.Stage.StageName),
                [new LogLine(at, AccessLog.Format(format, variable))]);
    }

    public void WriteExecutionLog(ServedStage stage, string requestId, DateTimeOffset at, IReadOnlyList<string> lines) =>
        logs.Append(stage.AccountId, stage.Region, ExecutionLogGroup(stage.Api.ApiId, stage.Stage.StageName), requestId, [.. lines.Select(line => new LogLine(at, line))]);

    /// <summary>The log group API Gateway writes a stage's execution logs to.</summary>
    public static string ExecutionLogGroup(string apiId, string stageName) => $"API-Gateway-Execution-Logs_{apiId}/{stageName}";
}
