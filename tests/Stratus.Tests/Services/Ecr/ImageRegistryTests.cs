using Stratus.Host;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Ecr;

namespace Stratus.Tests.Services.Ecr;

/// <summary>The interface Lambda uses: ImageUri resolution in both URI forms, AWS-like errors, and unpack-once with holders.</summary>
public sealed class ImageRegistryTests : IDisposable
{
    private static readonly Scope Scope = Scope.Of("111122223333", "us-east-1");
    private readonly string _directory = Directory.CreateTempSubdirectory("stratus-ecr-test-").FullName;
    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly EcrService _ecr;

    public ImageRegistryTests()
    {
        _ecr = new EcrService(_store, TimeProvider.System, _directory, new EcrSettings(TimeSpan.FromHours(12), TimeSpan.FromHours(1)),
            StratusAddress.Known(new Uri("http://127.0.0.1:4566/")), NullLogger.Instance);
    }

    public void Dispose()
    {
        _ecr.Dispose();
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task PushAsync(string repository, TestImage image, string tag)
    {
        foreach (var blob in new[] { image.Layer, image.Config })
        {
            var upload = _ecr.StartUpload(Scope, repository);
            await _ecr.AppendToUploadAsync(upload, new MemoryStream(blob), 0, CancellationToken.None);
            await _ecr.CompleteUploadAsync(Scope, repository, upload, TestImage.Digest(blob), CancellationToken.None);
        }
        _ecr.PutImage(Scope, repository, image.Manifest, TestImage.MediaType, tag, null, refuseUnchanged: false);
    }

    [Fact]
    public async Task Both_uri_forms_resolve_to_the_digest_and_config_and_a_retag_does_not_change_a_resolved_digest()
    {
        _ecr.CreateRepository(Scope, "team/app", null, false, []);
        var first = new TestImage(new Dictionary<string, string> { ["bin/run"] = "one" }, ["/lambda-entrypoint.sh"]);
        await PushAsync("team/app", first, "latest");

        var local = _ecr.Resolve(Scope, "127.0.0.1:4566/team/app:latest");
        var aws = _ecr.Resolve(Scope.Of("999999999999", "eu-west-1"), "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:latest");
        var byDigest = _ecr.Resolve(Scope, $"localhost:4566/team/app@{first.ManifestDigest}");

        Assert.Equal(first.ManifestDigest, local.Digest);
        Assert.Equal($"127.0.0.1:4566/team/app@{first.ManifestDigest}", local.ResolvedImageUri);
        Assert.Equal($"111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app@{first.ManifestDigest}", aws.ResolvedImageUri);
        Assert.Equal(first.ManifestDigest, byDigest.ManifestDigest);
        Assert.Equal(["/lambda-entrypoint.sh"], local.Config.EntryPoint);
        Assert.Equal(["handler.main"], local.Config.Command);
        Assert.Contains("GREETING=hello", local.Config.Environment);
        Assert.Equal("/var/task", local.Config.WorkingDirectory);
        Assert.Equal("x86_64", local.Platform.LambdaArchitecture);

        var second = new TestImage(new Dictionary<string, string> { ["bin/run"] = "two" });
        await PushAsync("team/app", second, "latest");
        Assert.Equal(second.ManifestDigest, _ecr.Resolve(Scope, "127.0.0.1:4566/team/app:latest").Digest);
        Assert.Equal(first.ManifestDigest, _ecr.Resolve(Scope, local.ResolvedImageUri).Digest);
    }

    [Theory]
    [InlineData("127.0.0.1:4566/team/app:never-pushed")]
    [InlineData("127.0.0.1:4566/no-such-repo:latest")]
    [InlineData("111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app@sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("docker.io/library/busybox:latest")]
    [InlineData("not a uri")]
    public async Task Images_that_do_not_exist_are_refused_with_lambdas_error(string imageUri)
    {
        _ecr.CreateRepository(Scope, "team/app", null, false, []);
        await PushAsync("team/app", new TestImage(new Dictionary<string, string> { ["bin/run"] = "x" }), "latest");

        var error = Assert.Throws<AwsException>(() => _ecr.Resolve(Scope, imageUri));
        Assert.Equal("InvalidParameterValueException", error.Code);
        Assert.Contains(imageUri, error.Message);
    }

    [Fact]
    public async Task An_index_resolves_to_this_machines_manifest_and_is_unpacked_once_until_the_last_holder_releases_it()
    {
        _ecr.CreateRepository(Scope, "multi", null, false, []);
        var image = new TestImage(new Dictionary<string, string> { ["bin/run"] = "#!/bin/sh\necho hi\n", ["var/task/handler.txt"] = "h" });
        await PushAsync("multi", image, "single");
        var index = TestImage.Index(image.Manifest);
        _ecr.PutImage(Scope, "multi", index, "application/vnd.oci.image.index.v1+json", "latest", null, refuseUnchanged: false);

        var resolved = _ecr.Resolve(Scope, "127.0.0.1:4566/multi:latest");
        Assert.Equal(TestImage.Digest(index), resolved.Digest);
        Assert.Equal(image.ManifestDigest, resolved.ManifestDigest);

        var root = await _ecr.UnpackAsync(resolved.ManifestDigest, "function-a", CancellationToken.None);
        var again = await _ecr.UnpackAsync(resolved.ManifestDigest, "function-b", CancellationToken.None);
        Assert.Equal(root, again);
        Assert.Equal("h", File.ReadAllText(Path.Combine(root, "var/task/handler.txt")));

        _ecr.Release(resolved.ManifestDigest, "function-a");
        Assert.True(Directory.Exists(root));
        _ecr.Release(resolved.ManifestDigest, "function-b");
        Assert.False(Directory.Exists(root));
    }
}
