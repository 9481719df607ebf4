using System.Security.Cryptography;
using System.Text;

namespace Stratus.Protocols.SigV2;

/// <summary>
/// S3's Signature Version 2 (HMAC-SHA1), as older SDKs and boto3 with <c>signature_version="s3"</c> still sign:
/// the string to sign is <c>VERB\nContent-MD5\nContent-Type\nDate-or-Expires\n</c>, the <c>x-amz-*</c> headers
/// (lower-cased, sorted, values trimmed and comma-joined), and the canonical resource: the path with its bucket
/// (also for virtual-host-style requests) and the subresources S3 signs, sorted.
/// </summary>
public static class SigV2Signer
{
    /// <summary>The query parameters that are part of the canonical resource (S3's REST authentication documentation's list, and what SDKs sign).</summary>
    private static readonly HashSet<string> SignedSubresources = new(StringComparer.Ordinal)
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle", "location", "logging", "metrics",
        "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment", "restore", "select", "select-type",
        "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
        "response-content-type", "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
    };

    public static string StringToSign(string method, string contentMd5, string contentType, string date,
        IEnumerable<KeyValuePair<string, string>> amzHeaders, string canonicalResource)
    {
        var builder = new StringBuilder();
        builder.Append(method.ToUpperInvariant()).Append('\n').Append(contentMd5.Trim()).Append('\n').Append(contentType.Trim()).Append('\n')
            .Append(date.Trim()).Append('\n');
        foreach (var (name, value) in amzHeaders.OrderBy(h => h.Key, StringComparer.Ordinal)) builder.Append(name).Append(':').Append(value).Append('\n');
        return builder.Append(canonicalResource).ToString();
    }

    /// <summary>The path as sent (still percent-encoded), prefixed with the bucket a virtual-host name carried, and the signed subresources sorted by name.</summary>
    public static string CanonicalResource(string? hostBucket, string rawPath, string rawQuery)
    {
        var resource = new StringBuilder();
        if (hostBucket is not null) resource.Append('/').Append(hostBucket);
        resource.Append(rawPath.Length == 0 ? "/" : rawPath);
        var signed = new List<(string Name, string Text)>();
        foreach (var part in rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
            if (!SignedSubresources.Contains(name)) continue;
            // Values are signed decoded ("versionId=abc"); a subresource sent without '=' is signed as its bare name.
            signed.Add((name, eq < 0 ? name : $"{name}={Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '))}"));
        }
        if (signed.Count > 0) resource.Append('?').Append(string.Join('&', signed.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.Text)));
        return resource.ToString();
    }

    public static string Signature(string secretAccessKey, string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretAccessKey), Encoding.UTF8.GetBytes(stringToSign)));
}
