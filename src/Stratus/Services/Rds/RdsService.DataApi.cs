using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>The RDS side of the Data API: the cluster's HTTP endpoint switch, and the cluster a Data API call names by its ARN.</summary>
public sealed partial class RdsService
{
    /// <summary>EnableHttpEndpoint / DisableHttpEndpoint: by the cluster's ARN, on an available cluster, as AWS requires.</summary>
    public DbCluster SetHttpEndpoint(Scope scope, string resourceArn, bool enabled)
    {
        var cluster = FindClusterByArn(scope, resourceArn) ?? throw RdsErrors.ResourceNotFound(resourceArn);
        if (cluster.Status != "available")
            throw RdsErrors.InvalidResourceState($"DB cluster {cluster.Identifier} is not in the available state (it is {cluster.Status}).");
        if (cluster.HttpEndpointEnabled == enabled) return cluster;
        var updated = UpdateCluster(cluster, c => c with { HttpEndpointEnabled = enabled });
        ClusterEvent(updated, enabled ? "DB cluster HTTP endpoint enabled" : "DB cluster HTTP endpoint disabled", "configuration change");
        return updated;
    }

    /// <summary>The cluster an ARN names in the caller's account and Region; null for anything else (an instance's ARN, another account's cluster).</summary>
    public DbCluster? FindClusterByArn(Scope scope, string arn) =>
        arn.StartsWith($"arn:aws:rds:{scope.Region}:{scope.AccountId}:cluster:", StringComparison.Ordinal)
            ? _clusters.Get(ClusterKey(scope.AccountId, scope.Region, NameFromArn(arn, "cluster")))
            : null;

    /// <summary>Whether the cluster's servers run (its endpoints listen), so a Data API call can reach its writer.</summary>
    public static bool ServersRun(DbCluster cluster) => ClusterStatesWithRunningServers.Contains(cluster.Status) && cluster.WriterIdentifier is not null;
}
