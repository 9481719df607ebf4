using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.S3.Engine;

namespace Stratus.Services.S3;

/// <summary>
/// S3's domain: buckets and their configurations, objects and their versions, multipart uploads.
/// Metadata lives in the state store (committed only after an object's bytes are durable on disk); a
/// per-bucket sorted key index in memory keeps listing a page a logarithmic seek plus the page.
/// </summary>
public sealed class S3Service : IS3ObjectReader, IDisposable
{
    private const string VersionIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    private const string UploadIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private readonly ResourceTable<S3Bucket> _buckets;
    private readonly ResourceTable<S3ObjectEntry> _objects;
    private readonly ResourceTable<S3Upload> _uploads;
    private readonly ResourceTable<S3AccountPublicAccessBlock> _accountBlocks;
    private readonly Dictionary<string, SortedSet<string>> _keys = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly BlobStore _blobs;
    private readonly TimeProvider _clock;
    private readonly ITimer _lifecycleSweep;
    private readonly BucketNotifications? _notifications;
    private readonly StateStore _store;

    /// <param name="notifications">Where object events go; without it (unit tests of storage) buckets notify nobody.</param>
    public S3Service(StateStore store, TimeProvider clock, string root, TimeSpan lifecycleSweepInterval, BucketNotifications? notifications = null)
    {
        _clock = clock;
        _notifications = notifications;
        _store = store;
        _buckets = new ResourceTable<S3Bucket>(store, "s3.buckets");
        _objects = new ResourceTable<S3ObjectEntry>(store, "s3.objects");
        _uploads = new ResourceTable<S3Upload>(store, "s3.uploads");
        _accountBlocks = new ResourceTable<S3AccountPublicAccessBlock>(store, "s3.accountPublicAccessBlocks");
        _blobs = new BlobStore(root, store);
        foreach (var bucket in _buckets.Values) _keys[bucket.Name] = new SortedSet<string>(KeyOrder.Instance);
        foreach (var entry in _objects.Values)
            if (_keys.TryGetValue(entry.Bucket, out var keys)) keys.Add(entry.Key);
        var referenced = _objects.Values.SelectMany(e => e.Versions).Select(v => v.BlobId)
            .Concat(_uploads.Values.SelectMany(u => u.Parts.Values).Select(p => p.BlobId))
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        _blobs.RemoveUnreferenced(referenced);
        _lifecycleSweep = clock.CreateTimer(_ => ApplyLifecycle(), null, lifecycleSweepInterval, lifecycleSweepInterval);
    }

