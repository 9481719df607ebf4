using System.Collections.Concurrent;

namespace Stratus.Services.ApiGatewayV2.Engine;

public sealed record MatchedHttpRoute(HttpRoute Route, IReadOnlyDictionary<string, string> PathParameters);

/// <summary>
/// An HTTP API deployment's routes, matched as AWS documents: the most specific path wins (literal segments
/// over variables, variables over a greedy variable), a route with the request's method over ANY, and the
/// $default route catches everything else.
/// </summary>
public sealed class HttpApiRouteTable
{
    private sealed record CompiledRoute(HttpRoute Route, string Method, string[] Segments, bool Greedy, int Literals);

    private readonly CompiledRoute[] _routes;
    private readonly HttpRoute? _default;

    public HttpApiRouteTable(IEnumerable<HttpRoute> routes)
    {
        var compiled = new List<CompiledRoute>();
        foreach (var route in routes)
        {
            if (route.RouteKey == "$default")
            {
                _default = route;
                continue;
            }
            var space = route.RouteKey.IndexOf(' ');
            var segments = route.RouteKey[(space + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries);
            var greedy = segments.Length > 0 && segments[^1].EndsWith("+}", StringComparison.Ordinal);
            compiled.Add(new CompiledRoute(route, route.RouteKey[..space], segments, greedy, segments.Count(s => !s.StartsWith('{'))));
        }
        // Most specific first: exact (no greedy) before greedy, more literal segments first, a method before ANY.
        _routes = [.. compiled.OrderBy(r => r.Greedy).ThenByDescending(r => r.Literals).ThenByDescending(r => r.Segments.Length).ThenBy(r => r.Method == "ANY")];
    }

    public MatchedHttpRoute? Match(string method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var route in _routes)
        {
            if (route.Method != "ANY" && route.Method != method) continue;
            if (Bind(route, segments) is { } parameters) return new MatchedHttpRoute(route.Route, parameters);
        }
        return _default is null ? null : new MatchedHttpRoute(_default, new Dictionary<string, string>());
    }

    private static Dictionary<string, string>? Bind(CompiledRoute route, string[] segments)
    {
        var fixedCount = route.Greedy ? route.Segments.Length - 1 : route.Segments.Length;
        if (route.Greedy ? segments.Length <= fixedCount : segments.Length != fixedCount) return null;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < fixedCount; i++)
        {
            var template = route.Segments[i];
            if (template.StartsWith('{') && template.EndsWith('}')) parameters[template[1..^1]] = segments[i];
            else if (!string.Equals(template, segments[i], StringComparison.Ordinal)) return null;
        }
        if (route.Greedy) parameters[route.Segments[^1][1..^2]] = string.Join("/", segments[fixedCount..]);
        return parameters;
    }
}

/// <summary>One route table per deployment, built at its first request and dropped with the deployment.</summary>
public sealed class HttpApiRouteTables
{
    private readonly ConcurrentDictionary<string, HttpApiRouteTable> _byDeployment = new(StringComparer.Ordinal);

    public HttpApiRouteTable For(ServedStage stage)
    {
        if (_byDeployment.TryGetValue(stage.DeploymentId, out var table)) return table;
        // Deployments are immutable; a bounded cache keeps a long run of auto-deploys from growing it without end.
        if (_byDeployment.Count > 1024) _byDeployment.Clear();
        return _byDeployment.GetOrAdd(stage.DeploymentId, _ => new HttpApiRouteTable(stage.Definition.Routes.Values));
    }
}
