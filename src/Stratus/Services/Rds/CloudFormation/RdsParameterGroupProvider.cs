using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBParameterGroup, or AWS::RDS::DBClusterParameterGroup (<paramref name="cluster"/>), through RdsService:
/// Parameters is a map of name to value, set (and, on an update, reset when removed) as ModifyDBParameterGroup does,
/// so an instance's group applies to its server. Ref is the group name.
/// </summary>
public sealed class RdsParameterGroupProvider(RdsService rds, bool cluster) : IResourceProvider
{
    private const int ParametersPerCall = 20;

    private string NameProperty => cluster ? "DBClusterParameterGroupName" : "DBParameterGroupName";

    public string Type => cluster ? "AWS::RDS::DBClusterParameterGroup" : "AWS::RDS::DBParameterGroup";

    public IReadOnlySet<string> ReplacedOnChange => cluster
        ? new HashSet<string> { "DBClusterParameterGroupName", "Description", "Family" }
        : new HashSet<string> { "DBParameterGroupName", "Description", "Family" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var group = rds.CreateParameterGroup(request.Scope, p.String(NameProperty) ?? request.GeneratedName(255).ToLowerInvariant(),
            p.Required("Family"), p.Required("Description"), RdsTag.List(p), cluster);
        try
        {
            await SetAsync(request, group.Name, p.StringMap("Parameters") ?? []);
        }
        catch
        {
            rds.DeleteParameterGroup(request.Scope, group.Name, cluster);
            throw;
        }
        return new ProvisionedResource(group.Name, new Dictionary<string, string>());
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var now = request.Properties.StringMap("Parameters") ?? [];
        var before = new ResourceProperties(request.LogicalId, previousProperties).StringMap("Parameters") ?? [];
        var removed = before.Keys.Except(now.Keys).Select(name => new RdsParameterChange(name, null, null)).ToList();
        foreach (var chunk in removed.Chunk(ParametersPerCall))
            await rds.ResetParameterGroupAsync(request.Scope, current.PhysicalId, resetAll: false, chunk, cluster);
        await SetAsync(request, current.PhysicalId, now.Where(p => before.GetValueOrDefault(p.Key) != p.Value).ToDictionary());
        return current;
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => rds.DeleteParameterGroup(request.Scope, current.PhysicalId, cluster), "DBParameterGroupNotFound");
        return Task.CompletedTask;
    }

    /// <summary>Each parameter applies as soon as its apply type allows, as CloudFormation applies a template's values.</summary>
    private async Task SetAsync(ResourceRequest request, string name, Dictionary<string, string> parameters)
    {
        foreach (var chunk in parameters.Select(p => new RdsParameterChange(p.Key, p.Value, null)).Chunk(ParametersPerCall))
            await rds.ModifyParameterGroupAsync(request.Scope, name, chunk, cluster);
    }
}
