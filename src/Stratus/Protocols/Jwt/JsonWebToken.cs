using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols.Json;

namespace Stratus.Protocols.Jwt;

/// <summary>How a token's lifetime (exp, nbf) stands against the clock.</summary>
public enum JwtLifetime { Valid, NoExpiry, Expired, NotYetValid }

/// <summary>
/// A decoded JSON Web Token signed with RSA (RS256/384/512), what both API Gateway's JWT authorizers and
/// STS's AssumeRoleWithWebIdentity accept. Built on .NET's own RSA and JSON: three algorithms and a
/// handful of claims need no token library. Decoding checks nothing but the form; the signature and the
/// lifetime are asked for apart, because each caller answers their failures in its own words.
/// </summary>
public sealed class JsonWebToken
{
    public const int MaxLength = 20 * 1024;
    /// <summary>The clock skew AWS allows on exp and nbf is not documented; five minutes is the common default of JWT validators.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly byte[] _signed;
    private readonly byte[] _signature;

    private JsonWebToken(JsonObject header, JsonObject claims, byte[] signed, byte[] signature)
    {
        Header = header;
        Claims = claims;
        _signed = signed;
        _signature = signature;
    }

    public JsonObject Header { get; }
    public JsonObject Claims { get; }

    /// <summary>The RSA hash its alg names, or null for any other algorithm (none, HS256, ES256...).</summary>
    public HashAlgorithmName? Hash => Text(Header["alg"]) switch
    {
        "RS256" => HashAlgorithmName.SHA256,
        "RS384" => HashAlgorithmName.SHA384,
        "RS512" => HashAlgorithmName.SHA512,
        _ => null,
    };

    public string? KeyId => Text(Header["kid"]);
    public string? Issuer => Text(Claims["iss"]);
    public string? Subject => Text(Claims["sub"]);

    /// <summary>The aud claim's values (a string or a list), or client_id's when there is no aud, as OAuth access tokens carry it.</summary>
    public IReadOnlyList<string> Audiences => Strings(Claims.ContainsKey("aud") ? Claims["aud"] : Claims["client_id"]);

    /// <summary>The token, or null when it is not three base64url parts of which the first two are JSON objects.</summary>
    public static JsonWebToken? Decode(string token)
    {
        if (token.Length > MaxLength) return null;
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            return JsonBody.Parse(Base64Url(parts[0])) is JsonObject header && JsonBody.Parse(Base64Url(parts[1])) is JsonObject claims
                ? new JsonWebToken(header, claims, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]))
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    public bool IsSignedBy(RSA key) =>
        Hash is { } hash && key.VerifyData(_signed, _signature, hash, RSASignaturePadding.Pkcs1);

    public JwtLifetime LifetimeAt(DateTimeOffset now)
    {
        if (Expires is not { } expires) return JwtLifetime.NoExpiry;
        if (expires + ClockSkew < now) return JwtLifetime.Expired;
        if (Seconds(Claims["nbf"]) is { } notBefore && DateTimeOffset.FromUnixTimeSeconds(notBefore) - ClockSkew > now) return JwtLifetime.NotYetValid;
        return JwtLifetime.Valid;
    }

    public DateTimeOffset? Expires => Seconds(Claims["exp"]) is { } exp ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;

    private static long? Seconds(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var seconds) ? (long)seconds : null;

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static List<string> Strings(JsonNode? node) => node switch
    {
        JsonArray list => [.. list.OfType<JsonValue>().Select(v => v.ToString())],
        JsonValue single => [single.ToString()],
        _ => [],
    };

    public static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }
}
