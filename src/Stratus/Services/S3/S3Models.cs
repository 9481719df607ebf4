namespace Stratus.Services.S3;

/// <summary>A bucket: its owner, home region and the configurations S3 stores for it.</summary>
public sealed record S3Bucket
{
    public required string Name { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset CreationDate { get; init; }
    /// <summary>Null until versioning was ever set; then "Enabled" or "Suspended" (never back to unversioned, as on S3).</summary>
    public string? Versioning { get; init; }
    public string? Policy { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    /// <summary>Stored configuration documents by subresource ("cors", "lifecycle", ...), as the XML the client sent.</summary>
    public Dictionary<string, string> Configurations { get; init; } = [];
    /// <summary>Null while the bucket has its default ACL (its owner's FULL_CONTROL).</summary>
    public S3Acl? Acl { get; init; }
}

/// <summary>An access control list: its owner (an account) and the grants; S3 shows the owner by canonical user id.</summary>
public sealed record S3Acl(string OwnerAccountId, List<S3Grant> Grants);

/// <summary>One grant: to a canonical user (by id) or a group (by URI), of READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.</summary>
public sealed record S3Grant(string GranteeType, string Grantee, string Permission);

/// <summary>One version of an object (the only one, "null", in an unversioned bucket), or a delete marker.</summary>
public sealed record S3ObjectVersion
{
    /// <summary>"null" for objects written while versioning was off or suspended, as S3 reports it.</summary>
    public required string VersionId { get; init; }
    public bool IsDeleteMarker { get; init; }
    public required DateTimeOffset LastModified { get; init; }
    public long Size { get; init; }
    /// <summary>With its quotes, as S3 returns it.</summary>
    public string ETag { get; init; } = "";
    /// <summary>The file under the object store holding the bytes; null for delete markers.</summary>
    public string? BlobId { get; init; }
    public string? ContentType { get; init; }
    /// <summary>Content-Encoding, Content-Disposition, Cache-Control, Content-Language, Expires: returned as sent.</summary>
    public Dictionary<string, string> Headers { get; init; } = [];
    /// <summary>x-amz-meta-* without the prefix, names lower-cased as S3 keeps them.</summary>
    public Dictionary<string, string> Metadata { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    public string? ChecksumAlgorithm { get; init; }
    public string? ChecksumValue { get; init; }
    /// <summary>"FULL_OBJECT", or "COMPOSITE" for a checksum of part checksums.</summary>
    public string? ChecksumType { get; init; }
    /// <summary>Null while the version has its default ACL (its owner's FULL_CONTROL, the owner being the bucket's).</summary>
    public S3Acl? Acl { get; init; }
}

/// <summary>An object key and its versions, newest first.</summary>
public sealed record S3ObjectEntry
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required List<S3ObjectVersion> Versions { get; init; }

    public S3ObjectVersion? Current => Versions.Count > 0 ? Versions[0] : null;
}

/// <summary>A multipart upload in progress; its parts are files under the upload's directory.</summary>
public sealed record S3Upload
{
    public required string UploadId { get; init; }
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required string AccountId { get; init; }
    public required DateTimeOffset Initiated { get; init; }
    public string? ContentType { get; init; }
    public Dictionary<string, string> Headers { get; init; } = [];
    public Dictionary<string, string> Metadata { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    public string? ChecksumAlgorithm { get; init; }
    public string? ChecksumType { get; init; }
    /// <summary>The ACL CreateMultipartUpload asked for, given to the object when the upload completes.</summary>
    public S3Acl? Acl { get; init; }
    public SortedDictionary<int, S3Part> Parts { get; init; } = [];
}

public sealed record S3Part(int PartNumber, long Size, string ETag, DateTimeOffset LastModified, string BlobId, string? ChecksumValue);

/// <summary>What the client declared about an object it is writing: its attributes and the digests its bytes must match.</summary>
public sealed record S3WriteRequest
{
    public string? ContentType { get; init; }
    public Dictionary<string, string> Headers { get; init; } = [];
    public Dictionary<string, string> Metadata { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    public required S3Digests Digests { get; init; }
    /// <summary>If-None-Match: * (write only if absent) or If-Match: etag (write only over that version).</summary>
    public string? IfNoneMatch { get; init; }
    public string? IfMatch { get; init; }
}

/// <summary>The digests a body must match: Content-MD5, the signed SHA-256 and a flexible checksum (header or trailer).</summary>
public sealed record S3Digests
{
    public string? ContentMd5 { get; init; }
    public string? ContentSha256Hex { get; init; }
    /// <summary>CRC32, CRC32C, CRC64NVME, SHA1 or SHA256: the flexible checksum computed as the bytes arrive.</summary>
    public string? ChecksumAlgorithm { get; init; }
    /// <summary>The checksum's expected value, asked for once the body is read (trailers arrive after it).</summary>
    public Func<string?> ChecksumValue { get; init; } = () => null;
    public long? DeclaredLength { get; init; }
}

/// <summary>Conditional request headers of GetObject and HeadObject.</summary>
public sealed record S3Conditions(string? IfMatch, string? IfNoneMatch, DateTimeOffset? IfModifiedSince, DateTimeOffset? IfUnmodifiedSince);

public sealed record S3ListPage(IReadOnlyList<(string Key, S3ObjectVersion Version)> Contents, IReadOnlyList<string> CommonPrefixes, bool IsTruncated, string? NextMarker);

public sealed record S3VersionListPage(IReadOnlyList<(string Key, S3ObjectVersion Version, bool IsLatest)> Versions, IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated, string? NextKeyMarker, string? NextVersionIdMarker);

/// <summary>An account's Block Public Access configuration (S3 Control), as a PublicAccessBlockConfiguration document with all four settings.</summary>
public sealed record S3AccountPublicAccessBlock(string AccountId, string Document);
