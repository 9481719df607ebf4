using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Stratus.Tests.Services.Ecr;

/// <summary>A small OCI image built in memory: one gzip layer holding the given files, a config and a manifest.</summary>
public sealed class TestImage
{
    public TestImage(IReadOnlyDictionary<string, string> files, string[]? entrypoint = null, string architecture = "amd64")
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (path, content) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = (UnixFileMode)0b111_101_101,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                });
        var gzip = new MemoryStream();
        using (var compress = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true)) compress.Write(tar.ToArray());
        Layer = gzip.ToArray();
        Config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Entrypoint"] = new JsonArray((entrypoint ?? ["/bin/run"]).Select(e => (JsonNode)e).ToArray()),
                ["Cmd"] = new JsonArray("handler.main"),
                ["Env"] = new JsonArray("PATH=/bin", "GREETING=hello"),
                ["WorkingDir"] = "/var/task",
            },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest(tar.ToArray())) },
        }.ToJsonString());
        Manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaType,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", Config),
            ["layers"] = new JsonArray(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Layer)),
        }.ToJsonString());
    }

    public const string MediaType = "application/vnd.oci.image.manifest.v1+json";

    public byte[] Layer { get; }
    public byte[] Config { get; }
    public byte[] Manifest { get; }
    public string LayerDigest => Digest(Layer);
    public string ConfigDigest => Digest(Config);
    public string ManifestDigest => Digest(Manifest);

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public static JsonObject Descriptor(string mediaType, byte[] content) =>
        new() { ["mediaType"] = mediaType, ["digest"] = Digest(content), ["size"] = content.Length };

    /// <summary>An OCI index naming <paramref name="manifests"/> for linux/amd64.</summary>
    public static byte[] Index(params byte[][] manifests) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = "application/vnd.oci.image.index.v1+json",
        ["manifests"] = new JsonArray(manifests.Select(m =>
        {
            var descriptor = Descriptor(MediaType, m);
            descriptor["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" };
            return (JsonNode)descriptor;
        }).ToArray()),
    }.ToJsonString());

    /// <summary>Writes the image as an OCI image layout (what skopeo's oci: transport reads), tagged <paramref name="tag"/>.</summary>
    public void WriteLayout(string directory, string tag)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256")).FullName;
        foreach (var blob in new[] { Layer, Config, Manifest }) File.WriteAllBytes(Path.Combine(blobs, Digest(blob)["sha256:".Length..]), blob);
        var manifest = Descriptor(MediaType, Manifest);
        manifest["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        File.WriteAllText(Path.Combine(directory, "index.json"), new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifest) }.ToJsonString());
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }
}
