using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols.SigV4;

/// <summary>
/// The parts of a SigV4 signature a router needs: whose key, and the credential scope
/// (<c>KEY/DATE/REGION/SERVICE/aws4_request</c>) that names the region and the service. S3 also takes
/// Signature Version 2 (<see cref="FromSigV2"/>), whose credential is the key alone: no date, no region.
/// </summary>
public sealed record SigV4Credential(string AccessKeyId, string Date, string Region, string Service)
{
    /// <summary>True for an S3 Signature Version 2 credential (<c>Authorization: AWS KEY:SIGNATURE</c>, or a URL presigned with <c>AWSAccessKeyId</c>).</summary>
    public bool IsSigV2 { get; init; }

    /// <summary>
    /// S3's Signature Version 2 credential, from <c>Authorization: AWS KEY:SIGNATURE</c> or a presigned URL's
    /// <c>AWSAccessKeyId</c>/<c>Signature</c>. Only S3 speaks SigV2, so it names the s3 service; the region is
    /// left empty (the default region), as SigV2 signs none.
    /// </summary>
    public static SigV4Credential? FromSigV2(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        string key;
        if (authorization.StartsWith("AWS ", StringComparison.Ordinal))
            key = authorization[4..].Split(':')[0].Trim();
        else if (request.Query.TryGetValue("AWSAccessKeyId", out var presigned) && request.Query.ContainsKey("Signature"))
            key = presigned.ToString();
        else
            return null;
        return key.Length == 0 ? null : new SigV4Credential(key, "", "", "s3") { IsSigV2 = true };
    }

    private const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>From the Authorization header, or from a presigned URL's X-Amz-Credential.</summary>
    public static SigV4Credential? From(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith(Algorithm, StringComparison.Ordinal))
        {
            var scope = Component(authorization, "Credential=");
            return scope is null ? null : Parse(scope);
        }
        return request.Query.TryGetValue("X-Amz-Credential", out var presigned) ? Parse(presigned.ToString()) : null;
    }

    public static SigV4Credential? Parse(string scope)
    {
        var parts = scope.Split('/');
        return parts.Length == 5 && parts[4] == "aws4_request" && parts[0].Length > 0
            ? new SigV4Credential(parts[0], parts[1], parts[2], parts[3])
            : null;
    }

    /// <summary>One "Name=value" component of an Authorization header, up to the next comma.</summary>
    public static string? Component(string authorization, string name)
    {
        var start = authorization.IndexOf(name, StringComparison.Ordinal);
        if (start < 0) return null;
        start += name.Length;
        var end = authorization.IndexOf(',', start);
        return (end < 0 ? authorization[start..] : authorization[start..end]).Trim();
    }
}
