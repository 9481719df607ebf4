using System.Text.Json;
using System.Xml.Linq;
using Stratus.Protocols;
using Stratus.Protocols.RestXml;
using Stratus.Services.S3.Engine;
using Stratus.Services.Iam.Engine;
using Stratus.Protocols.Json;

namespace Stratus.Services.S3;

/// <summary>One permission a request needs: an IAM action on an S3 resource ARN.</summary>
public sealed record S3Permission(string Action, string Resource);

/// <summary>
/// Who asks S3 for something and the request's condition keys: the caller (null for an anonymous request), its account,
/// whether its identity policies are enforced (<c>--auth enforce</c>), and the keys AWS sets for S3 requests.
/// </summary>
public sealed record S3Caller(string? PrincipalArn, string? PrincipalId, string AccountId, PolicySet? IdentityPolicies)
{
    public bool IsAnonymous => PrincipalArn is null;
    /// <summary>Condition keys beside the principal's own (aws:SourceIp, s3:prefix, s3:signatureversion, ...).</summary>
    public IReadOnlyDictionary<string, string> Keys { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// S3's authorization, as AWS decides it: each wire operation's IAM actions (the Service Authorization Reference's
/// names, which differ from the operations': HeadObject is s3:GetObject, ListObjectsV2 s3:ListBucket, a versionId
/// asks for s3:GetObjectVersion), on the bucket's or the object's ARN, judged by the IAM policy engine over the
/// caller's identity policies and the bucket policy. Within the bucket owner's account either may allow; from another
/// account both must; an explicit deny in either decides; an anonymous request needs the bucket policy to allow everyone.
/// </summary>
public static class S3Authorization
{
    public static string BucketArn(string bucket) => "arn:aws:s3:::" + bucket;

    public static string ObjectArn(string bucket, string key) => $"arn:aws:s3:::{bucket}/{key}";

    private enum On { Account, Bucket, Object }

    /// <summary>Each served operation's action, the action it is when it names a versionId, and what it acts on.</summary>
    private static readonly Dictionary<string, (string Action, string? WithVersion, On On)> Actions = new(StringComparer.Ordinal)
    {
        ["ListBuckets"] = ("s3:ListAllMyBuckets", null, On.Account),
        ["CreateBucket"] = ("s3:CreateBucket", null, On.Bucket),
        ["HeadBucket"] = ("s3:ListBucket", null, On.Bucket),
        ["DeleteBucket"] = ("s3:DeleteBucket", null, On.Bucket),
        ["GetBucketLocation"] = ("s3:GetBucketLocation", null, On.Bucket),
        ["ListObjects"] = ("s3:ListBucket", null, On.Bucket),
        ["ListObjectsV2"] = ("s3:ListBucket", null, On.Bucket),
        ["ListObjectVersions"] = ("s3:ListBucketVersions", null, On.Bucket),
        ["ListMultipartUploads"] = ("s3:ListBucketMultipartUploads", null, On.Bucket),
        ["GetBucketVersioning"] = ("s3:GetBucketVersioning", null, On.Bucket),
        ["PutBucketVersioning"] = ("s3:PutBucketVersioning", null, On.Bucket),
        ["GetBucketPolicy"] = ("s3:GetBucketPolicy", null, On.Bucket),
        ["PutBucketPolicy"] = ("s3:PutBucketPolicy", null, On.Bucket),
        ["DeleteBucketPolicy"] = ("s3:DeleteBucketPolicy", null, On.Bucket),
        ["GetBucketPolicyStatus"] = ("s3:GetBucketPolicyStatus", null, On.Bucket),
        ["GetBucketTagging"] = ("s3:GetBucketTagging", null, On.Bucket),
        ["PutBucketTagging"] = ("s3:PutBucketTagging", null, On.Bucket),
        ["DeleteBucketTagging"] = ("s3:PutBucketTagging", null, On.Bucket),
        ["GetPublicAccessBlock"] = ("s3:GetBucketPublicAccessBlock", null, On.Bucket),
        ["PutPublicAccessBlock"] = ("s3:PutBucketPublicAccessBlock", null, On.Bucket),
        ["DeletePublicAccessBlock"] = ("s3:PutBucketPublicAccessBlock", null, On.Bucket),
        ["GetBucketEncryption"] = ("s3:GetEncryptionConfiguration", null, On.Bucket),
        ["PutBucketEncryption"] = ("s3:PutEncryptionConfiguration", null, On.Bucket),
        ["DeleteBucketEncryption"] = ("s3:PutEncryptionConfiguration", null, On.Bucket),
        ["GetBucketLifecycleConfiguration"] = ("s3:GetLifecycleConfiguration", null, On.Bucket),
        ["PutBucketLifecycleConfiguration"] = ("s3:PutLifecycleConfiguration", null, On.Bucket),
        ["DeleteBucketLifecycle"] = ("s3:PutLifecycleConfiguration", null, On.Bucket),
        ["GetBucketCors"] = ("s3:GetBucketCORS", null, On.Bucket),
        ["PutBucketCors"] = ("s3:PutBucketCORS", null, On.Bucket),
        ["DeleteBucketCors"] = ("s3:PutBucketCORS", null, On.Bucket),
        ["GetBucketWebsite"] = ("s3:GetBucketWebsite", null, On.Bucket),
        ["PutBucketWebsite"] = ("s3:PutBucketWebsite", null, On.Bucket),
        ["DeleteBucketWebsite"] = ("s3:DeleteBucketWebsite", null, On.Bucket),
        ["GetBucketOwnershipControls"] = ("s3:GetBucketOwnershipControls", null, On.Bucket),
        ["PutBucketOwnershipControls"] = ("s3:PutBucketOwnershipControls", null, On.Bucket),
        ["DeleteBucketOwnershipControls"] = ("s3:PutBucketOwnershipControls", null, On.Bucket),
        ["GetBucketNotificationConfiguration"] = ("s3:GetBucketNotification", null, On.Bucket),
        ["PutBucketNotificationConfiguration"] = ("s3:PutBucketNotification", null, On.Bucket),
        ["GetBucketAcl"] = ("s3:GetBucketAcl", null, On.Bucket),
        ["PutBucketAcl"] = ("s3:PutBucketAcl", null, On.Bucket),
        ["GetObjectLockConfiguration"] = ("s3:GetBucketObjectLockConfiguration", null, On.Bucket),
        ["PutObject"] = ("s3:PutObject", null, On.Object),
        ["GetObject"] = ("s3:GetObject", "s3:GetObjectVersion", On.Object),
        ["HeadObject"] = ("s3:GetObject", "s3:GetObjectVersion", On.Object),
        ["GetObjectAttributes"] = ("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes", On.Object),
        ["DeleteObject"] = ("s3:DeleteObject", "s3:DeleteObjectVersion", On.Object),
        ["CopyObject"] = ("s3:PutObject", null, On.Object),
        ["GetObjectTagging"] = ("s3:GetObjectTagging", "s3:GetObjectVersionTagging", On.Object),
        ["PutObjectTagging"] = ("s3:PutObjectTagging", "s3:PutObjectVersionTagging", On.Object),
        ["DeleteObjectTagging"] = ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", On.Object),
        ["GetObjectAcl"] = ("s3:GetObjectAcl", "s3:GetObjectVersionAcl", On.Object),
        ["PutObjectAcl"] = ("s3:PutObjectAcl", "s3:PutObjectVersionAcl", On.Object),
        ["GetObjectRetention"] = ("s3:GetObjectRetention", null, On.Object),
        ["PutObjectRetention"] = ("s3:PutObjectRetention", null, On.Object),
        ["GetObjectLegalHold"] = ("s3:GetObjectLegalHold", null, On.Object),
        ["PutObjectLegalHold"] = ("s3:PutObjectLegalHold", null, On.Object),
        ["CreateMultipartUpload"] = ("s3:PutObject", null, On.Object),
        ["UploadPart"] = ("s3:PutObject", null, On.Object),
        ["UploadPartCopy"] = ("s3:PutObject", null, On.Object),
        ["CompleteMultipartUpload"] = ("s3:PutObject", null, On.Object),
        ["AbortMultipartUpload"] = ("s3:AbortMultipartUpload", null, On.Object),
        ["ListParts"] = ("s3:ListMultipartUploadParts", null, On.Object),
    };

    /// <summary>The actions that act on objects (arn:aws:s3:::bucket/key), for telling a bucket policy's statement whose actions fit none of its resources.</summary>
    private static readonly HashSet<string> ObjectActions = Actions.Values.Where(a => a.On == On.Object)
        .SelectMany(a => a.WithVersion is { } v ? [a.Action, v] : new[] { a.Action }).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> BucketActions = Actions.Values.Where(a => a.On == On.Bucket).Select(a => a.Action).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What an operation needs. DeleteObjects checks s3:DeleteObject key by key, and CopyObject/UploadPartCopy their source's
    /// s3:GetObject beside this, as S3 does; an operation Stratus does not serve needs nothing (it answers NotImplemented).
    /// </summary>
    public static S3Permission? Required(string operation, string? bucket, string key, bool namesVersion)
    {
        if (!Actions.TryGetValue(operation, out var entry)) return null;
        var action = namesVersion && entry.WithVersion is { } versioned ? versioned : entry.Action;
        return entry.On switch
        {
            On.Account => new S3Permission(action, "*"),
            On.Bucket => new S3Permission(action, BucketArn(bucket ?? "")),
            _ => new S3Permission(action, ObjectArn(bucket ?? "", key)),
        };
    }

    /// <summary>
    /// The actions whose requests carry s3:ExistingObjectTag/&lt;key&gt; (the addressed object's tags), as the Service
    /// Authorization Reference lists them; the operations asking them are the ones that consult the object before they run.
    /// </summary>
    private static readonly HashSet<string> ExistingObjectTagActions = new(StringComparer.OrdinalIgnoreCase)
    {
        "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectVersionAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
        "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
        "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes",
    };

    /// <summary>Whether deciding an operation looks at the object it addresses (its ACL, its tags): reads, ACL and tagging calls.</summary>
    public static bool ConsultsObject(string operation, bool namesVersion) =>
        Required(operation, null, "", namesVersion) is { } permission && ExistingObjectTagActions.Contains(permission.Action);

    public static S3Permission ReadSource(string bucket, string key, bool namesVersion) =>
        new(namesVersion ? "s3:GetObjectVersion" : "s3:GetObject", ObjectArn(bucket, key));

    public static S3Permission DeleteKey(string bucket, string key, bool namesVersion) =>
        new(namesVersion ? "s3:DeleteObjectVersion" : "s3:DeleteObject", ObjectArn(bucket, key));

    /// <summary>
    /// Whether the caller may do it, as the error S3 answers otherwise. <paramref name="bucket"/> is the bucket addressed
    /// (null for ListBuckets, CreateBucket of a new name, or a bucket that does not exist: the operation then answers for itself).
    /// <paramref name="existing"/> is the object version addressed, when the operation consults it: its ACL and its tags
    /// (s3:ExistingObjectTag/&lt;key&gt;) take part. <paramref name="requestTags"/> are the tags the request writes
    /// (s3:RequestObjectTag/&lt;key&gt;, s3:RequestObjectTagKeys), for PutObject and PutObjectTagging. <paramref name="accountBlock"/> is
    /// the bucket owner's account-level Block Public Access, which combines with the bucket's own.
    /// </summary>
    public static AwsException? Decide(S3Caller caller, S3Permission permission, S3Bucket? bucket, S3ObjectVersion? existing = null,
        IReadOnlyDictionary<string, string>? requestTags = null, PublicAccessBlock? accountBlock = null)
    {
        // An object another account wrote under ObjectWriter (or BucketOwnerPreferred without bucket-owner-full-control) is
        // that account's: S3 decides reads of it and of its ACL and tags as a request to the object owner's account, so the
        // bucket owner gets in only through a grant of the object's ACL (its bucket policy can still deny; deleting stays the
        // bucket owner's right, as S3 documents it, for DeleteObject consults no object).
        var objectOwner = ForeignObjectOwner(permission, bucket, existing);
        var resourceAccount = objectOwner ?? bucket?.AccountId;
        // Bucket ARNs name no account: the resource's owner is said, so the engine knows a request from another account.
        var request = new RequestContext { Action = permission.Action, Resource = permission.Resource, PrincipalArn = caller.PrincipalArn, ResourceAccount = resourceAccount };
        if (caller.PrincipalArn is { } principal) request.WithPrincipal(principal, caller.PrincipalId, caller.AccountId);
        foreach (var (key, value) in caller.Keys) request.With(key, value);
        if (bucket is not null) request.With("s3:ResourceAccount", bucket.AccountId);
        if (existing is not null && ExistingObjectTagActions.Contains(permission.Action))
            foreach (var (key, value) in existing.Tags) request.With("s3:ExistingObjectTag/" + key, value);
        if (requestTags is not null)
        {
            foreach (var (key, value) in requestTags) request.With("s3:RequestObjectTag/" + key, value);
            request.With("s3:RequestObjectTagKeys", [.. requestTags.Keys]);
        }
        var resourcePolicy = ResourcePolicy(caller, bucket, existing, bucketPolicyOnlyDenies: objectOwner is not null, accountBlock);

        if (caller.IsAnonymous)
        {
            // Anonymous requests reach only what the bucket policy or an ACL opens to everyone.
            if (bucket is null || resourcePolicy is null) return S3Errors.AccessDenied();
            return PolicyEvaluator.Evaluate(new PolicySet { Resource = resourcePolicy }, request).Decision == Decision.Allowed ? null : S3Errors.AccessDenied();
        }

        var sameAccount = resourceAccount is null || resourceAccount == caller.AccountId;
        if (sameAccount)
        {
            // Outside --auth enforce (and for the root key, which no policy limits) a valid signature may do anything in its own account.
            if (caller.IdentityPolicies is not { } identity) return null;
            var evaluation = PolicyEvaluator.Evaluate(identity with { Resource = resourcePolicy }, request);
            return evaluation.Decision == Decision.Allowed ? null : Denied(caller, permission, evaluation, crossAccount: false);
        }

        // From another account the bucket policy must grant the caller, and under --auth enforce its own policies too:
        // the engine weighs both sides of a cross-account request at once. Outside enforce the caller's own account sets
        // no limit, as if its policies allowed everything, so the bucket policy alone decides.
        if (resourcePolicy is null) return caller.IdentityPolicies is null ? S3Errors.AccessDenied() : Denied(caller, permission, null, crossAccount: true);
        var own = caller.IdentityPolicies ?? UnlimitedOwnAccount;
        var both = PolicyEvaluator.Evaluate(own with { Resource = resourcePolicy }, request);
        if (both.Decision == Decision.Allowed) return null;
        return caller.IdentityPolicies is null ? S3Errors.AccessDenied() : Denied(caller, permission, both, crossAccount: both.Refusal == Refusal.NoResourceAllow);
    }

    /// <summary>The account owning the object a request consults when it is not the bucket's (ACLs enabled, written by another account); else null.</summary>
    private static string? ForeignObjectOwner(S3Permission permission, S3Bucket? bucket, S3ObjectVersion? existing) =>
        bucket is not null && existing?.Acl is { } acl && acl.OwnerAccountId != bucket.AccountId && ExistingObjectTagActions.Contains(permission.Action)
        && ObjectOwnership.Of(bucket) != ObjectOwnership.BucketOwnerEnforced ? acl.OwnerAccountId : null;

    /// <summary>
    /// What the bucket says of a request, as one resource policy: its bucket policy's statements (a public policy only for
    /// its owner's account under RestrictPublicBuckets; only its denies for an object another account owns, which a bucket
    /// policy cannot grant) and the grants of the bucket's and the object's ACLs that reach the caller (none with ACLs
    /// disabled, BucketOwnerEnforced; no public ones under IgnorePublicAcls).
    /// </summary>
    private static SourcedPolicy? ResourcePolicy(S3Caller caller, S3Bucket? bucket, S3ObjectVersion? existing, bool bucketPolicyOnlyDenies, PublicAccessBlock? accountBlock)
    {
        if (bucket is null) return null;
        // Parsed only when a policy or an ACL is there to weigh: every request to a bucket comes through here.
        PublicAccessBlock? block = null;
        PublicAccessBlock Block() => block ??= PublicAccessBlock.Of(bucket, accountBlock);
        var outsider = caller.IsAnonymous || caller.AccountId != bucket.AccountId;
        var policy = bucket.Policy is { } text && BucketPolicy.TryParse(text) is { } parsed
            && !(outsider && Block().RestrictPublicBuckets && IsPublic(text)) ? parsed : null;
        if (bucketPolicyOnlyDenies && policy is not null)
            policy = new Policy { Statements = [.. policy.Statements.Where(s => s.Effect == StatementEffect.Deny)], VariablesApply = policy.VariablesApply };
        var grants = new List<PolicyStatement>();
        if ((bucket.Acl is not null || existing?.Acl is not null) && ObjectOwnership.Of(bucket) != ObjectOwnership.BucketOwnerEnforced)
        {
            var ignorePublic = Block().IgnorePublicAcls;
            if (bucket.Acl is { } bucketAcl) grants.AddRange(AccessControl.Statements(bucketAcl, onBucket: true, caller, ignorePublic));
            if (existing?.Acl is { } objectAcl) grants.AddRange(AccessControl.Statements(objectAcl, onBucket: false, caller, ignorePublic));
        }
        // The stored policy is parsed once and cached; only a request an ACL speaks to gets a policy of its own.
        if (grants.Count > 0)
            policy = new Policy { Statements = [.. policy?.Statements ?? [], .. grants], VariablesApply = policy?.VariablesApply ?? false };
        return policy is null ? null : new SourcedPolicy("BucketPolicy", PolicySourceKind.Resource, policy);
    }

    private static readonly PolicySet UnlimitedOwnAccount = new()
    {
        Identity = [new SourcedPolicy("outside --auth enforce", PolicySourceKind.None,
            BucketPolicy.TryParse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}""")!)],
    };

    /// <summary>S3's wording of a refusal under IAM, with the resource quoted as S3 quotes it.</summary>
    private static AwsException Denied(S3Caller caller, S3Permission permission, Evaluation? evaluation, bool crossAccount)
    {
        var because = evaluation?.Decision == Decision.ExplicitDeny
            ? evaluation.Matched.Any(m => m.Source.Kind == PolicySourceKind.Resource)
                ? "with an explicit deny in a resource-based policy"
                : "with an explicit deny in an identity-based policy"
            : crossAccount
                ? $"because no resource-based policy allows the {permission.Action} action"
                : evaluation?.AllowedByBoundary == false
                    ? $"because no permissions boundary allows the {permission.Action} action"
                    : $"because no identity-based policy allows the {permission.Action} action";
        return S3Errors.AccessDenied($"User: {caller.PrincipalArn} is not authorized to perform: {permission.Action} on resource: \"{permission.Resource}\" {because}");
    }

    /// <summary>Whether a bucket policy makes the bucket public: it allows everyone ("*") something, with no condition narrowing who.</summary>
    public static bool IsPublic(string policyText) =>
        BucketPolicy.TryParse(policyText) is { } policy
        && policy.Statements.Any(s => s.Effect == StatementEffect.Allow && s.Principal is { Anyone: true } && s.Conditions.Count == 0);

    /// <summary>
    /// A bucket policy as S3 checks it before storing it, with S3's MalformedPolicy messages: valid JSON, a Statement, each
    /// with an Effect, a Principal S3 understands, s3 actions, and resources of this bucket that the actions apply to.
    /// </summary>
    public static void ValidatePolicy(string bucket, string text)
    {
        JsonDocument json;
        try
        {
            json = JsonBody.ParseMemberDocument(text, 32);
        }
        catch (JsonException)
        {
            throw S3Errors.MalformedPolicy("Policies must be valid JSON and the first byte must be '{'");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw S3Errors.MalformedPolicy("Policies must be valid JSON and the first byte must be '{'");
            foreach (var member in root.EnumerateObject())
                if (member.Name is not ("Version" or "Id" or "Statement")) throw S3Errors.MalformedPolicy($"Unknown field {member.Name}");
            if (root.TryGetProperty("Version", out var version) && version.GetString() is not ("2012-10-17" or "2008-10-17"))
                throw S3Errors.MalformedPolicy("Invalid policy syntax.");
            if (!root.TryGetProperty("Statement", out var node)) throw S3Errors.MalformedPolicy("Missing required field Statement");
            List<JsonElement> statements = node.ValueKind switch
            {
                JsonValueKind.Array => [.. node.EnumerateArray()],
                JsonValueKind.Object => [node],
                _ => [],
            };
            if (statements.Count == 0 || statements.Any(s => s.ValueKind != JsonValueKind.Object)) throw S3Errors.MalformedPolicy("Invalid policy syntax.");
            foreach (var statement in statements) ValidateStatement(bucket, statement);
        }
    }

    private static void ValidateStatement(string bucket, JsonElement s)
    {
        foreach (var member in s.EnumerateObject())
            if (member.Name is not ("Sid" or "Effect" or "Principal" or "NotPrincipal" or "Action" or "NotAction" or "Resource" or "NotResource" or "Condition"))
                throw S3Errors.MalformedPolicy($"Unknown field {member.Name}");
        if (!s.TryGetProperty("Effect", out var effect)) throw S3Errors.MalformedPolicy("Missing required field Effect");
        if (effect.ValueKind != JsonValueKind.String || effect.GetString() is not ("Allow" or "Deny"))
            throw S3Errors.MalformedPolicy($"Invalid effect: {(effect.ValueKind == JsonValueKind.String ? effect.GetString() : effect.GetRawText())}");
        var principal = s.TryGetProperty("Principal", out var p) ? p : s.TryGetProperty("NotPrincipal", out var np) ? np : (JsonElement?)null;
        if (principal is null) throw S3Errors.MalformedPolicy("Missing required field Principal");
        if (!IsValidPrincipal(principal.Value)) throw S3Errors.MalformedPolicy("Invalid principal in policy");
        var actions = Strings(s, "Action") ?? Strings(s, "NotAction") ?? throw S3Errors.MalformedPolicy("Missing required field Action");
        if (actions.Count == 0 || actions.Any(a => a != "*" && !(a.StartsWith("s3:", StringComparison.OrdinalIgnoreCase) && a.Length > 3 && a[3..].All(c => char.IsAsciiLetter(c) || c is '*' or '?'))))
            throw S3Errors.MalformedPolicy("Policy has invalid action");
        var resources = Strings(s, "Resource") ?? Strings(s, "NotResource") ?? throw S3Errors.MalformedPolicy("Missing required field Resource");
        if (resources.Count == 0 || resources.Any(r => !NamesThisBucket(bucket, r))) throw S3Errors.MalformedPolicy("Policy has invalid resource");
        if (s.TryGetProperty("Action", out _) && !actions.Any(a => resources.Any(r => Applies(a, r))))
            throw S3Errors.MalformedPolicy("Action does not apply to any resource(s) in statement");
        if (s.TryGetProperty("Condition", out var condition))
        {
            if (condition.ValueKind != JsonValueKind.Object) throw S3Errors.MalformedPolicy("Invalid policy syntax.");
            foreach (var op in condition.EnumerateObject())
            {
                if (ConditionOperators.Parse(op.Name) is null || op.Value.ValueKind != JsonValueKind.Object)
                    throw S3Errors.MalformedPolicy($"Invalid Condition type : {op.Name}");
                if (op.Value.EnumerateObject().Any(k => !k.Name.Contains(':') || k.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Null))
                    throw S3Errors.MalformedPolicy("Policy has an invalid condition key");
            }
        }
    }

    /// <summary>"*", or AWS: "*" / an account id / an IAM or STS ARN, Service: a service principal, CanonicalUser: 64 hex digits, Federated.</summary>
    private static bool IsValidPrincipal(JsonElement principal)
    {
        if (principal.ValueKind == JsonValueKind.String) return principal.GetString() == "*";
        if (principal.ValueKind != JsonValueKind.Object || !principal.EnumerateObject().Any()) return false;
        foreach (var kind in principal.EnumerateObject())
        {
            if (kind.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Array)) return false;
            var values = Policy.Values(kind.Value);
            if (values.Count == 0) return false;
            var valid = kind.Name switch
            {
                "AWS" => values.All(v => v == "*" || v.Length == 12 && v.All(char.IsAsciiDigit)
                    || v.StartsWith("arn:aws:iam::", StringComparison.Ordinal) || v.StartsWith("arn:aws:sts::", StringComparison.Ordinal)),
                "Service" => values.All(v => v.Length > 0 && !v.Contains(' ')),
                "CanonicalUser" => values.All(v => v.Length == 64 && v.All(char.IsAsciiHexDigit)),
                "Federated" => values.All(v => v.Length > 0),
                _ => false,
            };
            if (!valid) return false;
        }
        return true;
    }

    /// <summary>A resource in a bucket policy must be the bucket's ARN or its objects' (wildcards allowed), in the aws partition, without region or account.</summary>
    private static bool NamesThisBucket(string bucket, string resource)
    {
        const string prefix = "arn:aws:s3:::";
        if (!resource.StartsWith(prefix, StringComparison.Ordinal) || resource.Length == prefix.Length) return false;
        var path = resource[prefix.Length..];
        var slash = path.IndexOf('/');
        return Wildcard.Matches(slash < 0 ? path : path[..slash], bucket, ignoreCase: false);
    }

    /// <summary>Whether an action pattern can apply to a resource: object actions to object ARNs, bucket actions to the bucket's; wildcards and actions Stratus does not classify to either.</summary>
    private static bool Applies(string action, string resource)
    {
        var onObject = resource["arn:aws:s3:::".Length..].Contains('/');
        if (action.Contains('*') || action.Contains('?')) return true;
        if (ObjectActions.Contains(action)) return onObject;
        if (BucketActions.Contains(action)) return !onObject;
        return true;
    }

    private static List<string>? Strings(JsonElement statement, string name) =>
        statement.TryGetProperty(name, out var value) ? value.ValueKind is JsonValueKind.String or JsonValueKind.Array ? Policy.Values(value) : [] : null;
}

/// <summary>A stored bucket policy as the IAM engine reads it.</summary>
public static class BucketPolicy
{
    /// <summary>The parsed policy; null for a document stored before bucket policies were validated that the engine cannot read (it then grants and denies nothing).</summary>
    public static Policy? TryParse(string text)
    {
        try
        {
            return Policy.Parse(text);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>
/// A bucket's Object Ownership, from its ownership controls. Every bucket is created with them (BucketOwnerEnforced unless asked
/// otherwise, as S3 creates buckets since April 2023); a bucket without them (deleted by DeleteBucketOwnershipControls, or stored
/// by a Stratus older than those defaults) is ObjectWriter with ACLs enabled, as S3 treats a bucket that has no ownership controls.
/// </summary>
public static class ObjectOwnership
{
    public const string Subresource = "ownershipControls";
    public const string BucketOwnerEnforced = "BucketOwnerEnforced";
    public const string BucketOwnerPreferred = "BucketOwnerPreferred";
    public const string ObjectWriter = "ObjectWriter";

    public static string Of(S3Bucket bucket) =>
        bucket.Configurations.GetValueOrDefault(Subresource) is { } stored ? InDocument(stored) ?? ObjectWriter : ObjectWriter;

    /// <summary>The setting an OwnershipControls document names (Rule/ObjectOwnership).</summary>
    public static string? InDocument(string document) => XElement.Parse(document).Child("Rule")?.ChildValue("ObjectOwnership");

    public static string Document(string ownership) =>
        $"<OwnershipControls><Rule><ObjectOwnership>{ownership}</ObjectOwnership></Rule></OwnershipControls>";

    public static bool IsValid(string? ownership) => ownership is BucketOwnerEnforced or BucketOwnerPreferred or ObjectWriter;
}

/// <summary>
/// Block Public Access settings: a bucket's, or its account's (s3control's account-level configuration). A bucket without a
/// configuration has all four off: one whose block was deleted, or one stored by a Stratus older than S3's April 2023 defaults,
/// which keeps what it had, as S3 left existing buckets unchanged then.
/// </summary>
public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets)
{
    public const string Subresource = "publicAccessBlock";

    public static readonly PublicAccessBlock None = new(false, false, false, false);

    /// <summary>The configuration S3 gives every new bucket since April 2023: all four settings on.</summary>
    public const string AllBlocked = "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
        + "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";

    /// <summary>
    /// What applies to a bucket: each setting on when the bucket's or its account's configuration turns it on, as S3 combines
    /// them (the more restrictive wins). <paramref name="account"/> is the bucket owner's account-level configuration, if any.
    /// </summary>
    public static PublicAccessBlock Of(S3Bucket bucket, PublicAccessBlock? account)
    {
        var own = bucket.Configurations.GetValueOrDefault(Subresource) is { } stored ? Parse(stored) : None;
        return account is null ? own : new(own.BlockPublicAcls || account.BlockPublicAcls, own.IgnorePublicAcls || account.IgnorePublicAcls,
            own.BlockPublicPolicy || account.BlockPublicPolicy, own.RestrictPublicBuckets || account.RestrictPublicBuckets);
    }

    /// <summary>The settings of a PublicAccessBlockConfiguration document (any namespace: S3's or S3 Control's); a setting it leaves out is off.</summary>
    public static PublicAccessBlock Parse(string document)
    {
        var root = XElement.Parse(document);
        bool Flag(string name) => string.Equals(root.ChildValue(name), "true", StringComparison.OrdinalIgnoreCase);
        return new(Flag("BlockPublicAcls"), Flag("IgnorePublicAcls"), Flag("BlockPublicPolicy"), Flag("RestrictPublicBuckets"));
    }

    /// <summary>The document with all four settings, as S3 and S3 Control answer it, in the given namespace.</summary>
    public XElement Document(string xmlNamespace)
    {
        XNamespace ns = xmlNamespace;
        static string Text(bool on) => on ? "true" : "false";
        return new XElement(ns + "PublicAccessBlockConfiguration",
            new XElement(ns + "BlockPublicAcls", Text(BlockPublicAcls)), new XElement(ns + "IgnorePublicAcls", Text(IgnorePublicAcls)),
            new XElement(ns + "BlockPublicPolicy", Text(BlockPublicPolicy)), new XElement(ns + "RestrictPublicBuckets", Text(RestrictPublicBuckets)));
    }
}
