using Stratus.Protocols;

namespace Stratus.Host;

/// <summary>A service Stratus serves: its wire endpoint and how it is doing, for the health page.</summary>
public interface IStratusService
{
    /// <summary>The name users know it by ("iam", "lambda", "cloudwatch").</summary>
    string Name { get; }
    ServiceEndpoint Endpoint { get; }
    /// <summary>"running", or a short reason it cannot serve fully.</summary>
    string State => "running";
    /// <summary>Pages for people (not AWS APIs) the service serves under /_stratus/, e.g. a cost estimate.</summary>
    IReadOnlyList<StratusPage> Pages => [];
}

/// <summary>Finds the service a request is for: by signature scope first, then by what unsigned requests carry.</summary>
public sealed class ServiceRegistry
{
    private readonly Dictionary<string, IStratusService> _bySigningName = new(StringComparer.Ordinal);
    /// <summary>Services signed under a name another service signs under too (API Gateway v1 and v2: "apigateway"), told apart by path.</summary>
    private readonly Dictionary<string, List<IStratusService>> _sharingSigningName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IStratusService> _byTargetPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IStratusService> _byQueryVersion = new(StringComparer.Ordinal);
    private readonly List<(string Prefix, IStratusService Service)> _byPathPrefix = [];

    public ServiceRegistry(IEnumerable<IStratusService> services)
    {
        Services = services.ToList();
        foreach (var service in Services)
        {
            if (!_bySigningName.TryAdd(service.Endpoint.SigningName, service))
            {
                if (!_sharingSigningName.TryGetValue(service.Endpoint.SigningName, out var sharing))
                    _sharingSigningName[service.Endpoint.SigningName] = sharing = [_bySigningName[service.Endpoint.SigningName]];
                sharing.Add(service);
            }
            foreach (var protocol in service.Endpoint.Protocols)
            {
                if (protocol.TargetPrefix is { } target) _byTargetPrefix[target] = service;
                if (protocol.QueryVersion is { } version) _byQueryVersion[version] = service;
                foreach (var prefix in protocol.PathPrefixes) _byPathPrefix.Add((prefix, service));
            }
        }
        _byPathPrefix.Sort((a, b) => b.Prefix.Length.CompareTo(a.Prefix.Length));
    }

    public IReadOnlyList<IStratusService> Services { get; }

    /// <summary>The service signed under this name; where several share it, the one whose paths the request's path is under (else the first).</summary>
    public IStratusService? BySigningName(string name, string path)
    {
        if (_sharingSigningName.TryGetValue(name, out var sharing) && ByPath(path) is { } byPath && sharing.Contains(byPath)) return byPath;
        return _bySigningName.GetValueOrDefault(name);
    }

    public IStratusService? ByTarget(string target)
    {
        var dot = target.LastIndexOf('.');
        return dot > 0 ? _byTargetPrefix.GetValueOrDefault(target[..dot]) : null;
    }

    public IStratusService? ByQueryVersion(string version) => _byQueryVersion.GetValueOrDefault(version);

    public IStratusService? ByClaim(Microsoft.AspNetCore.Http.HttpRequest request) =>
        Services.FirstOrDefault(s => s.Endpoint.Protocols.Any(p => p.ClaimsUnsigned(request)));

    public IStratusService? ByPath(string path)
    {
        foreach (var (prefix, service) in _byPathPrefix)
            if (path.StartsWith(prefix, StringComparison.Ordinal)
                && (path.Length == prefix.Length || path[prefix.Length] == '/'))
                return service;
        return null;
    }
}
