using System.Text.Json;

namespace Stratus.Services.Ecr.Engine;

/// <summary>A descriptor inside a manifest: what it points at, by digest.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size, ImagePlatform? Platform);

/// <summary>
/// A manifest as the registry accepts it: Docker v2 schema 2 and OCI image manifests (a config and layers),
/// Docker manifest lists and OCI indexes (manifests for several platforms). Schema 1 is refused, as ECR's
/// newer registries and every current client no longer need it.
/// </summary>
public sealed record ImageManifest(string MediaType, Descriptor? Config, IReadOnlyList<Descriptor> Layers, IReadOnlyList<Descriptor> Manifests)
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    private const int MaxJsonDepth = 32;
    private const int MaxDescriptors = 1000;

    public static readonly IReadOnlyList<string> SupportedMediaTypes = [DockerManifest, OciManifest, DockerManifestList, OciIndex];

    public bool IsIndex => MediaType is DockerManifestList or OciIndex;

    /// <summary>
    /// Parses <paramref name="content"/>; <paramref name="declaredMediaType"/> is the Content-Type (or ECR's
    /// imageManifestMediaType) it came with, which must agree with the mediaType it declares inside.
    /// </summary>
    public static ImageManifest Parse(ReadOnlySpan<byte> content, string? declaredMediaType)
    {
        if (content.Length > EcrRules.MaxManifestBytes) throw EcrErrors.InvalidManifest($"a manifest may be at most {EcrRules.MaxManifestBytes} bytes");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray(), new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
        }
        catch (JsonException e)
        {
            throw EcrErrors.InvalidManifest("the manifest is not valid JSON: " + e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw EcrErrors.InvalidManifest("the manifest must be a JSON object");
            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var schemaVersion) || schemaVersion != 2)
                throw EcrErrors.InvalidManifest("schemaVersion must be 2 (schema 1 manifests are not supported)");
            var inner = OptionalString(root, "mediaType");
            var declared = NormalizeContentType(declaredMediaType);
            if (declared is not null && inner is not null && declared != inner)
                throw EcrErrors.InvalidManifest($"the media type '{declared}' does not match the manifest's mediaType '{inner}'");
            var mediaType = inner ?? declared ?? Infer(root);
            if (!SupportedMediaTypes.Contains(mediaType)) throw EcrErrors.InvalidManifest($"unsupported manifest media type '{mediaType}'");

            if (mediaType is DockerManifestList or OciIndex)
                return new ImageManifest(mediaType, null, [], Descriptors(root, "manifests", withPlatform: true));
            if (!root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
                throw EcrErrors.InvalidManifest("an image manifest needs a config descriptor");
            return new ImageManifest(mediaType, ParseDescriptor(config, withPlatform: false), Descriptors(root, "layers", withPlatform: false), []);
        }
    }

    /// <summary>An OCI manifest may leave mediaType out: an index has "manifests", an image manifest "config".</summary>
    private static string Infer(JsonElement root) =>
        root.TryGetProperty("manifests", out _) ? OciIndex
        : root.TryGetProperty("config", out _) ? OciManifest
        : throw EcrErrors.InvalidManifest("the manifest declares no mediaType and is neither an image manifest nor an index");

    private static string? NormalizeContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return null;
        var bare = contentType.Split(';')[0].Trim();
        // Clients that do not know the type send a generic one (application/json, a form type): the
        // manifest's own mediaType decides then. Only a manifest media type is a declaration to check.
        return bare.StartsWith("application/vnd.", StringComparison.Ordinal) ? bare : null;
    }

    private static IReadOnlyList<Descriptor> Descriptors(JsonElement root, string name, bool withPlatform)
    {
        if (!root.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array)
            throw EcrErrors.InvalidManifest($"'{name}' must be a list of descriptors");
        if (list.GetArrayLength() > MaxDescriptors) throw EcrErrors.InvalidManifest($"'{name}' may hold at most {MaxDescriptors} descriptors");
        return list.EnumerateArray().Select(d => ParseDescriptor(d, withPlatform)).ToList();
    }

    private static Descriptor ParseDescriptor(JsonElement element, bool withPlatform)
    {
        if (element.ValueKind != JsonValueKind.Object) throw EcrErrors.InvalidManifest("a descriptor must be an object");
        var digest = OptionalString(element, "digest") ?? throw EcrErrors.InvalidManifest("a descriptor has no digest");
        if (!EcrRules.IsDigest(digest)) throw EcrErrors.InvalidManifest($"descriptor digest '{digest}' is not a sha256 digest");
        if (!element.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var bytes) || bytes < 0)
            throw EcrErrors.InvalidManifest($"descriptor {digest} has no valid size");
        var platform = withPlatform && element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object
            ? new ImagePlatform(OptionalString(p, "os") ?? "", OptionalString(p, "architecture") ?? "", OptionalString(p, "variant"))
            : null;
        return new Descriptor(OptionalString(element, "mediaType") ?? "", digest, bytes, platform);
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? Text(value) ?? throw EcrErrors.InvalidManifest($"'{name}' is not valid Unicode text")
            : throw EcrErrors.InvalidManifest($"'{name}' must be a string")
        : null;

    /// <summary>
    /// A JSON string's text, or null when it holds invalid UTF-8 or an unpaired surrogate escape: JsonDocument checks
    /// neither until the text is read, and then throws InvalidOperationException, which must not become a 500.
    /// </summary>
    internal static string? Text(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>An image config blob: the run settings and platform Lambda needs.</summary>
public static class ImageConfigBlob
{
    public static (ImageRunConfig Config, ImagePlatform Platform) Parse(ReadOnlySpan<byte> content)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("the image config is not valid JSON: " + e.Message);
        }
        using var owned = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the image config is not a JSON object");
        var platform = new ImagePlatform(Text(root, "os") ?? "", Text(root, "architecture") ?? "", Text(root, "variant"));
        var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        return (new ImageRunConfig(
            Strings(config, "Entrypoint"), Strings(config, "Cmd"), Strings(config, "Env"),
            NullIfEmpty(Text(config, "WorkingDir")), NullIfEmpty(Text(config, "User"))), platform);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Unicode(value) : null;

    private static IReadOnlyList<string> Strings(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(Unicode).ToList()
            : [];

    private static string Unicode(JsonElement value) =>
        ImageManifest.Text(value) ?? throw new InvalidDataException("the image config holds text that is not valid Unicode");
}
