using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols.RestXml;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// S3's access control lists: canned ACLs, the x-amz-grant-* headers and the AccessControlPolicy document read into
/// grants, the document S3 answers, and the grants as the allow statements they amount to when a request is decided
/// (an ACL only ever allows; a grant to an account lets that account's principals in as a bucket policy naming the
/// account does).
/// </summary>
public static class AccessControl
{
    public const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";
    /// <summary>The canonical user of Amazon EC2's account that reads AMI bundles: the grantee S3 names for aws-exec-read.</summary>
    public const string Ec2BundleReader = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c";
    public const string CanonicalUser = "CanonicalUser";
    public const string Group = "Group";
    private const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>The grant headers of PutBucketAcl, PutObjectAcl, CreateBucket, PutObject, CopyObject and CreateMultipartUpload.</summary>
    private static readonly (string Header, string Permission)[] GrantHeaders =
    [
        ("x-amz-grant-full-control", "FULL_CONTROL"), ("x-amz-grant-read", "READ"), ("x-amz-grant-read-acp", "READ_ACP"),
        ("x-amz-grant-write", "WRITE"), ("x-amz-grant-write-acp", "WRITE_ACP"),
    ];

    private static readonly HashSet<string> Permissions = new(StringComparer.Ordinal) { "FULL_CONTROL", "READ", "READ_ACP", "WRITE", "WRITE_ACP" };

    /// <summary>What each permission allows, after S3's mapping of ACL permissions to policy actions (bucket ACLs and object ACLs differ).</summary>
    private static readonly Dictionary<string, string[]> BucketGrants = new(StringComparer.Ordinal)
    {
        ["READ"] = ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"],
        ["WRITE"] = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        ["READ_ACP"] = ["s3:GetBucketAcl"],
        ["WRITE_ACP"] = ["s3:PutBucketAcl"],
    };

    private static readonly Dictionary<string, string[]> ObjectGrants = new(StringComparer.Ordinal)
    {
        // GetObjectAttributes needs READ on the object, as S3 documents it.
        ["READ"] = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"],
        ["READ_ACP"] = ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
        ["WRITE_ACP"] = ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
    };

    private static S3Grant Account(string accountId, string permission) => new(CanonicalUser, S3Service.CanonicalUserId(accountId), permission);

    /// <summary>The ACL a bucket or object has until one is set: its owner's FULL_CONTROL.</summary>
    public static S3Acl Default(string ownerAccountId) => new(ownerAccountId, [Account(ownerAccountId, "FULL_CONTROL")]);

    /// <summary>
    /// A canned ACL (x-amz-acl). The bucket-owner-* ones speak of objects, and on a bucket are its owner's alone; aws-exec-read
    /// grants READ to Amazon EC2's canonical user, as S3 writes it (no Stratus caller is that user, so it lets no one in).
    /// </summary>
    public static S3Acl Canned(string name, string ownerAccountId, string bucketOwnerAccountId, bool forBucket)
    {
        var grants = new List<S3Grant> { Account(ownerAccountId, "FULL_CONTROL") };
        switch (name)
        {
            case "private":
                break;
            case "public-read":
                grants.Add(new(Group, AllUsers, "READ"));
                break;
            case "public-read-write":
                grants.Add(new(Group, AllUsers, "READ"));
                grants.Add(new(Group, AllUsers, "WRITE"));
                break;
            case "authenticated-read":
                grants.Add(new(Group, AuthenticatedUsers, "READ"));
                break;
            case "bucket-owner-read" or "bucket-owner-full-control":
                if (!forBucket && bucketOwnerAccountId != ownerAccountId)
                    grants.Add(Account(bucketOwnerAccountId, name == "bucket-owner-read" ? "READ" : "FULL_CONTROL"));
                break;
            case "log-delivery-write" when forBucket:
                grants.Add(new(Group, LogDelivery, "WRITE"));
                grants.Add(new(Group, LogDelivery, "READ_ACP"));
                break;
            case "aws-exec-read":
                grants.Add(new(CanonicalUser, Ec2BundleReader, "READ"));
                break;
            default:
                throw S3Errors.InvalidArgument("", "x-amz-acl", name);
        }
        return new(ownerAccountId, grants);
    }

