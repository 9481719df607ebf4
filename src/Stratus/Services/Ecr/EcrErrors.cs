using Stratus.Protocols;

namespace Stratus.Services.Ecr;

/// <summary>
/// ECR's errors, worded as ECR words them. Each also names the OCI distribution error the registry
/// endpoint answers for it (<see cref="RegistryError"/>), so the API and the registry share one domain.
/// </summary>
public static class EcrErrors
{
    private const string RegistryCodeKey = "Stratus.RegistryCode";
    private const string RegistryStatusKey = "Stratus.RegistryStatus";

    public static AwsException RepositoryNotFound(string accountId, string name) =>
        Registry(new AwsException("RepositoryNotFoundException", $"The repository with name '{name}' does not exist in the registry with id '{accountId}'"), "NAME_UNKNOWN", 404);

    public static AwsException RepositoryAlreadyExists(string accountId, string name) =>
        new("RepositoryAlreadyExistsException", $"The repository with name '{name}' already exists in the registry with id '{accountId}'");

    public static AwsException RepositoryNotEmpty(string accountId, string name) =>
        new("RepositoryNotEmptyException", $"The repository with name '{name}' in registry with id '{accountId}' cannot be deleted because it still contains images");

    public static AwsException ImageNotFound(string accountId, string name, ImageId id) =>
        Registry(new AwsException("ImageNotFoundException", $"The image with imageId {Describe(id)} does not exist within the repository with name '{name}' in the registry with id '{accountId}'"), "MANIFEST_UNKNOWN", 404);

    public static AwsException ImageAlreadyExists(string accountId, string name, string digest, string tag) =>
        new("ImageAlreadyExistsException", $"Image with digest '{digest}' and tag '{tag}' already exists in the repository with name '{name}' in registry with id '{accountId}'");

    public static AwsException ImageTagAlreadyExists(string name, string tag) =>
        Registry(new AwsException("ImageTagAlreadyExistsException", $"The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten because the repository is immutable."), "TAG_INVALID", 400);

    public static AwsException ImageDigestDoesNotMatch(string given, string actual) =>
        Registry(new AwsException("ImageDigestDoesNotMatchException", $"Provided digest {given} does not match actual digest {actual}."), "DIGEST_INVALID", 400);

    public static AwsException LayersNotFound(string accountId, string name, IEnumerable<string> digests) =>
        Registry(new AwsException("LayersNotFoundException", $"Layers with digests '[{string.Join(", ", digests)}]' required for pushing image into repository with name '{name}' in the registry with id '{accountId}' do not exist"), "MANIFEST_BLOB_UNKNOWN", 400);

    public static AwsException ReferencedImagesNotFound(string accountId, string name, IEnumerable<string> digests) =>
        Registry(new AwsException("ReferencedImagesNotFoundException", $"Images with digests '[{string.Join(", ", digests)}]' referenced by the manifest list do not exist in the repository with name '{name}' in the registry with id '{accountId}'"), "MANIFEST_BLOB_UNKNOWN", 400);

    public static AwsException LayerNotFound(string accountId, string name, string digest) =>
        Registry(new AwsException("LayersNotFoundException", $"The layer with digest '{digest}' does not exist in the repository with name '{name}' in the registry with id '{accountId}'"), "BLOB_UNKNOWN", 404);

    public static AwsException InvalidManifest(string reason) =>
        Registry(new AwsException("InvalidParameterException", $"Invalid parameter at 'imageManifest' failed to satisfy constraint: '{reason}'"), "MANIFEST_INVALID", 400);

    public static AwsException InvalidParameter(string field, string constraint) =>
        new("InvalidParameterException", $"Invalid parameter at '{field}' failed to satisfy constraint: '{constraint}'");

    public static AwsException InvalidDigest(string field, string digest) =>
        Registry(InvalidParameter(field, $"'{digest}' is not a sha256 digest (sha256: followed by 64 lowercase hex digits)"), "DIGEST_INVALID", 400);

    public static AwsException InvalidTag(string tag) =>
        Registry(InvalidParameter("imageTag", $"'{tag}' must match [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}"), "TAG_INVALID", 400);

    public static AwsException InvalidRepositoryNameInPath(string name) =>
        Registry(new AwsException("InvalidParameterException", $"Invalid repository name '{name}': it must satisfy regular expression '{EcrRules.NamePattern()}' and be 2 to 256 characters long"), "NAME_INVALID", 400);

    public static AwsException UploadNotFound(string uploadId) =>
        Registry(new AwsException("UploadNotFoundException", $"Upload with id '{uploadId}' does not exist"), "BLOB_UPLOAD_UNKNOWN", 404);

