namespace Stratus.Protocols.RestXml;

/// <summary>S3's virtual-host-style addressing: the bucket a request's host name carries. Shared by S3 and its SigV2 signatures, whose canonical resource names that bucket.</summary>
public static class VirtualHostBuckets
{
    /// <summary>
    /// The bucket a virtual-host-style host name names: <c>bucket.s3.localhost</c>, <c>bucket.s3.REGION.localhost</c>,
    /// <c>bucket.localhost</c>, <c>bucket.s3.amazonaws.com</c>, <c>bucket.s3.REGION.amazonaws.com</c>; null for path style.
    /// </summary>
    public static string? BucketOf(string host)
    {
        host = host.ToLowerInvariant();
        string rest;
        var local = host.EndsWith(".localhost", StringComparison.Ordinal);
        if (local) rest = host[..^".localhost".Length];
        else if (host.EndsWith(".amazonaws.com", StringComparison.Ordinal)) rest = host[..^".amazonaws.com".Length];
        else return null;
        var labels = rest.Split('.');
        // The service label is "s3" (or "s3-REGION"), followed by at most a region and "dualstack".
        for (var i = labels.Length - 1; i >= Math.Max(0, labels.Length - 3); i--)
            if (labels[i] == "s3" || labels[i].StartsWith("s3-", StringComparison.Ordinal))
                return i == 0 ? null : string.Join('.', labels[..i]);
        return local && !rest.Contains(".execute-api", StringComparison.Ordinal) ? rest : null;
    }
}
