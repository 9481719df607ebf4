using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Stratus.Host;

namespace Stratus.Protocols.SigV4;

/// <summary>
/// Checks a request's SigV4 signature exactly as AWS does, for <c>stratus start --auth verify</c>:
/// unknown keys, wrong signatures, wrong session tokens and stale timestamps are refused with AWS's codes.
/// </summary>
public sealed class SigV4Verifier(TimeProvider clock)
{
    public static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(15);

    public static AwsException MissingAuthenticationToken() => new("MissingAuthenticationToken", "Request is missing Authentication Token", 403);

    public async Task<AwsException?> VerifyAsync(HttpContext http, SigV4Credential? credential, KnownCredential? known)
    {
        var request = http.Request;
        if (credential is null)
            return MissingAuthenticationToken();
        if (credential.IsSigV2)
            return SigV2.SigV2Verifier.Verify(http, credential, known, clock.GetUtcNow());
        if (known is null)
            return new AwsException("InvalidClientTokenId", "The security token included in the request is invalid.", 403);

        var presigned = request.Query.ContainsKey("X-Amz-Signature");
        var token = presigned ? request.Query["X-Amz-Security-Token"].ToString() : request.Headers["X-Amz-Security-Token"].ToString();
        if (known.SessionToken is not null && token != known.SessionToken)
            return new AwsException("InvalidClientTokenId", "The security token included in the request is invalid.", 403);

        var now = clock.GetUtcNow();
        if (known.Expiration is { } expiry && expiry < now)
            return new AwsException("ExpiredToken", "The security token included in the request is expired", 403);

        var amzDate = presigned ? request.Query["X-Amz-Date"].ToString() : request.Headers["X-Amz-Date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, SigV4Signer.DateFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
            return new AwsException("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", 403);
        if (!presigned && (signedAt - now).Duration() > AllowedSkew)
            return new AwsException("RequestExpired",
                $"Signature expired: {amzDate} is now earlier than {(now - AllowedSkew).ToString(SigV4Signer.DateFormat, CultureInfo.InvariantCulture)} ({now.ToString(SigV4Signer.DateFormat, CultureInfo.InvariantCulture)} - 15 min.)", 403);
        if (presigned && int.TryParse(request.Query["X-Amz-Expires"], out var expires) && signedAt.AddSeconds(expires) < now)
            return new AwsException("RequestExpired", "Request has expired.", 403);

        var authorization = request.Headers.Authorization.ToString();
        var signedHeaders = presigned ? request.Query["X-Amz-SignedHeaders"].ToString() : SigV4Credential.Component(authorization, "SignedHeaders=");
        var provided = presigned ? request.Query["X-Amz-Signature"].ToString() : SigV4Credential.Component(authorization, "Signature=");
        if (string.IsNullOrEmpty(signedHeaders) || string.IsNullOrEmpty(provided))
            return new AwsException("IncompleteSignature", "The request signature is missing its SignedHeaders or Signature component.", 403);

        var headers = signedHeaders.Split(';').Select(name => new KeyValuePair<string, string>(name,
            SigV4Signer.CanonicalHeaderValue(name == "host" ? request.Host.Value ?? "" : string.Join(',', request.Headers[name].ToArray()))));
        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var queryStart = rawTarget.IndexOf('?');
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        // Every service but S3 signs the path encoded twice (the sent, encoded path encoded again); S3 signs it encoded once.
        var canonicalPath = credential.Service == "s3" ? Uri.UnescapeDataString(rawPath) : rawPath;
        var scope = $"{credential.Date}/{credential.Region}/{credential.Service}/aws4_request";
        bool Matches(string payloadHash)
        {
            var canonical = SigV4Signer.CanonicalRequest(request.Method, SigV4Signer.UriEncode(canonicalPath.Length == 0 ? "/" : canonicalPath, keepSlash: true),
                SigV4Signer.CanonicalQuery(queryStart < 0 ? "" : rawTarget[(queryStart + 1)..]), headers, signedHeaders, payloadHash);
            var expected = SigV4Signer.Signature(
                SigV4Signer.SigningKey(known.SecretAccessKey, credential.Date, credential.Region, credential.Service),
                SigV4Signer.StringToSign(amzDate, scope, canonical));
            return CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(provided));
        }
        // A URL presigned for a service other than S3 (execute-api's WebSocket upgrade, as botocore's SigV4QueryAuth and the JS SDK's
        // presign make it) signs the body's hash, the empty body's for a GET; S3's presigned URLs sign UNSIGNED-PAYLOAD.
        var matches = Matches(await PayloadHashAsync(http, presigned))
            || presigned && credential.Service != "s3" && Matches(request.Method is "GET" or "HEAD" && request.ContentLength is null or 0
                // A GET has no body to read (and an upgrade request's body is the connection after it): the empty body's hash.
                ? SigV4Signer.Hex(SHA256.HashData(ReadOnlySpan<byte>.Empty))
                : await PayloadHashAsync(http, presigned: false));
        return matches
            ? null
            : new AwsException("SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", 403);
    }

    /// <summary>
    /// The body's SHA-256, computed rather than taken from X-Amz-Content-Sha256 so a body changed after
    /// signing fails the check; the body is buffered so the service can still read it afterwards.
    /// </summary>
    private static async Task<string> PayloadHashAsync(HttpContext http, bool presigned)
    {
        var declared = http.Request.Headers["X-Amz-Content-Sha256"].ToString();
        if (presigned || declared == "UNSIGNED-PAYLOAD") return "UNSIGNED-PAYLOAD";
        // S3 signs the declared hash (the body's SHA-256 or a STREAMING-* marker) and checks the body
        // against it as the object streams to disk, so its bodies, up to 5 GB, are never buffered here.
        if (SigV4Credential.From(http.Request)?.Service == "s3" && declared.Length > 0) return declared;
        http.Request.EnableBuffering();
        var hash = await SHA256.HashDataAsync(http.Request.Body, http.RequestAborted);
        http.Request.Body.Position = 0;
        return SigV4Signer.Hex(hash);
    }
}