    public static AwsException InvalidLayerPart(string uploadId, long lastValidByte, string reason) =>
        Registry(new AwsException("InvalidLayerPartException", $"The layer part for upload '{uploadId}' is invalid: {reason} (last byte received: {lastValidByte})"), "BLOB_UPLOAD_INVALID", 416);

    public static AwsException LayerDigestMismatch(string expected, string actual) =>
        Registry(new AwsException("InvalidLayerException", $"The layer digest '{expected}' does not match the content, whose digest is '{actual}'"), "DIGEST_INVALID", 400);

    public static AwsException LayerTooLarge(long limit) =>
        Registry(new AwsException("LimitExceededException", $"A layer may be at most {limit} bytes, as in ECR"), "SIZE_INVALID", 400);

    public static AwsException BlobRemovedDuringCommit(string digest) =>
        Registry(new AwsException("InvalidLayerException", $"The layer '{digest}' was removed while it was being stored (its last repository was deleted); push it again"), "BLOB_UPLOAD_INVALID", 400);

    public static AwsException EmptyUpload(string uploadId) =>
        Registry(new AwsException("EmptyUploadException", $"The upload '{uploadId}' has no content"), "BLOB_UPLOAD_INVALID", 400);

    public static AwsException RepositoryPolicyNotFound(string accountId, string name) =>
        new("RepositoryPolicyNotFoundException", $"Repository policy does not exist for the repository with name '{name}' in the registry with id '{accountId}'");

    public static AwsException InvalidRepositoryPolicy() =>
        new("InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'");

    public static AwsException LifecyclePolicyNotFound(string accountId, string name) =>
        new("LifecyclePolicyNotFoundException", $"Lifecycle policy does not exist for the repository with name '{name}' in the registry with id '{accountId}'");

    public static AwsException LifecyclePolicyPreviewNotFound(string accountId, string name) =>
        new("LifecyclePolicyPreviewNotFoundException", $"Lifecycle policy preview does not exist for the repository with name '{name}' in the registry with id '{accountId}'");

    public static AwsException InvalidLifecyclePolicy(string reason) =>
        new("InvalidParameterException", $"Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '{reason}'");

    /// <summary>Stratus runs no vulnerability scanner, and inventing findings would mislead: as ECR answers for an image never scanned.</summary>
    public static AwsException ScanNotFound(string accountId, string name, ImageId id) =>
        new("ScanNotFoundException", $"Image scan does not exist for the image with '{Describe(id)}' in the repository with name '{name}' in the registry with id '{accountId}' (Stratus stores imageScanningConfiguration but does not scan images)");

    public static AwsException ImageUriNotFound(string imageUri) =>
        new("InvalidParameterValueException", $"Source image {imageUri} does not exist. Provide a valid source image.");

    public static AwsException ImageUriInvalid(string imageUri) =>
        new("InvalidParameterValueException", $"Source image {imageUri} is not valid. Provide a valid source image.");

    public static AwsException ImageUriUnusable(string imageUri, string reason) =>
        new("InvalidParameterValueException", $"Source image {imageUri} cannot be used: {reason}. Provide a valid source image.");

    /// <summary>The OCI distribution error code and HTTP status the registry answers for <paramref name="error"/>.</summary>
    /// <summary>`--auth enforce` refusing a pull or push: the registry's DENIED, with IAM's access-denied sentence, as ECR answers.</summary>
    public static AwsException RegistryDenied(string message) =>
        Registry(new AwsException("AccessDeniedException", message, 403), "DENIED", 403);

    public static (string Code, int Status) RegistryError(AwsException error) =>
        error.Data[RegistryCodeKey] is string code && error.Data[RegistryStatusKey] is int status
            ? (code, status)
            : error.Code == "InvalidParameterException" ? ("MANIFEST_INVALID", 400) : ("UNSUPPORTED", error.StatusCode);

    public static string Describe(ImageId id) =>
        $"{{imageDigest:'{id.Digest ?? "null"}', imageTag:'{id.Tag ?? "null"}'}}";

    private static AwsException Registry(AwsException error, string code, int status)
    {
        error.Data[RegistryCodeKey] = code;
        error.Data[RegistryStatusKey] = status;
        return error;
    }

    /// <summary>A member ECR requires but its model leaves optional.</summary>
    public static AwsException MemberRequired(string member) => AwsException.Validation($"{member} is required");

    public static AwsException ImageDeleteFailed(string reason) => new("InvalidParameterException", reason);
}
