using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols.Json;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>The outcome of authorizing a request: its context for the integration, or the response refusing it.</summary>
public sealed record Authorization(AuthorizerContext? Context, HttpApiResponse? Refusal, string? Error = null);

/// <summary>
/// HTTP APIs' JWT authorizer, as AWS validates: the token from the identity source (a "Bearer " prefix
/// dropped), an RSA signature (RS256/384/512: AWS accepts RSA keys only) by a key from the issuer's JWKS
/// (found through {issuer}/.well-known/openid-configuration), exp and nbf, iss equal to the configured
/// issuer, aud (or client_id when there is no aud) among the configured audiences, and, when the route
/// names authorization scopes, one of them in the token's scope or scp claim. Invalid tokens get 401
/// with AWS's WWW-Authenticate header; a token lacking the scopes gets 403.
/// Built on .NET's own RSA and JSON: three algorithms and a handful of claims need no token library.
/// </summary>
public sealed class JwtAuthorizer(JwksKeys keys, TimeProvider clock)
{
    private const int MaxTokenLength = 16 * 1024;
    /// <summary>The clock skew AWS allows on exp and nbf is not documented; five minutes is the common default of JWT validators.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public async Task<Authorization> AuthorizeAsync(HttpAuthorizer authorizer, HttpRoute route, HttpApiRequest request, CancellationToken cancellation)
    {
        var header = authorizer.IdentitySource.FirstOrDefault() is { } source ? request.Header(source["$request.header.".Length..]) : null;
        if (string.IsNullOrWhiteSpace(header)) return Refuse(401, "", "", "No token was provided");
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header.Trim();
        var jwt = authorizer.JwtConfiguration!;
        var (claims, problem) = await ValidateAsync(token, jwt.Issuer!, cancellation);
        if (claims is null) return Refuse(401, "invalid_token", "", problem!);
        if (!HasAudience(claims, jwt.Audience ?? [])) return Refuse(401, "invalid_token", "", "the token does not have a valid audience");
        var scopes = Scopes(claims);
        if (route.AuthorizationScopes is { Count: > 0 } required && !required.Any(scopes.Contains))
            return Refuse(403, "insufficient_scope", string.Join(' ', required), "the token does not have the required scopes");
        // AWS hands claims to the integration as strings.
        var claimStrings = new JsonObject(claims.Select(c => new KeyValuePair<string, JsonNode?>(c.Key,
            c.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : c.Value?.ToJsonString())));
        JsonNode? scopeList = scopes.Count == 0 ? null : new JsonArray([.. scopes.Select(s => (JsonNode)s)]);
        return new Authorization(new AuthorizerContext(
            new JsonObject { ["jwt"] = new JsonObject { ["claims"] = claimStrings, ["scopes"] = scopeList } },
            new JsonObject { ["claims"] = claimStrings.DeepClone(), ["scopes"] = scopeList?.DeepClone() }), null);
    }

    private static Authorization Refuse(int status, string error, string scope, string description)
    {
        var response = status == 401 ? HttpApiResponse.Unauthorized() : HttpApiResponse.Forbidden();
        response.Headers.Add(new("www-authenticate", error.Length == 0
            ? "Bearer"
            : $"Bearer scope=\"{scope}\" error=\"{error}\" error_description=\"{description}\""));
        return new Authorization(null, response, description);
    }

    private async Task<(JsonObject? Claims, string? Problem)> ValidateAsync(string token, string issuer, CancellationToken cancellation)
    {
        if (token.Length > MaxTokenLength) return (null, "the token is too large");
        var parts = token.Split('.');
        if (parts.Length != 3) return (null, "the token is not a JWT");
        JsonObject? header, claims;
        byte[] signature;
        try
        {
            header = JsonBody.Parse(Base64Url(parts[0])) as JsonObject;
            claims = JsonBody.Parse(Base64Url(parts[1])) as JsonObject;
            signature = Base64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return (null, "the token could not be decoded");
        }
        if (header is null || claims is null) return (null, "the token could not be decoded");
        var hash = (header["alg"] as JsonValue)?.ToString() switch
        {
            "RS256" => HashAlgorithmName.SHA256,
            "RS384" => HashAlgorithmName.SHA384,
            "RS512" => HashAlgorithmName.SHA512,
            _ => default,
        };
        if (hash == default) return (null, "the token's signing algorithm is not supported: API Gateway accepts RSA-signed tokens (RS256, RS384, RS512)");
        if ((claims["iss"] as JsonValue)?.ToString() != issuer) return (null, "the token does not have a valid issuer");
        var kid = (header["kid"] as JsonValue)?.ToString();
        var key = await keys.FindAsync(issuer, kid, cancellation);
        if (key is null) return (null, "the token's signing key was not found at the issuer's JWKS");
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!key.VerifyData(signed, signature, hash, RSASignaturePadding.Pkcs1)) return (null, "the token's signature is invalid");
        var now = clock.GetUtcNow();
        if (Seconds(claims["exp"]) is not { } expires) return (null, "the token has no exp claim");
        if (DateTimeOffset.FromUnixTimeSeconds(expires) + ClockSkew < now) return (null, "the token has expired");
        if (Seconds(claims["nbf"]) is { } notBefore && DateTimeOffset.FromUnixTimeSeconds(notBefore) - ClockSkew > now) return (null, "the token is not valid yet");
        return (claims, null);
    }

    private static long? Seconds(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var seconds) ? (long)seconds : null;

    private static bool HasAudience(JsonObject claims, List<string> audiences)
    {
        IEnumerable<string> Values(JsonNode? node) => node switch
        {
            JsonArray list => list.OfType<JsonValue>().Select(v => v.ToString()),
            JsonValue single => [single.ToString()],
            _ => [],
        };
        var tokenAudiences = claims.ContainsKey("aud") ? Values(claims["aud"]) : Values(claims["client_id"]);
        return tokenAudiences.Any(audiences.Contains);
    }

    private static List<string> Scopes(JsonObject claims) => claims["scope"] is JsonValue scope
        ? [.. scope.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)]
        : claims["scp"] is JsonArray scp ? [.. scp.OfType<JsonValue>().Select(v => v.ToString())] : [];

    internal static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }
}

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
            rsa.ImportParameters(new RSAParameters { Modulus = JwtAuthorizer.Base64Url(n.ToString()), Exponent = JwtAuthorizer.Base64Url(e.ToString()) });
            keys[(key["kid"] as JsonValue)?.ToString() ?? ""] = rsa;
        }
        return keys;
    }
}
