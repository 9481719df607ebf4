using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols.Json;

namespace Stratus.Protocols.Jwt;

/// <summary>
/// Issuers' signing keys, fetched from {issuer}/.well-known/openid-configuration's jwks_uri and kept for
/// ten minutes (fetched again at once for a key id not seen yet). Safe by default: keys are fetched only
/// from loopback issuers, or from the issuers listed in STRATUS_JWT_ISSUERS (comma-separated).
/// </summary>
public sealed class JwksKeys(HttpClient http, TimeProvider clock, IReadOnlySet<string> allowedIssuers)
{
    private const int MaxDocumentBytes = 1024 * 1024;
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RefetchAfter = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Fetched, Dictionary<string, RSA> Keys)> _byIssuer = new(StringComparer.Ordinal);

    public static IReadOnlySet<string> AllowedFromEnvironment() =>
        (Environment.GetEnvironmentVariable("STRATUS_JWT_ISSUERS") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    public async Task<RSA?> FindAsync(string issuer, string? kid, CancellationToken cancellation)
    {
        var now = clock.GetUtcNow();
        if (_byIssuer.TryGetValue(issuer, out var cached) && now - cached.Fetched < KeepFor)
        {
            var found = Pick(cached.Keys, kid);
            if (found is not null || now - cached.Fetched < RefetchAfter) return found;
        }
        if (!MayFetch(issuer)) return null;
        Dictionary<string, RSA> keys;
        try
        {
            var configuration = await GetJsonAsync(issuer.TrimEnd('/') + "/.well-known/openid-configuration", cancellation);
            var jwksUri = (configuration?["jwks_uri"] as JsonValue)?.ToString();
            if (jwksUri is null || !Uri.TryCreate(jwksUri, UriKind.Absolute, out var jwksAddress) || !MayFetch(jwksAddress.GetLeftPart(UriPartial.Authority))) return null;
            keys = Keys(await GetJsonAsync(jwksUri, cancellation));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or FormatException or CryptographicException && !cancellation.IsCancellationRequested)
        {
            return null;
        }
        _byIssuer[issuer] = (now, keys);
        return Pick(keys, kid);
    }

    private static RSA? Pick(Dictionary<string, RSA> keys, string? kid) =>
        kid is not null ? keys.GetValueOrDefault(kid) : keys.Count == 1 ? keys.Values.First() : null;

    private bool MayFetch(string url)
    {
        if (allowedIssuers.Contains(url.TrimEnd('/'))) return true;
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.IsLoopback || IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private async Task<JsonObject?> GetJsonAsync(string url, CancellationToken cancellation)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellation);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxDocumentBytes) throw new HttpRequestException("document too large");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > MaxDocumentBytes) throw new HttpRequestException("document too large");
            buffer.Write(chunk, 0, read);
        }
        return JsonBody.Parse(buffer.ToArray()) as JsonObject;
    }

    private static Dictionary<string, RSA> Keys(JsonObject? jwks)
    {
        var keys = new Dictionary<string, RSA>(StringComparer.Ordinal);
        foreach (var key in (jwks?["keys"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((key["kty"] as JsonValue)?.ToString() != "RSA" || key["n"] is not JsonValue n || key["e"] is not JsonValue e) continue;
            var rsa = RSA.Create();
            rsa.ImportParameters(new RSAParameters { Modulus = JsonWebToken.Base64Url(n.ToString()), Exponent = JsonWebToken.Base64Url(e.ToString()) });
            keys[(key["kid"] as JsonValue)?.ToString() ?? ""] = rsa;
        }
        return keys;
    }
}
