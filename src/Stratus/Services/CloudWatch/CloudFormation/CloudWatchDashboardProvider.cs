using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudWatch.CloudFormation;

/// <summary>AWS::CloudWatch::Dashboard through CloudWatchService: the body checked as PutDashboard checks it. Ref is the dashboard name.</summary>
public sealed class CloudWatchDashboardProvider(CloudWatchService cloudWatch) : IResourceProvider
{
    public string Type => "AWS::CloudWatch::Dashboard";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DashboardName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        Task.FromResult(Put(request, request.Properties.String("DashboardName") ?? request.GeneratedName(255)));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Put(request, current.PhysicalId));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => cloudWatch.DeleteDashboards(request.Scope, [current.PhysicalId]), "ResourceNotFound");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request, string name)
    {
        cloudWatch.PutDashboard(request.Scope, name, request.Properties.Required("DashboardBody"));
        return new ProvisionedResource(name, new Dictionary<string, string>());
    }
}
