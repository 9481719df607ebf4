using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Protocols;

namespace Stratus.Services.Ecr;

/// <summary>
/// ECR's registry: the OCI Distribution Spec's /v2/ endpoints as docker, podman, buildah, skopeo and crane
/// use them, on Stratus's one port. Logins are HTTP Basic with user AWS and GetAuthorizationToken's password,
/// which also names the account and region the request is in (ECR tells them by the registry host). Errors
/// are the spec's JSON bodies. Served before the AWS request router, which would take /v2/ for an API call.
/// </summary>
/// <param name="authorizer">Under `--auth enforce`, decides each request as its login's principal taking the ECR action it stands for; null otherwise.</param>
public sealed partial class EcrRegistry(EcrService ecr, ILogger logger, IActionAuthorizer? authorizer = null) : IRequestInterceptor
{
    /// <summary>GetDownloadUrlForLayer's URLs carry a registry password in this query parameter instead of a header.</summary>
    public const string DownloadTokenParameter = "X-Stratus-Ecr-Token";
    private const string ApiVersionHeader = "Docker-Distribution-API-Version";
    /// <summary>Error messages quote names; clients print them, so quotes stay quotes rather than \u0027.</summary>
    private static readonly JsonSerializerOptions ReadableJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"^/v2/(?<name>.+)/manifests/(?<reference>[^/]+)$")]
    private static partial Regex ManifestPath();

    [GeneratedRegex(@"^/v2/(?<name>.+)/blobs/uploads/?$")]
    private static partial Regex UploadsPath();

    [GeneratedRegex(@"^/v2/(?<name>.+)/blobs/uploads/(?<id>[^/]+)$")]
    private static partial Regex UploadPath();

    [GeneratedRegex(@"^/v2/(?<name>.+)/blobs/(?<digest>[^/]+)$")]
    private static partial Regex BlobPath();

    [GeneratedRegex(@"^/v2/(?<name>.+)/tags/list$")]
    private static partial Regex TagsPath();

    [GeneratedRegex(@"^(bytes=)?(?<start>\d+)-(?<end>\d+)?$")]
    private static partial Regex RangePattern();

    /// <summary>Registry requests: /v2/... without a SigV4 signature (no AWS API lives under /v2/).</summary>
    public bool Claims(HttpRequest request) =>
        (request.Path.Value is "/v2" || request.Path.StartsWithSegments("/v2"))
        && !request.Headers.Authorization.ToString().StartsWith("AWS4-", StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers[ApiVersionHeader] = "registry/2.0";
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        try
        {
            var login = Authenticate(http.Request, requestId);
            if (login is null)
            {
                http.Response.Headers.WWWAuthenticate = $"Basic realm=\"https://{ecr.RegistryHost}/\",service=\"ecr.amazonaws.com\"";
                await WriteErrorAsync(http, 401, "UNAUTHORIZED", http.Request.Headers.Authorization.Count == 0
                    ? "authentication required: log in with user AWS and the password from aws ecr get-login-password"
                    : "the login is not valid: the password is not one Stratus issued, or it expired (aws ecr get-login-password issues a new one)");
                return;
            }
            await DispatchAsync(http, login);
        }
        catch (AwsException error)
        {
            var (code, status) = EcrErrors.RegistryError(error);
            await WriteErrorAsync(http, status, code, error.Message);
        }
        catch (BadHttpRequestException error)
        {
            await WriteErrorAsync(http, error.StatusCode, "UNSUPPORTED", error.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            logger.LogWarning(error, "registry request {Method} {Path} failed", http.Request.Method, http.Request.Path);
            if (!http.Response.HasStarted) await WriteErrorAsync(http, 500, "UNKNOWN", "the registry could not complete the request: " + error.Message);
        }
    }

    private RegistryLogin? Authenticate(HttpRequest request, string requestId)
    {
        if (request.Query[DownloadTokenParameter].ToString() is { Length: > 0 } downloadToken && HttpMethods.IsGet(request.Method) && BlobPath().IsMatch(request.Path.Value!))
            return ecr.Authenticate("AWS", downloadToken, requestId);
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return null;
        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = credentials.IndexOf(':');
        return colon < 0 ? null : ecr.Authenticate(credentials[..colon], credentials[(colon + 1)..], requestId);
    }

    private Task DispatchAsync(HttpContext http, RegistryLogin login)
    {
        var path = http.Request.Path.Value ?? "/";
        var method = http.Request.Method;
        var scope = login.Scope;
        if (path is "/v2" or "/v2/")
            return HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? WriteJsonAsync(http, 200, new JsonObject()) : MethodNotAllowed(http);
        if (TagsPath().Match(path) is { Success: true } tags)
            return HttpMethods.IsGet(method) ? Authorized(http, login, Name(tags), ["ecr:ListImages"], name => ListTagsAsync(http, scope, name)) : MethodNotAllowed(http);
        if (ManifestPath().Match(path) is { Success: true } manifest)
            return Authorized(http, login, Name(manifest), [ManifestAction(method)], name => ManifestAsync(http, scope, name, manifest.Groups["reference"].Value));
        if (UploadsPath().Match(path) is { Success: true } uploads)
        {
            if (!HttpMethods.IsPost(method)) return MethodNotAllowed(http);
            // A mount reads the blob from the other repository; a monolithic POST (?digest=) also uploads and completes it.
            if (http.Request.Query["from"].ToString() is { Length: > 0 } from && EcrRules.IsValidName(from)) Require(http, login, from, ["ecr:GetDownloadUrlForLayer"]);
            string[] actions = http.Request.Query.ContainsKey("digest")
                ? ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]
                : ["ecr:InitiateLayerUpload"];
            return Authorized(http, login, Name(uploads), actions, name => StartUploadAsync(http, scope, name));
        }
        if (UploadPath().Match(path) is { Success: true } upload)
            return Authorized(http, login, Name(upload), HttpMethods.IsPut(method) ? ["ecr:UploadLayerPart", "ecr:CompleteLayerUpload"] : ["ecr:UploadLayerPart"],
                name => UploadAsync(http, scope, name, upload.Groups["id"].Value));
        if (BlobPath().Match(path) is { Success: true } blob)
            return Authorized(http, login, Name(blob), [HttpMethods.IsHead(method) ? "ecr:BatchCheckLayerAvailability" : "ecr:GetDownloadUrlForLayer"],
                name => BlobAsync(http, scope, name, blob.Groups["digest"].Value));
        return WriteErrorAsync(http, 404, "UNSUPPORTED", $"the registry has no endpoint {method} {path}");
    }

    /// <summary>The ECR action a manifest request stands for, as ECR's pull and push permissions name them.</summary>
    private static string ManifestAction(string method) =>
        HttpMethods.IsPut(method) ? "ecr:PutImage" : HttpMethods.IsDelete(method) ? "ecr:BatchDeleteImage" : "ecr:BatchGetImage";

    private Task Authorized(HttpContext http, RegistryLogin login, string name, string[] actions, Func<string, Task> handle)
    {
        Require(http, login, name, actions);
        return handle(name);
    }

    /// <summary>
    /// Under `--auth enforce`, each action on the repository must be allowed to the principal the login stands for
    /// (its identity policies and the repository policy); a refusal is the registry's DENIED, as ECR answers.
    /// </summary>
    private void Require(HttpContext http, RegistryLogin login, string name, string[] actions)
    {
        if (authorizer is null) return;
        var arn = $"arn:aws:ecr:{login.Scope.Region}:{login.Scope.AccountId}:repository/{name}";
        foreach (var action in actions)
            if (authorizer.Refusal(http, login.AccessKeyId, login.Scope.Region, "ecr", action, arn) is { } refusal) throw EcrErrors.RegistryDenied(refusal);
    }

    private static string Name(Match match)
    {
        var name = match.Groups["name"].Value;
        return EcrRules.IsValidName(name) ? name : throw EcrErrors.InvalidRepositoryNameInPath(name);
    }

    // ---- Manifests ----

    private async Task ManifestAsync(HttpContext http, Scope scope, string name, string reference)
    {
        var method = http.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            var (image, manifest) = ecr.GetManifest(scope, name, reference);
            http.Response.ContentType = image.MediaType;
            http.Response.ContentLength = manifest.Length;
            http.Response.Headers["Docker-Content-Digest"] = image.Digest;
            http.Response.Headers.ETag = $"\"{image.Digest}\"";
            if (HttpMethods.IsGet(method))
            {
                await http.Response.Body.WriteAsync(manifest, http.RequestAborted);
                ecr.RecordPull(scope, name, image.Digest);
            }
            return;
        }
        if (HttpMethods.IsPut(method))
        {
            var body = await ReadManifestAsync(http.Request);
            var isDigest = reference.StartsWith("sha256:", StringComparison.Ordinal);
            var digest = isDigest ? EcrRules.CheckDigest("reference", reference) : null;
            var tag = isDigest ? null : EcrRules.CheckTag(reference);
            var image = ecr.PutImage(scope, name, body, http.Request.ContentType, tag, digest, refuseUnchanged: false);
            http.Response.StatusCode = 201;
            http.Response.Headers.Location = $"/v2/{name}/manifests/{image.Digest}";
            http.Response.Headers["Docker-Content-Digest"] = image.Digest;
            http.Response.ContentLength = 0;
            return;
        }
        if (HttpMethods.IsDelete(method))
        {
            ecr.DeleteManifest(scope, name, reference);
            http.Response.StatusCode = 202;
            http.Response.ContentLength = 0;
            return;
        }
        await MethodNotAllowed(http);
    }

    /// <summary>A manifest body, refused beyond the spec's size limit before it is read whole.</summary>
    private static async Task<byte[]> ReadManifestAsync(HttpRequest request)
    {
        if (request.ContentLength > EcrRules.MaxManifestBytes) throw EcrErrors.InvalidManifest($"a manifest may be at most {EcrRules.MaxManifestBytes} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > EcrRules.MaxManifestBytes) throw EcrErrors.InvalidManifest($"a manifest may be at most {EcrRules.MaxManifestBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private async Task ListTagsAsync(HttpContext http, Scope scope, string name)
    {
        var tags = ecr.ListTags(scope, name);
        // The spec's pagination: n caps the page, last names the tag to continue after.
        var last = http.Request.Query["last"].ToString();
        IEnumerable<string> page = last.Length > 0 ? tags.Where(t => string.CompareOrdinal(t, last) > 0) : tags;
        if (int.TryParse(http.Request.Query["n"], out var n) && n >= 0)
        {
            var list = page.ToList();
            page = list.Take(n);
            if (list.Count > n && n > 0) http.Response.Headers.Link = $"</v2/{name}/tags/list?n={n}&last={Uri.EscapeDataString(list[n - 1])}>; rel=\"next\"";
        }
        await WriteJsonAsync(http, 200, new JsonObject { ["name"] = name, ["tags"] = new JsonArray(page.Select(t => (JsonNode)t).ToArray()) });
    }

    // ---- Blobs ----

    private async Task BlobAsync(HttpContext http, Scope scope, string name, string digest)
    {
        var method = http.Request.Method;
        if (HttpMethods.IsDelete(method))
        {
            // ECR removes layers with the images that use them, never one by one.
            await WriteErrorAsync(http, 405, "UNSUPPORTED", "ECR does not delete blobs directly; delete the images that use them");
            return;
        }
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            await MethodNotAllowed(http);
            return;
        }
        EcrRules.CheckDigest("digest", digest);
        var size = ecr.FindBlob(scope, name, digest) ?? throw EcrErrors.LayerNotFound(scope.AccountId, name, digest);
        http.Response.Headers["Docker-Content-Digest"] = digest;
        http.Response.Headers.ETag = $"\"{digest}\"";
        http.Response.Headers.AcceptRanges = "bytes";
        http.Response.ContentType = "application/octet-stream";
        var (offset, length) = (0L, size);
        if (http.Request.Headers.Range.ToString() is { Length: > 0 } range)
        {
            if (RangePattern().Match(range.Trim()) is not { Success: true } match
                || !long.TryParse(match.Groups["start"].Value, out var start) || start >= size
                || (match.Groups["end"].Success ? (long.TryParse(match.Groups["end"].Value, out var last) ? Math.Min(last, size - 1) : -1) : size - 1) is var end && end < start)
            {
                http.Response.Headers.ContentRange = $"bytes */{size}";
                await WriteErrorAsync(http, 416, "BLOB_UNKNOWN", $"the range '{range}' is not within the blob's {size} bytes");
                return;
            }
            (offset, length) = (start, end - start + 1);
            http.Response.StatusCode = 206;
            http.Response.Headers.ContentRange = $"bytes {start}-{end}/{size}";
        }
        http.Response.ContentLength = length;
        if (HttpMethods.IsHead(method)) return;
        using var body = FileRange.Open(ecr.Blobs.PathOf(digest), offset, length);
        await body.WriteToAsync(http.Response, http.RequestAborted);
    }

    private async Task StartUploadAsync(HttpContext http, Scope scope, string name)
    {
        var query = http.Request.Query;
        if (query["mount"].ToString() is { Length: > 0 } mount && ecr.MountBlob(scope, name, query["from"].ToString(), mount))
        {
            Created(http, name, mount);
            return;
        }
        var upload = ecr.StartUpload(scope, name);
        if (query["digest"].ToString() is { Length: > 0 } digest)
        {
            // A monolithic upload in one POST: the body is the whole blob.
            AllowLargeBody(http);
            await ecr.AppendToUploadAsync(upload, http.Request.Body, null, http.RequestAborted);
            await ecr.CompleteUploadAsync(scope, name, upload, digest, http.RequestAborted);
            Created(http, name, digest);
            return;
        }
        Accepted(http, name, upload.Id, 0, 202);
    }

    private async Task UploadAsync(HttpContext http, Scope scope, string name, string uploadId)
    {
        var upload = ecr.FindUpload(scope, name, uploadId);
        var method = http.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            Accepted(http, name, upload.Id, upload.Length, 204);
            return;
        }
        if (HttpMethods.IsDelete(method))
        {
            ecr.CancelUpload(upload);
            http.Response.StatusCode = 204;
            return;
        }
        if (!HttpMethods.IsPatch(method) && !HttpMethods.IsPut(method))
        {
            await MethodNotAllowed(http);
            return;
        }
        long? start = null;
        if (http.Request.Headers.ContentRange.ToString() is { Length: > 0 } contentRange)
        {
            start = RangePattern().Match(contentRange.Trim()) is { Success: true } match && long.TryParse(match.Groups["start"].Value, out var first)
                ? first
                : throw EcrErrors.InvalidLayerPart(upload.Id, upload.Length - 1, $"Content-Range '{contentRange}' is not START-END");
        }
        AllowLargeBody(http);
        var length = await ecr.AppendToUploadAsync(upload, http.Request.Body, start, http.RequestAborted);
        if (HttpMethods.IsPatch(method))
        {
            Accepted(http, name, upload.Id, length, 202);
            return;
        }
        var digest = http.Request.Query["digest"].ToString();
        if (digest.Length == 0)
        {
            ecr.CancelUpload(upload);
            throw EcrErrors.InvalidDigest("digest", "(none: the final PUT needs ?digest=)");
        }
        EcrRules.CheckDigest("digest", digest);
        await ecr.CompleteUploadAsync(scope, name, upload, digest, http.RequestAborted);
        Created(http, name, digest);
    }

    /// <summary>Blob uploads are streamed to disk, so Kestrel's limit for API bodies does not apply to them.</summary>
    private static void AllowLargeBody(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
    }

    private static void Created(HttpContext http, string name, string digest)
    {
        http.Response.StatusCode = 201;
        http.Response.Headers.Location = $"/v2/{name}/blobs/{digest}";
        http.Response.Headers["Docker-Content-Digest"] = digest;
        http.Response.ContentLength = 0;
    }

    private static void Accepted(HttpContext http, string name, string uploadId, long length, int status)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.Location = $"/v2/{name}/blobs/uploads/{uploadId}";
        http.Response.Headers["Docker-Upload-UUID"] = uploadId;
        // The spec's inclusive range of what has arrived; "0-0" before anything has.
        http.Response.Headers.Range = $"0-{Math.Max(0, length - 1)}";
        http.Response.ContentLength = 0;
    }

    private static Task MethodNotAllowed(HttpContext http) =>
        WriteErrorAsync(http, 405, "UNSUPPORTED", $"{http.Request.Method} is not supported on {http.Request.Path}");

    private static Task WriteJsonAsync(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(body.ToJsonString(ReadableJson), http.RequestAborted);
    }

    /// <summary>The spec's error body: {"errors":[{"code","message","detail"}]}.</summary>
    private static Task WriteErrorAsync(HttpContext http, int status, string code, string message)
    {
        if (http.Response.HasStarted) return Task.CompletedTask;
        http.Response.ContentLength = null;
        return WriteJsonAsync(http, status, new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message, ["detail"] = new JsonObject() }),
        });
    }
}
