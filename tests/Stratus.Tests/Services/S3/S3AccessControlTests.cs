using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>
/// ACLs, Object Ownership and Block Public Access, object-tag condition keys in bucket policies, and cross-account copy
/// sources, driven by boto3 as two accounts (a 12-digit access key id is its account) and as an anonymous client
/// (botocore's UNSIGNED).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3AccessControlTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartEphemeralAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Prelude = """
        from botocore import UNSIGNED
        owner = client("s3", key="111111111111")
        other = client("s3", key="222222222222")
        anonymous = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
        OWNER_ID = owner.list_buckets()["Owner"]["ID"]
        OTHER_ID = other.list_buckets()["Owner"]["ID"]
        AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
        def doc(*statements):
            return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        def grants(acl):
            return [[g["Grantee"]["Type"], "owner" if g["Grantee"].get("ID") == OWNER_ID else "other" if g["Grantee"].get("ID") == OTHER_ID else g["Grantee"].get("URI", "?"), g["Permission"]]
                    for g in acl["Grants"]]
        def read(c, bucket, key):
            return c.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        def code(fn, *a, **kw):
            e = error(fn, *a, **kw)
            return [e["status"], e["code"]] if e else None

        """;

    [Fact]
    public async Task Acls_let_anonymous_and_other_accounts_in_unless_ownership_disables_them_or_public_access_is_blocked()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            # A bucket created as S3 creates them since 2023: ACLs disabled (BucketOwnerEnforced).
            owner.create_bucket(Bucket="acl-enforced")
            owner.put_object(Bucket="acl-enforced", Key="k", Body=b"x")
            out["enforced_put_object_acl"] = error(owner.put_object_acl, Bucket="acl-enforced", Key="k", ACL="public-read")
            out["enforced_put_public"] = code(owner.put_object, Bucket="acl-enforced", Key="k2", Body=b"x", ACL="public-read")
            out["enforced_owner_full_control"] = owner.put_object(Bucket="acl-enforced", Key="k3", Body=b"x", ACL="bucket-owner-full-control")["ResponseMetadata"]["HTTPStatusCode"]
            out["enforced_create_public"] = error(owner.create_bucket, Bucket="acl-refused", ACL="public-read")
            out["enforced_bucket_acl"] = grants(owner.get_bucket_acl(Bucket="acl-enforced"))

            # ACLs enabled: a public-read bucket lists to anyone, its objects are read as their own ACLs say.
            owner.create_bucket(Bucket="acl-open", ObjectOwnership="ObjectWriter", ACL="public-read")
            out["bucket_acl"] = grants(owner.get_bucket_acl(Bucket="acl-open"))
            owner.put_object(Bucket="acl-open", Key="public.txt", Body=b"public", ACL="public-read")
            owner.put_object(Bucket="acl-open", Key="private.txt", Body=b"private")
            out["public_object_acl"] = grants(owner.get_object_acl(Bucket="acl-open", Key="public.txt"))
            out["anonymous_list"] = [o["Key"] for o in anonymous.list_objects_v2(Bucket="acl-open")["Contents"]]
            out["anonymous_public"] = read(anonymous, "acl-open", "public.txt")
            out["other_public"] = read(other, "acl-open", "public.txt")
            out["anonymous_private"] = code(anonymous.get_object, Bucket="acl-open", Key="private.txt")
            out["other_private"] = code(other.get_object, Bucket="acl-open", Key="private.txt")
            out["anonymous_put"] = code(anonymous.put_object, Bucket="acl-open", Key="anonymous.txt", Body=b"x")

            # A grant header to the other account's canonical id, then an AccessControlPolicy body granting authenticated users.
            owner.put_object_acl(Bucket="acl-open", Key="private.txt", GrantRead=f'id="{OTHER_ID}"')
            out["granted_object_acl"] = grants(owner.get_object_acl(Bucket="acl-open", Key="private.txt"))
            out["other_granted"] = read(other, "acl-open", "private.txt")
            out["anonymous_not_granted"] = code(anonymous.get_object, Bucket="acl-open", Key="private.txt")
            owner.put_object_acl(Bucket="acl-open", Key="private.txt", AccessControlPolicy={
                "Owner": {"ID": OWNER_ID},
                "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": OWNER_ID}, "Permission": "FULL_CONTROL"},
                           {"Grantee": {"Type": "Group", "URI": AUTHENTICATED}, "Permission": "READ"}]})
            out["authenticated_other"] = read(other, "acl-open", "private.txt")
            out["authenticated_anonymous"] = code(anonymous.get_object, Bucket="acl-open", Key="private.txt")
            out["other_reads_acl"] = code(other.get_object_acl, Bucket="acl-open", Key="private.txt")

            # public-read-write lets anyone write.
            owner.put_bucket_acl(Bucket="acl-open", ACL="public-read-write")
            out["anonymous_write"] = anonymous.put_object(Bucket="acl-open", Key="anonymous.txt", Body=b"anon")["ResponseMetadata"]["HTTPStatusCode"]
            out["anonymous_written"] = read(owner, "acl-open", "anonymous.txt")
            # Under ObjectWriter another account's write is that account's object.
            other.put_object(Bucket="acl-open", Key="theirs.txt", Body=b"theirs")
            out["other_owns"] = owner.get_object_acl(Bucket="acl-open", Key="theirs.txt")["Owner"]["ID"] == OTHER_ID

            # Block Public Access: BlockPublicAcls refuses public ACLs (those in place still work); IgnorePublicAcls disregards them.
            owner.put_public_access_block(Bucket="acl-open", PublicAccessBlockConfiguration={"BlockPublicAcls": True})
            out["blocked_object_acl"] = code(owner.put_object_acl, Bucket="acl-open", Key="private.txt", ACL="public-read")
            out["blocked_put"] = code(owner.put_object, Bucket="acl-open", Key="new.txt", Body=b"x", ACL="public-read")
            out["blocked_bucket_acl"] = code(owner.put_bucket_acl, Bucket="acl-open", GrantRead=f'uri="{AUTHENTICATED}"')
            out["blocked_still_public"] = read(anonymous, "acl-open", "public.txt")
            owner.put_public_access_block(Bucket="acl-open", PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
            out["ignored_read"] = code(anonymous.get_object, Bucket="acl-open", Key="public.txt")
            out["ignored_list"] = code(anonymous.list_objects_v2, Bucket="acl-open")
            out["ignored_authenticated"] = code(other.get_object, Bucket="acl-open", Key="private.txt")
            owner.delete_public_access_block(Bucket="acl-open")

            # Disabling ACLs needs a bucket ACL for the owner alone; then ACLs stop counting and cannot be set.
            enforce = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
            out["enforce_refused"] = error(owner.put_bucket_ownership_controls, Bucket="acl-open", OwnershipControls=enforce)
            owner.put_bucket_acl(Bucket="acl-open", ACL="private")
            owner.put_bucket_ownership_controls(Bucket="acl-open", OwnershipControls=enforce)
            out["disabled_object_acl"] = grants(owner.get_object_acl(Bucket="acl-open", Key="public.txt"))
            out["disabled_anonymous"] = code(anonymous.get_object, Bucket="acl-open", Key="public.txt")
            out["disabled_put_bucket_acl"] = code(owner.put_bucket_acl, Bucket="acl-open", ACL="public-read")

            # Requests S3 refuses whatever the bucket.
            owner.create_bucket(Bucket="acl-errors", ObjectOwnership="BucketOwnerPreferred")
            out["canned_and_grants"] = error(owner.put_bucket_acl, Bucket="acl-errors", ACL="private", GrantRead=f'id="{OTHER_ID}"')
            out["no_acl"] = code(owner.put_bucket_acl, Bucket="acl-errors")
            out["email"] = code(owner.put_bucket_acl, Bucket="acl-errors", GrantRead='emailAddress="someone@example.com"')
            out["bad_id"] = code(owner.put_bucket_acl, Bucket="acl-errors", GrantRead='id="not-a-canonical-id"')
            out["other_owner"] = code(owner.put_bucket_acl, Bucket="acl-errors", AccessControlPolicy={"Owner": {"ID": OTHER_ID}, "Grants": []})
            out["bad_ownership"] = code(owner.put_bucket_ownership_controls, Bucket="acl-errors", OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]})

            # CloudFormation's AccessControl is the canned ACL, after the ownership controls that allow it.
            cf = client("cloudformation", key="111111111111")
            cf.create_stack(StackName="acl-stack", TemplateBody=json.dumps({"Resources": {"Site": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": "acl-from-template", "AccessControl": "PublicRead",
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}}}}))
            cf.get_waiter("stack_create_complete").wait(StackName="acl-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["template_bucket_acl"] = grants(owner.get_bucket_acl(Bucket="acl-from-template"))
            out["template_anonymous_list"] = anonymous.list_objects_v2(Bucket="acl-from-template")["KeyCount"]
            """);

        Assert.Equal("AccessControlListNotSupported", r["enforced_put_object_acl"]!["code"]!.GetValue<string>());
        Assert.Equal("The bucket does not allow ACLs", r["enforced_put_object_acl"]!["message"]!.GetValue<string>());
        Assert.Equal(400, r["enforced_put_object_acl"]!["status"]!.GetValue<int>());
        Assert.Equal("""[400,"AccessControlListNotSupported"]""", r["enforced_put_public"]!.ToJsonString());
        Assert.Equal(200, r["enforced_owner_full_control"]!.GetValue<int>());
        Assert.Equal("InvalidBucketAclWithObjectOwnership", r["enforced_create_public"]!["code"]!.GetValue<string>());
        Assert.Equal("Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", r["enforced_create_public"]!["message"]!.GetValue<string>());
        Assert.Equal("""[["CanonicalUser","owner","FULL_CONTROL"]]""", r["enforced_bucket_acl"]!.ToJsonString());

        Assert.Equal("""[["CanonicalUser","owner","FULL_CONTROL"],["Group","http://acs.amazonaws.com/groups/global/AllUsers","READ"]]""", r["bucket_acl"]!.ToJsonString());
        Assert.Equal(r["bucket_acl"]!.ToJsonString(), r["public_object_acl"]!.ToJsonString());
        Assert.Equal("""["private.txt","public.txt"]""", r["anonymous_list"]!.ToJsonString());
        Assert.Equal("public", r["anonymous_public"]!.GetValue<string>());
        Assert.Equal("public", r["other_public"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["anonymous_private"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["other_private"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["anonymous_put"]!.ToJsonString());

        Assert.Equal("""[["CanonicalUser","other","READ"]]""", r["granted_object_acl"]!.ToJsonString());
        Assert.Equal("private", r["other_granted"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["anonymous_not_granted"]!.ToJsonString());
        Assert.Equal("private", r["authenticated_other"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["authenticated_anonymous"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["other_reads_acl"]!.ToJsonString());

        Assert.Equal(200, r["anonymous_write"]!.GetValue<int>());
        Assert.Equal("anon", r["anonymous_written"]!.GetValue<string>());
        Assert.True(r["other_owns"]!.GetValue<bool>());

        Assert.Equal("""[403,"AccessDenied"]""", r["blocked_object_acl"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["blocked_put"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["blocked_bucket_acl"]!.ToJsonString());
        Assert.Equal("public", r["blocked_still_public"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["ignored_read"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["ignored_list"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["ignored_authenticated"]!.ToJsonString());

        Assert.Equal("InvalidBucketAclWithObjectOwnership", r["enforce_refused"]!["code"]!.GetValue<string>());
        Assert.Equal("""[["CanonicalUser","owner","FULL_CONTROL"]]""", r["disabled_object_acl"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["disabled_anonymous"]!.ToJsonString());
        Assert.Equal("""[400,"AccessControlListNotSupported"]""", r["disabled_put_bucket_acl"]!.ToJsonString());

        Assert.Equal("InvalidRequest", r["canned_and_grants"]!["code"]!.GetValue<string>());
        Assert.Equal("Specifying both Canned ACLs and Header Grants is not allowed", r["canned_and_grants"]!["message"]!.GetValue<string>());
        Assert.Equal("""[400,"MissingSecurityHeader"]""", r["no_acl"]!.ToJsonString());
        Assert.Equal("""[400,"UnresolvableGrantByEmailAddress"]""", r["email"]!.ToJsonString());
        Assert.Equal("""[400,"InvalidArgument"]""", r["bad_id"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["other_owner"]!.ToJsonString());
        Assert.Equal("""[400,"MalformedXML"]""", r["bad_ownership"]!.ToJsonString());
        Assert.Equal(r["bucket_acl"]!.ToJsonString(), r["template_bucket_acl"]!.ToJsonString());
        Assert.Equal(0, r["template_anonymous_list"]!.GetValue<int>());
    }

    [Fact]
    public async Task Object_tag_condition_keys_and_cross_account_copy_sources_are_decided_by_the_source_bucket()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            owner.create_bucket(Bucket="tagged")
            owner.put_object(Bucket="tagged", Key="open.txt", Body=b"open", Tagging="visibility=public")
            owner.put_object(Bucket="tagged", Key="closed.txt", Body=b"closed", Tagging="visibility=private")
            owner.put_bucket_policy(Bucket="tagged", Policy=doc(
                {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::tagged/*",
                 "Condition": {"StringEquals": {"s3:ExistingObjectTag/visibility": "public"}}},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": ["s3:PutObject", "s3:PutObjectTagging"],
                 "Resource": "arn:aws:s3:::tagged/inbox/*",
                 "Condition": {"StringEquals": {"s3:RequestObjectTag/team": "blue"}, "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["team"]}}}))

            out["existing_public"] = read(other, "tagged", "open.txt")
            out["existing_private"] = code(other.get_object, Bucket="tagged", Key="closed.txt")
            out["request_blue"] = other.put_object(Bucket="tagged", Key="inbox/a.txt", Body=b"a", Tagging="team=blue")["ResponseMetadata"]["HTTPStatusCode"]
            out["request_red"] = code(other.put_object, Bucket="tagged", Key="inbox/b.txt", Body=b"b", Tagging="team=red")
            out["request_extra_key"] = code(other.put_object, Bucket="tagged", Key="inbox/c.txt", Body=b"c", Tagging="team=blue&cost=1")
            out["request_untagged"] = code(other.put_object, Bucket="tagged", Key="inbox/d.txt", Body=b"d")
            out["retag_blue"] = other.put_object_tagging(Bucket="tagged", Key="inbox/a.txt", Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]})["ResponseMetadata"]["HTTPStatusCode"]
            out["retag_red"] = code(other.put_object_tagging, Bucket="tagged", Key="inbox/a.txt", Tagging={"TagSet": [{"Key": "team", "Value": "red"}]})
            owner.put_object_tagging(Bucket="tagged", Key="closed.txt", Tagging={"TagSet": [{"Key": "visibility", "Value": "public"}]})
            out["existing_retagged"] = read(other, "tagged", "closed.txt")
            owner.put_object(Bucket="tagged", Key="secret.txt", Body=b"secret", Tagging="visibility=private")

            # The other account copies from the owner's bucket into its own: the source bucket's policy decides the read.
            other.create_bucket(Bucket="copies")
            other.copy_object(Bucket="copies", Key="copied.txt", CopySource={"Bucket": "tagged", "Key": "open.txt"})
            out["copied"] = read(other, "copies", "copied.txt")
            out["copy_denied"] = error(other.copy_object, Bucket="copies", Key="stolen.txt", CopySource={"Bucket": "tagged", "Key": "secret.txt"})
            upload = other.create_multipart_upload(Bucket="copies", Key="parts.txt")["UploadId"]
            out["part_copy_denied"] = code(other.upload_part_copy, Bucket="copies", Key="parts.txt", UploadId=upload, PartNumber=1,
                                           CopySource={"Bucket": "tagged", "Key": "secret.txt"})
            part = other.upload_part_copy(Bucket="copies", Key="parts.txt", UploadId=upload, PartNumber=1, CopySource={"Bucket": "tagged", "Key": "open.txt"})
            other.complete_multipart_upload(Bucket="copies", Key="parts.txt", UploadId=upload,
                                            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
            out["part_copied"] = read(other, "copies", "parts.txt")
            # Writing into the owner's bucket outside what its policy grants is refused, whatever the source.
            out["copy_into_owner"] = code(other.copy_object, Bucket="tagged", Key="elsewhere.txt", CopySource={"Bucket": "copies", "Key": "copied.txt"})
            # An anonymous copy into a bucket that grants everyone nothing is refused.
            out["anonymous_copy"] = code(anonymous.copy_object, Bucket="copies", Key="anon.txt", CopySource={"Bucket": "tagged", "Key": "open.txt"})
            """);

        Assert.Equal("open", r["existing_public"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["existing_private"]!.ToJsonString());
        Assert.Equal(200, r["request_blue"]!.GetValue<int>());
        Assert.Equal("""[403,"AccessDenied"]""", r["request_red"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["request_extra_key"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["request_untagged"]!.ToJsonString());
        Assert.Equal(200, r["retag_blue"]!.GetValue<int>());
        Assert.Equal("""[403,"AccessDenied"]""", r["retag_red"]!.ToJsonString());
        Assert.Equal("closed", r["existing_retagged"]!.GetValue<string>());

        Assert.Equal("open", r["copied"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["copy_denied"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["copy_denied"]!["status"]!.GetValue<int>());
        Assert.Equal("""[403,"AccessDenied"]""", r["part_copy_denied"]!.ToJsonString());
        Assert.Equal("open", r["part_copied"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["copy_into_owner"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["anonymous_copy"]!.ToJsonString());
    }
}
