using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Read replicas of DB instances: a replica is a server of its own, seeded from its source and replicating from it for
/// real (MariaDB binlog/GTID replication, PostgreSQL streaming replication), read-only until PromoteReadReplica makes it
/// a standalone instance. Deleting a source promotes its replicas, as RDS does.
/// </summary>
public sealed partial class RdsService
{
    public DbInstance CreateReadReplica(Scope scope, CreateReplicaRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("DBInstanceIdentifier", request.Identifier);
        var source = GetReplicaSource(scope, request.SourceIdentifier);
        var crossRegion = source.Region != scope.Region;
        RequireRoomForReplica(source);
        if (source.Status != "available")
            throw RdsErrors.InvalidInstanceState($"DB instance {source.Identifier} is not in available state.");
        // As RDS: binary logs (and so replicas) come with automated backups.
        if (source.BackupRetentionPeriod == 0)
            throw RdsErrors.InvalidInstanceState("Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.");
        var instanceClass = request.InstanceClass ?? source.InstanceClass;
        RdsRules.InstanceClass(instanceClass, source.Engine, source.EngineVersion);
        var port = request.Port ?? source.Port;
        RdsRules.Port(port);
        var storageType = request.StorageType ?? source.StorageType;
        RdsRules.Storage(source.AllocatedStorage, source.Engine, storageType);
        // A cross-Region replica lives in the caller's Region: the source's subnet group and parameter group are not there.
        var subnetGroup = GetSubnetGroup(scope, request.SubnetGroupName ?? (crossRegion ? null : source.SubnetGroupName));
        var securityGroups = SecurityGroups(scope, request.VpcSecurityGroupIds, subnetGroup.VpcId);
        if (request.AvailabilityZone is { } zone && subnetGroup.Subnets.All(s => s.AvailabilityZone != zone))
            throw RdsErrors.InvalidValue($"The Availability Zone {zone} is not among the DB subnet group's ({string.Join(", ", subnetGroup.Subnets.Select(s => s.AvailabilityZone).Distinct())}).");
        var engine = RequireEngine(source.Engine);
        // A same-Region replica takes its source's parameter group unless one is named, as RDS documents; a cross-Region one the default.
        var parameterGroup = request.ParameterGroupName is { } groupName
            ? ResolveInstanceParameterGroup(scope, groupName, source.Engine, source.EngineVersion)
            : crossRegion ? null : source.ParameterGroupName;
        var optionGroup = ResolveInstanceOptionGroup(scope, request.OptionGroupName, source.Engine, source.EngineVersion);
        var fleet = RequireFleet();

        var replica = InstanceFrom(scope, identifier, source, instanceClass, port, storageType, subnetGroup, securityGroups,
            request.AvailabilityZone ?? FirstZone(subnetGroup)) with
        {
            PubliclyAccessible = request.PubliclyAccessible ?? false,
            // RDS's replicas of MySQL, MariaDB and PostgreSQL keep no automated backups of their own until asked.
            BackupRetentionPeriod = 0,
            DeletionProtection = request.DeletionProtection ?? false,
            CopyTagsToSnapshot = request.CopyTagsToSnapshot ?? false,
            ParameterGroupName = parameterGroup,
            OptionGroupName = optionGroup,
            // RDS names a source in another Region by its ARN.
            ReplicaSourceIdentifier = crossRegion ? source.Arn : source.Identifier,
            Tags = request.Tags,
            CaCertificateIdentifier = NewInstanceCertificate(scope, request.CaCertificateIdentifier),
        };
        RequireQuota(scope, "DBInstances");
        RequireQuota(scope, "AllocatedStorage", replica.AllocatedStorage);
        if (!_instances.TryAdd(InstanceKey(scope.AccountId, scope.Region, identifier), replica)) throw RdsErrors.InstanceAlreadyExists();

        RunForInstance(replica, "creation", async (current, token) =>
        {
            var server = fleet.Server(current.ResourceId, engine);
            // The source is seeded from while no other work of its own (a reboot, a snapshot) runs.
            var sourceGate = OperationLock(source.ResourceId);
            await sourceGate.WaitAsync(token);
            try
            {
                var primary = _instances.Get(InstanceKey(source.AccountId, source.Region, source.Identifier));
                if (primary is null || primary.ResourceId != source.ResourceId || primary.Status != "available" || primary.Address is null)
                    throw new InvalidOperationException($"the source DB instance {source.Identifier} is no longer available");
                await server.StartReplicatingFromAsync(Server(primary), primary.Address, primary.Port, token);
            }
            finally
            {
                sourceGate.Release();
            }
            await ApplyGroupParametersAsync(current, token);
            var address = await fleet.StartAsync(current.ResourceId, engine, null, current.Port, current.PubliclyAccessible, token);
            await ApplyGroupParametersAsync(current, token);
            server.MarkInitialized();
            Become(current, "available", i => i with { Address = address });
            Event(current, $"Read replica created from {current.ReplicaSourceIdentifier}; replication started", "read replica");
            Event(source, $"Read replica {current.Identifier} created", "read replica");
        });
        return replica;
    }

