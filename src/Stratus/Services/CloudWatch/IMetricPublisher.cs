namespace Stratus.Services.CloudWatch;

/// <summary>
/// Where services publish their own metrics (AWS/Lambda, AWS/ApiGateway). Callers are on request and
/// invoke paths: implementations must return at once and aggregate off that path.
/// </summary>
public interface IMetricPublisher
{
    void Publish(MetricDatum datum);
}

public sealed record MetricDatum(
    string AccountId,
    string Region,
    string Namespace,
    string MetricName,
    IReadOnlyList<KeyValuePair<string, string>> Dimensions,
    double Value,
    string Unit,
    DateTimeOffset Timestamp);
