using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Sts;

/// <summary>GetFederationToken, GetAccessKeyInfo and DecodeAuthorizationMessage through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class FederationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Boto3_federates_a_user_finds_a_keys_account_and_decodes_no_message()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            # An access key made by a user of account 111111111111 (a 12-digit key id acts as that account's root).
            other_iam = client("iam", key="111111111111", secret="x")
            other_iam.create_user(UserName="fed-maker")
            key = other_iam.create_access_key(UserName="fed-maker")["AccessKey"]
            sts = client("sts")
            out["key_account"] = sts.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"]

            as_user = client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
            fed = as_user.get_federation_token(Name="bob", Policy=policy, DurationSeconds=900)
            out["federated_user"] = fed["FederatedUser"]
            out["lifetime"] = (fed["Credentials"]["Expiration"] - __import__("datetime").datetime.now(__import__("datetime").timezone.utc)).total_seconds()
            c = fed["Credentials"]
            as_fed = client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
            out["fed_identity"] = as_fed.get_caller_identity()["Arn"]
            out["fed_key_account"] = sts.get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"]
            out["from_session"] = error(as_fed.get_federation_token, Name="carol")
            out["malformed"] = error(as_user.get_federation_token, Name="dave", Policy='{"Statement": []')
            out["bad_name"] = error(as_user.get_federation_token, Name="bad name")
            out["decode"] = error(sts.decode_authorization_message, EncodedMessage="not-a-message")
            """);

        Assert.Equal("111111111111", r["key_account"]!.ToString());
        Assert.Equal("arn:aws:sts::111111111111:federated-user/bob", r["federated_user"]!["Arn"]!.ToString());
        Assert.Equal("111111111111:bob", r["federated_user"]!["FederatedUserId"]!.ToString());
        Assert.InRange((double)r["lifetime"]!, 800, 901);
        Assert.Equal("arn:aws:sts::111111111111:federated-user/bob", r["fed_identity"]!.ToString());
        Assert.Equal("111111111111", r["fed_key_account"]!.ToString());
        Assert.Equal("AccessDenied", r["from_session"]!["code"]!.ToString());
        Assert.Equal("MalformedPolicyDocument", r["malformed"]!["code"]!.ToString());
        Assert.Equal("ValidationError", r["bad_name"]!["code"]!.ToString());
        Assert.Equal("InvalidAuthorizationMessageException", r["decode"]!["code"]!.ToString());
    }
}

/// <summary>Under --auth enforce a federated user is granted nothing, even when its user may do anything.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class FederationEnforceTests : EnforcedStratusTest
{
    [Fact]
    public async Task Federated_user_is_denied_what_its_user_is_allowed()
    {
        var r = await Clients.Boto3Async(Server.Url, $$"""
            iam = client("iam", key="{{RootKey}}", secret="{{RootSecret}}")
            iam.create_user(UserName="admin")
            iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            key = iam.create_access_key(UserName="admin")["AccessKey"]
            admin = dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            out["user_lists"] = len(client("iam", **admin).list_users()["Users"])
            c = client("sts", **admin).get_federation_token(Name="guest")["Credentials"]
            out["federated"] = error(client("iam", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).list_users)
            """);
        Assert.Equal(1, (int)r["user_lists"]!);
        Assert.Equal("AccessDenied", r["federated"]!["code"]!.ToString());
        Assert.Contains("federated-user/guest", r["federated"]!["message"]!.ToString());
    }
}
