using Stratus.Services.Rds.Engine;
using System.Globalization;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// DB parameter groups and DB cluster parameter groups. An instance's group is real: its static parameters are
/// the server's start options, its dynamic ones are set with SET GLOBAL once the server is up and again at once
/// when the group changes (ApplyMethod immediate). A new group for an instance, or a static change, waits for
/// the next reboot, the instance reporting "pending-reboot" until then, as RDS does.
/// </summary>
public sealed partial class RdsService
{
    private const int MaxParametersPerCall = 20;

    private readonly ResourceTable<DbParameterGroup> _parameterGroups;

    /// <summary>The instance families Stratus serves: one per engine version it reports (mysql8.0, mariadb10.11).</summary>
    public IReadOnlyList<string> ParameterGroupFamilies(bool cluster)
    {
        var families = RdsRules.Engines.SelectMany(engine => EngineVersions(engine).Select(version => Family(engine, version))).ToList();
        // Aurora's families serve both kinds (its instances have DB parameter groups too); mysql8.0 is the Multi-AZ cluster's.
        return cluster ? [.. AuroraFamilies(), .. families.Where(f => f.StartsWith("mysql", StringComparison.Ordinal))] : [.. families, .. AuroraFamilies()];
    }

    public static string Family(string engine, string version) => engine + RdsRules.MajorVersion(engine, version);

    /// <summary>RDS's name for a family's default group: default.mysql8.0.</summary>
    public static string DefaultParameterGroupName(string family) => "default." + family;

