using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// Option groups and event subscriptions: recorded with AWS's shapes and errors. Stratus offers no options
/// (no option has behaviour behind it) and has no SNS to deliver events to; README says so.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>The event categories RDS lists for each source type; Stratus records events of these for instances and snapshots.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> EventCategories = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        ["db-instance"] = ["availability", "backup", "configuration change", "creation", "deletion", "failover", "failure", "low storage", "maintenance",
            "notification", "read replica", "recovery", "restoration", "security", "security patching"],
        ["db-snapshot"] = ["creation", "deletion", "notification", "restoration"],
        ["db-parameter-group"] = ["configuration change"],
        ["db-security-group"] = ["configuration change", "failure"],
    };

    private readonly ResourceTable<RdsOptionGroup> _optionGroups;
    private readonly ResourceTable<RdsEventSubscription> _subscriptions;

    // ---- option groups ----

    /// <summary>RDS's name for an engine version's default option group: default:mysql-8-0.</summary>
    public static string DefaultOptionGroupName(string engine, string majorVersion) => $"default:{engine}-{majorVersion.Replace('.', '-')}";


    public string OptionGroupNameOf(DbInstance instance) => instance.OptionGroupName ?? DefaultOptionGroupName(instance.Engine, RdsRules.MajorVersion(instance.Engine, instance.EngineVersion));

    public RdsOptionGroup CreateOptionGroup(Scope scope, string name, string engine, string majorVersion, string? description, IReadOnlyList<RdsTag> tags)
    {
        var groupName = RdsRules.GroupName("OptionGroupName", name);
        RdsRules.Engine(engine);
        if (!EngineVersions(engine).Any(v => RdsRules.MajorVersion(engine, v) == majorVersion))
            throw RdsErrors.InvalidValue($"Invalid MajorEngineVersion {majorVersion} for engine {engine}: Stratus serves {string.Join(", ", EngineVersions(engine).Select(v => RdsRules.MajorVersion(engine, v)))}.");
        var group = new RdsOptionGroup
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = groupName,
            Description = description ?? throw RdsErrors.InvalidValue("The parameter OptionGroupDescription must be provided and must not be blank."),
            EngineName = engine,
            MajorEngineVersion = majorVersion,
            Tags = tags,
        };
        RequireQuota(scope, "OptionGroups");
        if (!_optionGroups.TryAdd(OptionGroupKey(scope, groupName), group)) throw RdsErrors.OptionGroupAlreadyExists(groupName);
        return group;
    }

    public RdsOptionGroup CopyOptionGroup(Scope scope, string source, string target, string? description, IReadOnlyList<RdsTag> tags)
    {
        var from = GetOptionGroup(scope, NameFromArn(source, "og"));
        return CreateOptionGroup(scope, target, from.EngineName, from.MajorEngineVersion, description, tags);
    }

    /// <summary>A stored group, or a default one (default:mysql-8-0) of an engine version Stratus serves.</summary>
    public RdsOptionGroup GetOptionGroup(Scope scope, string name)
    {
        var lowered = name.ToLowerInvariant();
        if (_optionGroups.Get(OptionGroupKey(scope, lowered)) is { } stored) return stored;
        return DefaultOptionGroups(scope).FirstOrDefault(g => g.Name == lowered) ?? throw RdsErrors.OptionGroupNotFound(name);
    }

    private IEnumerable<RdsOptionGroup> DefaultOptionGroups(Scope scope) =>
        RdsRules.Engines.SelectMany(engine => EngineVersions(engine).Select(v => (engine, major: RdsRules.MajorVersion(engine, v)))).Distinct().Select(e => new RdsOptionGroup
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = DefaultOptionGroupName(e.engine, e.major),
            Description = $"Default option group for {e.engine} {e.major}",
            EngineName = e.engine,
            MajorEngineVersion = e.major,
        });

    public RdsPage<RdsOptionGroup> DescribeOptionGroups(Scope scope, string? name, string? engine, string? majorVersion, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (name is not null) return new RdsPage<RdsOptionGroup>([GetOptionGroup(scope, name)], null);
        var groups = _optionGroups.Values.Where(g => g.AccountId == scope.AccountId && g.Region == scope.Region).Concat(DefaultOptionGroups(scope))
            .Where(g => (engine is null || g.EngineName == engine) && (majorVersion is null || g.MajorEngineVersion == majorVersion))
            .OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        return Page(groups, g => g.Name, marker, max);
    }

    /// <summary>Options to remove are removed (none are ever present); options to include are refused by name, as none is offered.</summary>
    public RdsOptionGroup ModifyOptionGroup(Scope scope, string name, IReadOnlyList<string> optionsToInclude)
    {
        var group = GetOptionGroup(scope, name);
        if (group.IsDefault) throw RdsErrors.InvalidValue($"The option group {group.Name} is a default group: default option groups cannot be modified.");
        if (optionsToInclude.Count > 0) throw RdsErrors.OptionNotOffered(optionsToInclude[0], group.EngineName, group.MajorEngineVersion);
        return group;
    }

    public void DeleteOptionGroup(Scope scope, string name)
    {
        var group = GetOptionGroup(scope, name);
        if (group.IsDefault) throw RdsErrors.InvalidOptionGroupState($"Default option group {group.Name} cannot be deleted.");
        if (_instances.Values.Any(i => i.AccountId == scope.AccountId && i.Region == scope.Region && i.OptionGroupName == group.Name))
            throw RdsErrors.InvalidOptionGroupState($"The option group '{group.Name}' cannot be deleted because it is in use.");
        _optionGroups.Remove(OptionGroupKey(scope, group.Name));
    }

    private string? ResolveInstanceOptionGroup(Scope scope, string? name, string engine, string version)
    {
        if (name is null) return null;
        var group = GetOptionGroup(scope, name);
        if (group.EngineName != engine || group.MajorEngineVersion != RdsRules.MajorVersion(engine, version))
            throw RdsErrors.InvalidCombination($"The option group {group.Name} is for {group.EngineName} {group.MajorEngineVersion}, not {engine} {RdsRules.MajorVersion(engine, version)}.");
        return group.IsDefault ? null : group.Name;
    }

    private static string OptionGroupKey(Scope scope, string name) => ResourceTable<RdsOptionGroup>.Key(scope.AccountId, scope.Region, name);

    // ---- event subscriptions ----

    public RdsEventSubscription CreateEventSubscription(Scope scope, string name, string? snsTopicArn, string? sourceType,
        IReadOnlyList<string> categories, IReadOnlyList<string> sourceIds, bool? enabled, IReadOnlyList<RdsTag> tags)
    {
        var subscriptionName = RdsRules.GroupName("SubscriptionName", name);
        var subscription = new RdsEventSubscription
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = subscriptionName,
            SnsTopicArn = SnsTopic(snsTopicArn ?? throw RdsErrors.InvalidValue("The parameter SnsTopicArn must be provided and must not be blank.")),
            SourceType = SubscriptionSource(scope, sourceType, categories, sourceIds),
            SourceIds = sourceIds.Select(id => id.ToLowerInvariant()).Distinct().ToList(),
            EventCategories = categories,
            Enabled = enabled ?? true,
            CreationTime = Now,
            Tags = tags,
        };
        RequireQuota(scope, "EventSubscriptions");
        if (!_subscriptions.TryAdd(SubscriptionKey(scope, subscriptionName), subscription)) throw RdsErrors.SubscriptionAlreadyExists(subscriptionName);
        return subscription;
    }

    public RdsEventSubscription GetEventSubscription(Scope scope, string name) =>
        _subscriptions.Get(SubscriptionKey(scope, name.ToLowerInvariant())) ?? throw RdsErrors.SubscriptionNotFound(name);

    public RdsEventSubscription ModifyEventSubscription(Scope scope, string name, string? snsTopicArn, string? sourceType, IReadOnlyList<string>? categories, bool? enabled)
    {
        var existing = GetEventSubscription(scope, name);
        var type = sourceType ?? existing.SourceType;
        var newCategories = categories ?? existing.EventCategories;
        SubscriptionSource(scope, type, newCategories, sourceType is null ? existing.SourceIds : []);
        return _subscriptions.Update(SubscriptionKey(scope, existing.Name), s => s with
        {
            SnsTopicArn = snsTopicArn is null ? s.SnsTopicArn : SnsTopic(snsTopicArn),
            SourceType = type,
            // A new source type drops the identifiers of the old one, as RDS does.
            SourceIds = sourceType is null || sourceType == s.SourceType ? s.SourceIds : [],
            EventCategories = newCategories,
            Enabled = enabled ?? s.Enabled,
        }) ?? throw RdsErrors.SubscriptionNotFound(name);
    }

    public RdsEventSubscription DeleteEventSubscription(Scope scope, string name)
    {
        var existing = GetEventSubscription(scope, name);
        _subscriptions.Remove(SubscriptionKey(scope, existing.Name));
        return existing;
    }

    public RdsEventSubscription ChangeSubscriptionSource(Scope scope, string name, string sourceId, bool add)
    {
        var existing = GetEventSubscription(scope, name);
        var id = sourceId.ToLowerInvariant();
        if (add) SubscriptionSource(scope, existing.SourceType, existing.EventCategories, [id]);
        else if (!existing.SourceIds.Contains(id)) throw RdsErrors.SourceNotFound(sourceId);
        return _subscriptions.Update(SubscriptionKey(scope, existing.Name), s => s with
        {
            SourceIds = add ? s.SourceIds.Append(id).Distinct().ToList() : s.SourceIds.Where(x => x != id).ToList(),
        }) ?? throw RdsErrors.SubscriptionNotFound(name);
    }

    public RdsPage<RdsEventSubscription> DescribeEventSubscriptions(Scope scope, string? name, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        if (name is not null) return new RdsPage<RdsEventSubscription>([GetEventSubscription(scope, name)], null);
        var all = _subscriptions.Values.Where(s => s.AccountId == scope.AccountId && s.Region == scope.Region).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        return Page(all, s => s.Name, marker, max);
    }

    /// <summary>The source type and categories must be RDS's; source identifiers need a type and must name existing instances or snapshots.</summary>
    private string? SubscriptionSource(Scope scope, string? sourceType, IReadOnlyList<string> categories, IReadOnlyList<string> sourceIds)
    {
        if (sourceType is not null && !EventCategories.ContainsKey(sourceType))
            throw RdsErrors.InvalidValue($"Invalid source type {sourceType}: Stratus records events of {string.Join(", ", EventCategories.Keys)}.");
        var known = sourceType is null ? EventCategories.Values.SelectMany(c => c).ToHashSet() : EventCategories[sourceType].ToHashSet();
        if (categories.FirstOrDefault(c => !known.Contains(c)) is { } unknown) throw RdsErrors.SubscriptionCategoryNotFound(unknown);
        if (sourceIds.Count > 0 && sourceType is null) throw RdsErrors.InvalidCombination("Cannot specify source identifiers without source type");
        foreach (var id in sourceIds)
        {
            var exists = sourceType switch
            {
                "db-instance" => _instances.Get(InstanceKey(scope.AccountId, scope.Region, id.ToLowerInvariant())) is not null,
                "db-snapshot" => _snapshots.Get(SnapshotKey(scope.AccountId, scope.Region, id.ToLowerInvariant())) is not null,
                "db-parameter-group" => _parameterGroups.Get(ParameterGroupKey(scope, id.ToLowerInvariant(), cluster: false)) is not null,
                _ => false,
            };
            if (!exists) throw RdsErrors.SourceNotFound(id);
        }
        return sourceType;
    }

    private static string SnsTopic(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[5].Length == 0) throw RdsErrors.SnsTopicArnInvalid(arn);
        return arn;
    }

    private static string SubscriptionKey(Scope scope, string name) => ResourceTable<RdsEventSubscription>.Key(scope.AccountId, scope.Region, name);
}
