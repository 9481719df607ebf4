using Stratus.Services.Iam.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// What `--auth enforce` authorizes CloudWatch's operations against (Service Authorization Reference,
/// Amazon CloudWatch): alarms, arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME, and Contributor Insights rules,
/// arn:aws:cloudwatch:REGION:ACCOUNT:insight-rule/NAME, one per name a request lists, and alarm mute rules,
/// arn:aws:cloudwatch:REGION:ACCOUNT:alarm-mute-rule:NAME; metric operations act on "*" as on AWS.
/// </summary>
public static class CloudWatchAuthorization
{
    public static AuthorizationTable Table() => new("cloudwatch", unlisted: i =>
        i.String("AlarmName") is { } name ? [Alarm(i, name)]
        : i.String("RuleName") is { } rule ? [InsightRule(i, rule)]
        : i.String("ResourceARN") is { } arn ? [arn]
        : AuthorizationTable.Strings(i, "RuleNames").ToList() is { Count: > 0 } rules ? rules.Select(n => InsightRule(i, n))
        : AuthorizationTable.Strings(i, "AlarmNames").Select(n => Alarm(i, n)))
    {
        // As PutAlarmMuteRule's documentation states: the rule and each alarm it targets.
        { "PutAlarmMuteRule", i => [MuteRule(i, i.String("Name") ?? ""),
            .. (i.Object("MuteTargets") is { } targets ? AuthorizationTable.Strings(i.Nested(targets), "AlarmNames") : []).Select(n => Alarm(i, n))] },
        { "GetAlarmMuteRule", i => MuteRule(i, i.String("AlarmMuteRuleName") ?? "") },
        { "DeleteAlarmMuteRule", i => MuteRule(i, i.String("AlarmMuteRuleName") ?? "") },
        { "ListAlarmMuteRules", _ => Array.Empty<string>() },
    };

    private static string MuteRule(Stratus.Protocols.OperationInput i, string name) => AuthorizationTable.Arn(i, "cloudwatch", $"alarm-mute-rule:{name}");

    private static string InsightRule(Stratus.Protocols.OperationInput i, string name) => AuthorizationTable.Arn(i, "cloudwatch", $"insight-rule/{name}");

    private static string Alarm(Stratus.Protocols.OperationInput i, string name) => AuthorizationTable.Arn(i, "cloudwatch", $"alarm:{name}");
}