    /// <summary>
    /// The ACL a request's headers ask for (x-amz-acl, or x-amz-grant-* added to the owner's), or null when it names none.
    /// Both at once is refused, as S3 refuses it.
    /// </summary>
    public static S3Acl? FromHeaders(IHeaderDictionary headers, string ownerAccountId, string bucketOwnerAccountId, bool forBucket)
    {
        var canned = headers.TryGetValue("x-amz-acl", out var cannedValue) ? cannedValue.ToString() : null;
        var grants = new List<S3Grant>();
        foreach (var (header, permission) in GrantHeaders)
            if (headers.TryGetValue(header, out var value)) grants.AddRange(ParseGrantHeader(header, value.ToString(), permission));
        var namesGrants = GrantHeaders.Any(g => headers.ContainsKey(g.Header));
        if (canned is not null && namesGrants) throw S3Errors.CannedAclWithGrants();
        if (canned is not null) return Canned(canned, ownerAccountId, bucketOwnerAccountId, forBucket);
        // Grant headers replace the ACL: the owner keeps only what they grant it, as on S3.
        return namesGrants ? new S3Acl(ownerAccountId, grants) : null;
    }

    /// <summary>One grant header: a comma-separated list of id="...", uri="..." or emailAddress="...".</summary>
    private static IEnumerable<S3Grant> ParseGrantHeader(string header, string value, string permission)
    {
        foreach (var grantee in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = grantee.IndexOf('=');
            if (equals <= 0) throw S3Errors.InvalidArgument("Invalid grantee", header, value);
            var kind = grantee[..equals].Trim();
            var name = grantee[(equals + 1)..].Trim().Trim('"');
            yield return kind.ToLowerInvariant() switch
            {
                "id" => CanonicalGrant(name, permission, () => S3Errors.InvalidArgument("Invalid id", header, value)),
                "uri" => GroupGrant(name, permission, () => S3Errors.InvalidArgument("Invalid group uri", header, value)),
                "emailaddress" => throw S3Errors.EmailGranteeDiscontinued(),
                _ => throw S3Errors.InvalidArgument("Invalid grantee", header, value),
            };
        }
    }

    private static S3Grant CanonicalGrant(string id, string permission, Func<Exception> invalid) =>
        id.Length == 64 && id.All(char.IsAsciiHexDigit) ? new(CanonicalUser, id.ToLowerInvariant(), permission) : throw invalid();

    private static S3Grant GroupGrant(string uri, string permission, Func<Exception> invalid) =>
        uri is AllUsers or AuthenticatedUsers or LogDelivery ? new(Group, uri, permission) : throw invalid();

    /// <summary>An AccessControlPolicy document (PutBucketAcl/PutObjectAcl's body). Its Owner must be the resource's owner.</summary>
    public static S3Acl FromDocument(XElement document, string ownerAccountId)
    {
        if (document.Name.LocalName != "AccessControlPolicy") throw S3Errors.MalformedAcl();
        var owner = document.Child("Owner")?.ChildValue("ID") ?? throw S3Errors.MalformedAcl();
        if (!string.Equals(owner, S3Service.CanonicalUserId(ownerAccountId), StringComparison.OrdinalIgnoreCase)) throw S3Errors.AccessDenied();
        var grants = new List<S3Grant>();
        foreach (var grant in document.Child("AccessControlList")?.Children("Grant") ?? [])
        {
            var grantee = grant.Child("Grantee") ?? throw S3Errors.MalformedAcl();
            var permission = grant.ChildValue("Permission") ?? throw S3Errors.MalformedAcl();
            if (!Permissions.Contains(permission)) throw S3Errors.MalformedAcl();
            var type = grantee.Attribute(XName.Get("type", XsiNamespace))?.Value;
            grants.Add(type switch
            {
                CanonicalUser => CanonicalGrant(grantee.ChildValue("ID") ?? "", permission, () => S3Errors.InvalidArgument("Invalid id", "CanonicalUser/ID", grantee.ChildValue("ID") ?? "")),
                Group => GroupGrant(grantee.ChildValue("URI") ?? "", permission, () => S3Errors.InvalidArgument("Invalid group uri", "Group/URI", grantee.ChildValue("URI") ?? "")),
                "AmazonCustomerByEmail" => throw S3Errors.EmailGranteeDiscontinued(),
                _ => throw S3Errors.MalformedAcl(),
            });
        }
        return new(ownerAccountId, grants);
    }

