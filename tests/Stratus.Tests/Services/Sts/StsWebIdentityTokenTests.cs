using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Sts;

/// <summary>
/// Outbound identity federation: IAM's switch and issuer, STS's GetWebIdentityToken, and its tokens verified as an
/// outside service verifies them (the issuer's discovery document and JWKS fetched over HTTP, the signature checked
/// with python's cryptography), across a restart.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StsWebIdentityTokenTests : IAsyncLifetime
{
    /// <summary>
    /// verify(token): what a relying party does with nothing but the token: read its iss, fetch
    /// {iss}/.well-known/openid-configuration and its jwks_uri, pick the key by kid, check the signature (RS256 or
    /// ES384); answers the claims, or raises when anything does not verify.
    /// </summary>
    internal const string VerifierPrelude = """
        import urllib.request, urllib.error
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        def b64(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        def fetch(url):
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.loads(response.read())
        def verify(token):
            head, body, sig = token.split(".")
            header, claims = json.loads(b64(head)), json.loads(b64(body))
            discovery = fetch(claims["iss"] + "/.well-known/openid-configuration")
            assert discovery["issuer"] == claims["iss"], discovery
            jwks = fetch(discovery["jwks_uri"])
            assert all("d" not in k and "p" not in k for k in jwks["keys"]), "a private key part is published"
            jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
            assert jwk["alg"] == header["alg"], (jwk, header)
            signed, signature = (head + "." + body).encode(), b64(sig)
            if header["alg"] == "RS256":
                key = rsa.RSAPublicNumbers(int.from_bytes(b64(jwk["e"]), "big"), int.from_bytes(b64(jwk["n"]), "big")).public_key()
                key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            else:
                assert header["alg"] == "ES384" and jwk["crv"] == "P-384", (jwk, header)
                key = ec.EllipticCurvePublicNumbers(int.from_bytes(b64(jwk["x"]), "big"), int.from_bytes(b64(jwk["y"]), "big"), ec.SECP384R1()).public_key()
                half = len(signature) // 2
                key.verify(encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")), signed, ec.ECDSA(hashes.SHA384()))
            return {"header": header, "claims": claims}
        def tampered(token):
            head, body, sig = token.split(".")
            claims = json.loads(b64(body)); claims["sub"] = "arn:aws:iam::000000000000:user/someone-else"
            forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            try:
                verify(head + "." + forged + "." + sig)
                return "verified"
            except Exception as e:
                return type(e).__name__
        """;

    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<JsonObject> Run(string script) => Clients.Boto3Async(_server.Url, VerifierPrelude + "\n" + script);

    [Fact]
    public async Task Boto3_gets_tokens_a_relying_party_verifies_from_the_issuer_it_publishes_only_while_the_feature_is_on()
    {
        var r = await Run("""
            iam, sts = client("iam"), client("sts")
            out["token_before"] = error(sts.get_web_identity_token, Audience=["https://api.example.com"], SigningAlgorithm="RS256")
            out["info_before"] = error(iam.get_outbound_web_identity_federation_info)
            issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
            out["issuer"] = issuer
            out["enable_again"] = error(iam.enable_outbound_web_identity_federation)
            info = iam.get_outbound_web_identity_federation_info()
            out["info"] = {"issuer": info["IssuerIdentifier"], "enabled": info["JwtVendingEnabled"]}

            # A role session: sub is its role's ARN, its role's and its session's tags are principal_tags.
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
            iam.create_role(RoleName="exporter", AssumeRolePolicyDocument=json.dumps(trust), Tags=[{"Key": "team", "Value": "data"}])
            c = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/exporter", RoleSessionName="nightly", DurationSeconds=900,
                Tags=[{"Key": "env", "Value": "prod"}])["Credentials"]
            session = client("sts", region="eu-west-1", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
            got = session.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="RS256", DurationSeconds=600,
                Tags=[{"Key": "job-id", "Value": "job-42"}])
            out["role_token"] = verify(got["WebIdentityToken"])
            out["role_expiration"] = int(got["Expiration"].timestamp())
            out["role_tampered"] = tampered(got["WebIdentityToken"])
            out["escalation"] = error(session.get_web_identity_token, Audience=["a"], SigningAlgorithm="RS256", DurationSeconds=3600)

            # A user, two audiences, ES384, the default five minutes.
            iam.create_user(UserName="reporter")
            key = iam.create_access_key(UserName="reporter")["AccessKey"]
            user = client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            out["user_token"] = verify(user.get_web_identity_token(Audience=["https://a.example", "https://b.example"], SigningAlgorithm="ES384")["WebIdentityToken"])
            out["bad_algorithm"] = error(user.get_web_identity_token, Audience=["a"], SigningAlgorithm="HS256")

            # AWS documents that these tokens cannot federate back into AWS; an OIDC provider for the issuer does not change that.
            host = issuer.split("://", 1)[1]
            provider = iam.create_open_id_connect_provider(Url="https://" + host, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
            back = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"}]}
            role = iam.create_role(RoleName="inbound", AssumeRolePolicyDocument=json.dumps(back))["Role"]["Arn"]
            inbound = sts.get_web_identity_token(Audience=["sts.amazonaws.com"], SigningAlgorithm="RS256")["WebIdentityToken"]
            out["federate_back"] = error(sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="back", WebIdentityToken=inbound)

            iam.disable_outbound_web_identity_federation()
            out["token_disabled"] = error(sts.get_web_identity_token, Audience=["a"], SigningAlgorithm="RS256")
            out["disable_again"] = error(iam.disable_outbound_web_identity_federation)
            info = iam.get_outbound_web_identity_federation_info()
            out["info_disabled"] = {"issuer": info["IssuerIdentifier"], "enabled": info["JwtVendingEnabled"]}
            # Tokens issued before stay verifiable, as AWS documents for a disable.
            out["verified_after_disable"] = verify(got["WebIdentityToken"])["claims"]["sub"]
            try:
                out["unknown_issuer"] = fetch(issuer.rsplit("/", 1)[0] + "/no-such-issuer/.well-known/jwks.json")
            except urllib.error.HTTPError as e:
                out["unknown_issuer"] = e.code
            """);

        Assert.Equal("OutboundWebIdentityFederationDisabledException", r["token_before"]!["code"]!.ToString());
        Assert.Equal(403, (int)r["token_before"]!["status"]!);
        Assert.Equal("FeatureDisabled", r["info_before"]!["code"]!.ToString());
        Assert.Equal(404, (int)r["info_before"]!["status"]!);
        var issuer = r["issuer"]!.ToString();
        Assert.Matches(@"^http://[^/]+:\d+/_stratus/sts/tokens/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", issuer);
        Assert.Equal(_server.Port, new Uri(issuer).Port);
        Assert.Equal("FeatureEnabled", r["enable_again"]!["code"]!.ToString());
        Assert.Equal(409, (int)r["enable_again"]!["status"]!);
        Assert.Equal(issuer, r["info"]!["issuer"]!.ToString());
        Assert.True((bool)r["info"]!["enabled"]!);

        var role = r["role_token"]!;
        Assert.Equal("RS256", role["header"]!["alg"]!.ToString());
        var claims = role["claims"]!;
        Assert.Equal(issuer, claims["iss"]!.ToString());
        Assert.Equal("arn:aws:iam::000000000000:role/exporter", claims["sub"]!.ToString());
        Assert.Equal("https://api.example.com", claims["aud"]!.ToString());
        Assert.Equal(600, (long)claims["exp"]! - (long)claims["iat"]!);
        Assert.Equal((long)claims["exp"]!, (long)r["role_expiration"]!);
        Assert.True(Guid.TryParse(claims["jti"]!.ToString(), out _));
        var aws = claims["https://sts.amazonaws.com/"]!;
        Assert.Equal("000000000000", aws["aws_account"]!.ToString());
        Assert.Equal("eu-west-1", aws["source_region"]!.ToString());
        Assert.Equal("data", aws["principal_tags"]!["team"]!.ToString());
        Assert.Equal("prod", aws["principal_tags"]!["env"]!.ToString());
        Assert.Equal("job-42", aws["request_tags"]!["job-id"]!.ToString());
        Assert.Equal("InvalidSignature", r["role_tampered"]!.ToString());
        Assert.Equal("SessionDurationEscalationException", r["escalation"]!["code"]!.ToString());
        Assert.Equal(403, (int)r["escalation"]!["status"]!);

        var user = r["user_token"]!;
        Assert.Equal("ES384", user["header"]!["alg"]!.ToString());
        Assert.Equal("arn:aws:iam::000000000000:user/reporter", user["claims"]!["sub"]!.ToString());
        Assert.Equal(["https://a.example", "https://b.example"], user["claims"]!["aud"]!.AsArray().Select(a => a!.ToString()));
        Assert.Equal(300, (long)user["claims"]!["exp"]! - (long)user["claims"]!["iat"]!);
        Assert.Null(user["claims"]!["https://sts.amazonaws.com/"]!["request_tags"]);
        Assert.Equal("ValidationError", r["bad_algorithm"]!["code"]!.ToString());
        Assert.Contains("Member must satisfy enum value set: [RS256, ES384]", r["bad_algorithm"]!["message"]!.ToString());

        Assert.Equal("InvalidIdentityToken", r["federate_back"]!["code"]!.ToString());
        Assert.Equal("Tokens issued by GetWebIdentityToken cannot be used with AssumeRoleWithWebIdentity", r["federate_back"]!["message"]!.ToString());

        Assert.Equal("OutboundWebIdentityFederationDisabledException", r["token_disabled"]!["code"]!.ToString());
        Assert.Equal("FeatureDisabled", r["disable_again"]!["code"]!.ToString());
        Assert.Equal(issuer, r["info_disabled"]!["issuer"]!.ToString());
        Assert.False((bool)r["info_disabled"]!["enabled"]!);
        Assert.Equal("arn:aws:iam::000000000000:role/exporter", r["verified_after_disable"]!.ToString());
        Assert.Equal(404, (int)r["unknown_issuer"]!);
    }

    [Fact]
    public async Task The_setting_issuer_and_signing_keys_survive_a_restart()
    {
        var before = await Run("""
            iam, sts = client("iam"), client("sts")
            out["issuer"] = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
            out["token"] = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384", DurationSeconds=3600)["WebIdentityToken"]
            out["kids"] = sorted(k["kid"] for k in fetch(out["issuer"] + "/.well-known/jwks.json")["keys"])
            """);

        await _server.RestartAsync();

        var after = await Run($$"""
            iam, sts = client("iam"), client("sts")
            info = iam.get_outbound_web_identity_federation_info()
            out["issuer"], out["enabled"] = info["IssuerIdentifier"], info["JwtVendingEnabled"]
            out["kids"] = sorted(k["kid"] for k in fetch(out["issuer"] + "/.well-known/jwks.json")["keys"])
            out["old_token"] = verify("{{before["token"]}}")["header"]["kid"]
            new = verify(sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384")["WebIdentityToken"])
            out["new_kid"] = new["header"]["kid"]
            """);

        var beforeKids = before["kids"]!.AsArray().Select(k => k!.ToString()).ToList();
        Assert.Equal(2, beforeKids.Count);
        Assert.Equal(before["issuer"]!.ToString(), after["issuer"]!.ToString());
        Assert.True((bool)after["enabled"]!);
        Assert.Equal(beforeKids, after["kids"]!.AsArray().Select(k => k!.ToString()));
        Assert.Contains(after["old_token"]!.ToString(), beforeKids);
        Assert.Equal(after["old_token"]!.ToString(), after["new_kid"]!.ToString());
    }
}

