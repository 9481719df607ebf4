using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// An OpenID issuer on loopback made by the test: its RSA key signs tokens, and it serves
/// /.well-known/openid-configuration and the JWKS with that key, as a real issuer does.
/// </summary>
public sealed class JwksServer : LoopbackHttpServer
{
    private readonly RSA _key = RSA.Create(2048);
    private const string KeyId = "test-key-1";

    public string Issuer => BaseUrl;

    /// <summary>An RS256 token for these claims (iss, exp added unless given), signed by the served key or by <paramref name="otherKey"/>.</summary>
    public string Token(JsonObject claims, RSA? otherKey = null)
    {
        claims["iss"] ??= Issuer;
        claims["exp"] ??= DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var header = Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = KeyId }.ToJsonString()));
        var payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = (otherKey ?? _key).SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return header + "." + payload + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    protected override Task<byte[]> AnswerAsync(HttpListenerContext context)
    {
        var body = context.Request.Url!.AbsolutePath switch
        {
            "/.well-known/openid-configuration" => new JsonObject { ["issuer"] = Issuer, ["jwks_uri"] = Issuer + "/jwks.json" }.ToJsonString(),
            "/jwks.json" => Jwks().ToJsonString(),
            _ => null,
        };
        context.Response.StatusCode = body is null ? 404 : 200;
        context.Response.ContentType = "application/json";
        return Task.FromResult(Encoding.UTF8.GetBytes(body ?? ""));
    }

    private JsonObject Jwks()
    {
        var parameters = _key.ExportParameters(false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA", ["kid"] = KeyId, ["use"] = "sig", ["alg"] = "RS256",
                ["n"] = Base64Url(parameters.Modulus!), ["e"] = Base64Url(parameters.Exponent!),
            }),
        };
    }

    public override void Dispose()
    {
        base.Dispose();
        _key.Dispose();
    }
}
