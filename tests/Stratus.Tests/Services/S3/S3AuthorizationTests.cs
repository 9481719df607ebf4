using Stratus.Protocols;
using Stratus.Services.Iam.Engine;
using Stratus.Services.S3;
using Stratus.Services.S3.Engine;

namespace Stratus.Tests.Services.S3;

/// <summary>S3's authorization without a server: action names per operation, and the decision over identity policies and the bucket policy.</summary>
public sealed class S3AuthorizationTests
{
    private const string Account = "111111111111";
    private const string OtherAccount = "222222222222";
    private const string Alice = "arn:aws:iam::111111111111:user/alice";
    private const string Mallory = "arn:aws:iam::222222222222:user/mallory";

    private static S3Bucket Bucket(string? policy = null, string owner = Account) =>
        new() { Name = "photos", AccountId = owner, Region = "us-east-1", CreationDate = DateTimeOffset.UnixEpoch, Policy = policy };

    private static PolicySet Identity(params string[] statements) => new()
    {
        Identity = [new SourcedPolicy("inline", PolicySourceKind.User, Policy.Parse($$"""{"Version":"2012-10-17","Statement":[{{string.Join(',', statements)}}]}"""))],
    };

    private static string BucketPolicy(params string[] statements) => $$"""{"Version":"2012-10-17","Statement":[{{string.Join(',', statements)}}]}""";

    private static S3Permission Get(string key) => S3Authorization.Required("GetObject", "photos", key, namesVersion: false)!;

    [Theory]
    [InlineData("HeadObject", false, "s3:GetObject", "arn:aws:s3:::photos/k")]
    [InlineData("GetObject", true, "s3:GetObjectVersion", "arn:aws:s3:::photos/k")]
    [InlineData("DeleteObject", true, "s3:DeleteObjectVersion", "arn:aws:s3:::photos/k")]
    [InlineData("ListObjectsV2", false, "s3:ListBucket", "arn:aws:s3:::photos")]
    [InlineData("HeadBucket", false, "s3:ListBucket", "arn:aws:s3:::photos")]
    [InlineData("ListObjectVersions", false, "s3:ListBucketVersions", "arn:aws:s3:::photos")]
    [InlineData("CompleteMultipartUpload", false, "s3:PutObject", "arn:aws:s3:::photos/k")]
    [InlineData("DeleteBucketCors", false, "s3:PutBucketCORS", "arn:aws:s3:::photos")]
    [InlineData("ListBuckets", false, "s3:ListAllMyBuckets", "*")]
    public void Operations_are_authorized_as_the_actions_aws_names(string operation, bool namesVersion, string action, string resource) =>
        Assert.Equal(new S3Permission(action, resource), S3Authorization.Required(operation, "photos", "k", namesVersion));

    [Fact]
    public void Outside_enforce_a_signed_caller_may_do_anything_in_its_own_account()
    {
        var caller = new S3Caller(Alice, null, Account, IdentityPolicies: null);
        Assert.Null(S3Authorization.Decide(caller, Get("k"), Bucket()));
    }

    [Fact]
    public void Identity_policies_are_matched_against_the_object_arn()
    {
        var caller = new S3Caller(Alice, null, Account, Identity("""{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/public/*"}"""));
        Assert.Null(S3Authorization.Decide(caller, Get("public/cat.jpg"), Bucket()));
        var denied = S3Authorization.Decide(caller, Get("private/cat.jpg"), Bucket());
        Assert.Equal("AccessDenied", denied!.Code);
        Assert.Equal("User: arn:aws:iam::111111111111:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::photos/private/cat.jpg\" because no identity-based policy allows the s3:GetObject action",
            denied.Message);
    }

    [Fact]
    public void In_the_owners_account_the_bucket_policy_alone_may_allow_and_its_deny_wins()
    {
        var policy = BucketPolicy(
            $$"""{"Effect":"Allow","Principal":{"AWS":"{{Alice}}"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}""",
            """{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/secret/*"}""");
        var caller = new S3Caller(Alice, null, Account, Identity("""{"Effect":"Allow","Action":"s3:*","Resource":"*"}"""));
        var unpoliced = caller with { IdentityPolicies = Identity("""{"Effect":"Allow","Action":"iam:*","Resource":"*"}""") };
        Assert.Null(S3Authorization.Decide(unpoliced, Get("a.jpg"), Bucket(policy)));
        Assert.Contains("with an explicit deny in a resource-based policy", S3Authorization.Decide(caller, Get("secret/a.jpg"), Bucket(policy))!.Message);
    }

