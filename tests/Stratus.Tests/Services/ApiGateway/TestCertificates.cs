using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>Certificates a mutual TLS test makes for itself: a CA, clients it signs, and self-signed strangers, each with its private key.</summary>
public static class TestCertificates
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public static X509Certificate2 Authority(string name, DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return Loaded(request.CreateSelfSigned(from, to));
    }

    /// <summary>A TLS client certificate <paramref name="authority"/> signs (digitalSignature, clientAuth), as a device would hold it.</summary>
    public static X509Certificate2 Client(X509Certificate2 authority, string subject, DateTimeOffset from, DateTimeOffset to,
        X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = ClientRequest(subject, key, usage);
        var serial = RandomNumberGenerator.GetBytes(8);
        serial[0] &= 0x7f;
        using var signed = request.Create(authority, from, to, serial);
        return Loaded(signed.CopyWithPrivateKey(key));
    }

    public static X509Certificate2 SelfSigned(string subject, DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Loaded(ClientRequest(subject, key, X509KeyUsageFlags.DigitalSignature).CreateSelfSigned(from, to));
    }

    private static CertificateRequest ClientRequest(string subject, ECDsa key, X509KeyUsageFlags usage)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], false));
        return request;
    }

    /// <summary>Through PKCS#12, so the private key is one SslStream can use on every platform.</summary>
    private static X509Certificate2 Loaded(X509Certificate2 created)
    {
        using (created) return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
