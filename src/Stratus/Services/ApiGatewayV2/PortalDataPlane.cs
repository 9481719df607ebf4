using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Services.ApiGatewayV2.Engine;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>
/// Serves portals' sites on the shared endpoint, in two forms: <c>http://127.0.0.1:{port}/_portals/{portalId}/{page}</c> (and
/// <c>/_portals/preview/{portalId}/</c> for the preview), which needs no DNS, and <c>http://p-{portalId}.apigw-portal.{region}.localhost:{port}/{page}</c>,
/// the default domain name's form. A portal that is not published (or was disabled) answers 404, as its domain does on AWS.
/// </summary>
public sealed class PortalDataPlane(PortalService portals) : IRequestInterceptor
{
    public bool Claims(HttpRequest request) =>
        request.Path.Value?.StartsWith(PortalService.PathPrefix, StringComparison.Ordinal) == true || HostPortalId(request) is not null;

    public async Task HandleAsync(HttpContext http)
    {
        var (portalId, preview, siteRoot, page) = Target(http.Request);
        var response = http.Response;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }
        // Pages are keyed without slashes at either end: every link is relative to the base element, so "products/x" and "products/x/" are one page.
        if (portalId is null || portals.ServedSite(portalId, preview) is not { } site || !site.Pages.TryGetValue(page.Trim('/'), out var html))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync("Not Found\n", http.RequestAborted);
            return;
        }
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        if (HttpMethods.IsHead(http.Request.Method)) return;
        await response.WriteAsync(PortalSiteRenderer.Serve(siteRoot, html), http.RequestAborted);
    }

    /// <summary>The portal, whether the preview is asked for, the site's root path on this form, and the page's path under it.</summary>
    private static (string? PortalId, bool Preview, string SiteRoot, string Page) Target(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        if (HostPortalId(request) is { } hostId && !path.StartsWith(PortalService.PathPrefix, StringComparison.Ordinal)) return (hostId, false, "/", path[1..]);
        var rest = path[PortalService.PathPrefix.Length..];
        var preview = rest.StartsWith(PortalService.PreviewSegment + "/", StringComparison.Ordinal);
        if (preview) rest = rest[(PortalService.PreviewSegment.Length + 1)..];
        var slash = rest.IndexOf('/');
        var portalId = slash < 0 ? rest : rest[..slash];
        var root = PortalService.PathPrefix + (preview ? PortalService.PreviewSegment + "/" : "") + portalId + "/";
        return (portalId.Length == 0 ? null : portalId, preview, root, slash < 0 ? "" : rest[(slash + 1)..]);
    }

    /// <summary>The portal id of a <c>p-{portalId}.apigw-portal.*</c> Host, else null.</summary>
    private static string? HostPortalId(HttpRequest request)
    {
        var host = request.Host.Host;
        if (!host.StartsWith("p-", StringComparison.OrdinalIgnoreCase)) return null;
        var firstDot = host.IndexOf('.');
        return firstDot > 2 && host.AsSpan(firstDot + 1).StartsWith(PortalService.HostLabel, StringComparison.OrdinalIgnoreCase)
            ? host[2..firstDot].ToLowerInvariant()
            : null;
    }
}
