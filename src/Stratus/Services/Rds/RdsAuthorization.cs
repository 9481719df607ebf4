using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// What `--auth enforce` authorizes RDS's operations against (Service Authorization Reference, Amazon
/// RDS): arn:aws:rds:REGION:ACCOUNT:TYPE:NAME for the instance (db), cluster, snapshot, cluster-snapshot,
/// parameter groups (pg, cluster-pg) and subnet group (subgrp) the request names; tag operations the
/// ResourceName ARN, maintenance operations the ResourceIdentifier ARN. A snapshot another account shared is named by its ARN,
/// which is authorized as given. Copies and restores name source and target: each must be allowed. An instance's,
/// cluster's or snapshot's tags are its aws:ResourceTag keys; creating one carries rds:DatabaseEngine,
/// rds:DatabaseClass and rds:StorageSize.
/// </summary>
public static class RdsAuthorization
{
    private static readonly (string Member, string Type)[] Members =
    [
        ("ResourceName", ""), ("DBInstanceIdentifier", "db"), ("DBClusterIdentifier", "cluster"), ("DBSnapshotIdentifier", "snapshot"),
        ("SourceDBSnapshotIdentifier", "snapshot"), ("TargetDBSnapshotIdentifier", "snapshot"),
        ("DBClusterSnapshotIdentifier", "cluster-snapshot"), ("SourceDBClusterSnapshotIdentifier", "cluster-snapshot"), ("TargetDBClusterSnapshotIdentifier", "cluster-snapshot"),
        ("DBParameterGroupName", "pg"), ("DBClusterParameterGroupName", "cluster-pg"), ("DBSubnetGroupName", "subgrp"),
        // RestoreDBClusterFromSnapshot's snapshot; the maintenance operations' resource, always an ARN.
        ("SnapshotIdentifier", "cluster-snapshot"), ("ResourceIdentifier", ""),
    ];

    private static readonly (string Member, string Key)[] ConditionMembers =
    [
        ("Engine", "rds:DatabaseEngine"), ("DBInstanceClass", "rds:DatabaseClass"), ("AllocatedStorage", "rds:StorageSize"),
    ];

    public static AuthorizationTable Table(RdsService rds) => new("rds", unlisted: i =>
            Members.Select(m => (m.Type, Name: i.String(m.Member))).Where(m => m.Name is not null)
                .Select(m => AuthorizationTable.ArnOrBuild(m.Name!, name => AuthorizationTable.Arn(i, "rds", $"{m.Type}:{name.ToLowerInvariant()}"))),
        context: AddConditionKeys, resourceTags: arn => TagsOf(rds, arn), serviceResourceTagKeyOf: ServiceTagKey);

    /// <summary>
    /// RDS's own names for a resource's tags (Service Authorization Reference): rds:db-tag/KEY on an instance,
    /// rds:cluster-tag, rds:snapshot-tag and rds:cluster-snapshot-tag on the others, with aws:ResourceTag's values.
    /// </summary>
    private static string? ServiceTagKey(string arn) =>
        arn.Split(':') is ["arn", _, "rds", _, _, var type and ("db" or "cluster" or "snapshot" or "cluster-snapshot"), _] ? $"rds:{type}-tag" : null;

    private static void AddConditionKeys(OperationInput input, RequestContext request)
    {
        foreach (var (member, key) in ConditionMembers)
            if (input.Body[member] is System.Text.Json.Nodes.JsonValue v) request.With(key, v.ToString());
    }

    private static IReadOnlyDictionary<string, string>? TagsOf(RdsService rds, string arn)
    {
        if (arn.Split(':') is not ["arn", _, "rds", var region, var account, "db" or "cluster" or "snapshot" or "cluster-snapshot" or "cluster-endpoint", _]) return null;
        try
        {
            return rds.ListTags(Scope.Of(account, region), arn).GroupBy(t => t.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        }
        catch (AwsException)
        {
            return null; // not created yet (CreateDBInstance is authorized on the instance it will make)
        }
    }
}
