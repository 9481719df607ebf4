using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The HTTP clients that present a stage's client certificate (the stage's clientCertificateId) to HTTP and HTTP_PROXY backends that
/// ask for one during the TLS handshake, as API Gateway does; one pooled client per certificate, made on first use.
/// </summary>
public sealed class BackendCertificates(Func<string, string, string, X509Certificate2?> open)
{
    private readonly ConcurrentDictionary<(string Account, string Region, string Id, bool SkipVerification), HttpClient> _clients = new();

    /// <summary>
    /// The client for the target's certificate (one that accepts any server certificate for an integration with insecureSkipVerification),
    /// or null when the stage names none or its certificate was deleted.
    /// </summary>
    public HttpClient? ClientFor(GatewayTarget target, bool skipVerification)
    {
        if (target.ClientCertificateId is not { } id || open(target.AccountId, target.Region, id) is not { } certificate) return null;
        return _clients.GetOrAdd((target.AccountId, target.Region, id, skipVerification), _ => HttpEndpoint.CreateClient(certificate, skipVerification));
    }
}