    [Fact]
    public void From_another_account_both_the_bucket_policy_and_the_callers_own_must_allow()
    {
        var grant = BucketPolicy($$"""{"Effect":"Allow","Principal":{"AWS":"{{OtherAccount}}"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}""");
        var mallory = new S3Caller(Mallory, null, OtherAccount, Identity("""{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"""));
        Assert.Null(S3Authorization.Decide(mallory, Get("a.jpg"), Bucket(grant)));
        Assert.Contains("because no resource-based policy allows the s3:GetObject action", S3Authorization.Decide(mallory, Get("a.jpg"), Bucket())!.Message);
        var withoutOwn = mallory with { IdentityPolicies = Identity("""{"Effect":"Allow","Action":"iam:*","Resource":"*"}""") };
        Assert.Contains("because no identity-based policy allows", S3Authorization.Decide(withoutOwn, Get("a.jpg"), Bucket(grant))!.Message);
        // Outside enforce the bucket policy's grant is enough, and without one another account's bucket stays closed.
        Assert.Null(S3Authorization.Decide(mallory with { IdentityPolicies = null }, Get("a.jpg"), Bucket(grant)));
        Assert.Equal("Access Denied", S3Authorization.Decide(mallory with { IdentityPolicies = null }, Get("a.jpg"), Bucket())!.Message);
    }

    [Fact]
    public void Anonymous_requests_need_a_policy_open_to_everyone_with_its_conditions()
    {
        var anonymous = new S3Caller(null, null, "000000000000", null) { Keys = new Dictionary<string, string> { ["aws:SourceIp"] = "127.0.0.1" } };
        var open = BucketPolicy("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}""");
        var elsewhere = open.Replace("127.0.0.0/8", "10.0.0.0/8");
        Assert.Null(S3Authorization.Decide(anonymous, Get("a.jpg"), Bucket(open)));
        Assert.Equal("Access Denied", S3Authorization.Decide(anonymous, Get("a.jpg"), Bucket(elsewhere))!.Message);
        Assert.NotNull(S3Authorization.Decide(anonymous, Get("a.jpg"), Bucket()));
        Assert.NotNull(S3Authorization.Decide(anonymous, S3Authorization.Required("ListObjectsV2", "photos", "", false)!, Bucket(open)));
        Assert.True(S3Authorization.IsPublic(open.Replace(""","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}""", "")));
        Assert.False(S3Authorization.IsPublic(open));
    }

    private static S3Bucket WithAcls(S3Acl? acl, string ownership = "ObjectWriter") => Bucket() with
    {
        Acl = acl, Configurations = new() { [ObjectOwnership.Subresource] = ObjectOwnership.Document(ownership) },
    };

    [Fact]
    public void Acl_grants_allow_the_groups_and_accounts_they_name_and_count_for_nothing_with_acls_disabled()
    {
        var anonymous = new S3Caller(null, null, "000000000000", null);
        var mallory = new S3Caller(Mallory, null, OtherAccount, null);
        var publicRead = new S3ObjectVersion { VersionId = "null", LastModified = DateTimeOffset.UnixEpoch, Acl = AccessControl.Canned("public-read", Account, Account, forBucket: false) };
        Assert.Null(S3Authorization.Decide(anonymous, Get("a.jpg"), WithAcls(null), publicRead));
        Assert.Null(S3Authorization.Decide(mallory, Get("a.jpg"), WithAcls(null), publicRead));
        // READ on an object is not READ_ACP, and with BucketOwnerEnforced the ACL no longer counts.
        Assert.NotNull(S3Authorization.Decide(anonymous, S3Authorization.Required("GetObjectAcl", "photos", "a.jpg", false)!, WithAcls(null), publicRead));
        Assert.NotNull(S3Authorization.Decide(anonymous, Get("a.jpg"), WithAcls(null, ObjectOwnership.BucketOwnerEnforced), publicRead));

        var toMallory = new S3Acl(Account, [new S3Grant(AccessControl.CanonicalUser, S3Service.CanonicalUserId(OtherAccount), "WRITE")]);
        var put = S3Authorization.Required("PutObject", "photos", "new.jpg", false)!;
        Assert.Null(S3Authorization.Decide(mallory, put, WithAcls(toMallory)));
        Assert.NotNull(S3Authorization.Decide(anonymous, put, WithAcls(toMallory)));
        Assert.NotNull(S3Authorization.Decide(mallory, S3Authorization.Required("ListObjectsV2", "photos", "", false)!, WithAcls(toMallory)));

        var authenticated = AccessControl.Canned("authenticated-read", Account, Account, forBucket: true);
        var list = S3Authorization.Required("ListObjectsV2", "photos", "", false)!;
        Assert.Null(S3Authorization.Decide(mallory, list, WithAcls(authenticated)));
        Assert.NotNull(S3Authorization.Decide(anonymous, list, WithAcls(authenticated)));
        var ignoring = WithAcls(authenticated);
        ignoring = ignoring with
        {
            Configurations = new(ignoring.Configurations)
            {
                [PublicAccessBlock.Subresource] = "<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls></PublicAccessBlockConfiguration>",
            },
        };
        Assert.NotNull(S3Authorization.Decide(mallory, list, ignoring));
    }

