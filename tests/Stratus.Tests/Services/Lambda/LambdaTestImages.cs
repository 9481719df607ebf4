using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Ecr;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Images for Lambda built here, without Docker or internet: layers of the machine's static busybox and shell runtime
/// clients, written as an OCI layout and pushed with skopeo. The probe answers each event with what it sees from inside.
/// </summary>
public sealed class LambdaTestImage
{
    /// <summary>The Runtime API client both images use; it reports what the function sees as JSON.</summary>
    public const string Probe = """
        #!/bin/sh
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        ARGS="${ARGS:-$*}"
        while true; do
          wget -q -S -O /tmp/event "$API/invocation/next" 2> /tmp/headers || exit 1
          ID=$(sed -n 's/^ *[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' /tmp/headers | tr -d '\r ')
          if touch /probe 2>/dev/null || touch /var/task/probe 2>/dev/null; then ro=false; else ro=true; fi
          if echo written > /tmp/written && [ "$(cat /tmp/written)" = written ]; then tmp=true; else tmp=false; fi
          if [ -e /etc/obsolete.txt ]; then gone=false; else gone=true; fi
          if [ -e /var/task/old/stale.txt ]; then opaque=false; else opaque=true; fi
          seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status)
          printf '{"handler":"%s","entry":"%s","args":"%s","cwd":"%s","uid":%s,"seccomp":"%s","readonlyRoot":%s,"tmpWritable":%s,"whiteoutGone":%s,"opaqueCleared":%s,"greeting":"%s","imageOnly":"%s","event":%s}' \
            "${_HANDLER:-}" "${ENTRY:-}" "$ARGS" "$(pwd)" "$(id -u)" "$seccomp" "$ro" "$tmp" "$gone" "$opaque" "${GREETING:-}" "${IMAGE_ONLY:-}" "$(cat /tmp/event)" > /tmp/response
          wget -q -O /dev/null --post-file=/tmp/response "$API/invocation/$ID/response" || exit 1
        done
        """;

    private static readonly string[] Applets = ["sh", "wget", "sed", "tr", "cat", "id", "touch", "printf", "pwd", "env", "echo", "test", "["];

    private readonly List<byte[]> _tars = [];
    private readonly JsonObject _config;

    private LambdaTestImage(JsonObject config) => _config = config;

    /// <summary>
    /// Laid out as AWS's base images: /lambda-entrypoint.sh takes the handler (CMD) and runs /var/runtime/bootstrap.
    /// A second layer deletes a lower layer's file (a whiteout) and replaces a directory (an opaque whiteout).
    /// </summary>
    public static LambdaTestImage AwsBaseLayout()
    {
        var image = new LambdaTestImage(Config(["/lambda-entrypoint.sh"], ["app.handler"], "/var/task",
            ["PATH=/bin", "LAMBDA_TASK_ROOT=/var/task", "LAMBDA_RUNTIME_DIR=/var/runtime", "GREETING=from-image", "IMAGE_ONLY=image-value"]));
        image._tars.Add(Tar(t =>
        {
            Busybox(t);
            foreach (var dir in new[] { "etc", "tmp", "proc", "dev", "var", "var/runtime", "var/task", "var/task/old" }) Directory(t, dir);
            File(t, "lambda-entrypoint.sh", """
                #!/bin/sh
                [ $# -eq 1 ] || { echo "entrypoint requires the handler name to be the first argument" >&2; exit 142; }
                export _HANDLER="$1" ENTRY="${ENTRY:-lambda-entrypoint}" ARGS="$*"
                exec /var/runtime/bootstrap
                """u8.ToArray(), 0b111_101_101);
            File(t, "var/runtime/bootstrap", Encoding.UTF8.GetBytes(Probe), 0b111_101_101);
            File(t, "etc/obsolete.txt", "deleted by the next layer\n"u8.ToArray(), 0b110_100_100);
            File(t, "var/task/old/stale.txt", "hidden by an opaque directory\n"u8.ToArray(), 0b110_100_100);
        }));
        image._tars.Add(Tar(t =>
        {
            File(t, "etc/.wh.obsolete.txt", [], 0b110_100_100);
            File(t, "var/task/old/.wh..wh..opq", [], 0b110_100_100);
            File(t, "var/task/old/new.txt", "kept\n"u8.ToArray(), 0b110_100_100);
        }));
        return image;
    }