    /// <summary>Makes a read replica a standalone, writable instance: replication stops for good.</summary>
    public DbInstance PromoteReadReplica(Scope scope, string identifier, int? backupRetentionPeriod)
    {
        var existing = GetInstance(scope, identifier);
        if (existing.ReplicaSourceIdentifier is null) throw RdsErrors.InvalidInstanceState($"DB Instance {existing.Identifier} is not a read replica.");
        if (backupRetentionPeriod is { } days) RdsRules.BackupRetentionPeriod(days);
        var instance = Transition(scope.AccountId, scope.Region, identifier, "available", "modifying", i => $"DB Instance {i.Identifier} is not in available state.");
        RunForInstance(instance, "promotion", (current, token) => PromoteAsync(current, backupRetentionPeriod, "Promoted read replica to a standalone DB instance", token));
        return instance;
    }

    /// <summary>The identifiers of the instance's read replicas, as DescribeDBInstances lists them (those in other Regions by ARN, as RDS does).</summary>
    public IReadOnlyList<string> ReplicasOf(DbInstance source) => ReplicaInstancesOf(source)
        .Select(i => i.Region == source.Region ? i.Identifier : i.Arn).Order(StringComparer.Ordinal).ToList();

    /// <summary>RDS stops no instance that replicates or is replicated from: the replicas would lose their source, or fall behind.</summary>
    private void RefuseStopOfReplication(DbInstance instance)
    {
        if (instance.ReplicaSourceIdentifier is not null)
            throw RdsErrors.InvalidInstanceState($"DB Instance {instance.Identifier} is a read replica: a read replica cannot be stopped.");
        if (ReplicasOf(instance).Count > 0)
            throw RdsErrors.InvalidInstanceState($"DB Instance {instance.Identifier} has read replicas: a DB instance with read replicas cannot be stopped.");
    }

    /// <summary>A source being deleted leaves its replicas as standalone instances, each promoted after any work it has in hand.</summary>
    private void PromoteReplicasOf(DbInstance source)
    {
        foreach (var replica in ReplicaInstancesOf(source))
        {
            var sourceName = replica.ReplicaSourceIdentifier;
            RunForInstance(replica, "promotion", async (current, token) =>
            {
                if (current.ReplicaSourceIdentifier != sourceName) return;
                if (current.Status != "available" || Server(current) is not { IsRunning: true })
                {
                    // Its server is not running to be promoted: it stays a replica, which PromoteReadReplica turns standalone once it is available again.
                    Event(current, $"Its source {source.Identifier} was deleted while this read replica was {current.Status}; promote it with PromoteReadReplica once it is available.", "read replica");
                    return;
                }
                var promoting = Become(current, "modifying");
                await PromoteAsync(promoting, null, $"Promoted to a standalone DB instance because its source {source.Identifier} was deleted", token);
            });
        }
    }

    private async Task PromoteAsync(DbInstance replica, int? backupRetentionPeriod, string message, CancellationToken token)
    {
        await Server(replica).PromoteAsync(token);
        // A standalone instance keeps automated backups from its first snapshot on, as RDS backs a promoted replica up.
        var promoted = UpdateInstance(replica, i => i with { ReplicaSourceIdentifier = null, BackupRetentionPeriod = backupRetentionPeriod ?? (i.BackupRetentionPeriod == 0 ? 1 : i.BackupRetentionPeriod) });
        await FirstAutomatedBackupAsync(promoted, token);
        Become(promoted, "available");
        Event(replica, message, "read replica");
    }
}
