using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudWatch.CloudFormation;

/// <summary>
/// AWS::CloudWatch::AnomalyDetector through CloudWatchService, read as PutAnomalyDetector reads its request. Every property
/// replaces the detector, as on AWS (a detector is named by what it models). Ref is a generated id.
/// </summary>
public sealed class CloudWatchAnomalyDetectorProvider(CloudWatchService cloudWatch) : IResourceProvider
{
    public string Type => "AWS::CloudWatch::AnomalyDetector";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
    {
        "Configuration", "Dimensions", "MetricCharacteristics", "MetricMathAnomalyDetector", "MetricName", "Namespace", "SingleMetricAnomalyDetector", "Stat",
    };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        cloudWatch.PutAnomalyDetector(request.Scope, AnomalyDetector.Read(request.Properties, request.Scope));
        return Task.FromResult(new ProvisionedResource(request.GeneratedName(64), new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => cloudWatch.DeleteAnomalyDetector(request.Scope, AnomalyDetector.Read(request.Properties, request.Scope)), "ResourceNotFoundException");
        return Task.CompletedTask;
    }
}
