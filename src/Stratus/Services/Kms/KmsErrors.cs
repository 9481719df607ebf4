using Stratus.Protocols;

namespace Stratus.Services.Kms;

/// <summary>KMS's errors, worded as KMS words them.</summary>
public static class KmsErrors
{
    public static AwsException KeyNotFound(string keyArn) => new("NotFoundException", $"Key '{keyArn}' does not exist");

    public static AwsException AliasNotFound(string aliasArn) => new("NotFoundException", $"Alias {aliasArn} is not found.");

    /// <summary>An identifier that is none of key id, key ARN, alias name or alias ARN.</summary>
    public static AwsException InvalidKeyId(string keyId) => new("NotFoundException", $"Invalid keyId '{keyId}'");

    public static AwsException AliasNotAccepted(string keyId) =>
        new("NotFoundException", $"Invalid keyId '{keyId}': this operation takes a key ID or key ARN, not an alias.");

    public static AwsException InvalidArn(string arn) => new("InvalidArnException", $"ARN {arn} is not a valid KMS ARN of this account and Region.");

    public static AwsException AliasExists(string aliasArn) => new("AlreadyExistsException", $"An alias with the name {aliasArn} already exists");

    public static AwsException AliasPrefix() =>
        AwsException.Validation("Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");

    public static AwsException ReservedAlias() => new("NotAuthorizedException", "Cannot create, update or delete an alias with the reserved prefix 'alias/aws/'.");

    public static AwsException Disabled(string keyArn) => new("DisabledException", $"{keyArn} is disabled.");

    public static AwsException PendingDeletion(string keyArn) => new("KMSInvalidStateException", $"{keyArn} is pending deletion.");

    public static AwsException NotPendingDeletion(string keyArn) => new("KMSInvalidStateException", $"{keyArn} is not pending deletion.");

    /// <summary>
    /// The key's material does not open under the data directory's kms-keys.key (the file was deleted or replaced).
    /// AWS's nearest state is a key whose material is unavailable; Stratus names the cause.
    /// </summary>
    public static AwsException MaterialUnavailable(string keyArn) =>
        new("KMSInvalidStateException", $"{keyArn} is unusable: its key material does not open under this data directory's kms-keys.key (the file was deleted or replaced since the key was made).");

    // AWS answers a ciphertext it cannot decrypt (tampered, another key, wrong encryption context) with no message.
    public static AwsException InvalidCiphertext() => new("InvalidCiphertextException", "");

    public static AwsException IncorrectKey() =>
        new("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.");

    public static AwsException InvalidKeyUsage(string keyArn, string keyUsage, string operation) =>
        new("InvalidKeyUsageException", $"{keyArn} key usage is {keyUsage} which is not valid for {operation}.");

    public static AwsException InvalidMacAlgorithm(string keyArn, string algorithm) =>
        new("InvalidKeyUsageException", $"{keyArn} does not support the MAC algorithm {algorithm}.");

    // AWS answers a MAC that does not verify with KMSInvalidMacException and no message.
    public static AwsException InvalidMac() => new("KMSInvalidMacException", "");

    public static AwsException AwsManaged(string keyArn) =>
        new("UnsupportedOperationException", $"{keyArn} is an AWS managed key: AWS manages its state, policy, rotation and tags.");

    public static AwsException RotationUnsupported(string keyArn) =>
        new("UnsupportedOperationException", $"{keyArn} is not a symmetric encryption key; automatic rotation is for symmetric encryption keys only.");

    public static AwsException PolicyNotFound() => new("NotFoundException", "No such policy exists");

    public static AwsException MalformedPolicy(string problem) => new("MalformedPolicyDocumentException", problem);

    public static AwsException InvalidMarker() => new("InvalidMarkerException", "Invalid marker");

    public static AwsException LimitExceeded(string message) => new("LimitExceededException", message);

    public static AwsException Tag(string message) => new("TagException", message);

    /// <summary>What Stratus's KMS does not build, named so a caller knows it is not there (never silently ignored).</summary>
    public static AwsException NotBuilt(string what) => new("UnsupportedOperationException", $"Stratus's KMS does not build {what}.");

    public static AwsException Validation(string message) => AwsException.Validation(message);

    public static AwsException AlgorithmNotForSymmetricKey(string algorithm) =>
        new("InvalidKeyUsageException", $"The encryption algorithm {algorithm} is not valid for a SYMMETRIC_DEFAULT key.");

    /// <summary>A DryRun call that would have succeeded, answered with 412 as KMS answers it.</summary>
    public static AwsException DryRun() => new("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412);
}
