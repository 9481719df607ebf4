using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3Control;

/// <summary>
/// Account-level Block Public Access (S3 Control) through boto3's s3control client: its host-prefixed and path forms, S3's
/// combination of the account's settings with each bucket's, the operations not built, and persistence across a restart.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3ControlTests
{
    /// <summary>
    /// botocore sends S3 Control to <c>{account}.localhost</c> before a custom endpoint. Systems that resolve every
    /// <c>*.localhost</c> name to loopback (RFC 6761; systemd-resolved, macOS) need nothing; this machine may not, so the
    /// script resolves those names to 127.0.0.1 itself, leaving the request (its Host header, its signature) as botocore made it.
    /// </summary>
    private const string Prelude = """
        import socket, urllib.request
        from botocore import UNSIGNED
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        _resolve = socket.getaddrinfo
        def _loopback(host, *a, **kw):
            return _resolve("127.0.0.1" if isinstance(host, str) and host.endswith(".localhost") else host, *a, **kw)
        socket.getaddrinfo = _loopback
        OWNER = "111111111111"
        control = boto3.client("s3control", endpoint_url=URL.replace("127.0.0.1", "localhost"), region_name="us-east-1", aws_access_key_id=OWNER,
                               aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
        owner = client("s3", key=OWNER)
        anonymous = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
        def code(fn, *a, **kw):
            e = error(fn, *a, **kw)
            return [e["status"], e["code"]] if e else None
        def block(**settings):
            return {name: settings.get(name, False) for name in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]}

        """;

    [Fact]
    public async Task The_account_block_is_stored_answered_combined_with_each_buckets_and_kept_across_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var r = await Clients.Boto3Async(server.Url, Prelude + """
            out["none"] = error(control.get_public_access_block, AccountId=OWNER)
            out["put"] = control.put_public_access_block(AccountId=OWNER, PublicAccessBlockConfiguration=block(BlockPublicPolicy=True))["ResponseMetadata"]["HTTPStatusCode"]
            out["got"] = control.get_public_access_block(AccountId=OWNER)["PublicAccessBlockConfiguration"]
            out["other_account"] = code(control.get_public_access_block, AccountId="222222222222")
            out["not_built"] = error(control.list_access_points, AccountId=OWNER)

            # The path form, for clients that cannot reach {account}.localhost: the endpoint itself, signed as s3.
            signed = AWSRequest(method="GET", url=URL + "/v20180820/configuration/publicAccessBlock", headers={"x-amz-account-id": OWNER})
            SigV4Auth(Credentials(OWNER, "test"), "s3", "us-east-1").add_auth(signed)
            with urllib.request.urlopen(urllib.request.Request(signed.url, headers=dict(signed.headers.items()))) as response:
                out["path_form"] = [response.status, "<BlockPublicPolicy>true</BlockPublicPolicy>" in response.read().decode()]

            # A bucket with ACLs and without its own block: made public before the account blocks anything.
            owner.create_bucket(Bucket="shared-site", ObjectOwnership="ObjectWriter")
            owner.delete_public_access_block(Bucket="shared-site")
            owner.put_object(Bucket="shared-site", Key="acl.txt", Body=b"by acl", ACL="public-read")
            owner.put_object(Bucket="shared-site", Key="policy/page.txt", Body=b"by policy")
            public_policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared-site/policy/*"}]})
            # The account's BlockPublicPolicy applies though the bucket's own block is gone.
            out["account_blocks_policy"] = code(owner.put_bucket_policy, Bucket="shared-site", Policy=public_policy)
            control.delete_public_access_block(AccountId=OWNER)
            out["deleted"] = code(control.get_public_access_block, AccountId=OWNER)
            owner.put_bucket_policy(Bucket="shared-site", Policy=public_policy)
            out["open_acl"] = anonymous.get_object(Bucket="shared-site", Key="acl.txt")["Body"].read().decode()
            out["open_policy"] = anonymous.get_object(Bucket="shared-site", Key="policy/page.txt")["Body"].read().decode()

            # BlockPublicAcls refuses new public ACLs, on PUT's canned ACL, PutObjectAcl and PutBucketAcl; IgnorePublicAcls and
            # RestrictPublicBuckets close what is already public, until the account's block goes.
            control.put_public_access_block(AccountId=OWNER, PublicAccessBlockConfiguration=block(BlockPublicAcls=True))
            out["blocked_put"] = code(owner.put_object, Bucket="shared-site", Key="new.txt", Body=b"x", ACL="public-read")
            out["blocked_object_acl"] = code(owner.put_object_acl, Bucket="shared-site", Key="acl.txt", ACL="public-read")
            out["blocked_bucket_acl"] = code(owner.put_bucket_acl, Bucket="shared-site", ACL="public-read")
            out["acl_still_open"] = code(anonymous.get_object, Bucket="shared-site", Key="acl.txt")
            control.put_public_access_block(AccountId=OWNER, PublicAccessBlockConfiguration=block(IgnorePublicAcls=True, RestrictPublicBuckets=True))
            out["ignored_acl"] = code(anonymous.get_object, Bucket="shared-site", Key="acl.txt")
            out["restricted_policy"] = code(anonymous.get_object, Bucket="shared-site", Key="policy/page.txt")
            # The bucket's own Get answers the bucket's configuration (none), not the account's.
            out["bucket_own"] = code(owner.get_public_access_block, Bucket="shared-site")
            """);

        Assert.Equal("NoSuchPublicAccessBlockConfiguration", r["none"]!["code"]!.GetValue<string>());
        Assert.Equal("The public access block configuration was not found", r["none"]!["message"]!.GetValue<string>());
        Assert.Equal(404, r["none"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["put"]!.GetValue<int>());
        Assert.Equal("""{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":true,"RestrictPublicBuckets":false}""", r["got"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["other_account"]!.ToJsonString());
        Assert.Equal("NotImplemented", r["not_built"]!["code"]!.GetValue<string>());
        Assert.Equal(501, r["not_built"]!["status"]!.GetValue<int>());
        Assert.Contains("ListAccessPoints", r["not_built"]!["message"]!.GetValue<string>());
        Assert.Equal("[200,true]", r["path_form"]!.ToJsonString());

        Assert.Equal("""[403,"AccessDenied"]""", r["account_blocks_policy"]!.ToJsonString());
        Assert.Equal("""[404,"NoSuchPublicAccessBlockConfiguration"]""", r["deleted"]!.ToJsonString());
        Assert.Equal("by acl", r["open_acl"]!.GetValue<string>());
        Assert.Equal("by policy", r["open_policy"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["blocked_put"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["blocked_object_acl"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["blocked_bucket_acl"]!.ToJsonString());
        Assert.Null(r["acl_still_open"]);
        Assert.Equal("""[403,"AccessDenied"]""", r["ignored_acl"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["restricted_policy"]!.ToJsonString());
        Assert.Equal("""[404,"NoSuchPublicAccessBlockConfiguration"]""", r["bucket_own"]!.ToJsonString());

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, Prelude + """
            out["got"] = control.get_public_access_block(AccountId=OWNER)["PublicAccessBlockConfiguration"]
            out["ignored_acl"] = code(anonymous.get_object, Bucket="shared-site", Key="acl.txt")
            control.delete_public_access_block(AccountId=OWNER)
            out["open_again"] = anonymous.get_object(Bucket="shared-site", Key="acl.txt")["Body"].read().decode()
            """);
        Assert.Equal("""{"BlockPublicAcls":false,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}""", after["got"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", after["ignored_acl"]!.ToJsonString());
        Assert.Equal("by acl", after["open_again"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_buckets_policy_status_is_not_public_while_its_own_or_its_accounts_block_restricts_public_buckets()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var r = await Clients.Boto3Async(server.Url, Prelude + """
            owner.create_bucket(Bucket="status-site")
            owner.delete_public_access_block(Bucket="status-site")
            owner.put_bucket_policy(Bucket="status-site", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::status-site/*"}]}))
            def status():
                return owner.get_bucket_policy_status(Bucket="status-site")["PolicyStatus"]["IsPublic"]
            out["open"] = status()
            # BlockPublicPolicy refuses new public policies but leaves a stored one in force: the bucket stays public.
            control.put_public_access_block(AccountId=OWNER, PublicAccessBlockConfiguration=block(BlockPublicPolicy=True, BlockPublicAcls=True, IgnorePublicAcls=True))
            out["account_blocks_new_policies"] = status()
            control.put_public_access_block(AccountId=OWNER, PublicAccessBlockConfiguration=block(RestrictPublicBuckets=True))
            out["account_restricts"] = status()
            control.delete_public_access_block(AccountId=OWNER)
            out["account_block_deleted"] = status()
            owner.put_public_access_block(Bucket="status-site", PublicAccessBlockConfiguration=block(RestrictPublicBuckets=True))
            out["bucket_restricts"] = status()
            owner.delete_public_access_block(Bucket="status-site")
            owner.delete_bucket_policy(Bucket="status-site")
            out["no_policy"] = code(owner.get_bucket_policy_status, Bucket="status-site")
            """);

        Assert.True(r["open"]!.GetValue<bool>());
        Assert.True(r["account_blocks_new_policies"]!.GetValue<bool>());
        Assert.False(r["account_restricts"]!.GetValue<bool>());
        Assert.True(r["account_block_deleted"]!.GetValue<bool>());
        Assert.False(r["bucket_restricts"]!.GetValue<bool>());
        Assert.Equal("""[404,"NoSuchBucketPolicy"]""", r["no_policy"]!.ToJsonString());
    }

    [Fact]
    public async Task The_account_in_the_host_must_be_the_one_in_the_header_and_the_callers()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var r = await Clients.Boto3Async(server.Url, Prelude + """
            port = URL.rsplit(":", 1)[1]
            def send(host_account, header_account, key=OWNER):
                host = f"{host_account}.localhost:{port}" if host_account else f"localhost:{port}"
                headers = {"x-amz-account-id": header_account} if header_account else {}
                signed = AWSRequest(method="GET", url=f"http://{host}/v20180820/configuration/publicAccessBlock", headers=headers)
                SigV4Auth(Credentials(key, "test"), "s3", "us-east-1").add_auth(signed)
                try:
                    with urllib.request.urlopen(urllib.request.Request(signed.url, headers=dict(signed.headers.items()))) as response:
                        return [response.status, None]
                except urllib.error.HTTPError as e:
                    body = e.read().decode()
                    return [e.code, body.split("<Code>")[1].split("</Code>")[0] if "<Code>" in body else body]
            control.put_public_access_block(AccountId=OWNER, PublicAccessBlockConfiguration=block(BlockPublicAcls=True))
            out["agreeing"] = send(OWNER, OWNER)
            out["endpoint_itself"] = send(None, OWNER)
            out["host_differs"] = send("222222222222", OWNER)
            out["host_of_another_account"] = send("222222222222", "222222222222")
            out["header_missing"] = send(OWNER, None)
            out["caller_of_another_account"] = send(OWNER, OWNER, key="222222222222")
            """);

        Assert.Equal("[200,null]", r["agreeing"]!.ToJsonString());
        Assert.Equal("[200,null]", r["endpoint_itself"]!.ToJsonString());
        Assert.Equal("""[400,"InvalidRequest"]""", r["host_differs"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["host_of_another_account"]!.ToJsonString());
        Assert.Equal("""[400,"InvalidRequest"]""", r["header_missing"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["caller_of_another_account"]!.ToJsonString());
    }

    [Fact]
    public async Task Under_auth_enforce_the_account_block_needs_the_account_public_access_block_actions()
    {
        const string rootKey = "AKIAROOTEXAMPLE00017", rootSecret = "root-secret-for-s3control-tests";
        await using var server = await StratusProcess.StartEphemeralAsync("--auth", "enforce", "--root-key", $"{rootKey}:{rootSecret}");
        var r = await Clients.Boto3Async(server.Url, Prelude + $$"""
            iam = client("iam", key="{{rootKey}}", secret="{{rootSecret}}")
            ACCOUNT = client("sts", key="{{rootKey}}", secret="{{rootSecret}}").get_caller_identity()["Account"]
            iam.create_user(UserName="auditor")
            key = iam.create_access_key(UserName="auditor")["AccessKey"]
            iam.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetAccountPublicAccessBlock", "Resource": "*"}]}))
            auditor = boto3.client("s3control", endpoint_url=URL.replace("127.0.0.1", "localhost"), region_name="us-east-1",
                                   aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], config=Config(retries={"max_attempts": 1}))
            out["get"] = code(auditor.get_public_access_block, AccountId=ACCOUNT)
            out["put"] = code(auditor.put_public_access_block, AccountId=ACCOUNT, PublicAccessBlockConfiguration=block(BlockPublicAcls=True))
            out["delete"] = code(auditor.delete_public_access_block, AccountId=ACCOUNT)
            """);
        Assert.Equal("""[404,"NoSuchPublicAccessBlockConfiguration"]""", r["get"]!.ToJsonString());
        Assert.Equal(403, r["put"]![0]!.GetValue<int>());
        Assert.Equal(403, r["delete"]![0]!.GetValue<int>());
    }
}
