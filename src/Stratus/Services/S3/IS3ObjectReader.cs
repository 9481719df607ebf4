using Stratus.Protocols;
using Stratus.Protocols.RestXml;

namespace Stratus.Services.S3;

/// <summary>
/// What other services read from S3 (CloudFormation's TemplateURL, Lambda's S3Bucket/S3Key packages, API Gateway's mutual TLS truststores):
/// an object through S3's domain, with S3's own errors, never over HTTP.
/// </summary>
public interface IS3ObjectReader
{
    /// <summary>
    /// The whole object (the version asked for, else the current one) as the caller's account sees it;
    /// S3's errors (NoSuchBucket, NoSuchKey, NoSuchVersion, AccessDenied) when it cannot be read, and
    /// <paramref name="tooLarge"/>'s exception, given the size, when it is larger than <paramref name="maxBytes"/>.
    /// </summary>
    byte[] ReadObject(Scope scope, string bucket, string key, string? versionId, long maxBytes, Func<long, Exception> tooLarge);
}

/// <summary>An object named by an S3 URL: bucket, key and, when the URL names one, the version.</summary>
public sealed record S3ObjectAddress(string Bucket, string Key, string? VersionId)
{
    /// <summary>
    /// Reads the URL forms AWS tools write for an object: path style (<c>https://s3.REGION.amazonaws.com/BUCKET/KEY</c>,
    /// <c>https://s3.amazonaws.com/BUCKET/KEY</c>, <c>https://s3-REGION.amazonaws.com/BUCKET/KEY</c>, or Stratus's own
    /// <c>http://localhost:4566/BUCKET/KEY</c>) and virtual-host style (<c>https://BUCKET.s3.REGION.amazonaws.com/KEY</c>,
    /// <c>http://BUCKET.s3.localhost:4566/KEY</c>), with <c>?versionId=</c>. Every one names an object in Stratus's S3;
    /// any other host is not an S3 URL (null).
    /// </summary>
    public static S3ObjectAddress? FromUrl(string url, string ownHost)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        var host = uri.Host.ToLowerInvariant();
        var path = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var versionId = VersionIdOf(uri.Query);
        if (VirtualHostBuckets.BucketOf(host) is { } virtualBucket)
            return path.Length == 0 ? null : new S3ObjectAddress(virtualBucket, path, versionId);
        if (!IsPathStyleHost(host, ownHost)) return null;
        var slash = path.IndexOf('/');
        return slash <= 0 || slash == path.Length - 1 ? null : new S3ObjectAddress(path[..slash], path[(slash + 1)..], versionId);
    }

    /// <summary>An S3 URI, <c>s3://BUCKET/KEY</c>, as AWS's APIs take them for packages and snippets; null when it is none.</summary>
    public static S3ObjectAddress? FromS3Uri(string uri)
    {
        const string scheme = "s3://";
        var slash = uri.StartsWith(scheme, StringComparison.Ordinal) ? uri.IndexOf('/', scheme.Length) : -1;
        return slash <= scheme.Length || slash == uri.Length - 1 ? null : new S3ObjectAddress(uri[scheme.Length..slash], uri[(slash + 1)..], null);
    }

    private static bool IsPathStyleHost(string host, string ownHost) =>
        host == ownHost.ToLowerInvariant() || host is "localhost" or "127.0.0.1" or "[::1]"
        || host.EndsWith(".localhost", StringComparison.Ordinal)
        || host.EndsWith(".amazonaws.com", StringComparison.Ordinal) && (host.StartsWith("s3.", StringComparison.Ordinal) || host.StartsWith("s3-", StringComparison.Ordinal));

    private static string? VersionIdOf(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals > 0 && pair[..equals] == "versionId") return Uri.UnescapeDataString(pair[(equals + 1)..]);
        }
        return null;
    }
}
