using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Logs.CloudFormation;

/// <summary>AWS::Logs::QueryDefinition: a saved Insights query, through PutQueryDefinition. Ref and GetAtt QueryDefinitionId are its id; every property changes in place.</summary>
public sealed class LogsQueryDefinitionProvider(LogsService logs) : IResourceProvider
{
    public string Type => "AWS::Logs::QueryDefinition";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) => Task.FromResult(Put(request, null));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Put(request, current.PhysicalId));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => logs.DeleteQueryDefinition(request.Scope, current.PhysicalId), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request, string? id)
    {
        var p = request.Properties;
        id = logs.PutQueryDefinition(request.Scope, id, p.Required("Name"), p.Required("QueryString"), p.Strings("LogGroupNames"));
        return new ProvisionedResource(id, new Dictionary<string, string> { ["QueryDefinitionId"] = id });
    }
}
