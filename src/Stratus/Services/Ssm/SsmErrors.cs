using Stratus.Protocols;

namespace Stratus.Services.Ssm;

/// <summary>SSM Parameter Store's errors, worded as SSM words them.</summary>
public static class SsmErrors
{
    // AWS answers a missing parameter with an empty message.
    public static AwsException ParameterNotFound() => new("ParameterNotFound", "");

    public static AwsException ParameterAlreadyExists() =>
        new("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");

    public static AwsException ParameterVersionNotFound(string name, string selector) =>
        new("ParameterVersionNotFound", $"Systems Manager could not find version {selector} of {name}. Verify the version and try again.");

    public static AwsException ParameterVersionLabelLimitExceeded() =>
        new("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.");

    public static AwsException HierarchyLevelLimitExceeded() =>
        new("HierarchyLevelLimitExceededException", "Parameter name hierarchy level limit exceeded. A parameter name can have a maximum of 15 levels.");

    public static AwsException ParameterPatternMismatch(string pattern) =>
        new("ParameterPatternMismatchException", $"Parameter value, cannot be validated against allowedPattern: {pattern}");

    public static AwsException InvalidAllowedPattern() =>
        new("InvalidAllowedPatternException", "The request does not meet the regular expression requirement.");

    public static AwsException InvalidNextToken() => new("InvalidNextToken", "The nextToken is not valid.");

    public static AwsException InvalidFilterKey(string key) => new("InvalidFilterKey", $"The filter key {key} is not supported by Stratus.");

    public static AwsException InvalidResourceId() => new("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.");

    public static AwsException InvalidResourceType() => new("InvalidResourceType", "The resource type is not valid. Stratus serves ResourceType Parameter.");

    /// <summary>KMS refused to encrypt or decrypt a SecureString (no such key, disabled, pending deletion, unusable): SSM answers
    /// InvalidKeyId and carries KMS's own error inside its message, as AWS does.</summary>
    public static AwsException InvalidKeyId(AwsException kms) =>
        new("InvalidKeyId", $"{kms.Message} (Service: AWSKMS; Status Code: {kms.StatusCode}; Error Code: {kms.Code})");

    public static AwsException InvalidParameterNameCharacters() => AwsException.Validation(
        "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.");

    public static AwsException ReservedParameterName(string name) => AwsException.Validation("No access to reserved parameter name: " + name + ".");

    public static AwsException InvalidParameterPath() =>
        AwsException.Validation("Parameter name: fully qualified parameter names must begin with a forward slash \"/\" and sub-paths must not be empty.");

    public static AwsException PathMustBeginWithSlash() =>
        AwsException.Validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".");

    public static AwsException ValueTooLargeForStandardTier() => AwsException.Validation(
        $"Standard tier parameters support a maximum parameter value of {SsmRules.StandardValueLimit} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html");

    public static AwsException TagsWithOverwrite() => AwsException.Validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, " +
        "please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.");

    public static AwsException KeyIdOnlyForSecureString() => AwsException.Validation("KeyId is required for SecureString type parameter only.");
}
