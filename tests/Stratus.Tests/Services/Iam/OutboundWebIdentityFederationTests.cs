using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Jwt;
using Stratus.Services.Iam;

namespace Stratus.Tests.Services.Iam;

/// <summary>The account switch, the issuer's documents and the signatures of outbound identity federation, without a server.</summary>
public sealed class OutboundWebIdentityFederationTests : IDisposable
{
    private static readonly Scope Account = Scope.Of("111111111111", "us-east-1");
    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly SealingKey _sealing = new(RandomNumberGenerator.GetBytes(32));
    private readonly OutboundWebIdentityFederation _federation;

    public OutboundWebIdentityFederationTests() =>
        _federation = new OutboundWebIdentityFederation(_store, _sealing, StratusAddress.Known(new Uri("http://localhost:4566/")));

    public void Dispose() => _store.Dispose();

    private static string IssuerId(string issuer) => issuer[(issuer.LastIndexOf('/') + 1)..];

    [Fact]
    public void Enabling_and_disabling_twice_is_refused_and_a_re_enable_keeps_the_issuer()
    {
        Assert.Equal("FeatureDisabled", Assert.Throws<AwsException>(() => _federation.Info(Account)).Code);
        var issuer = _federation.Enable(Account);
        Assert.StartsWith("http://localhost:4566/_stratus/sts/tokens/", issuer);
        var again = Assert.Throws<AwsException>(() => _federation.Enable(Account));
        Assert.Equal(("FeatureEnabled", 409), (again.Code, again.StatusCode));
        _federation.Disable(Account);
        var disabled = Assert.Throws<AwsException>(() => _federation.Disable(Account));
        Assert.Equal(("FeatureDisabled", 404), (disabled.Code, disabled.StatusCode));
        Assert.Equal((issuer, false), _federation.Info(Account));
        Assert.Null(_federation.EnabledIssuer(Account.AccountId));
        Assert.Equal(issuer, _federation.Enable(Account));
        Assert.True(_federation.IsOutboundIssuer(issuer));
        Assert.False(_federation.IsOutboundIssuer("http://localhost:4566/_stratus/sts/tokens/" + Guid.NewGuid()));
        Assert.Null(_federation.Jwks(Guid.NewGuid().ToString()));
    }

    [Fact]
    public void Tokens_verify_under_the_published_public_keys_of_their_algorithm_and_no_private_part_is_published()
    {
        var issuerId = IssuerId(_federation.Enable(Account));
        var jwks = _federation.Jwks(issuerId)!["keys"]!.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.Equal(["RS256", "ES384"], jwks.Select(k => k["alg"]!.ToString()));
        Assert.All(jwks, k => Assert.False(k.ContainsKey("d") || k.ContainsKey("p") || k.ContainsKey("q")));
        Assert.Equal(_federation.EnabledIssuer(Account.AccountId) + "/.well-known/jwks.json", _federation.DiscoveryDocument(issuerId)!["jwks_uri"]!.ToString());

        var claims = new JsonObject { ["sub"] = "arn:aws:iam::111111111111:user/alice" };
        var rsaToken = JsonWebToken.Decode(_federation.Sign(Account.AccountId, "RS256", claims.DeepClone().AsObject()))!;
        var rsaKey = jwks.Single(k => k["kid"]!.ToString() == rsaToken.KeyId);
        using var rsa = RSA.Create(new RSAParameters { Modulus = Base64Url.DecodeFromChars(rsaKey["n"]!.ToString()), Exponent = Base64Url.DecodeFromChars(rsaKey["e"]!.ToString()) });
        Assert.True(rsaToken.IsSignedBy(rsa));
        Assert.Equal("arn:aws:iam::111111111111:user/alice", rsaToken.Subject);

        var esToken = _federation.Sign(Account.AccountId, "ES384", claims).Split('.');
        var esKey = jwks.Single(k => k["alg"]!.ToString() == "ES384");
        using var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(esKey["x"]!.ToString()), Y = Base64Url.DecodeFromChars(esKey["y"]!.ToString()) },
        });
        var signed = Encoding.ASCII.GetBytes(esToken[0] + "." + esToken[1]);
        Assert.True(ec.VerifyData(signed, Base64Url.DecodeFromChars(esToken[2]), HashAlgorithmName.SHA384));
        Assert.False(ec.VerifyData(Encoding.ASCII.GetBytes(esToken[0] + "." + esToken[0]), Base64Url.DecodeFromChars(esToken[2]), HashAlgorithmName.SHA384));
    }
}
