using Stratus.Host;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// The account's side of RDS: its quotas per Region (DescribeAccountAttributes, enforced where RDS enforces them),
/// maintenance (none is ever scheduled), and the Regions a replica or snapshot copy may come from.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>One of RDS's account quotas: AWS's default maximum, what the scope uses of it, and the refusal once it is reached (null where Stratus never adds to it).</summary>
    private sealed record AccountQuota(string Name, long Max, Func<Scope, long> Used, Func<long, AwsException>? Exceeded);

    /// <summary>
    /// AWS's account quotas per Region, with the default maximums of "Quotas in Amazon RDS" (AllocatedStorage in GiB), in
    /// the order DescribeAccountAttributes lists them. A quota counting "the highest number" in one resource is the most any
    /// one of the scope's resources has; the ones of resources Stratus does not serve (DB security groups, reserved
    /// instances, IAM roles, see README) are used by nothing. ReadReplicasPerMaster and CustomEndpointsPerDBCluster are the
    /// limits Stratus enforces where the replica or endpoint is made.
    /// </summary>
    private IReadOnlyList<AccountQuota> AccountQuotas() =>
    [
        new("DBInstances", 40, scope => InScope(_instances.Values, scope, i => i.AccountId, i => i.Region).Count(), _ => RdsErrors.InstanceQuotaExceeded()),
        new("ReservedDBInstances", 40, _ => 0, null),
        new("AllocatedStorage", 100_000, AllocatedStorageUsed, RdsErrors.StorageQuotaExceeded),
        new("DBSecurityGroups", 25, _ => 0, null),
        new("AuthorizationsPerDBSecurityGroup", 20, _ => 0, null),
        new("DBParameterGroups", 50, scope => InScope(_parameterGroups.Values, scope, g => g.AccountId, g => g.Region).Count(g => !g.IsCluster),
            _ => RdsErrors.ParameterGroupQuotaExceeded()),
        new("ManualSnapshots", 100, scope => InScope(_snapshots.Values, scope, s => s.AccountId, s => s.Region).Count(s => s.SnapshotType == "manual"),
            _ => RdsErrors.SnapshotQuotaExceeded("DB snapshots")),
        new("EventSubscriptions", 20, scope => InScope(_subscriptions.Values, scope, s => s.AccountId, s => s.Region).Count(),
            _ => RdsErrors.EventSubscriptionQuotaExceeded()),
        new("DBSubnetGroups", 50, scope => InScope(_subnetGroups.Values, scope, g => g.AccountId, g => g.Region).Count(),
            _ => RdsErrors.SubnetGroupQuotaExceeded()),
        new("OptionGroups", 20, scope => InScope(_optionGroups.Values, scope, g => g.AccountId, g => g.Region).Count(),
            _ => RdsErrors.OptionGroupQuotaExceeded()),
        new("SubnetsPerDBSubnetGroup", MaxSubnetsPerGroup, scope => InScope(_subnetGroups.Values, scope, g => g.AccountId, g => g.Region)
            .Select(g => (long)g.Subnets.Count).DefaultIfEmpty(0).Max(), null),
        new("ReadReplicasPerMaster", MaxReplicasPerSource, scope => InScope(_instances.Values, scope, i => i.AccountId, i => i.Region)
            .Select(i => (long)ReplicaInstancesOf(i).Count).DefaultIfEmpty(0).Max(), null),
        new("DBClusters", 40, scope => InScope(_clusters.Values, scope, c => c.AccountId, c => c.Region).Count(), _ => RdsErrors.ClusterQuotaExceeded()),
        new("DBClusterParameterGroups", 50, scope => InScope(_parameterGroups.Values, scope, g => g.AccountId, g => g.Region).Count(g => g.IsCluster),
            _ => RdsErrors.ParameterGroupQuotaExceeded()),
        new("DBClusterRoles", 5, _ => 0, null),
        new("ManualClusterSnapshots", 100, scope => InScope(_clusterSnapshots.Values, scope, s => s.AccountId, s => s.Region).Count(s => s.SnapshotType == "manual"),
            _ => RdsErrors.SnapshotQuotaExceeded("DB cluster snapshots")),
        new("CustomEndpointsPerDBCluster", CustomEndpointsPerCluster, scope => InScope(_customEndpoints.Values, scope, e => e.AccountId, e => e.Region)
            .GroupBy(e => e.ClusterIdentifier).Select(g => (long)g.Count()).DefaultIfEmpty(0).Max(), null),
        new("DBInstanceRoles", 5, _ => 0, null),
    ];

    /// <summary>RDS's most subnets in one DB subnet group.</summary>
    private const int MaxSubnetsPerGroup = 20;

    /// <summary>DescribeAccountAttributes: each quota with what the caller's account uses of it in this Region.</summary>
    public IReadOnlyList<(string Name, long Used, long Max)> DescribeAccountQuotas(Scope scope) =>
        AccountQuotas().Select(q => (q.Name, q.Used(scope), q.Max)).ToList();

    /// <summary>Refuses, with the quota's own error, a request that would take the scope past the quota <paramref name="name"/> by <paramref name="adding"/>.</summary>
    private void RequireQuota(Scope scope, string name, long adding = 1)
    {
        var quota = AccountQuotas().First(q => q.Name == name);
        var after = quota.Used(scope) + adding;
        if (after > quota.Max) throw quota.Exceeded!(after - quota.Max);
    }

    /// <summary>The storage RDS instances allocate; Aurora members have none of their own (the cluster volume grows by itself).</summary>
    private long AllocatedStorageUsed(Scope scope) =>
        InScope(_instances.Values, scope, i => i.AccountId, i => i.Region).Where(i => i.ClusterIdentifier is null).Sum(i => (long)i.AllocatedStorage);

    private static IEnumerable<T> InScope<T>(IEnumerable<T> items, Scope scope, Func<T, string> account, Func<T, string> region) =>
        items.Where(item => account(item) == scope.AccountId && region(item) == scope.Region);

    // ---- maintenance ----

    /// <summary>ApplyPendingMaintenanceAction's actions and opt-in types, as the model's documentation lists them.</summary>
    private static readonly string[] MaintenanceActions = ["ca-certificate-rotation", "db-upgrade", "hardware-maintenance", "os-upgrade", "system-update"];
    private static readonly string[] OptInTypes = ["immediate", "next-maintenance", "undo-opt-in"];

    /// <summary>
    /// DescribePendingMaintenanceActions: Stratus schedules no maintenance (the servers are the machine's packages, updated
    /// by the machine's owner), so no resource has a pending action. A resource named must exist; a filter must be one RDS knows.
    /// </summary>
    public RdsPage<string> DescribePendingMaintenanceActions(Scope scope, string? resourceIdentifier, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        RdsRules.MaxRecords(maxRecords);
        if (resourceIdentifier is not null) MaintainedResource(scope, resourceIdentifier);
        foreach (var filter in filters.Where(f => f.Name is not ("db-cluster-id" or "db-instance-id")))
            throw RdsErrors.InvalidValue($"Unrecognized filter name: {filter.Name}");
        return new RdsPage<string>([], null);
    }

    /// <summary>ApplyPendingMaintenanceAction: the action and opt-in type checked, then refused as RDS refuses an action that is not pending.</summary>
    public void ApplyPendingMaintenanceAction(Scope scope, string resourceIdentifier, string applyAction, string optInType)
    {
        if (!MaintenanceActions.Contains(applyAction))
            throw RdsErrors.InvalidValue($"Invalid ApplyAction: {applyAction}. Valid values: {string.Join(", ", MaintenanceActions)}.");
        if (!OptInTypes.Contains(optInType))
            throw RdsErrors.InvalidValue($"Invalid OptInType: {optInType}. Valid values: {string.Join(", ", OptInTypes)}.");
        throw RdsErrors.NoPendingMaintenance(applyAction, MaintainedResource(scope, resourceIdentifier));
    }

    /// <summary>The ARN of the instance or cluster a maintenance call names by ARN, or RDS's ResourceNotFoundFault.</summary>
    private string MaintainedResource(Scope scope, string arn)
    {
        var parts = arn.Split(':');
        var exists = parts.Length == 7 && parts[0] == "arn" && parts[2] == "rds" && parts[3] == scope.Region && parts[4] == scope.AccountId && parts[5] switch
        {
            "db" => _instances.Get(InstanceKey(scope.AccountId, scope.Region, parts[6].ToLowerInvariant())) is not null,
            "cluster" => _clusters.Get(ClusterKey(scope.AccountId, scope.Region, parts[6].ToLowerInvariant())) is not null,
            _ => false,
        };
        return exists ? arn : throw RdsErrors.MaintenanceResourceNotFound(arn);
    }

    // ---- source Regions ----

    /// <summary>
    /// DescribeSourceRegions: every other Region Stratus serves (all of AWS's commercial partition, <see cref="Regions"/>), as a
    /// replica or a snapshot copy may come from any of them; one Region when named (which must be one), a page at a time.
    /// </summary>
    public RdsPage<string> DescribeSourceRegions(Scope scope, string? regionName, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        // The model documents Filters as not supported; RDS refuses any.
        if (filters.Count > 0) throw RdsErrors.InvalidValue($"Unrecognized filter name: {filters[0].Name}");
        if (regionName is not null && !Regions.IsKnown(regionName)) throw RdsErrors.InvalidValue($"Invalid region name: {regionName}");
        var sources = Regions.Known.Where(r => r != scope.Region && (regionName is null || r == regionName)).Order(StringComparer.Ordinal).ToList();
        return Page(sources, r => r, marker, max);
    }
}
