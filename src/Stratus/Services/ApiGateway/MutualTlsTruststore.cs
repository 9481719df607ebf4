using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Stratus.Protocols;
using Stratus.Services.S3;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>MutualTlsAuthentication as CreateDomainName and UpdateDomainName (either API, or a template) give it.</summary>
public sealed record MutualTlsSettings(string? TruststoreUri, string? TruststoreVersion)
{
    /// <summary>The member in any of its sources: apigateway's and apigatewayv2's <c>mutualTlsAuthentication</c>, a template's <c>MutualTlsAuthentication</c>.</summary>
    public static MutualTlsSettings? Read(IInputReader input) =>
        input.Object("mutualTlsAuthentication") is { } given ? new(given.String("truststoreUri"), given.String("truststoreVersion")) : null;
}

/// <summary>
/// A domain's mutual TLS: where its truststore came from, the warnings reading it gave, and the certificates it trusts as they were
/// when it was read (AWS reads the object again only when the domain is updated).
/// </summary>
public sealed record MutualTlsAuthentication
{
    public required string TruststoreUri { get; init; }
    public string? TruststoreVersion { get; init; }
    public List<string> TruststoreWarnings { get; init; } = [];
    /// <summary>The truststore's usable certificates, PEM: those that drew a warning are left out, so clients they would admit are refused.</summary>
    public required string TrustedCertificatesPem { get; init; }
}

/// <summary>
/// Reads a truststore from Stratus's S3 (through its domain, never over HTTP) and validates it as API Gateway documents: a PEM bundle of
/// at most 1,000 certificates in an object of at most 1 MB; certificates signed with SHA-256 or stronger and keyed with RSA of 2048 bits or
/// more or ECDSA P-256/P-384 are trusted; any other certificate is left out with a warning (AWS keeps mutual TLS on and warns); a bundle
/// with no certificate, or none usable, is refused. The wording of the errors and warnings is Stratus's: AWS does not publish its own.
/// </summary>
public static class MutualTlsTruststore
{
    public const int MaxCertificates = 1000;
    public const long MaxBytes = 1024 * 1024;
    private const string PemBegin = "-----BEGIN CERTIFICATE-----";
    private const string PemEnd = "-----END CERTIFICATE-----";

    /// <summary>Signature algorithms of SHA-256 or stronger (RSA PKCS#1, RSASSA-PSS, ECDSA), by OID.</summary>
    private static readonly HashSet<string> StrongSignatures =
    [
        "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10",
        "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4",
    ];

    public static bool IsStrongSignature(X509Certificate2 certificate) => StrongSignatures.Contains(certificate.SignatureAlgorithm.Value ?? "");

    /// <summary>The truststore named by <paramref name="settings"/>, read now as the caller's account sees it.</summary>
    public static MutualTlsAuthentication Read(Scope scope, IS3ObjectReader objects, MutualTlsSettings settings, DateTimeOffset now)
    {
        var uri = settings.TruststoreUri ?? throw BadRequest("Truststore URI is required for mutual TLS authentication");
        var (bucket, key, _) = S3ObjectAddress.FromS3Uri(uri) ?? throw BadRequest($"Invalid truststore URI: {uri}. Expected s3://bucket-name/key-name");
        byte[] content;
        try
        {
            content = objects.ReadObject(scope, bucket, key, settings.TruststoreVersion, MaxBytes,
                size => BadRequest($"The truststore {uri} is {size} bytes; a truststore is at most {MaxBytes} bytes"));
        }
        catch (AwsException e) when (e.Code != "BadRequestException")
        {
            throw BadRequest($"Unable to read the truststore {uri}{(settings.TruststoreVersion is { } v ? $" version {v}" : "")} from S3: {e.Code}: {e.Message}");
        }
        var (trusted, warnings) = Validate(Encoding.UTF8.GetString(content), uri, now);
        return new MutualTlsAuthentication
        {
            TruststoreUri = uri,
            TruststoreVersion = settings.TruststoreVersion,
            TruststoreWarnings = warnings,
            TrustedCertificatesPem = string.Join('\n', trusted.Select(c => c.ExportCertificatePem())),
        };
    }

    /// <summary>The bundle's usable certificates and a warning for each one left out.</summary>
    public static (List<X509Certificate2> Trusted, List<string> Warnings) Validate(string pem, string uri, DateTimeOffset now)
    {
        var blocks = PemBlocks(pem, uri);
        if (blocks.Count == 0) throw BadRequest($"The truststore {uri} contains no PEM-encoded certificate");
        if (blocks.Count > MaxCertificates) throw BadRequest($"The truststore {uri} contains {blocks.Count} certificates; a truststore holds at most {MaxCertificates}");
        var trusted = new List<X509Certificate2>();
        var warnings = new List<string>();
        foreach (var der in blocks)
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadCertificate(der);
            }
            catch (CryptographicException)
            {
                throw BadRequest($"The truststore {uri} contains a block that is not an X.509 certificate");
            }
            if (Problem(certificate, now) is { } problem) warnings.Add($"Certificate {certificate.Subject}: {problem}. It is not trusted.");
            else trusted.Add(certificate);
        }
        if (trusted.Count == 0) throw BadRequest($"The truststore {uri} has no usable certificate: {string.Join(" ", warnings)}");
        return (trusted, warnings);
    }

    /// <summary>Why a certificate cannot anchor client certificates, or null.</summary>
    private static string? Problem(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (!IsStrongSignature(certificate))
            return $"unsupported signature algorithm {certificate.SignatureAlgorithm.FriendlyName ?? certificate.SignatureAlgorithm.Value}; SHA-256 or stronger is required";
        if (certificate.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
                if (rsa.KeySize < 2048) return $"RSA key of {rsa.KeySize} bits; RSA-2048 or larger is required";
        }
        else if (certificate.GetECDsaPublicKey() is { } ecdsa)
        {
            using (ecdsa)
                if (ecdsa.KeySize is not (256 or 384)) return $"ECDSA key of {ecdsa.KeySize} bits; ECDSA-256 or ECDSA-384 is required";
        }
        else return "unsupported public key algorithm; RSA or ECDSA is required";
        if (now < certificate.NotBefore || now > certificate.NotAfter) return "outside its validity period";
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: false })
            return "not a certificate authority (basic constraints CA:FALSE)";
        return null;
    }

    /// <summary>The DER of each CERTIFICATE block, in order; a block that does not decode is refused.</summary>
    private static List<byte[]> PemBlocks(string pem, string uri)
    {
        var blocks = new List<byte[]>();
        var at = 0;
        while ((at = pem.IndexOf(PemBegin, at, StringComparison.Ordinal)) >= 0)
        {
            var start = at + PemBegin.Length;
            var end = pem.IndexOf(PemEnd, start, StringComparison.Ordinal);
            if (end < 0) throw BadRequest($"The truststore {uri} has a certificate without its {PemEnd} line");
            try
            {
                blocks.Add(Convert.FromBase64String(pem[start..end]));
            }
            catch (FormatException)
            {
                throw BadRequest($"The truststore {uri} has a certificate whose PEM body is not base64");
            }
            at = end + PemEnd.Length;
        }
        return blocks;
    }
}
