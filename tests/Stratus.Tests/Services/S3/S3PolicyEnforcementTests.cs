using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>
/// S3 under <c>--auth enforce</c>: identity policies naming bucket and object ARNs, the bucket policy (allowing, denying,
/// opening objects to anonymous readers, boto3's and the aws CLI's unsigned requests), S3's MalformedPolicy checks, and
/// Signature Version 2 (boto3's <c>signature_version="s3"</c> and its presigned URLs) verified like SigV4.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3PolicyEnforcementTests : EnforcedStratusTest
{
    private const string Prelude = $$"""
        import urllib.request, urllib.error, subprocess, http.client
        from urllib.parse import urlparse
        def s3for(key, secret, sig="s3v4"):
            return boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
                                config=Config(retries={"max_attempts": 1}, signature_version=sig))
        def doc(*statements):
            return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        def fetch(url, method="GET", data=None, content_type="application/octet-stream"):
            try:
                request = urllib.request.Request(url, method=method, data=data, headers={"Content-Type": content_type} if data is not None else {})
                with urllib.request.urlopen(request) as r: return [r.status, r.read().decode()]
            except urllib.error.HTTPError as e: return [e.code, e.read().decode()]
        iam = client("iam", key="{{RootKey}}", secret="{{RootSecret}}")
        root = s3for("{{RootKey}}", "{{RootSecret}}")
        def user(name):
            iam.create_user(UserName=name)
            k = iam.create_access_key(UserName=name)["AccessKey"]
            return k["AccessKeyId"], k["SecretAccessKey"]

        """;

    [Fact]
    public async Task Identity_policies_on_bucket_and_object_arns_and_the_bucket_policy_decide_and_anonymous_reads_need_a_public_policy()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + """
            root.create_bucket(Bucket="enforced")
            # New buckets block public policies, as on S3: this one is opened to everyone below, so its block goes first.
            root.delete_public_access_block(Bucket="enforced")
            for key in ["public/a.txt", "private/b.txt", "secret/c.txt"]:
                root.put_object(Bucket="enforced", Key=key, Body=key.encode())
            reader_key, reader_secret = user("reader")
            reader = s3for(reader_key, reader_secret)
            iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=doc(
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::enforced/public/*"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::enforced", "Condition": {"StringLike": {"s3:prefix": "public/*"}}},
                {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::enforced/secret/*"}))
            out["allowed_object"] = reader.get_object(Bucket="enforced", Key="public/a.txt")["Body"].read().decode()
            out["other_object"] = error(reader.get_object, Bucket="enforced", Key="private/b.txt")
            out["head_other"] = error(reader.head_object, Bucket="enforced", Key="private/b.txt")
            out["list_prefix"] = [o["Key"] for o in reader.list_objects_v2(Bucket="enforced", Prefix="public/")["Contents"]]
            out["list_all"] = error(reader.list_objects_v2, Bucket="enforced")
            out["secret_before"] = reader.get_object(Bucket="enforced", Key="secret/c.txt")["Body"].read().decode()

            # The bucket policy: a grant to a user without identity policies (same account: either side may allow), a deny for everyone.
            guest_key, guest_secret = user("guest")
            guest = s3for(guest_key, guest_secret)
            out["guest_before"] = error(guest.get_object, Bucket="enforced", Key="private/b.txt")["code"]
            root.put_bucket_policy(Bucket="enforced", Policy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/guest"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::enforced/private/*"},
                {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::enforced/secret/*"},
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::enforced/public/*"}))
            out["guest_granted"] = guest.get_object(Bucket="enforced", Key="private/b.txt")["Body"].read().decode()
            out["guest_elsewhere"] = error(guest.get_object, Bucket="enforced", Key="secret/c.txt")["code"]
            out["secret_denied"] = error(reader.get_object, Bucket="enforced", Key="secret/c.txt")
            out["secret_delete_still_allowed"] = reader.delete_object(Bucket="enforced", Key="secret/c.txt")["ResponseMetadata"]["HTTPStatusCode"]
            out["policy_status"] = root.get_bucket_policy_status(Bucket="enforced")["PolicyStatus"]["IsPublic"]

            # Anonymous: only what the policy opens to everyone.
            out["anonymous_public"] = fetch(URL + "/enforced/public/a.txt")
            cli = subprocess.run(["aws", "--endpoint-url", URL, "--region", "us-east-1", "--no-sign-request", "s3", "cp", "s3://enforced/public/a.txt", "-"],
                                 capture_output=True, text=True, env=dict(os.environ, AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_CONFIG_FILE="/dev/null"))
            out["anonymous_cli"] = [cli.returncode, cli.stdout]
            out["anonymous_private"] = fetch(URL + "/enforced/private/b.txt")
            out["anonymous_list"] = fetch(URL + "/enforced")[0]
            out["anonymous_put"] = fetch(URL + "/enforced/public/new.txt", "PUT", b"x")[0]
            # Unsigned path-style requests are S3's only for existing buckets; a virtual-host name is S3's whatever it names.
            missing = http.client.HTTPConnection(urlparse(URL).hostname, urlparse(URL).port)
            missing.request("GET", "/x", headers={"Host": "no-such-bucket-here.s3.localhost"})
            response = missing.getresponse()
            out["anonymous_missing_bucket"] = [response.status, response.read().decode()]
            root.put_public_access_block(Bucket="enforced", PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
            out["anonymous_restricted"] = fetch(URL + "/enforced/public/a.txt")[0]
            root.put_public_access_block(Bucket="enforced", PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
            out["public_policy_blocked"] = error(root.put_bucket_policy, Bucket="enforced", Policy=doc(
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::enforced/*"}))
            """);

        Assert.Equal("public/a.txt", r["allowed_object"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["other_object"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["other_object"]!["status"]!.GetValue<int>());
        Assert.Equal("User: arn:aws:iam::000000000000:user/reader is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::enforced/private/b.txt\" because no identity-based policy allows the s3:GetObject action",
            r["other_object"]!["message"]!.GetValue<string>());
        Assert.Equal(403, r["head_other"]!["status"]!.GetValue<int>());
        Assert.Equal("""["public/a.txt"]""", r["list_prefix"]!.ToJsonString());
        Assert.Contains("s3:ListBucket on resource: \"arn:aws:s3:::enforced\"", r["list_all"]!["message"]!.GetValue<string>());
        Assert.Equal("secret/c.txt", r["secret_before"]!.GetValue<string>());

        Assert.Equal("AccessDenied", r["guest_before"]!.GetValue<string>());
        Assert.Equal("private/b.txt", r["guest_granted"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["guest_elsewhere"]!.GetValue<string>());
        Assert.Contains("with an explicit deny in a resource-based policy", r["secret_denied"]!["message"]!.GetValue<string>());
        Assert.Equal(204, r["secret_delete_still_allowed"]!.GetValue<int>());
        Assert.True(r["policy_status"]!.GetValue<bool>());

        Assert.Equal("""[200,"public/a.txt"]""", r["anonymous_public"]!.ToJsonString());
        Assert.Equal("""[0,"public/a.txt"]""", r["anonymous_cli"]!.ToJsonString());
        Assert.Equal(403, r["anonymous_private"]![0]!.GetValue<int>());
        Assert.Contains("<Code>AccessDenied</Code>", r["anonymous_private"]![1]!.GetValue<string>());
        Assert.Equal(403, r["anonymous_list"]!.GetValue<int>());
        Assert.Equal(403, r["anonymous_put"]!.GetValue<int>());
        Assert.Equal(404, r["anonymous_missing_bucket"]![0]!.GetValue<int>());
        Assert.Contains("<Code>NoSuchBucket</Code>", r["anonymous_missing_bucket"]![1]!.GetValue<string>());
        Assert.Equal(403, r["anonymous_restricted"]!.GetValue<int>());
        Assert.Equal("AccessDenied", r["public_policy_blocked"]!["code"]!.GetValue<string>());
        Assert.Contains("because public policies are blocked by the BlockPublicPolicy block public access setting", r["public_policy_blocked"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bucket_policies_are_checked_as_s3_checks_them()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + """
            root.create_bucket(Bucket="checked")
            root.delete_public_access_block(Bucket="checked")
            def put(policy):
                e = error(root.put_bucket_policy, Bucket="checked", Policy=policy)
                return [e["code"], e["message"]] if e else None
            statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::checked/*"}
            out["valid"] = put(doc(statement))
            out["not_json"] = put("{not json")
            out["no_statement"] = put(json.dumps({"Version": "2012-10-17"}))
            out["no_principal"] = put(doc({k: v for k, v in statement.items() if k != "Principal"}))
            out["bad_principal"] = put(doc(dict(statement, Principal={"AWS": "someone"})))
            out["other_bucket"] = put(doc(dict(statement, Resource="arn:aws:s3:::another-bucket/*")))
            out["star_resource"] = put(doc(dict(statement, Resource="*")))
            out["not_s3_action"] = put(doc(dict(statement, Action="ec2:RunInstances")))
            out["object_action_on_bucket"] = put(doc(dict(statement, Resource="arn:aws:s3:::checked")))
            out["bad_effect"] = put(doc(dict(statement, Effect="Permit")))
            out["bad_condition_key"] = put(doc(dict(statement, Condition={"StringEquals": {"prefix": "a"}})))
            out["stored"] = json.loads(root.get_bucket_policy(Bucket="checked")["Policy"])["Statement"][0]["Resource"]
            """);

        Assert.Null(r["valid"]);
        void Malformed(string name, string message)
        {
            Assert.Equal("MalformedPolicy", r[name]![0]!.GetValue<string>());
            Assert.Equal(message, r[name]![1]!.GetValue<string>());
        }
        Malformed("not_json", "Policies must be valid JSON and the first byte must be '{'");
        Malformed("no_statement", "Missing required field Statement");
        Malformed("no_principal", "Missing required field Principal");
        Malformed("bad_principal", "Invalid principal in policy");
        Malformed("other_bucket", "Policy has invalid resource");
        Malformed("star_resource", "Policy has invalid resource");
        Malformed("not_s3_action", "Policy has invalid action");
        Malformed("object_action_on_bucket", "Action does not apply to any resource(s) in statement");
        Malformed("bad_effect", "Invalid effect: Permit");
        Malformed("bad_condition_key", "Policy has an invalid condition key");
        Assert.Equal("arn:aws:s3:::checked/*", r["stored"]!.GetValue<string>());
    }

    [Fact]
    public async Task Signature_version_2_headers_and_presigned_urls_are_verified_and_authorized()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + """
            root.create_bucket(Bucket="sigv2")
            writer_key, writer_secret = user("writer")
            iam.put_user_policy(UserName="writer", PolicyName="rw", PolicyDocument=doc(
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::sigv2", "arn:aws:s3:::sigv2/mine/*"]}))
            v2 = s3for(writer_key, writer_secret, sig="s3")
            v2.put_object(Bucket="sigv2", Key="mine/a b+c.txt", Body=b"by sigv2", Metadata={"note": "v2"})
            got = v2.get_object(Bucket="sigv2", Key="mine/a b+c.txt")
            out["get"] = [got["Body"].read().decode(), got["Metadata"]]
            out["list"] = [o["Key"] for o in v2.list_objects(Bucket="sigv2")["Contents"]]
            out["outside"] = error(v2.put_object, Bucket="sigv2", Key="theirs/x", Body=b"x")
            out["wrong_secret"] = error(s3for(writer_key, "wrong", sig="s3").get_object, Bucket="sigv2", Key="mine/a b+c.txt")
            out["unknown_key"] = error(s3for("AKIANOSUCHKEY0000000", "x", sig="s3").list_buckets)

            url = v2.generate_presigned_url("get_object", Params={"Bucket": "sigv2", "Key": "mine/a b+c.txt"}, ExpiresIn=300)
            out["presigned_form"] = all(p in url for p in ["AWSAccessKeyId=", "Signature=", "Expires="])
            out["presigned"] = fetch(url)
            out["tampered"] = fetch(url.replace("mine/", "theirs/"))
            # SigV2 signs Content-Type: the URL carries the one it was presigned with, and the upload sends that one.
            put_url = v2.generate_presigned_url("put_object", Params={"Bucket": "sigv2", "Key": "mine/put.txt", "ContentType": "text/plain"}, ExpiresIn=300)
            out["presigned_put"] = fetch(put_url, "PUT", b"put by url", "text/plain")[0]
            out["put_back"] = v2.get_object(Bucket="sigv2", Key="mine/put.txt")["Body"].read().decode()
            expired = v2.generate_presigned_url("get_object", Params={"Bucket": "sigv2", "Key": "mine/put.txt"}, ExpiresIn=1)
            time.sleep(2)
            out["expired"] = fetch(expired)

            """);

        Assert.Equal("""["by sigv2",{"note":"v2"}]""", r["get"]!.ToJsonString());
        Assert.Equal("mine/a b+c.txt", Assert.Single(r["list"]!.AsArray())!.GetValue<string>());
        Assert.Equal("AccessDenied", r["outside"]!["code"]!.GetValue<string>());
        Assert.Contains("s3:PutObject on resource: \"arn:aws:s3:::sigv2/theirs/x\"", r["outside"]!["message"]!.GetValue<string>());
        Assert.Equal("SignatureDoesNotMatch", r["wrong_secret"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidAccessKeyId", r["unknown_key"]!["code"]!.GetValue<string>());
        Assert.True(r["presigned_form"]!.GetValue<bool>());
        Assert.Equal("""[200,"by sigv2"]""", r["presigned"]!.ToJsonString());
        Assert.Equal(403, r["tampered"]![0]!.GetValue<int>());
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", r["tampered"]![1]!.GetValue<string>());
        Assert.Equal(200, r["presigned_put"]!.GetValue<int>());
        Assert.Equal("put by url", r["put_back"]!.GetValue<string>());
        Assert.Equal(403, r["expired"]![0]!.GetValue<int>());
        Assert.Contains("Request has expired", r["expired"]![1]!.GetValue<string>());
    }
}
