using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Stratus.Host;

/// <summary>
/// Lets Stratus's one port speak HTTPS as well as HTTP, so URLs built the AWS way (<c>https://{api}.execute-api.{region}.{suffix}/{stage}</c>)
/// open: a connection that starts with a TLS handshake record is served over TLS with a self-signed development
/// certificate made at start-up (clients must skip verification, e.g. <c>curl -k</c>); any other connection stays plain HTTP.
/// </summary>
public static class OptionalTls
{
    private const byte TlsHandshakeRecord = 0x16;

    public static ListenOptions UseOptionalTls(this ListenOptions listen, X509Certificate2 certificate)
    {
        listen.Use(next => async connection =>
        {
            var input = connection.Transport.Input;
            var read = await input.ReadAsync(connection.ConnectionClosed);
            var isTls = !read.Buffer.IsEmpty && read.Buffer.Slice(0, 1).FirstSpan[0] == TlsHandshakeRecord;
            // Nothing consumed: the next reader sees the first bytes again.
            input.AdvanceTo(read.Buffer.Start);
            if (!isTls)
            {
                await next(connection);
                return;
            }
            var plain = connection.Transport;
            await using var tls = new SslStream(new DuplexPipeStream(plain), leaveInnerStreamOpen: true);
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, connection.ConnectionClosed);
            }
            catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException)
            {
                return;
            }
            connection.Transport = new TlsPipe(PipeReader.Create(tls), PipeWriter.Create(tls));
            try
            {
                await next(connection);
            }
            finally
            {
                connection.Transport = plain;
            }
        });
        return listen;
    }

    /// <summary>A self-signed server certificate for localhost, *.localhost and the execute-api host names under it.</summary>
    public static X509Certificate2 CreateDevelopmentCertificate(TimeProvider clock, IEnumerable<string> regions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Stratus development certificate", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName("*.localhost");
        names.AddDnsName("*.execute-api.localhost");
        foreach (var region in regions) names.AddDnsName($"*.execute-api.{region}.localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = clock.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    private sealed class TlsPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>The connection's pipes as the stream SslStream reads and writes.</summary>
    private sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
        private readonly Stream _output = pipe.Output.AsStream(leaveOpen: true);

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellation = default) => _input.ReadAsync(buffer, cancellation);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellation) => _input.ReadAsync(buffer, offset, count, cancellation);
        public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellation = default) => _output.WriteAsync(buffer, cancellation);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellation) => _output.WriteAsync(buffer, offset, count, cancellation);
        public override void Flush() => _output.Flush();
        public override Task FlushAsync(CancellationToken cancellation) => _output.FlushAsync(cancellation);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
