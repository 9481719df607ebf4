using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGatewayV2;
using Stratus.Services.S3;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// Custom domain names and their base path (API) mappings, shared by REST and HTTP APIs as on AWS, and the lookup the data plane
/// routes a request's Host through (<see cref="Engine.CustomDomainDataPlane"/>). Only REGIONAL endpoints are served: EDGE needs
/// CloudFront and PRIVATE needs VPC endpoints, neither of which Stratus serves. Certificate ARNs are recorded as given and not checked
/// against ACM, which Stratus does not serve; Stratus's own port answers every domain name over HTTP and (with its TLS) HTTPS. A domain with
/// mutual TLS keeps the truststore it read from S3 (<paramref name="truststores"/>) when it was created or updated, as AWS keeps it.
/// </summary>
public sealed partial class CustomDomainNames(StateStore store, TimeProvider clock, ApiGatewayService restApis, ApiGatewayV2Service httpApis,
    IS3ObjectReader truststores)
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private readonly ResourceTable<CustomDomain> _domains = new(store, "apigateway.domainnames");
    private readonly Lock _writeGate = new();
    private HostIndex? _hosts;
    private long _version;

    private const string WildcardPrefix = "*.";

    /// <summary>
    /// The domains by the Host names they answer on (the custom name and the regional name), rebuilt after each change; a build that raced a
    /// change is not kept. <paramref name="WildcardSuffixes"/> are the wildcard names without their "*" (".example.com"), longest first.
    /// </summary>
    private sealed record HostIndex(long Version, Dictionary<string, string> Keys, string[] WildcardSuffixes);

    private static string Key(Scope scope, string name) => ResourceTable<CustomDomain>.Key(scope.AccountId, scope.Region, name);

    public CustomDomain Create(Scope scope, DomainNameSettings settings)
    {
        var name = settings.DomainName.ToLowerInvariant();
        CheckName(name);
        if (settings.EndpointType is not "REGIONAL")
            throw BadRequest($"Stratus serves REGIONAL custom domain names only (endpointConfiguration types [REGIONAL]): {settings.EndpointType ?? "EDGE"} endpoints need "
                + (settings.EndpointType == "PRIVATE" ? "VPC endpoints" : "CloudFront") + ", which Stratus does not serve");
        if (settings.CertificateArn is null) throw BadRequest("A regional certificate ARN is required for a REGIONAL domain name");
        var domain = new CustomDomain
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            DomainName = name,
            DomainNameId = "d-" + RandomNumberGenerator.GetString(IdAlphabet, 10),
            CertificateArn = settings.CertificateArn,
            CertificateName = settings.CertificateName,
            SecurityPolicy = CheckSecurityPolicy(settings.SecurityPolicy),
            CreatedDate = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds()),
            Tags = settings.Tags ?? [],
            RoutingMode = settings.RoutingMode ?? RoutingModes.ApiMappingOnly,
            MutualTls = settings.MutualTls is { } mutualTls ? MutualTlsTruststore.Read(scope, truststores, mutualTls, clock.GetUtcNow()) : null,
        };
        lock (_writeGate)
        {
            // The Host header carries no account or region, so a name is routed to one domain: it is unique across Stratus.
            if (Hosts().Keys.ContainsKey(name)) throw BadRequest("The domain name you provided already exists.");
            _domains.Put(Key(scope, name), domain);
            Interlocked.Increment(ref _version);
        }
        return domain;
    }

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")]
    private static partial Regex HostName();

    /// <summary>A DNS name of two or more labels; not an address and not one of the names Stratus answers as itself (localhost, execute-api).</summary>
    private static void CheckName(string name)
    {
        // A wildcard name (*.example.com) answers for every name under it that has no domain of its own, as AWS serves REGIONAL wildcards.
        var named = name.StartsWith(WildcardPrefix, StringComparison.Ordinal) ? name[WildcardPrefix.Length..] : name;
        if (!HostName().IsMatch(named) || IPAddress.TryParse(named, out _))
            throw BadRequest($"Invalid domain name: {name}. Expected a fully qualified domain name");
        if (named.Split('.').Contains("execute-api"))
            throw BadRequest($"Invalid domain name: {name}. Names under execute-api are API Gateway's own");
    }

    private static string CheckSecurityPolicy(string? policy) => policy switch
    {
        null => "TLS_1_2",
        "TLS_1_0" or "TLS_1_2" => policy,
        _ => throw BadRequest($"Invalid security policy: {policy}. Expected TLS_1_0 or TLS_1_2"),
    };

    public CustomDomain Get(Scope scope, string name) =>
        _domains.Get(Key(scope, name.ToLowerInvariant())) ?? throw NotFound("Invalid domain name identifier specified");

    public IReadOnlyList<CustomDomain> List(Scope scope) =>
        _domains.Values.Where(d => d.AccountId == scope.AccountId && d.Region == scope.Region).OrderBy(d => d.DomainName, StringComparer.Ordinal).ToList();

    /// <summary>
    /// A new certificate, security policy, routing mode or mutual TLS (UpdateDomainName in either API; the endpoint type stays REGIONAL). New
    /// mutual TLS settings read the truststore again (a new version, or the same object as it is now); an empty truststore URI turns mutual
    /// TLS off, as AWS documents.
    /// </summary>
    public CustomDomain UpdateCertificate(Scope scope, string name, string? certificateArn, string? certificateName, string? securityPolicy,
        Dictionary<string, string>? tags = null, string? routingMode = null, MutualTlsSettings? mutualTls = null)
    {
        var current = Get(scope, name).MutualTls;
        var nextMutualTls = mutualTls switch
        {
            null => current,
            { TruststoreUri: "" } => null,
            _ => MutualTlsTruststore.Read(scope, truststores,
                new MutualTlsSettings(mutualTls.TruststoreUri ?? current?.TruststoreUri, mutualTls.TruststoreVersion), clock.GetUtcNow()),
        };
        return Change(scope, name, domain => domain with
        {
            CertificateArn = certificateArn ?? domain.CertificateArn,
            CertificateName = certificateName ?? domain.CertificateName,
            SecurityPolicy = securityPolicy is null ? domain.SecurityPolicy : CheckSecurityPolicy(securityPolicy),
            Tags = tags ?? domain.Tags,
            // Changing the mode keeps the rules and mappings the new mode does not use, as AWS keeps them: switching back serves them again.
            RoutingMode = routingMode ?? domain.RoutingMode,
            MutualTls = nextMutualTls,
        });
    }

    public void Delete(Scope scope, string name)
    {
        lock (_writeGate)
        {
            if (_domains.Remove(Key(scope, name.ToLowerInvariant())) is null) throw NotFound("Invalid domain name identifier specified");
            Interlocked.Increment(ref _version);
        }
    }

    private CustomDomain Change(Scope scope, string name, Func<CustomDomain, CustomDomain> change)
    {
        Get(scope, name);
        return _domains.Update(Key(scope, name.ToLowerInvariant()), change) ?? throw NotFound("Invalid domain name identifier specified");
    }

    // ---- mappings ----

    /// <summary>
    /// A base path mapping (REST: <paramref name="stage"/> optional, the API a REST API) or an API mapping (HTTP APIs: the stage required,
    /// the API an HTTP API or a REST API, as apigatewayv2 maps both). The base path is "" or segments of AWS's characters, unique per domain.
    /// </summary>
    public DomainMapping CreateMapping(Scope scope, string name, string? basePath, string apiId, string? stage, bool restApiOnly)
    {
        var path = CheckBasePath(basePath);
        CheckTarget(scope, apiId, stage, restApiOnly);
        var mapping = new DomainMapping { Id = RandomNumberGenerator.GetString(IdAlphabet, 6), BasePath = path, ApiId = apiId, Stage = stage };
        Change(scope, name, domain =>
        {
            if (!RoutingModes.UsesMappings(domain.RoutingMode)) throw BadRequest(ModeRefuses(domain, "an API mapping"));
            if (domain.Mappings.Any(m => m.BasePath == path)) throw Conflict("Base path already exists for this domain name");
            return domain with { Mappings = [.. domain.Mappings, mapping] };
        });
        return mapping;
    }

    /// <summary>A mapping by its base path ("(none)" or "" for the empty one, as REST names it) or by its id (as apigatewayv2 names it).</summary>
    public DomainMapping GetMapping(Scope scope, string name, string basePathOrId) =>
        Find(Get(scope, name), basePathOrId) ?? throw NotFound("Invalid base path mapping identifier specified");

    private static DomainMapping? Find(CustomDomain domain, string basePathOrId)
    {
        var basePath = basePathOrId == NoBasePath ? "" : basePathOrId;
        return domain.Mappings.FirstOrDefault(m => m.BasePath == basePath) ?? domain.Mappings.FirstOrDefault(m => m.Id == basePathOrId);
    }

    /// <summary>The wire's name for the empty base path.</summary>
    public const string NoBasePath = "(none)";

    public DomainMapping UpdateMapping(Scope scope, string name, string basePathOrId, string? basePath, string? apiId, string? stage, bool restApiOnly)
    {
        var current = GetMapping(scope, name, basePathOrId);
        var next = current with
        {
            BasePath = basePath is null ? current.BasePath : CheckBasePath(basePath),
            ApiId = apiId ?? current.ApiId,
            Stage = stage ?? current.Stage,
        };
        CheckTarget(scope, next.ApiId, next.Stage, restApiOnly);
        Change(scope, name, domain =>
        {
            if (next.BasePath != current.BasePath && domain.Mappings.Any(m => m.BasePath == next.BasePath))
                throw Conflict("Base path already exists for this domain name");
            return domain with { Mappings = [.. domain.Mappings.Select(m => m.Id == current.Id ? next : m)] };
        });
        return next;
    }

    public void DeleteMapping(Scope scope, string name, string basePathOrId)
    {
        var mapping = GetMapping(scope, name, basePathOrId);
        Change(scope, name, domain => domain with { Mappings = [.. domain.Mappings.Where(m => m.Id != mapping.Id)] });
    }

    [GeneratedRegex(@"^[A-Za-z0-9$\-_.+!*'()]+(/[A-Za-z0-9$\-_.+!*'()]+)*$")]
    private static partial Regex BasePathSyntax();

    private static string CheckBasePath(string? basePath)
    {
        var path = basePath is null or NoBasePath ? "" : basePath.Trim('/');
        if (path.Length > 0 && (path.Length > 300 || !BasePathSyntax().IsMatch(path)))
            throw BadRequest($"Invalid base path: {basePath}. A base path is segments of letters, digits and $-_.+!*'()");
        return path;
    }

    private void CheckTarget(Scope scope, string apiId, string? stage, bool restApiOnly)
    {
        if (!restApiOnly && httpApis.IsHttpApi(apiId))
        {
            httpApis.GetApi(scope, apiId);
            if (stage is null) throw BadRequest("Stage is required for an API mapping");
            httpApis.GetStage(scope, apiId, stage);
            return;
        }
        if (!Exists(() => restApis.GetRestApi(scope, apiId))) throw BadRequest("Invalid REST API identifier specified");
        if (stage is not null && !Exists(() => restApis.GetStage(scope, apiId, stage))) throw BadRequest("Invalid stage identifier specified");
    }

    private static bool Exists(Action read)
    {
        try
        {
            read();
            return true;
        }
        catch (AwsException e) when (e.Code == "NotFoundException")
        {
            return false;
        }
    }

    // ---- data plane ----

    private HostIndex Hosts()
    {
        var version = Interlocked.Read(ref _version);
        if (Volatile.Read(ref _hosts) is { } current && current.Version == version) return current;
        var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, domain) in _domains.Entries)
        {
            keys[domain.DomainName] = key;
            keys[domain.RegionalDomainName] = key;
        }
        var wildcards = keys.Keys.Where(k => k.StartsWith(WildcardPrefix, StringComparison.Ordinal)).Select(k => k[1..])
            .OrderByDescending(k => k.Length).ToArray();
        var built = new HostIndex(version, keys, wildcards);
        Volatile.Write(ref _hosts, built);
        return built;
    }

    /// <summary>The domain a request's Host (without its port) names, by its custom or its regional name; cheap, since every request asks.</summary>
    public CustomDomain? FindByHost(string host)
    {
        var hosts = Hosts();
        if (hosts.Keys.TryGetValue(host, out var key)) return _domains.Get(key);
        // An exact name wins; else the most specific wildcard the host is under. Every request asks, so this allocates only on a match.
        foreach (var suffix in hosts.WildcardSuffixes)
            if (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && hosts.Keys.TryGetValue("*" + suffix, out key))
                return _domains.Get(key);
        return null;
    }

    /// <summary>
    /// Whether a TLS client naming <paramref name="serverName"/> (its SNI) must be asked for a certificate: the name is a domain's with mutual TLS.
    /// </summary>
    public bool RequiresClientCertificate(string serverName) => FindByHost(serverName) is { MutualTls: not null };

    /// <summary>
    /// The mapping a path goes to and the path left once its base path is taken off, as API Gateway matches them: the longest base path
    /// that is whole leading segments of the path, else the empty base path; null when none matches.
    /// </summary>
    public static (DomainMapping Mapping, string Path)? Route(CustomDomain domain, string path)
    {
        var trimmed = path.TrimStart('/');
        foreach (var mapping in domain.Mappings.OrderByDescending(m => m.BasePath.Length))
        {
            if (mapping.BasePath.Length == 0) return (mapping, "/" + trimmed);
            if (trimmed == mapping.BasePath) return (mapping, "/");
            if (trimmed.StartsWith(mapping.BasePath + "/", StringComparison.Ordinal)) return (mapping, trimmed[mapping.BasePath.Length..]);
        }
        return null;
    }
}
