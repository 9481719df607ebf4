using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Stratus.Persistence;
using Stratus.Protocols;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// Client certificates for backend mutual TLS: GenerateClientCertificate makes a real RSA key pair and a self-signed X.509 certificate
/// (subject CN=ApiGateway, valid 365 days, as AWS's), whose private key is sealed in Stratus's state and presented by the HTTP and
/// HTTP_PROXY integrations of every stage that names the certificate (<see cref="Engine.BackendCertificates"/>).
/// </summary>
public sealed partial class ApiGatewayService
{
    private const string CertificateIdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>AWS: "the client certificate is valid for 365 days".</summary>
    private static readonly TimeSpan CertificateValidity = TimeSpan.FromDays(365);

    private readonly ConcurrentDictionary<string, X509Certificate2> _openedCertificates = new(StringComparer.Ordinal);

    private static string CertificateKey(string accountId, string region, string id) => ResourceTable<ClientCertificateDocument>.Key(accountId, region, id);

    private static byte[] SealedWith(string accountId, string region, string id) => Encoding.UTF8.GetBytes($"apigateway/clientcertificates/{accountId}/{region}/{id}");

    public ClientCertificate GenerateClientCertificate(Scope scope, ClientCertificateSettings settings)
    {
        var id = RandomNumberGenerator.GetString(CertificateIdAlphabet, 6);
        var created = Now;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=ApiGateway", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        // A client certificate, so TLS servers that check its purpose accept it for client authentication.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        using var certificate = request.CreateSelfSigned(created, created + CertificateValidity);
        var document = new ClientCertificateDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Certificate = new ClientCertificate
            {
                ClientCertificateId = id,
                Description = settings.Description,
                PemEncodedCertificate = certificate.ExportCertificatePem() + "\n",
                CreatedDate = created,
                ExpirationDate = created + CertificateValidity,
                Tags = settings.Tags is { Count: > 0 } tags ? tags : null,
            },
            SealedPrivateKey = Convert.ToBase64String(_sealingKey.Seal(key.ExportPkcs8PrivateKey(), SealedWith(scope.AccountId, scope.Region, id))),
        };
        if (!_clientCertificates.TryAdd(CertificateKey(scope.AccountId, scope.Region, id), document)) throw Conflict("Unable to create the client certificate, try again");
        return document.Certificate;
    }

    public ClientCertificate GetClientCertificate(Scope scope, string id) => CertificateOf(scope.AccountId, scope.Region, id).Certificate;

    public (IReadOnlyList<ClientCertificate> Items, string? Position) GetClientCertificates(Scope scope, string? position, int? limit) =>
        Page(_clientCertificates.Values.Where(c => c.AccountId == scope.AccountId && c.Region == scope.Region)
            .Select(c => c.Certificate).OrderBy(c => c.CreatedDate).ThenBy(c => c.ClientCertificateId, StringComparer.Ordinal),
            c => c.ClientCertificateId, position, limit);

    private static readonly Dictionary<string, PatchKind> ClientCertificatePatchable = new() { ["description"] = PatchKind.Text };

    /// <summary>UpdateClientCertificate: AWS patches /description only.</summary>
    public ClientCertificate UpdateClientCertificate(Scope scope, string id, IReadOnlyList<PatchOperation> patch)
    {
        CertificateOf(scope.AccountId, scope.Region, id);
        return _clientCertificates.Update(CertificateKey(scope.AccountId, scope.Region, id), current => new ClientCertificateDocument
        {
            AccountId = current.AccountId,
            Region = current.Region,
            Certificate = PatchDocument.Apply(current.Certificate, patch, ClientCertificatePatchable),
            SealedPrivateKey = current.SealedPrivateKey,
        })?.Certificate ?? throw ClientCertificateNotFound();
    }

    public void DeleteClientCertificate(Scope scope, string id)
    {
        if (_clientCertificates.Remove(CertificateKey(scope.AccountId, scope.Region, id)) is null) throw ClientCertificateNotFound();
        _openedCertificates.TryRemove(CertificateKey(scope.AccountId, scope.Region, id), out _);
    }

    /// <summary>The certificate with its private key, for an integration to present; null when it was deleted (the stage then presents none).</summary>
    public X509Certificate2? OpenClientCertificate(string accountId, string region, string id)
    {
        var key = CertificateKey(accountId, region, id);
        if (_clientCertificates.Get(key) is not { } document) return null;
        return _openedCertificates.GetOrAdd(key, _ =>
        {
            var pkcs8 = _sealingKey.TryOpen(Convert.FromBase64String(document.SealedPrivateKey), SealedWith(accountId, region, id))
                ?? throw new CryptographicException($"client certificate {id}'s private key does not open under API Gateway's key");
            using var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out int _);
            using var publicOnly = X509Certificate2.CreateFromPem(document.Certificate.PemEncodedCertificate);
            using var withKey = publicOnly.CopyWithPrivateKey(rsa);
            // Exported and loaded again: on Linux, TLS presents a certificate whose key is held as a loaded PKCS#12, not an ephemeral key.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        });
    }

    private ClientCertificateDocument CertificateOf(string accountId, string region, string id) =>
        _clientCertificates.Get(CertificateKey(accountId, region, id)) ?? throw ClientCertificateNotFound();

    private static AwsException ClientCertificateNotFound() => NotFound("Invalid Client Certificate identifier specified");

    /// <summary>A stage's clientCertificateId must name a certificate of the account and region.</summary>
    private void CheckClientCertificate(Scope scope, string? id)
    {
        if (id is not null) CertificateOf(scope.AccountId, scope.Region, id);
    }
}
