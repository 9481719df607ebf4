using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBClusterEndpoint through RdsService, with the same typed inputs as CreateDBClusterEndpoint and
/// ModifyDBClusterEndpoint: complete once the endpoint is available, its type and members changed in place, deleted once
/// RDS no longer knows it. Ref is the endpoint identifier; Fn::GetAtt gives Endpoint and DBClusterEndpointArn.
/// </summary>
public sealed class RdsDbClusterEndpointProvider(RdsService rds) : IResourceProvider
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public string Type => "AWS::RDS::DBClusterEndpoint";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DBClusterIdentifier", "DBClusterEndpointIdentifier" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var identifier = p.String("DBClusterEndpointIdentifier") ?? request.GeneratedName(63).ToLowerInvariant();
        var endpoint = rds.CreateClusterEndpoint(request.Scope, CreateClusterEndpointRequest.Read(p, identifier));
        return Provisioned(await AvailableAsync(request, endpoint.Identifier, cancellation));
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var endpoint = rds.GetCustomEndpoint(request.Scope, current.PhysicalId);
        if (!SameMembers(p, before))
        {
            rds.ModifyClusterEndpoint(request.Scope, ModifyClusterEndpointRequest.Read(p, current.PhysicalId));
            endpoint = await AvailableAsync(request, current.PhysicalId, cancellation);
        }
        RdsStackResources.SyncTags(rds, request.Scope, endpoint.Arn, p, before);
        return Provisioned(rds.GetCustomEndpoint(request.Scope, current.PhysicalId));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) =>
        RdsStackResources.DeleteAndWaitAsync(() =>
        {
            if (rds.GetCustomEndpoint(request.Scope, current.PhysicalId).Status != "deleting") rds.DeleteClusterEndpoint(request.Scope, current.PhysicalId);
        }, () => rds.GetCustomEndpoint(request.Scope, current.PhysicalId), "DBClusterEndpointNotFoundFault", cancellation);

    /// <summary>Whether the template states the same type and members as before (tags change without ModifyDBClusterEndpoint).</summary>
    private static bool SameMembers(ResourceProperties now, ResourceProperties before) =>
        string.Equals(now.String("EndpointType"), before.String("EndpointType"), StringComparison.OrdinalIgnoreCase)
        && now.Strings("StaticMembers").SequenceEqual(before.Strings("StaticMembers"), StringComparer.OrdinalIgnoreCase)
        && now.Strings("ExcludedMembers").SequenceEqual(before.Strings("ExcludedMembers"), StringComparer.OrdinalIgnoreCase);

    /// <summary>Polls until the endpoint is available; one whose creation failed is gone, and RDS's not-found error says so.</summary>
    private async Task<DbClusterEndpoint> AvailableAsync(ResourceRequest request, string identifier, CancellationToken cancellation)
    {
        while (true)
        {
            var endpoint = rds.GetCustomEndpoint(request.Scope, identifier);
            if (endpoint.Status == "available") return endpoint;
            await Task.Delay(PollInterval, cancellation);
        }
    }

    private static ProvisionedResource Provisioned(DbClusterEndpoint endpoint) => new(endpoint.Identifier, new Dictionary<string, string>
    {
        ["Endpoint"] = endpoint.Address ?? "",
        ["DBClusterEndpointArn"] = endpoint.Arn,
    });
}
