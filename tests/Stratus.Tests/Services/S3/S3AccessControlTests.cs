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

            # ACLs enabled: a public-read bucket lists to anyone, its objects are read as their own ACLs say. A new bucket blocks
            # public ACLs, so it is made public only once its Block Public Access settings are deleted.
            out["create_public"] = error(owner.create_bucket, Bucket="acl-open", ObjectOwnership="ObjectWriter", ACL="public-read")
            owner.create_bucket(Bucket="acl-open", ObjectOwnership="ObjectWriter")
            out["new_bucket_public_acl"] = code(owner.put_bucket_acl, Bucket="acl-open", ACL="public-read")
            owner.delete_public_access_block(Bucket="acl-open")
            owner.put_bucket_acl(Bucket="acl-open", ACL="public-read")
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
            out["other_owns"] = other.get_object_acl(Bucket="acl-open", Key="theirs.txt")["Owner"]["ID"] == OTHER_ID

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
            out["email"] = error(owner.put_bucket_acl, Bucket="acl-errors", GrantRead='emailAddress="someone@example.com"')
            out["email_document"] = code(owner.put_bucket_acl, Bucket="acl-errors", AccessControlPolicy={"Owner": {"ID": OWNER_ID},
                "Grants": [{"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "someone@example.com"}, "Permission": "READ"}]})
            # aws-exec-read: the owner's FULL_CONTROL and READ for Amazon EC2's canonical user, on objects and buckets alike.
            owner.put_object(Bucket="acl-errors", Key="image.manifest.xml", Body=b"x", ACL="aws-exec-read")
            exec_read = lambda acl: [[g["Grantee"]["Type"], "owner" if g["Grantee"]["ID"] == OWNER_ID else g["Grantee"]["ID"], g["Permission"]] for g in acl["Grants"]]
            out["exec_read_object"] = exec_read(owner.get_object_acl(Bucket="acl-errors", Key="image.manifest.xml"))
            owner.put_bucket_acl(Bucket="acl-errors", ACL="aws-exec-read")
            out["exec_read_bucket"] = exec_read(owner.get_bucket_acl(Bucket="acl-errors"))
            out["exec_read_other"] = code(other.get_object, Bucket="acl-errors", Key="image.manifest.xml")
            out["bad_id"] = code(owner.put_bucket_acl, Bucket="acl-errors", GrantRead='id="not-a-canonical-id"')
            out["other_owner"] = code(owner.put_bucket_acl, Bucket="acl-errors", AccessControlPolicy={"Owner": {"ID": OTHER_ID}, "Grants": []})
            out["bad_ownership"] = code(owner.put_bucket_ownership_controls, Bucket="acl-errors", OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]})

            # CloudFormation's AccessControl is the canned ACL, after the ownership controls that allow it.
            cf = client("cloudformation", key="111111111111")
            cf.create_stack(StackName="acl-stack", TemplateBody=json.dumps({"Resources": {"Site": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": "acl-from-template", "AccessControl": "PublicRead",
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False},
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

        Assert.Equal("InvalidBucketAclWithBlockPublicAccessError", r["create_public"]!["code"]!.GetValue<string>());
        Assert.Equal("Bucket cannot have public ACLs set with BlockPublicAccess enabled", r["create_public"]!["message"]!.GetValue<string>());
        Assert.Equal(400, r["create_public"]!["status"]!.GetValue<int>());
        Assert.Equal("""[403,"AccessDenied"]""", r["new_bucket_public_acl"]!.ToJsonString());
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
        // S3 stopped accepting e-mail grantees on October 1, 2025: 405 Method Not Allowed, from headers and documents alike.
        Assert.Equal("MethodNotAllowed", r["email"]!["code"]!.GetValue<string>());
        Assert.Equal(405, r["email"]!["status"]!.GetValue<int>());
        Assert.Equal("""[405,"MethodNotAllowed"]""", r["email_document"]!.ToJsonString());
        const string ExecRead = """[["CanonicalUser","owner","FULL_CONTROL"],["CanonicalUser","6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c","READ"]]""";
        Assert.Equal(ExecRead, r["exec_read_object"]!.ToJsonString());
        Assert.Equal(ExecRead, r["exec_read_bucket"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["exec_read_other"]!.ToJsonString());
        Assert.Equal("""[400,"InvalidArgument"]""", r["bad_id"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["other_owner"]!.ToJsonString());
        Assert.Equal("""[400,"MalformedXML"]""", r["bad_ownership"]!.ToJsonString());
        Assert.Equal(r["bucket_acl"]!.ToJsonString(), r["template_bucket_acl"]!.ToJsonString());
        Assert.Equal(0, r["template_anonymous_list"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_object_another_account_writes_is_its_own_unless_it_hands_it_to_the_bucket_owner()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            def writable(bucket):
                owner.put_bucket_policy(Bucket=bucket, Policy=doc({"Effect": "Allow", "Principal": {"AWS": "222222222222"},
                    "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject", "s3:GetObjectAcl"], "Resource": f"arn:aws:s3:::{bucket}/*"}))
            def owner_id(acl):
                return "owner" if acl["Owner"]["ID"] == OWNER_ID else "other" if acl["Owner"]["ID"] == OTHER_ID else "?"

            # ObjectWriter: the writer owns what it writes; the bucket owner reads it only through the object's ACL, yet may delete it.
            owner.create_bucket(Bucket="writer-owned", ObjectOwnership="ObjectWriter")
            writable("writer-owned")
            other.put_object(Bucket="writer-owned", Key="theirs.txt", Body=b"theirs")
            theirs = other.get_object_acl(Bucket="writer-owned", Key="theirs.txt")
            out["theirs_owner"] = owner_id(theirs)
            out["theirs_grants"] = grants(theirs)
            out["owner_reads_theirs"] = error(owner.get_object, Bucket="writer-owned", Key="theirs.txt")
            out["owner_heads_theirs"] = code(owner.head_object, Bucket="writer-owned", Key="theirs.txt")
            out["owner_reads_theirs_acl"] = code(owner.get_object_acl, Bucket="writer-owned", Key="theirs.txt")
            out["owner_tags_theirs"] = code(owner.get_object_tagging, Bucket="writer-owned", Key="theirs.txt")
            # GetObjectAttributes follows the same owner rule as GetObject and HeadObject.
            out["owner_attributes_theirs"] = code(owner.get_object_attributes, Bucket="writer-owned", Key="theirs.txt", ObjectAttributes=["ObjectSize"])
            out["writer_attributes_theirs"] = other.get_object_attributes(Bucket="writer-owned", Key="theirs.txt", ObjectAttributes=["ObjectSize"])["ObjectSize"]
            out["writer_reads_theirs"] = read(other, "writer-owned", "theirs.txt")
            # With bucket-owner-full-control the writer still owns it, and the bucket owner reads it through that grant.
            other.put_object(Bucket="writer-owned", Key="shared.txt", Body=b"shared", ACL="bucket-owner-full-control")
            shared = owner.get_object_acl(Bucket="writer-owned", Key="shared.txt")
            out["shared_owner"] = owner_id(shared)
            out["shared_grants"] = grants(shared)
            out["owner_reads_shared"] = read(owner, "writer-owned", "shared.txt")
            # The writer grants the bucket owner READ on its own object afterwards.
            other.put_object_acl(Bucket="writer-owned", Key="theirs.txt", GrantFullControl=f'id="{OTHER_ID}"', GrantRead=f'id="{OWNER_ID}"')
            out["owner_reads_granted"] = read(owner, "writer-owned", "theirs.txt")
            out["owner_attributes_granted"] = owner.get_object_attributes(Bucket="writer-owned", Key="theirs.txt", ObjectAttributes=["ObjectSize"])["ObjectSize"]
            out["owner_deletes_theirs"] = owner.delete_object(Bucket="writer-owned", Key="theirs.txt")["ResponseMetadata"]["HTTPStatusCode"]
            other.put_object(Bucket="writer-owned", Key="again.txt", Body=b"again")
            out["owner_deletes_again"] = owner.delete_objects(Bucket="writer-owned", Delete={"Objects": [{"Key": "again.txt"}]}).get("Errors", [])
            out["left"] = [o["Key"] for o in owner.list_objects_v2(Bucket="writer-owned").get("Contents", [])]

            # BucketOwnerPreferred: bucket-owner-full-control hands the object to the bucket owner; without it the writer keeps it.
            owner.create_bucket(Bucket="owner-preferred", ObjectOwnership="BucketOwnerPreferred")
            writable("owner-preferred")
            other.put_object(Bucket="owner-preferred", Key="given.txt", Body=b"given", ACL="bucket-owner-full-control")
            given = owner.get_object_acl(Bucket="owner-preferred", Key="given.txt")
            out["given_owner"] = owner_id(given)
            out["given_grants"] = grants(given)
            out["owner_reads_given"] = read(owner, "owner-preferred", "given.txt")
            other.put_object(Bucket="owner-preferred", Key="kept.txt", Body=b"kept")
            out["kept_owner"] = owner_id(other.get_object_acl(Bucket="owner-preferred", Key="kept.txt"))
            out["owner_reads_kept"] = code(owner.get_object, Bucket="owner-preferred", Key="kept.txt")

            # Disabling ACLs makes the bucket owner the owner of every object, the writer's included.
            owner.put_bucket_ownership_controls(Bucket="owner-preferred", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
            out["enforced_owner"] = owner_id(owner.get_object_acl(Bucket="owner-preferred", Key="kept.txt"))
            out["enforced_reads_kept"] = read(owner, "owner-preferred", "kept.txt")
            """);

        Assert.Equal("other", r["theirs_owner"]!.GetValue<string>());
        Assert.Equal("""[["CanonicalUser","other","FULL_CONTROL"]]""", r["theirs_grants"]!.ToJsonString());
        Assert.Equal("AccessDenied", r["owner_reads_theirs"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["owner_reads_theirs"]!["status"]!.GetValue<int>());
        Assert.Equal("""[403,"403"]""", r["owner_heads_theirs"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["owner_reads_theirs_acl"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["owner_tags_theirs"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["owner_attributes_theirs"]!.ToJsonString());
        Assert.Equal(6, r["writer_attributes_theirs"]!.GetValue<int>());
        Assert.Equal(6, r["owner_attributes_granted"]!.GetValue<int>());
        Assert.Equal("theirs", r["writer_reads_theirs"]!.GetValue<string>());
        Assert.Equal("other", r["shared_owner"]!.GetValue<string>());
        Assert.Equal("""[["CanonicalUser","other","FULL_CONTROL"],["CanonicalUser","owner","FULL_CONTROL"]]""", r["shared_grants"]!.ToJsonString());
        Assert.Equal("shared", r["owner_reads_shared"]!.GetValue<string>());
        Assert.Equal("theirs", r["owner_reads_granted"]!.GetValue<string>());
        Assert.Equal(204, r["owner_deletes_theirs"]!.GetValue<int>());
        Assert.Equal("[]", r["owner_deletes_again"]!.ToJsonString());
        Assert.Equal("""["shared.txt"]""", r["left"]!.ToJsonString());

        Assert.Equal("owner", r["given_owner"]!.GetValue<string>());
        Assert.Equal("""[["CanonicalUser","owner","FULL_CONTROL"]]""", r["given_grants"]!.ToJsonString());
        Assert.Equal("given", r["owner_reads_given"]!.GetValue<string>());
        Assert.Equal("other", r["kept_owner"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["owner_reads_kept"]!.ToJsonString());
        Assert.Equal("owner", r["enforced_owner"]!.GetValue<string>());
        Assert.Equal("kept", r["enforced_reads_kept"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bucket_whose_ownership_controls_are_deleted_is_object_writer_with_acls_enabled()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            owner.create_bucket(Bucket="no-controls")
            out["before"] = code(owner.put_bucket_acl, Bucket="no-controls", GrantRead=f'id="{OTHER_ID}"')
            owner.delete_bucket_ownership_controls(Bucket="no-controls")
            out["controls"] = error(owner.get_bucket_ownership_controls, Bucket="no-controls")
            # Without ownership controls S3 treats the bucket as ObjectWriter: ACLs are set and they count.
            owner.put_bucket_acl(Bucket="no-controls", GrantRead=f'id="{OTHER_ID}"', GrantFullControl=f'id="{OWNER_ID}"')
            out["bucket_acl"] = grants(owner.get_bucket_acl(Bucket="no-controls"))
            owner.put_object(Bucket="no-controls", Key="k.txt", Body=b"k")
            out["other_lists"] = [o["Key"] for o in other.list_objects_v2(Bucket="no-controls")["Contents"]]
            owner.put_bucket_policy(Bucket="no-controls", Policy=doc({"Effect": "Allow", "Principal": {"AWS": "222222222222"},
                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::no-controls/*"}))
            other.put_object(Bucket="no-controls", Key="theirs.txt", Body=b"theirs")
            out["writer_owns"] = other.get_object_acl(Bucket="no-controls", Key="theirs.txt")["Owner"]["ID"] == OTHER_ID
            out["owner_reads_theirs"] = code(owner.get_object, Bucket="no-controls", Key="theirs.txt")
            """);

        Assert.Equal("""[400,"AccessControlListNotSupported"]""", r["before"]!.ToJsonString());
        Assert.Equal("OwnershipControlsNotFoundError", r["controls"]!["code"]!.GetValue<string>());
        Assert.Equal("The bucket ownership controls were not found", r["controls"]!["message"]!.GetValue<string>());
        Assert.Equal(404, r["controls"]!["status"]!.GetValue<int>());
        Assert.Equal("""[["CanonicalUser","owner","FULL_CONTROL"],["CanonicalUser","other","READ"]]""", r["bucket_acl"]!.ToJsonString());
        Assert.Equal("""["k.txt"]""", r["other_lists"]!.ToJsonString());
        Assert.True(r["writer_owns"]!.GetValue<bool>());
        Assert.Equal("""[403,"AccessDenied"]""", r["owner_reads_theirs"]!.ToJsonString());
    }

    [Fact]
    public async Task New_buckets_block_public_access_and_disable_acls_as_s3_creates_them_since_april_2023()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            owner.create_bucket(Bucket="fresh")
            out["block"] = owner.get_public_access_block(Bucket="fresh")["PublicAccessBlockConfiguration"]
            out["ownership"] = owner.get_bucket_ownership_controls(Bucket="fresh")["OwnershipControls"]["Rules"]
            public = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::fresh/*"})
            out["public_policy"] = error(owner.put_bucket_policy, Bucket="fresh", Policy=public)
            # A policy for a named account is not public, and is accepted.
            out["account_policy"] = owner.put_bucket_policy(Bucket="fresh", Policy=doc({"Effect": "Allow", "Principal": {"AWS": "222222222222"},
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::fresh/*"}))["ResponseMetadata"]["HTTPStatusCode"]
            owner.put_object(Bucket="fresh", Key="page.html", Body=b"hello")
            out["anonymous_before"] = code(anonymous.get_object, Bucket="fresh", Key="page.html")
            # Deleting the block lets the owner make the bucket public, as on S3.
            owner.delete_public_access_block(Bucket="fresh")
            out["no_block"] = code(owner.get_public_access_block, Bucket="fresh")
            owner.put_bucket_policy(Bucket="fresh", Policy=public)
            out["anonymous_after"] = read(anonymous, "fresh", "page.html")

            # CloudFormation: a bucket whose template leaves the block as S3 sets it refuses a public BucketPolicy; one that turns it off takes it.
            cf = client("cloudformation", key="111111111111")
            def stack(name, bucket, block):
                properties = {"BucketName": bucket, **({"PublicAccessBlockConfiguration": block} if block else {})}
                cf.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {
                    "Site": {"Type": "AWS::S3::Bucket", "Properties": properties},
                    "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Site"}, "PolicyDocument": {"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}}}}}))
                try:
                    cf.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
                except Exception:
                    pass
                events = cf.describe_stack_events(StackName=name)["StackEvents"]
                return [cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"],
                        [e.get("ResourceStatusReason", "") for e in events if e["LogicalResourceId"] == "Policy" and e["ResourceStatus"] == "CREATE_FAILED"]]
            out["blocked_stack"] = stack("blocked-site", "blocked-site-bucket", None)
            out["open_stack"] = stack("open-site", "open-site-bucket",
                {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
            """);

        Assert.Equal("""{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}""", r["block"]!.ToJsonString());
        Assert.Equal("""[{"ObjectOwnership":"BucketOwnerEnforced"}]""", r["ownership"]!.ToJsonString());
        Assert.Equal("AccessDenied", r["public_policy"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["public_policy"]!["status"]!.GetValue<int>());
        Assert.Equal("User: arn:aws:iam::111111111111:root is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::fresh\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
            r["public_policy"]!["message"]!.GetValue<string>());
        Assert.Equal(204, r["account_policy"]!.GetValue<int>());
        Assert.Equal("""[403,"AccessDenied"]""", r["anonymous_before"]!.ToJsonString());
        Assert.Equal("""[404,"NoSuchPublicAccessBlockConfiguration"]""", r["no_block"]!.ToJsonString());
        Assert.Equal("hello", r["anonymous_after"]!.GetValue<string>());

        Assert.StartsWith("ROLLBACK", r["blocked_stack"]![0]!.GetValue<string>());
        Assert.Contains("because public policies are blocked by the BlockPublicPolicy block public access setting", r["blocked_stack"]![1]![0]!.GetValue<string>());
        Assert.Equal("""["CREATE_COMPLETE",[]]""", r["open_stack"]!.ToJsonString());
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
            # CopyObject with x-amz-tagging-directive REPLACE writes the request's tags, which the conditions see; with COPY it names none.
            copy = lambda key, **kw: other.copy_object(Bucket="tagged", Key=key, CopySource={"Bucket": "tagged", "Key": "open.txt"}, **kw)
            out["copy_replace_blue"] = copy("inbox/copy-blue.txt", TaggingDirective="REPLACE", Tagging="team=blue")["ResponseMetadata"]["HTTPStatusCode"]
            out["copy_replace_tags"] = owner.get_object_tagging(Bucket="tagged", Key="inbox/copy-blue.txt")["TagSet"]
            out["copy_replace_red"] = code(copy, "inbox/copy-red.txt", TaggingDirective="REPLACE", Tagging="team=red")
            out["copy_replace_extra"] = code(copy, "inbox/copy-extra.txt", TaggingDirective="REPLACE", Tagging="team=blue&cost=1")
            out["copy_directive_copy"] = code(copy, "inbox/copy-kept.txt", Tagging="team=blue")
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
        Assert.Equal(200, r["copy_replace_blue"]!.GetValue<int>());
        Assert.Equal("""[{"Key":"team","Value":"blue"}]""", r["copy_replace_tags"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["copy_replace_red"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["copy_replace_extra"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["copy_directive_copy"]!.ToJsonString());

        Assert.Equal("open", r["copied"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["copy_denied"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["copy_denied"]!["status"]!.GetValue<int>());
        Assert.Equal("""[403,"AccessDenied"]""", r["part_copy_denied"]!.ToJsonString());
        Assert.Equal("open", r["part_copied"]!.GetValue<string>());
        Assert.Equal("""[403,"AccessDenied"]""", r["copy_into_owner"]!.ToJsonString());
        Assert.Equal("""[403,"AccessDenied"]""", r["anonymous_copy"]!.ToJsonString());
    }
}
