using System.Collections.Concurrent;
using Stratus.Services.CloudWatch;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>A metric publisher that keeps what services publish, in order, for tests to read; safe across threads.</summary>
public sealed class RecordingMetrics : IMetricPublisher
{
    private readonly ConcurrentQueue<MetricDatum> _data = new();

    public IReadOnlyList<MetricDatum> Data => _data.ToList();

    public void Publish(MetricDatum datum) => _data.Enqueue(datum);
}
