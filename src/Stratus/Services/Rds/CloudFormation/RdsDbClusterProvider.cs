using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBCluster through RdsService, with the same typed inputs as CreateDBCluster (or RestoreDBClusterFromSnapshot
/// when SnapshotIdentifier is set, RestoreDBClusterToPointInTime when SourceDBClusterIdentifier or SourceDbClusterResourceId is)
/// and ModifyDBCluster. Complete once the cluster is available, deleted once it is gone;
/// AssociatedRoles are added with AddRoleToDBCluster once the cluster is available, and added or removed on update.
/// DeletionPolicy Snapshot takes a real final cluster snapshot. Ref is the cluster identifier. A restore keeps the snapshot's
/// master user and its password, or with ManageMasterUserPassword a new password kept in the cluster's secret. Drift detection reads the cluster back as RDS holds it.
/// </summary>
public sealed class RdsDbClusterProvider(RdsService rds) : IResourceProvider, ILiveStateReader
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public string Type => "AWS::RDS::DBCluster";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
        { "DBClusterIdentifier", "Engine", "EngineMode", "DatabaseName", "MasterUsername", "DBSubnetGroupName", "SnapshotIdentifier", "SourceDBClusterIdentifier", "SourceDbClusterResourceId", "RestoreToTime", "UseLatestRestorableTime", "RestoreType", "StorageEncrypted", "KmsKeyId", "AvailabilityZones", "GlobalClusterIdentifier", "ReplicationSourceIdentifier" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var identifier = p.String("DBClusterIdentifier") ?? request.GeneratedName(63).ToLowerInvariant();
        DbCluster made;
        if (ClusterPointInTimeRestoreRequest.IsAsked(p))
            made = rds.RestoreClusterToPointInTime(request.Scope, ClusterPointInTimeRestoreRequest.Read(p, identifier));
        else if (p.String("SnapshotIdentifier") is not { } snapshot)
            made = rds.CreateCluster(request.Scope, CreateClusterRequest.Read(p, identifier));
        else
            made = rds.RestoreClusterFromSnapshot(request.Scope, RestoreClusterRequest.Read(p, identifier, snapshot));
        await AvailableAsync(request, made.Identifier, cancellation);
        // AssociatedRoles are added once the cluster is available, as CloudFormation calls AddRoleToDBCluster after creating it.
        foreach (var role in DbClusterRole.List(p)) rds.AddRoleToCluster(request.Scope, made.Identifier, role.RoleArn, role.FeatureName);
        return Provisioned(rds.GetCluster(request.Scope, made.Identifier));
    }

    /// <summary>The cluster's properties as RDS holds them (its endpoints too), for drift detection; null once it is gone.</summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current)
    {
        DbCluster cluster;
        try
        {
            cluster = rds.GetCluster(request.Scope, current.PhysicalId);
        }
        catch (AwsException e) when (e.Code == "DBClusterNotFoundFault")
        {
            return null;
        }
        return new JsonObject
        {
            ["DBClusterIdentifier"] = cluster.Identifier,
            ["Engine"] = cluster.Engine,
            ["EngineVersion"] = cluster.EngineVersion,
            ["MasterUsername"] = cluster.MasterUsername,
            ["DatabaseName"] = cluster.DatabaseName,
            ["Port"] = cluster.Port,
            ["DBSubnetGroupName"] = cluster.SubnetGroupName,
            ["VpcSecurityGroupIds"] = new JsonArray(cluster.VpcSecurityGroupIds.Select(id => (JsonNode?)id).ToArray()),
            ["BackupRetentionPeriod"] = cluster.BackupRetentionPeriod,
            ["DeletionProtection"] = cluster.DeletionProtection,
            ["CopyTagsToSnapshot"] = cluster.CopyTagsToSnapshot,
            ["EnableHttpEndpoint"] = cluster.HttpEndpointEnabled,
            ["BacktrackWindow"] = cluster.BacktrackWindow,
            ["AssociatedRoles"] = new JsonArray(cluster.AssociatedRoles
                .Select(r => (JsonNode)new JsonObject { ["RoleArn"] = r.RoleArn, ["FeatureName"] = r.FeatureName }).ToArray()),
            ["DBClusterParameterGroupName"] = cluster.ParameterGroupName,
            ["ServerlessV2ScalingConfiguration"] = cluster.ServerlessV2Scaling is { } scaling
                ? new JsonObject { ["MinCapacity"] = scaling.MinCapacity, ["MaxCapacity"] = scaling.MaxCapacity, ["SecondsUntilAutoPause"] = scaling.SecondsUntilAutoPause }
                : null,
            ["ManageMasterUserPassword"] = cluster.MasterUserSecret is not null,
            ["MasterUserSecret"] = cluster.MasterUserSecret is { } secret
                ? new JsonObject { ["KmsKeyId"] = secret.KmsKeyId }
                : null,
            ["Endpoint"] = new JsonObject { ["Address"] = cluster.WriterEndpointAddress, ["Port"] = cluster.Port.ToString(CultureInfo.InvariantCulture) },
            ["ReadEndpoint"] = new JsonObject { ["Address"] = cluster.ReaderEndpointAddress },
            ["Tags"] = LiveState.TagList(request.Properties.Values["Tags"], cluster.Tags.Select(t => KeyValuePair.Create(t.Key, t.Value))),
        };
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        await rds.ModifyClusterAsync(request.Scope,
            ModifyClusterRequest.Read(p, current.PhysicalId).ChangedFrom(ModifyClusterRequest.Read(before, current.PhysicalId)));
        RdsStackResources.SyncTags(rds, request.Scope, rds.GetCluster(request.Scope, current.PhysicalId).Arn, p, before);
        await AvailableAsync(request, current.PhysicalId, cancellation);
        var roles = DbClusterRole.List(p);
        var previousRoles = DbClusterRole.List(before);
        foreach (var gone in previousRoles.Except(roles)) rds.RemoveRoleFromCluster(request.Scope, current.PhysicalId, gone.RoleArn, gone.FeatureName);
        foreach (var added in roles.Except(previousRoles)) rds.AddRoleToCluster(request.Scope, current.PhysicalId, added.RoleArn, added.FeatureName);
        return Provisioned(rds.GetCluster(request.Scope, current.PhysicalId));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) =>
        RdsStackResources.DeleteAndWaitAsync(() =>
        {
            // The stack deletes the cluster's instances first (they depend on it); their deletion must have begun.
            var cluster = rds.GetCluster(request.Scope, current.PhysicalId);
            if (cluster.Status == "deleting") return;
            var finalSnapshot = request.DeletionPolicy == "Snapshot" && cluster.Status is "available" or "stopped"
                ? request.GeneratedName(255).ToLowerInvariant()
                : null;
            rds.DeleteCluster(request.Scope, current.PhysicalId, skipFinalSnapshot: finalSnapshot is null, finalSnapshotIdentifier: finalSnapshot);
        }, () => rds.GetCluster(request.Scope, current.PhysicalId), "DBClusterNotFoundFault", cancellation);

    private async Task<DbCluster> AvailableAsync(ResourceRequest request, string identifier, CancellationToken cancellation)
    {
        while (true)
        {
            var cluster = rds.GetCluster(request.Scope, identifier);
            switch (cluster.Status)
            {
                case "available":
                    return cluster;
                case "failed" or "stopped" or "inaccessible-encryption-credentials":
                    throw new ResourcePropertyException($"DB cluster {identifier} is {cluster.Status}, not available; see aws rds describe-events --source-identifier {identifier} --source-type db-cluster.");
            }
            await Task.Delay(PollInterval, cancellation);
        }
    }

    private static ProvisionedResource Provisioned(DbCluster cluster)
    {
        var attributes = new Dictionary<string, string>
        {
            ["Endpoint.Address"] = cluster.WriterEndpointAddress ?? "",
            ["Endpoint.Port"] = cluster.Port.ToString(CultureInfo.InvariantCulture),
            ["ReadEndpoint.Address"] = cluster.ReaderEndpointAddress ?? "",
            ["DBClusterArn"] = cluster.Arn,
            ["DBClusterResourceId"] = cluster.ResourceId,
        };
        if (cluster.MasterUserSecret is { } secret) attributes["MasterUserSecret.SecretArn"] = secret.SecretArn;
        return new ProvisionedResource(cluster.Identifier, attributes);
    }
}
