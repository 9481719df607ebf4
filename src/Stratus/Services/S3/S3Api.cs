using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Stratus.Host;
using Stratus.Protocols.RestXml;
using Stratus.Protocols.SigV4;
using Stratus.Services.Iam;
using Stratus.Services.S3.Engine;

namespace Stratus.Services.S3;

/// <summary>
/// S3's wire operations (REST-XML, 2006-03-01; signing name s3): the operation from method, address and subresource;
/// request headers, query and documents into domain calls; results as S3's headers and documents. Object bodies stream
/// straight from the request to disk and from disk to the response.
/// </summary>
public sealed class S3Api : IStratusService, IDisposable
{
    public const string XmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    private const string DefaultContentType = "binary/octet-stream";
    /// <summary>The stored headers S3 returns on GET and HEAD as they were sent on PUT.</summary>
    private static readonly string[] StoredHeaders = ["Content-Encoding", "Content-Disposition", "Cache-Control", "Content-Language", "Expires"];
    private readonly S3Service _s3;
    private readonly IamService _iam;

    public S3Api(S3Service s3, IamService iam, ILogger logger)
    {
        _s3 = s3;
        _iam = iam;
        var operations = Operations();
        Endpoint = new ServiceEndpoint("s3", operations, new RestXmlProtocol(XmlNamespace, Resolve) { UnsignedClaim = ClaimsUnsigned })
        {
            Logger = logger,
            MaxBodyBytes = S3Rules.MaxConfigurationBytes,
            // Any operation may be asked anonymously: a bucket policy open to everyone lets it in (S3Authorization decides).
            UnsignedOperations = operations.Names.ToHashSet(StringComparer.Ordinal),
            AuthorizesOwnOperations = true,
        };
    }

    public string Name => "s3";
    public ServiceEndpoint Endpoint { get; }

    public void Dispose() => _s3.Dispose();

    // ---- addressing ----

    /// <summary>Bucket and key from the host and the raw (still percent-encoded) path, so keys keep their slashes and dots.</summary>
    public static (string? Bucket, string Key) Address(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var query = raw.IndexOf('?');
        var path = Uri.UnescapeDataString(query < 0 ? raw : raw[..query]);
        var trimmed = path.StartsWith('/') ? path[1..] : path;
        if (VirtualHostBuckets.BucketOf(request.Host.Host) is { } bucket) return (bucket, trimmed);
        var slash = trimmed.IndexOf('/');
        var name = slash < 0 ? trimmed : trimmed[..slash];
        return (name.Length == 0 ? null : name, slash < 0 ? "" : trimmed[(slash + 1)..]);
    }

    /// <summary>Unsigned requests are S3's when their host names a bucket, or their path starts with an existing bucket's name.</summary>
    private bool ClaimsUnsigned(HttpRequest request)
    {
        if (VirtualHostBuckets.BucketOf(request.Host.Host) is not null) return true;
        var (bucket, _) = Address(request);
        return bucket is not null && S3Rules.IsPlausibleBucketName(bucket) && _s3.BucketExists(bucket);
    }

    private static readonly Dictionary<string, (string? Get, string? Put, string? Delete, string? Post)> BucketSubresources = new(StringComparer.Ordinal)
    {
        ["versioning"] = ("GetBucketVersioning", "PutBucketVersioning", null, null),
        ["policy"] = ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", null),
        ["policyStatus"] = ("GetBucketPolicyStatus", null, null, null),
        ["tagging"] = ("GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging", null),
        ["location"] = ("GetBucketLocation", null, null, null),
        ["versions"] = ("ListObjectVersions", null, null, null),
        ["uploads"] = ("ListMultipartUploads", null, null, null),
        ["delete"] = (null, null, null, "DeleteObjects"),
        ["publicAccessBlock"] = ("GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock", null),
        ["encryption"] = ("GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption", null),
        ["lifecycle"] = ("GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", null),
        ["cors"] = ("GetBucketCors", "PutBucketCors", "DeleteBucketCors", null),
        ["website"] = ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite", null),
        ["ownershipControls"] = ("GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls", null),
        [BucketNotifications.Subresource] = ("GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", null, null),
        ["acl"] = ("GetBucketAcl", "PutBucketAcl", null, null),
        ["object-lock"] = ("GetObjectLockConfiguration", "PutObjectLockConfiguration", null, null),
        ["logging"] = ("GetBucketLogging", "PutBucketLogging", null, null),
        ["replication"] = ("GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication", null),
        ["accelerate"] = ("GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", null, null),
        ["requestPayment"] = ("GetBucketRequestPayment", "PutBucketRequestPayment", null, null),
        ["analytics"] = ("GetBucketAnalyticsConfiguration", "PutBucketAnalyticsConfiguration", "DeleteBucketAnalyticsConfiguration", null),
        ["inventory"] = ("GetBucketInventoryConfiguration", "PutBucketInventoryConfiguration", "DeleteBucketInventoryConfiguration", null),
        ["metrics"] = ("GetBucketMetricsConfiguration", "PutBucketMetricsConfiguration", "DeleteBucketMetricsConfiguration", null),
        ["intelligent-tiering"] = ("GetBucketIntelligentTieringConfiguration", "PutBucketIntelligentTieringConfiguration", "DeleteBucketIntelligentTieringConfiguration", null),
        ["metadataTable"] = ("GetBucketMetadataTableConfiguration", null, "DeleteBucketMetadataTableConfiguration", "CreateBucketMetadataTableConfiguration"),
        ["metadataConfiguration"] = ("GetBucketMetadataConfiguration", null, "DeleteBucketMetadataConfiguration", "CreateBucketMetadataConfiguration"),
        ["metadataInventoryTable"] = (null, "UpdateBucketMetadataInventoryTableConfiguration", null, null),
        ["metadataJournalTable"] = (null, "UpdateBucketMetadataJournalTableConfiguration", null, null),
        ["abac"] = ("GetBucketAbac", "PutBucketAbac", null, null),
        ["session"] = ("CreateSession", null, null, null),
    };

    /// <summary>S3's "OPTIONS object": a browser's CORS preflight, answered from the bucket's CORS configuration (not an SDK operation).</summary>
    public const string CorsPreflight = "OptionsObject";
    private const string CorsSubresource = "cors";

    /// <summary>Configurations kept by id: a GET without an id lists them.</summary>
    private static readonly Dictionary<string, string> ListedWithoutId = new(StringComparer.Ordinal)
    {
        ["analytics"] = "ListBucketAnalyticsConfigurations", ["inventory"] = "ListBucketInventoryConfigurations",
        ["metrics"] = "ListBucketMetricsConfigurations", ["intelligent-tiering"] = "ListBucketIntelligentTieringConfigurations",
    };

    private static readonly Dictionary<string, (string? Get, string? Put, string? Delete, string? Post)> ObjectSubresources = new(StringComparer.Ordinal)
    {
        ["tagging"] = ("GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", null),
        ["acl"] = ("GetObjectAcl", "PutObjectAcl", null, null),
        ["attributes"] = ("GetObjectAttributes", null, null, null),
        ["retention"] = ("GetObjectRetention", "PutObjectRetention", null, null),
        ["legal-hold"] = ("GetObjectLegalHold", "PutObjectLegalHold", null, null),
        ["torrent"] = ("GetObjectTorrent", null, null, null),
        ["restore"] = (null, null, null, "RestoreObject"),
        ["select"] = (null, null, null, "SelectObjectContent"),
        ["renameObject"] = (null, "RenameObject", null, null),
        ["encryption"] = (null, "UpdateObjectEncryption", null, null),
    };