    /// <summary>S3's canonical user id for an account: 64 hex digits, stable per account.</summary>
    public static string CanonicalUserId(string accountId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("stratus-s3-owner:" + accountId)));

    public bool BucketExists(string name) => _buckets.Get(name) is not null;

    /// <summary>A bucket whoever owns it, for deciding a request against its owner and its policy before the request runs in an account.</summary>
    public S3Bucket? FindBucket(string name) => _buckets.Get(name);

    // ---- account-level Block Public Access (S3 Control) ----

    /// <summary>An account's own Block Public Access configuration (s3control's PutPublicAccessBlock); null when it has none.</summary>
    public PublicAccessBlock? AccountPublicAccessBlock(string accountId) =>
        _accountBlocks.Get(accountId) is { } stored ? PublicAccessBlock.Parse(stored.Document) : null;

    public PublicAccessBlock GetAccountPublicAccessBlock(Scope scope) =>
        AccountPublicAccessBlock(scope.AccountId) ?? throw S3Errors.NoSuchAccountPublicAccessBlockConfiguration(scope.AccountId);

    /// <remarks>Like a bucket's, it refuses what is set after it (public ACLs and policies); ACLs and policies already in place stay.</remarks>
    public void PutAccountPublicAccessBlock(Scope scope, PublicAccessBlock block) =>
        _accountBlocks.Put(scope.AccountId, new S3AccountPublicAccessBlock(scope.AccountId, block.Document("").ToString(System.Xml.Linq.SaveOptions.DisableFormatting)));

    public void DeleteAccountPublicAccessBlock(Scope scope) => _accountBlocks.Remove(scope.AccountId);

    /// <summary>The Block Public Access settings that apply to a bucket: its own combined with its account's, the more restrictive of each.</summary>
    public PublicAccessBlock BlockOf(S3Bucket bucket) => PublicAccessBlock.Of(bucket, AccountPublicAccessBlock(bucket.AccountId));

    // ---- buckets ----

    /// <param name="acl">x-amz-acl or x-amz-grant-*; null for the owner's FULL_CONTROL.</param>
    /// <param name="ownership">x-amz-object-ownership; without it a bucket has ACLs disabled (BucketOwnerEnforced), as S3 creates them since 2023.</param>
    /// <remarks>
    /// Since April 2023 S3 gives every new bucket all four Block Public Access settings and ownership controls (BucketOwnerEnforced
    /// unless asked otherwise), both answered by their Get calls; a public ACL at creation is refused (the owner deletes or
    /// relaxes the block first, then sets it) and a public bucket policy waits for the same.
    /// </remarks>
    public S3Bucket CreateBucket(Scope scope, string name, string? locationConstraint, S3Acl? acl = null, string? ownership = null)
    {
        S3Rules.ValidateBucketName(name);
        if (ownership is not null && !ObjectOwnership.IsValid(ownership))
            throw S3Errors.InvalidArgument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", ownership);
        if ((ownership ?? ObjectOwnership.BucketOwnerEnforced) == ObjectOwnership.BucketOwnerEnforced && acl is not null && !AccessControl.GrantsOnly(acl, scope.AccountId))
            throw S3Errors.InvalidBucketAclWithObjectOwnership();
        if (acl is not null && AccessControl.IsPublic(acl)) throw S3Errors.InvalidBucketAclWithBlockPublicAccess();
        var constraint = locationConstraint ?? "";
        if (constraint == "us-east-1") throw S3Errors.InvalidLocationConstraint(constraint);
        // The global endpoint (us-east-1) accepts any constraint; a regional one only its own region.
        if (scope.Region != "us-east-1" && constraint != scope.Region) throw S3Errors.IllegalLocationConstraint(constraint, scope.Region);
        var bucket = new S3Bucket
        {
            Name = name, AccountId = scope.AccountId, Region = constraint.Length == 0 ? "us-east-1" : constraint, CreationDate = _clock.GetUtcNow(),
            Acl = acl,
            Configurations = new()
            {
                [PublicAccessBlock.Subresource] = PublicAccessBlock.AllBlocked,
                [ObjectOwnership.Subresource] = ObjectOwnership.Document(ownership ?? ObjectOwnership.BucketOwnerEnforced),
            },
        };
        lock (_gate)
        {
            if (_buckets.Get(name) is { } existing)
            {
                if (existing.AccountId != scope.AccountId) throw S3Errors.BucketAlreadyExists(name);
                // For legacy compatibility S3 answers 200 to re-creating your own bucket in us-east-1.
                if (existing.Region == "us-east-1" && scope.Region == "us-east-1") return existing;
                throw S3Errors.BucketAlreadyOwnedByYou(name);
            }
            _buckets.Put(name, bucket);
            _keys[name] = new SortedSet<string>(KeyOrder.Instance);
        }
        return bucket;
    }

    public S3Bucket GetBucket(Scope scope, string name)
    {
        var bucket = _buckets.Get(name) ?? throw S3Errors.NoSuchBucket(name);
        // A request its bucket's policy let in from another account runs in the owner's account (S3Api); any other is refused.
        if (bucket.AccountId != scope.AccountId) throw S3Errors.AccessDenied();
        return bucket;
    }

    public IReadOnlyList<S3Bucket> ListBuckets(Scope scope) =>
        _buckets.Values.Where(b => b.AccountId == scope.AccountId).OrderBy(b => b.Name, StringComparer.Ordinal).ToList();

    /// <summary>Every account's buckets, for the console.</summary>
    public IReadOnlyList<S3Bucket> AllBuckets() => _buckets.Values.OrderBy(b => b.Name, StringComparer.Ordinal).ToList();

    public void DeleteBucket(Scope scope, string name)
    {
        GetBucket(scope, name);
        lock (_gate)
        {
            if (_keys.TryGetValue(name, out var keys) && keys.Count > 0 || _uploads.Values.Any(u => u.Bucket == name))
                throw S3Errors.BucketNotEmpty(name);
            _buckets.Remove(name);
            _keys.Remove(name);
        }
    }

    public void SetVersioning(Scope scope, string name, string status)
    {
        if (status is not ("Enabled" or "Suspended")) throw S3Errors.MalformedXml();
        UpdateBucket(scope, name, b => b with { Versioning = status });
    }

    public void PutPolicy(Scope scope, string name, string policy)
    {
        if (Encoding.UTF8.GetByteCount(policy) > S3Rules.MaxPolicyBytes) throw S3Errors.MalformedPolicy("Policy exceeds the maximum allowed document size.");
        var bucket = GetBucket(scope, name);
        S3Authorization.ValidatePolicy(name, policy);
        if (BlockOf(bucket).BlockPublicPolicy && S3Authorization.IsPublic(policy))
            throw S3Errors.AccessDenied($"User: {scope.PrincipalArn ?? $"arn:aws:iam::{scope.AccountId}:root"} is not authorized to perform: s3:PutBucketPolicy on resource: \"{S3Authorization.BucketArn(name)}\" because public policies are blocked by the BlockPublicPolicy block public access setting.");
        UpdateBucket(scope, name, b => b with { Policy = policy });
    }

    public string GetPolicy(Scope scope, string name) => GetBucket(scope, name).Policy ?? throw S3Errors.NoSuchBucketPolicy(name);

    /// <summary>
    /// GetBucketPolicyStatus: whether the bucket is public through its policy. A public policy (S3's "meaning of public")
    /// makes it public unless RestrictPublicBuckets, the bucket's own or its account's (S3 applies the most restrictive
    /// combination of the two), limits it to AWS services and the owner's account, which leaves nothing public.
    /// BlockPublicPolicy only refuses new public policies and leaves a stored one in force, so it changes nothing here.
    /// </summary>
    public bool IsPolicyPublic(Scope scope, string name)
    {
        var bucket = GetBucket(scope, name);
        var policy = bucket.Policy ?? throw S3Errors.NoSuchBucketPolicy(name);
        return S3Authorization.IsPublic(policy) && !BlockOf(bucket).RestrictPublicBuckets;
    }

    public void DeletePolicy(Scope scope, string name) => UpdateBucket(scope, name, b => b with { Policy = null });

    public void PutBucketTags(Scope scope, string name, Dictionary<string, string> tags)
    {
        S3Rules.ValidateTags(tags, S3Rules.MaxBucketTags);
        UpdateBucket(scope, name, b => b with { Tags = tags });
    }

    public Dictionary<string, string> GetBucketTags(Scope scope, string name) =>
        GetBucket(scope, name).Tags is { Count: > 0 } tags ? tags : throw S3Errors.NoSuchTagSet(name);

    public void DeleteBucketTags(Scope scope, string name) => UpdateBucket(scope, name, b => b with { Tags = [] });

    /// <summary>
    /// Stores a configuration document (CORS, lifecycle, ...) as the XML the client sent. Ownership controls name one of
    /// S3's three settings, and disabling ACLs (BucketOwnerEnforced) needs a bucket ACL granting no one but the owner.
    /// </summary>
    public void PutConfiguration(Scope scope, string name, string subresource, string document)
    {
        if (subresource == ObjectOwnership.Subresource)
        {
            var ownership = ObjectOwnership.InDocument(document);
            if (!ObjectOwnership.IsValid(ownership)) throw S3Errors.MalformedXml();
            if (ownership == ObjectOwnership.BucketOwnerEnforced && GetBucket(scope, name) is { Acl: { } acl } bucket && !AccessControl.GrantsOnly(acl, bucket.AccountId))
                throw S3Errors.InvalidBucketAclWithObjectOwnership();
        }
        UpdateBucket(scope, name, b => b with { Configurations = new(b.Configurations) { [subresource] = document } });
    }

    // ---- access control lists ----

    /// <summary>
    /// Checks an ACL a request sets on the bucket or one of its objects, as S3 does: with ACLs disabled (BucketOwnerEnforced)
    /// only one granting the bucket's owner alone (bucket-owner-full-control) is accepted, and BlockPublicAcls refuses public ones.
    /// </summary>
    public void CheckAclAllowed(Scope scope, string name, S3Acl acl)
    {
        var bucket = GetBucket(scope, name);
        if (ObjectOwnership.Of(bucket) == ObjectOwnership.BucketOwnerEnforced && !AccessControl.GrantsOnly(acl, bucket.AccountId))
            throw S3Errors.AccessControlListNotSupported();
        if (BlockOf(bucket).BlockPublicAcls && AccessControl.IsPublic(acl)) throw S3Errors.AccessDenied();
    }

    /// <summary>The bucket's ACL; with ACLs disabled, its owner's FULL_CONTROL whatever was set before, as S3 answers.</summary>
    public S3Acl GetBucketAcl(Scope scope, string name)
    {
        var bucket = GetBucket(scope, name);
        return bucket.Acl is { } acl && ObjectOwnership.Of(bucket) != ObjectOwnership.BucketOwnerEnforced ? acl : AccessControl.Default(bucket.AccountId);
    }

    public void PutBucketAcl(Scope scope, string name, S3Acl acl)
    {
        CheckAclAllowed(scope, name, acl);
        UpdateBucket(scope, name, b => b with { Acl = acl });
    }

    /// <summary>An object version's ACL; with ACLs disabled, the bucket owner's FULL_CONTROL, as S3 answers.</summary>
    public S3Acl GetObjectAcl(Scope scope, string bucket, string key, string? versionId)
    {
        var version = GetObject(scope, bucket, key, versionId);
        var owner = GetBucket(scope, bucket);
        return version.Acl is { } acl && ObjectOwnership.Of(owner) != ObjectOwnership.BucketOwnerEnforced ? acl : AccessControl.Default(owner.AccountId);
    }

    public S3ObjectVersion PutObjectAcl(Scope scope, string bucket, string key, string? versionId, S3Acl acl)
    {
        CheckAclAllowed(scope, bucket, acl);
        var target = GetObject(scope, bucket, key, versionId);
        return UpdateVersion(bucket, key, v => v.VersionId == target.VersionId, v => v with { Acl = acl }) ?? throw S3Errors.NoSuchKey(key);
    }

    /// <summary>Gives a version just written (PutObject, CopyObject, CompleteMultipartUpload) the ACL its request asked for; a version overwritten meanwhile is left alone.</summary>
    public void SetWrittenAcl(string bucket, string key, S3ObjectVersion written, S3Acl acl) =>
        UpdateVersion(bucket, key, v => v.BlobId == written.BlobId, v => v with { Acl = acl });

    private S3ObjectVersion? UpdateVersion(string bucket, string key, Func<S3ObjectVersion, bool> which, Func<S3ObjectVersion, S3ObjectVersion> change)
    {
        lock (_gate)
        {
            var versions = _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket, key))?.Versions.ToList();
            var index = versions?.FindIndex(v => which(v)) ?? -1;
            if (index < 0) return null;
            versions![index] = change(versions[index]);
            Store(bucket, key, versions);
            return versions[index];
        }
    }

    /// <summary>An object's version as it stands (the current one, or the one named), for deciding a request against its ACL and tags; null when there is none.</summary>
    public S3ObjectVersion? FindVersion(string bucket, string key, string? versionId)
    {
        var versions = _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket, key))?.Versions;
        var version = versionId is null ? versions?.FirstOrDefault() : versions?.FirstOrDefault(v => v.VersionId == versionId);
        return version is { IsDeleteMarker: false } ? version : null;
    }

    public string? GetConfiguration(Scope scope, string name, string subresource) =>
        GetBucket(scope, name).Configurations.GetValueOrDefault(subresource);

    public void DeleteConfiguration(Scope scope, string name, string subresource) =>
        UpdateBucket(scope, name, b =>
        {
            var configurations = new Dictionary<string, string>(b.Configurations);
            configurations.Remove(subresource);
            return b with { Configurations = configurations };
        });

    private void UpdateBucket(Scope scope, string name, Func<S3Bucket, S3Bucket> change)
    {
        GetBucket(scope, name);
        lock (_gate)
            if (_buckets.Update(name, change) is null) throw S3Errors.NoSuchBucket(name);
    }

    // ---- objects ----

    public async Task<S3ObjectVersion> PutObjectAsync(Scope scope, string bucket, string key, Stream body, S3WriteRequest request, CancellationToken cancellation)
    {
        GetBucket(scope, bucket);
        S3Rules.ValidateKey(key);
        S3Rules.ValidateTags(request.Tags, S3Rules.MaxObjectTags);
        CheckWritePreconditions(bucket, key, request);
        if (request.Digests.DeclaredLength > S3Rules.MaxSinglePutBytes)
            throw S3Errors.EntityTooLarge(request.Digests.DeclaredLength.Value, S3Rules.MaxSinglePutBytes);
        using var pending = await _blobs.WriteAsync(body, request.Digests, S3Rules.MaxSinglePutBytes, cancellation);
        return Created(scope, bucket, "ObjectCreated:Put", key,
            Commit(bucket, key, pending, NewVersion(request, pending, request.Digests.ChecksumAlgorithm, "FULL_OBJECT"), request));
    }

    /// <summary>Tells the bucket's notification destinations of a committed object, and answers it.</summary>
    private S3ObjectVersion Created(Scope scope, string bucket, string eventName, string key, S3ObjectVersion version)
    {
        Notify(scope, bucket, new ObjectEvent(eventName, key, version.LastModified, version.Size, version.ETag, version.VersionId));
        return version;
    }

    private void Notify(Scope scope, string bucket, ObjectEvent change)
    {
        if (_notifications is not null && _buckets.Get(bucket) is { } owner)
            _notifications.Publish(scope, owner, change, owner.Configurations.GetValueOrDefault(BucketNotifications.Subresource));
    }

    /// <summary>The current version (or the one asked for) of an object; a current delete marker reads as no key.</summary>
    public S3ObjectVersion GetObject(Scope scope, string bucket, string key, string? versionId)
    {
        GetBucket(scope, bucket);
        var entry = _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket, key));
        if (versionId is null)
        {
            var current = entry?.Current;
            return current is null || current.IsDeleteMarker ? throw S3Errors.NoSuchKey(key) : current;
        }
        var version = entry?.Versions.FirstOrDefault(v => v.VersionId == versionId)
            ?? throw (IsVersionIdShaped(versionId) ? S3Errors.NoSuchVersion(key, versionId) : S3Errors.InvalidVersionId(versionId));
        return version.IsDeleteMarker ? throw S3Errors.MethodNotAllowed("GET", "DeleteMarker") : version;
    }

    public byte[] ReadObject(Scope scope, string bucket, string key, string? versionId, long maxBytes, Func<long, Exception> tooLarge)
    {
        var version = GetObject(scope, bucket, key, versionId);
        if (version.Size > maxBytes) throw tooLarge(version.Size);
        using var content = OpenContent(version, 0, version.Size);
        var bytes = new byte[version.Size];
        content.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A window of an object's bytes as a response body, sent from its file.</summary>
    public FileRange OpenRange(S3ObjectVersion version, long offset, long length) => _blobs.OpenRange(version.BlobId!, offset, length);

    public Stream OpenContent(S3ObjectVersion version, long offset, long length) =>
        new FileWindowStream(_blobs.OpenRead(version.BlobId!), offset, length);

    /// <summary>GET and HEAD conditionals, with the precedence S3 documents (If-Match over If-Unmodified-Since, If-None-Match over If-Modified-Since).</summary>
    public static void EvaluateConditions(S3ObjectVersion version, S3Conditions conditions)
    {
        var modified = TruncateToSeconds(version.LastModified);
        if (conditions.IfMatch is { } ifMatch)
        {
            if (!ETagMatches(ifMatch, version.ETag)) throw S3Errors.PreconditionFailed("If-Match");
        }
        else if (conditions.IfUnmodifiedSince is { } unmodified && modified > unmodified)
        {
            throw S3Errors.PreconditionFailed("If-Unmodified-Since");
        }
        if (conditions.IfNoneMatch is { } ifNoneMatch)
        {
            if (ETagMatches(ifNoneMatch, version.ETag)) throw S3Errors.NotModified();
        }
        else if (conditions.IfModifiedSince is { } since && modified <= since)
        {
            throw S3Errors.NotModified();
        }
    }

    public sealed record DeleteResult(string? VersionId, bool DeleteMarker);

    public DeleteResult DeleteObject(Scope scope, string bucket, string key, string? versionId)
    {
        GetBucket(scope, bucket);
        S3Rules.ValidateKey(key);
        if (versionId is not null && !IsVersionIdShaped(versionId)) throw S3Errors.InvalidVersionId(versionId);
        var result = DeleteUnchecked(bucket, key, versionId);
        // As S3: removing a key that was not there still sends ObjectRemoved:Delete.
        Notify(scope, bucket, new ObjectEvent(result.DeleteMarker && versionId is null ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete", key,
            _clock.GetUtcNow(), null, null, result.VersionId));
        return result;
    }

    private DeleteResult DeleteUnchecked(string bucketName, string key, string? versionId)
    {
        var removed = new List<S3ObjectVersion>();
        DeleteResult result;
        lock (_gate)
        {
            var bucket = _buckets.Get(bucketName) ?? throw S3Errors.NoSuchBucket(bucketName);
            var entryKey = ResourceTable<S3ObjectEntry>.Key(bucketName, key);
            var versions = _objects.Get(entryKey)?.Versions.ToList() ?? [];
            if (versionId is not null)
            {
                var target = versions.FirstOrDefault(v => v.VersionId == versionId);
                if (target is not null) removed.Add(target);
                versions.RemoveAll(v => v.VersionId == versionId);
                result = new DeleteResult(versionId, target?.IsDeleteMarker ?? false);
            }
            else if (bucket.Versioning is null)
            {
                removed.AddRange(versions.Where(v => v.VersionId == "null"));
                versions.RemoveAll(v => v.VersionId == "null");
                result = new DeleteResult(null, false);
            }
            else
            {
                var marker = new S3ObjectVersion
                {
                    VersionId = bucket.Versioning == "Enabled" ? NewVersionId() : "null", IsDeleteMarker = true, LastModified = _clock.GetUtcNow(),
                };
                if (marker.VersionId == "null")
                {
                    removed.AddRange(versions.Where(v => v.VersionId == "null"));
                    versions.RemoveAll(v => v.VersionId == "null");
                }
                versions.Insert(0, marker);
                result = new DeleteResult(marker.VersionId, true);
            }
            Store(bucketName, key, versions);
        }
        foreach (var version in removed) DeleteWhenDurable(version.BlobId);
        return result;
    }

    /// <param name="sourceScope">The source bucket's owner's account, once the caller's read of the source was authorized (it may be another account than the destination's).</param>
    public async Task<(S3ObjectVersion Copy, S3ObjectVersion Source)> CopyObjectAsync(Scope scope, Scope sourceScope, string sourceBucket, string sourceKey, string? sourceVersionId,
        string bucket, string key, S3WriteRequest? replacement, S3Conditions sourceConditions, CancellationToken cancellation)
    {
        var source = GetObject(sourceScope, sourceBucket, sourceKey, sourceVersionId);
        EvaluateCopySourceConditions(source, sourceConditions);
        GetBucket(scope, bucket);
        S3Rules.ValidateKey(key);
        if (sourceBucket == bucket && sourceKey == key && replacement is null && sourceVersionId is null && GetBucket(scope, bucket).Versioning is null)
            throw S3Errors.InvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        if (source.Size > S3Rules.MaxSinglePutBytes) throw S3Errors.InvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120");
        var algorithm = replacement?.Digests.ChecksumAlgorithm ?? source.ChecksumAlgorithm;
        await using var content = OpenContent(source, 0, source.Size);
        using var pending = await _blobs.WriteAsync(content, new S3Digests { ChecksumAlgorithm = algorithm }, S3Rules.MaxSinglePutBytes, cancellation);
        var attributes = replacement ?? new S3WriteRequest
        {
            ContentType = source.ContentType, Headers = source.Headers, Metadata = source.Metadata, Tags = source.Tags, Digests = new S3Digests(),
        };
        return (Created(scope, bucket, "ObjectCreated:Copy", key, Commit(bucket, key, pending, NewVersion(attributes, pending, algorithm, "FULL_OBJECT"), null)), source);
    }

    /// <summary>x-amz-copy-source-if-*: failures are 412 PreconditionFailed for every one of them, as S3 answers copies.</summary>
    private static void EvaluateCopySourceConditions(S3ObjectVersion source, S3Conditions conditions)
    {
        try
        {
            EvaluateConditions(source, conditions);
        }
        catch (AwsException e) when (e.StatusCode == 304)
        {
            throw S3Errors.PreconditionFailed(conditions.IfNoneMatch is not null ? "x-amz-copy-source-If-None-Match" : "x-amz-copy-source-If-Modified-Since");
        }
    }

    public S3ObjectVersion GetObjectTags(Scope scope, string bucket, string key, string? versionId) => GetObject(scope, bucket, key, versionId);

    public S3ObjectVersion PutObjectTags(Scope scope, string bucket, string key, string? versionId, Dictionary<string, string> tags)
    {
        S3Rules.ValidateTags(tags, S3Rules.MaxObjectTags);
        var target = GetObject(scope, bucket, key, versionId);
        return UpdateVersion(bucket, key, v => v.VersionId == target.VersionId, v => v with { Tags = tags }) ?? throw S3Errors.NoSuchKey(key);
    }

    // ---- listing ----

    /// <summary>
    /// One page of current objects after <paramref name="marker"/>: keys under <paramref name="prefix"/>,
    /// those sharing a segment up to <paramref name="delimiter"/> rolled into one common prefix, which
    /// counts once toward <paramref name="maxKeys"/> as on S3.
    /// </summary>
    public S3ListPage ListObjects(Scope scope, string bucket, string prefix, string? delimiter, string? marker, int maxKeys)
    {
        GetBucket(scope, bucket);
        var contents = new List<(string, S3ObjectVersion)>();
        var prefixes = new List<string>();
        string? last = null;
        var truncated = false;
        lock (_gate)
        {
            foreach (var key in KeysFrom(bucket, prefix, marker))
            {
                if (_objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket, key))?.Current is not { IsDeleteMarker: false } current) continue;
                var rolled = RollUp(key, prefix, delimiter);
                if (rolled is not null && (rolled == last || marker is not null && KeyOrder.Instance.Compare(rolled, marker) <= 0)) continue;
                if (contents.Count + prefixes.Count >= maxKeys)
                {
                    truncated = true;
                    break;
                }
                if (rolled is not null) prefixes.Add(rolled);
                else contents.Add((key, current));
                last = rolled ?? key;
            }
        }
        return new S3ListPage(contents, prefixes, truncated, truncated ? last : null);
    }

    public S3VersionListPage ListObjectVersions(Scope scope, string bucket, string prefix, string? delimiter, string? keyMarker, string? versionIdMarker, int maxKeys)
    {
        GetBucket(scope, bucket);
        var versions = new List<(string, S3ObjectVersion, bool)>();
        var prefixes = new List<string>();
        string? lastKey = null, lastVersion = null, lastPrefix = null;
        var truncated = false;
        lock (_gate)
        {
            var startKey = versionIdMarker is not null && keyMarker is not null ? null : keyMarker;
            var lowerBound = versionIdMarker is not null ? keyMarker : null;
            foreach (var key in KeysFrom(bucket, string.CompareOrdinal(lowerBound ?? "", prefix) > 0 ? lowerBound! : prefix, startKey))
            {
                var rolled = RollUp(key, prefix, delimiter);
                if (rolled is not null)
                {
                    if (rolled == lastPrefix || keyMarker is not null && KeyOrder.Instance.Compare(rolled, keyMarker) <= 0) continue;
                    if (versions.Count + prefixes.Count >= maxKeys) { truncated = true; break; }
                    prefixes.Add(rolled);
                    lastPrefix = rolled;
                    lastKey = rolled;
                    lastVersion = null;
                    continue;
                }
                var all = _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket, key))?.Versions ?? [];
                var skipping = key == keyMarker && versionIdMarker is not null;
                for (var i = 0; i < all.Count; i++)
                {
                    if (skipping)
                    {
                        if (all[i].VersionId == versionIdMarker) skipping = false;
                        continue;
                    }
                    if (versions.Count + prefixes.Count >= maxKeys) { truncated = true; break; }
                    versions.Add((key, all[i], i == 0));
                    lastKey = key;
                    lastVersion = all[i].VersionId;
                }
                if (truncated) break;
            }
        }
        return new S3VersionListPage(versions, prefixes, truncated, truncated ? lastKey : null, truncated ? lastVersion : null);
    }

    /// <summary>Keys under <paramref name="prefix"/> in S3's order, strictly after <paramref name="after"/> when given; call under the gate.</summary>
    private IEnumerable<string> KeysFrom(string bucket, string prefix, string? after)
    {
        if (!_keys.TryGetValue(bucket, out var keys) || keys.Count == 0) yield break;
        var lower = after is not null && KeyOrder.Instance.Compare(after, prefix) > 0 ? after : prefix;
        if (KeyOrder.Instance.Compare(lower, keys.Max!) > 0) yield break;
        foreach (var key in keys.GetViewBetween(lower, keys.Max!))
        {
            if (key == after) continue;
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) yield break;
            yield return key;
        }
    }

    private static string? RollUp(string key, string prefix, string? delimiter)
    {
        if (string.IsNullOrEmpty(delimiter)) return null;
        var at = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
        return at < 0 ? null : key[..(at + delimiter.Length)];
    }

    // ---- multipart uploads ----

    /// <param name="acl">The ACL the object gets when the upload completes (checked with <see cref="CheckAclAllowed"/> first).</param>
    public S3Upload CreateUpload(Scope scope, string bucket, string key, S3WriteRequest attributes, string? checksumType, S3Acl? acl = null)
    {
        GetBucket(scope, bucket);
        S3Rules.ValidateKey(key);
        S3Rules.ValidateTags(attributes.Tags, S3Rules.MaxObjectTags);
        var algorithm = attributes.Digests.ChecksumAlgorithm;
        if (checksumType is not (null or "COMPOSITE" or "FULL_OBJECT")) throw S3Errors.InvalidRequest($"Value for x-amz-checksum-type header is invalid.");
        if (checksumType == "FULL_OBJECT" && algorithm is "SHA1" or "SHA256")
            throw S3Errors.InvalidRequest($"The FULL_OBJECT checksum type cannot be used with the {algorithm.ToLowerInvariant()} checksum algorithm.");
        var upload = new S3Upload
        {
            UploadId = RandomNumberGenerator.GetString(UploadIdAlphabet, 64),
            Bucket = bucket, Key = key, AccountId = scope.AccountId, Initiated = _clock.GetUtcNow(),
            ContentType = attributes.ContentType, Headers = attributes.Headers, Metadata = attributes.Metadata, Tags = attributes.Tags,
            ChecksumAlgorithm = algorithm,
            ChecksumType = algorithm is null ? null : checksumType ?? (algorithm == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE"),
            Acl = acl,
        };
        _uploads.Put(upload.UploadId, upload);
        return upload;
    }

    public S3Upload GetUpload(Scope scope, string bucket, string key, string uploadId)
    {
        GetBucket(scope, bucket);
        var upload = _uploads.Get(uploadId);
        return upload is null || upload.Bucket != bucket || upload.Key != key ? throw S3Errors.NoSuchUpload(uploadId) : upload;
    }

    public async Task<S3Part> UploadPartAsync(Scope scope, string bucket, string key, string uploadId, int partNumber, Stream body, S3Digests digests, CancellationToken cancellation)
    {
        var upload = GetUpload(scope, bucket, key, uploadId);
        S3Rules.ValidatePartNumber(partNumber);
        if (digests.DeclaredLength > S3Rules.MaxSinglePutBytes) throw S3Errors.EntityTooLarge(digests.DeclaredLength.Value, S3Rules.MaxSinglePutBytes);
        if (upload.ChecksumAlgorithm is { } algorithm && digests.ChecksumAlgorithm is { } sent && sent != algorithm)
            throw S3Errors.InvalidRequest($"Checksum Type mismatch occurred, expected checksum Type: {algorithm.ToLowerInvariant()}, actual checksum Type: {sent.ToLowerInvariant()}");
        using var pending = await _blobs.WriteAsync(body, digests with { ChecksumAlgorithm = upload.ChecksumAlgorithm ?? digests.ChecksumAlgorithm },
            S3Rules.MaxSinglePutBytes, cancellation);
        return AddPart(uploadId, partNumber, pending);
    }

    public async Task<(S3Part Part, S3ObjectVersion Source)> UploadPartCopyAsync(Scope scope, string bucket, string key, string uploadId, int partNumber,
        Scope sourceScope, string sourceBucket, string sourceKey, string? sourceVersionId, (long Offset, long Length)? range, S3Conditions sourceConditions,
        CancellationToken cancellation)
    {
        var upload = GetUpload(scope, bucket, key, uploadId);
        S3Rules.ValidatePartNumber(partNumber);
        var source = GetObject(sourceScope, sourceBucket, sourceKey, sourceVersionId);
        EvaluateCopySourceConditions(source, sourceConditions);
        var (offset, length) = range ?? (0, source.Size);
        if (offset + length > source.Size)
            throw S3Errors.InvalidRange($"bytes={offset}-{offset + length - 1}", source.Size);
        await using var content = OpenContent(source, offset, length);
        using var pending = await _blobs.WriteAsync(content, new S3Digests { ChecksumAlgorithm = upload.ChecksumAlgorithm }, S3Rules.MaxSinglePutBytes, cancellation);
        return (AddPart(uploadId, partNumber, pending), source);
    }

    private S3Part AddPart(string uploadId, int partNumber, PendingBlob pending)
    {
        var blobId = pending.Commit();
        var part = new S3Part(partNumber, pending.Size, pending.ETag, _clock.GetUtcNow(), blobId, pending.ChecksumValue);
        S3Part? replaced = null;
        lock (_gate)
        {
            var updated = _uploads.Update(uploadId, u =>
            {
                var parts = new SortedDictionary<int, S3Part>(u.Parts);
                replaced = parts.GetValueOrDefault(partNumber);
                parts[partNumber] = part;
                return u with { Parts = parts };
            });
            if (updated is null)
            {
                _blobs.Delete(blobId);
                throw S3Errors.NoSuchUpload(uploadId);
            }
        }
        DeleteWhenDurable(replaced?.BlobId);
        return part;
    }

    public sealed record CompletedPart(int PartNumber, string ETag, string? Checksum);

    public async Task<S3ObjectVersion> CompleteUploadAsync(Scope scope, string bucket, string key, string uploadId, IReadOnlyList<CompletedPart> requested,
        S3WriteRequest preconditions, CancellationToken cancellation)
    {
        var upload = GetUpload(scope, bucket, key, uploadId);
        if (requested.Count == 0) throw S3Errors.MalformedXml();
        var parts = new List<S3Part>();
        for (var i = 0; i < requested.Count; i++)
        {
            var wanted = requested[i];
            if (i > 0 && wanted.PartNumber <= requested[i - 1].PartNumber) throw S3Errors.InvalidPartOrder();
            if (!upload.Parts.TryGetValue(wanted.PartNumber, out var part) || !ETagMatches(wanted.ETag, part.ETag))
                throw S3Errors.InvalidPart(wanted.PartNumber, wanted.ETag);
            if (wanted.Checksum is not null && part.ChecksumValue is not null && wanted.Checksum != part.ChecksumValue)
                throw S3Errors.InvalidPart(wanted.PartNumber, wanted.ETag);
            parts.Add(part);
        }
        foreach (var part in parts.SkipLast(1))
            if (part.Size < S3Rules.MinPartBytes) throw S3Errors.EntityTooSmall(part.Size);
        CheckWritePreconditions(bucket, key, preconditions);

        var fullObject = upload.ChecksumType == "FULL_OBJECT";
        var size = parts.Sum(p => p.Size);
        await using var assembled = new ConcatenatedStream([.. parts.Select(p => (Func<Stream>)(() => _blobs.OpenRead(p.BlobId)))]);
        using var pending = await _blobs.WriteAsync(assembled,
            new S3Digests { DeclaredLength = size, ChecksumAlgorithm = fullObject ? upload.ChecksumAlgorithm : null }, S3Rules.MaxObjectBytes, cancellation);

        // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the part count.
        var etag = $"\"{Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(p => Convert.FromHexString(p.ETag.Trim('"'))).ToArray()))}-{parts.Count}\"";
        var checksum = fullObject ? pending.ChecksumValue : CompositeChecksum(upload.ChecksumAlgorithm, parts);
        var attributes = new S3WriteRequest
        {
            ContentType = upload.ContentType, Headers = upload.Headers, Metadata = upload.Metadata, Tags = upload.Tags, Digests = new S3Digests(),
        };
        var version = NewVersion(attributes, pending, upload.ChecksumAlgorithm, upload.ChecksumType) with
        {
            ETag = etag, ChecksumValue = checksum,
        };
        var committed = Commit(bucket, key, pending, version, preconditions);
        RemoveUpload(uploadId);
        return Created(scope, bucket, "ObjectCreated:CompleteMultipartUpload", key, committed);
    }

    /// <summary>A COMPOSITE checksum: the algorithm over the parts' binary checksums, then "-" and the part count.</summary>
    private static string? CompositeChecksum(string? algorithm, IReadOnlyList<S3Part> parts)
    {
        if (algorithm is null || parts.Any(p => p.ChecksumValue is null)) return null;
        var checksum = Checksum.Create(algorithm);
        foreach (var part in parts) checksum.Append(Convert.FromBase64String(part.ChecksumValue!));
        return $"{checksum.FinishBase64()}-{parts.Count}";
    }

    public void AbortUpload(Scope scope, string bucket, string key, string uploadId)
    {
        GetUpload(scope, bucket, key, uploadId);
        RemoveUpload(uploadId);
    }

    private void RemoveUpload(string uploadId)
    {
        S3Upload? removed;
        lock (_gate) removed = _uploads.Remove(uploadId);
        foreach (var part in removed?.Parts.Values ?? Enumerable.Empty<S3Part>()) DeleteWhenDurable(part.BlobId);
    }

    /// <summary>
    /// Removes a blob that a commit just stopped naming, once that commit is on the disk: before, a power loss could
    /// bring back the metadata that names it (an acknowledged object whose bytes are gone).
    /// </summary>
    private void DeleteWhenDurable(string? blobId)
    {
        if (blobId is not null) _store.AfterDurable(() => _blobs.Delete(blobId));
    }

    public IReadOnlyList<S3Upload> ListUploads(Scope scope, string bucket, string prefix)
    {
        GetBucket(scope, bucket);
        return _uploads.Values.Where(u => u.Bucket == bucket && u.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(u => u.Key, KeyOrder.Instance).ThenBy(u => u.Initiated).ToList();
    }

    // ---- lifecycle ----

    /// <summary>
    /// Applies the buckets' enabled lifecycle expiration rules (Days or Date, filtered by prefix and
    /// tags): an expired current version is deleted, or hidden behind a delete marker in a versioned
    /// bucket, as S3's expiration action does. Returns how many objects expired.
    /// </summary>
    public int ApplyLifecycle()
    {
        var now = _clock.GetUtcNow();
        var expired = 0;
        foreach (var bucket in _buckets.Values.ToList())
        {
            if (bucket.Configurations.GetValueOrDefault("lifecycle") is not { } document) continue;
            var rules = LifecycleRule.Parse(document);
            if (rules.Count == 0) continue;
            List<(string Key, S3ObjectVersion Version)> candidates;
            lock (_gate)
                candidates = (_keys.GetValueOrDefault(bucket.Name) ?? [])
                    .Select(k => (k, _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket.Name, k))?.Current))
                    .Where(c => c.Item2 is { IsDeleteMarker: false })
                    .Select(c => (c.k, c.Item2!)).ToList();
            foreach (var (key, version) in candidates)
            {
                if (!rules.Any(r => r.Expires(key, version, now))) continue;
                DeleteUnchecked(bucket.Name, key, null);
                expired++;
            }
        }
        return expired;
    }

    // ---- shared ----

    private S3ObjectVersion NewVersion(S3WriteRequest request, PendingBlob pending, string? checksumAlgorithm, string? checksumType) => new()
    {
        VersionId = "null",
        LastModified = _clock.GetUtcNow(),
        Size = pending.Size,
        ETag = pending.ETag,
        ContentType = request.ContentType,
        Headers = request.Headers,
        Metadata = request.Metadata,
        Tags = request.Tags,
        ChecksumAlgorithm = checksumAlgorithm,
        ChecksumValue = pending.ChecksumValue,
        ChecksumType = checksumAlgorithm is null ? null : checksumType,
    };

    /// <summary>Makes a verified body visible: made durable, then its metadata committed; the versions it replaces are removed after.</summary>
    private S3ObjectVersion Commit(string bucketName, string key, PendingBlob pending, S3ObjectVersion version, S3WriteRequest? preconditions)
    {
        var blobId = pending.Commit();
        var removed = new List<S3ObjectVersion>();
        try
        {
            lock (_gate)
            {
                var bucket = _buckets.Get(bucketName) ?? throw S3Errors.NoSuchBucket(bucketName);
                if (preconditions is not null) CheckWritePreconditions(bucketName, key, preconditions);
                version = version with { BlobId = blobId, VersionId = bucket.Versioning == "Enabled" ? NewVersionId() : "null" };
                var versions = _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucketName, key))?.Versions.ToList() ?? [];
                if (version.VersionId == "null")
                {
                    removed.AddRange(versions.Where(v => v.VersionId == "null"));
                    versions.RemoveAll(v => v.VersionId == "null");
                }
                versions.Insert(0, version);
                Store(bucketName, key, versions);
            }
        }
        catch
        {
            _blobs.Delete(blobId);
            throw;
        }
        foreach (var old in removed) DeleteWhenDurable(old.BlobId);
        return version;
    }

    /// <summary>Writes an object's versions (or removes it when none remain) and keeps the key index in step; call under the gate.</summary>
    private void Store(string bucket, string key, List<S3ObjectVersion> versions)
    {
        var entryKey = ResourceTable<S3ObjectEntry>.Key(bucket, key);
        if (versions.Count == 0)
        {
            _objects.Remove(entryKey);
            if (_keys.TryGetValue(bucket, out var keys)) keys.Remove(key);
            return;
        }
        _objects.Put(entryKey, new S3ObjectEntry { Bucket = bucket, Key = key, Versions = versions });
        if (_keys.TryGetValue(bucket, out var index)) index.Add(key);
    }

    /// <summary>Conditional writes: If-None-Match: * refuses to overwrite, If-Match only overwrites that ETag.</summary>
    private void CheckWritePreconditions(string bucket, string key, S3WriteRequest request)
    {
        if (request.IfNoneMatch is null && request.IfMatch is null) return;
        var current = _objects.Get(ResourceTable<S3ObjectEntry>.Key(bucket, key))?.Current;
        var exists = current is { IsDeleteMarker: false };
        if (request.IfNoneMatch is not null && exists) throw S3Errors.PreconditionFailed("If-None-Match");
        if (request.IfMatch is { } ifMatch)
        {
            if (!exists) throw S3Errors.NoSuchKey(key);
            if (!ETagMatches(ifMatch, current!.ETag)) throw S3Errors.PreconditionFailed("If-Match");
        }
    }

    private static bool ETagMatches(string condition, string etag) =>
        condition.Split(',').Select(c => c.Trim()).Any(c => c == "*" || c.Trim('"') == etag.Trim('"'));

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) => new(value.Ticks - value.Ticks % TimeSpan.TicksPerSecond, value.Offset);

    private static string NewVersionId() => RandomNumberGenerator.GetString(VersionIdAlphabet, 32);

    private static bool IsVersionIdShaped(string versionId) => versionId == "null" || versionId.Length == 32 && versionId.All(VersionIdAlphabet.Contains);

    public void Dispose() => _lifecycleSweep.Dispose();
}
