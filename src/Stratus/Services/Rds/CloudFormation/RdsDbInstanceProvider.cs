using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBInstance through RdsService. As CloudFormation does, the resource is complete only
/// once the instance is available (its MariaDB answers), and deleted only once it is gone.
/// Ref is the instance identifier.
/// </summary>
public sealed class RdsDbInstanceProvider(RdsService rds) : IResourceProvider, IResourceImporter
{
    public string ImportIdentifier => "DBInstanceIdentifier";

    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ResourceLookup.IfPresent(() => rds.GetInstance(scope, identifier), "DBInstanceNotFound") is { } instance ? Provisioned(instance) : null;

    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        ResourceLookup.All(marker => rds.DescribeInstances(scope, null, [], marker, 100) is var page ? (page.Items, page.NextMarker) : default)
            .Select(i => new ExistingResource(i.Identifier, Provisioned(i), i.Tags.ToDictionary(t => t.Key, t => t.Value)));

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public string Type => "AWS::RDS::DBInstance";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
        { "DBInstanceIdentifier", "Engine", "DBName", "MasterUsername", "DBSubnetGroupName", "AvailabilityZone", "StorageEncrypted", "KmsKeyId",
          "RestoreTime", "UseLatestRestorableTime", "SourceDbiResourceId", "SourceDBInstanceAutomatedBackupsArn" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var identifier = p.String("DBInstanceIdentifier") ?? request.GeneratedName(63).ToLowerInvariant();
        // With SourceDBInstanceIdentifier the resource is a read replica of that instance, as CloudFormation makes it; with a
        // RestoreTime or UseLatestRestorableTime (or a source's DbiResourceId or automated backup ARN) a point-in-time restore of it.
        var instance = PointInTimeRestoreRequest.IsAsked(p)
            ? rds.RestoreToPointInTime(request.Scope, PointInTimeRestoreRequest.Read(p, identifier))
            : p.String("SourceDBInstanceIdentifier") is not null
                ? rds.CreateReadReplica(request.Scope, CreateReplicaRequest.Read(p, identifier))
                : rds.CreateInstance(request.Scope, CreateInstanceRequest.Read(p, identifier));
        return Provisioned(await AvailableAsync(request, instance.Identifier, cancellation));
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        // As CloudFormation: a replica whose template no longer names its source is promoted to a standalone instance.
        if (before.String("SourceDBInstanceIdentifier") is not null && !PointInTimeRestoreRequest.IsAsked(before) && p.String("SourceDBInstanceIdentifier") is null)
        {
            rds.PromoteReadReplica(request.Scope, current.PhysicalId, p.Int("BackupRetentionPeriod"));
            await AvailableAsync(request, current.PhysicalId, cancellation);
        }
        await rds.ModifyInstanceAsync(request.Scope,
            ModifyInstanceRequest.Read(p, current.PhysicalId).ChangedFrom(ModifyInstanceRequest.Read(before, current.PhysicalId)));
        RdsStackResources.SyncTags(rds, request.Scope, rds.GetInstance(request.Scope, current.PhysicalId).Arn, p, before);
        return Provisioned(await AvailableAsync(request, current.PhysicalId, cancellation));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) =>
        RdsStackResources.DeleteAndWaitAsync(() =>
        {
            var instance = rds.GetInstance(request.Scope, current.PhysicalId);
            if (instance.Status == "deleting") return;
            // DeletionPolicy: Snapshot takes a real final snapshot, as CloudFormation does; an instance that never
            // became available (a failed create being rolled back) has nothing to keep, nor has an Aurora instance (its cluster does).
            var finalSnapshot = request.DeletionPolicy == "Snapshot" && instance.ClusterIdentifier is null && instance.Status is "available" or "stopped"
                ? request.GeneratedName(255).ToLowerInvariant()
                : null;
            rds.DeleteInstance(request.Scope, current.PhysicalId, skipFinalSnapshot: finalSnapshot is null, finalSnapshotIdentifier: finalSnapshot);
        }, () => rds.GetInstance(request.Scope, current.PhysicalId), "DBInstanceNotFound", cancellation);

    /// <summary>Waits for the instance to settle: available completes the resource, anything else final fails it with RDS's status.</summary>
    private async Task<DbInstance> AvailableAsync(ResourceRequest request, string identifier, CancellationToken cancellation)
    {
        while (true)
        {
            var instance = rds.GetInstance(request.Scope, identifier);
            switch (instance.Status)
            {
                case "available":
                    return instance;
                case "failed" or "incompatible-parameters" or "incompatible-restore" or "storage-full" or "stopped":
                    throw new ResourcePropertyException($"DB instance {identifier} is {instance.Status}, not available; see aws rds describe-events --source-identifier {identifier}.");
            }
            await Task.Delay(PollInterval, cancellation);
        }
    }

    private static ProvisionedResource Provisioned(DbInstance instance)
    {
        var attributes = new Dictionary<string, string>
        {
            ["Endpoint.Address"] = instance.Address ?? "",
            ["Endpoint.Port"] = instance.Port.ToString(CultureInfo.InvariantCulture),
            ["DBInstanceArn"] = instance.Arn,
            ["DbiResourceId"] = instance.ResourceId,
        };
        if (instance.MasterUserSecret is { } secret) attributes["MasterUserSecret.SecretArn"] = secret.SecretArn;
        return new ProvisionedResource(instance.Identifier, attributes);
    }
}
