using Stratus.Host;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Ecr.Engine;

namespace Stratus.Services.Ecr;

/// <summary>ECR's tunables: how long registry passwords live and how often lifecycle policies run.</summary>
public sealed record EcrSettings(TimeSpan TokenLifetime, TimeSpan HousekeepingInterval)
{
    /// <summary>ECR's 12 hours; STRATUS_ECR_TOKEN_LIFETIME_SECONDS shortens it (tests prove expiry with it).</summary>
    public static EcrSettings FromEnvironment() => new(
        Seconds("STRATUS_ECR_TOKEN_LIFETIME_SECONDS") ?? TimeSpan.FromHours(12),
        Seconds("STRATUS_ECR_HOUSEKEEPING_SECONDS") ?? TimeSpan.FromHours(1));

    private static TimeSpan? Seconds(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
}

/// <summary>
/// ECR: repositories, the images and blobs pushed into them (through the registry endpoint or ECR's own
/// layer API), registry passwords, lifecycle policies, and images resolved and unpacked for Lambda.
/// Blobs live once by digest in the <see cref="BlobStore"/>; what each repository holds lives in its
/// state document, so it survives restarts and changes atomically.
/// </summary>
public sealed partial class EcrService : IImageRegistry, IDisposable
{
    /// <summary>A blob pushed this recently is kept though no image references it yet: its manifest may be on its way.</summary>
    private static readonly TimeSpan UnreferencedLayerGrace = TimeSpan.FromHours(1);
    private readonly ResourceTable<EcrRepository> _repositories;
    private readonly BlobStore _blobs;
    private readonly RegistryTokens _tokens;
    private readonly UnpackedImages _unpacked;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ITimer _housekeeping;
    /// <summary>Held while blobs are linked into repositories or deleted, so a blob is never removed under a push that references it.</summary>
    private readonly Lock _blobGate = new();
    private readonly StratusAddress _address;
    private readonly StateStore _store;

    public EcrService(StateStore store, TimeProvider clock, string directory, EcrSettings settings, StratusAddress address, ILogger logger)
    {
        _clock = clock;
        _address = address;
        _logger = logger;
        _store = store;
        _repositories = new ResourceTable<EcrRepository>(store, "ecr.repositories");
        _blobs = new BlobStore(directory, store.Durability);
        _tokens = new RegistryTokens(store, clock, settings.TokenLifetime);
        _unpacked = new UnpackedImages(store, _blobs, Path.Combine(directory, "rootfs"));
        _housekeeping = clock.CreateTimer(_ => Housekeeping(), null, settings.HousekeepingInterval, settings.HousekeepingInterval);
    }

    /// <summary>Where the registry is reached (HOST:PORT), the first part of every repositoryUri: Stratus's own address.</summary>
    public string RegistryHost => _address.BaseUrl.Authority;

    public string RepositoryUri(EcrRepository repository) => $"{RegistryHost}/{repository.RepositoryName}";

    public BlobStore Blobs => _blobs;

    // ---- Repositories ----

