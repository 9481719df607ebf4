using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>One instance class of one engine version on one storage type that CreateDBInstance accepts, in the Region's zones.</summary>
public sealed record OrderableInstanceOption(string Engine, string EngineVersion, string InstanceClass, string StorageType, IReadOnlyList<string> AvailabilityZones)
{
    /// <summary>Orders the options as one list for paging: engine, version, class, storage type.</summary>
    public string Key => $"{Engine} {EngineVersion} {InstanceClass} {StorageType}";
}

/// <summary>The modifications ModifyDBInstance accepts for one instance: its storage type from its size up to RDS's most (none for an Aurora member).</summary>
public sealed record ValidInstanceModifications(string? StorageType, int MinStorage, int MaxStorage);

/// <summary>
/// What can be ordered here, derived from what this machine runs and what Stratus's rules accept, so that every option listed
/// is one CreateDBInstance takes: the versions DescribeDBEngineVersions reports, the instance classes and storage types of
/// <see cref="RdsRules"/>, Aurora members on db.serverless too and on Aurora's own storage.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>Every engine Stratus serves, instance engines and Aurora's.</summary>
    public static readonly IReadOnlyList<string> ListedEngines = [.. RdsRules.Engines, .. ClusterEngines];

    /// <summary>The versions of <paramref name="engine"/> this machine runs that <paramref name="requested"/> names (a version or its prefix; all when null).</summary>
    public IEnumerable<string> EngineVersionsMatching(string engine, string? requested) =>
        EngineVersions(engine).Where(v => requested is null || v == requested || v.StartsWith(requested + ".", StringComparison.Ordinal));

    /// <summary>
    /// DescribeOrderableDBInstanceOptions: an engine Stratus does not run has none; filters are refused, as the model documents
    /// them unsupported. <paramref name="vpc"/> false asks for EC2-Classic's options, which no longer exist.
    /// </summary>
    public RdsPage<OrderableInstanceOption> DescribeOrderableOptions(Scope scope, string engine, string? engineVersion, string? instanceClass,
        string? licenseModel, bool? vpc, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (filters.Count > 0) throw RdsErrors.InvalidValue($"Unrecognized filter name: {filters[0].Name}");
        var options = new List<OrderableInstanceOption>();
        if (ListedEngines.Contains(engine) && vpc != false && (licenseModel is null || licenseModel == RdsRules.LicenseModel(engine)))
        {
            var zones = GetSubnetGroup(scope, null).Subnets.Select(s => s.AvailabilityZone).Distinct().Order(StringComparer.Ordinal).ToList();
            var aurora = ClusterEngines.Contains(engine);
            IEnumerable<string> classes = aurora ? [ServerlessInstanceClass, .. RdsRules.InstanceClasses] : RdsRules.InstanceClasses;
            IReadOnlyList<string> storageTypes = aurora ? ["aurora"] : RdsRules.StorageTypes;
            foreach (var version in EngineVersionsMatching(engine, engineVersion))
                foreach (var dbClass in classes.Where(c => instanceClass is null || c == instanceClass))
                    options.AddRange(storageTypes.Select(storage => new OrderableInstanceOption(engine, version, dbClass, storage, zones)));
        }
        return Page(options.OrderBy(o => o.Key, StringComparer.Ordinal).ToList(), o => o.Key, marker, max);
    }

    /// <summary>DescribeDBMajorEngineVersions: each major version Stratus runs of each engine (of the one named), a page at a time.</summary>
    public RdsPage<(string Engine, string MajorVersion)> DescribeMajorEngineVersions(string? engine, string? majorVersion, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var majors = ListedEngines.Where(e => engine is null || e == engine)
            .SelectMany(e => EngineVersions(e).Select(v => (Engine: e, MajorVersion: RdsRules.MajorVersion(e, v))))
            .Where(m => majorVersion is null || m.MajorVersion == majorVersion)
            .Distinct()
            .OrderBy(m => MajorKey(m), StringComparer.Ordinal).ToList();
        return Page(majors, MajorKey, marker, max);
    }

    private static string MajorKey((string Engine, string MajorVersion) major) => $"{major.Engine} {major.MajorVersion}";

    /// <summary>
    /// DescribeValidDBInstanceModifications: ModifyDBInstance grows storage (never shrinks it) up to RDS's most, on the
    /// instance's storage type (it does not change types); an Aurora member's storage is the cluster's, so it has none.
    /// </summary>
    public ValidInstanceModifications DescribeValidModifications(Scope scope, string identifier)
    {
        var instance = GetInstance(scope, identifier);
        if (instance.ClusterIdentifier is not null) return new ValidInstanceModifications(null, 0, 0);
        var from = Math.Max(instance.AllocatedStorage, instance.Pending?.AllocatedStorage ?? 0);
        return new ValidInstanceModifications(instance.StorageType, from, RdsRules.MaxStorage);
    }
}
