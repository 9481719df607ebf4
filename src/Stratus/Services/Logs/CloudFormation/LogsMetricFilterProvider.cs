using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs.CloudFormation;

/// <summary>AWS::Logs::MetricFilter through LogsService, its transformation read with PutMetricFilter's own input. Ref is the filter name.</summary>
public sealed class LogsMetricFilterProvider(LogsService logs) : IResourceProvider
{
    public string Type => "AWS::Logs::MetricFilter";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FilterName", "LogGroupName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        Task.FromResult(Put(request, request.Properties.String("FilterName") ?? request.GeneratedName(512)));

    // PutMetricFilter replaces a filter of the same name in place.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Put(request, current.PhysicalId));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => logs.DeleteMetricFilter(request.Scope, request.Properties.Required("LogGroupName"), current.PhysicalId),
            "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request, string name)
    {
        var p = request.Properties;
        logs.PutMetricFilter(request.Scope, p.Required("LogGroupName"), name, p.String("FilterPattern") ?? throw p.Missing("FilterPattern"),
            MetricTransformation.ReadSingle(p));
        return new ProvisionedResource(name, new Dictionary<string, string>());
    }
}
