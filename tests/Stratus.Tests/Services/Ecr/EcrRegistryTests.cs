using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Ecr;

namespace Stratus.Tests.Services.Ecr;

/// <summary>ECR's registry driven by skopeo and by raw OCI distribution requests, against a real Stratus.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class EcrRegistryTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private static readonly Dictionary<string, string> Files = new() { ["bin/run"] = "#!/bin/sh\n", ["var/task/handler.txt"] = "accounts\n" };

    [Fact]
    public async Task Skopeo_pushes_an_oci_layout_and_pulls_it_back_with_the_same_digest_and_describe_images_sees_it()
    {
        await CreateRepositoryAsync(stratus.Url, "skopeo/app");
        var image = new TestImage(Files);
        var scratch = Directory.CreateTempSubdirectory("stratus-skopeo-").FullName;
        try
        {
            image.WriteLayout(Path.Combine(scratch, "source"), "latest");
            var uri = await RepositoryUriAsync(stratus.Url, "skopeo/app");
            var password = await PasswordAsync(stratus.Url);

            var push = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + password, $"oci:{scratch}/source:latest", $"docker://{uri}:v1");
            Assert.True(push.ExitCode == 0, push.ToString());
            var pull = await SkopeoAsync("copy", "--src-tls-verify=false", "--src-creds", "AWS:" + password, $"docker://{uri}:v1", $"oci:{scratch}/pulled:v1");
            Assert.True(pull.ExitCode == 0, pull.ToString());
            var inspect = await SkopeoAsync("inspect", "--tls-verify=false", "--creds", "AWS:" + password, "--format", "{{.Digest}}", $"docker://{uri}:v1");
            Assert.Equal(image.ManifestDigest, inspect.Stdout.Trim());
            foreach (var digest in new[] { image.ManifestDigest, image.ConfigDigest, image.LayerDigest })
                Assert.True(File.Exists(Path.Combine(scratch, "pulled", "blobs", "sha256", digest["sha256:".Length..])), $"{digest} was not pulled back");

            var refused = await SkopeoAsync("inspect", "--tls-verify=false", "--creds", "AWS:not-a-token", $"docker://{uri}:v1");
            Assert.NotEqual(0, refused.ExitCode);

            var described = await Clients.Boto3Async(stratus.Url, """
                ecr = client("ecr")
                d = ecr.describe_images(repositoryName="skopeo/app")["imageDetails"][0]
                out["digest"] = d["imageDigest"]; out["tags"] = d["imageTags"]; out["size"] = d["imageSizeInBytes"]
                out["mediaType"] = d["imageManifestMediaType"]; out["artifact"] = d["artifactMediaType"]
                out["pushedAt"] = d["imagePushedAt"].isoformat()
                out["ids"] = ecr.list_images(repositoryName="skopeo/app")["imageIds"]
                """);
            Assert.Equal(image.ManifestDigest, described["digest"]!.GetValue<string>());
            Assert.Equal("""["v1"]""", described["tags"]!.ToJsonString());
            Assert.Equal(image.Layer.Length, described["size"]!.GetValue<long>());
            Assert.Equal(TestImage.MediaType, described["mediaType"]!.GetValue<string>());
            Assert.Equal("application/vnd.oci.image.config.v1+json", described["artifact"]!.GetValue<string>());
            Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(described["pushedAt"]!.GetValue<string>()) < TimeSpan.FromMinutes(5));
            Assert.Equal($$"""[{"imageDigest":"{{image.ManifestDigest}}","imageTag":"v1"}]""", described["ids"]!.ToJsonString());
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task Monolithic_and_chunked_uploads_ranges_mounts_tags_indexes_and_deletes_follow_the_distribution_spec()
    {
        await CreateRepositoryAsync(stratus.Url, "raw/app");
        await CreateRepositoryAsync(stratus.Url, "raw/other");
        using var registry = await RegistryClientAsync(stratus.Url);
        var image = new TestImage(Files);

        // Monolithic: POST, then PUT with ?digest= and the whole blob.
        using (var started = await registry.PostAsync("/v2/raw/app/blobs/uploads/", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            Assert.False(string.IsNullOrEmpty(started.Headers.GetValues("Docker-Upload-UUID").Single()));
            using var put = await registry.PutAsync($"{started.Headers.Location}?digest={image.ConfigDigest}", new ByteArrayContent(image.Config));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(image.ConfigDigest, put.Headers.GetValues("Docker-Content-Digest").Single());
        }

        // Chunked: POST, PATCH in order (an out-of-order part is 416), GET status, PUT to finish.
        var half = image.Layer.Length / 2;
        using (var started = await registry.PostAsync("/v2/raw/app/blobs/uploads/", null))
        {
            var location = started.Headers.Location!.ToString();
            using var first = await SendAsync(registry, HttpMethod.Patch, location, image.Layer[..half], $"0-{half - 1}");
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal($"0-{half - 1}", first.Headers.GetValues("Range").Single());
            using var outOfOrder = await SendAsync(registry, HttpMethod.Patch, location, image.Layer[half..], $"{half + 5}-{image.Layer.Length + 4}");
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, outOfOrder.StatusCode);
            using var second = await SendAsync(registry, HttpMethod.Patch, location, image.Layer[half..], $"{half}-{image.Layer.Length - 1}");
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
            using var status = await registry.GetAsync(location);
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal($"0-{image.Layer.Length - 1}", status.Headers.GetValues("Range").Single());
            using var done = await registry.PutAsync($"{location}?digest={image.LayerDigest}", null);
            Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        }

        using (var head = await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/raw/app/blobs/{image.LayerDigest}")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(image.Layer.Length, head.Content.Headers.ContentLength);
        }
        using (var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v2/raw/app/blobs/{image.LayerDigest}"))
        {
            ranged.Headers.Range = new RangeHeaderValue(2, 5);
            using var partial = await registry.SendAsync(ranged);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal(image.Layer[2..6], await partial.Content.ReadAsByteArrayAsync());
        }

        // Manifests by tag and digest; tags list; an index whose manifests exist.
        using (var put = await PutManifestAsync(registry, "raw/app", "v1", image.Manifest, TestImage.MediaType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(image.ManifestDigest, put.Headers.GetValues("Docker-Content-Digest").Single());
        }
        (await PutManifestAsync(registry, "raw/app", "v2", image.Manifest, TestImage.MediaType)).Dispose();
        using (var byDigest = await registry.GetAsync($"/v2/raw/app/manifests/{image.ManifestDigest}"))
        {
            Assert.Equal(image.Manifest, await byDigest.Content.ReadAsByteArrayAsync());
            Assert.Equal(TestImage.MediaType, byDigest.Content.Headers.ContentType!.MediaType);
        }
        Assert.Equal("""{"name":"raw/app","tags":["v1","v2"]}""", await registry.GetStringAsync("/v2/raw/app/tags/list"));
        using (var index = await PutManifestAsync(registry, "raw/app", "multi", TestImage.Index(image.Manifest), "application/vnd.oci.image.index.v1+json"))
            Assert.Equal(HttpStatusCode.Created, index.StatusCode);

        // Cross-repository mount: a blob the source holds is linked (201); one it does not hold starts an upload (202).
        using (var mounted = await registry.PostAsync($"/v2/raw/other/blobs/uploads/?mount={image.LayerDigest}&from=raw/app", null))
        {
            Assert.Equal(HttpStatusCode.Created, mounted.StatusCode);
            Assert.Equal(image.LayerDigest, mounted.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var notMounted = await registry.PostAsync($"/v2/raw/other/blobs/uploads/?mount={TestImage.Digest([1, 2, 3])}&from=raw/app", null))
            Assert.Equal(HttpStatusCode.Accepted, notMounted.StatusCode);
        using (var head = await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/raw/other/blobs/{image.LayerDigest}")))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);

        // Deleting: the index first (an image an index references stays while it does), then the image by digest.
        using (var delete = await registry.DeleteAsync($"/v2/raw/app/manifests/{TestImage.Digest(TestImage.Index(image.Manifest))}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using (var delete = await registry.DeleteAsync($"/v2/raw/app/manifests/{image.ManifestDigest}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await AssertErrorAsync(await registry.GetAsync("/v2/raw/app/manifests/v1"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Equal("""{"name":"raw/app","tags":[]}""", await registry.GetStringAsync("/v2/raw/app/tags/list"));
    }

    [Fact]
    public async Task Bad_digests_bad_manifests_missing_repositories_immutable_tags_and_bad_logins_get_the_spec_errors()
    {
        await CreateRepositoryAsync(stratus.Url, "errors/app", "IMMUTABLE");
        using var registry = await RegistryClientAsync(stratus.Url);
        var image = new TestImage(Files);

        using (var started = await registry.PostAsync("/v2/errors/app/blobs/uploads/", null))
            await AssertErrorAsync(await registry.PutAsync($"{started.Headers.Location}?digest={TestImage.Digest([9])}", new ByteArrayContent(image.Layer)),
                HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertErrorAsync(await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/errors/app/blobs/{image.LayerDigest}")), HttpStatusCode.NotFound, null);
        await AssertErrorAsync(await registry.GetAsync($"/v2/errors/app/blobs/{image.LayerDigest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        await AssertErrorAsync(await registry.GetAsync("/v2/errors/app/blobs/uploads/no-such-upload"), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");

        await AssertErrorAsync(await PutManifestAsync(registry, "errors/app", "bad", "{not json"u8.ToArray(), TestImage.MediaType), HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertErrorAsync(await PutManifestAsync(registry, "errors/app", "v1", image.Manifest, TestImage.MediaType), HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertErrorAsync(await PutManifestAsync(registry, "errors/app", "index", TestImage.Index(image.Manifest), "application/vnd.oci.image.index.v1+json"),
            HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await AssertErrorAsync(await registry.PostAsync("/v2/never-created/blobs/uploads/", null), HttpStatusCode.NotFound, "NAME_UNKNOWN");
        await AssertErrorAsync(await PutManifestAsync(registry, "never-created", "v1", image.Manifest, TestImage.MediaType), HttpStatusCode.NotFound, "NAME_UNKNOWN");

        // Immutable tags: the registry answers TAG_INVALID, the API ImageTagAlreadyExistsException.
        await PushBlobAsync(registry, "errors/app", image.Layer);
        await PushBlobAsync(registry, "errors/app", image.Config);
        (await PutManifestAsync(registry, "errors/app", "v1", image.Manifest, TestImage.MediaType)).Dispose();
        var other = new TestImage(new Dictionary<string, string> { ["other"] = "x" });
        await PushBlobAsync(registry, "errors/app", other.Layer);
        await PushBlobAsync(registry, "errors/app", other.Config);
        await AssertErrorAsync(await PutManifestAsync(registry, "errors/app", "v1", other.Manifest, TestImage.MediaType), HttpStatusCode.BadRequest, "TAG_INVALID");
        var api = await Clients.Boto3Async(stratus.Url, $$"""
            ecr = client("ecr")
            out["retag"] = error(ecr.put_image, repositoryName="errors/app", imageTag="v1", imageManifest={{Python(other.Manifest)}})
            """);
        Assert.Equal("ImageTagAlreadyExistsException", api["retag"]!["code"]!.GetValue<string>());

        using var anonymous = new HttpClient { BaseAddress = new Uri(stratus.Url) };
        using (var challenge = await anonymous.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
            Assert.StartsWith("Basic realm=\"https://", challenge.Headers.WwwAuthenticate.ToString());
        }
        anonymous.DefaultRequestHeaders.Authorization = Basic("AWS", "not-a-token");
        await AssertErrorAsync(await anonymous.GetAsync("/v2/"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await AssertErrorAsync(await anonymous.GetAsync("/v2/errors/app/tags/list"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var valid = await registry.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
    }

    [Fact]
    public async Task An_expired_registry_password_is_refused()
    {
        await using var server = await StratusProcess.StartEphemeralAsync(new Dictionary<string, string> { ["STRATUS_ECR_TOKEN_LIFETIME_SECONDS"] = "20" });
        // Twenty seconds leave a loaded machine room to fetch the password and use it while it is fresh.
        using var registry = await RegistryClientAsync(server.Url);
        using (var fresh = await registry.GetAsync("/v2/")) Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(21));
        await AssertErrorAsync(await registry.GetAsync("/v2/"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    // ---- helpers ----

    internal static async Task CreateRepositoryAsync(string url, string name, string mutability = "MUTABLE")
    {
        var created = await Clients.AwsAsync(url, "ecr", "create-repository", "--repository-name", name, "--image-tag-mutability", mutability);
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    internal static async Task<string> RepositoryUriAsync(string url, string name)
    {
        var uri = await Clients.AwsAsync(url, "ecr", "describe-repositories", "--repository-names", name, "--query", "repositories[0].repositoryUri", "--output", "text");
        Assert.True(uri.ExitCode == 0, uri.ToString());
        return uri.Stdout.Trim();
    }

    internal static async Task<string> PasswordAsync(string url)
    {
        var password = await Clients.AwsAsync(url, "ecr", "get-login-password");
        Assert.True(password.ExitCode == 0, password.ToString());
        return password.Stdout.Trim();
    }

    internal static async Task<HttpClient> RegistryClientAsync(string url)
    {
        var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = Basic("AWS", await PasswordAsync(url));
        return client;
    }

    internal static async Task PushBlobAsync(HttpClient registry, string name, byte[] blob)
    {
        using var put = await registry.PostAsync($"/v2/{name}/blobs/uploads/?digest={TestImage.Digest(blob)}", new ByteArrayContent(blob));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    internal static Task<HttpResponseMessage> PutManifestAsync(HttpClient registry, string name, string reference, byte[] manifest, string mediaType)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return registry.PutAsync($"/v2/{name}/manifests/{reference}", content);
    }

    /// <summary>An upload request: a part with its Content-Range, or no body (a status GET).</summary>
    internal static Task<HttpResponseMessage> SendAsync(HttpClient registry, HttpMethod method, string location, byte[]? body, string? contentRange)
    {
        var request = new HttpRequestMessage(method, location) { Content = body is null ? null : new ByteArrayContent(body) };
        if (contentRange is not null) request.Content?.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        return registry.SendAsync(request);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    internal static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? code)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
            if (code is null) return;
            Assert.Equal(code, JsonNode.Parse(body)!["errors"]![0]!["code"]!.GetValue<string>());
        }
    }

    private static string Python(byte[] utf8) => JsonValue.Create(Encoding.UTF8.GetString(utf8)).ToJsonString();

    private static Task<ProcessResult> SkopeoAsync(params string[] args) =>
        Clients.RunAsync("skopeo", ["--insecure-policy", .. args], "", TimeSpan.FromMinutes(2));
}
