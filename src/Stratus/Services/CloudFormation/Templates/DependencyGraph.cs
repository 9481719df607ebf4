namespace Stratus.Services.CloudFormation.Templates;

/// <summary>
/// Which resources must exist before which: edges from Ref, Fn::GetAtt, Fn::Sub and DependsOn.
/// Built once per template; a cycle is a template error, as CloudFormation reports it.
/// </summary>
public sealed class DependencyGraph
{
    private readonly Dictionary<string, HashSet<string>> _dependsOn;
    private readonly Dictionary<string, HashSet<string>> _dependents;

    private DependencyGraph(Dictionary<string, HashSet<string>> dependsOn, IReadOnlyList<string> order)
    {
        _dependsOn = dependsOn;
        _dependents = dependsOn.Keys.ToDictionary(k => k, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (id, dependencies) in dependsOn)
            foreach (var dependency in dependencies) _dependents[dependency].Add(id);
        Order = order;
    }

    /// <summary>Every resource, each after everything it depends on.</summary>
    public IReadOnlyList<string> Order { get; }

    public IReadOnlySet<string> DependenciesOf(string id) => _dependsOn.TryGetValue(id, out var d) ? d : new HashSet<string>();

    public IReadOnlySet<string> DependentsOf(string id) => _dependents.TryGetValue(id, out var d) ? d : new HashSet<string>();

    public static DependencyGraph Build(IEnumerable<ResourceDefinition> resources)
    {
        var all = resources.ToList();
        var ids = all.Select(r => r.LogicalId).ToHashSet(StringComparer.Ordinal);
        var dependsOn = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var resource in all)
        {
            var edges = Intrinsics.References(resource.Raw)
                .Where(r => r.Kind != ReferenceKind.Ref || !PseudoParameters.IsPseudo(r.Target))
                .Select(r => r.Target)
                .Concat(resource.DependsOn)
                .Where(ids.Contains)
                .ToHashSet(StringComparer.Ordinal);
            dependsOn[resource.LogicalId] = edges;
        }

        var remaining = dependsOn.ToDictionary(p => p.Key, p => p.Value.Count, StringComparer.Ordinal);
        var ready = new SortedSet<string>(remaining.Where(p => p.Value == 0).Select(p => p.Key), StringComparer.Ordinal);
        var order = new List<string>();
        var graph = new DependencyGraph(dependsOn, order);
        while (ready.Count > 0)
        {
            var next = ready.Min!;
            ready.Remove(next);
            order.Add(next);
            remaining.Remove(next);
            foreach (var dependent in graph.DependentsOf(next))
                if (--remaining[dependent] == 0) ready.Add(dependent);
        }
        if (remaining.Count > 0)
            throw TemplateError.Format($"Circular dependency between resources: [{string.Join(", ", remaining.Keys.Order(StringComparer.Ordinal))}]");
        return graph;
    }
}
