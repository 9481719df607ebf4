using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols.SigV4;

/// <summary>
/// The parts of a SigV4 signature a router needs: whose key, and the credential scope
/// (<c>KEY/DATE/REGION/SERVICE/aws4_request</c>) that names the region and the service.
/// </summary>
public sealed record SigV4Credential(string AccessKeyId, string Date, string Region, string Service)
{
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
