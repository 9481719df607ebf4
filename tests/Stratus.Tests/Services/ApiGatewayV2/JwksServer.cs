using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// An OpenID issuer on loopback made by the test: its RSA key signs tokens, and it serves
/// /.well-known/openid-configuration and the JWKS with that key, as a real issuer does.
/// </summary>
public sealed class JwksServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly RSA _key = RSA.Create(2048);
    private const string KeyId = "test-key-1";

    public JwksServer()
    {
        // HttpListener cannot bind port 0: probe for a free port, and probe again if another test took it meanwhile.
        for (var attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener = new HttpListener();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                Issuer = $"http://127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                _listener.Close();
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    public string Issuer { get; } = "";

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

    private async Task ServeAsync()
    {
        var parameters = _key.ExportParameters(false);
        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA", ["kid"] = KeyId, ["use"] = "sig", ["alg"] = "RS256",
                ["n"] = Base64Url(parameters.Modulus!), ["e"] = Base64Url(parameters.Exponent!),
            }),
        };
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var body = context.Request.Url!.AbsolutePath switch
            {
                "/.well-known/openid-configuration" => new JsonObject { ["issuer"] = Issuer, ["jwks_uri"] = Issuer + "/jwks.json" }.ToJsonString(),
                "/jwks.json" => jwks.ToJsonString(),
                _ => null,
            };
            context.Response.StatusCode = body is null ? 404 : 200;
            var bytes = Encoding.UTF8.GetBytes(body ?? "");
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _key.Dispose();
    }
}
