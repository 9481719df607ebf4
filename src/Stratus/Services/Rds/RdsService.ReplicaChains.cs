using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Where a read replica may come from, as RDS allows for MySQL, MariaDB and PostgreSQL: an instance of this Region named or
/// given by ARN, an instance of another Region of the same account given by its ARN (the replica lives in the caller's
/// Region and names its source by that ARN), or a replica itself (cascading: the middle server passes on what it applies),
/// at most three replicas deep below a source that is not a replica, and at most 15 replicas of one source.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>RDS's longest chain: a source and three replicas in series (four DB instances).</summary>
    public const int MaxReplicaChainDepth = 3;
    /// <summary>RDS's read replicas of one MySQL, MariaDB or PostgreSQL source.</summary>
    public const int MaxReplicasPerSource = 15;

    /// <summary>The source of a replica: a name or an ARN of this Region, or the ARN of an instance of this account in another Region.</summary>
    private DbInstance GetReplicaSource(Scope scope, string identifier)
    {
        if (!identifier.StartsWith("arn:", StringComparison.Ordinal)) return GetInstance(scope, identifier);
        var parts = identifier.Split(':');
        if (parts.Length != 7 || parts[2] != "rds" || parts[5] != "db")
            throw RdsErrors.InvalidValue($"The source DB instance identifier {identifier} is not a DB instance ARN.");
        if (parts[4] != scope.AccountId)
            throw RdsErrors.InvalidCombination($"The source DB instance {identifier} belongs to another account: a read replica's source must be in the caller's own account.");
        return GetInstance(Scope.Of(parts[4], parts[3]), parts[6]);
    }

    /// <summary>Refuses a replica below the chain's last one, or beyond the source's count of replicas.</summary>
    private void RequireRoomForReplica(DbInstance source)
    {
        var depth = 0;
        for (DbInstance? above = source; above?.ReplicaSourceIdentifier is not null && depth < MaxReplicaChainDepth; above = SourceOf(above)) depth++;
        if (depth >= MaxReplicaChainDepth)
            throw RdsErrors.InvalidInstanceState($"DB instance {source.Identifier} is the third read replica in a chain: a chain of cascading read replicas holds at most {MaxReplicaChainDepth} read replicas below its source.");
        if (ReplicaInstancesOf(source).Count >= MaxReplicasPerSource)
            throw RdsErrors.InvalidInstanceState($"DB instance {source.Identifier} already has {MaxReplicasPerSource} read replicas, the most one source can have.");
    }

    /// <summary>The instance a replica follows (by name in its Region, or by ARN in another), if it still exists.</summary>
    private DbInstance? SourceOf(DbInstance replica) => replica.ReplicaSourceIdentifier is not { } source ? null
        : _instances.Get(InstanceKey(replica.AccountId, source.StartsWith("arn:", StringComparison.Ordinal) ? source.Split(':')[3] : replica.Region, NameFromArn(source, "db")));

    /// <summary>The instance's read replicas, in its Region by name and in other Regions of its account by its ARN.</summary>
    private List<DbInstance> ReplicaInstancesOf(DbInstance source) => _instances.Values
        .Where(i => i.AccountId == source.AccountId && (i.Region == source.Region ? i.ReplicaSourceIdentifier == source.Identifier : i.ReplicaSourceIdentifier == source.Arn))
        .ToList();
}
