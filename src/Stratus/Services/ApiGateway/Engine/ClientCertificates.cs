using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// A client certificate a mutual TLS domain verified, as API Gateway hands it on: REST's <c>requestContext.identity.clientCert</c> and
/// <c>$context.identity.clientCert</c>, HTTP APIs' <c>requestContext.authentication.clientCert</c> (payload 2.0) or
/// <c>requestContext.identity.clientCert</c> (1.0). It rides on the request's features from the custom domain to the data planes.
/// </summary>
public sealed record ClientCertificateIdentity(string ClientCertPem, string SubjectDN, string IssuerDN, string SerialNumber, string NotBefore, string NotAfter)
{
    public static ClientCertificateIdentity Of(X509Certificate2 certificate) => new(
        certificate.ExportCertificatePem(),
        Distinguished(certificate.SubjectName),
        Distinguished(certificate.IssuerName),
        // The serial number as AWS shows it: lowercase hex bytes joined by colons.
        string.Join(':', Convert.FromHexString(certificate.SerialNumber).Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
        OpenSslTime(certificate.NotBefore), OpenSslTime(certificate.NotAfter));

    /// <summary>A name as RFC 2253 writes it, most specific first and joined by bare commas ("CN=device,O=Example"), as AWS shows it.</summary>
    private static string Distinguished(X500DistinguishedName name) =>
        string.Join(',', name.Decode(X500DistinguishedNameFlags.Reversed | X500DistinguishedNameFlags.UseNewLines)
            .Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Validity times in the form AWS gives them, OpenSSL's ("May 28 12:30:02 2019 GMT", the day padded with a space).</summary>
    private static string OpenSslTime(DateTime local)
    {
        var utc = local.ToUniversalTime();
        return utc.ToString("MMM", CultureInfo.InvariantCulture) + " " + utc.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)
            + utc.ToString(" HH:mm:ss yyyy", CultureInfo.InvariantCulture) + " GMT";
    }

    public JsonObject ToJson() => new()
    {
        ["clientCertPem"] = ClientCertPem,
        ["subjectDN"] = SubjectDN,
        ["issuerDN"] = IssuerDN,
        ["serialNumber"] = SerialNumber,
        ["validity"] = new JsonObject { ["notBefore"] = NotBefore, ["notAfter"] = NotAfter },
    };

    /// <summary><c>$context.identity.clientCert</c> for mapping templates and access log formats.</summary>
    public Dictionary<string, object?> ContextVariable() => new(StringComparer.Ordinal)
    {
        ["clientCertPem"] = ClientCertPem,
        ["subjectDN"] = SubjectDN,
        ["issuerDN"] = IssuerDN,
        ["serialNumber"] = SerialNumber,
        ["validity"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["notBefore"] = NotBefore, ["notAfter"] = NotAfter },
    };

    /// <summary>A <c>$context.identity.clientCert.*</c> variable by its path below clientCert ("subjectDN", "validity.notAfter"), or null.</summary>
    public string? Variable(string path) => path switch
    {
        "clientCertPem" => ClientCertPem,
        "subjectDN" => SubjectDN,
        "issuerDN" => IssuerDN,
        "serialNumber" => SerialNumber,
        "validity.notBefore" => NotBefore,
        "validity.notAfter" => NotAfter,
        _ => null,
    };
}

/// <summary>
/// Checks a TLS client's certificate against a domain's truststore as API Gateway does before it lets the request through: a certificate
/// must have been presented, must not be self-signed, must be signed with SHA-256 or stronger, must chain to a certificate in the truststore
/// and be within its validity period (every certificate of the chain too), and, where it states key usages, allow digital signatures and
/// TLS client authentication. The reasons are AWS's execution-log wording where AWS publishes it ("Could not find issuer for certificate",
/// "Client cert using an insecure Signature Algorithm", "self signed certificate") and Stratus's otherwise.
/// </summary>
public sealed class ClientCertificateVerifier(TimeProvider clock)
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private readonly ConcurrentDictionary<string, X509Certificate2Collection> _truststores = new(StringComparer.Ordinal);
    private const int MaxCachedTruststores = 256;

    /// <summary>Null when <paramref name="certificate"/> may pass, else why it may not.</summary>
    public string? Refusal(X509Certificate2? certificate, MutualTlsAuthentication mutualTls)
    {
        if (certificate is null) return "No client certificate presented";
        if (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData)) return "self signed certificate";
        if (!MutualTlsTruststore.IsStrongSignature(certificate)) return "Client cert using an insecure Signature Algorithm";
        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
            && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
            return "client certificate key usage does not include digitalSignature";
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } extended
            && !extended.EnhancedKeyUsages.Cast<Oid>().Any(oid => oid.Value == ClientAuthentication.Value))
            return "client certificate extended key usage does not include TLS client authentication";
        var trusted = Truststore(mutualTls.TrustedCertificatesPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = clock.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        // Self-signed certificates of the truststore are its roots; the others (intermediate CAs) may complete a chain to one.
        foreach (var anchor in trusted)
            (anchor.SubjectName.RawData.AsSpan().SequenceEqual(anchor.IssuerName.RawData) ? chain.ChainPolicy.CustomTrustStore : chain.ChainPolicy.ExtraStore).Add(anchor);
        if (chain.Build(certificate)) return null;
        var status = chain.ChainStatus.Select(s => s.Status).Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s);
        if (status.HasFlag(X509ChainStatusFlags.NotTimeValid)) return "certificate has expired or is not yet valid";
        if (status.HasFlag(X509ChainStatusFlags.PartialChain) || status.HasFlag(X509ChainStatusFlags.UntrustedRoot)) return "Could not find issuer for certificate";
        return "certificate verify failed: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
    }

    /// <summary>A truststore's certificates, parsed once per distinct content.</summary>
    private X509Certificate2Collection Truststore(string pem)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(pem)));
        if (_truststores.TryGetValue(key, out var known)) return known;
        var parsed = new X509Certificate2Collection();
        parsed.ImportFromPem(pem);
        // Truststores replaced by updates are not tracked one by one: the cache is emptied when it grows past what a machine's domains need.
        if (_truststores.Count >= MaxCachedTruststores) _truststores.Clear();
        return _truststores.GetOrAdd(key, parsed);
    }
}