    [Fact]
    public void Canned_acls_and_grant_headers_read_as_s3_defines_them()
    {
        Assert.Equal(["FULL_CONTROL"], AccessControl.Canned("bucket-owner-full-control", Account, Account, forBucket: false).Grants.Select(g => g.Permission));
        var crossAccount = AccessControl.Canned("bucket-owner-full-control", OtherAccount, Account, forBucket: false);
        Assert.True(AccessControl.GrantsOnly(crossAccount with { Grants = crossAccount.Grants.Skip(1).ToList() }, Account));
        Assert.True(AccessControl.IsPublic(AccessControl.Canned("public-read-write", Account, Account, forBucket: true)));
        Assert.Equal("InvalidArgument", Assert.IsType<AwsException>(Record.Exception(() => AccessControl.Canned("public", Account, Account, forBucket: true))).Code);
    }

    [Fact]
    public void Object_tag_condition_keys_are_the_existing_objects_and_the_requests_tags()
    {
        var policy = BucketPolicy(
            """{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/share":"yes"}}}""",
            """{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*","Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["share"]},"StringEquals":{"s3:RequestObjectTag/share":"yes"}}}""");
        var mallory = new S3Caller(Mallory, null, OtherAccount, null);
        S3ObjectVersion Tagged(string value) => new() { VersionId = "null", LastModified = DateTimeOffset.UnixEpoch, Tags = new() { ["share"] = value } };
        Assert.Null(S3Authorization.Decide(mallory, Get("a.jpg"), Bucket(policy), Tagged("yes")));
        Assert.NotNull(S3Authorization.Decide(mallory, Get("a.jpg"), Bucket(policy), Tagged("no")));
        var put = S3Authorization.Required("PutObject", "photos", "b.jpg", false)!;
        Assert.Null(S3Authorization.Decide(mallory, put, Bucket(policy), requestTags: new Dictionary<string, string> { ["share"] = "yes" }));
        Assert.NotNull(S3Authorization.Decide(mallory, put, Bucket(policy), requestTags: new Dictionary<string, string> { ["share"] = "yes", ["x"] = "1" }));
        Assert.NotNull(S3Authorization.Decide(mallory, put, Bucket(policy)));
    }

    [Theory]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}""", null)]
    [InlineData("""{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}""", null)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/logs/*"}]}""", null)]
    [InlineData("""[]""", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos/*"}]}""", "Action does not apply to any resource(s) in statement")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}""", "Missing required field Resource")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1::photos/*"}]}""", "Policy has invalid resource")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEqualz":{"s3:prefix":"a"}}}]}""", "Invalid Condition type : StringEqualz")]
    public void Bucket_policies_are_validated_with_s3s_messages(string policy, string? message)
    {
        var error = Record.Exception(() => S3Authorization.ValidatePolicy("photos", policy));
        if (message is null) Assert.Null(error);
        else Assert.Equal(("MalformedPolicy", message), (Assert.IsType<AwsException>(error).Code, error.Message));
    }
}
