using Stratus.Host;
using Stratus.Protocols.Json;

namespace Stratus.Services.Ecr;

/// <summary>
/// ECR's wire operations (AWS JSON 1.1, AmazonEC2ContainerRegistry_V20150921; signing name ecr): request members in,
/// domain call, response shape out.
/// </summary>
public sealed class EcrApi : IStratusService
{
    /// <summary>The part size InitiateLayerUpload announces; parts may be any size, as in ECR.</summary>
    private const long PartSize = 10L * 1024 * 1024;
    private readonly EcrService _ecr;

    public EcrApi(EcrService ecr, ILogger logger)
    {
        _ecr = ecr;
        Endpoint = new ServiceEndpoint("ecr", Operations(), new AwsJsonProtocol("AmazonEC2ContainerRegistry_V20150921", "1.1"))
        {
            Logger = logger,
            Rules = EcrRules.Members,
        };
    }

    public string Name => "ecr";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "CreateRepository", i => new JsonObject
            {
                ["repository"] = Repository(_ecr.CreateRepository(ScopeOf(i), i.Required("repositoryName"), i.String("imageTagMutability"),
                    i.Object("imageScanningConfiguration") is { } scanning && i.Nested(scanning).Bool("scanOnPush") == true, Tags(i))),
            } },
        { "DescribeRepositories", i => new JsonObject
            {
                ["repositories"] = new JsonArray(_ecr.DescribeRepositories(ScopeOf(i), i.Strings("repositoryNames")).Select(r => (JsonNode)Repository(r)).ToArray()),
            } },
        { "DeleteRepository", i => new JsonObject { ["repository"] = Repository(_ecr.DeleteRepository(ScopeOf(i), i.Required("repositoryName"), i.Bool("force") ?? false)) } },
        { "PutImageTagMutability", i =>
            {
                var repository = _ecr.PutImageTagMutability(ScopeOf(i), i.Required("repositoryName"), i.Required("imageTagMutability"));
                return RepositoryRef(repository, new JsonObject { ["imageTagMutability"] = repository.ImageTagMutability });
            } },
        { "PutImageScanningConfiguration", i =>
            {
                var scanning = i.Object("imageScanningConfiguration") ?? throw EcrErrors.MemberRequired("imageScanningConfiguration");
                var repository = _ecr.PutImageScanningConfiguration(ScopeOf(i), i.Required("repositoryName"), i.Nested(scanning).Bool("scanOnPush") ?? false);
                return RepositoryRef(repository, new JsonObject { ["imageScanningConfiguration"] = new JsonObject { ["scanOnPush"] = repository.ScanOnPush } });
            } },
        { "DescribeRegistry", i => new JsonObject
            {
                ["registryId"] = i.Call.AccountId,
                ["replicationConfiguration"] = new JsonObject { ["rules"] = new JsonArray() },
            } },
        { "GetAuthorizationToken", i =>
            {
                var (token, expiresAt) = _ecr.IssueToken(ScopeOf(i), i.Call.AccessKeyId);
                return new JsonObject
                {
                    ["authorizationData"] = new JsonArray(new JsonObject
                    {
                        ["authorizationToken"] = token,
                        ["expiresAt"] = expiresAt,
                        ["proxyEndpoint"] = "https://" + _ecr.RegistryHost,
                    }),
                };
            } },
        { "TagResource", i =>
            {
                _ecr.TagRepository(ScopeOf(i), i.Required("resourceArn"), Tags(i));
                return new JsonObject();
            } },
        { "UntagResource", i =>
            {
                _ecr.UntagRepository(ScopeOf(i), i.Required("resourceArn"), i.Strings("tagKeys").ToHashSet());
                return new JsonObject();
            } },
        { "ListTagsForResource", i => new JsonObject { ["tags"] = TagList(_ecr.GetRepositoryByArn(ScopeOf(i), i.Required("resourceArn")).Tags) } },

        { "DescribeImages", i =>
            {
                var images = _ecr.DescribeImages(ScopeOf(i), i.Required("repositoryName"), ImageIds(i), Filter(i) ?? "ANY");
                var (page, next) = EcrRules.Page(images, i.String("nextToken"), i.Int("maxResults") ?? 100);
                var repository = _ecr.GetRepository(ScopeOf(i), i.Required("repositoryName"));
                return new JsonObject { ["imageDetails"] = new JsonArray(page.Select(image => (JsonNode)ImageDetail(repository, image)).ToArray()), ["nextToken"] = next };
            } },
        { "ListImages", i =>
            {
                var ids = _ecr.ListImageIds(ScopeOf(i), i.Required("repositoryName"), Filter(i) ?? "ANY");
                var (page, next) = EcrRules.Page(ids, i.String("nextToken"), i.Int("maxResults") ?? 100);
                return new JsonObject { ["imageIds"] = new JsonArray(page.Select(id => (JsonNode)ImageIdJson(id)).ToArray()), ["nextToken"] = next };
            } },
        { "BatchGetImage", i =>
            {
                var (images, failures) = _ecr.BatchGetImage(ScopeOf(i), i.Required("repositoryName"), ImageIds(i));
                return new JsonObject
                {
                    ["images"] = new JsonArray(images.Select(image => (JsonNode)new JsonObject
                    {
                        ["registryId"] = i.Call.AccountId,
                        ["repositoryName"] = i.Required("repositoryName"),
                        ["imageId"] = ImageIdJson(image.Id),
                        ["imageManifest"] = System.Text.Encoding.UTF8.GetString(image.Manifest),
                        ["imageManifestMediaType"] = image.Image.MediaType,
                    }).ToArray()),
                    ["failures"] = Failures(failures),
                };
            } },
        { "BatchDeleteImage", i =>
            {
                var (deleted, failures) = _ecr.BatchDeleteImage(ScopeOf(i), i.Required("repositoryName"), ImageIds(i));
                return new JsonObject { ["imageIds"] = new JsonArray(deleted.Select(id => (JsonNode)ImageIdJson(id)).ToArray()), ["failures"] = Failures(failures) };
            } },
        { "PutImage", i =>
            {
                var name = i.Required("repositoryName");
                var image = _ecr.PutImage(ScopeOf(i), name, System.Text.Encoding.UTF8.GetBytes(i.Required("imageManifest")),
                    i.String("imageManifestMediaType"), i.String("imageTag"), i.String("imageDigest"), refuseUnchanged: true);
                return new JsonObject
                {
                    ["image"] = new JsonObject
                    {
                        ["registryId"] = i.Call.AccountId,
                        ["repositoryName"] = name,
                        ["imageId"] = ImageIdJson(new ImageId(image.Digest, i.String("imageTag"))),
                        ["imageManifest"] = i.Required("imageManifest"),
                        ["imageManifestMediaType"] = image.MediaType,
                    },
                };
            } },
        { "BatchCheckLayerAvailability", i =>
            {
                var digests = i.Strings("layerDigests");
                var invalid = digests.Where(d => !EcrRules.IsDigest(d)).ToList();
                var layers = _ecr.CheckLayers(ScopeOf(i), i.Required("repositoryName"), digests.Except(invalid).ToList());
                return new JsonObject
                {
                    ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
                    {
                        ["layerDigest"] = l.Digest,
                        ["layerAvailability"] = l.Size is null ? "UNAVAILABLE" : "AVAILABLE",
                        ["layerSize"] = l.Size,
                        ["mediaType"] = l.Size is null ? null : "application/octet-stream",
                    }).ToArray()),
                    ["failures"] = new JsonArray(invalid.Select(d => (JsonNode)new JsonObject
                    {
                        ["layerDigest"] = d,
                        ["failureCode"] = d.Length == 0 ? "MissingLayerDigest" : "InvalidLayerDigest",
                        ["failureReason"] = "Invalid layer digest",
                    }).ToArray()),
                };
            } },
        { "GetDownloadUrlForLayer", i =>
            {
                var name = i.Required("repositoryName");
                var digest = EcrRules.CheckDigest("layerDigest", i.Required("layerDigest"));
                if (_ecr.FindBlob(ScopeOf(i), name, digest) is null) throw EcrErrors.LayerNotFound(i.Call.AccountId, name, digest);
                // ECR hands out a presigned download URL; Stratus's is the registry's blob URL carrying a registry password.
                var (token, _) = _ecr.IssueToken(ScopeOf(i), i.Call.AccessKeyId);
                var password = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token))["AWS:".Length..];
                return new JsonObject
                {
                    ["downloadUrl"] = $"{i.Call.PublicBaseUrl}/v2/{name}/blobs/{digest}?{EcrRegistry.DownloadTokenParameter}={Uri.EscapeDataString(password)}",
                    ["layerDigest"] = digest,
                };
            } },
        { "InitiateLayerUpload", i => new JsonObject
            {
                ["uploadId"] = _ecr.StartUpload(ScopeOf(i), i.Required("repositoryName")).Id,
                ["partSize"] = PartSize,
            } },
        { "UploadLayerPart", async i =>
            {
                var name = i.Required("repositoryName");
                var upload = _ecr.FindUpload(ScopeOf(i), name, i.Required("uploadId"));
                var part = Base64(i.Required("layerPartBlob"), "layerPartBlob");
                var first = i.Long("partFirstByte") ?? throw EcrErrors.MemberRequired("partFirstByte");
                var last = i.Long("partLastByte") ?? throw EcrErrors.MemberRequired("partLastByte");
                if (last - first + 1 != part.Length) throw EcrErrors.InvalidLayerPart(upload.Id, upload.Length - 1, $"bytes {first}-{last} do not match the part's {part.Length} bytes");
                var length = await _ecr.AppendToUploadAsync(upload, new MemoryStream(part), first, i.Call.Http.RequestAborted);
                return new OperationResult
                {
                    Body = new JsonObject { ["registryId"] = i.Call.AccountId, ["repositoryName"] = name, ["uploadId"] = upload.Id, ["lastByteReceived"] = length - 1 },
                };
            } },
        { "CompleteLayerUpload", async i =>
            {
                var name = i.Required("repositoryName");
                var upload = _ecr.FindUpload(ScopeOf(i), name, i.Required("uploadId"));
                if (upload.Length == 0) throw EcrErrors.EmptyUpload(upload.Id);
                var digest = i.Strings("layerDigests").SingleOrDefault() ?? throw EcrErrors.InvalidParameter("layerDigests", "exactly one layer digest is required");
                await _ecr.CompleteUploadAsync(ScopeOf(i), name, upload, digest, i.Call.Http.RequestAborted);
                return new OperationResult
                {
                    Body = new JsonObject { ["registryId"] = i.Call.AccountId, ["repositoryName"] = name, ["uploadId"] = upload.Id, ["layerDigest"] = digest },
                };
            } },
        { "SetRepositoryPolicy", i => RepositoryPolicy(_ecr.SetRepositoryPolicy(ScopeOf(i), i.Required("repositoryName"), i.Required("policyText"))) },
        { "GetRepositoryPolicy", i => RepositoryPolicy(_ecr.GetRepositoryPolicy(ScopeOf(i), i.Required("repositoryName"))) },
        { "DeleteRepositoryPolicy", i => RepositoryPolicy(_ecr.DeleteRepositoryPolicy(ScopeOf(i), i.Required("repositoryName"))) },
        { "PutLifecyclePolicy", i => LifecyclePolicy(_ecr.PutLifecyclePolicy(ScopeOf(i), i.Required("repositoryName"), i.Required("lifecyclePolicyText")), withEvaluatedAt: false) },
        { "GetLifecyclePolicy", i => LifecyclePolicy(_ecr.GetLifecyclePolicy(ScopeOf(i), i.Required("repositoryName")), withEvaluatedAt: true) },
        { "DeleteLifecyclePolicy", i => LifecyclePolicy(_ecr.DeleteLifecyclePolicy(ScopeOf(i), i.Required("repositoryName")), withEvaluatedAt: true) },
        { "StartLifecyclePolicyPreview", i =>
            {
                var repository = _ecr.StartLifecyclePolicyPreview(ScopeOf(i), i.Required("repositoryName"), i.String("lifecyclePolicyText"));
                return RepositoryRef(repository, new JsonObject { ["lifecyclePolicyText"] = repository.LifecyclePolicyPreview!.PolicyText, ["status"] = "COMPLETE" });
            } },
        { "GetLifecyclePolicyPreview", i =>
            {
                var (repository, preview) = _ecr.GetLifecyclePolicyPreview(ScopeOf(i), i.Required("repositoryName"));
                var wanted = ImageIds(i);
                var tagStatus = Filter(i) ?? "ANY";
                var results = preview.Results
                    .Where(r => wanted.Count == 0 || wanted.Any(id => id.Digest == r.Digest || (id.Tag is { } tag && r.Tags.Contains(tag))))
                    .Where(r => tagStatus switch { "TAGGED" => r.Tags.Count > 0, "UNTAGGED" => r.Tags.Count == 0, _ => true })
                    .ToList();
                var (page, next) = EcrRules.Page(results, i.String("nextToken"), i.Int("maxResults") ?? 100);
                return RepositoryRef(repository, new JsonObject
                {
                    ["lifecyclePolicyText"] = preview.PolicyText,
                    ["status"] = "COMPLETE",
                    ["nextToken"] = next,
                    ["previewResults"] = new JsonArray(page.Select(r => (JsonNode)new JsonObject
                    {
                        ["imageTags"] = new JsonArray(r.Tags.Select(t => (JsonNode)t).ToArray()),
                        ["imageDigest"] = r.Digest,
                        ["imagePushedAt"] = r.PushedAt,
                        ["action"] = new JsonObject { ["type"] = "EXPIRE" },
                        ["appliedRulePriority"] = r.AppliedRulePriority,
                    }).ToArray()),
                    ["summary"] = new JsonObject { ["expiringImageTotalCount"] = results.Count },
                });
            } },
        { "DescribeImageScanFindings", i =>
            {
                var id = i.Object("imageId") is { } o ? new ImageId(i.Nested(o).String("imageDigest"), i.Nested(o).String("imageTag")) : new ImageId(null, null);
                _ecr.DescribeScanFindings(ScopeOf(i), i.Required("repositoryName"), id);
                return new JsonObject();
            } },
    };

    private static Scope ScopeOf(OperationInput input) =>
        new(input.Call.AccountId, input.Call.Region, input.Call.RequestId) { PrincipalArn = input.Call.PrincipalArn, PrincipalId = input.Call.PrincipalId };

    private static byte[] Base64(string value, string field)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            throw EcrErrors.InvalidParameter(field, "must be base64-encoded bytes");
        }
    }

    private static string? Filter(OperationInput input) =>
        input.Object("filter") is { } filter ? input.Nested(filter).String("tagStatus") : null;

    private static IReadOnlyList<ImageId> ImageIds(OperationInput input) =>
        input.List("imageIds").OfType<JsonObject>().Select(o => new ImageId(input.Nested(o).String("imageDigest"), input.Nested(o).String("imageTag"))).ToList();

    private static JsonObject ImageIdJson(ImageId id) => new() { ["imageDigest"] = id.Digest, ["imageTag"] = id.Tag };

    private static JsonArray Failures(IReadOnlyList<ImageFailure> failures) =>
        new(failures.Select(f => (JsonNode)new JsonObject
        {
            ["imageId"] = ImageIdJson(f.ImageId),
            ["failureCode"] = f.FailureCode,
            ["failureReason"] = f.FailureReason,
        }).ToArray());

    private static JsonObject ImageDetail(EcrRepository repository, EcrImage image) => new()
    {
        ["registryId"] = repository.AccountId,
        ["repositoryName"] = repository.RepositoryName,
        ["imageDigest"] = image.Digest,
        ["imageTags"] = image.Tags.Count == 0 ? null : new JsonArray(image.Tags.Select(t => (JsonNode)t).ToArray()),
        ["imageSizeInBytes"] = image.SizeInBytes,
        ["imagePushedAt"] = image.PushedAt,
        ["imageManifestMediaType"] = image.MediaType,
        ["artifactMediaType"] = image.ArtifactMediaType,
        ["lastRecordedPullTime"] = image.LastPulledAt,
    };

    private static JsonObject RepositoryPolicy(EcrRepository repository) =>
        RepositoryRef(repository, new JsonObject { ["policyText"] = repository.RepositoryPolicyText });

    private static JsonObject LifecyclePolicy(EcrRepository repository, bool withEvaluatedAt)
    {
        var body = RepositoryRef(repository, new JsonObject { ["lifecyclePolicyText"] = repository.LifecyclePolicyText });
        if (withEvaluatedAt && repository.LifecyclePolicyEvaluatedAt is { } evaluated) body["lastEvaluatedAt"] = evaluated;
        return body;
    }

    private static JsonObject RepositoryRef(EcrRepository repository, JsonObject rest)
    {
        var body = new JsonObject { ["registryId"] = repository.AccountId, ["repositoryName"] = repository.RepositoryName };
        foreach (var (key, value) in rest.ToList())
        {
            rest.Remove(key);
            body[key] = value;
        }
        return body;
    }

    private static IReadOnlyList<EcrTag> Tags(OperationInput input) =>
        input.Tags("tags").Select(t => new EcrTag(t.Key, t.Value)).ToList();

    private static JsonArray TagList(IReadOnlyList<EcrTag> tags) =>
        new(tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());

    private JsonObject Repository(EcrRepository r) => new()
    {
        ["repositoryArn"] = r.Arn,
        ["registryId"] = r.AccountId,
        ["repositoryName"] = r.RepositoryName,
        ["repositoryUri"] = _ecr.RepositoryUri(r),
        ["createdAt"] = r.CreatedAt,
        ["imageTagMutability"] = r.ImageTagMutability,
        ["imageScanningConfiguration"] = new JsonObject { ["scanOnPush"] = r.ScanOnPush },
        ["encryptionConfiguration"] = new JsonObject { ["encryptionType"] = "AES256" },
    };
}
