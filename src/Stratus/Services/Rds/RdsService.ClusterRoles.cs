using Stratus.Protocols;
using Stratus.Services.Iam;

namespace Stratus.Services.Rds;

/// <summary>
/// IAM roles associated with Aurora clusters (AddRoleToDBCluster, RemoveRoleFromDBCluster, AssociatedRoles). The role is looked
/// up in IAM (its domain, not over HTTP) and must let rds.amazonaws.com assume it; the association is recorded and reported
/// ACTIVE. What the features would do with it (aurora-postgresql's aws_s3 import and export, Lambda invoked from SQL, the
/// machine-learning services; aurora-mysql's LOAD DATA FROM S3) is not built.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>Aurora's default quota of IAM roles per DB cluster.</summary>
    private const int MaxClusterRoles = 5;

    /// <summary>
    /// The FeatureNames each engine takes, as DescribeDBEngineVersions lists them in SupportedFeatureNames: aurora-postgresql's;
    /// aurora-mysql lists none (its roles are associated without one, and named in cluster parameters such as aws_default_s3_role).
    /// </summary>
    public static IReadOnlyList<string> ClusterFeatureNames(string engine) => engine == "aurora-postgresql"
        ? ["Comprehend", "Lambda", "s3Export", "s3Import", "SageMaker"]
        : [];

    public DbCluster AddRoleToCluster(Scope scope, string clusterIdentifier, string roleArn, string? featureName)
    {
        var cluster = GetCluster(scope, clusterIdentifier);
        CheckFeatureName(cluster, featureName);
        if (_roles?.FindRoleByArn(roleArn) is not { } role || !PolicyDocument.TrustsService(role.AssumeRolePolicyDocument, "rds.amazonaws.com"))
            throw RdsErrors.ClusterRoleInvalid(roleArn);
        return UpdateCluster(cluster, c =>
        {
            if (c.Status is not ("available" or "stopped"))
                throw RdsErrors.InvalidClusterState($"DbCluster {c.Identifier} is in {c.Status} state but expected it to be one of available, stopped.");
            if (c.AssociatedRoles.Any(r => r.RoleArn == roleArn)) throw RdsErrors.ClusterRoleAlreadyExists(roleArn, c.Identifier);
            if (c.AssociatedRoles.Count >= MaxClusterRoles) throw RdsErrors.ClusterRoleQuotaExceeded(c.Identifier, MaxClusterRoles);
            return c with { AssociatedRoles = [.. c.AssociatedRoles, new DbClusterRole(roleArn, featureName)] };
        });
    }

    /// <summary>Removes the association; a FeatureName, when given, must be the one the role is associated for.</summary>
    public DbCluster RemoveRoleFromCluster(Scope scope, string clusterIdentifier, string roleArn, string? featureName)
    {
        var cluster = GetCluster(scope, clusterIdentifier);
        return UpdateCluster(cluster, c =>
        {
            if (c.Status is not ("available" or "stopped"))
                throw RdsErrors.InvalidClusterState($"DbCluster {c.Identifier} is in {c.Status} state but expected it to be one of available, stopped.");
            var associated = c.AssociatedRoles.FirstOrDefault(r => r.RoleArn == roleArn && (featureName is null || r.FeatureName == featureName))
                ?? throw RdsErrors.ClusterRoleNotFound(roleArn, c.Identifier);
            return c with { AssociatedRoles = c.AssociatedRoles.Where(r => r != associated).ToList() };
        });
    }

    private static void CheckFeatureName(DbCluster cluster, string? featureName)
    {
        if (featureName is null) return;
        var supported = ClusterFeatureNames(cluster.Engine);
        if (!supported.Contains(featureName)) throw RdsErrors.ClusterFeatureNotSupported(featureName, cluster.Engine, supported);
    }
}
