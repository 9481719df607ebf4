using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>An account's outbound identity federation: whether it is on, its issuer's id, and the key pairs STS signs its tokens with.</summary>
public sealed record OutboundFederationSettings
{
    public required string AccountId { get; init; }
    /// <summary>The unique part of the account's issuer URL, made at the first enable and kept for good (a re-enable keeps the same issuer).</summary>
    public required string IssuerId { get; init; }
    public required bool Enabled { get; init; }
    /// <summary>One key pair per signing algorithm GetWebIdentityToken offers; each private key sealed under Stratus's key file.</summary>
    public required IReadOnlyList<TokenSigningKey> Keys { get; init; }
}

/// <summary>A signing key pair: its algorithm (RS256, ES384), its key id (the JWT header's kid) and its PKCS#8 private key, sealed.</summary>
public sealed record TokenSigningKey(string Algorithm, string KeyId, string SealedPrivateKey);

/// <summary>
/// IAM's outbound web identity federation (Enable/Disable/GetOutboundWebIdentityFederationInfo) and the issuer
/// behind it: per account, an issuer URL on Stratus's own address that publishes its OpenID Connect discovery
/// document and JWKS (<see cref="OutboundIssuerEndpoint"/>), and the key pairs STS's GetWebIdentityToken signs with.
/// On AWS the issuer is https://{id}.tokens.sts.global.api.aws; here it is {Stratus}/_stratus/sts/tokens/{id}, the
/// id in the path because a subdomain of localhost does not resolve everywhere, and the documents under it at the
/// same relative paths (/.well-known/openid-configuration, /.well-known/jwks.json). The issuer follows Stratus's
/// address, so a Stratus restarted on another port names the same issuer id under its new port.
/// Disabling keeps the issuer and its keys published: AWS documents that tokens issued before stay valid.
/// </summary>
public sealed class OutboundWebIdentityFederation(StateStore store, SealingKey sealing, StratusAddress address)
{
    public const string PathPrefix = "/_stratus/sts/tokens";
    /// <summary>The signing algorithms GetWebIdentityToken's SigningAlgorithm allows, in AWS's documented order.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["RS256", "ES384"];

    private readonly ResourceTable<OutboundFederationSettings> _settings = new(store, "iam.outbound-federation");
    private readonly ConcurrentDictionary<string, AsymmetricAlgorithm> _openedKeys = new(StringComparer.Ordinal);
    private readonly Lock _enabling = new();

    /// <summary>EnableOutboundWebIdentityFederation: the account's issuer URL; FeatureEnabled when it is on already.</summary>
    public string Enable(Scope scope)
    {
        lock (_enabling)
        {
            var current = _settings.Get(scope.AccountId);
            if (current is { Enabled: true }) throw IamErrors.FeatureEnabled();
            var enabled = current is null ? New(scope.AccountId) : current with { Enabled = true };
            _settings.Put(scope.AccountId, enabled);
            return IssuerUrl(enabled.IssuerId);
        }
    }

    /// <summary>DisableOutboundWebIdentityFederation; FeatureDisabled when it is off already.</summary>
    public void Disable(Scope scope)
    {
        lock (_enabling)
        {
            if (_settings.Get(scope.AccountId) is not { Enabled: true } current) throw IamErrors.FeatureDisabled();
            _settings.Put(scope.AccountId, current with { Enabled = false });
        }
    }

    /// <summary>GetOutboundWebIdentityFederationInfo: the issuer URL and whether tokens are vended; FeatureDisabled for an account that never enabled it (it has no issuer).</summary>
    public (string IssuerIdentifier, bool JwtVendingEnabled) Info(Scope scope) =>
        _settings.Get(scope.AccountId) is { } settings ? (IssuerUrl(settings.IssuerId), settings.Enabled) : throw IamErrors.FeatureDisabled();

    /// <summary>The account's issuer URL while it vends tokens; null when outbound federation is off.</summary>
    public string? EnabledIssuer(string accountId) =>
        _settings.Get(accountId) is { Enabled: true } settings ? IssuerUrl(settings.IssuerId) : null;