    /// <summary>
    /// Operations of the model that are the same request on the wire as another (the deprecated lifecycle and notification
    /// calls, whose successors take the same subresource): served by that one.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SharedRoutes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["GetBucketLifecycle"] = "GetBucketLifecycleConfiguration", ["PutBucketLifecycle"] = "PutBucketLifecycleConfiguration",
        ["GetBucketNotification"] = "GetBucketNotificationConfiguration", ["PutBucketNotification"] = "PutBucketNotificationConfiguration",
    };

    private static RestXmlCall Resolve(HttpRequest request)
    {
        var (bucket, key) = Address(request);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (bucket is not null) labels["Bucket"] = bucket;
        labels["Key"] = key;
        return new RestXmlCall(OperationFor(request.Method.ToUpperInvariant(), bucket, key, request), labels);
    }

    private static string? BySubresource(Dictionary<string, (string? Get, string? Put, string? Delete, string? Post)> subresources, string method,
        IQueryCollection query, string resourceType)
    {
        foreach (var (subresource, operations) in subresources)
        {
            if (!query.ContainsKey(subresource)) continue;
            if (method == "GET" && !query.ContainsKey("id") && ListedWithoutId.TryGetValue(subresource, out var list)) return list;
            return method switch
            {
                "GET" => operations.Get,
                "PUT" => operations.Put,
                "DELETE" => operations.Delete,
                "POST" => operations.Post,
                _ => null,
            } ?? throw S3Errors.MethodNotAllowed(method, resourceType);
        }
        return null;
    }

    private static string OperationFor(string method, string? bucket, string key, HttpRequest request)
    {
        var query = request.Query;
        if (bucket is null)
            return method == "GET" ? query.ContainsKey("max-directory-buckets") ? "ListDirectoryBuckets" : "ListBuckets" : throw S3Errors.MethodNotAllowed(method, "SERVICE");
        // A browser's CORS preflight (S3's "OPTIONS object"), for a bucket or an object.
        if (method == "OPTIONS") return CorsPreflight;
        // Object Lambda's WriteGetObjectResponse is a POST to /WriteGetObjectResponse (never a bucket name: buckets are lower case).
        if (bucket == "WriteGetObjectResponse" && key.Length == 0 && method == "POST") return "WriteGetObjectResponse";
        var copy = request.Headers.ContainsKey("x-amz-copy-source");
        if (key.Length == 0)
        {
            return BySubresource(BucketSubresources, method, query, "BUCKET") ?? method switch
            {
                "PUT" => "CreateBucket",
                "HEAD" => "HeadBucket",
                "DELETE" => "DeleteBucket",
                "GET" => query["list-type"] == "2" ? "ListObjectsV2" : "ListObjects",
                _ => throw S3Errors.MethodNotAllowed(method, "BUCKET"),
            };
        }
        if (query.ContainsKey("uploadId"))
            return method switch
            {
                "PUT" => copy ? "UploadPartCopy" : "UploadPart",
                "GET" => "ListParts",
                "POST" => "CompleteMultipartUpload",
                "DELETE" => "AbortMultipartUpload",
                _ => throw S3Errors.MethodNotAllowed(method, "OBJECT"),
            };
        if (query.ContainsKey("uploads") && method == "POST") return "CreateMultipartUpload";
        return BySubresource(ObjectSubresources, method, query, "OBJECT") ?? method switch
        {
            "PUT" => copy ? "CopyObject" : "PutObject",
            "GET" => "GetObject",
            "HEAD" => "HeadObject",
            "DELETE" => "DeleteObject",
            _ => throw S3Errors.MethodNotAllowed(method, "OBJECT"),
        };
    }

    // ---- operations ----

    /// <summary>One S3 call: the HTTP exchange, who and where, and the bucket and key addressed.</summary>
    private sealed record S3Request(HttpContext Http, Scope Scope, string Bucket, string Key)
    {
        /// <summary>Why the caller may not have a further permission (DeleteObjects' keys), or null when it may.</summary>
        public required Func<S3Permission, AwsException?> Denial { get; init; }
        /// <summary>Authorizes the operation with the object tags it writes, for an operation whose tags are in its body (PutObjectTagging).</summary>
        public required Action<IReadOnlyDictionary<string, string>> AuthorizeWithTags { get; init; }
        /// <summary>The caller's own account; null for an anonymous request.</summary>
        public string? CallerAccountId { get; init; }
        /// <summary>For CopyObject and UploadPartCopy: the source bucket's owner's account, where the authorized read of the source runs.</summary>
        public Scope? SourceScope { get; init; }
        public HttpRequest Request => Http.Request;
        public CancellationToken Cancellation => Http.RequestAborted;
        public string? Query(string name) => Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;
        public string? Header(string name) => Request.Headers.TryGetValue(name, out var v) && v.Count > 0 ? v.ToString() : null;
    }

    private OperationTable Operations()
    {
        var table = new OperationTable();
        void Add(string name, Func<S3Request, Task<OperationResult>> handler) => table.Add(name, async input =>
        {
            var http = input.Call.Http;
            S3Rules.RefuseControlCharacters(http.Request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())),
                http.Request.Query.Select(q => KeyValuePair.Create(q.Key, q.Value.ToString())));
            var bucketName = input.String("Bucket");
            var key = input.String("Key") ?? "";
            var caller = Caller(input.Call);
            // Creating a bucket is the caller's account's act: another account's bucket of that name answers BucketAlreadyExists, not a policy's refusal.
            var bucket = bucketName is null || name == "CreateBucket" ? null : _s3.FindBucket(bucketName);
            var namesVersion = http.Request.Query.ContainsKey("versionId");
            // Reads, ACL and tagging calls are decided with the object's ACL and tags (s3:ExistingObjectTag/<key>).
            var existing = bucket is not null && key.Length > 0 && S3Authorization.ConsultsObject(name, namesVersion)
                ? _s3.FindVersion(bucket.Name, key, http.Request.Query["versionId"].FirstOrDefault()) : null;
            // The bucket owner's account-level Block Public Access combines with the bucket's own.
            var accountBlock = bucket is null ? null : _s3.AccountPublicAccessBlock(bucket.AccountId);
            AwsException? Denial(S3Permission permission) => S3Authorization.Decide(caller, permission, bucket, existing, accountBlock: accountBlock);
            void Authorize(IReadOnlyDictionary<string, string>? requestTags)
            {
                // An anonymous request for a bucket that does not exist answers NoSuchBucket below; one for no bucket at all is refused.
                if (caller.IsAnonymous && bucket is null && bucketName is not null && name != "CreateBucket") return;
                foreach (var permission in Permissions(name, bucketName, key, http.Request))
                    if (S3Authorization.Decide(caller, permission, bucket, existing, requestTags, accountBlock) is { } denied) throw denied;
            }
            // PutObjectTagging's tags (s3:RequestObjectTag/<key>) are in its body: its handler authorizes once it has read them.
            if (name != "PutObjectTagging") Authorize(RequestTags(name, http.Request));
            // A request a bucket's policy let in from another account, or anonymously, acts in the bucket owner's account.
            var scope = new Scope(bucket?.AccountId ?? input.Call.AccountId, input.Call.Region, input.Call.RequestId)
            {
                PrincipalArn = input.Call.PrincipalArn, PrincipalId = input.Call.PrincipalId,
            };
            try
            {
                var request = new S3Request(http, scope, bucketName ?? "", key)
                {
                    Denial = Denial, AuthorizeWithTags = Authorize, CallerAccountId = caller.IsAnonymous ? null : caller.AccountId,
                };
                if (name is "CopyObject" or "UploadPartCopy")
                {
                    // The source is read as the caller: s3:GetObject on it under its own bucket's policy and ACLs (another account's
                    // bucket must grant it), and the copy then reads it in its owner's account.
                    var (sourceBucketName, sourceKey, sourceVersion) = CopySource(request);
                    var sourceBucket = _s3.FindBucket(sourceBucketName);
                    var source = sourceBucket is null ? null : _s3.FindVersion(sourceBucketName, sourceKey, sourceVersion);
                    if (S3Authorization.Decide(caller, S3Authorization.ReadSource(sourceBucketName, sourceKey, sourceVersion is not null), sourceBucket, source,
                            accountBlock: sourceBucket is null ? null : _s3.AccountPublicAccessBlock(sourceBucket.AccountId)) is { } denied)
                        throw denied;
                    request = request with { SourceScope = scope with { AccountId = sourceBucket?.AccountId ?? input.Call.AccountId } };
                }
                var result = await handler(request);
                // A browser's actual request gets the CORS headers of the bucket's first rule matching its origin and method.
                if (http.Request.Headers.Origin.ToString() is { Length: > 0 } origin && name != CorsPreflight
                    && bucket?.Configurations.GetValueOrDefault(CorsSubresource) is { } cors
                    && CorsRules.Match(CorsRules.Parse(cors), origin, http.Request.Method, []) is { } rule)
                    foreach (var (header, value) in CorsRules.Headers(rule, origin, [], preflight: false)) result.Headers.Add(new(header, value));
                return result;
            }
            catch (BadHttpRequestException e) when (!http.RequestAborted.IsCancellationRequested)
            {
                // A streamed body that stopped short of its Content-Length or broke mid-chunk: the client's fault, as S3 answers it.
                // (An IOException here may be the disk's, so it stays a server error.)
                throw S3Errors.BodyUnreadable(e);
            }
        });
        void AddSync(string name, Func<S3Request, OperationResult> handler) => Add(name, r => Task.FromResult(handler(r)));

        AddSync("ListBuckets", r => new JsonObject
        {
            ["ListAllMyBucketsResult"] = new JsonObject
            {
                ["Owner"] = Owner(r.Scope.AccountId),
                ["Buckets"] = new JsonObject
                {
                    ["Bucket"] = new JsonArray([.. _s3.ListBuckets(r.Scope).Select(b => (JsonNode)new JsonObject
                    {
                        ["Name"] = b.Name, ["CreationDate"] = RestXmlBody.Timestamp(b.CreationDate), ["BucketRegion"] = b.Region,
                    })]),
                },
            },
        });
        Add("CreateBucket", async r =>
        {
            if (string.Equals(r.Header("x-amz-bucket-object-lock-enabled"), "true", StringComparison.OrdinalIgnoreCase))
                throw S3Errors.NotImplemented("object lock (x-amz-bucket-object-lock-enabled)");
            var document = await ReadDocumentAsync(r);
            var acl = AccessControl.FromHeaders(r.Request.Headers, r.Scope.AccountId, r.Scope.AccountId, forBucket: true);
            var bucket = _s3.CreateBucket(r.Scope, r.Bucket, document?.ChildValue("LocationConstraint"), acl, r.Header("x-amz-object-ownership"));
            return WithHeaders(OperationResult.Empty(), ("Location", "/" + bucket.Name));
        });
        AddSync("HeadBucket", r => WithHeaders(OperationResult.Empty(), ("x-amz-bucket-region", _s3.GetBucket(r.Scope, r.Bucket).Region)));
        AddSync("DeleteBucket", r =>
        {
            _s3.DeleteBucket(r.Scope, r.Bucket);
            return OperationResult.Empty(204);
        });
        AddSync("GetBucketLocation", r =>
        {
            var region = _s3.GetBucket(r.Scope, r.Bucket).Region;
            // us-east-1 is reported as an empty constraint, as S3 has always answered.
            return new JsonObject { ["LocationConstraint"] = region == "us-east-1" ? "" : region };
        });
        AddSync("ListObjectsV2", ListObjectsV2);
        AddSync("ListObjects", ListObjectsV1);
        AddSync("ListObjectVersions", ListObjectVersions);

        Add("PutBucketVersioning", async r =>
        {
            var document = await RequiredDocumentAsync(r, "VersioningConfiguration");
            _s3.SetVersioning(r.Scope, r.Bucket, document.ChildValue("Status") ?? throw S3Errors.MalformedXml());
            return OperationResult.Empty();
        });
        AddSync("GetBucketVersioning", r => new JsonObject
        {
            ["VersioningConfiguration"] = new JsonObject { ["Status"] = _s3.GetBucket(r.Scope, r.Bucket).Versioning },
        });

        Add("PutBucketPolicy", async r =>
        {
            var body = await ReadSmallBodyAsync(r, S3Rules.MaxPolicyBytes);
            _s3.PutPolicy(r.Scope, r.Bucket, Encoding.UTF8.GetString(body));
            return OperationResult.Empty(204);
        });
        AddSync("GetBucketPolicy", r => new OperationResult { RawBody = Encoding.UTF8.GetBytes(_s3.GetPolicy(r.Scope, r.Bucket)), RawContentType = "application/json" });
        AddSync("DeleteBucketPolicy", r =>
        {
            _s3.DeletePolicy(r.Scope, r.Bucket);
            return OperationResult.Empty(204);
        });

        Add("PutBucketTagging", async r =>
        {
            _s3.PutBucketTags(r.Scope, r.Bucket, TagSet(await RequiredDocumentAsync(r, "Tagging")));
            return OperationResult.Empty(204);
        });
        AddSync("GetBucketTagging", r => Tagging(_s3.GetBucketTags(r.Scope, r.Bucket)));
        AddSync("DeleteBucketTagging", r =>
        {
            _s3.DeleteBucketTags(r.Scope, r.Bucket);
            return OperationResult.Empty(204);
        });

        foreach (var configuration in Configurations)
        {
            Add(configuration.PutOperation, async r =>
            {
                var document = await RequiredDocumentAsync(r, configuration.RootElement);
                configuration.Validate?.Invoke(document);
                _s3.PutConfiguration(r.Scope, r.Bucket, configuration.Subresource, document.ToString(SaveOptions.DisableFormatting));
                return OperationResult.Empty();
            });
            AddSync(configuration.GetOperation, r =>
            {
                var stored = _s3.GetConfiguration(r.Scope, r.Bucket, configuration.Subresource) ?? configuration.Default
                    ?? throw configuration.NotFound!(r.Bucket);
                return new OperationResult { RawBody = RestXmlBody.Serialize(RestXmlBody.InNamespace(XElement.Parse(stored), XmlNamespace)) };
            });
            if (configuration.DeleteOperation is null) continue;
            AddSync(configuration.DeleteOperation, r =>
            {
                _s3.DeleteConfiguration(r.Scope, r.Bucket, configuration.Subresource);
                return OperationResult.Empty(204);
            });
        }

        Add("PutObject", PutObjectAsync);
        AddSync("GetObject", r => GetObject(r, withBody: true));
        AddSync("HeadObject", r => GetObject(r, withBody: false));
        AddSync("DeleteObject", r =>
        {
            var deleted = _s3.DeleteObject(r.Scope, r.Bucket, r.Key, r.Query("versionId"));
            var result = OperationResult.Empty(204);
            if (deleted.VersionId is { } versionId && _s3.GetBucket(r.Scope, r.Bucket).Versioning is not null) result.Headers.Add(new("x-amz-version-id", versionId));
            if (deleted.DeleteMarker) result.Headers.Add(new("x-amz-delete-marker", "true"));
            return result;
        });
        Add("DeleteObjects", DeleteObjectsAsync);
        Add("CopyObject", CopyObjectAsync);

        AddSync("GetObjectTagging", r =>
        {
            var version = _s3.GetObjectTags(r.Scope, r.Bucket, r.Key, r.Query("versionId"));
            return WithVersionHeader(r, Tagging(version.Tags), version);
        });
        Add("PutObjectTagging", async r =>
        {
            var tags = TagSet(await RequiredDocumentAsync(r, "Tagging"));
            r.AuthorizeWithTags(tags);
            var version = _s3.PutObjectTags(r.Scope, r.Bucket, r.Key, r.Query("versionId"), tags);
            return WithVersionHeader(r, OperationResult.Empty(), version);
        });
        AddSync("DeleteObjectTagging", r =>
        {
            var version = _s3.PutObjectTags(r.Scope, r.Bucket, r.Key, r.Query("versionId"), []);
            return WithVersionHeader(r, OperationResult.Empty(204), version);
        });

        AddSync("CreateMultipartUpload", r =>
        {
            var attributes = WriteRequest(r, ChecksumAlgorithmOnly(r.Header("x-amz-checksum-algorithm")));
            var upload = _s3.CreateUpload(r.Scope, r.Bucket, r.Key, attributes, r.Header("x-amz-checksum-type")?.ToUpperInvariant(), ObjectWriteAcl(r));
            var result = new OperationResult
            {
                Body = new JsonObject
                {
                    ["InitiateMultipartUploadResult"] = new JsonObject { ["Bucket"] = r.Bucket, ["Key"] = r.Key, ["UploadId"] = upload.UploadId },
                },
            };
            if (upload.ChecksumAlgorithm is { } algorithm)
            {
                result.Headers.Add(new("x-amz-checksum-algorithm", algorithm));
                result.Headers.Add(new("x-amz-checksum-type", upload.ChecksumType!));
            }
            return result;
        });
        Add("UploadPart", async r =>
        {
            var partNumber = PartNumber(r);
            var (body, digests) = ObjectBody(r);
            var part = await _s3.UploadPartAsync(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!, partNumber, body, digests, r.Cancellation);
            var result = WithHeaders(OperationResult.Empty(), ("ETag", part.ETag));
            var upload = _s3.GetUpload(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!);
            if (upload.ChecksumAlgorithm is { } algorithm && part.ChecksumValue is { } value) result.Headers.Add(new(Checksum.HeaderName(algorithm), value));
            return result;
        });
        Add("UploadPartCopy", async r =>
        {
            var (sourceBucket, sourceKey, sourceVersion) = CopySource(r);
            var (part, source) = await _s3.UploadPartCopyAsync(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!, PartNumber(r),
                r.SourceScope!, sourceBucket, sourceKey, sourceVersion, CopySourceRange(r), CopySourceConditions(r), r.Cancellation);
            var copyResult = new JsonObject { ["ETag"] = part.ETag, ["LastModified"] = RestXmlBody.Timestamp(part.LastModified) };
            var upload = _s3.GetUpload(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!);
            if (upload.ChecksumAlgorithm is { } algorithm) copyResult["Checksum" + algorithm] = part.ChecksumValue;
            return WithSourceVersion(r, sourceBucket, source, new OperationResult { Body = new JsonObject { ["CopyPartResult"] = copyResult } });
        });
        Add("CompleteMultipartUpload", async r =>
        {
            var document = await RequiredDocumentAsync(r, "CompleteMultipartUpload");
            var upload = _s3.GetUpload(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!);
            var parts = document.Children("Part").Select(p => new S3Service.CompletedPart(
                int.TryParse(p.ChildValue("PartNumber"), out var n) ? n : throw S3Errors.MalformedXml(),
                p.ChildValue("ETag") ?? throw S3Errors.MalformedXml(),
                upload.ChecksumAlgorithm is { } algorithm ? p.ChildValue("Checksum" + algorithm) : null)).ToList();
            var version = await _s3.CompleteUploadAsync(r.Scope, r.Bucket, r.Key, upload.UploadId, parts, WriteConditions(r, new S3Digests()), r.Cancellation);
            if (upload.Acl is { } acl) _s3.SetWrittenAcl(r.Bucket, r.Key, version, acl);
            var body = new JsonObject
            {
                ["Location"] = $"{r.Request.Scheme}://{r.Request.Host}/{r.Bucket}/{SigV4Signer.UriEncode(r.Key, keepSlash: true)}",
                ["Bucket"] = r.Bucket, ["Key"] = r.Key, ["ETag"] = version.ETag,
            };
            if (version.ChecksumAlgorithm is { } checksumAlgorithm && version.ChecksumValue is { } value)
            {
                body["Checksum" + checksumAlgorithm] = value;
                body["ChecksumType"] = version.ChecksumType;
            }
            return WithVersionHeader(r, new OperationResult { Body = new JsonObject { ["CompleteMultipartUploadResult"] = body } }, version);
        });
        AddSync("AbortMultipartUpload", r =>
        {
            _s3.AbortUpload(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!);
            return OperationResult.Empty(204);
        });
        AddSync("ListParts", ListParts);
        AddSync("ListMultipartUploads", ListMultipartUploads);

        AddSync(CorsPreflight, r =>
        {
            var origin = r.Header("Origin") ?? throw S3Errors.CorsOriginMissing();
            var method = r.Header("Access-Control-Request-Method") ?? throw S3Errors.CorsMethodMissing();
            var requested = (r.Header("Access-Control-Request-Headers") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var configuration = _s3.GetConfiguration(r.Scope, r.Bucket, CorsSubresource) ?? throw S3Errors.CorsNotEnabled();
            var rule = CorsRules.Match(CorsRules.Parse(configuration), origin, method, requested) ?? throw S3Errors.CorsNotAllowed();
            return WithHeaders(OperationResult.Empty(), [.. CorsRules.Headers(rule, origin, requested, preflight: true)]);
        });
        AddSync("GetBucketPolicyStatus", r => new JsonObject
        {
            ["PolicyStatus"] = new JsonObject { ["IsPublic"] = _s3.IsPolicyPublic(r.Scope, r.Bucket) },
        });
        AddSync("GetBucketAcl", r => AclDocument(_s3.GetBucketAcl(r.Scope, r.Bucket)));
        AddSync("GetObjectAcl", r => WithVersionHeader(r, AclDocument(_s3.GetObjectAcl(r.Scope, r.Bucket, r.Key, r.Query("versionId"))),
            _s3.GetObject(r.Scope, r.Bucket, r.Key, r.Query("versionId"))));
        Add("PutBucketAcl", async r =>
        {
            var owner = _s3.GetBucket(r.Scope, r.Bucket).AccountId;
            _s3.PutBucketAcl(r.Scope, r.Bucket, await RequestedAclAsync(r, owner, owner, forBucket: true));
            return OperationResult.Empty();
        });
        Add("PutObjectAcl", async r =>
        {
            var current = _s3.GetObjectAcl(r.Scope, r.Bucket, r.Key, r.Query("versionId"));
            var acl = await RequestedAclAsync(r, current.OwnerAccountId, _s3.GetBucket(r.Scope, r.Bucket).AccountId, forBucket: false);
            return WithVersionHeader(r, OperationResult.Empty(), _s3.PutObjectAcl(r.Scope, r.Bucket, r.Key, r.Query("versionId"), acl));
        });
        AddSync("GetObjectAttributes", GetObjectAttributes);
        // No bucket has object lock on Stratus (creating one with it is refused), so these answer as S3 does for such a bucket.
        AddSync("GetObjectLockConfiguration", r =>
        {
            _s3.GetBucket(r.Scope, r.Bucket);
            throw S3Errors.ObjectLockConfigurationNotFound(r.Bucket);
        });
        foreach (var objectLockCall in (string[])["GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold"])
            AddSync(objectLockCall, r =>
            {
                _s3.GetBucket(r.Scope, r.Bucket);
                throw S3Errors.MissingObjectLockConfiguration();
            });
        foreach (var (operation, reason) in S3NotServed.Operations)
            table.Add(operation, (Func<OperationInput, OperationResult>)(_ => throw S3Errors.OperationNotServed(operation, reason)));
        return table;
    }

    // ---- authorization ----

    /// <summary>The permissions a request needs: its operation's, and s3:PutObjectTagging for tags sent with a PutObject, as S3 asks.</summary>
    private static IEnumerable<S3Permission> Permissions(string operation, string? bucket, string key, HttpRequest request)
    {
        if (S3Authorization.Required(operation, bucket, key, request.Query.ContainsKey("versionId")) is { } permission) yield return permission;
        if (operation == "PutObject" && request.Headers.ContainsKey("x-amz-tagging")) yield return new S3Permission("s3:PutObjectTagging", S3Authorization.ObjectArn(bucket ?? "", key));
        // Setting an ACL while writing an object is also s3:PutObjectAcl, as S3 asks.
        if (operation is "PutObject" or "CopyObject" or "CreateMultipartUpload" && AclHeaders.Any(request.Headers.ContainsKey))
            yield return new S3Permission("s3:PutObjectAcl", S3Authorization.ObjectArn(bucket ?? "", key));
    }

    /// <summary>
    /// The tags a request writes from its headers, for s3:RequestObjectTag/&lt;key&gt; and s3:RequestObjectTagKeys: PutObject's
    /// x-amz-tagging, and CopyObject's when x-amz-tagging-directive is REPLACE (with COPY the copy keeps the source's tags, and
    /// the request names none); null when it writes none.
    /// </summary>
    private static Dictionary<string, string>? RequestTags(string operation, HttpRequest request)
    {
        var writesTags = operation == "PutObject"
            || operation == "CopyObject" && string.Equals(request.Headers["x-amz-tagging-directive"].ToString(), "REPLACE", StringComparison.OrdinalIgnoreCase);
        return writesTags && request.Headers.TryGetValue("x-amz-tagging", out var tagging) ? ParseTagQuery(tagging.ToString()) : null;
    }

    /// <summary>
    /// The caller as S3's policies see it: its principal (a key no IAM entity stands behind acts as its account's root; none
    /// when unsigned), its identity policies when --auth enforce applies them, and the condition keys AWS sets for S3 requests.
    /// </summary>
    private S3Caller Caller(CallContext call)
    {
        var request = call.Http.Request;
        var principal = call.AccessKeyId is null ? null : call.PrincipalArn ?? $"arn:aws:iam::{call.AccountId}:root";
        // The router sets Authorize for a signed request from a known key only under --auth enforce; S3 decides with resources itself.
        var enforced = call.Authorize is not null && call.AccessKeyId is not null && call.PrincipalArn is not null;
        var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["aws:SecureTransport"] = request.IsHttps ? "true" : "false",
            ["aws:RequestedRegion"] = call.Region,
            ["aws:CurrentTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["aws:EpochTime"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
        if (call.Http.Connection.RemoteIpAddress is { } ip) keys["aws:SourceIp"] = (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
        if (request.Headers.UserAgent.ToString() is { Length: > 0 } agent) keys["aws:UserAgent"] = agent;
        if (request.Headers.Referer.ToString() is { Length: > 0 } referer) keys["aws:Referer"] = referer;
        if (call.AccessKeyId is not null)
        {
            var sigV2 = request.Headers.Authorization.ToString().StartsWith("AWS ", StringComparison.Ordinal) || request.Query.ContainsKey("AWSAccessKeyId");
            keys["s3:signatureversion"] = sigV2 ? "AWS" : "AWS4-HMAC-SHA256";
            keys["s3:authType"] = request.Headers.Authorization.Count > 0 ? "REST-HEADER" : "REST-QUERY-STRING";
        }
        foreach (var name in (string[])["prefix", "delimiter", "max-keys", "versionId"])
            if (request.Query.TryGetValue(name, out var value)) keys[name == "versionId" ? "s3:VersionId" : "s3:" + name] = value.ToString();
        foreach (var header in (string[])["x-amz-acl", "x-amz-server-side-encryption", "x-amz-content-sha256", "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-storage-class"])
            if (request.Headers.TryGetValue(header, out var value)) keys["s3:" + header] = value.ToString();
        return new S3Caller(principal, call.PrincipalId, call.AccountId, enforced ? _iam.PoliciesOf(call.PrincipalArn!) : null) { Keys = keys };
    }

    // ---- objects ----

    private async Task<OperationResult> PutObjectAsync(S3Request r)
    {
        var (body, digests) = ObjectBody(r);
        var acl = ObjectWriteAcl(r);
        var version = await _s3.PutObjectAsync(r.Scope, r.Bucket, r.Key, body, WriteRequest(r, digests), r.Cancellation);
        if (acl is not null) _s3.SetWrittenAcl(r.Bucket, r.Key, version, acl);
        var result = WithHeaders(OperationResult.Empty(), ("ETag", version.ETag));
        if (version.ChecksumAlgorithm is { } algorithm && version.ChecksumValue is { } value)
        {
            result.Headers.Add(new(Checksum.HeaderName(algorithm), value));
            result.Headers.Add(new("x-amz-checksum-type", version.ChecksumType ?? "FULL_OBJECT"));
        }
        return WithVersionHeader(r, result, version);
    }

    private OperationResult GetObject(S3Request r, bool withBody)
    {
        if (r.Query("partNumber") is not null)
        {
            S3Rules.ValidatePartNumber(PartNumber(r));
            throw S3Errors.NotImplemented("GetObject by partNumber");
        }
        var version = _s3.GetObject(r.Scope, r.Bucket, r.Key, r.Query("versionId"));
        S3Service.EvaluateConditions(version, new S3Conditions(r.Header("If-Match"), r.Header("If-None-Match"),
            HttpDate(r.Header("If-Modified-Since")), HttpDate(r.Header("If-Unmodified-Since"))));

        var (offset, length) = (0L, version.Size);
        var status = 200;
        var headers = new OperationResult();
        if (r.Header("Range") is { } rangeHeader && ParseRange(rangeHeader, version.Size) is { } range)
        {
            (offset, length) = range;
            status = 206;
            headers.Headers.Add(new("Content-Range", $"bytes {offset}-{offset + length - 1}/{version.Size}"));
        }
        headers.Headers.Add(new("Content-Length", length.ToString(CultureInfo.InvariantCulture)));
        headers.Headers.Add(new("ETag", version.ETag));
        headers.Headers.Add(new("Last-Modified", version.LastModified.ToString("r", CultureInfo.InvariantCulture)));
        headers.Headers.Add(new("Accept-Ranges", "bytes"));
        headers.Headers.Add(new("Content-Type", r.Query("response-content-type") ?? version.ContentType ?? DefaultContentType));
        foreach (var name in StoredHeaders)
        {
            var overridden = r.Query("response-" + name.ToLowerInvariant());
            if ((overridden ?? version.Headers.GetValueOrDefault(name)) is { } value) headers.Headers.Add(new(name, value));
        }
        foreach (var (name, value) in version.Metadata) headers.Headers.Add(new("x-amz-meta-" + name, value));
        if (version.Tags.Count > 0) headers.Headers.Add(new("x-amz-tagging-count", version.Tags.Count.ToString(CultureInfo.InvariantCulture)));
        // A checksum describes the whole object, so S3 returns it only for whole-object reads that ask for it.
        if (status == 200 && string.Equals(r.Header("x-amz-checksum-mode"), "ENABLED", StringComparison.OrdinalIgnoreCase)
            && version.ChecksumAlgorithm is { } algorithm && version.ChecksumValue is { } checksum)
        {
            headers.Headers.Add(new(Checksum.HeaderName(algorithm), checksum));
            headers.Headers.Add(new("x-amz-checksum-type", version.ChecksumType ?? "FULL_OBJECT"));
        }
        WithVersionHeader(r, headers, version);
        var result = new OperationResult { StatusCode = status, FileBody = withBody ? _s3.OpenRange(version, offset, length) : null };
        result.Headers.AddRange(headers.Headers);
        return result;
    }

    private async Task<OperationResult> DeleteObjectsAsync(S3Request r)
    {
        if (r.Header("Content-MD5") is null && !Checksum.Algorithms.Any(a => r.Header(Checksum.HeaderName(a)) is not null))
            throw S3Errors.InvalidRequest("Missing required header for this request: Content-MD5");
        var document = await RequiredDocumentAsync(r, "Delete", S3Rules.MaxConfigurationBytes * 2);
        var objects = document.Children("Object").ToList();
        if (objects.Count is 0 or > S3Rules.MaxKeysPerPage) throw S3Errors.MalformedXml();
        var quiet = string.Equals(document.ChildValue("Quiet"), "true", StringComparison.OrdinalIgnoreCase);
        var deleted = new JsonArray();
        var errors = new JsonArray();
        foreach (var item in objects)
        {
            var key = item.ChildValue("Key") ?? throw S3Errors.MalformedXml();
            var versionId = item.ChildValue("VersionId");
            try
            {
                if (r.Denial(S3Authorization.DeleteKey(r.Bucket, key, versionId is not null)) is { } denied) throw denied;
                var outcome = _s3.DeleteObject(r.Scope, r.Bucket, key, versionId);
                if (quiet) continue;
                var entry = new JsonObject { ["Key"] = key, ["VersionId"] = versionId };
                if (outcome.DeleteMarker)
                {
                    entry["DeleteMarker"] = true;
                    entry["DeleteMarkerVersionId"] = outcome.VersionId;
                }
                deleted.Add(entry);
            }
            catch (AwsException e) when (e.StatusCode < 500)
            {
                errors.Add(new JsonObject { ["Key"] = key, ["VersionId"] = versionId, ["Code"] = e.Code, ["Message"] = e.Message });
            }
        }
        return new JsonObject { ["DeleteResult"] = new JsonObject { ["Deleted"] = deleted, ["Error"] = errors } };
    }

    private async Task<OperationResult> CopyObjectAsync(S3Request r)
    {
        var (sourceBucket, sourceKey, sourceVersion) = CopySource(r);
        var acl = ObjectWriteAcl(r);
        var directive = (r.Header("x-amz-metadata-directive") ?? "COPY").ToUpperInvariant();
        var taggingDirective = (r.Header("x-amz-tagging-directive") ?? "COPY").ToUpperInvariant();
        if (directive is not ("COPY" or "REPLACE")) throw S3Errors.InvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
        if (taggingDirective is not ("COPY" or "REPLACE")) throw S3Errors.InvalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", taggingDirective);
        var algorithm = ChecksumAlgorithmOnly(r.Header("x-amz-checksum-algorithm"));
        S3WriteRequest? replacement = null;
        if (directive == "REPLACE" || taggingDirective == "REPLACE" || algorithm.ChecksumAlgorithm is not null)
        {
            var source = _s3.GetObject(r.SourceScope!, sourceBucket, sourceKey, sourceVersion);
            var requested = WriteRequest(r, algorithm);
            replacement = directive == "REPLACE"
                ? requested with { Tags = taggingDirective == "REPLACE" ? requested.Tags : source.Tags }
                : new S3WriteRequest
                {
                    ContentType = source.ContentType, Headers = source.Headers, Metadata = source.Metadata,
                    Tags = taggingDirective == "REPLACE" ? requested.Tags : source.Tags, Digests = algorithm,
                };
        }
        var (copy, copied) = await _s3.CopyObjectAsync(r.Scope, r.SourceScope!, sourceBucket, sourceKey, sourceVersion, r.Bucket, r.Key, replacement,
            CopySourceConditions(r), r.Cancellation);
        if (acl is not null) _s3.SetWrittenAcl(r.Bucket, r.Key, copy, acl);
        var body = new JsonObject { ["ETag"] = copy.ETag, ["LastModified"] = RestXmlBody.Timestamp(copy.LastModified) };
        if (copy.ChecksumAlgorithm is { } checksumAlgorithm && copy.ChecksumValue is { } value)
        {
            body["ChecksumType"] = copy.ChecksumType;
            body["Checksum" + checksumAlgorithm] = value;
        }
        var result = WithSourceVersion(r, sourceBucket, copied, new OperationResult { Body = new JsonObject { ["CopyObjectResult"] = body } });
        return WithVersionHeader(r, result, copy);
    }

    /// <summary>x-amz-copy-source: "bucket/key" (optionally with a leading slash and "?versionId="), percent-encoded.</summary>
    private static (string Bucket, string Key, string? VersionId) CopySource(S3Request r)
    {
        var header = r.Header("x-amz-copy-source") ?? "";
        string? versionId = null;
        var query = header.IndexOf('?');
        if (query >= 0)
        {
            var parameters = QueryHelpers.ParseQuery(header[query..]);
            versionId = parameters.TryGetValue("versionId", out var v) ? v.ToString() : null;
            header = header[..query];
        }
        var path = Uri.UnescapeDataString(header).TrimStart('/');
        var slash = path.IndexOf('/');
        if (slash <= 0 || slash == path.Length - 1)
            throw S3Errors.InvalidArgument("Invalid copy source object key", "x-amz-copy-source", r.Header("x-amz-copy-source") ?? "");
        return (path[..slash], path[(slash + 1)..], versionId);
    }

    private static (long Offset, long Length)? CopySourceRange(S3Request r)
    {
        if (r.Header("x-amz-copy-source-range") is not { } range) return null;
        var bytes = range.StartsWith("bytes=", StringComparison.Ordinal) ? range[6..].Split('-') : [];
        if (bytes.Length != 2 || !long.TryParse(bytes[0], out var first) || !long.TryParse(bytes[1], out var last) || last < first)
            throw S3Errors.InvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                "x-amz-copy-source-range", range);
        return (first, last - first + 1);
    }

    private static S3Conditions CopySourceConditions(S3Request r) => new(r.Header("x-amz-copy-source-if-match"), r.Header("x-amz-copy-source-if-none-match"),
        HttpDate(r.Header("x-amz-copy-source-if-modified-since")), HttpDate(r.Header("x-amz-copy-source-if-unmodified-since")));

    private OperationResult WithSourceVersion(S3Request r, string sourceBucket, S3ObjectVersion source, OperationResult result)
    {
        if (_s3.GetBucket(r.SourceScope!, sourceBucket).Versioning is not null) result.Headers.Add(new("x-amz-copy-source-version-id", source.VersionId));
        return result;
    }

    /// <summary>x-amz-version-id, on buckets that have ever had versioning (unversioned buckets never send it).</summary>
    private OperationResult WithVersionHeader(S3Request r, OperationResult result, S3ObjectVersion version)
    {
        if (_s3.GetBucket(r.Scope, r.Bucket).Versioning is not null) result.Headers.Add(new("x-amz-version-id", version.VersionId));
        return result;
    }

    /// <summary>
    /// The object bytes of a PUT, decoded from aws-chunked when the SDK streamed it, with the digests
    /// they must match: Content-MD5, the signed SHA-256, and one flexible checksum from a header or a trailer.
    /// </summary>
    private static (Stream Body, S3Digests Digests) ObjectBody(S3Request r)
    {
        // S3 objects may be far larger than the endpoint's default request limit; S3 bounds them itself, as they stream.
        if (r.Http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;

        var contentSha256 = r.Header("x-amz-content-sha256") ?? "";
        var encodings = (r.Header("Content-Encoding") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var chunked = contentSha256.StartsWith("STREAMING-", StringComparison.Ordinal) || encodings.Contains("aws-chunked", StringComparer.OrdinalIgnoreCase);
        long? declared = chunked
            ? long.TryParse(r.Header("x-amz-decoded-content-length"), out var decoded) ? decoded : throw S3Errors.MissingContentLength()
            : r.Request.ContentLength;
        if (declared is null && !r.Request.Headers.TransferEncoding.Any()) throw S3Errors.MissingContentLength();

        var md5 = r.Header("Content-MD5");
        if (md5 is not null && !(Convert.TryFromBase64String(md5, new byte[16], out var md5Length) && md5Length == 16)) throw S3Errors.InvalidDigest(md5);

        var headerChecksums = Checksum.Algorithms.Where(a => r.Header(Checksum.HeaderName(a)) is not null).ToList();
        if (headerChecksums.Count > 1) throw S3Errors.InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
        var trailer = r.Header("x-amz-trailer")?.Trim();
        var trailerAlgorithm = trailer is null ? null : Checksum.Algorithms.FirstOrDefault(a => Checksum.HeaderName(a).Equals(trailer, StringComparison.OrdinalIgnoreCase));
        if (trailer is not null && trailerAlgorithm is null) throw S3Errors.InvalidRequest($"The value specified in the x-amz-trailer header is not supported: {trailer}");
        var algorithm = headerChecksums.FirstOrDefault() ?? trailerAlgorithm ?? Checksum.Normalize(r.Header("x-amz-sdk-checksum-algorithm"));
        if (r.Header("x-amz-sdk-checksum-algorithm") is { } sdk && Checksum.Normalize(sdk) is null)
            throw S3Errors.InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.");

        AwsChunkedStream? decoder = chunked ? new AwsChunkedStream(r.Request.Body, () => "The aws-chunked request body is malformed.") : null;
        Func<string?> expected = () => null;
        if (headerChecksums.FirstOrDefault() is { } fromHeader)
        {
            var value = r.Header(Checksum.HeaderName(fromHeader))!;
            if (!Checksum.IsWellFormed(fromHeader, value)) throw S3Errors.InvalidChecksumHeader(Checksum.HeaderName(fromHeader));
            expected = () => value;
        }
        else if (trailerAlgorithm is not null && decoder is not null)
        {
            expected = () => decoder.Trailers.TryGetValue(Checksum.HeaderName(trailerAlgorithm), out var value)
                ? Checksum.IsWellFormed(trailerAlgorithm, value) ? value : throw S3Errors.InvalidChecksumHeader(Checksum.HeaderName(trailerAlgorithm))
                : throw S3Errors.InvalidRequest("x-amz-trailer names a checksum the body's trailers did not carry.");
        }
        var digests = new S3Digests
        {
            ContentMd5 = md5,
            ContentSha256Hex = contentSha256.Length == 64 && contentSha256.All(char.IsAsciiHexDigit) ? contentSha256 : null,
            ChecksumAlgorithm = algorithm,
            ChecksumValue = expected,
            DeclaredLength = declared,
        };
        return (decoder ?? r.Request.Body, digests);
    }

    private static S3Digests ChecksumAlgorithmOnly(string? algorithm) => new()
    {
        ChecksumAlgorithm = algorithm is null ? null : Checksum.Normalize(algorithm) ?? throw S3Errors.InvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"),
    };

    /// <summary>The attributes an object is written with: content type, the stored headers, x-amz-meta-*, x-amz-tagging, and write conditions.</summary>
    private static S3WriteRequest WriteRequest(S3Request r, S3Digests digests)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var metadataBytes = 0;
        foreach (var (name, value) in r.Request.Headers)
        {
            if (!name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase)) continue;
            var key = name["x-amz-meta-".Length..].ToLowerInvariant();
            metadata[key] = value.ToString();
            metadataBytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value.ToString());
        }
        if (metadataBytes > S3Rules.MaxMetadataBytes)
            throw S3Errors.MetadataTooLarge(metadataBytes, S3Rules.MaxMetadataBytes);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in StoredHeaders)
        {
            var value = r.Header(name);
            // aws-chunked describes how this request was framed, not the object; S3 drops it.
            if (name == "Content-Encoding" && value is not null)
                value = string.Join(",", value.Split(',', StringSplitOptions.TrimEntries).Where(e => !e.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
            if (!string.IsNullOrEmpty(value)) headers[name] = value;
        }
        return WriteConditions(r, digests) with
        {
            ContentType = r.Header("Content-Type"),
            Headers = headers,
            Metadata = metadata,
            Tags = r.Header("x-amz-tagging") is { } tagging ? ParseTagQuery(tagging) : [],
        };
    }

    private static S3WriteRequest WriteConditions(S3Request r, S3Digests digests) =>
        new() { Digests = digests, IfMatch = r.Header("If-Match"), IfNoneMatch = r.Header("If-None-Match") };

    private static Dictionary<string, string> ParseTagQuery(string tagging)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in QueryHelpers.ParseQuery("?" + tagging))
            if (!tags.TryAdd(key, value.ToString())) throw S3Errors.InvalidTag("Cannot provide multiple Tags with the same key");
        return tags;
    }

    /// <summary>A single byte range: "bytes=a-b", "bytes=a-" or "bytes=-n"; null when the header is not one S3 honours (it then sends the whole object).</summary>
    private static (long Offset, long Length)? ParseRange(string header, long size)
    {
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',')) return null;
        var spec = header[6..].Trim().Split('-');
        if (spec.Length != 2) return null;
        long first, last;
        if (spec[0].Length == 0)
        {
            if (!long.TryParse(spec[1], out var suffix)) return null;
            if (suffix == 0 || size == 0) throw S3Errors.InvalidRange(header, size);
            first = Math.Max(0, size - suffix);
            last = size - 1;
        }
        else
        {
            if (!long.TryParse(spec[0], out first)) return null;
            if (spec[1].Length == 0) last = size - 1;
            else if (!long.TryParse(spec[1], out last) || last < first) return null;
            if (first >= size) throw S3Errors.InvalidRange(header, size);
            last = Math.Min(last, size - 1);
        }
        return (first, last - first + 1);
    }

    private static int PartNumber(S3Request r) =>
        int.TryParse(r.Query("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number
            : throw S3Errors.InvalidArgument($"Part number must be an integer between 1 and {S3Rules.MaxPartNumber}, inclusive", "partNumber", r.Query("partNumber") ?? "");

    private static DateTimeOffset? HttpDate(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date) ? date : null;

    /// <summary>The attributes x-amz-object-attributes asks for; the ETag unquoted, parts counted from a multipart ETag's suffix, as S3 answers.</summary>
    private OperationResult GetObjectAttributes(S3Request r)
    {
        var asked = (r.Header("x-amz-object-attributes") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (asked.Count == 0 || asked.FirstOrDefault(a => a is not ("ETag" or "Checksum" or "ObjectParts" or "StorageClass" or "ObjectSize")) is not null)
            throw S3Errors.InvalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", r.Header("x-amz-object-attributes") ?? "");
        var version = _s3.GetObject(r.Scope, r.Bucket, r.Key, r.Query("versionId"));
        var body = new JsonObject();
        if (asked.Contains("ETag")) body["ETag"] = version.ETag.Trim('"');
        if (asked.Contains("Checksum") && version.ChecksumAlgorithm is { } algorithm && version.ChecksumValue is { } checksum)
            body["Checksum"] = new JsonObject { ["Checksum" + algorithm] = checksum, ["ChecksumType"] = version.ChecksumType ?? "FULL_OBJECT" };
        var dash = version.ETag.Trim('"').LastIndexOf('-');
        if (asked.Contains("ObjectParts") && dash > 0 && int.TryParse(version.ETag.Trim('"')[(dash + 1)..], out var parts))
            body["ObjectParts"] = new JsonObject { ["TotalPartsCount"] = parts };
        if (asked.Contains("StorageClass")) body["StorageClass"] = "STANDARD";
        if (asked.Contains("ObjectSize")) body["ObjectSize"] = version.Size;
        var result = WithHeaders(new OperationResult { Body = new JsonObject { ["GetObjectAttributesResponse"] = body } },
            ("Last-Modified", version.LastModified.ToString("r", CultureInfo.InvariantCulture)));
        return WithVersionHeader(r, result, version);
    }

    private static OperationResult AclDocument(S3Acl acl) => new() { RawBody = RestXmlBody.Serialize(AccessControl.Document(acl, XmlNamespace)) };

    private static readonly string[] AclHeaders =
        ["x-amz-acl", "x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write", "x-amz-grant-write-acp"];

    /// <summary>
    /// The ACL PutBucketAcl or PutObjectAcl sets: from x-amz-acl or x-amz-grant-* headers, or from an AccessControlPolicy
    /// body; headers and a body at once, or neither, are refused as S3 refuses them.
    /// </summary>
    private static async Task<S3Acl> RequestedAclAsync(S3Request r, string ownerAccountId, string bucketOwnerAccountId, bool forBucket)
    {
        var fromHeaders = AccessControl.FromHeaders(r.Request.Headers, ownerAccountId, bucketOwnerAccountId, forBucket);
        var document = await ReadDocumentAsync(r);
        if (fromHeaders is not null && document is not null) throw S3Errors.AclBodyWithHeaders();
        return fromHeaders ?? (document is null ? throw S3Errors.MissingSecurityHeader("x-amz-acl") : AccessControl.FromDocument(document, ownerAccountId));
    }

    /// <summary>
    /// The ACL an object write (PutObject, CopyObject, CreateMultipartUpload) gives the object, checked against the bucket's
    /// Object Ownership and Block Public Access; null for the default. The object's owner is the bucket's, or under
    /// ObjectWriter (and BucketOwnerPreferred without bucket-owner-full-control) the writer's account, as S3 decides it.
    /// </summary>
    private S3Acl? ObjectWriteAcl(S3Request r)
    {
        var bucket = _s3.GetBucket(r.Scope, r.Bucket);
        var ownership = ObjectOwnership.Of(bucket);
        var writerOwns = ownership == ObjectOwnership.ObjectWriter
            || ownership == ObjectOwnership.BucketOwnerPreferred && r.Header("x-amz-acl") != "bucket-owner-full-control";
        var owner = writerOwns && r.CallerAccountId is { } writer ? writer : bucket.AccountId;
        var acl = AccessControl.FromHeaders(r.Request.Headers, owner, bucket.AccountId, forBucket: false);
        if (acl is not null) _s3.CheckAclAllowed(r.Scope, r.Bucket, acl);
        if (ownership == ObjectOwnership.BucketOwnerEnforced) return null;
        return acl ?? (owner != bucket.AccountId ? AccessControl.Default(owner) : null);
    }

    // ---- listing ----

    private OperationResult ListObjectsV2(S3Request r)
    {
        var prefix = r.Query("prefix") ?? "";
        var delimiter = NullIfEmpty(r.Query("delimiter"));
        var maxKeys = MaxKeys(r, "max-keys");
        var token = r.Query("continuation-token");
        string? marker = r.Query("start-after");
        if (token is not null)
        {
            try { marker = Encoding.UTF8.GetString(Convert.FromBase64String(token)); }
            catch (FormatException) { throw S3Errors.InvalidArgument("The continuation token provided is incorrect", "continuation-token", token); }
        }
        var page = _s3.ListObjects(r.Scope, r.Bucket, prefix, delimiter, NullIfEmpty(marker), maxKeys);
        var encode = EncoderFor(r);
        var fetchOwner = r.Query("fetch-owner") == "true";
        var body = new JsonObject
        {
            ["Name"] = r.Bucket, ["Prefix"] = encode(prefix), ["Delimiter"] = delimiter is null ? null : encode(delimiter), ["MaxKeys"] = maxKeys,
            ["EncodingType"] = r.Query("encoding-type"), ["KeyCount"] = page.Contents.Count + page.CommonPrefixes.Count, ["IsTruncated"] = page.IsTruncated,
            ["ContinuationToken"] = token,
            ["NextContinuationToken"] = page.NextMarker is { } next ? Convert.ToBase64String(Encoding.UTF8.GetBytes(next)) : null,
            ["StartAfter"] = r.Query("start-after") is { } startAfter ? encode(startAfter) : null,
            ["Contents"] = Contents(r, page, encode, fetchOwner),
            ["CommonPrefixes"] = CommonPrefixes(page.CommonPrefixes, encode),
        };
        return new JsonObject { ["ListBucketResult"] = body };
    }

    private OperationResult ListObjectsV1(S3Request r)
    {
        var prefix = r.Query("prefix") ?? "";
        var delimiter = NullIfEmpty(r.Query("delimiter"));
        var maxKeys = MaxKeys(r, "max-keys");
        var marker = r.Query("marker") ?? "";
        var page = _s3.ListObjects(r.Scope, r.Bucket, prefix, delimiter, NullIfEmpty(marker), maxKeys);
        var encode = EncoderFor(r);
        var body = new JsonObject
        {
            ["Name"] = r.Bucket, ["Prefix"] = encode(prefix), ["Marker"] = encode(marker),
            // S3 sends NextMarker only with a delimiter; without one clients continue from the last key.
            ["NextMarker"] = delimiter is not null && page.NextMarker is { } next ? encode(next) : null,
            ["MaxKeys"] = maxKeys, ["Delimiter"] = delimiter is null ? null : encode(delimiter), ["EncodingType"] = r.Query("encoding-type"),
            ["IsTruncated"] = page.IsTruncated,
            ["Contents"] = Contents(r, page, encode, withOwner: true),
            ["CommonPrefixes"] = CommonPrefixes(page.CommonPrefixes, encode),
        };
        return new JsonObject { ["ListBucketResult"] = body };
    }

    private OperationResult ListObjectVersions(S3Request r)
    {
        var prefix = r.Query("prefix") ?? "";
        var delimiter = NullIfEmpty(r.Query("delimiter"));
        var maxKeys = MaxKeys(r, "max-keys");
        var keyMarker = NullIfEmpty(r.Query("key-marker"));
        var versionIdMarker = NullIfEmpty(r.Query("version-id-marker"));
        var page = _s3.ListObjectVersions(r.Scope, r.Bucket, prefix, delimiter, keyMarker, versionIdMarker, maxKeys);
        var encode = EncoderFor(r);
        var owner = Owner(r.Scope.AccountId);
        var versions = new JsonArray();
        var markers = new JsonArray();
        foreach (var (key, version, latest) in page.Versions)
        {
            var item = new JsonObject
            {
                ["Key"] = encode(key), ["VersionId"] = version.VersionId, ["IsLatest"] = latest, ["LastModified"] = RestXmlBody.Timestamp(version.LastModified),
            };
            if (version.IsDeleteMarker)
            {
                item["Owner"] = owner.DeepClone();
                markers.Add(item);
                continue;
            }
            item["ETag"] = version.ETag;
            item["Size"] = version.Size;
            item["StorageClass"] = "STANDARD";
            item["Owner"] = owner.DeepClone();
            versions.Add(item);
        }
        var body = new JsonObject
        {
            ["Name"] = r.Bucket, ["Prefix"] = encode(prefix), ["KeyMarker"] = encode(keyMarker ?? ""), ["VersionIdMarker"] = versionIdMarker ?? "",
            ["NextKeyMarker"] = page.NextKeyMarker is { } nextKey ? encode(nextKey) : null, ["NextVersionIdMarker"] = page.NextVersionIdMarker,
            ["MaxKeys"] = maxKeys, ["Delimiter"] = delimiter is null ? null : encode(delimiter), ["EncodingType"] = r.Query("encoding-type"),
            ["IsTruncated"] = page.IsTruncated, ["Version"] = versions, ["DeleteMarker"] = markers,
            ["CommonPrefixes"] = CommonPrefixes(page.CommonPrefixes, encode),
        };
        return new JsonObject { ["ListVersionsResult"] = body };
    }

    private OperationResult ListParts(S3Request r)
    {
        var upload = _s3.GetUpload(r.Scope, r.Bucket, r.Key, r.Query("uploadId")!);
        var maxParts = MaxKeys(r, "max-parts");
        var marker = int.TryParse(r.Query("part-number-marker"), out var m) ? m : 0;
        var parts = upload.Parts.Values.Where(p => p.PartNumber > marker).ToList();
        var page = parts.Take(maxParts).ToList();
        var owner = Owner(upload.AccountId);
        var body = new JsonObject
        {
            ["Bucket"] = r.Bucket, ["Key"] = r.Key, ["UploadId"] = upload.UploadId, ["PartNumberMarker"] = marker,
            ["NextPartNumberMarker"] = page.Count > 0 ? page[^1].PartNumber : marker, ["MaxParts"] = maxParts, ["IsTruncated"] = parts.Count > page.Count,
            ["Initiator"] = owner.DeepClone(), ["Owner"] = owner, ["StorageClass"] = "STANDARD",
            ["ChecksumAlgorithm"] = upload.ChecksumAlgorithm, ["ChecksumType"] = upload.ChecksumType,
            ["Part"] = new JsonArray([.. page.Select(p =>
            {
                var part = new JsonObject
                {
                    ["PartNumber"] = p.PartNumber, ["LastModified"] = RestXmlBody.Timestamp(p.LastModified), ["ETag"] = p.ETag, ["Size"] = p.Size,
                };
                if (upload.ChecksumAlgorithm is { } algorithm) part["Checksum" + algorithm] = p.ChecksumValue;
                return (JsonNode)part;
            })]),
        };
        return new JsonObject { ["ListPartsResult"] = body };
    }

    private OperationResult ListMultipartUploads(S3Request r)
    {
        if (NullIfEmpty(r.Query("delimiter")) is not null) throw S3Errors.NotImplemented("ListMultipartUploads with a delimiter");
        var prefix = r.Query("prefix") ?? "";
        var maxUploads = MaxKeys(r, "max-uploads");
        var keyMarker = r.Query("key-marker") ?? "";
        var uploadIdMarker = r.Query("upload-id-marker") ?? "";
        var all = _s3.ListUploads(r.Scope, r.Bucket, prefix)
            .SkipWhile(u => keyMarker.Length > 0 && (KeyOrder.Instance.Compare(u.Key, keyMarker) < 0
                || u.Key == keyMarker && (uploadIdMarker.Length == 0 || string.CompareOrdinal(u.UploadId, uploadIdMarker) <= 0)))
            .ToList();
        var page = all.Take(maxUploads).ToList();
        var truncated = all.Count > page.Count;
        var encode = EncoderFor(r);
        var body = new JsonObject
        {
            ["Bucket"] = r.Bucket, ["KeyMarker"] = encode(keyMarker), ["UploadIdMarker"] = uploadIdMarker,
            ["NextKeyMarker"] = truncated ? encode(page[^1].Key) : null, ["NextUploadIdMarker"] = truncated ? page[^1].UploadId : null,
            ["Prefix"] = encode(prefix), ["MaxUploads"] = maxUploads, ["EncodingType"] = r.Query("encoding-type"), ["IsTruncated"] = truncated,
            ["Upload"] = new JsonArray([.. page.Select(u => (JsonNode)new JsonObject
            {
                ["Key"] = encode(u.Key), ["UploadId"] = u.UploadId, ["Initiator"] = Owner(u.AccountId), ["Owner"] = Owner(u.AccountId),
                ["StorageClass"] = "STANDARD", ["Initiated"] = RestXmlBody.Timestamp(u.Initiated),
                ["ChecksumAlgorithm"] = u.ChecksumAlgorithm, ["ChecksumType"] = u.ChecksumType,
            })]),
        };
        return new JsonObject { ["ListMultipartUploadsResult"] = body };
    }

    private static JsonArray Contents(S3Request r, S3ListPage page, Func<string, string> encode, bool withOwner) =>
        new([.. page.Contents.Select(c =>
        {
            var item = new JsonObject
            {
                ["Key"] = encode(c.Key), ["LastModified"] = RestXmlBody.Timestamp(c.Version.LastModified), ["ETag"] = c.Version.ETag,
                ["ChecksumAlgorithm"] = c.Version.ChecksumAlgorithm, ["ChecksumType"] = c.Version.ChecksumType,
                ["Size"] = c.Version.Size, ["StorageClass"] = "STANDARD",
            };
            if (withOwner) item["Owner"] = Owner(r.Scope.AccountId);
            return (JsonNode)item;
        })]);

    private static JsonArray CommonPrefixes(IReadOnlyList<string> prefixes, Func<string, string> encode) =>
        new([.. prefixes.Select(p => (JsonNode)new JsonObject { ["Prefix"] = encode(p) })]);

    /// <summary>encoding-type=url: keys percent-encoded in the response, as the aws CLI always asks.</summary>
    private static Func<string, string> EncoderFor(S3Request r)
    {
        var type = r.Query("encoding-type");
        if (type is null) return s => s;
        return type == "url" ? s => SigV4Signer.UriEncode(s, keepSlash: true) : throw S3Errors.InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", type);
    }

    private static int MaxKeys(S3Request r, string name)
    {
        if (r.Query(name) is not { } text) return S3Rules.MaxKeysPerPage;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw S3Errors.InvalidArgument($"Provided {name} not an integer or within integer range", name, text);
        return Math.Min(value, S3Rules.MaxKeysPerPage);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // ---- documents ----

    /// <summary>A stored bucket configuration document: its subresource, root element, operations, and what a bucket without one answers.</summary>
    private sealed record ConfigurationDocument(string Subresource, string RootElement, string GetOperation, string PutOperation, string? DeleteOperation,
        Func<string, AwsException>? NotFound, string? Default = null, Action<XElement>? Validate = null);

    private static readonly ConfigurationDocument[] Configurations =
    [
        new(PublicAccessBlock.Subresource, "PublicAccessBlockConfiguration", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
            S3Errors.NoSuchPublicAccessBlockConfiguration),
        // Since January 2023 every bucket has SSE-S3 as its default encryption, and deleting a configuration returns to it.
        new("encryption", "ServerSideEncryptionConfiguration", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption", null,
            "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"),
        new("lifecycle", "LifecycleConfiguration", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
            S3Errors.NoSuchLifecycleConfiguration, Validate: ValidateLifecycle),
        new(CorsSubresource, "CORSConfiguration", "GetBucketCors", "PutBucketCors", "DeleteBucketCors", S3Errors.NoSuchCorsConfiguration,
            Validate: d => { if (!d.Children("CORSRule").Any()) throw S3Errors.MalformedXml(); }),
        // Stored and returned; Stratus does not serve buckets as websites.
        new("website", "WebsiteConfiguration", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite", S3Errors.NoSuchWebsiteConfiguration,
            Validate: d => { if (d.Child("IndexDocument") is null && d.Child("RedirectAllRequestsTo") is null) throw S3Errors.MalformedXml(); }),
        new("ownershipControls", "OwnershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
            S3Errors.OwnershipControlsNotFoundError),
        // S3 has no delete: an empty NotificationConfiguration turns notifications off, and a bucket without one answers it empty.
        new(BucketNotifications.Subresource, "NotificationConfiguration", "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", null,
            null, "<NotificationConfiguration />", BucketNotifications.Validate),
    ];

    private static void ValidateLifecycle(XElement document)
    {
        var rules = document.Children("Rule").ToList();
        if (rules.Count is 0 or > 1000 || rules.Any(r => r.ChildValue("Status") is not ("Enabled" or "Disabled"))) throw S3Errors.MalformedXml();
        foreach (var rule in rules)
            if (rule.Child("Expiration")?.ChildValue("Days") is { } days && (!int.TryParse(days, out var n) || n <= 0))
                throw S3Errors.InvalidArgument("'Days' for Expiration action must be a positive integer", "Days", days);
    }

    /// <summary>A small request body (configuration, policy, delete list), checked against Content-MD5 when the client sent one.</summary>
    private static async Task<byte[]> ReadSmallBodyAsync(S3Request r, int maxBytes)
    {
        if (r.Request.ContentLength > maxBytes) throw S3Errors.EntityTooLarge(r.Request.ContentLength.Value, maxBytes);
        Stream source = r.Request.Body;
        if ((r.Header("x-amz-content-sha256") ?? "").StartsWith("STREAMING-", StringComparison.Ordinal)
            || (r.Header("Content-Encoding") ?? "").Contains("aws-chunked", StringComparison.OrdinalIgnoreCase))
            source = new AwsChunkedStream(source, () => "The aws-chunked request body is malformed.");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, r.Cancellation)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw S3Errors.EntityTooLarge(buffer.Length + read, maxBytes);
            buffer.Write(chunk, 0, read);
        }
        var body = buffer.ToArray();
        if (r.Header("Content-MD5") is { } md5 && md5 != Convert.ToBase64String(MD5.HashData(body)))
            throw S3Errors.BadDigest(md5, Convert.ToBase64String(MD5.HashData(body)));
        return body;
    }

    private static async Task<XElement?> ReadDocumentAsync(S3Request r, int maxBytes = S3Rules.MaxConfigurationBytes)
    {
        var body = await ReadSmallBodyAsync(r, maxBytes);
        return body.Length == 0 ? null : RestXmlBody.Parse(body, S3Errors.MalformedXml);
    }

    private static async Task<XElement> RequiredDocumentAsync(S3Request r, string rootElement, int maxBytes = S3Rules.MaxConfigurationBytes)
    {
        var document = await ReadDocumentAsync(r, maxBytes);
        return document is not null && document.Name.LocalName == rootElement ? document : throw S3Errors.MalformedXml();
    }

    private static Dictionary<string, string> TagSet(XElement tagging)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tagging.Child("TagSet")?.Children("Tag") ?? throw S3Errors.MalformedXml())
        {
            var key = tag.ChildValue("Key") ?? throw S3Errors.MalformedXml();
            if (!tags.TryAdd(key, tag.ChildValue("Value") ?? "")) throw S3Errors.InvalidTag("Cannot provide multiple Tags with the same key");
        }
        return tags;
    }

    private static JsonObject Tagging(IReadOnlyDictionary<string, string> tags) => new()
    {
        ["Tagging"] = new JsonObject
        {
            ["TagSet"] = new JsonObject
            {
                ["Tag"] = new JsonArray([.. tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value })]),
            },
        },
    };

    private static JsonObject Owner(string accountId) => new() { ["ID"] = S3Service.CanonicalUserId(accountId) };

    private static OperationResult WithHeaders(OperationResult result, params (string Name, string Value)[] headers)
    {
        foreach (var (name, value) in headers) result.Headers.Add(new(name, value));
        return result;
    }
}
