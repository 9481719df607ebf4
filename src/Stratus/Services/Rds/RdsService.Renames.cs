namespace Stratus.Services.Rds;

/// <summary>
/// ModifyDBInstance's NewDBInstanceIdentifier and ModifyDBCluster's NewDBClusterIdentifier: the record moves to its new
/// name (and so its ARN), keeping its resource id, data directory, address, port and tags, and everything that names it
/// follows (replicas, cluster membership, custom endpoints, proxy targets, automated backups). Snapshots and events keep
/// the name they were made under, as RDS's do.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>The asked-for new name, checked and lower-cased; null when it is the current one (no rename).</summary>
    private string? NewInstanceName(DbInstance instance, string? asked)
    {
        if (asked is null) return null;
        var name = RdsRules.InstanceIdentifier("NewDBInstanceIdentifier", asked);
        if (name == instance.Identifier) return null;
        if (_instances.Get(InstanceKey(instance.AccountId, instance.Region, name)) is not null) throw RdsErrors.InstanceAlreadyExists();
        return name;
    }

    /// <summary>The asked-for new cluster name, checked and lower-cased; null when it is the current one (no rename).</summary>
    private string? NewClusterName(DbCluster cluster, string? asked)
    {
        if (asked is null) return null;
        var name = RdsRules.InstanceIdentifier("NewDBClusterIdentifier", asked);
        if (name == cluster.Identifier) return null;
        if (_clusters.Get(ClusterKey(cluster.AccountId, cluster.Region, name)) is not null) throw RdsErrors.ClusterAlreadyExists();
        return name;
    }

    /// <summary>
    /// Moves the instance to its new identifier. RDS reboots a renamed instance; the caller restarts the server (at its
    /// address and port, with its certificate issued anew), alone or with the change that restarts it anyway.
    /// </summary>
    private DbInstance MoveInstance(DbInstance instance, string newName, string status)
    {
        var oldName = instance.Identifier;
        var oldArn = instance.Arn;
        var moved = instance with
        {
            Identifier = newName, Status = status,
            Pending = instance.Pending is { } pending ? pending with { DbInstanceIdentifier = null } : null,
        };
        if (!_instances.TryAdd(InstanceKey(instance.AccountId, instance.Region, newName), moved)) throw RdsErrors.InstanceAlreadyExists();
        _instances.Remove(InstanceKey(instance.AccountId, instance.Region, oldName));

        foreach (var replica in _instances.Values.Where(i => i.AccountId == moved.AccountId
            && (i.Region == moved.Region ? i.ReplicaSourceIdentifier == oldName : i.ReplicaSourceIdentifier == oldArn)).ToList())
            UpdateInstance(replica, i => i with { ReplicaSourceIdentifier = i.Region == moved.Region ? newName : moved.Arn });
        foreach (var cluster in _clusters.Values.Where(c => SameRegion(c.AccountId, c.Region, moved) && c.WriterIdentifier == oldName).ToList())
            UpdateCluster(cluster, c => c with { WriterIdentifier = newName });
        foreach (var endpoint in _customEndpoints.Values.Where(e => SameRegion(e.AccountId, e.Region, moved)
            && (e.StaticMembers.Contains(oldName) || e.ExcludedMembers.Contains(oldName))).ToList())
            _customEndpoints.Update(CustomEndpointKey(endpoint), e => e with
            {
                StaticMembers = Renamed(e.StaticMembers, oldName, newName), ExcludedMembers = Renamed(e.ExcludedMembers, oldName, newName),
            });
        foreach (var proxy in _proxies.Values.Where(p => SameRegion(p.AccountId, p.Region, moved) && p.TargetGroup.InstanceIdentifier == oldName).ToList())
            UpdateProxy(proxy, p => p with { TargetGroup = p.TargetGroup with { InstanceIdentifier = newName } });
        _automatedBackups.Update(AutomatedBackupKey(moved.AccountId, moved.Region, moved.ResourceId), b => b with { Identifier = newName });
        Event(moved, $"Renamed DB instance from {oldName} to {newName}", "configuration change");
        return moved;
    }

    /// <summary>A rename on its own: the server restarts as RDS's reboot does, and the instance is available again.</summary>
    private DbInstance RenameInstance(DbInstance instance, string newName)
    {
        var renaming = MoveInstance(instance, newName, "renaming");
        RunForInstance(renaming, "rename", async (current, token) =>
        {
            await RequireFleet().StopAsync(current.ResourceId);
            await StartServerAsync(current, token);
        });
        return renaming;
    }

    /// <summary>
    /// NewDBClusterIdentifier: the cluster's record moves at once (Aurora renames without restarting its instances;
    /// the endpoints keep their addresses, which in Stratus do not carry the name).
    /// </summary>
    private DbCluster RenameCluster(DbCluster cluster, string newName)
    {
        var oldName = cluster.Identifier;
        var oldArn = cluster.Arn;
        var moved = cluster with { Identifier = newName };
        if (!_clusters.TryAdd(ClusterKey(cluster.AccountId, cluster.Region, newName), moved)) throw RdsErrors.ClusterAlreadyExists();
        _clusters.Remove(ClusterKey(cluster.AccountId, cluster.Region, oldName));

        foreach (var member in _instances.Values.Where(i => SameRegion(i.AccountId, i.Region, moved) && i.ClusterIdentifier == oldName).ToList())
            UpdateInstance(member, i => i with { ClusterIdentifier = newName });
        foreach (var endpoint in _customEndpoints.Values.Where(e => SameRegion(e.AccountId, e.Region, moved) && e.ClusterIdentifier == oldName).ToList())
            _customEndpoints.Update(CustomEndpointKey(endpoint), e => e with { ClusterIdentifier = newName });
        foreach (var proxy in _proxies.Values.Where(p => SameRegion(p.AccountId, p.Region, moved) && p.TargetGroup.ClusterIdentifier == oldName).ToList())
            UpdateProxy(proxy, p => p with { TargetGroup = p.TargetGroup with { ClusterIdentifier = newName } });
        foreach (var replica in _clusters.Values.Where(c => c.AccountId == moved.AccountId && c.ReplicationSourceArn == oldArn).ToList())
            UpdateCluster(replica, c => c with { ReplicationSourceArn = moved.Arn });
        _clusterAutomatedBackups.Update(ClusterAutomatedBackupKey(moved.AccountId, moved.Region, moved.ResourceId), b => b with { Identifier = newName });
        ClusterEvent(moved, $"Renamed DB cluster from {oldName} to {newName}", "configuration change");
        return moved;
    }

    private static bool SameRegion(string accountId, string region, IRdsListed database) =>
        accountId == database.AccountId && region == database.Region;

    private static IReadOnlyList<string> Renamed(IReadOnlyList<string> names, string oldName, string newName) =>
        names.Select(n => n == oldName ? newName : n).ToList();
}
