using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Sts;

/// <summary>
/// AssumeRoleWithSAML with SAML responses the test signs with a self-made certificate, the certificate
/// given to IAM in the provider's metadata: refused when unsigned by it, expired, for another audience,
/// for a role the assertion does not grant, or when the trust policy's saml:sub condition does not match.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SamlTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Account = "000000000000";
    private const string EntityId = "https://idp.example.test/saml";
    private const string RoleArn = $"arn:aws:iam::{Account}:role/saml-admin";
    private const string ProviderArn = $"arn:aws:iam::{Account}:saml-provider/corp-idp";

    [Fact]
    public async Task Boto3_assumes_a_role_with_a_signed_assertion_only_as_the_metadata_and_trust_policy_allow()
    {
        using var key = RSA.Create(2048);
        using var certificate = SelfSigned(key, "CN=idp.example.test");
        using var strangerKey = RSA.Create(2048);
        var now = DateTimeOffset.UtcNow;
        var valid = Response(key, "alice@example.test", now.AddMinutes(5), SamlAudience, RoleArn, tags: true);
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            iam, sts = client("iam"), client("sts")
            iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument='''{{Metadata(certificate)}}''')
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "{{ProviderArn}}"},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml", "saml:sub": "alice@example.test", "saml:iss": "{{EntityId}}"} } }]}
            iam.create_role(RoleName="saml-admin", AssumeRolePolicyDocument=json.dumps(trust))
            def assume(assertion, role="{{RoleArn}}", provider="{{ProviderArn}}"):
                return sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion, DurationSeconds=900)
            assumed = assume("{{valid}}")
            out["assumed"] = {k: assumed[k] for k in ("AssumedRoleUser", "Subject", "SubjectType", "Issuer", "Audience", "NameQualifier")}
            c = assumed["Credentials"]
            out["as_role"] = client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()["Arn"]
            out["stranger"] = error(assume, "{{Response(strangerKey, "alice@example.test", now.AddMinutes(5), SamlAudience, RoleArn)}}")
            out["tampered"] = error(assume, "{{Tampered(valid)}}")
            out["expired"] = error(assume, "{{Response(key, "alice@example.test", now.AddMinutes(-1), SamlAudience, RoleArn)}}")
            out["audience"] = error(assume, "{{Response(key, "alice@example.test", now.AddMinutes(5), "https://elsewhere.example.test", RoleArn)}}")
            out["other_subject"] = error(assume, "{{Response(key, "mallory@example.test", now.AddMinutes(5), SamlAudience, RoleArn)}}")
            out["role_not_granted"] = error(assume, "{{Response(key, "alice@example.test", now.AddMinutes(5), SamlAudience, $"arn:aws:iam::{Account}:role/other")}}")
            out["no_provider"] = error(assume, "{{valid}}", provider="arn:aws:iam::{{Account}}:saml-provider/missing")
            out["not_base64"] = error(assume, "%%% not base64 %%%")
            out["bad_policy"] = error(sts.assume_role_with_saml, RoleArn="{{RoleArn}}", PrincipalArn="{{ProviderArn}}", SAMLAssertion="{{valid}}", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}))
            """);

        var assumed = r["assumed"]!;
        Assert.Equal($"arn:aws:sts::{Account}:assumed-role/saml-admin/alice", assumed["AssumedRoleUser"]!["Arn"]!.ToString());
        Assert.Equal("alice@example.test", assumed["Subject"]!.ToString());
        Assert.Equal("persistent", assumed["SubjectType"]!.ToString());
        Assert.Equal(EntityId, assumed["Issuer"]!.ToString());
        Assert.Equal(SamlAudience, assumed["Audience"]!.ToString());
        Assert.Equal(Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(EntityId + Account + "/corp-idp"))), assumed["NameQualifier"]!.ToString());
        Assert.Equal($"arn:aws:sts::{Account}:assumed-role/saml-admin/alice", r["as_role"]!.ToString());
        foreach (var refused in new[] { "stranger", "tampered", "audience", "no_provider", "not_base64" })
        {
            Assert.Equal("InvalidIdentityToken", r[refused]!["code"]!.ToString());
            Assert.Equal(400, r[refused]!["status"]!.GetValue<int>());
        }
        Assert.Equal("Specified provider doesn't exist", r["no_provider"]!["message"]!.ToString());
        Assert.Equal("ExpiredTokenException", r["expired"]!["code"]!.ToString());
        foreach (var denied in new[] { "other_subject", "role_not_granted" })
        {
            Assert.Equal("AccessDenied", r[denied]!["code"]!.ToString());
            Assert.Equal("Not authorized to perform sts:AssumeRoleWithSAML", r[denied]!["message"]!.ToString());
        }
        Assert.Equal("MalformedPolicyDocument", r["bad_policy"]!["code"]!.ToString());
    }

    [Fact]
    public async Task Source_identity_and_transitive_tags_pass_from_a_saml_session_down_a_role_chain_and_session_not_on_or_after_ends_it()
    {
        using var key = RSA.Create(2048);
        using var certificate = SelfSigned(key, "CN=idp.example.test");
        var now = DateTimeOffset.UtcNow;
        const string chainRole = $"arn:aws:iam::{Account}:role/saml-chain";
        // A provider of its own: the other test of this class (on the same server) makes corp-idp.
        const string chainProvider = $"arn:aws:iam::{Account}:saml-provider/chain-idp";
        const string attributes =
            """<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"><saml:AttributeValue>team</saml:AttributeValue></saml:Attribute>"""
            + """<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SourceIdentity"><saml:AttributeValue>alice-src</saml:AttributeValue></saml:Attribute>"""
            + """<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>900</saml:AttributeValue></saml:Attribute>""";
        var sessionEnd = now.AddMinutes(40);
        var authn = $"""<saml:AuthnStatement AuthnInstant="{now.AddMinutes(-1).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" SessionNotOnOrAfter="{sessionEnd.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}"/>""";
        var assertion = Response(key, "alice@example.test", now.AddMinutes(5), SamlAudience, chainRole, tags: true, extraAttributes: attributes, authnStatement: authn, providerArn: chainProvider);
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            iam, sts = client("iam"), client("sts")
            metadata = '''{{Metadata(certificate)}}'''
            iam.create_saml_provider(Name="chain-idp", SAMLMetadataDocument=metadata)
            def role(name, principal, actions, condition):
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": principal, "Action": actions, "Condition": {"StringEquals": condition} }]}))
            federated = {"Federated": "{{chainProvider}}"}
            role("saml-chain", federated, ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"], {"sts:SourceIdentity": "alice-src"})
            role("saml-nosource", federated, ["sts:AssumeRoleWithSAML", "sts:TagSession"], {"saml:sub": "alice@example.test"})
            chained_by = {"AWS": "{{chainRole}}"}
            role("chained-blue", chained_by, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], {"aws:PrincipalTag/team": "blue", "sts:SourceIdentity": "alice-src"})
            role("chained-red", chained_by, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], {"aws:PrincipalTag/team": "red"})
            assumed = sts.assume_role_with_saml(RoleArn="{{chainRole}}", PrincipalArn="{{chainProvider}}", SAMLAssertion="{{assertion}}", DurationSeconds=3600)
            out["source identity"] = assumed.get("SourceIdentity")
            out["expiration"] = assumed["Credentials"]["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")
            out["without set source identity"] = error(sts.assume_role_with_saml, RoleArn="arn:aws:iam::{{Account}}:role/saml-nosource",
                PrincipalArn="{{chainProvider}}", SAMLAssertion="{{Response(key, "alice@example.test", now.AddMinutes(5), SamlAudience, $"arn:aws:iam::{Account}:role/saml-nosource", tags: true, extraAttributes: attributes, providerArn: chainProvider)}}")
            c = assumed["Credentials"]
            as_saml = client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
            blue = as_saml.assume_role(RoleArn="arn:aws:iam::{{Account}}:role/chained-blue", RoleSessionName="hop")
            out["chained"] = [blue["AssumedRoleUser"]["Arn"], blue.get("SourceIdentity"), blue["PackedPolicySize"]]
            out["red"] = error(as_saml.assume_role, RoleArn="arn:aws:iam::{{Account}}:role/chained-red", RoleSessionName="hop")
            """);

        Assert.Equal("alice-src", r["source identity"]!.GetValue<string>());
        // SessionNotOnOrAfter (40 minutes) ends the one-hour session; the SessionDuration attribute (15 minutes) is the console's, not these credentials'.
        Assert.Equal(sessionEnd.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), r["expiration"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["without set source identity"]!["code"]!.GetValue<string>());
        Assert.Equal($"""["arn:aws:sts::{Account}:assumed-role/chained-blue/hop","alice-src",2]""", r["chained"]!.ToJsonString());
        Assert.Equal("AccessDenied", r["red"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_api_session_lasts_duration_seconds_within_the_role_maximum_cut_short_by_session_not_on_or_after_and_never_set_by_session_duration()
    {
        using var key = RSA.Create(2048);
        using var certificate = SelfSigned(key, "CN=idp.example.test");
        var now = DateTimeOffset.UtcNow;
        const string provider = $"arn:aws:iam::{Account}:saml-provider/duration-idp";
        const string hourRole = $"arn:aws:iam::{Account}:role/saml-hour";
        const string longRole = $"arn:aws:iam::{Account}:role/saml-long";
        // SessionDuration asks for twelve hours, or for fifteen minutes: the console sign-in's length either way, not the API session's.
        static string SessionDuration(int seconds) =>
            $"""<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>{seconds}</saml:AttributeValue></saml:Attribute>""";
        var sessionEnd = now.AddHours(3);
        var authn = $"""<saml:AuthnStatement AuthnInstant="{now.AddMinutes(-1).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" SessionNotOnOrAfter="{sessionEnd.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}"/>""";
        string Assertion(string role, int sessionDuration, string authnStatement = "") =>
            Response(key, "alice@example.test", now.AddMinutes(5), SamlAudience, role, extraAttributes: SessionDuration(sessionDuration), authnStatement: authnStatement, providerArn: provider);
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            from datetime import datetime, timezone
            iam, sts = client("iam"), client("sts")
            iam.create_saml_provider(Name="duration-idp", SAMLMetadataDocument='''{{Metadata(certificate)}}''')
            trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "{{provider}}"}, "Action": "sts:AssumeRoleWithSAML"}]})
            iam.create_role(RoleName="saml-hour", AssumeRolePolicyDocument=trust)
            iam.create_role(RoleName="saml-long", AssumeRolePolicyDocument=trust, MaxSessionDuration=43200)
            def minutes(role, assertion, **kw):
                expiration = sts.assume_role_with_saml(RoleArn=role, PrincipalArn="{{provider}}", SAMLAssertion=assertion, **kw)["Credentials"]["Expiration"]
                return round((expiration - datetime.now(timezone.utc)).total_seconds() / 60)
            out["default"] = minutes("{{hourRole}}", "{{Assertion(hourRole, 43200)}}")
            out["over_role_maximum"] = error(minutes, "{{hourRole}}", "{{Assertion(hourRole, 43200)}}", DurationSeconds=7200)
            out["asked"] = minutes("{{longRole}}", "{{Assertion(longRole, 900)}}", DurationSeconds=7200)
            out["asked_within_session"] = minutes("{{longRole}}", "{{Assertion(longRole, 900, authn)}}", DurationSeconds=7200)
            out["cut_by_session"] = minutes("{{longRole}}", "{{Assertion(longRole, 43200, authn)}}", DurationSeconds=43200)
            """);

        Assert.Equal(60, r["default"]!.GetValue<int>());
        Assert.Equal("ValidationError", r["over_role_maximum"]!["code"]!.ToString());
        Assert.StartsWith("The requested DurationSeconds exceeds the MaxSessionDuration set for this role", r["over_role_maximum"]!["message"]!.ToString());
        Assert.Equal(120, r["asked"]!.GetValue<int>());
        Assert.Equal(120, r["asked_within_session"]!.GetValue<int>());
        Assert.Equal(180, r["cut_by_session"]!.GetValue<int>());
    }

    private const string SamlAudience = "https://signin.aws.amazon.com/saml";

    private static X509Certificate2 SelfSigned(RSA key, string subject) =>
        new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    /// <summary>IdP metadata naming the signing certificate; IAM requires at least 1,000 characters, which a certificate gives.</summary>
    private static string Metadata(X509Certificate2 certificate) => $"""
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{EntityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{Convert.ToBase64String(certificate.RawData)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>
        """.Trim();

    /// <summary>A samlp:Response whose assertion is signed (enveloped, exclusive c14n, RSA-SHA256) with the key, base64 as the IdP posts it.</summary>
    private static string Response(RSA key, string subject, DateTimeOffset notOnOrAfter, string audience, string roleArn, bool tags = false,
        string extraAttributes = "", string authnStatement = "", string providerArn = ProviderArn)
    {
        var issued = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var until = notOnOrAfter.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");
        var tagAttribute = tags
            ? """<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:team"><saml:AttributeValue>blue</saml:AttributeValue></saml:Attribute>"""
            : "";
        var xml = $"""
            <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{Guid.NewGuid():N}" Version="2.0" IssueInstant="{issued}" Destination="{SamlAudience}"><saml:Issuer>{EntityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a{Guid.NewGuid():N}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{EntityId}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{SamlAudience}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>{authnStatement}<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>{roleArn},{providerArn}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>{tagAttribute}{extraAttributes}</saml:AttributeStatement></saml:Assertion></samlp:Response>
            """.Trim();
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(xml);
        var assertion = (XmlElement)document.GetElementsByTagName("Assertion", "urn:oasis:names:tc:SAML:2.0:assertion")[0]!;
        var signed = new SignedXml(assertion) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA256Url;
        var reference = new Reference("#" + assertion.GetAttribute("ID")) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        signed.ComputeSignature();
        // The signature follows the assertion's Issuer, where the SAML schema places it.
        assertion.InsertAfter(document.ImportNode(signed.GetXml(), true), assertion.FirstChild);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(document.OuterXml));
    }

    /// <summary>The same signed response with its subject changed after signing.</summary>
    private static string Tampered(string response) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Convert.FromBase64String(response)).Replace("alice@example.test", "admin@example.test")));
}
