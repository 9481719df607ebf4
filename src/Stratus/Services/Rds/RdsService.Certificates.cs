using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// TLS to the servers: each account's certificate authorities per Region (DescribeCertificates, ModifyCertificates), the CA of
/// each instance (CACertificateIdentifier) and its rotation, and the server certificates the fleet has issued before each start.
/// </summary>
public sealed partial class RdsService
{
    private readonly ResourceTable<RdsCertificateOverride> _certificateOverrides;

    /// <summary>The CA new instances of the Region get: the account's override (ModifyCertificates), else RDS's default.</summary>
    public string CertificateForNewLaunches(Scope scope) =>
        _certificateOverrides.Get(ResourceTable<RdsCertificateOverride>.Key(scope.AccountId, scope.Region))?.CertificateIdentifier
        ?? CertificateAuthorityKind.DefaultIdentifier;

    /// <summary>DescribeCertificates: the Region's CAs (made on first use), or the one named. RDS documents no filters for it.</summary>
    public (string DefaultForNewLaunches, RdsPage<RdsCertificate> Page) DescribeCertificates(Scope scope, string? identifier,
        IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        if (identifier is not null) RequireCertificateKind(identifier);
        var forNewLaunches = CertificateForNewLaunches(scope);
        var overridden = forNewLaunches != CertificateAuthorityKind.DefaultIdentifier;
        var certificates = CertificateAuthorityKind.All.Where(kind => identifier is null || kind.Identifier == identifier)
            .Select(kind => Certificate(scope, kind, overridden && kind.Identifier == forNewLaunches)).ToList();
        return (forNewLaunches, FilteredPage(certificates, filters, (_, _) => null, c => c.Authority.Kind.Identifier, marker, RdsRules.MaxRecords(maxRecords)));
    }

    /// <summary>
    /// ModifyCertificates: the CA new instances of the Region get from now on (existing ones keep theirs), or RDS's default
    /// again with RemoveCustomerOverride. Answers the CA now used for new instances.
    /// </summary>
    public RdsCertificate ModifyCertificates(Scope scope, string? identifier, bool? removeCustomerOverride)
    {
        if ((identifier is not null) == (removeCustomerOverride == true)) throw RdsErrors.CertificateOverrideChoice();
        var key = ResourceTable<RdsCertificateOverride>.Key(scope.AccountId, scope.Region);
        if (identifier is null)
        {
            _certificateOverrides.Remove(key);
            return Certificate(scope, CertificateAuthorityKind.Find(CertificateAuthorityKind.DefaultIdentifier)!, customerOverride: false);
        }
        var kind = RequireCertificateKind(identifier);
        _certificateOverrides.Put(key, new RdsCertificateOverride(scope.AccountId, scope.Region, kind.Identifier));
        return Certificate(scope, kind, customerOverride: true);
    }

    /// <summary>The PEM bundle of the Region's CAs, what clients verify the servers with (AWS's truststore REGION-bundle.pem).</summary>
    /// <summary>
    /// Null until the account's CAs of the Region exist: the bundle page needs no credentials, so a request for it must not make
    /// keys (an RSA 4096 one costs seconds) for any account number anyone cares to type.
    /// </summary>
    public string? CertificateBundle(string accountId, string region) =>
        RequireFleet().Authorities is var authorities && authorities.Exist(accountId, region) ? authorities.Bundle(accountId, region) : null;

    /// <summary>The certificate the instance's server has now: its CA (the one it was issued by) and expiry; null before its first start.</summary>
    public (string AuthorityIdentifier, DateTimeOffset ValidTill)? ServerCertificate(DbInstance instance)
    {
        if (_fleet is null) return null;
        var files = ServerTlsFiles.Of(Path.Combine(_fleet.Root, "instances", instance.ResourceId));
        return files.AuthorityIdentifier() is { } authority && files.ValidTill() is { } validTill ? (authority, validTill) : null;
    }

    private static CertificateAuthorityKind RequireCertificateKind(string identifier) =>
        CertificateAuthorityKind.Find(identifier) ?? throw RdsErrors.CertificateNotFound(identifier);

    /// <summary>The CA a new instance gets: the one asked for (CACertificateIdentifier), else the Region's choice for new launches.</summary>
    private string NewInstanceCertificate(Scope scope, string? requested) =>
        requested is null ? CertificateForNewLaunches(scope) : RequireCertificateKind(requested).Identifier;

    private RdsCertificate Certificate(Scope scope, CertificateAuthorityKind kind, bool customerOverride) =>
        new(RequireFleet().Authorities.Get(scope.AccountId, scope.Region, kind), $"arn:aws:rds:{scope.Region}::cert:{kind.Identifier}", customerOverride);

    /// <summary>
    /// Before each start of a server: its certificate from its instance's CA, for the address it is about to listen on and, for
    /// an Aurora member, its cluster's endpoints (which forward connections to it untouched, so the client verifies the
    /// member's certificate against the endpoint's address).
    /// </summary>
    private void IssueServerCertificate(string resourceId, string address, IDbServer server)
    {
        var instance = _instances.Values.FirstOrDefault(i => i.ResourceId == resourceId);
        // A cluster volume started before its first instance only gets its master user there: no client reaches it.
        if (instance is null) return;
        // The machine's clock, not the service's: clients check the certificate's validity against theirs.
        RequireFleet().Authorities.Issue(instance.AccountId, instance.Region, RequireCertificateKind(instance.CertificateAuthority), server.Tls,
            [address, .. ClusterEndpointAddresses(instance).Where(a => a != address).Distinct()], DateTimeOffset.UtcNow);
    }

    private IEnumerable<string> ClusterEndpointAddresses(DbInstance member)
    {
        if (member.ClusterIdentifier is not { } clusterIdentifier
            || _clusters.Get(ClusterKey(member.AccountId, member.Region, clusterIdentifier)) is not { } cluster) return [];
        var custom = _customEndpoints.Values
            .Where(e => e.AccountId == member.AccountId && e.Region == member.Region && e.ClusterIdentifier == clusterIdentifier)
            .Select(e => e.Address);
        return new[] { cluster.WriterEndpointAddress, cluster.ReaderEndpointAddress }.Concat(custom).OfType<string>();
    }

    /// <summary>
    /// ModifyDBInstance's CACertificateIdentifier applied at once: with CertificateRotationRestart (the default) the server
    /// restarts and serves a certificate of the new CA; without it the new CA is recorded and served from the next restart,
    /// as RDS documents ("The certificate is not updated until the DB instance is restarted").
    /// </summary>
    private DbInstance RotateCertificate(DbInstance instance, bool restart)
    {
        if (!restart) return instance;
        var modifying = Transition(instance.AccountId, instance.Region, instance.Identifier, "available", "modifying",
            _ => "Database instance is not in available state.");
        RunForInstance(modifying, "certificate rotation", async (current, token) =>
        {
            await RequireFleet().StopAsync(current.ResourceId);
            await StartServerAsync(current, token);
            Event(current, $"The DB instance's server certificate is now issued by {current.CertificateAuthority} (restarted)", "configuration change");
        });
        return modifying;
    }
}
