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
        // Uploads in progress when Stratus stops continue after it starts again: the status GET says where to resume,
        // the rest is appended and the digest checked over all of it; one that was abandoned is refused as the spec says.
        string resumed, abandoned;
        using (var started = await before.PostAsync("/v2/api/app/blobs/uploads/", null))
            resumed = started.Headers.Location!.ToString();
        using (var started = await before.PostAsync("/v2/api/app/blobs/uploads/", null))
            abandoned = started.Headers.Location!.ToString();
        using (var part = await SendAsync(before, HttpMethod.Patch, resumed, current.Layer[..10], "0-9"))
            Assert.Equal(HttpStatusCode.Accepted, part.StatusCode);
        await server.RestartAsync();
        using (var status = await SendAsync(before, HttpMethod.Get, resumed, null, null))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-9", status.Headers.GetValues("Range").Single());
        }
        using (var rest = await SendAsync(before, HttpMethod.Patch, resumed, current.Layer[10..], $"10-{current.Layer.Length - 1}"))
            Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        using (var done = await before.PutAsync($"{resumed}?digest={current.LayerDigest}", null))
            Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        using (var cancelled = await before.DeleteAsync(abandoned))
            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
        using (var refused = await SendAsync(before, HttpMethod.Patch, abandoned, current.Layer, $"0-{current.Layer.Length - 1}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Contains("\"BLOB_UPLOAD_UNKNOWN\"", await refused.Content.ReadAsStringAsync());
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.DataDir!, "ecr", "uploads")));

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

    [Fact]
    public async Task A_lifecycle_policy_preview_reports_what_the_policy_would_expire_and_a_registry_pull_is_recorded()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await CreateRepositoryAsync(server.Url, "preview/app");
        using (var registry = await RegistryClientAsync(server.Url))
        {
            foreach (var (tag, content) in new[] { ("old", "1"), ("old-too", "2"), ("kept", "3") })
            {
                var image = new TestImage(new Dictionary<string, string> { ["bin/run"] = content });
                await PushBlobAsync(registry, "preview/app", image.Layer);
                await PushBlobAsync(registry, "preview/app", image.Config);
                (await PutManifestAsync(registry, "preview/app", tag, image.Manifest, TestImage.MediaType)).Dispose();
                await Task.Delay(20); // distinct push times, so "newest" is defined
            }
            using var pulled = await registry.GetAsync("/v2/preview/app/manifests/kept");
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        }

        var preview = await Clients.Boto3Async(server.Url, """
            ecr = client("ecr")
            details = ecr.describe_images(repositoryName="preview/app")["imageDetails"]
            out["pulled"] = sorted([d["imageTags"][0], "lastRecordedPullTime" in d] for d in details)
            out["none"] = error(ecr.get_lifecycle_policy_preview, repositoryName="preview/app")
            out["noPolicy"] = error(ecr.start_lifecycle_policy_preview, repositoryName="preview/app")
            policy = '{"rules":[{"rulePriority":3,"selection":{"tagStatus":"tagged","tagPrefixList":["old"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":5,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}'
            out["started"] = ecr.start_lifecycle_policy_preview(repositoryName="preview/app", lifecyclePolicyText=policy)["status"]
            ecr.get_waiter("lifecycle_policy_preview_complete").wait(repositoryName="preview/app", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
            got = ecr.get_lifecycle_policy_preview(repositoryName="preview/app")
            out["text"] = got["lifecyclePolicyText"] == policy
            out["results"] = [[r["imageTags"], r["action"]["type"], r["appliedRulePriority"]] for r in got["previewResults"]]
            out["summary"] = got["summary"]["expiringImageTotalCount"]
            out["untagged"] = len(ecr.get_lifecycle_policy_preview(repositoryName="preview/app", filter={"tagStatus": "UNTAGGED"})["previewResults"])
            out["left"] = sorted(d["imageTags"][0] for d in ecr.describe_images(repositoryName="preview/app")["imageDetails"])
            """);

        Assert.Equal("""[["kept",true],["old",false],["old-too",false]]""", preview["pulled"]!.ToJsonString());
        Assert.Equal("LifecyclePolicyPreviewNotFoundException", preview["none"]!["code"]!.GetValue<string>());
        Assert.Equal("LifecyclePolicyNotFoundException", preview["noPolicy"]!["code"]!.GetValue<string>());
        Assert.Equal("COMPLETE", preview["started"]!.GetValue<string>());
        Assert.True(preview["text"]!.GetValue<bool>());
        // Rule 3 keeps the newer of the two "old*" images; rule 5 finds nothing a day past its pull or push.
        Assert.Equal("""[[["old"],"EXPIRE",3]]""", preview["results"]!.ToJsonString());
        Assert.Equal(1, preview["summary"]!.GetValue<int>());
        Assert.Equal(0, preview["untagged"]!.GetValue<int>());
        Assert.Equal("""["kept","old","old-too"]""", preview["left"]!.ToJsonString());
    }
}
