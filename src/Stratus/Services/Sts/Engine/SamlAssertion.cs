using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;

namespace Stratus.Services.Sts.Engine;

/// <summary>
/// What AssumeRoleWithSAML learns from a SAML 2.0 response once it is verified: the assertion's issuer,
/// subject (NameID and its format), the recipient it was meant for, and its attributes by name.
/// </summary>
/// <param name="SessionNotOnOrAfter">The AuthnStatement's SessionNotOnOrAfter: a role session from the assertion ends then at the latest, as AWS documents.</param>
public sealed record SamlAssertion(string Issuer, string Subject, string SubjectFormat, string Recipient, IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes,
    DateTimeOffset? SessionNotOnOrAfter = null)
{
    /// <summary>The audience and recipient AWS's sign-in endpoint requires of an assertion meant for it.</summary>
    public const string AwsAudience = "https://signin.aws.amazon.com/saml";
    /// <summary>The other audience AWS accepts.</summary>
    public const string AwsUrnAudience = "urn:amazon:webservices";

    private const string ProtocolNs = "urn:oasis:names:tc:SAML:2.0:protocol";
    private const string AssertionNs = "urn:oasis:names:tc:SAML:2.0:assertion";
    private const string MetadataNs = "urn:oasis:names:tc:SAML:2.0:metadata";
    private const string SuccessStatus = "urn:oasis:names:tc:SAML:2.0:status:Success";
    /// <summary>The clock skew AWS allows an assertion's NotBefore.</summary>
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>saml:sub_type: "persistent" or "transient" for those NameID formats, the format's URI otherwise.</summary>
    public string SubjectType => SubjectFormat switch
    {
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" => "persistent",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" => "transient",
        _ => SubjectFormat,
    };

    /// <summary>
    /// The base64 SAML response verified as AWS verifies it: a samlp:Response with Success status holding one
    /// (unencrypted) assertion; the response or the assertion signed (an enveloped XML signature referencing the
    /// signed element itself, so a wrapped copy is not what is read) by a signing certificate of the provider's
    /// metadata; its issuer the metadata's entityID; its audience AWS's; within its NotBefore/NotOnOrAfter.
    /// </summary>
    public static SamlAssertion Verify(string base64Response, string metadata, DateTimeOffset now)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64Response);
        }
        catch (FormatException)
        {
            throw StsErrors.InvalidSamlResponse("Invalid base64 SAMLResponse");
        }
        var response = Load(Encoding.UTF8.GetString(bytes))?.DocumentElement;
        if (response is not { LocalName: "Response", NamespaceURI: ProtocolNs })
            throw StsErrors.InvalidSamlResponse("Response is not a valid SAML 2.0 samlp:Response");
        if (Child(Child(response, ProtocolNs, "Status"), ProtocolNs, "StatusCode")?.GetAttribute("Value") != SuccessStatus)
            throw StsErrors.InvalidSamlResponse("The SAML response's status is not Success");
        if (Children(response, AssertionNs, "EncryptedAssertion").Any())
            throw StsErrors.InvalidSamlResponse("Encrypted assertions are not supported by Stratus: send the assertion unencrypted");
        if (Children(response, AssertionNs, "Assertion").ToList() is not [var assertion])
            throw StsErrors.InvalidSamlResponse("The SAML response must hold exactly one assertion");

        var (entityId, certificates) = SigningCertificates(metadata);
        if (!IsSignedBy(response, certificates) && !IsSignedBy(assertion, certificates))
            throw StsErrors.InvalidSamlResponse("Response signature invalid: neither the response nor its assertion is signed by a signing certificate of the provider's metadata");
        var issuer = Child(assertion, AssertionNs, "Issuer")?.InnerText.Trim();
        if (issuer != entityId)
            throw StsErrors.InvalidSamlResponse($"Issuer '{issuer}' is not the provider's entity id '{entityId}'");

        var conditions = Child(assertion, AssertionNs, "Conditions");
        if (Time(conditions, "NotBefore") is { } notBefore && now + Skew < notBefore)
            throw StsErrors.InvalidSamlResponse("The assertion is not valid yet (NotBefore)");
        var subject = Child(assertion, AssertionNs, "Subject");
        var confirmation = Child(Child(subject, AssertionNs, "SubjectConfirmation"), AssertionNs, "SubjectConfirmationData");
        foreach (var expiry in new[] { Time(conditions, "NotOnOrAfter"), Time(confirmation, "NotOnOrAfter") })
            if (expiry is { } notOnOrAfter && now >= notOnOrAfter) throw StsErrors.SamlExpired(notOnOrAfter);
        var audiences = Children(Child(conditions, AssertionNs, "AudienceRestriction"), AssertionNs, "Audience").Select(a => a.InnerText.Trim()).ToList();
        if (!audiences.Contains(AwsAudience) && !audiences.Contains(AwsUrnAudience))
            throw StsErrors.InvalidSamlResponse($"Audience restriction check failed: the assertion's audience must be {AwsAudience}");
        var nameId = Child(subject, AssertionNs, "NameID") ?? throw StsErrors.InvalidSamlResponse("The assertion has no Subject NameID");

        var attributes = Children(Child(assertion, AssertionNs, "AttributeStatement"), AssertionNs, "Attribute")
            .GroupBy(a => a.GetAttribute("Name"), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.SelectMany(a => Children(a, AssertionNs, "AttributeValue")).Select(v => v.InnerText.Trim())], StringComparer.Ordinal);
        var recipient = confirmation?.GetAttribute("Recipient") is { Length: > 0 } r ? r : AwsAudience;
        return new SamlAssertion(issuer, nameId.InnerText.Trim(), nameId.GetAttribute("Format") is { Length: > 0 } f ? f : "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", recipient, attributes,
            Time(Child(assertion, AssertionNs, "AuthnStatement"), "SessionNotOnOrAfter"));
    }

    /// <summary>saml:namequalifier, as AWS documents it: base64 of SHA-1 over issuer, account id and "/" provider name.</summary>
    public string NameQualifier(string accountId, string providerName) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(Issuer + accountId + "/" + providerName)));

    /// <summary>
    /// Whether the element carries one enveloped signature whose single reference is the element's own ID, valid
    /// under one of the certificates. SignedXml refuses a reference whose ID more than one element carries.
    /// </summary>
    private static bool IsSignedBy(XmlElement element, IReadOnlyList<X509Certificate2> certificates)
    {
        if (Children(element, SignedXml.XmlDsigNamespaceUrl, "Signature").ToList() is not [var signature]) return false;
        var id = element.GetAttribute("ID");
        if (id.Length == 0) return false;
        try
        {
            var signed = new SignedXml(element);
            signed.LoadXml(signature);
            if (signed.SignedInfo?.References is not { Count: 1 } references || references[0] is not Reference { Uri: var uri } || uri != "#" + id) return false;
            return certificates.Any(c => signed.CheckSignature(c, verifySignatureOnly: true));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The metadata's entityID and the certificates of its IdP's signing keys (KeyDescriptor use="signing" or unspecified).</summary>
    private static (string EntityId, IReadOnlyList<X509Certificate2> Certificates) SigningCertificates(string metadata)
    {
        var root = Load(metadata)?.DocumentElement ?? throw StsErrors.InvalidSamlResponse("The provider's metadata could not be parsed");
        var certificates = new List<X509Certificate2>();
        foreach (var descriptor in Children(root, MetadataNs, "IDPSSODescriptor"))
        foreach (var key in Children(descriptor, MetadataNs, "KeyDescriptor").Where(k => k.GetAttribute("use") is "" or "signing"))
        foreach (var text in key.GetElementsByTagName("X509Certificate", SignedXml.XmlDsigNamespaceUrl).OfType<XmlElement>())
        {
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(string.Concat(text.InnerText.Where(c => !char.IsWhiteSpace(c))))));
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                // A certificate that does not decode verifies nothing; the others may.
            }
        }
        return (root.GetAttribute("entityID"), certificates);
    }

    /// <summary>An XML document read without DTDs or external entities, bounded in size, whitespace kept (signatures cover it).</summary>
    private static XmlDocument? Load(string xml)
    {
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 10_000_000,
            });
            document.Load(reader);
            return document;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static DateTimeOffset? Time(XmlElement? element, string attribute) =>
        element?.GetAttribute(attribute) is { Length: > 0 } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;

    private static IEnumerable<XmlElement> Children(XmlElement? parent, string ns, string name) =>
        parent?.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == name && e.NamespaceURI == ns) ?? [];

    private static XmlElement? Child(XmlElement? parent, string ns, string name) => Children(parent, ns, name).FirstOrDefault();
}