    /// <summary>Whether a token's iss is the issuer of an account's outbound federation (whatever port Stratus is on now).</summary>
    public bool IsOutboundIssuer(string issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.AbsolutePath.StartsWith(PathPrefix + "/", StringComparison.Ordinal)
        && FindByIssuerId(uri.AbsolutePath[(PathPrefix.Length + 1)..].TrimEnd('/')) is not null;

    /// <summary>A compact JWS of <paramref name="claims"/>, signed with the account's key for <paramref name="algorithm"/> (RS256 or ES384).</summary>
    public string Sign(string accountId, string algorithm, JsonObject claims)
    {
        var settings = _settings.Get(accountId) ?? throw new InvalidOperationException($"Account {accountId} has no outbound issuer.");
        var key = settings.Keys.Single(k => k.Algorithm == algorithm);
        var header = new JsonObject { ["alg"] = algorithm, ["typ"] = "JWT", ["kid"] = key.KeyId };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var data = Encoding.ASCII.GetBytes(signingInput);
        // JWS's ES384 signature is r||s (IEEE P1363), .NET's default form for ECDsa.SignData.
        var signature = Open(accountId, key) switch
        {
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA384),
            _ => throw new InvalidOperationException($"Unknown key type for {algorithm}."),
        };
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>The OpenID Connect discovery document of an issuer id, or null when no account has that issuer.</summary>
    public JsonObject? DiscoveryDocument(string issuerId)
    {
        if (FindByIssuerId(issuerId) is null) return null;
        var issuer = IssuerUrl(issuerId);
        return new JsonObject
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = issuer + "/.well-known/jwks.json",
            ["response_types_supported"] = new JsonArray("id_token"),
            ["subject_types_supported"] = new JsonArray("public"),
            ["id_token_signing_alg_values_supported"] = new JsonArray(Algorithms.Select(a => (JsonNode?)a).ToArray()),
            ["claims_supported"] = new JsonArray("iss", "sub", "aud", "iat", "exp", "jti", "https://sts.amazonaws.com/"),
        };
    }

    /// <summary>The public halves of an issuer's keys as a JWK Set (RFC 7517), or null when no account has that issuer. Private parts are never written.</summary>
    public JsonObject? Jwks(string issuerId)
    {
        if (FindByIssuerId(issuerId) is not { } settings) return null;
        var keys = new JsonArray();
        foreach (var key in settings.Keys)
        {
            var jwk = Open(settings.AccountId, key) switch
            {
                RSA rsa when rsa.ExportParameters(false) is var p => new JsonObject
                {
                    ["kty"] = "RSA", ["n"] = Base64Url(p.Modulus!), ["e"] = Base64Url(p.Exponent!),
                },
                ECDsa ec when ec.ExportParameters(false) is var p => new JsonObject
                {
                    ["kty"] = "EC", ["crv"] = "P-384", ["x"] = Base64Url(p.Q.X!), ["y"] = Base64Url(p.Q.Y!),
                },
                _ => throw new InvalidOperationException($"Unknown key type for {key.Algorithm}."),
            };
            jwk["use"] = "sig";
            jwk["alg"] = key.Algorithm;
            jwk["kid"] = key.KeyId;
            keys.Add(jwk);
        }
        return new JsonObject { ["keys"] = keys };
    }

    private OutboundFederationSettings? FindByIssuerId(string issuerId) =>
        _settings.Values.FirstOrDefault(s => string.Equals(s.IssuerId, issuerId, StringComparison.Ordinal));

    private string IssuerUrl(string issuerId) => address.Url($"{PathPrefix}/{issuerId}");

    private OutboundFederationSettings New(string accountId)
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        return new OutboundFederationSettings
        {
            AccountId = accountId,
            IssuerId = Guid.NewGuid().ToString(),
            Enabled = true,
            Keys = [Sealed(accountId, "RS256", rsa.ExportPkcs8PrivateKey()), Sealed(accountId, "ES384", ec.ExportPkcs8PrivateKey())],
        };
    }

    private TokenSigningKey Sealed(string accountId, string algorithm, byte[] pkcs8)
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return new TokenSigningKey(algorithm, keyId, Convert.ToBase64String(sealing.Seal(pkcs8, Binding(accountId, keyId))));
    }

    /// <summary>The key pair, unsealed once and kept in memory; a key file that no longer opens it is a broken data directory, not a caller's error.</summary>
    private AsymmetricAlgorithm Open(string accountId, TokenSigningKey key) => _openedKeys.GetOrAdd(key.KeyId, keyId =>
    {
        var pkcs8 = sealing.TryOpen(Convert.FromBase64String(key.SealedPrivateKey), Binding(accountId, keyId))
            ?? throw new InvalidOperationException($"The token signing key {keyId} of account {accountId} does not open under Stratus's key file.");
        AsymmetricAlgorithm opened = key.Algorithm == "RS256" ? RSA.Create() : ECDsa.Create();
        opened.ImportPkcs8PrivateKey(pkcs8, out _);
        return opened;
    });

    /// <summary>A sealed key opens only for its own account and key id.</summary>
    private static byte[] Binding(string accountId, string keyId) => Encoding.UTF8.GetBytes($"sts-token-key:{accountId}:{keyId}");

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
