using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>A method a request path and verb resolved to, its precomputed plan, and the values of the path's {variables}.</summary>
public sealed record MatchedRoute(ApiResource Resource, MethodPlan Plan, IReadOnlyDictionary<string, string> PathParameters)
{
    public ApiMethod Method => Plan.Method;

    /// <summary>
    /// The method's key in the stage's methodSettings: its resource path with "/" escaped as "~1", then its verb. The router gives
    /// the one it built with the deployment's plan, so that a request does not build it again.
    /// </summary>
    public string MethodSettingKey
    {
        get => field ??= SettingKey(Resource, Method);
        init;
    }

    public static string SettingKey(ApiResource resource, ApiMethod method) => resource.Path.Replace("/", "~1") + "/" + method.HttpMethod;
}

/// <summary>
/// Finds the resource for a request path as API Gateway does: at each segment a literal part wins over a
/// {param}, which wins over a {proxy+} that takes the rest; then the verb, with ANY as the fallback.
/// Built once per deployment, it keeps each method's plan, so requests after the first find it ready.
/// </summary>
public sealed class StageRouter
{
    private sealed class Node(ApiResource resource)
    {
        public ApiResource Resource { get; } = resource;
        // Planned on a method's first request, then kept for the deployment's life, with its methodSettings key.
        public Dictionary<string, Lazy<(MethodPlan Plan, string SettingKey)>> Methods { get; } = (resource.ResourceMethods ?? [])
            .ToDictionary(m => m.Key, m => new Lazy<(MethodPlan, string)>(() => (MethodPlan.Compile(m.Value), MatchedRoute.SettingKey(resource, m.Value))),
                StringComparer.Ordinal);
        public Dictionary<string, Node> Literals { get; } = new(StringComparer.Ordinal);
        public List<Node> Variables { get; } = [];
        public Node? Greedy { get; set; }
    }

    private readonly Node _root;

    public StageRouter(IReadOnlyDictionary<string, ApiResource> resources)
    {
        var nodes = resources.Values.ToDictionary(r => r.Id, r => new Node(r), StringComparer.Ordinal);
        _root = nodes.Values.First(n => n.Resource.ParentId is null);
        foreach (var node in nodes.Values)
        {
            if (node.Resource.ParentId is not { } parentId || !nodes.TryGetValue(parentId, out var parent)) continue;
            var part = node.Resource.PathPart ?? "";
            if (part.StartsWith('{') && part.EndsWith("+}", StringComparison.Ordinal)) parent.Greedy = node;
            else if (part.StartsWith('{')) parent.Variables.Add(node);
            else parent.Literals[part] = node;
        }
    }

    /// <summary>Matches a decoded request path ("/accounts/42") and verb.</summary>
    public MatchedRoute? Match(string httpMethod, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Find(_root, segments, 0, parameters) is not { } node) return null;
        var plan = node.Methods.GetValueOrDefault(httpMethod.ToUpperInvariant()) ?? node.Methods.GetValueOrDefault("ANY");
        return plan is null ? null : new MatchedRoute(node.Resource, plan.Value.Plan, parameters) { MethodSettingKey = plan.Value.SettingKey };
    }

    private static Node? Find(Node node, string[] segments, int index, Dictionary<string, string> parameters)
    {
        if (index == segments.Length) return node;
        var segment = segments[index];
        if (node.Literals.TryGetValue(segment, out var literal) && Find(literal, segments, index + 1, parameters) is { } exact) return exact;
        foreach (var variable in node.Variables)
        {
            var name = variable.Resource.PathPart![1..^1];
            parameters[name] = segment;
            if (Find(variable, segments, index + 1, parameters) is { } found) return found;
            parameters.Remove(name);
        }
        if (node.Greedy is { } greedy)
        {
            parameters[greedy.Resource.PathPart![1..^2]] = string.Join('/', segments[index..]);
            return greedy;
        }
        return null;
    }
}
