using Stratus.Services.Iam.Engine;

namespace Stratus.Services.RdsData;

/// <summary>
/// What `--auth enforce` authorizes the Data API's operations against (Service Authorization Reference, Amazon RDS Data API):
/// rds-data:ACTION on the cluster the call names by its resourceArn.
/// </summary>
public static class RdsDataAuthorization
{
    public static AuthorizationTable Table() => new("rds-data", unlisted: i => i.String("resourceArn") is { } arn ? [arn] : []);
}
