using System.Net;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Ecr;
using static Stratus.Tests.Services.Ecr.EcrRegistryTests;

namespace Stratus.Tests.Services.Ecr;

/// <summary>ECR's image API through boto3 over images pushed to the registry, lifecycle policies applied, and all of it kept across a restart.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class EcrImageApiTests
{
    private static readonly Dictionary<string, string> Files = new() { ["bin/run"] = "#!/bin/sh\n" };

    [Fact]
    public async Task The_image_api_sees_pushed_images_lifecycle_policies_expire_them_and_a_restart_keeps_them()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await CreateRepositoryAsync(server.Url, "api/app");
        var old = new TestImage(Files);
        var current = new TestImage(new Dictionary<string, string> { ["bin/run"] = "#!/bin/sh\necho 2\n" });
        using (var registry = await RegistryClientAsync(server.Url))
        {
            foreach (var image in new[] { old, current })
            {
                await PushBlobAsync(registry, "api/app", image.Layer);
                await PushBlobAsync(registry, "api/app", image.Config);
            }
            (await PutManifestAsync(registry, "api/app", "old", old.Manifest, TestImage.MediaType)).Dispose();
            (await PutManifestAsync(registry, "api/app", "latest", current.Manifest, TestImage.MediaType)).Dispose();
        }

        var api = await Clients.Boto3Async(server.Url, $$$"""
            ecr = client("ecr")
            out["described"] = sorted(d["imageTags"][0] for d in ecr.describe_images(repositoryName="api/app")["imageDetails"])
            got = ecr.batch_get_image(repositoryName="api/app", imageIds=[{"imageTag": "latest"}, {"imageTag": "nope"}])
            out["manifest"] = got["images"][0]["imageManifest"]; out["failure"] = got["failures"][0]["failureCode"]
            layers = ecr.batch_check_layer_availability(repositoryName="api/app", layerDigests=["{{{current.LayerDigest}}}", "sha256:" + "0" * 64])["layers"]
            out["availability"] = [l["layerAvailability"] for l in layers]
            out["missingImage"] = error(ecr.describe_images, repositoryName="api/app", imageIds=[{"imageTag": "nope"}])
            out["notEmpty"] = error(ecr.delete_repository, repositoryName="api/app")
            out["scan"] = error(ecr.describe_image_scan_findings, repositoryName="api/app", imageId={"imageTag": "latest"})
            import hashlib, urllib.request
            url = ecr.get_download_url_for_layer(repositoryName="api/app", layerDigest="{{{current.LayerDigest}}}")["downloadUrl"]
            out["downloaded"] = "sha256:" + hashlib.sha256(urllib.request.urlopen(url).read()).hexdigest()

            # ECR's layer API: the same uploads the registry uses.
            blob = b"layer pushed through the api"
            upload = ecr.initiate_layer_upload(repositoryName="api/app")["uploadId"]
            ecr.upload_layer_part(repositoryName="api/app", uploadId=upload, partFirstByte=0, partLastByte=len(blob) - 1, layerPartBlob=blob)
            digest = "sha256:" + hashlib.sha256(blob).hexdigest()
            out["completed"] = ecr.complete_layer_upload(repositoryName="api/app", uploadId=upload, layerDigests=[digest])["layerDigest"] == digest

            policy = '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}'
            ecr.put_lifecycle_policy(repositoryName="api/app", lifecyclePolicyText=policy)
            out["policy"] = ecr.get_lifecycle_policy(repositoryName="api/app")["lifecyclePolicyText"] == policy
            out["afterPolicy"] = [d["imageTags"] for d in ecr.describe_images(repositoryName="api/app")["imageDetails"]]
            """);
        Assert.Equal("""["latest","old"]""", api["described"]!.ToJsonString());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(current.Manifest), api["manifest"]!.GetValue<string>());
        Assert.Equal("ImageNotFound", api["failure"]!.GetValue<string>());
        Assert.Equal("""["AVAILABLE","UNAVAILABLE"]""", api["availability"]!.ToJsonString());
        Assert.Equal("ImageNotFoundException", api["missingImage"]!["code"]!.GetValue<string>());
        Assert.Equal("RepositoryNotEmptyException", api["notEmpty"]!["code"]!.GetValue<string>());
        Assert.Equal("ScanNotFoundException", api["scan"]!["code"]!.GetValue<string>());
        Assert.Equal(current.LayerDigest, api["downloaded"]!.GetValue<string>());
        Assert.True(api["completed"]!.GetValue<bool>());
        Assert.True(api["policy"]!.GetValue<bool>());
        Assert.Equal("""[["latest"]]""", api["afterPolicy"]!.ToJsonString());

        using var before = await RegistryClientAsync(server.Url);
        await server.RestartAsync();

        // The password issued before the restart still works: the signing key lives in the state store.
        using (var manifest = await before.GetAsync("/v2/api/app/manifests/latest"))
        {
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            Assert.Equal(current.Manifest, await manifest.Content.ReadAsByteArrayAsync());
        }
        using (var layer = await before.GetAsync($"/v2/api/app/blobs/{current.LayerDigest}"))
            Assert.Equal(current.Layer, await layer.Content.ReadAsByteArrayAsync());
        var afterRestart = await Clients.Boto3Async(server.Url, """
            ecr = client("ecr")
            out["digests"] = [d["imageDigest"] for d in ecr.describe_images(repositoryName="api/app")["imageDetails"]]
            ecr.delete_repository(repositoryName="api/app", force=True)
            out["gone"] = error(ecr.describe_images, repositoryName="api/app")
            """);
        Assert.Equal($"""["{current.ManifestDigest}"]""", afterRestart["digests"]!.ToJsonString());
        Assert.Equal("RepositoryNotFoundException", afterRestart["gone"]!["code"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(server.DataDir!, "ecr", "blobs", "sha256", current.LayerDigest["sha256:".Length..])),
            "a force-deleted repository's blobs are removed when nothing else holds them");
    }
}
