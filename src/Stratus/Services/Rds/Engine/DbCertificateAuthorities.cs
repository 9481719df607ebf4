using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Stratus.Services.Rds.Engine;

/// <summary>The key type of a certificate authority (and of the server certificates it issues), as RDS's CA names say it.</summary>
public enum CertificateKeyType
{
    Rsa2048,
    Rsa4096,
    Ecc384,
}

/// <summary>
/// A certificate authority RDS offers, by its AWS name: rds-ca-rsa2048-g1 (the default for new instances), rds-ca-rsa4096-g1,
/// rds-ca-ecc384-g1. <see cref="Lifetime"/> is AWS's: the RSA2048 CA is valid 40 years, the other two 100 years.
/// </summary>
public sealed record CertificateAuthorityKind(string Identifier, CertificateKeyType KeyType, int LifetimeYears, string SubjectSuffix)
{
    public const string DefaultIdentifier = "rds-ca-rsa2048-g1";

    public static readonly IReadOnlyList<CertificateAuthorityKind> All =
    [
        new("rds-ca-ecc384-g1", CertificateKeyType.Ecc384, 100, "ECC384 G1"),
        new("rds-ca-rsa2048-g1", CertificateKeyType.Rsa2048, 40, "RSA2048 G1"),
        new("rds-ca-rsa4096-g1", CertificateKeyType.Rsa4096, 100, "RSA4096 G1"),
    ];

    public static CertificateAuthorityKind? Find(string identifier) => All.FirstOrDefault(k => k.Identifier == identifier);
}

/// <summary>One certificate authority of an account and Region: its certificate (public, in the bundle) and when it is valid.</summary>
public sealed record DbCertificateAuthority(CertificateAuthorityKind Kind, string CertificatePem, string Thumbprint, DateTimeOffset ValidFrom, DateTimeOffset ValidTill);

/// <summary>The TLS files a server serves with, in its home's tls folder (0700, the key 0600), written by <see cref="DbCertificateAuthorities.Issue"/>.</summary>
public sealed record ServerTlsFiles(string Directory)
{
    public string Certificate => Path.Combine(Directory, "server-cert.pem");
    public string Key => Path.Combine(Directory, "server-key.pem");
    public string Authority => Path.Combine(Directory, "ca.pem");
    /// <summary>The CA and host names the certificate was issued for, one a line, to tell whether a start needs a new one.</summary>
    public string IssuedFor => Path.Combine(Directory, "issued-for");

    public bool Exist => File.Exists(Certificate) && File.Exists(Key);

    /// <summary>The identifier of the CA that issued the certificate the server has; null when it has none yet.</summary>
    public string? AuthorityIdentifier() => File.Exists(IssuedFor) ? File.ReadLines(IssuedFor).First().Split('/')[^1] : null;

    public static ServerTlsFiles Of(string home) => new(Path.Combine(home, "tls"));

    /// <summary>The server certificate's expiry; null when the server has none yet.</summary>
    public DateTimeOffset? ValidTill()
    {
        if (!File.Exists(Certificate)) return null;
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Certificate));
        return new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
    }
}