    /// <summary>A FROM scratch image: busybox and its own runtime client as ENTRYPOINT, no /tmp, /proc or /dev of its own.</summary>
    public static LambdaTestImage Scratch()
    {
        var image = new LambdaTestImage(Config(["/client"], ["from-scratch"], "/", ["PATH=/bin", "GREETING=scratch"]));
        image._tars.Add(Tar(t =>
        {
            Busybox(t);
            File(t, "client", Encoding.UTF8.GetBytes(Probe), 0b111_101_101);
        }));
        return image;
    }

    /// <summary>Writes the image as an OCI layout tagged <paramref name="tag"/> and pushes it to REPOSITORY:TAG with skopeo; returns the manifest digest.</summary>
    public async Task<string> PushAsync(string url, string repositoryUri, string tag)
    {
        var layout = System.IO.Directory.CreateTempSubdirectory("stratus-lambda-image-").FullName;
        try
        {
            var blobs = System.IO.Directory.CreateDirectory(Path.Combine(layout, "blobs", "sha256")).FullName;
            var layers = _tars.Select(Gzip).ToList();
            _config["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(_tars.Select(t => (JsonNode)TestImage.Digest(t)).ToArray()) };
            var config = Encoding.UTF8.GetBytes(_config.ToJsonString());
            var manifest = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = TestImage.MediaType,
                ["config"] = TestImage.Descriptor("application/vnd.oci.image.config.v1+json", config),
                ["layers"] = new JsonArray(layers.Select(l => (JsonNode)TestImage.Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", l)).ToArray()),
            }.ToJsonString());
            foreach (var blob in layers.Append(config).Append(manifest))
                System.IO.File.WriteAllBytes(Path.Combine(blobs, TestImage.Digest(blob)["sha256:".Length..]), blob);
            var descriptor = TestImage.Descriptor(TestImage.MediaType, manifest);
            descriptor["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
            System.IO.File.WriteAllText(Path.Combine(layout, "index.json"), new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(descriptor) }.ToJsonString());
            System.IO.File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");

            var password = await Clients.AwsAsync(url, "ecr", "get-login-password");
            Assert.True(password.ExitCode == 0, password.ToString());
            var push = await Clients.RunAsync("skopeo", ["--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + password.Stdout.Trim(),
                $"oci:{layout}:{tag}", $"docker://{repositoryUri}:{tag}"], "", TimeSpan.FromMinutes(2));
            Assert.True(push.ExitCode == 0, push.ToString());
            return TestImage.Digest(manifest);
        }
        finally
        {
            System.IO.Directory.Delete(layout, recursive: true);
        }
    }

    private static JsonObject Config(string[] entrypoint, string[] cmd, string workdir, string[] env) => new()
    {
        ["architecture"] = "amd64",
        ["os"] = "linux",
        ["config"] = new JsonObject
        {
            ["Entrypoint"] = new JsonArray(entrypoint.Select(e => (JsonNode)e).ToArray()),
            ["Cmd"] = new JsonArray(cmd.Select(c => (JsonNode)c).ToArray()),
            ["Env"] = new JsonArray(env.Select(e => (JsonNode)e).ToArray()),
            ["WorkingDir"] = workdir,
        },
    };

    private static void Busybox(TarWriter tar)
    {
        Directory(tar, "bin");
        File(tar, "bin/busybox", System.IO.File.ReadAllBytes("/bin/busybox"), 0b111_101_101);
        foreach (var applet in Applets) tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox" });
    }

    private static void Directory(TarWriter tar, string path) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path + "/") { Mode = path == "tmp" ? (UnixFileMode)0b1_111_111_111 : (UnixFileMode)0b111_101_101 });

    private static void File(TarWriter tar, string path, byte[] content, int mode) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { Mode = (UnixFileMode)mode, DataStream = new MemoryStream(content) });

    private static byte[] Tar(Action<TarWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true)) write(writer);
        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] tar)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        return buffer.ToArray();
    }
}
