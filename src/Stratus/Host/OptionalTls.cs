using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Stratus.Host;

/// <summary>
/// Lets Stratus's one port speak HTTPS as well as HTTP, so URLs built the AWS way (<c>https://{api}.execute-api.{region}.{suffix}/{stage}</c>)
/// open: a connection that starts with a TLS handshake record is served over TLS with a self-signed development
/// certificate made at start-up (clients must skip verification, e.g. <c>curl -k</c>); any other connection stays plain HTTP.
/// A handshake whose SNI names a custom domain with mutual TLS is asked for a client certificate (only those: other clients are never
/// asked); whatever the client presents, or nothing, completes the handshake, and the custom domain's data plane answers a certificate its
/// truststore does not admit with 403 Forbidden, as API Gateway does. The certificate reaches requests as <see cref="ITlsConnectionFeature"/>.
/// </summary>
public static class OptionalTls
{
    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>TLS's largest record's plaintext (RFC 8446 5.1): a smaller write buffer makes records smaller than TLS allows.</summary>
    private const int MaxTlsRecordBytes = 16 * 1024;

    /// <summary>
    /// What one read of the decrypted stream may take: several records, so an upload's body (a 200 MB layer) is read in
    /// a few thousand reads rather than in the 4 KB ones of the pipe's default, each an asynchronous hop.
    /// </summary>
    private const int TlsReadBufferBytes = 64 * 1024;

    /// <param name="requiresClientCertificate">Whether a TLS connection for this server name must offer a client certificate (mutual TLS custom domains).</param>
    /// <param name="plain">What serves a plain-HTTP connection around Kestrel's HTTP layer (TLS connections go to it directly).</param>
    public static ListenOptions UseOptionalTls(this ListenOptions listen, X509Certificate2 certificate, Func<string, bool> requiresClientCertificate,
        Func<ConnectionDelegate, ConnectionDelegate> plain)
    {
        listen.Use(next =>
        {
            var servePlain = plain(next);
            return async connection =>
            {
                var input = connection.Transport.Input;
                var read = await input.ReadAsync(connection.ConnectionClosed);
                var isTls = !read.Buffer.IsEmpty && read.Buffer.Slice(0, 1).FirstSpan[0] == TlsHandshakeRecord;
                // Nothing consumed: the next reader sees the first bytes again.
                input.AdvanceTo(read.Buffer.Start);
                if (!isTls)
                {
                    await servePlain(connection);
                    return;
                }
                var plainTransport = connection.Transport;
                await using var tls = new SslStream(new DuplexPipeStream(plainTransport), leaveInnerStreamOpen: true);
                try
                {
                    await tls.AuthenticateAsServerAsync((_, hello, _, _) => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        ApplicationProtocols = [SslApplicationProtocol.Http11],
                        ClientCertificateRequired = hello.ServerName is { Length: > 0 } name && requiresClientCertificate(name),
                        // The truststore, not the machine's roots, decides, and it decides per request (CustomDomainDataPlane).
                        RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    }), null, connection.ConnectionClosed);
                }
                catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException)
                {
                    return;
                }
                if (tls.RemoteCertificate is X509Certificate2 clientCertificate) connection.Features.Set<ITlsConnectionFeature>(new ClientCertificateFeature(clientCertificate));
                connection.Transport = new DuplexPipe(
                    PipeReader.Create(tls, new StreamPipeReaderOptions(bufferSize: TlsReadBufferBytes, minimumReadSize: MaxTlsRecordBytes, leaveOpen: true)),
                    PipeWriter.Create(tls, new StreamPipeWriterOptions(minimumBufferSize: MaxTlsRecordBytes, leaveOpen: true)));
                try
                {
                    await next(connection);
                }
                finally
                {
                    connection.Transport = plainTransport;
                }
            };
        });
        return listen;
    }

    /// <summary>A self-signed server certificate for localhost, *.localhost and the execute-api and portal host names under it.</summary>
    public static X509Certificate2 CreateDevelopmentCertificate(TimeProvider clock, IEnumerable<string> regions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Stratus development certificate", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName("*.localhost");
        names.AddDnsName("*.execute-api.localhost");
        foreach (var region in regions)
        {
            names.AddDnsName($"*.execute-api.{region}.localhost");
            // Portals' default domain names, p-{id}.apigw-portal.{region}.localhost (a wildcard covers one label only).
            names.AddDnsName($"*.apigw-portal.{region}.localhost");
        }
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = clock.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    private sealed class ClientCertificateFeature(X509Certificate2 certificate) : ITlsConnectionFeature
    {
        public X509Certificate2? ClientCertificate { get; set; } = certificate;
        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellation) => Task.FromResult(ClientCertificate);
    }

    /// <summary>
    /// The connection's pipes as the stream SslStream reads and writes. Writes only fill the socket's pipe and
    /// <see cref="FlushAsync"/> hands it to the socket: SslStream writes one record (at most 16 KB) per write and
    /// flushes when its caller does (Kestrel, after each of the response's writes; itself, after each handshake
    /// message), so a 1 MB block of a blob goes out as one send of its records instead of one send, and one wake of the
    /// socket's sender, per record.
    /// </summary>
    private sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
        private readonly PipeWriter _output = pipe.Output;

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellation = default) => _input.ReadAsync(buffer, cancellation);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellation) => _input.ReadAsync(buffer, offset, count, cancellation);
        public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellation = default)
        {
            _output.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellation) => WriteAsync(buffer.AsMemory(offset, count), cancellation).AsTask();
        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellation)
        {
            var flushed = await _output.FlushAsync(cancellation);
            if (flushed.IsCanceled) throw new OperationCanceledException(cancellation);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
