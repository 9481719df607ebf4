using Stratus.Services.Iam.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// What `--auth enforce` authorizes CloudWatch's operations against (Service Authorization Reference,
/// Amazon CloudWatch): alarms, arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME, and Contributor Insights rules,
/// arn:aws:cloudwatch:REGION:ACCOUNT:insight-rule/NAME, one per name a request lists; metric operations act on "*" as on AWS.
/// </summary>
public static class CloudWatchAuthorization
{
    public static AuthorizationTable Table() => new("cloudwatch", unlisted: i =>
        i.String("AlarmName") is { } name ? [Alarm(i, name)]
        : i.String("RuleName") is { } rule ? [InsightRule(i, rule)]
        : i.String("ResourceARN") is { } arn ? [arn]
        : AuthorizationTable.Strings(i, "RuleNames").ToList() is { Count: > 0 } rules ? rules.Select(n => InsightRule(i, n))
        : AuthorizationTable.Strings(i, "AlarmNames").Select(n => Alarm(i, n)));

    private static string InsightRule(Stratus.Protocols.OperationInput i, string name) => AuthorizationTable.Arn(i, "cloudwatch", $"insight-rule/{name}");

    private static string Alarm(Stratus.Protocols.OperationInput i, string name) => AuthorizationTable.Arn(i, "cloudwatch", $"alarm:{name}");
}