    public DbParameterGroup CreateParameterGroup(Scope scope, string name, string family, string? description, IReadOnlyList<RdsTag> tags, bool cluster)
    {
        var groupName = RdsRules.GroupName(cluster ? "DBClusterParameterGroupName" : "DBParameterGroupName", name);
        if (!ParameterGroupFamilies(cluster).Contains(family)) throw RdsErrors.UnknownParameterGroupFamily(family, ParameterGroupFamilies(cluster));
        var group = new DbParameterGroup
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = groupName,
            Family = family,
            Description = description ?? throw RdsErrors.InvalidValue("The parameter Description must be provided and must not be blank."),
            IsCluster = cluster,
            Tags = tags,
        };
        RequireQuota(scope, cluster ? "DBClusterParameterGroups" : "DBParameterGroups");
        if (!_parameterGroups.TryAdd(ParameterGroupKey(scope, groupName, cluster), group)) throw RdsErrors.ParameterGroupAlreadyExists(groupName);
        return group;
    }

    public DbParameterGroup CopyParameterGroup(Scope scope, string source, string target, string? description, IReadOnlyList<RdsTag> tags, bool cluster)
    {
        var from = GetParameterGroup(scope, NameFromArn(source, cluster ? "cluster-pg" : "pg"), cluster);
        var copy = CreateParameterGroup(scope, target, from.Family, description, tags, cluster) with { Parameters = from.Parameters };
        _parameterGroups.Put(ParameterGroupKey(scope, copy.Name, cluster), copy);
        return copy;
    }

    /// <summary>A stored group, or a family's default group (which sets nothing).</summary>
    public DbParameterGroup GetParameterGroup(Scope scope, string name, bool cluster)
    {
        var lowered = name.ToLowerInvariant();
        if (_parameterGroups.Get(ParameterGroupKey(scope, lowered, cluster)) is { } stored) return stored;
        var family = ParameterGroupFamilies(cluster).FirstOrDefault(f => DefaultParameterGroupName(f) == lowered)
            ?? throw RdsErrors.ParameterGroupNotFound(name, cluster);
        return new DbParameterGroup
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = lowered,
            Family = family,
            Description = $"Default parameter group for {family}",
            IsCluster = cluster,
        };
    }

    public RdsPage<DbParameterGroup> DescribeParameterGroups(Scope scope, string? name, string? marker, int? maxRecords, bool cluster)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (name is not null) return new RdsPage<DbParameterGroup>([GetParameterGroup(scope, name, cluster)], null);
        var groups = _parameterGroups.Values.Where(g => g.AccountId == scope.AccountId && g.Region == scope.Region && g.IsCluster == cluster)
            .Concat(ParameterGroupFamilies(cluster).Select(f => GetParameterGroup(scope, DefaultParameterGroupName(f), cluster)))
            .OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        return Page(groups, g => g.Name, marker, max);
    }

    public void DeleteParameterGroup(Scope scope, string name, bool cluster)
    {
        var group = GetParameterGroup(scope, name, cluster);
        if (group.IsDefault) throw RdsErrors.InvalidParameterGroupState($"Default {(cluster ? "DBClusterParameterGroup" : "DBParameterGroup")} cannot be deleted: {group.Name}");
        if (!cluster && InstancesUsing(group).FirstOrDefault() is not null)
            throw RdsErrors.InvalidParameterGroupState($"One or more database instances are still members of this parameter group {group.Name}, so the group cannot be deleted");
        if (cluster && ClustersUsing(group).FirstOrDefault() is not null)
            throw RdsErrors.InvalidParameterGroupState($"One or more DB clusters are still members of this parameter group {group.Name}, so the group cannot be deleted");
        _parameterGroups.Remove(ParameterGroupKey(scope, group.Name, cluster));
    }

    /// <summary>The group's parameters (all, or those of one Source: user, system, engine-default), in name order.</summary>
    public RdsPage<RdsParameterView> DescribeParameters(Scope scope, string name, string? source, string? marker, int? maxRecords, bool cluster) =>
        ParameterPage(GetParameterGroup(scope, name, cluster), source, marker, maxRecords);

    public RdsPage<RdsParameterView> EngineDefaultParameters(Scope scope, string family, string? marker, int? maxRecords, bool cluster)
    {
        if (!ParameterGroupFamilies(cluster).Contains(family)) throw RdsErrors.UnknownParameterGroupFamily(family, ParameterGroupFamilies(cluster));
        return ParameterPage(GetParameterGroup(scope, DefaultParameterGroupName(family), cluster), null, marker, maxRecords);
    }

    private static RdsPage<RdsParameterView> ParameterPage(DbParameterGroup group, string? source, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var views = RdsParameterCatalog.For(group.Family).Select(definition => View(group, definition))
            .Where(view => source is null || view.Source == source).ToList();
        return Page(views, v => v.Definition.Name, marker, max);
    }

    private static RdsParameterView View(DbParameterGroup group, RdsParameterDefinition definition)
    {
        var defaultMethod = definition.IsStatic ? "pending-reboot" : "immediate";
        if (group.Parameters.TryGetValue(definition.Name, out var setting)) return new RdsParameterView(definition, setting.Value, "user", setting.ApplyMethod);
        return definition.StratusValue is { } value
            ? new RdsParameterView(definition, value, "system", defaultMethod)
            : new RdsParameterView(definition, null, "engine-default", defaultMethod);
    }

    /// <summary>Sets parameters in the group, then in the servers of the instances using it: dynamic ones at once when asked, the rest at their next reboot.</summary>
    public async Task<DbParameterGroup> ModifyParameterGroupAsync(Scope scope, string name, IReadOnlyList<RdsParameterChange> changes, bool cluster)
    {
        var group = GetParameterGroup(scope, name, cluster);
        if (group.IsDefault) throw RdsErrors.InvalidValue($"The parameter group {group.Name} is a default group: default parameter groups cannot be modified.");
        var settings = ValidatedChanges(group.Family, changes, requireValue: true);
        CheckCharacterSetAndCollation(group.Parameters, settings);
        var updated = _parameterGroups.Update(ParameterGroupKey(scope, group.Name, cluster), g =>
        {
            var parameters = new Dictionary<string, RdsParameterSetting>(g.Parameters, StringComparer.Ordinal);
            foreach (var (definition, setting) in settings) parameters[definition.Name] = setting;
            return g with { Parameters = parameters };
        }) ?? throw RdsErrors.ParameterGroupNotFound(name, cluster);
        await ApplyToInstancesAsync(updated, settings.Select(s => (s.Definition, (string?)s.Setting.Value, s.Setting.ApplyMethod)).ToList());
        return updated;
    }

    /// <summary>Puts parameters (or all of them) back to their defaults, applied as ModifyDBParameterGroup applies a change.</summary>
    public async Task<DbParameterGroup> ResetParameterGroupAsync(Scope scope, string name, bool resetAll, IReadOnlyList<RdsParameterChange> changes, bool cluster)
    {
        var group = GetParameterGroup(scope, name, cluster);
        if (group.IsDefault) throw RdsErrors.InvalidValue($"The parameter group {group.Name} is a default group: default parameter groups cannot be modified.");
        if (resetAll == changes.Count > 0)
            throw RdsErrors.InvalidCombination("Exactly one of ResetAllParameters and Parameters must be provided.");
        var resets = resetAll
            ? group.Parameters.Select(p => (Definition: RdsParameterCatalog.Find(group.Family, p.Key)!, Setting: new RdsParameterSetting("", RdsParameterCatalog.Find(group.Family, p.Key)!.IsStatic ? "pending-reboot" : "immediate"))).ToList()
            : ValidatedChanges(group.Family, changes, requireValue: false);
        var updated = _parameterGroups.Update(ParameterGroupKey(scope, group.Name, cluster), g =>
        {
            var parameters = new Dictionary<string, RdsParameterSetting>(g.Parameters, StringComparer.Ordinal);
            foreach (var (definition, _) in resets) parameters.Remove(definition.Name);
            return g with { Parameters = parameters };
        }) ?? throw RdsErrors.ParameterGroupNotFound(name, cluster);
        await ApplyToInstancesAsync(updated, resets.Select(r => (r.Definition, (string?)null, r.Setting.ApplyMethod)).ToList());
        return updated;
    }

    private static List<(RdsParameterDefinition Definition, RdsParameterSetting Setting)> ValidatedChanges(string family, IReadOnlyList<RdsParameterChange> changes, bool requireValue)
    {
        if (changes.Count == 0) throw RdsErrors.InvalidValue("The parameter Parameters must be provided and must not be empty.");
        if (changes.Count > MaxParametersPerCall) throw RdsErrors.InvalidValue($"A request may modify at most {MaxParametersPerCall} parameters; it names {changes.Count}.");
        var result = new List<(RdsParameterDefinition, RdsParameterSetting)>();
        foreach (var change in changes)
        {
            var definition = RdsParameterCatalog.Find(family, change.Name) ?? throw RdsErrors.ParameterNotFound(change.Name);
            if (requireValue && (change.Value is null || !definition.Allows(change.Value)))
                throw RdsErrors.ParameterValueNotAllowed(definition, change.Value ?? "");
            // Without an ApplyMethod a change applies as soon as its apply type allows.
            var method = change.ApplyMethod ?? (definition.IsStatic ? "pending-reboot" : "immediate");
            if (method is not ("immediate" or "pending-reboot")) throw RdsErrors.InvalidValue($"Invalid ApplyMethod {method}: must be immediate or pending-reboot.");
            if (method == "immediate" && definition.IsStatic) throw RdsErrors.ImmediateStaticParameter(definition.Name);
            result.Add((definition, new RdsParameterSetting(change.Value ?? "", method)));
        }
        return result;
    }

    /// <summary>A collation must belong to the character set, or the server refuses both (at a start, it would not start).</summary>
    private static void CheckCharacterSetAndCollation(IReadOnlyDictionary<string, RdsParameterSetting> current, List<(RdsParameterDefinition Definition, RdsParameterSetting Setting)> changes)
    {
        string? Value(string name) => changes.LastOrDefault(c => c.Definition.Name == name).Setting?.Value ?? current.GetValueOrDefault(name)?.Value;
        var characterSet = Value("character_set_server");
        var collation = Value("collation_server");
        if (characterSet is null || collation is null || characterSet == "binary" && collation == "binary") return;
        if (!collation.StartsWith(characterSet + "_", StringComparison.OrdinalIgnoreCase))
            throw RdsErrors.InvalidCombination($"COLLATION '{collation}' is not valid for CHARACTER SET '{characterSet}'.");
    }

    /// <summary>
    /// Applies changed parameters to each running instance that uses the group (a cluster group: each member of the
    /// clusters using it): immediate ones with SET GLOBAL (a null value puts the default back), others mark the instance
    /// pending-reboot. A server refusing a value is an event, as on RDS.
    /// </summary>
    private async Task ApplyToInstancesAsync(DbParameterGroup group, IReadOnlyList<(RdsParameterDefinition Definition, string? Value, string ApplyMethod)> changes)
    {
        var instances = group.IsCluster ? ClustersUsing(group).SelectMany(ClusterMembers).ToList() : InstancesUsing(group).ToList();
        foreach (var instance in instances)
        {
            if (changes.Any(c => c.ApplyMethod == "pending-reboot"))
                UpdateInstance(instance, i => group.IsCluster ? i with { ClusterParameterApplyStatus = "pending-reboot" } : i with { ParameterApplyStatus = "pending-reboot" });
            // A group the instance has not rebooted into yet is not in force: its changes wait for that reboot too.
            var pending = group.IsCluster ? instance.ClusterParameterApplyStatus : instance.ParameterApplyStatus;
            if (instance.Status != "available" || pending is not null || _fleet is null) continue;
            // Aurora: a parameter the instance's own DB parameter group sets overrides its cluster group's.
            var overridden = group.IsCluster ? InstanceParameterGroup(instance).Parameters.Keys.ToHashSet(StringComparer.Ordinal) : [];
            var gate = OperationLock(instance.ResourceId);
            await gate.WaitAsync();
            try
            {
                foreach (var (definition, value, _) in changes.Where(c => c.ApplyMethod == "immediate" && !overridden.Contains(c.Definition.Name)))
                    await SetParameterAsync(instance, definition, value);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// The instance's group as the server's parameters: before a start the static ones become its options, once it
    /// runs the dynamic ones are set in it.
    /// </summary>
    private async Task ApplyGroupParametersAsync(DbInstance instance, CancellationToken cancellation)
    {
        var group = InstanceParameterGroup(instance);
        // An Aurora member runs with its cluster's group, where its own group does not set the parameter (the instance's wins, as on Aurora).
        var settings = new Dictionary<string, RdsParameterSetting>(StringComparer.Ordinal);
        if (MemberClusterParameterGroup(instance) is { } clusterGroup)
            foreach (var (name, setting) in clusterGroup.Parameters) settings[name] = setting;
        foreach (var (name, setting) in group.Parameters) settings[name] = setting;
        var parameters = settings
            .Select(p => (Definition: RdsParameterCatalog.Find(group.Family, p.Key), Value: p.Value.Value))
            .Where(p => p.Definition is not null && (p.Value ?? p.Definition.StratusValue) is not null)
            .Select(p => new DbParameter(p.Definition!.Name,
                Convert.ToString(p.Definition.ServerValue((p.Value ?? p.Definition.StratusValue)!), CultureInfo.InvariantCulture) ?? "",
                p.Definition.IsStatic ? "static" : "dynamic"))
            .ToList();
        try
        {
            await ServerOf(instance).ApplyParametersAsync(parameters, cancellation);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or ArgumentException)
        {
            Event(instance, $"The parameter group {group.Name} could not be applied: {e.Message}", "configuration change");
        }
    }

    /// <summary>One immediate change in a running server; a null value (a reset) puts the server's default back.</summary>
    private async Task SetParameterAsync(DbInstance instance, RdsParameterDefinition definition, string? value)
    {
        try
        {
            if (ServerOf(instance) is not MariaDbServer server)
            {
                // PostgreSQL: ALTER SYSTEM and a reload; an empty value is ALTER SYSTEM RESET.
                var effectiveValue = value ?? definition.StratusValue;
                await ServerOf(instance).ApplyParametersAsync([new DbParameter(definition.Name,
                    effectiveValue is null ? "" : Convert.ToString(definition.ServerValue(effectiveValue), CultureInfo.InvariantCulture) ?? "", "dynamic")], _shutdown.Token);
            }
            else if (value is null && definition.StratusValue is null) await server.SetGlobalDefaultAsync(definition.Name);
            else
            {
                var effective = value ?? definition.StratusValue!;
                if (definition.Name == "time_zone") await server.EnsureTimeZonesAsync();
                await server.SetGlobalAsync(definition.Name, definition.ServerValue(effective));
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or ArgumentException)
        {
            Event(instance, $"The parameter {definition.Name} could not be applied: {e.Message}", "configuration change");
        }
    }

    private IDbServer ServerOf(DbInstance instance) => RequireFleet().Server(instance.ResourceId, RequireEngine(instance.Engine));

    /// <summary>The group an instance names, or (for null, or a group deleted under a stopped instance) its family's default.</summary>
    private DbParameterGroup InstanceParameterGroup(DbInstance instance)
    {
        var scope = Scope.Of(instance.AccountId, instance.Region);
        return instance.ParameterGroupName is { } name && _parameterGroups.Get(ParameterGroupKey(scope, name, cluster: false)) is { } group
            ? group
            : GetParameterGroup(scope, DefaultParameterGroupName(Family(instance.Engine, instance.EngineVersion)), cluster: false);
    }

    /// <summary>The DB cluster parameter group of the instance's cluster; null for a stand-alone instance.</summary>
    private DbParameterGroup? MemberClusterParameterGroup(DbInstance instance)
    {
        if (instance.ClusterIdentifier is null || _clusters.Get(ClusterKey(instance.AccountId, instance.Region, instance.ClusterIdentifier)) is not { } cluster) return null;
        return GetParameterGroup(Scope.Of(cluster.AccountId, cluster.Region), ClusterParameterGroupNameOf(cluster), cluster: true);
    }

    private IEnumerable<DbCluster> ClustersUsing(DbParameterGroup group) => _clusters.Values.Where(c =>
        c.AccountId == group.AccountId && c.Region == group.Region && ClusterParameterGroupNameOf(c) == group.Name);

    public string ParameterGroupNameOf(DbInstance instance) =>
        instance.ParameterGroupName ?? DefaultParameterGroupName(Family(instance.Engine, instance.EngineVersion));

    /// <summary>The group named for an instance of this engine version: it must exist and be of the instance's family. Null stays the default.</summary>
    private string? ResolveInstanceParameterGroup(Scope scope, string? name, string engine, string version)
    {
        if (name is null) return null;
        var group = GetParameterGroup(scope, name, cluster: false);
        var family = Family(engine, version);
        if (group.Family != family) throw RdsErrors.ParameterGroupFamilyMismatch(group.Name, group.Family, family);
        return group.IsDefault ? null : group.Name;
    }

    private IEnumerable<DbInstance> InstancesUsing(DbParameterGroup group) => _instances.Values.Where(i =>
        i.AccountId == group.AccountId && i.Region == group.Region && ParameterGroupNameOf(i) == group.Name);

    private static string ParameterGroupKey(Scope scope, string name, bool cluster) =>
        ResourceTable<DbParameterGroup>.Key(scope.AccountId, scope.Region, cluster ? "cluster" : "instance", name);
}
