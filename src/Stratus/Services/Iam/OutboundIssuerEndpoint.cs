using Microsoft.AspNetCore.Http;
using Stratus.Host;

namespace Stratus.Services.Iam;

/// <summary>
/// What an outside service fetches to verify GetWebIdentityToken's tokens, at the paths AWS publishes them under
/// an issuer: GET {issuer}/.well-known/openid-configuration and GET {issuer}/.well-known/jwks.json, unsigned as on
/// AWS (they hold public keys only). An issuer id no account has answers 404.
/// </summary>
public sealed class OutboundIssuerEndpoint(OutboundWebIdentityFederation federation) : IRequestInterceptor
{
    public bool Claims(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.StartsWithSegments(OutboundWebIdentityFederation.PathPrefix);

    public async Task HandleAsync(HttpContext http)
    {
        var rest = http.Request.Path.Value![OutboundWebIdentityFederation.PathPrefix.Length..].Trim('/');
        var slash = rest.IndexOf('/');
        var document = slash < 0 ? null : rest[(slash + 1)..] switch
        {
            ".well-known/openid-configuration" => federation.DiscoveryDocument(rest[..slash]),
            ".well-known/jwks.json" => federation.Jwks(rest[..slash]),
            _ => null,
        };
        if (document is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync("No outbound identity federation issuer publishes this document.", http.RequestAborted);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(document.ToJsonString(), http.RequestAborted);
    }
}
