using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// A loopback HTTPS server, under the test's own self-signed certificate for 127.0.0.1, that requires a client certificate in the TLS
/// handshake (one that presents none is refused there) and answers every request with the SHA-1 thumbprint of the certificate it got;
/// with <c>requireClientCertificate: false</c> it takes any client and answers a null thumbprint for one that presents none.
/// </summary>
public sealed class MutualTlsEchoServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _requireClientCertificate;

    public MutualTlsEchoServer(bool requireClientCertificate = true)
    {
        _requireClientCertificate = requireClientCertificate;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        // Its own trust anchor: the Stratus under test trusts it through SSL_CERT_FILE.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        CertificatePem = created.ExportCertificatePem();
        _listener.Start();
        Url = $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>The server's certificate in PEM, for the client's trust store.</summary>
    public string CertificatePem { get; }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(connection));
        }
    }

    private async Task AnswerAsync(TcpClient connection)
    {
        using var owned = connection;
        try
        {
            await using var tls = new SslStream(connection.GetStream(), false, (_, certificate, _, _) => certificate is not null || !_requireClientCertificate);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateRequired = _requireClientCertificate,
            }, _stop.Token);
            var head = new StringBuilder();
            var buffer = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await tls.ReadAsync(buffer, _stop.Token) == 1)
                head.Append((char)buffer[0]);
            var thumbprint = tls.RemoteCertificate?.GetCertHashString() is { } hash ? $"\"{hash}\"" : "null";
            var body = Encoding.UTF8.GetBytes($"{{\"thumbprint\": {thumbprint}}}");
            var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await tls.WriteAsync(answer, _stop.Token);
            await tls.WriteAsync(body, _stop.Token);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            // A client without a certificate is refused in the handshake, as a mutual TLS backend refuses it.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _certificate.Dispose();
    }
}
