using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>A mutual TLS truststore's validation, and the checks a client certificate must pass against it.</summary>
public sealed class MutualTlsTruststoreTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private const string Uri = "s3://bucket/truststore.pem";

    private static MutualTlsAuthentication Trusting(params X509Certificate2[] authorities)
    {
        var (trusted, warnings) = MutualTlsTruststore.Validate(string.Join("\n", authorities.Select(a => a.ExportCertificatePem())), Uri, Now);
        return new MutualTlsAuthentication
        {
            TruststoreUri = Uri,
            TruststoreWarnings = warnings,
            TrustedCertificatesPem = string.Join("\n", trusted.Select(c => c.ExportCertificatePem())),
        };
    }

    [Fact]
    public void A_bundle_keeps_its_usable_certificates_and_warns_of_the_others()
    {
        using var good = TestCertificates.Authority("Good CA", Now.AddDays(-1), Now.AddYears(1));
        using var expired = TestCertificates.Authority("Old CA", Now.AddDays(-30), Now.AddDays(-1));
        using var weakKey = RSA.Create(1024);
        using var weak = new CertificateRequest("CN=Weak CA", weakKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
        var (trusted, warnings) = MutualTlsTruststore.Validate(good.ExportCertificatePem() + expired.ExportCertificatePem() + weak.ExportCertificatePem(), Uri, Now);
        Assert.Equal("CN=Good CA", Assert.Single(trusted).Subject);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("CN=Old CA") && w.Contains("validity"));
        Assert.Contains(warnings, w => w.Contains("CN=Weak CA") && w.Contains("RSA-2048"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a certificate")]
    [InlineData("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n")]
    public void A_bundle_without_a_certificate_is_refused(string pem)
    {
        var refused = Assert.Throws<AwsException>(() => MutualTlsTruststore.Validate(pem, Uri, Now));
        Assert.Equal("BadRequestException", refused.Code);
    }

    [Fact]
    public void A_bundle_with_only_unusable_certificates_is_refused()
    {
        using var expired = TestCertificates.Authority("Old CA", Now.AddDays(-30), Now.AddDays(-1));
        var refused = Assert.Throws<AwsException>(() => MutualTlsTruststore.Validate(expired.ExportCertificatePem(), Uri, Now));
        Assert.Contains("no usable certificate", refused.Message);
    }

    [Fact]
    public void Only_a_certificate_the_truststore_signed_for_client_use_passes()
    {
        using var ca = TestCertificates.Authority("Test CA", Now.AddDays(-1), Now.AddYears(1));
        using var other = TestCertificates.Authority("Other CA", Now.AddDays(-1), Now.AddYears(1));
        var mutualTls = Trusting(ca);
        var verifier = new ClientCertificateVerifier(TimeProvider.System);
        using var client = TestCertificates.Client(ca, "CN=device", Now.AddHours(-1), Now.AddDays(1));
        using var expired = TestCertificates.Client(ca, "CN=expired", Now.AddDays(-1).AddHours(1), Now.AddHours(-1));
        using var foreign = TestCertificates.Client(other, "CN=foreign", Now.AddHours(-1), Now.AddDays(1));
        using var stranger = TestCertificates.SelfSigned("CN=stranger", Now.AddHours(-1), Now.AddDays(1));
        using var signer = TestCertificates.Client(ca, "CN=no-signature-usage", Now.AddHours(-1), Now.AddDays(1), usage: X509KeyUsageFlags.KeyEncipherment);

        Assert.Null(verifier.Refusal(client, mutualTls));
        Assert.Equal("No client certificate presented", verifier.Refusal(null, mutualTls));
        Assert.Equal("certificate has expired or is not yet valid", verifier.Refusal(expired, mutualTls));
        Assert.Equal("Could not find issuer for certificate", verifier.Refusal(foreign, mutualTls));
        Assert.Equal("self signed certificate", verifier.Refusal(stranger, mutualTls));
        Assert.Contains("digitalSignature", verifier.Refusal(signer, mutualTls));
        // Trusting both authorities admits both clients.
        Assert.Null(verifier.Refusal(foreign, Trusting(ca, other)));
    }

    [Fact]
    public void The_certificate_is_handed_on_in_AWS_forms()
    {
        using var ca = TestCertificates.Authority("Test CA", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), Now.AddYears(1));
        using var client = TestCertificates.Client(ca, "CN=device,O=Example", new DateTimeOffset(2026, 5, 3, 12, 30, 2, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 28, 9, 36, 4, TimeSpan.Zero));
        var identity = ClientCertificateIdentity.Of(client);
        Assert.Equal("CN=device,O=Example", identity.SubjectDN);
        Assert.Equal("CN=Test CA", identity.IssuerDN);
        Assert.Equal("May  3 12:30:02 2026 GMT", identity.NotBefore);
        Assert.Equal("Dec 28 09:36:04 2026 GMT", identity.NotAfter);
        Assert.Equal(client.SerialNumber.ToLowerInvariant(), identity.SerialNumber.Replace(":", ""));
        Assert.Equal(identity.NotAfter, identity.Variable("validity.notAfter"));
        Assert.Equal(identity.SubjectDN, identity.ToJson()["subjectDN"]!.GetValue<string>());
    }
}