/// <summary>
/// The certificate authorities of each account and Region, made on first use with real keys of their type and kept under
/// DATA_DIR/rds/certificate-authorities/ACCOUNT/REGION (the private keys 0600, never served), and the server certificates
/// they issue: one per server, for its endpoint's address, valid a year as RDS's are, issued again at a start when its CA,
/// its addresses or its last month of validity call for it.
/// </summary>
public sealed class DbCertificateAuthorities(string root)
{
    private static readonly TimeSpan ServerCertificateLifetime = TimeSpan.FromDays(365);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);
    private readonly Lock _gate = new();

    /// <summary>Every CA of the account's Region, made now if it does not exist yet.</summary>
    public IReadOnlyList<DbCertificateAuthority> All(string accountId, string region) =>
        CertificateAuthorityKind.All.Select(kind => Get(accountId, region, kind)).ToList();

    /// <summary>Whether the account's CAs of the Region were made (by its first instance there, or DescribeCertificates).</summary>
    public bool Exist(string accountId, string region) => Directory.Exists(Path.Combine(root, "certificate-authorities", accountId, region));

    /// <summary>The PEM bundle of every CA of the Region, as AWS's truststore REGION-bundle.pem is.</summary>
    public string Bundle(string accountId, string region) => string.Concat(All(accountId, region).Select(ca => ca.CertificatePem));

    public DbCertificateAuthority Get(string accountId, string region, CertificateAuthorityKind kind)
    {
        using var certificate = LoadOrCreate(accountId, region, kind, withKey: false);
        return Describe(kind, certificate);
    }

    /// <summary>
    /// Writes a certificate for <paramref name="hosts"/> (IP addresses or host names) signed by the CA into <paramref name="files"/>,
    /// unless the one there is already this CA's for these hosts and not in its last month.
    /// </summary>
    public void Issue(string accountId, string region, CertificateAuthorityKind kind, ServerTlsFiles files, IReadOnlyList<string> hosts, DateTimeOffset now)
    {
        var issuedFor = string.Join('\n', [$"{accountId}/{region}/{kind.Identifier}", .. hosts]);
        if (files.Exist && File.Exists(files.IssuedFor) && File.ReadAllText(files.IssuedFor) == issuedFor && files.ValidTill() > now + RenewBefore) return;
        using var authority = LoadOrCreate(accountId, region, kind, withKey: true);
        using var key = NewKey(kind.KeyType);
        var request = Request($"CN={hosts[0]}, OU=Stratus RDS, O=Stratus", key, kind.KeyType);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
            if (IPAddress.TryParse(host, out var ip)) names.AddIpAddress(ip);
            else names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        // Within the CA's own validity, which a certificate may not outlast nor precede (a CA made a moment ago starts after "now").
        var notBefore = Later(now.AddMinutes(-5), authority.NotBefore);
        var notAfter = Earlier(now + ServerCertificateLifetime, authority.NotAfter);
        using var certificate = request.Create(authority, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        Persistence.DataDirectory.CreatePrivate(files.Directory);
        Persistence.DataDirectory.WritePrivate(files.Key, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        Persistence.DataDirectory.WritePrivate(files.Certificate, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
        Persistence.DataDirectory.WritePrivate(files.Authority, Encoding.ASCII.GetBytes(authority.ExportCertificatePem() + "\n"));
        Persistence.DataDirectory.WritePrivate(files.IssuedFor, Encoding.UTF8.GetBytes(issuedFor));
    }

    private X509Certificate2 LoadOrCreate(string accountId, string region, CertificateAuthorityKind kind, bool withKey)
    {
        var dir = Path.Combine(root, "certificate-authorities", accountId, region);
        var certificatePath = Path.Combine(dir, kind.Identifier + ".pem");
        var keyPath = Path.Combine(dir, kind.Identifier + ".key");
        lock (_gate)
        {
            if (!File.Exists(certificatePath))
            {
                // Each level on its own: a directory's parents are created with the umask's mode.
                Persistence.DataDirectory.CreatePrivate(Path.Combine(root, "certificate-authorities"));
                Persistence.DataDirectory.CreatePrivate(Path.Combine(root, "certificate-authorities", accountId));
                Persistence.DataDirectory.CreatePrivate(dir);
                using var key = NewKey(kind.KeyType);
                var request = Request($"CN=Stratus RDS {region} Root CA {kind.SubjectSuffix}, OU=Stratus RDS, O=Stratus account {accountId}", key, kind.KeyType);
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
                request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
                request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
                var now = DateTimeOffset.UtcNow;
                using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(kind.LifetimeYears));
                // The key first: a certificate without its key would be a CA that can issue nothing.
                Persistence.DataDirectory.WritePrivate(keyPath, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
                Persistence.DataDirectory.WritePrivate(certificatePath, Encoding.ASCII.GetBytes(created.ExportCertificatePem() + "\n"));
            }
        }
        return withKey ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath) : X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
    }

    private static DbCertificateAuthority Describe(CertificateAuthorityKind kind, X509Certificate2 certificate) => new(kind,
        certificate.ExportCertificatePem() + "\n",
        // DescribeCertificates' Thumbprint: the certificate's SHA-1 fingerprint in lower-case hex, as RDS lists it.
        certificate.GetCertHashString().ToLowerInvariant(),
        new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));

    private static DateTimeOffset Later(DateTimeOffset time, DateTime bound) => time > new DateTimeOffset(bound.ToUniversalTime()) ? time : new DateTimeOffset(bound.ToUniversalTime());

    private static DateTimeOffset Earlier(DateTimeOffset time, DateTime bound) => time < new DateTimeOffset(bound.ToUniversalTime()) ? time : new DateTimeOffset(bound.ToUniversalTime());

    private static AsymmetricAlgorithm NewKey(CertificateKeyType type) => type switch
    {
        CertificateKeyType.Ecc384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        CertificateKeyType.Rsa4096 => RSA.Create(4096),
        _ => RSA.Create(2048),
    };

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key, CertificateKeyType type) => key switch
    {
        ECDsa ecdsa => new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA384),
        RSA rsa => new CertificateRequest(subject, rsa, type == CertificateKeyType.Rsa4096 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException($"No certificate request for {key.GetType().Name}."),
    };
}
