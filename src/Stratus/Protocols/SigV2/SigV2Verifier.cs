using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Stratus.Host;
using Stratus.Protocols.RestXml;
using Stratus.Protocols.SigV4;

namespace Stratus.Protocols.SigV2;

/// <summary>
/// Checks an S3 Signature Version 2 request (header or presigned URL) for <c>--auth verify</c> and <c>enforce</c>, with
/// S3's own codes: InvalidAccessKeyId, SignatureDoesNotMatch (with the string to sign, as S3 returns it), an expired
/// URL's AccessDenied, RequestTimeTooSkewed beyond 15 minutes.
/// </summary>
public static class SigV2Verifier
{
    public static AwsException? Verify(HttpContext http, SigV4Credential credential, KnownCredential? known, DateTimeOffset now)
    {
        var request = http.Request;
        if (known is null) return InvalidAccessKeyId(credential.AccessKeyId);
        var presigned = !request.Headers.Authorization.ToString().StartsWith("AWS ", StringComparison.Ordinal);
        string Signed(string name) => presigned && request.Query.TryGetValue(name, out var fromQuery) ? fromQuery.ToString() : request.Headers[name].ToString();

        if (known.SessionToken is not null && Signed("x-amz-security-token") != known.SessionToken) return InvalidToken();
        if (known.Expiration is { } expiry && expiry < now) return ExpiredToken();

        string date;
        if (presigned)
        {
            date = request.Query["Expires"].ToString();
            if (!long.TryParse(date, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
                return AccessDenied($"Invalid date (should be seconds since epoch): {date}");
            if (DateTimeOffset.FromUnixTimeSeconds(Math.Min(expires, DateTimeOffset.MaxValue.ToUnixTimeSeconds())) < now)
                return new AwsException("AccessDenied", "Request has expired", 403)
                {
                    Fields = new Dictionary<string, string> { ["Expires"] = Iso(DateTimeOffset.FromUnixTimeSeconds(expires)), ["ServerTime"] = Iso(now) },
                };
        }
        else
        {
            // With x-amz-date the Date line of the string to sign is empty (S3's REST authentication rules); the time is x-amz-date's.
            var amzDate = request.Headers["x-amz-date"].ToString();
            date = amzDate.Length > 0 ? "" : request.Headers.Date.ToString();
            if (!DateTimeOffset.TryParse(amzDate.Length > 0 ? amzDate : date, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
                return AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
            if ((signedAt - now).Duration() > SigV4Verifier.AllowedSkew)
                return new AwsException("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", 403)
                {
                    Fields = new Dictionary<string, string>
                    {
                        ["RequestTime"] = amzDate.Length > 0 ? amzDate : date, ["ServerTime"] = Iso(now),
                        ["MaxAllowedSkewMilliseconds"] = ((long)SigV4Verifier.AllowedSkew.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                    },
                };
        }

        // The x-amz-* headers signed: sent as headers, or carried in a presigned URL's query (the security token).
        var amzHeaders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers)
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
                amzHeaders[name.ToLowerInvariant()] = string.Join(',', values.Select(v => (v ?? "").Trim()));
        if (presigned)
            foreach (var (name, values) in request.Query)
                if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
                    amzHeaders[name.ToLowerInvariant()] = values.ToString().Trim();

        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var queryStart = rawTarget.IndexOf('?');
        var hostBucket = VirtualHostBuckets.BucketOf(request.Host.Host);
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var rawQuery = queryStart < 0 ? "" : rawTarget[(queryStart + 1)..];
        var provided = presigned ? request.Query["Signature"].ToString() : request.Headers.Authorization.ToString()[4..].Split(':', 2) is [_, var signature] ? signature.Trim() : "";
        // A bucket's own resource is signed as "/bucket/" by botocore and as "/bucket" by other SDKs for a path-style "/bucket".
        string? firstStringToSign = null;
        foreach (var path in hostBucket is null && rawPath.Length > 1 && rawPath.IndexOf('/', 1) < 0 ? [rawPath + "/", rawPath] : new[] { rawPath })
        {
            var stringToSign = SigV2Signer.StringToSign(request.Method, Signed("Content-MD5"), Signed("Content-Type"), date, amzHeaders,
                SigV2Signer.CanonicalResource(hostBucket, path, rawQuery));
            firstStringToSign ??= stringToSign;
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(SigV2Signer.Signature(known.SecretAccessKey, stringToSign)), Encoding.ASCII.GetBytes(provided)))
                return null;
        }
        return new AwsException("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", 403)
        {
            Fields = new Dictionary<string, string>
            {
                ["AWSAccessKeyId"] = credential.AccessKeyId, ["StringToSign"] = firstStringToSign!, ["SignatureProvided"] = provided,
            },
        };
    }

    private static AwsException InvalidAccessKeyId(string key) =>
        new("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403)
        {
            Fields = new Dictionary<string, string> { ["AWSAccessKeyId"] = key },
        };

    private static AwsException InvalidToken() => new("InvalidToken", "The provided token is malformed or otherwise invalid.", 400);

    private static AwsException ExpiredToken() => new("ExpiredToken", "The provided token has expired.", 400);

    private static AwsException AccessDenied(string message) => new("AccessDenied", message, 403);

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
