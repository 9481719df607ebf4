using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.ApiGatewayV2;

namespace Stratus.Tests.Services.Sts;

/// <summary>AssumeRoleWithWebIdentity with tokens the test signs, its issuer's JWKS served on loopback.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebIdentityTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Subject = "repo:example/app:ref:refs/heads/main";

    [Fact]
    public async Task Boto3_assumes_a_role_with_a_signed_token_only_as_the_trust_policy_conditions_allow()
    {
        using var issuer = new JwksServer();
        using var stranger = RSA.Create(2048);
        // IAM keeps a provider URL without its scheme; condition keys are named by it.
        var host = issuer.Issuer["http://".Length..];
        string Token(string audience, RSA? key = null, long? expires = null) => issuer.Token(
            new JsonObject { ["aud"] = audience, ["sub"] = Subject, ["exp"] = expires ?? DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds() }, key);
        var allowed = Token("sts.amazonaws.com");
        var otherAudience = Token("other-audience");
        var unknownAudience = Token("someone-else");
        var badSignature = Token("sts.amazonaws.com", stranger);
        var expired = Token("sts.amazonaws.com", expires: DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());

        var r = await Clients.Boto3Async(stratus.Url, $$$"""
            iam, sts = client("iam"), client("sts")
            provider = iam.create_open_id_connect_provider(Url="https://{{{host}}}",
                ClientIDList=["sts.amazonaws.com", "other-audience"], ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
            conditions = {"StringEquals": {"{{{host}}}:aud": "sts.amazonaws.com", "{{{host}}}:sub": "{{{Subject}}}"} }
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": conditions}]}
            role = iam.create_role(RoleName="web-deployer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            def assume(token):
                return sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="ci", WebIdentityToken=token, DurationSeconds=900)

            assumed = assume("{{{allowed}}}")
            out["provider_arn"] = provider
            out["assumed"] = {k: assumed[k] for k in ("SubjectFromWebIdentityToken", "AssumedRoleUser", "Provider", "Audience")}
            c = assumed["Credentials"]
            out["as_role"] = client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()["Arn"]

            out["other_audience"] = error(assume, "{{{otherAudience}}}")
            out["unknown_audience"] = error(assume, "{{{unknownAudience}}}")
            out["bad_signature"] = error(assume, "{{{badSignature}}}")
            out["expired"] = error(assume, "{{{expired}}}")
            out["not_a_jwt"] = error(assume, "not-a-token")
            """);

        var providerArn = r["provider_arn"]!.ToString();
        Assert.Equal($"arn:aws:iam::000000000000:oidc-provider/{host}", providerArn);
        var assumed = r["assumed"]!;
        Assert.Equal(Subject, assumed["SubjectFromWebIdentityToken"]!.ToString());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/web-deployer/ci", assumed["AssumedRoleUser"]!["Arn"]!.ToString());
        Assert.EndsWith(":ci", assumed["AssumedRoleUser"]!["AssumedRoleId"]!.ToString());
        Assert.Equal(providerArn, assumed["Provider"]!.ToString());
        Assert.Equal("sts.amazonaws.com", assumed["Audience"]!.ToString());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/web-deployer/ci", r["as_role"]!.ToString());

        // The provider knows this audience, but the trust policy's aud condition does not allow it.
        Assert.Equal("AccessDenied", r["other_audience"]!["code"]!.ToString());
        Assert.Equal("Not authorized to perform sts:AssumeRoleWithWebIdentity", r["other_audience"]!["message"]!.ToString());
        Assert.Equal(403, (int)r["other_audience"]!["status"]!);
        Assert.Equal("InvalidIdentityToken", r["unknown_audience"]!["code"]!.ToString());
        Assert.Equal("Incorrect token audience", r["unknown_audience"]!["message"]!.ToString());
        Assert.Equal("InvalidIdentityToken", r["bad_signature"]!["code"]!.ToString());
        Assert.Equal("ExpiredTokenException", r["expired"]!["code"]!.ToString());
        Assert.Equal("InvalidIdentityToken", r["not_a_jwt"]!["code"]!.ToString());
    }
}

/// <summary>Under --auth verify, AssumeRoleWithWebIdentity is served unsigned as on AWS; STS's other operations are not.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebIdentityVerifyModeTests : IAsyncLifetime
{
    private const string RootKey = "AKIAROOTEXAMPLE00002";
    private const string RootSecret = "root-secret-for-tests-only";
    private StratusProcess _server = null!;

    public async Task InitializeAsync() =>
        _server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", $"{RootKey}:{RootSecret}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Unsigned_web_identity_call_is_served_and_other_unsigned_calls_are_refused()
    {
        using var issuer = new JwksServer();
        var host = issuer.Issuer["http://".Length..];
        var token = issuer.Token(new JsonObject { ["aud"] = "sts.amazonaws.com", ["sub"] = "ci" });
        var r = await Clients.Boto3Async(_server.Url, $$$"""
            from botocore import UNSIGNED
            iam = client("iam", key="{{{RootKey}}}", secret="{{{RootSecret}}}")
            provider = iam.create_open_id_connect_provider(Url="https://{{{host}}}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"}]}
            role = iam.create_role(RoleName="ci", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            unsigned = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
            c = unsigned.assume_role_with_web_identity(RoleArn=role, RoleSessionName="build", WebIdentityToken="{{{token}}}")["Credentials"]
            out["as_role"] = client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()["Arn"]
            out["unsigned_identity"] = error(unsigned.get_caller_identity)
            """);
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/ci/build", r["as_role"]!.ToString());
        Assert.Equal("MissingAuthenticationToken", r["unsigned_identity"]!["code"]!.ToString());
    }
}
