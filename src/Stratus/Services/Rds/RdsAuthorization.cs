using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// What `--auth enforce` authorizes RDS's operations against (Service Authorization Reference, Amazon
/// RDS): arn:aws:rds:REGION:ACCOUNT:TYPE:NAME for the instance (db), cluster, snapshot, cluster-snapshot,
/// parameter groups (pg, cluster-pg) and subnet group (subgrp) the request names; tag operations the
/// ResourceName ARN. Copies and restores name source and target: each must be allowed.
/// </summary>
public static class RdsAuthorization
{
    private static readonly (string Member, string Type)[] Members =
    [
        ("ResourceName", ""), ("DBInstanceIdentifier", "db"), ("DBClusterIdentifier", "cluster"), ("DBSnapshotIdentifier", "snapshot"),
        ("SourceDBSnapshotIdentifier", "snapshot"), ("TargetDBSnapshotIdentifier", "snapshot"),
        ("DBClusterSnapshotIdentifier", "cluster-snapshot"), ("SourceDBClusterSnapshotIdentifier", "cluster-snapshot"), ("TargetDBClusterSnapshotIdentifier", "cluster-snapshot"),
        ("DBParameterGroupName", "pg"), ("DBClusterParameterGroupName", "cluster-pg"), ("DBSubnetGroupName", "subgrp"),
    ];

    public static AuthorizationTable Table() => new("rds", unlisted: i =>
        Members.Select(m => (m.Type, Name: i.String(m.Member))).Where(m => m.Name is not null)
            .Select(m => AuthorizationTable.ArnOrBuild(m.Name!, name => AuthorizationTable.Arn(i, "rds", $"{m.Type}:{name.ToLowerInvariant()}"))));
}
