using System.Collections.Concurrent;
using System.Globalization;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGatewayV2.Engine;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>
/// API Gateway portals: portals, portal products, their product pages and product REST endpoint pages, per account and region.
/// PublishPortal and PreviewPortal render the portal's products into a static website that <see cref="PortalDataPlane"/> serves on
/// Stratus's own address; endpoint pages take their content from the REST API's export through <see cref="ApiGatewayService"/>.
/// </summary>
public sealed partial class PortalService
{
    /// <summary>The path form's prefix: <c>/_portals/{portalId}/</c> serves the published site, <c>/_portals/preview/{portalId}/</c> the preview.</summary>
    public const string PathPrefix = "/_portals/";
    public const string PreviewSegment = "preview";

    /// <summary>The host form's label after <c>p-{portalId}.</c>, as AWS's default domain <c>p-{id}.apigw-portal.{region}.on.aws</c>.</summary>
    public const string HostLabel = "apigw-portal.";

    private readonly ResourceTable<PortalDocument> _portals;
    private readonly ResourceTable<PortalProductDocument> _products;
    private readonly TimeProvider _clock;
    private readonly StratusAddress _address;
    private readonly ApiGatewayService _restApis;
    private readonly ApiGatewayV2Service _invokeUrls;
    // Portal ids are unique across accounts, so the data plane finds a portal by its id alone, as AWS's default domain names it.
    private readonly ConcurrentDictionary<string, string> _portalKeysById = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public PortalService(StateStore store, TimeProvider clock, StratusAddress address, ApiGatewayService restApis, ApiGatewayV2Service invokeUrls)
    {
        _clock = clock;
        _address = address;
        _restApis = restApis;
        _invokeUrls = invokeUrls;
        _portals = new ResourceTable<PortalDocument>(store, "apigatewayv2.portals");
        _products = new ResourceTable<PortalProductDocument>(store, "apigatewayv2.portalproducts");
        foreach (var (key, portal) in _portals.Entries) _portalKeysById[portal.PortalId] = key;
    }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds());

    private static string Key(Scope scope, string id) => ResourceTable<PortalDocument>.Key(scope.AccountId, scope.Region, id);

    public static string PortalArn(string region, string accountId, string portalId) => $"arn:aws:apigateway:{region}:{accountId}:/portals/{portalId}";

    /// <summary>The published site's URL on Stratus's own address (no DNS needed).</summary>
    public string SiteUrl(string portalId) => _address.Url(PathPrefix + portalId + "/");

    public string PreviewUrl(string portalId) => _address.Url(PathPrefix + PreviewSegment + "/" + portalId + "/");

    /// <summary>The host form, reported as the portal's default domain name: browsers and curl resolve *.localhost.</summary>
    public string DefaultDomainName(PortalDocument portal) => $"p-{portal.PortalId}.{HostLabel}{portal.Region}.{_address.UrlSuffix}";

    // ---- portals ----

    public PortalDocument CreatePortal(Scope scope, PortalSettings settings)
    {
        var content = settings.Content ?? throw BadRequest("PortalContent is required for a portal.");
        PortalRules.CheckContent(content);
        PortalRules.CheckPortalStrings(settings);
        var now = Now;
        var portal = new PortalDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            PortalId = ApiGatewayErrors.NewId(),
            Content = content,
            IncludedPortalProductArns = CheckIncluded(scope, settings.IncludedPortalProductArns ?? []),
            LogoUri = settings.LogoUri,
            RumAppMonitorName = settings.RumAppMonitorName,
            Tags = settings.Tags ?? [],
            LastModified = now,
        };
        var key = Key(scope, portal.PortalId);
        if (!_portals.TryAdd(key, portal)) throw Conflict("Unable to create the portal, try again.");
        _portalKeysById[portal.PortalId] = key;
        return portal;
    }

    public PortalDocument GetPortal(Scope scope, string portalId) => _portals.Get(Key(scope, portalId)) ?? throw NotFound("Portal", portalId);

    public IReadOnlyList<PortalDocument> ListPortals(Scope scope) =>
        [.. _portals.Values.Where(p => p.AccountId == scope.AccountId && p.Region == scope.Region).OrderBy(p => p.PortalId, StringComparer.Ordinal)];

    /// <summary>UpdatePortal: the members given replace the stored ones; the site changes only when the portal is published again, as on AWS.</summary>
    public PortalDocument UpdatePortal(Scope scope, string portalId, PortalSettings settings)
    {
        if (settings.Content is { } content) PortalRules.CheckContent(content);
        PortalRules.CheckPortalStrings(settings);
        var included = settings.IncludedPortalProductArns is { } arns ? CheckIncluded(scope, arns) : null;
        return ChangePortal(scope, portalId, portal => portal with
        {
            Content = settings.Content ?? portal.Content,
            IncludedPortalProductArns = included ?? portal.IncludedPortalProductArns,
            LogoUri = settings.LogoUri ?? portal.LogoUri,
            RumAppMonitorName = settings.RumAppMonitorName ?? portal.RumAppMonitorName,
            LastModified = Now,
        });
    }

    public void DeletePortal(Scope scope, string portalId)
    {
        // Under the lock, so that a publication in flight cannot write the portal back after it is gone.
        lock (_gate)
        {
            if (_portals.Remove(Key(scope, portalId)) is null) throw NotFound("Portal", portalId);
            _portalKeysById.TryRemove(portalId, out _);
        }
    }

    /// <summary>PublishPortal: renders the portal's products as they are now into the site its URLs serve until it is disabled or published again.</summary>
    public void PublishPortal(Scope scope, string portalId, string? description)
    {
        if (description is { Length: > 1024 }) throw BadRequest("Description must be at most 1024 characters.");
        ChangePortal(scope, portalId, portal => portal with
        {
            Published = Render(scope, portal, tryIt: true),
            PublishStatus = PortalStatus.Published,
            LastPublished = Now,
            LastPublishedDescription = description,
        });
    }

    /// <summary>PreviewPortal: the same site, at the preview URL, without try it (AWS does not support try it in a preview).</summary>
    public void PreviewPortal(Scope scope, string portalId) =>
        ChangePortal(scope, portalId, portal => portal with { Preview = Render(scope, portal, tryIt: false) });

    /// <summary>DisablePortal: the published site is no longer served; the portal and its preview stay.</summary>
    public void DisablePortal(Scope scope, string portalId) =>
        ChangePortal(scope, portalId, portal => portal with { PublishStatus = PortalStatus.Disabled, Published = null });

    private PortalDocument ChangePortal(Scope scope, string portalId, Func<PortalDocument, PortalDocument> change)
    {
        lock (_gate)
        {
            var next = change(GetPortal(scope, portalId));
            _portals.Put(Key(scope, portalId), next);
            return next;
        }
    }

    private PortalSite Render(Scope scope, PortalDocument portal, bool tryIt)
    {
        var products = portal.IncludedPortalProductArns.Select(arn => ProductByArn(scope, arn)).OfType<PortalProductDocument>().ToList();
        return PortalSiteRenderer.Render(portal, products, tryIt);
    }

    /// <summary>The included products must exist in the caller's account and region.</summary>
    private List<string> CheckIncluded(Scope scope, List<string> arns)
    {
        if (arns.Count > PortalRules.MaxProductsPerPortal)
            throw BadRequest($"A portal includes at most {PortalRules.MaxProductsPerPortal} portal products.");
        foreach (var arn in arns)
            if (ProductByArn(scope, arn) is null) throw BadRequest($"Invalid portal product ARN {arn}");
        return [.. arns.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The site a request names: the published one for the portal's URLs, the preview for the preview URL; null when none is served.</summary>
    public PortalSite? ServedSite(string portalId, bool preview)
    {
        if (!_portalKeysById.TryGetValue(portalId, out var key) || _portals.Get(key) is not { } portal) return null;
        return preview ? portal.Preview : portal.PublishStatus == PortalStatus.Published ? portal.Published : null;
    }

    // ---- paging ----

    /// <summary>maxResults (1 to 100, as a string on the wire) items from the index nextToken names.</summary>
    public static (IReadOnlyList<T> Items, string? NextToken) Page<T>(IReadOnlyList<T> all, string? maxResults, string? nextToken)
    {
        var size = 100;
        if (maxResults is not null && (!int.TryParse(maxResults, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > 100))
            throw BadRequest($"Invalid maxResults: {maxResults}. Expected a value between 1 and 100");
        var start = 0;
        if (nextToken is not null && (!int.TryParse(nextToken, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > all.Count))
            throw BadRequest($"Invalid nextToken: {nextToken}");
        var next = start + size < all.Count ? (start + size).ToString(CultureInfo.InvariantCulture) : null;
        return ([.. all.Skip(start).Take(size)], next);
    }

    // ---- tags ----

    /// <summary>Whether TagResource's ARN names a portal or a portal product (the rest are HTTP APIs').</summary>
    public static bool Tags(string arn) => arn.Contains(":/portals/", StringComparison.Ordinal) || arn.Contains(":/portalproducts/", StringComparison.Ordinal);

    public IReadOnlyDictionary<string, string> GetTags(Scope scope, string arn) =>
        TaggedPortal(scope, arn) is { } portalId ? GetPortal(scope, portalId).Tags : GetProduct(scope, TaggedProduct(scope, arn)).Tags;

    public void Retag(Scope scope, string arn, Action<Dictionary<string, string>> change)
    {
        if (TaggedPortal(scope, arn) is { } portalId)
        {
            ChangePortal(scope, portalId, portal =>
            {
                var tags = new Dictionary<string, string>(portal.Tags);
                change(tags);
                return portal with { Tags = tags };
            });
            return;
        }
        ChangeProduct(scope, TaggedProduct(scope, arn), product =>
        {
            var tags = new Dictionary<string, string>(product.Tags);
            change(tags);
            return product with { Tags = tags };
        }, touches: false);
    }

    private static string? TaggedPortal(Scope scope, string arn)
    {
        var prefix = $"arn:aws:apigateway:{scope.Region}:{scope.AccountId}:/portals/";
        return arn.StartsWith(prefix, StringComparison.Ordinal) && !arn[prefix.Length..].Contains('/') ? arn[prefix.Length..] : null;
    }

    private static string TaggedProduct(Scope scope, string arn)
    {
        var prefix = $"arn:aws:apigateway:{scope.Region}:{scope.AccountId}:/portalproducts/";
        return arn.StartsWith(prefix, StringComparison.Ordinal) && !arn[prefix.Length..].Contains('/') ? arn[prefix.Length..]
            : throw BadRequest($"Invalid resource ARN {arn}");
    }
}
