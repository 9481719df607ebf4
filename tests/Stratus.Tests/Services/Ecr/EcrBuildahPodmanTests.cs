using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;
using static Stratus.Tests.Services.Ecr.EcrRegistryTests;

namespace Stratus.Tests.Services.Ecr;

/// <summary>
/// buildah and podman, as Debian ships them, against ECR's registry with no daemon and no configuration: an image built
/// from a Dockerfile (a RUN step in a chroot), logged in with get-login-password, pushed by each client to the
/// repositoryUri unchanged, pulled back with the same digest, and run as a function.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EcrBuildahPodmanTests
{
    private const string Dockerfile = """
        FROM scratch
        COPY busybox /bin/busybox
        RUN ["/bin/busybox", "--install", "-s", "/bin"]
        RUN mkdir -p /var/runtime /var/task /tmp && echo built-by-run > /var/task/marker
        COPY lambda-entrypoint.sh /lambda-entrypoint.sh
        COPY bootstrap /var/runtime/bootstrap
        ENV GREETING=from-dockerfile
        WORKDIR /var/task
        ENTRYPOINT ["/lambda-entrypoint.sh"]
        CMD ["dockerfile.handler"]
        """;

    private const string Entrypoint = """
        #!/bin/sh
        [ $# -eq 1 ] || { echo "entrypoint requires the handler name to be the first argument" >&2; exit 142; }
        export _HANDLER="$1" ENTRY="$(cat /var/task/marker)"
        exec /var/runtime/bootstrap
        """;

    [Fact]
    public async Task Buildah_builds_a_dockerfile_buildah_and_podman_push_it_pull_it_back_and_it_runs_as_a_function()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        using var store = new ContainerStore();
        var context = store.Scratch("context");
        File.Copy("/bin/busybox", Path.Combine(context, "busybox"));
        foreach (var (name, script) in new[] { ("lambda-entrypoint.sh", Entrypoint), ("bootstrap", LambdaTestImage.Probe) })
        {
            File.WriteAllText(Path.Combine(context, name), script.ReplaceLineEndings("\n") + "\n");
            File.SetUnixFileMode(Path.Combine(context, name), (UnixFileMode)0b111_101_101);
        }
        File.WriteAllText(Path.Combine(context, "Dockerfile"), Dockerfile);
        await store.RunAsync("buildah", server.Url, "build", "-t", "local/app:1", context);

        await CreateRepositoryAsync(server.Url, "clients/app");
        var uri = await RepositoryUriAsync(server.Url, "clients/app");
        var registry = uri.Split('/')[0];
        var password = await PasswordAsync(server.Url);
        await store.RunAsync("buildah", server.Url, "login", "--tls-verify=false", "--username", "AWS", "--password", password, registry);
        await store.RunAsync("podman", server.Url, "login", "--tls-verify=false", "--username", "AWS", "--password", password, registry);

        var digests = new Dictionary<string, string>();
        foreach (var client in new[] { "buildah", "podman" })
        {
            var digestFile = Path.Combine(store.Scratch(client), "digest");
            await store.RunAsync(client, server.Url, "push", "--tls-verify=false", "--digestfile", digestFile, "local/app:1", $"docker://{uri}:{client}");
            digests[client] = File.ReadAllText(digestFile).Trim();
            Assert.Matches("^sha256:[0-9a-f]{64}$", digests[client]);
        }

        // Pulled back by the other client (podman what buildah pushed and the reverse) and by skopeo: the same manifest digest.
        await store.RunAsync("podman", server.Url, "pull", "--tls-verify=false", $"{uri}:buildah");
        // The local image is the one both pushed (one image id), so podman lists each manifest it was pulled or pushed by.
        Assert.Contains($"{uri}@{digests["buildah"]}", await store.RunAsync("podman", server.Url, "image", "inspect", "--format", "{{json .RepoDigests}}", $"{uri}:buildah"));
        await store.RunAsync("buildah", server.Url, "pull", "--tls-verify=false", $"{uri}:podman");
        foreach (var (tag, digest) in digests)
            Assert.Equal(digest, await store.RunAsync("skopeo", server.Url, "inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{uri}:{tag}"));

        var result = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + $$"""
            ecr = client("ecr")
            out["images"] = sorted([[d["imageDigest"], sorted(d.get("imageTags", []))] for d in ecr.describe_images(repositoryName="clients/app")["imageDetails"]])
            lam.create_function(FunctionName="from-dockerfile", PackageType="Image", Code={"ImageUri": "{{uri}}:podman"}, Role=role(), Timeout=30)
            lam.get_waiter("function_active_v2").wait(FunctionName="from-dockerfile", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["resolved"] = lam.get_function(FunctionName="from-dockerfile")["Code"]["ResolvedImageUri"]
            out["invoke"] = invoke("from-dockerfile", {"n": 1})
            """);

        // buildah and podman push the same local image; each writes its own manifest, so the digests may differ, and ECR lists each with its tag.
        var listed = result["images"]!.AsArray().Select(i => (Digest: i![0]!.GetValue<string>(), Tags: string.Join(',', i[1]!.AsArray().Select(t => t!.GetValue<string>())))).ToList();
        foreach (var (client, digest) in digests) Assert.Contains(listed, i => i.Digest == digest && i.Tags.Split(',').Contains(client));
        Assert.Equal($"{uri}@{digests["podman"]}", result["resolved"]!.GetValue<string>());
        var invoked = result["invoke"]!;
        Assert.True(invoked["error"] is null, invoked.ToJsonString());
        var payload = invoked["payload"]!;
        Assert.Equal("dockerfile.handler", payload["handler"]!.GetValue<string>());
        Assert.Equal("built-by-run", payload["entry"]!.GetValue<string>());
        Assert.Equal("from-dockerfile", payload["greeting"]!.GetValue<string>());
        Assert.Equal("/var/task", payload["cwd"]!.GetValue<string>());
        Assert.Equal(993, payload["uid"]!.GetValue<int>());
        Assert.True(payload["readonlyRoot"]!.GetValue<bool>(), payload.ToJsonString());
    }
}
