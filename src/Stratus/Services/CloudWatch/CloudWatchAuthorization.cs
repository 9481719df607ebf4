using Stratus.Services.Iam.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// What `--auth enforce` authorizes CloudWatch's operations against (Service Authorization Reference,
/// Amazon CloudWatch): alarms, arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME, one per name a request
/// lists; metric operations act on "*" as on AWS.
/// </summary>
public static class CloudWatchAuthorization
{
    public static AuthorizationTable Table() => new("cloudwatch", unlisted: i =>
        i.String("AlarmName") is { } name ? [Alarm(i, name)]
        : i.String("ResourceARN") is { } arn ? [arn]
        : AuthorizationTable.Strings(i, "AlarmNames").Select(n => Alarm(i, n)));

    private static string Alarm(Stratus.Protocols.OperationInput i, string name) => AuthorizationTable.Arn(i, "cloudwatch", $"alarm:{name}");
}
