using System.Net;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

using Stratus.Tests.Services.Ecr;

namespace Stratus.Tests.WebConsole;

/// <summary>The console lists ECR repositories and S3 buckets with their objects, names escaped, each object downloadable through the console.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ConsoleStorageTests
{
    private const string Key = "reports/<script>alert(1)</script>.txt";

    [Fact]
    public async Task The_console_lists_repositories_and_objects_escaped_and_serves_each_object_through_its_download_link()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await Clients.Boto3Async(server.Url, $$"""
            client("ecr").create_repository(repositoryName="console/app")
            s3 = client("s3")
            s3.create_bucket(Bucket="console-files")
            s3.put_object(Bucket="console-files", Key={{System.Text.Json.JsonSerializer.Serialize(Key)}}, Body=b"hello <b>bytes</b>", ContentType="text/html")
            """);
        using var http = new HttpClient();

        var html = await http.GetStringAsync(server.Url + "/_stratus/");

        Assert.Contains("data-repository=\"console/app\"", html);
        Assert.Contains("No images pushed yet.", html);
        Assert.Contains("data-bucket=\"console-files\"", html);
        Assert.Contains("reports/&lt;script&gt;alert(1)&lt;/script&gt;.txt", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("<td>text/html</td>", html);
        var link = "/_stratus/s3-object?bucket=console-files&key=" + Uri.EscapeDataString(Key);
        Assert.Contains($"href=\"{WebUtility.HtmlEncode(link)}\"", html);

        using var download = await http.GetAsync(server.Url + link);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("hello <b>bytes</b>"u8.ToArray(), await download.Content.ReadAsByteArrayAsync());
        // Served as an attachment, never as the object's text/html inside the console's origin.
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);

        using var missing = await http.GetAsync(server.Url + "/_stratus/s3-object?bucket=console-files&key=nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_pushed_image_shows_its_tag_digest_and_the_function_that_runs_it()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await EcrRegistryTests.CreateRepositoryAsync(server.Url, "console/fn");
        var repository = await EcrRegistryTests.RepositoryUriAsync(server.Url, "console/fn");
        var digest = await LambdaTestImage.Scratch().PushAsync(server.Url, repository, "v1");
        await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + $$"""
            lam.create_function(FunctionName="image-user", PackageType="Image", Code={"ImageUri": "{{repository}}:v1"}, Role=role())
            """);
        using var http = new HttpClient();

        var html = await http.GetStringAsync(server.Url + "/_stratus/");

        var row = html[html.IndexOf($"<code>{digest}</code>", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains("image-user:$LATEST", row);
        Assert.Contains("<td>v1</td>", html[..html.IndexOf($"<code>{digest}</code>", StringComparison.Ordinal)][^20..]);
    }

    [Fact]
    public async Task In_verify_mode_the_download_link_needs_the_console_token()
    {
        await using var server = await StratusProcess.StartEphemeralAsync("--auth", "verify");
        using var anonymous = new HttpClient();
        using var download = await anonymous.GetAsync(server.Url + "/_stratus/s3-object?bucket=any&key=any");
        Assert.Equal(HttpStatusCode.Unauthorized, download.StatusCode);
    }
}
