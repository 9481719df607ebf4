using Stratus.Services.Iam.Engine;

namespace Stratus.Services.RdsData;

/// <summary>
/// What `--auth enforce` authorizes the Data API's operations against (Service Authorization Reference, Amazon RDS Data API):
/// rds-data:ACTION on the cluster the call names by its resourceArn, and secretsmanager:GetSecretValue on the secret it names
/// by its secretArn, which the Data API reads with the caller's own permissions (AWS documents both in the Data API's
/// required permissions), so a caller cannot reach a database through a secret it may not read.
/// </summary>
public static class RdsDataAuthorization
{
    public static AuthorizationTable Table() => new("rds-data", unlisted: i => i.String("resourceArn") is { } arn ? [arn] : [],
        requiredElsewhere: (_, i) => i.String("secretArn") is { } secret ? [new RequiredElsewhere("secretsmanager", "secretsmanager:GetSecretValue", secret)] : []);
}
