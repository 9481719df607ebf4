using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.Ecr;
using Stratus.Services.Lambda;
using Stratus.Services.S3;
using static Stratus.WebConsole.ConsoleHtml;

namespace Stratus.WebConsole;

/// <summary>
/// The console's storage sections: ECR repositories with their images and the functions running each, and
/// S3 buckets with their objects, each with a download link served by <see cref="DownloadPage"/>. Read from
/// the services' domain objects; the link is a console page, so it takes the console's token like the rest.
/// </summary>
public sealed class StorageConsole(EcrService ecr, LambdaService lambda, S3Service s3) : IConsoleSection
{
    public const string DownloadPath = "/_stratus/s3-object";
    /// <summary>Objects listed per bucket; the rest are one `aws s3 ls` away.</summary>
    public const int ListedKeys = 1000;

    public StratusPage DownloadPage => new(DownloadPath, DownloadAsync, IncludesSubpaths: false);

    /// <summary>The accounts and regions that hold a repository or a bucket.</summary>
    public IEnumerable<(string AccountId, string Region)> Scopes() =>
        ecr.AllRepositories().Select(r => (r.AccountId, r.Region)).Concat(s3.AllBuckets().Select(b => (b.AccountId, b.Region)));

    public void Render(StringBuilder html, string account, string region)
    {
        RenderRepositories(html, ecr.AllRepositories().Where(r => r.AccountId == account && r.Region == region).ToList());
        RenderBuckets(html, s3.AllBuckets().Where(b => b.AccountId == account && b.Region == region).ToList());
    }

    private void RenderRepositories(StringBuilder html, List<EcrRepository> repositories)
    {
        if (repositories.Count == 0) return;
        var users = FunctionsByImageDigest();
        html.Append("<h3>ECR repositories</h3>");
        foreach (var repository in repositories)
        {
            CardHead(html, ConsoleAnchor.Repository, repository.RepositoryName, repository.AccountId, repository.Region, repository.RepositoryName, E(repository.RepositoryName));
            html.Append(CultureInfo.InvariantCulture, $"""<p class="muted">{E(ecr.RepositoryUri(repository))}</p>""");
            if (repository.Images.Count == 0)
            {
                html.Append("<p class=\"muted\">No images pushed yet.</p></div>");
                continue;
            }
            html.Append("<table><tr><th>tags</th><th>digest</th><th>size</th><th>pushed at</th><th>used by functions</th></tr>");
            foreach (var image in repository.Images.Values.OrderByDescending(i => i.PushedAt))
            {
                var tags = image.Tags.Count == 0 ? "<span class=\"muted\">untagged</span>" : string.Join(", ", image.Tags.Order(StringComparer.Ordinal).Select(E));
                var functions = users.TryGetValue(image.Digest, out var names) ? string.Join(", ", names.Select(E)) : "<span class=\"muted\">none</span>";
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{tags}</td><td><code>{E(image.Digest)}</code></td><td>{(image.SizeInBytes is { } size ? Size(size) : "")}</td><td>{image.PushedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</td><td>{functions}</td></tr>");
            }
            html.Append("</table></div>");
        }
    }

    /// <summary>
    /// Which function versions run each image: the manifest digest Lambda resolved the ImageUri to at create or
    /// update (ResolvedImageUri's digest), so a tag moved since still shows the image the function really runs.
    /// </summary>
    private Dictionary<string, List<string>> FunctionsByImageDigest()
    {
        var users = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var function in lambda.AllFunctions().OrderBy(f => f.Name, StringComparer.Ordinal))
            foreach (var config in new[] { function.Latest }.Concat(function.Versions))
                if (config.ImageManifestDigest is { } digest)
                {
                    if (!users.TryGetValue(digest, out var names)) users[digest] = names = [];
                    names.Add($"{function.Name}:{config.Version} ({function.AccountId} {function.Region})");
                }
        return users;
    }

    private void RenderBuckets(StringBuilder html, List<S3Bucket> buckets)
    {
        if (buckets.Count == 0) return;
        html.Append("<h3>S3 buckets</h3>");
        foreach (var bucket in buckets)
        {
            var page = s3.ListObjects(Scope.Of(bucket.AccountId, bucket.Region), bucket.Name, "", null, null, ListedKeys);
            CardHead(html, ConsoleAnchor.Bucket, bucket.Name, bucket.AccountId, bucket.Region, bucket.Name, E(bucket.Name));
            if (page.Contents.Count == 0)
            {
                html.Append("<p class=\"muted\">No objects.</p></div>");
                continue;
            }
            html.Append("<table><tr><th>key</th><th>size</th><th>content type</th><th>last modified</th><th></th></tr>");
            foreach (var (key, version) in page.Contents)
            {
                var link = $"{DownloadPath}?bucket={Uri.EscapeDataString(bucket.Name)}&key={Uri.EscapeDataString(key)}";
                html.Append(CultureInfo.InvariantCulture,
                    $"""<tr><td>{E(key)}</td><td>{Size(version.Size)}</td><td>{E(version.ContentType ?? "")}</td><td>{version.LastModified.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</td><td><a href="{E(link)}">download</a></td></tr>""");
            }
            html.Append("</table>");
            if (page.IsTruncated)
                html.Append(CultureInfo.InvariantCulture,
                    $"<p class=\"muted\">The first {ListedKeys:N0} keys; list the rest with aws s3 ls s3://{E(bucket.Name)}/.</p>");
            html.Append("</div>");
        }
    }

    /// <summary>
    /// GET /_stratus/s3-object?bucket=B&amp;key=K: the object's current version, streamed. Always as an attachment of
    /// type application/octet-stream with nosniff: an object's own Content-Type (text/html) must not run in the
    /// console's origin, where the console's cookie lives.
    /// </summary>
    private async Task DownloadAsync(HttpContext http)
    {
        var bucketName = http.Request.Query["bucket"].ToString();
        var key = http.Request.Query["key"].ToString();
        S3ObjectVersion version;
        S3Bucket? bucket = s3.AllBuckets().FirstOrDefault(b => b.Name == bucketName);
        try
        {
            version = bucket is null ? throw S3Errors.NoSuchBucket(bucketName) : s3.GetObject(Scope.Of(bucket.AccountId, bucket.Region), bucketName, key, null);
        }
        catch (AwsException e)
        {
            http.Response.StatusCode = (int)HttpStatusCode.NotFound;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(e.Message + "\n", http.RequestAborted);
            return;
        }
        var fileName = key.Split('/')[^1];
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = version.Size;
        http.Response.Headers.ContentDisposition = $"attachment; filename*=UTF-8''{Uri.EscapeDataString(fileName.Length == 0 ? "object" : fileName)}";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        using var content = s3.OpenRange(version, 0, version.Size);
        await content.WriteToAsync(http.Response, http.RequestAborted);
    }

    private static string Size(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";
}
