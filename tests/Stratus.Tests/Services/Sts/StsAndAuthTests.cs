using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Sts;

/// <summary>STS through the AWS SDK for .NET, in the default accept-any-credentials mode.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class StsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private static AmazonSecurityTokenServiceClient Sts(string url, AWSCredentials credentials) =>
        new(credentials, new AmazonSecurityTokenServiceConfig { ServiceURL = url, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task Dotnet_sdk_gets_the_caller_identity_of_the_default_account()
    {
        using var sts = Sts(stratus.Url, new BasicAWSCredentials("test", "test"));
        var identity = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());
        Assert.Equal("000000000000", identity.Account);
        Assert.Equal("arn:aws:iam::000000000000:root", identity.Arn);
    }

    [Fact]
    public async Task Dotnet_sdk_assumes_a_role_and_the_session_is_who_it_says()
    {
        var created = await Clients.AwsAsync(stratus.Url, "iam", "create-role", "--role-name", "deployer",
            "--assume-role-policy-document", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}""");
        Assert.True(created.ExitCode == 0, created.ToString());

        using var sts = Sts(stratus.Url, new BasicAWSCredentials("test", "test"));
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = "arn:aws:iam::000000000000:role/deployer",
            RoleSessionName = "ci-run",
            DurationSeconds = 900,
        });
        Assert.StartsWith("ASIA", assumed.Credentials.AccessKeyId);
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/deployer/ci-run", assumed.AssumedRoleUser.Arn);
        Assert.InRange(assumed.Credentials.Expiration!.Value, DateTime.UtcNow.AddMinutes(14), DateTime.UtcNow.AddMinutes(16));

        using var asRole = Sts(stratus.Url, new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));
        var identity = await asRole.GetCallerIdentityAsync(new GetCallerIdentityRequest());
        Assert.Equal(assumed.AssumedRoleUser.Arn, identity.Arn);
        Assert.EndsWith(":ci-run", identity.UserId);

        var refused = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = "arn:aws:iam::000000000000:role/not-there",
            RoleSessionName = "x1",
        }));
        Assert.Equal("AccessDenied", refused.ErrorCode);
    }
}

/// <summary>`--auth verify`: SigV4 checked against the root key, IAM users' keys and STS sessions.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AuthVerifyTests : IAsyncLifetime
{
    private const string RootKey = "AKIAROOTEXAMPLE00001";
    private const string RootSecret = "root-secret-for-tests-only";
    private StratusProcess _server = null!;

    public async Task InitializeAsync() =>
        _server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", $"{RootKey}:{RootSecret}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Only_correctly_signed_requests_with_known_keys_are_served()
    {
        var r = await Clients.Boto3Async(_server.Url, $$"""
            ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
            out["root"] = client("sts", **ROOT).get_caller_identity()["Arn"]
            out["unknown_key"] = error(client("sts", key="AKIAUNKNOWN000000000", secret="x").get_caller_identity)
            out["wrong_secret"] = error(client("sts", key=ROOT["key"], secret="wrong").get_caller_identity)
            out["iam_wrong_secret"] = error(client("iam", key=ROOT["key"], secret="wrong").list_roles)

            iam = client("iam", **ROOT)
            iam.create_user(UserName="ci")
            key = iam.create_access_key(UserName="ci")["AccessKey"]
            user = dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            out["user"] = client("sts", **user).get_caller_identity()["Arn"]

            trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/ci"}, "Action": "sts:AssumeRole"}]})
            iam.create_role(RoleName="ops", AssumeRolePolicyDocument=trust)
            creds = client("sts", **user).assume_role(RoleArn="arn:aws:iam::000000000000:role/ops", RoleSessionName="s1")["Credentials"]
            session = dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
            out["session"] = client("sts", token=creds["SessionToken"], **session).get_caller_identity()["Arn"]
            out["session_without_token"] = error(client("sts", **session).get_caller_identity)
            # The trust policy decides in every --auth mode, as on AWS: a role only Lambda may assume refuses a user.
            iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
            out["untrusted"] = error(client("sts", **user).assume_role, RoleArn="arn:aws:iam::000000000000:role/lambda-only", RoleSessionName="s1")

            iam.delete_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"])
            out["deleted_key"] = error(client("sts", **user).get_caller_identity)

            import botocore.auth, datetime
            stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
            botocore.auth.get_current_datetime = lambda remove_tzinfo=True: stale
            out["skewed"] = error(client("sts", **ROOT).get_caller_identity)
            """);

        Assert.Equal("arn:aws:iam::000000000000:root", r["root"]!.GetValue<string>());
        Assert.Equal("InvalidClientTokenId", r["unknown_key"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["unknown_key"]!["status"]!.GetValue<int>());
        Assert.Equal("SignatureDoesNotMatch", r["wrong_secret"]!["code"]!.GetValue<string>());
        Assert.Equal("SignatureDoesNotMatch", r["iam_wrong_secret"]!["code"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:user/ci", r["user"]!.GetValue<string>());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/ops/s1", r["session"]!.GetValue<string>());
        Assert.Equal("InvalidClientTokenId", r["session_without_token"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["untrusted"]!["code"]!.GetValue<string>());
        Assert.Equal("User: arn:aws:iam::000000000000:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/lambda-only",
            r["untrusted"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidClientTokenId", r["deleted_key"]!["code"]!.GetValue<string>());
        Assert.Equal("RequestExpired", r["skewed"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_aws_cli_is_refused_with_unknown_keys_and_served_with_the_root_key()
    {
        var refused = await Clients.AwsAsync(_server.Url, "sts", "get-caller-identity");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("InvalidClientTokenId", refused.Stderr);

        var served = await Clients.RunAsync("aws", ["--endpoint-url", _server.Url, "sts", "get-caller-identity", "--query", "Account", "--output", "text"],
            _server.Url, TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = RootKey, ["AWS_SECRET_ACCESS_KEY"] = RootSecret });
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Equal("000000000000", served.Stdout.Trim());
    }
}
