using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::GlobalCluster through RdsService, with CreateGlobalCluster's typed input (from SourceDBClusterIdentifier, or empty
/// with Engine and EngineVersion). DeletionProtection and EngineVersion change in place. Deleting it removes its primary when
/// that is its last member, then deletes it; with secondaries left, RDS's refusal stands. Ref is the global cluster identifier.
/// </summary>
public sealed class RdsGlobalClusterProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::GlobalCluster";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
        { "GlobalClusterIdentifier", "SourceDBClusterIdentifier", "Engine", "StorageEncrypted" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var identifier = p.String("GlobalClusterIdentifier") ?? request.GeneratedName(63).ToLowerInvariant();
        var global = rds.CreateGlobalCluster(request.Scope, CreateGlobalClusterRequest.Read(p, identifier));
        return Task.FromResult(new ProvisionedResource(global.Identifier, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        rds.ModifyGlobalCluster(request.Scope, ModifyGlobalClusterRequest.Read(request.Properties, current.PhysicalId));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() =>
        {
            var global = rds.GetGlobalCluster(request.Scope, current.PhysicalId);
            if (rds.GlobalMembers(global) is [{ ReplicationSourceArn: null } primary])
                rds.RemoveFromGlobalCluster(request.Scope, global.Identifier, primary.Arn);
            rds.DeleteGlobalCluster(request.Scope, global.Identifier);
        }, "GlobalClusterNotFoundFault");
        return Task.CompletedTask;
    }
}