    public EcrRepository CreateRepository(Scope scope, string name, string? tagMutability, bool scanOnPush, IReadOnlyList<EcrTag> tags)
    {
        EcrRules.CheckName(name);
        var repository = new EcrRepository
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            RepositoryName = name,
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds()),
            ImageTagMutability = EcrRules.CheckMutability(tagMutability),
            ScanOnPush = scanOnPush,
            Tags = tags,
        };
        if (!_repositories.TryAdd(Key(scope, name), repository)) throw EcrErrors.RepositoryAlreadyExists(scope.AccountId, name);
        return repository;
    }

    public IReadOnlyList<EcrRepository> DescribeRepositories(Scope scope, IReadOnlyList<string> names) =>
        names.Count > 0
            ? names.Select(n => GetRepository(scope, n)).ToList()
            : _repositories.Values.Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region).OrderBy(r => r.RepositoryName, StringComparer.Ordinal).ToList();

    /// <summary>Every account's and region's repositories, for the console.</summary>
    public IReadOnlyList<EcrRepository> AllRepositories() =>
        _repositories.Values.OrderBy(r => r.AccountId, StringComparer.Ordinal).ThenBy(r => r.Region, StringComparer.Ordinal)
            .ThenBy(r => r.RepositoryName, StringComparer.Ordinal).ToList();

    public EcrRepository GetRepository(Scope scope, string name) =>
        _repositories.Get(Key(scope, name)) ?? throw EcrErrors.RepositoryNotFound(scope.AccountId, name);

    public EcrRepository GetRepositoryByArn(Scope scope, string arn) => GetRepository(scope, NameFromArn(arn));

    /// <summary>Deletes a repository; one that still holds images only with <paramref name="force"/>, as ECR.</summary>
    public EcrRepository DeleteRepository(Scope scope, string name, bool force)
    {
        EcrRepository removed;
        lock (_blobGate)
        {
            var repository = GetRepository(scope, name);
            if (repository.Images.Count > 0 && !force) throw EcrErrors.RepositoryNotEmpty(scope.AccountId, name);
            removed = _repositories.Remove(Key(scope, name)) ?? throw EcrErrors.RepositoryNotFound(scope.AccountId, name);
        }
        CollectGarbage(removed.Layers.Keys.Concat(removed.Images.Keys));
        return removed;
    }

    public EcrRepository TagRepository(Scope scope, string arn, IReadOnlyList<EcrTag> tags) =>
        Change(scope, NameFromArn(arn), r => r with { Tags = r.Tags.Where(t => tags.All(n => n.Key != t.Key)).Concat(tags).ToList() });

    public EcrRepository UntagRepository(Scope scope, string arn, IReadOnlyCollection<string> keys) =>
        Change(scope, NameFromArn(arn), r => r with { Tags = r.Tags.Where(t => !keys.Contains(t.Key)).ToList() });

    public EcrRepository PutImageTagMutability(Scope scope, string name, string mutability) =>
        Change(scope, name, r => r with { ImageTagMutability = EcrRules.CheckMutability(mutability) });

    public EcrRepository PutImageScanningConfiguration(Scope scope, string name, bool scanOnPush) =>
        Change(scope, name, r => r with { ScanOnPush = scanOnPush });

    // ---- Registry passwords ----

    /// <summary>GetAuthorizationToken's token: base64 of "AWS:PASSWORD", valid for the scope's account and region, standing for the caller's access key.</summary>
    public (string Token, DateTimeOffset ExpiresAt) IssueToken(Scope scope, string? accessKeyId)
    {
        var (password, expiresAt) = _tokens.Issue(scope.AccountId, scope.Region, accessKeyId ?? "");
        return (Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + password)), expiresAt);
    }

    /// <summary>What a registry login stands for: user AWS and an unexpired password Stratus issued; else null.</summary>
    public RegistryLogin? Authenticate(string user, string password, string requestId) =>
        user == "AWS" && _tokens.Verify(password) is var (account, region, accessKeyId) ? new RegistryLogin(new Scope(account, region, requestId), accessKeyId) : null;

    // ---- Blobs ----

    /// <summary>The size of a blob the repository may read (a layer or config pushed into it, or one of its manifests).</summary>
    public long? FindBlob(Scope scope, string name, string digest)
    {
        var repository = GetRepository(scope, name);
        if (!repository.Layers.ContainsKey(digest) && !repository.Images.ContainsKey(digest)) return null;
        return _blobs.SizeOf(digest);
    }

    public BlobUpload StartUpload(Scope scope, string name)
    {
        GetRepository(scope, name);
        return _blobs.Begin(Key(scope, name));
    }

    public BlobUpload FindUpload(Scope scope, string name, string uploadId) =>
        _blobs.Find(uploadId, Key(scope, name)) ?? throw EcrErrors.UploadNotFound(uploadId);

    public Task<long> AppendToUploadAsync(BlobUpload upload, Stream content, long? start, CancellationToken cancellation) =>
        _blobs.AppendAsync(upload, content, start, EcrRules.MaxLayerBytes, cancellation);

    /// <summary>Verifies and stores an upload's blob, then links it into the repository.</summary>
    public async Task<long> CompleteUploadAsync(Scope scope, string name, BlobUpload upload, string digest, CancellationToken cancellation)
    {
        EcrRules.CheckDigest("layerDigest", digest);
        var size = await _blobs.CommitAsync(upload, digest, cancellation);
        // A repository deleted in the same moment may have taken the blob with it: the client pushes it again.
        if (!LinkBlob(scope, name, digest, size)) throw EcrErrors.BlobRemovedDuringCommit(digest);
        return size;
    }

    public void CancelUpload(BlobUpload upload) => _blobs.Cancel(upload);

    /// <summary>Cross-repository mount: links a blob <paramref name="from"/> holds into <paramref name="name"/>; false when it holds none.</summary>
    public bool MountBlob(Scope scope, string name, string from, string digest)
    {
        EcrRules.CheckDigest("digest", digest);
        GetRepository(scope, name);
        if (!EcrRules.IsValidName(from) || _repositories.Get(Key(scope, from)) is not { } source || !source.Layers.TryGetValue(digest, out var layer)) return false;
        return LinkBlob(scope, name, digest, layer.Size);
    }

    private bool LinkBlob(Scope scope, string name, string digest, long size)
    {
        lock (_blobGate)
        {
            if (!_blobs.Exists(digest)) return false;
            Change(scope, name, r => r.Layers.ContainsKey(digest)
                ? r
                : r with { Layers = new Dictionary<string, EcrLayer>(r.Layers) { [digest] = new EcrLayer(size, _clock.GetUtcNow()) } });
            return true;
        }
    }

    /// <summary>BatchCheckLayerAvailability: which layers the repository holds, with their sizes.</summary>
    public IReadOnlyList<LayerAvailability> CheckLayers(Scope scope, string name, IReadOnlyList<string> digests)
    {
        var repository = GetRepository(scope, name);
        return digests.Select(d => new LayerAvailability(d, repository.Layers.TryGetValue(d, out var layer) && _blobs.Exists(d) ? layer.Size : null)).ToList();
    }

    // ---- Images ----

    /// <summary>
    /// Stores a manifest as an image of the repository, tagged with <paramref name="tag"/> if given. Every blob
    /// (or, for an index, every manifest) it references must already be in the repository. A mutable tag moves
    /// to the new image; an immutable one is refused. The API's PutImage refuses an unchanged image and tag
    /// (<paramref name="refuseUnchanged"/>); the registry answers it as a success, as pushes are repeatable.
    /// </summary>
    public EcrImage PutImage(Scope scope, string name, byte[] manifestBytes, string? mediaType, string? tag, string? expectedDigest, bool refuseUnchanged)
    {
        if (tag is not null) EcrRules.CheckTag(tag);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
        if (expectedDigest is not null && expectedDigest != digest) throw EcrErrors.ImageDigestDoesNotMatch(expectedDigest, digest);
        var manifest = ImageManifest.Parse(manifestBytes, mediaType);
        EcrImage? stored = null;
        lock (_blobGate)
        {
            GetRepository(scope, name);
            _blobs.WriteSmall(digest, manifestBytes);
            Change(scope, name, repository =>
            {
                CheckReferences(repository, manifest);
                var holder = tag is null ? null : repository.FindByTag(tag);
                if (holder is not null && holder.Digest != digest && repository.ImageTagMutability == "IMMUTABLE")
                    throw EcrErrors.ImageTagAlreadyExists(name, tag!);
                if (holder is not null && holder.Digest == digest && refuseUnchanged)
                    throw EcrErrors.ImageAlreadyExists(scope.AccountId, name, digest, tag!);
                var images = new Dictionary<string, EcrImage>(repository.Images);
                if (holder is not null && holder.Digest != digest) images[holder.Digest] = holder with { Tags = holder.Tags.Where(t => t != tag).ToList() };
                var image = images.TryGetValue(digest, out var existing)
                    ? existing
                    : new EcrImage
                    {
                        Digest = digest,
                        MediaType = manifest.MediaType,
                        ArtifactMediaType = manifest.Config?.MediaType,
                        SizeInBytes = manifest.IsIndex ? null : manifest.Layers.Sum(l => l.Size),
                        PushedAt = _clock.GetUtcNow(),
                        References = manifest.IsIndex
                            ? manifest.Manifests.Select(m => m.Digest).ToList()
                            : manifest.Layers.Select(l => l.Digest).Prepend(manifest.Config!.Digest).ToList(),
                        IsIndex = manifest.IsIndex,
                    };
                if (tag is not null && !image.Tags.Contains(tag)) image = image with { Tags = [.. image.Tags, tag] };
                images[digest] = stored = image;
                return repository with { Images = images };
            });
        }
        ApplyLifecyclePolicy(scope, name);
        return stored!;
    }

    private static void CheckReferences(EcrRepository repository, ImageManifest manifest)
    {
        if (manifest.IsIndex)
        {
            var missing = manifest.Manifests.Select(m => m.Digest).Where(d => !repository.Images.ContainsKey(d)).Distinct().ToList();
            if (missing.Count > 0) throw EcrErrors.ReferencedImagesNotFound(repository.AccountId, repository.RepositoryName, missing);
        }
        else
        {
            var missing = manifest.Layers.Prepend(manifest.Config!).Select(l => l.Digest).Where(d => !repository.Layers.ContainsKey(d)).Distinct().ToList();
            if (missing.Count > 0) throw EcrErrors.LayersNotFound(repository.AccountId, repository.RepositoryName, missing);
        }
    }

    /// <summary>A manifest by tag or digest, as pushed (byte for byte).</summary>
    public (EcrImage Image, byte[] Manifest) GetManifest(Scope scope, string name, string reference)
    {
        var repository = GetRepository(scope, name);
        var id = ParseReference(reference);
        var image = Find(repository, id) ?? throw EcrErrors.ImageNotFound(scope.AccountId, name, id);
        return (image, _blobs.ReadAll(image.Digest));
    }

    /// <summary>
    /// Records a client's pull of a manifest (the registry's GET), which DescribeImages reports as lastRecordedPullTime
    /// and sinceImagePulled rules measure. Like ECR, which refreshes it "at least once every 24 hours", the time is
    /// rewritten only when the recorded one is more than an hour old, so pulls do not each write the repository.
    /// </summary>
    public void RecordPull(Scope scope, string name, string digest)
    {
        var now = _clock.GetUtcNow();
        if (_repositories.Get(Key(scope, name))?.Images.GetValueOrDefault(digest) is not { } image
            || (image.LastPulledAt is { } last && now - last < PullRecordInterval)) return;
        _repositories.Update(Key(scope, name), r => r.Images.TryGetValue(digest, out var current)
            ? r with { Images = new Dictionary<string, EcrImage>(r.Images) { [digest] = current with { LastPulledAt = now } } }
            : r);
    }

    private static readonly TimeSpan PullRecordInterval = TimeSpan.FromHours(1);

    /// <summary>The registry's DELETE: by digest removes the image, by tag removes the tag (the image with it when it was the last), as BatchDeleteImage.</summary>
    public void DeleteManifest(Scope scope, string name, string reference)
    {
        var id = ParseReference(reference);
        var (_, failures) = BatchDeleteImage(scope, name, [id]);
        if (failures.FirstOrDefault() is { } failure)
            throw failure.FailureCode == "ImageNotFound"
                ? EcrErrors.ImageNotFound(scope.AccountId, name, id)
                : EcrErrors.ImageDeleteFailed(failure.FailureReason);
    }

    public IReadOnlyList<string> ListTags(Scope scope, string name) =>
        GetRepository(scope, name).Images.Values.SelectMany(i => i.Tags).Order(StringComparer.Ordinal).ToList();

    /// <summary>DescribeImages: the images with these ids (every one must exist), or all of the tag status, newest first.</summary>
    public IReadOnlyList<EcrImage> DescribeImages(Scope scope, string name, IReadOnlyList<ImageId> ids, string tagStatus)
    {
        var repository = GetRepository(scope, name);
        if (ids.Count > 0)
            return ids.Select(id => Find(repository, CheckId(id)) ?? throw EcrErrors.ImageNotFound(scope.AccountId, name, id)).Distinct().ToList();
        return repository.Images.Values.Where(i => MatchesTagStatus(i, tagStatus))
            .OrderByDescending(i => i.PushedAt).ThenBy(i => i.Digest, StringComparer.Ordinal).ToList();
    }

    /// <summary>ListImages: one id per tag, and a digest-only id for each untagged image.</summary>
    public IReadOnlyList<ImageId> ListImageIds(Scope scope, string name, string tagStatus) =>
        DescribeImages(scope, name, [], tagStatus)
            .SelectMany(i => i.Tags.Count == 0 ? [new ImageId(i.Digest, null)] : i.Tags.Select(t => new ImageId(i.Digest, t)))
            .ToList();

    public (IReadOnlyList<(ImageId Id, EcrImage Image, byte[] Manifest)> Images, IReadOnlyList<ImageFailure> Failures) BatchGetImage(Scope scope, string name, IReadOnlyList<ImageId> ids)
    {
        var repository = GetRepository(scope, name);
        var images = new List<(ImageId, EcrImage, byte[])>();
        var failures = new List<ImageFailure>();
        foreach (var id in ids)
        {
            if (InvalidId(id) is { } invalid) failures.Add(invalid);
            else if (Find(repository, id) is { } image) images.Add((new ImageId(image.Digest, id.Tag), image, _blobs.ReadAll(image.Digest)));
            else failures.Add(new ImageFailure(id, "ImageNotFound", "Requested image not found"));
        }
        return (images, failures);
    }

    /// <summary>
    /// BatchDeleteImage: an id with a digest deletes the image; an id with only a tag removes that tag, and the
    /// image with it when it was its last tag (as ECR). Images an index references are kept while it does.
    /// </summary>
    public (IReadOnlyList<ImageId> Deleted, IReadOnlyList<ImageFailure> Failures) BatchDeleteImage(Scope scope, string name, IReadOnlyList<ImageId> ids)
    {
        var deleted = new List<ImageId>();
        var failures = new List<ImageFailure>();
        EcrRepository before;
        lock (_blobGate)
        {
            before = GetRepository(scope, name);
            Change(scope, name, repository =>
            {
                var images = new Dictionary<string, EcrImage>(repository.Images);
                foreach (var id in ids)
                {
                    if (InvalidId(id) is { } invalid) { failures.Add(invalid); continue; }
                    var image = Find(images.Values, id);
                    if (image is null) { failures.Add(new ImageFailure(id, "ImageNotFound", "Requested image not found")); continue; }
                    if (id.Digest is null && image.Tags.Count > 1)
                    {
                        images[image.Digest] = image with { Tags = image.Tags.Where(t => t != id.Tag).ToList() };
                        deleted.Add(new ImageId(image.Digest, id.Tag));
                        continue;
                    }
                    if (images.Values.FirstOrDefault(i => i.IsIndex && i.References.Contains(image.Digest)) is { } index)
                    {
                        failures.Add(new ImageFailure(id, "ImageReferencedByManifestList", $"Requested image referenced by manifest list: [{index.Digest}]"));
                        continue;
                    }
                    images.Remove(image.Digest);
                    deleted.AddRange(image.Tags.Count == 0 ? [new ImageId(image.Digest, null)] : image.Tags.Select(t => new ImageId(image.Digest, t)));
                }
                return repository with { Images = images, Layers = ReferencedLayers(repository.Layers, images.Values) };
            });
        }
        var after = GetRepository(scope, name);
        CollectGarbage(before.Images.Keys.Except(after.Images.Keys).Concat(before.Layers.Keys.Except(after.Layers.Keys)));
        return (deleted, failures);
    }

    /// <summary>A repository keeps the layers its images reference, and those pushed recently (a push in progress).</summary>
    private IReadOnlyDictionary<string, EcrLayer> ReferencedLayers(IReadOnlyDictionary<string, EcrLayer> layers, IEnumerable<EcrImage> images)
    {
        var referenced = images.SelectMany(i => i.References).ToHashSet(StringComparer.Ordinal);
        var cutoff = _clock.GetUtcNow() - UnreferencedLayerGrace;
        return layers.Where(l => referenced.Contains(l.Key) || l.Value.PushedAt > cutoff).ToDictionary(l => l.Key, l => l.Value);
    }

    /// <summary>
    /// Deletes the blobs among <paramref name="candidates"/> that no repository in any account still holds, once the
    /// commit that let them go is on the disk (before, a power loss could bring back an image whose blobs are gone);
    /// whether a repository holds one is asked again then, as a push may have linked it meanwhile.
    /// </summary>
    private void CollectGarbage(IEnumerable<string> candidates)
    {
        var pending = candidates.ToHashSet(StringComparer.Ordinal);
        if (pending.Count == 0) return;
        _store.AfterDurable(() =>
        {
            lock (_blobGate)
            {
                foreach (var repository in _repositories.Values)
                {
                    pending.ExceptWith(repository.Layers.Keys);
                    pending.ExceptWith(repository.Images.Keys);
                }
                foreach (var digest in pending) _blobs.Delete(digest);
            }
        });
    }

    public string DescribeScanFindings(Scope scope, string name, ImageId id)
    {
        var repository = GetRepository(scope, name);
        var image = Find(repository, CheckId(id)) ?? throw EcrErrors.ImageNotFound(scope.AccountId, name, id);
        throw EcrErrors.ScanNotFound(scope.AccountId, name, new ImageId(image.Digest, id.Tag));
    }

    // ---- Repository policies ----

    public EcrRepository SetRepositoryPolicy(Scope scope, string name, string policyText)
    {
        try
        {
            using var document = Protocols.Json.JsonBody.ParseMemberDocument(policyText, 32);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !document.RootElement.TryGetProperty("Statement", out _))
                throw EcrErrors.InvalidRepositoryPolicy();
        }
        catch (System.Text.Json.JsonException)
        {
            throw EcrErrors.InvalidRepositoryPolicy();
        }
        return Change(scope, name, r => r with { RepositoryPolicyText = policyText });
    }

    public EcrRepository GetRepositoryPolicy(Scope scope, string name)
    {
        var repository = GetRepository(scope, name);
        return repository.RepositoryPolicyText is null ? throw EcrErrors.RepositoryPolicyNotFound(scope.AccountId, name) : repository;
    }

    public EcrRepository DeleteRepositoryPolicy(Scope scope, string name)
    {
        var repository = GetRepositoryPolicy(scope, name);
        Change(scope, name, r => r with { RepositoryPolicyText = null });
        return repository;
    }

    // ---- Lifecycle policies ----

    public EcrRepository PutLifecyclePolicy(Scope scope, string name, string policyText)
    {
        LifecyclePolicy.Parse(policyText);
        var repository = Change(scope, name, r => r with { LifecyclePolicyText = policyText });
        ApplyLifecyclePolicy(scope, name);
        return repository;
    }

    public EcrRepository GetLifecyclePolicy(Scope scope, string name)
    {
        var repository = GetRepository(scope, name);
        return repository.LifecyclePolicyText is null ? throw EcrErrors.LifecyclePolicyNotFound(scope.AccountId, name) : repository;
    }

    public EcrRepository DeleteLifecyclePolicy(Scope scope, string name)
    {
        var repository = GetLifecyclePolicy(scope, name);
        Change(scope, name, r => r with { LifecyclePolicyText = null, LifecyclePolicyEvaluatedAt = null });
        return repository;
    }

    /// <summary>
    /// StartLifecyclePolicyPreview: the given policy (or the repository's own) evaluated against its images now, exactly as
    /// <see cref="ApplyLifecyclePolicy"/> would, but expiring nothing. It completes at once; the result is kept for
    /// GetLifecyclePolicyPreview until the next preview.
    /// </summary>
    public EcrRepository StartLifecyclePolicyPreview(Scope scope, string name, string? policyText)
    {
        var text = policyText ?? GetRepository(scope, name).LifecyclePolicyText ?? throw EcrErrors.LifecyclePolicyNotFound(scope.AccountId, name);
        var policy = LifecyclePolicy.Parse(text);
        var now = _clock.GetUtcNow();
        return Change(scope, name, r => r with
        {
            LifecyclePolicyPreview = new LifecyclePolicyPreview(text, policy.Evaluate(r.Images.Values.ToList(), now)
                .Select(e => new LifecyclePreviewResult(e.Image.Digest, e.Image.Tags, e.Image.PushedAt, e.Rule.Priority)).ToList()),
        });
    }

    public (EcrRepository Repository, LifecyclePolicyPreview Preview) GetLifecyclePolicyPreview(Scope scope, string name)
    {
        var repository = GetRepository(scope, name);
        return (repository, repository.LifecyclePolicyPreview ?? throw EcrErrors.LifecyclePolicyPreviewNotFound(scope.AccountId, name));
    }

    /// <summary>Expires the images the repository's lifecycle policy selects; run after every push and periodically.</summary>
    public void ApplyLifecyclePolicy(Scope scope, string name)
    {
        if (_repositories.Get(Key(scope, name)) is not { LifecyclePolicyText: { } text } repository) return;
        var now = _clock.GetUtcNow();
        var expired = LifecyclePolicy.Parse(text).Expired(repository.Images.Values.ToList(), now);
        if (expired.Count > 0)
        {
            var (deleted, _) = BatchDeleteImage(scope, name, expired.Select(i => new ImageId(i.Digest, null)).ToList());
            _logger.LogInformation("ECR lifecycle policy of {Repository} expired {Count} image(s)", name, deleted.Select(d => d.Digest).Distinct().Count());
        }
        _repositories.Update(Key(scope, name), r => r with { LifecyclePolicyEvaluatedAt = now });
    }

    private void Housekeeping()
    {
        try
        {
            _blobs.ExpireUploads(TimeSpan.FromHours(24));
            foreach (var repository in _repositories.Values.Where(r => r.LifecyclePolicyText is not null).ToList())
                ApplyLifecyclePolicy(Scope.Of(repository.AccountId, repository.Region), repository.RepositoryName);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "ECR housekeeping failed");
        }
    }

    // ---- Images for Lambda ----

    [GeneratedRegex(@"^(?<account>[0-9]{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")]
    private static partial Regex AwsRegistryHost();

    public ResolvedImage Resolve(Scope scope, string imageUri)
    {
        var (account, region, name, id, repositoryPart) = ParseImageUri(scope, imageUri);
        var repository = _repositories.Get(ResourceTable<EcrRepository>.Key(account, region, name)) ?? throw EcrErrors.ImageUriNotFound(imageUri);
        var image = Find(repository, id) ?? throw EcrErrors.ImageUriNotFound(imageUri);
        var manifestDigest = image.Digest;
        if (image.IsIndex)
        {
            var index = ImageManifest.Parse(_blobs.ReadAll(image.Digest), image.MediaType);
            var machine = MachineArchitecture();
            manifestDigest = (index.Manifests.FirstOrDefault(m => m.Platform is { Os: "linux" } p && p.Architecture == machine)
                ?? index.Manifests.FirstOrDefault() ?? throw EcrErrors.ImageUriNotFound(imageUri)).Digest;
        }
        var manifest = ImageManifest.Parse(_blobs.ReadAll(manifestDigest), null);
        if (manifest.IsIndex || manifest.Config is null) throw EcrErrors.ImageUriInvalid(imageUri);
        ImageRunConfig config;
        ImagePlatform platform;
        try
        {
            (config, platform) = ImageConfigBlob.Parse(_blobs.ReadAll(manifest.Config.Digest));
        }
        catch (InvalidDataException e)
        {
            throw EcrErrors.ImageUriUnusable(imageUri, e.Message);
        }
        return new ResolvedImage(account, region, name, image.Digest, manifestDigest, $"{repositoryPart}@{image.Digest}", config, platform);
    }

    public Task<string> UnpackAsync(string manifestDigest, string holder, CancellationToken cancellation) =>
        _unpacked.AcquireAsync(EcrRules.CheckDigest("manifestDigest", manifestDigest), holder, cancellation);

    public void Release(string manifestDigest, string holder) => _unpacked.Release(manifestDigest, holder);

    /// <summary>Splits an ImageUri into its registry's account and region, the repository and the tag or digest.</summary>
    private (string Account, string Region, string Name, ImageId Id, string RepositoryPart) ParseImageUri(Scope scope, string imageUri)
    {
        var slash = imageUri.IndexOf('/');
        if (slash <= 0) throw EcrErrors.ImageUriInvalid(imageUri);
        var host = imageUri[..slash];
        var path = imageUri[(slash + 1)..];
        ImageId id;
        string name;
        if (path.IndexOf('@') is var at and >= 0)
        {
            name = path[..at];
            id = new ImageId(path[(at + 1)..], null);
        }
        else if (path.LastIndexOf(':') is var colon and >= 0)
        {
            name = path[..colon];
            id = new ImageId(null, path[(colon + 1)..]);
        }
        else
        {
            name = path;
            id = new ImageId(null, "latest");
        }
        if (!EcrRules.IsValidName(name) || InvalidId(id) is not null) throw EcrErrors.ImageUriInvalid(imageUri);
        var repositoryPart = $"{host}/{name}";
        if (AwsRegistryHost().Match(host) is { Success: true } aws) return (aws.Groups["account"].Value, aws.Groups["region"].Value, name, id, repositoryPart);
        if (IsThisRegistry(host)) return (scope.AccountId, scope.Region, name, id, repositoryPart);
        throw EcrErrors.ImageUriInvalid(imageUri);
    }

    /// <summary>The registry host Stratus hands out, or the same port under another loopback name.</summary>
    private bool IsThisRegistry(string host)
    {
        if (string.Equals(host, RegistryHost, StringComparison.OrdinalIgnoreCase)) return true;
        var port = RegistryHost[(RegistryHost.LastIndexOf(':') + 1)..];
        return host.EndsWith(":" + port, StringComparison.Ordinal) && host[..^(port.Length + 1)] is "localhost" or "127.0.0.1" or "[::1]";
    }

    private static string MachineArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => "arm64",
        Architecture.X64 => "amd64",
        var other => other.ToString().ToLowerInvariant(),
    };

    // ---- Helpers ----

    private static string Key(Scope scope, string name) => ResourceTable<EcrRepository>.Key(scope.AccountId, scope.Region, name);

    private EcrRepository Change(Scope scope, string name, Func<EcrRepository, EcrRepository> change) =>
        _repositories.Update(Key(scope, name), change) ?? throw EcrErrors.RepositoryNotFound(scope.AccountId, name);

    private static ImageId ParseReference(string reference) =>
        EcrRules.IsDigest(reference) ? new ImageId(reference, null)
        : reference.StartsWith("sha256:", StringComparison.Ordinal) ? throw EcrErrors.InvalidDigest("reference", reference)
        : new ImageId(null, EcrRules.CheckTag(reference));

    private static ImageFailure? InvalidId(ImageId id) =>
        id.Digest is null && id.Tag is null ? new ImageFailure(id, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null")
        : id.Digest is not null && !EcrRules.IsDigest(id.Digest) ? new ImageFailure(id, "InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
        : id.Tag is not null && !EcrRules.IsTag(id.Tag) ? new ImageFailure(id, "InvalidImageTag", "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'")
        : null;

    private static ImageId CheckId(ImageId id) =>
        InvalidId(id) is { } invalid ? throw EcrErrors.InvalidParameter("imageIds", invalid.FailureReason) : id;

    private static EcrImage? Find(EcrRepository repository, ImageId id) => Find(repository.Images.Values, id);

    /// <summary>The image with the id's digest (carrying its tag, when both are given) or else the one its tag points at.</summary>
    private static EcrImage? Find(IEnumerable<EcrImage> images, ImageId id) =>
        id.Digest is not null
            ? images.FirstOrDefault(i => i.Digest == id.Digest && (id.Tag is null || i.Tags.Contains(id.Tag)))
            : images.FirstOrDefault(i => i.Tags.Contains(id.Tag!));

    private static bool MatchesTagStatus(EcrImage image, string tagStatus) => tagStatus switch
    {
        "TAGGED" => image.Tags.Count > 0,
        "UNTAGGED" => image.Tags.Count == 0,
        _ => true,
    };

    private static string NameFromArn(string arn)
    {
        var marker = arn.IndexOf(":repository/", StringComparison.Ordinal);
        return marker < 0
            ? throw EcrErrors.InvalidParameter("resourceArn", $"Invalid ARN {arn}")
            : arn[(marker + ":repository/".Length)..];
    }

    public void Dispose()
    {
        _housekeeping.Dispose();
    }
}