/// <summary>Under --auth enforce, sts:GetWebIdentityToken is decided by the caller's policies with its condition keys.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StsWebIdentityTokenEnforceTests : EnforcedStratusTest
{
    [Fact]
    public async Task Policies_decide_by_audience_signing_algorithm_and_duration()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            client("iam", **ROOT).enable_outbound_web_identity_federation()
            conditions = {
                "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": ["https://api.example.com"]},
                "StringEquals": {"sts:SigningAlgorithm": "ES384"},
                "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
            }
            vendor = client("sts", **user("vendor", [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*", "Condition": conditions}]))
            def token(**kw):
                args = dict(Audience=["https://api.example.com"], SigningAlgorithm="ES384"); args.update(kw)
                return vendor.get_web_identity_token(**args)
            out["allowed"] = "WebIdentityToken" in token()
            out["other_algorithm"] = error(token, SigningAlgorithm="RS256")
            out["other_audience"] = error(token, Audience=["https://api.example.com", "https://elsewhere.example"])
            out["longer"] = error(token, DurationSeconds=900)
            stranger = client("sts", **user("stranger", [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]))
            out["no_policy"] = error(stranger.get_web_identity_token, Audience=["https://api.example.com"], SigningAlgorithm="ES384")
            out["switch_without_iam"] = error(client("iam", **user("clerk", [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}])).disable_outbound_web_identity_federation)
            """);

        Assert.True((bool)r["allowed"]!);
        foreach (var refused in new[] { "other_algorithm", "other_audience", "longer" })
        {
            Assert.Equal("AccessDenied", r[refused]!["code"]!.ToString());
            Assert.Equal(403, (int)r[refused]!["status"]!);
            Assert.Contains("sts:GetWebIdentityToken", r[refused]!["message"]!.ToString());
        }
        Assert.Equal("User: arn:aws:iam::000000000000:user/stranger is not authorized to perform: sts:GetWebIdentityToken on resource: * because no identity-based policy allows the sts:GetWebIdentityToken action",
            r["no_policy"]!["message"]!.ToString());
        Assert.Equal("AccessDenied", r["switch_without_iam"]!["code"]!.ToString());
        Assert.Contains("iam:DisableOutboundWebIdentityFederation", r["switch_without_iam"]!["message"]!.ToString());
    }
}
