using Stratus.Protocols;

namespace Stratus.Services.SecretsManager;

/// <summary>Secrets Manager's errors, worded as Secrets Manager words them.</summary>
public static class SecretsManagerErrors
{
    public static AwsException SecretNotFound() =>
        new("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");

    public static AwsException ValueNotFoundForStage(string stage) =>
        new("ResourceNotFoundException", $"Secrets Manager can't find the specified secret value for staging label: {stage}");

    public static AwsException ValueNotFoundForVersion(string versionId) =>
        new("ResourceNotFoundException", $"Secrets Manager can't find the specified secret value for VersionId: {versionId}");

    public static AwsException SecretExists(string name) =>
        new("ResourceExistsException", $"The operation failed because the secret {name} already exists.");

    public static AwsException VersionExists() =>
        new("ResourceExistsException", "You can't modify an existing version, you can only create a new version.");

    public static AwsException MarkedForDeletion() =>
        new("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.");

    public static AwsException NameScheduledForDeletion() =>
        new("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.");

    public static AwsException ManagedByService(string service) =>
        new("InvalidRequestException", $"You can't modify this secret because it's managed by {service}. Change it through {service}.");

    public static AwsException NoRotationFunction() =>
        new("InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.");

    /// <summary>RotateSecret checks at once that Secrets Manager may invoke the function; a missing function reads the same on AWS.</summary>
    public static AwsException CannotInvokeRotationFunction() =>
        new("AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.");

    /// <summary>A version still labelled AWSPENDING (not AWSCURRENT) means the last rotation did not finish; AWS runs it again.</summary>
    public static AwsException PreviousRotationIncomplete() =>
        new("InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.");

    public static AwsException InvalidRotationRules(string problem) => InvalidParameter(problem);

    public static AwsException NotConfiguredForRotation() =>
        new("InvalidRequestException", "You can't cancel rotation for a secret that isn't configured for rotation.");

    public static AwsException InvalidParameter(string message) => new("InvalidParameterException", message);

    public static AwsException InvalidName() =>
        InvalidParameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!");

    public static AwsException BothValues() =>
        InvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");

    public static AwsException RecoveryWindowOutOfRange() =>
        InvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");

    public static AwsException ForceDeleteWithRecoveryWindow() =>
        InvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");

    public static AwsException InvalidNextToken() => new("InvalidNextTokenException", "The NextToken value is not valid.");

    public static AwsException MalformedPolicy(string problem) =>
        new("MalformedPolicyDocumentException", $"The resource policy is not valid: {problem}");

    public static AwsException PublicPolicy() =>
        new("PublicPolicyException", "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.");

    public static AwsException DecryptionFailure() =>
        new("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");

    /// <summary>A template's {{resolve:secretsmanager:...}} of a secret that holds only SecretBinary.</summary>
    public static AwsException BinaryNotReferenceable() =>
        new("InvalidRequestException", "The secret holds a SecretBinary; dynamic references read SecretString only.");

    /// <summary>As CloudFormation answers {{resolve:ssm:...}} of a SecureString: it resolves only through ssm-secure, where a property allows it.</summary>
    public static AwsException SecureStringNeedsSsmSecure(string parameterName) =>
        new("ValidationError", $"Parameter {parameterName} is a SecureString: reference it with ssm-secure, in a property that supports it.");
}
