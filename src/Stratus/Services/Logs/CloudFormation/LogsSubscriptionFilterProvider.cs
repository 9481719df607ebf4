using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Logs.CloudFormation;

/// <summary>AWS::Logs::SubscriptionFilter through LogsService, read with PutSubscriptionFilter's own input. Ref is the filter name.</summary>
public sealed class LogsSubscriptionFilterProvider(LogsService logs) : IResourceProvider
{
    public string Type => "AWS::Logs::SubscriptionFilter";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FilterName", "LogGroupName" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var name = request.Properties.String("FilterName") ?? request.GeneratedName(512);
        await logs.PutSubscriptionFilterAsync(request.Scope, SubscriptionFilter.Read(request.Properties, request.Scope, name), cancellation);
        return new ProvisionedResource(name, new Dictionary<string, string>());
    }

    // PutSubscriptionFilter replaces a filter of the same name in place.
    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        await logs.PutSubscriptionFilterAsync(request.Scope, SubscriptionFilter.Read(request.Properties, request.Scope, current.PhysicalId), cancellation);
        return current;
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => logs.DeleteSubscriptionFilter(request.Scope, request.Properties.Required("LogGroupName"), current.PhysicalId),
            "ResourceNotFoundException");
        return Task.CompletedTask;
    }
}
