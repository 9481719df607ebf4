using Stratus.Protocols;

namespace Stratus.Services.Ecr;

public sealed record EcrTag(string Key, string Value);

/// <summary>A registry login: the account and region its password names, and the access key that asked for it.</summary>
public sealed record RegistryLogin(Scope Scope, string AccessKeyId);

/// <summary>
/// A repository with everything it holds: its images (manifests by digest, with their tags) and the blobs
/// pushed into it. One document per repository, so a push, a tag move or a delete changes it atomically.
/// </summary>
public sealed record EcrRepository
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string RepositoryName { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string ImageTagMutability { get; init; } = "MUTABLE";
    public bool ScanOnPush { get; init; }
    public IReadOnlyList<EcrTag> Tags { get; init; } = [];
    /// <summary>Images by manifest digest.</summary>
    public IReadOnlyDictionary<string, EcrImage> Images { get; init; } = new Dictionary<string, EcrImage>();
    /// <summary>Blobs (layers, configs) pushed into this repository, by digest: what the registry lets it read and reference.</summary>
    public IReadOnlyDictionary<string, EcrLayer> Layers { get; init; } = new Dictionary<string, EcrLayer>();
    public string? LifecyclePolicyText { get; init; }
    public DateTimeOffset? LifecyclePolicyEvaluatedAt { get; init; }
    /// <summary>The last StartLifecyclePolicyPreview's result, kept for GetLifecyclePolicyPreview.</summary>
    public LifecyclePolicyPreview? LifecyclePolicyPreview { get; init; }
    /// <summary>The repository policy (SetRepositoryPolicy), stored and returned; Stratus does not evaluate it.</summary>
    public string? RepositoryPolicyText { get; init; }

    public string Arn => $"arn:aws:ecr:{Region}:{AccountId}:repository/{RepositoryName}";

    public EcrImage? FindByTag(string tag) => Images.Values.FirstOrDefault(i => i.Tags.Contains(tag));
}

/// <summary>One image: a manifest (image manifest, manifest list or OCI index) as pushed, and the tags pointing at it.</summary>
public sealed record EcrImage
{
    public required string Digest { get; init; }
    public required string MediaType { get; init; }
    /// <summary>The config blob's media type (ECR's artifactMediaType); null for manifest lists and indexes.</summary>
    public string? ArtifactMediaType { get; init; }
    /// <summary>The compressed size of its layers, as ECR reports imageSizeInBytes; null for manifest lists and indexes.</summary>
    public long? SizeInBytes { get; init; }
    public required DateTimeOffset PushedAt { get; init; }
    /// <summary>When a client last pulled its manifest (ECR's lastRecordedPullTime), refreshed at most hourly; null if never.</summary>
    public DateTimeOffset? LastPulledAt { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The blobs (config, layers) or, for an index, the manifests it references.</summary>
    public IReadOnlyList<string> References { get; init; } = [];
    public bool IsIndex { get; init; }
}

public sealed record EcrLayer(long Size, DateTimeOffset PushedAt);

/// <summary>A lifecycle policy evaluated against the repository's images when the preview was started, without expiring anything.</summary>
public sealed record LifecyclePolicyPreview(string PolicyText, IReadOnlyList<LifecyclePreviewResult> Results);

/// <summary>An image the previewed policy would expire, as it was then, and the priority of the rule that expires it.</summary>
public sealed record LifecyclePreviewResult(string Digest, IReadOnlyList<string> Tags, DateTimeOffset PushedAt, int AppliedRulePriority);

/// <summary>An image id as ECR's API takes it: a digest, a tag, or both.</summary>
public sealed record ImageId(string? Digest, string? Tag);

public sealed record ImageFailure(ImageId ImageId, string FailureCode, string FailureReason);

public sealed record LayerAvailability(string Digest, long? Size);

/// <summary>What an image runs: its config's ENTRYPOINT, CMD, ENV, WORKDIR and USER.</summary>
public sealed record ImageRunConfig(
    IReadOnlyList<string> EntryPoint,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Environment,
    string? WorkingDirectory,
    string? User);

/// <summary>The platform an image is built for, in OCI's terms (os "linux", architecture "amd64" or "arm64").</summary>
public sealed record ImagePlatform(string Os, string Architecture, string? Variant)
{
    /// <summary>Lambda's name for the architecture (x86_64, arm64), null for one Lambda does not run.</summary>
    public string? LambdaArchitecture => Architecture switch
    {
        "amd64" => "x86_64",
        "arm64" => "arm64",
        _ => null,
    };
}

/// <summary>
/// An ImageUri resolved to the image it names now. <see cref="Digest"/> is what the tag pointed at (an
/// index for a multi-platform image) and goes into ResolvedImageUri, so re-tagging later changes nothing;
/// <see cref="ManifestDigest"/> is the image manifest for this machine's platform, the one to unpack.
/// </summary>
public sealed record ResolvedImage(
    string AccountId,
    string Region,
    string RepositoryName,
    string Digest,
    string ManifestDigest,
    string ResolvedImageUri,
    ImageRunConfig Config,
    ImagePlatform Platform);
