using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// RDS's errors of snapshot exports to S3. AWS's sentences where its user guide quotes them (the task that exists, the bucket,
/// the KMS key check); the others are Stratus's wording, as AWS publishes none.
/// </summary>
public static partial class RdsErrors
{
    public static AwsException ExportTaskAlreadyExists(string id) => new("ExportTaskAlreadyExists", $"The export task with the ID {id} already exists.");

    public static AwsException ExportTaskNotFound(string id) => new("ExportTaskNotFound", $"The export task with the ID {id} doesn't exist.", 404);

    public static AwsException ExportTaskNotCancelable(string id, string status) =>
        new("InvalidExportTaskStateFault", $"The export task with the ID {id} is {status} and can't be canceled.");

    public static AwsException InvalidExportSourceState(string message) => new("InvalidExportSourceState", message);

    public static AwsException InvalidS3Bucket(string bucket) => new("InvalidS3BucketFault",
        $"The S3 bucket {bucket} isn't valid. Either it isn't located in the current AWS Region or it doesn't exist. Review your S3 bucket name and retry the export.");

    public static AwsException IamRoleNotFound(string roleArn) => new("IamRoleNotFound", $"IAM role {roleArn} not found.", 404);

    public static AwsException IamRoleMissingPermissions(string roleArn) => new("IamRoleMissingPermissions",
        $"The IAM role {roleArn} can't be assumed by export.rds.amazonaws.com: its trust policy must allow that service principal.");

    public static AwsException KmsKeyNotAccessible() => new("KMSKeyNotAccessibleFault", "KMS key check failed. Check the credentials on your KMS key and try again.");

    public static AwsException InvalidExportOnly(string entry, string form) => new("InvalidExportOnly",
        $"The ExportOnly value {entry} isn't valid: use {form}, each name of Latin letters, digits, $ and _.");
}