    /// <summary>The AccessControlPolicy document GetBucketAcl and GetObjectAcl answer.</summary>
    public static XElement Document(S3Acl acl, string xmlNamespace)
    {
        XNamespace s3 = xmlNamespace;
        XNamespace xsi = XsiNamespace;
        return new XElement(s3 + "AccessControlPolicy",
            new XElement(s3 + "Owner", new XElement(s3 + "ID", S3Service.CanonicalUserId(acl.OwnerAccountId))),
            new XElement(s3 + "AccessControlList", acl.Grants.Select(g =>
                new XElement(s3 + "Grant",
                    new XElement(s3 + "Grantee", new XAttribute(XNamespace.Xmlns + "xsi", xsi), new XAttribute(xsi + "type", g.GranteeType),
                        new XElement(s3 + (g.GranteeType == Group ? "URI" : "ID"), g.Grantee)),
                    new XElement(s3 + "Permission", g.Permission)))));
    }

    /// <summary>Whether an ACL grants the AllUsers or AuthenticatedUsers group anything: what Block Public Access calls a public ACL.</summary>
    public static bool IsPublic(S3Acl acl) => acl.Grants.Any(g => g.GranteeType == Group && g.Grantee is AllUsers or AuthenticatedUsers);

    /// <summary>Whether an ACL grants no one but the bucket's owner: the only ACL a bucket with ACLs disabled (BucketOwnerEnforced) accepts.</summary>
    public static bool GrantsOnly(S3Acl acl, string bucketOwnerAccountId) =>
        acl.Grants.All(g => g.GranteeType == CanonicalUser && g.Grantee == S3Service.CanonicalUserId(bucketOwnerAccountId));

    private static readonly TextPosition Nowhere = new(0, 0);

    /// <summary>
    /// The grants of a bucket's or an object's ACL that reach this caller, as allow statements: AllUsers as everyone,
    /// AuthenticatedUsers as everyone who signed, a canonical user as its account (which, within the owner's account,
    /// only delegates to IAM, as on S3). Public grants are left out under IgnorePublicAcls; LogDelivery reaches no caller.
    /// </summary>
    public static IEnumerable<PolicyStatement> Statements(S3Acl acl, bool onBucket, S3Caller caller, bool ignorePublic)
    {
        var actions = onBucket ? BucketGrants : ObjectGrants;
        var callerId = caller.IsAnonymous ? null : S3Service.CanonicalUserId(caller.AccountId);
        foreach (var grant in acl.Grants)
        {
            PolicyPrincipals? principal = grant switch
            {
                { GranteeType: Group, Grantee: AllUsers } when !ignorePublic => new(true, ["*"]),
                { GranteeType: Group, Grantee: AuthenticatedUsers } when !ignorePublic && !caller.IsAnonymous => new(true, ["*"]),
                { GranteeType: CanonicalUser } when grant.Grantee == callerId => new(false, [caller.AccountId]),
                _ => null,
            };
            if (principal is null) continue;
            var allowed = grant.Permission == "FULL_CONTROL" ? actions.Values.SelectMany(a => a).ToArray() : actions.GetValueOrDefault(grant.Permission);
            if (allowed is null) continue;
            yield return new PolicyStatement
            {
                Sid = "ACL " + grant.Permission, Effect = StatementEffect.Allow, Actions = allowed, Resources = ["*"], Principal = principal,
                Start = Nowhere, End = Nowhere,
            };
        }
    }
}
