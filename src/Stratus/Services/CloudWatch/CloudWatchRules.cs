using Stratus.Protocols;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// CloudWatch's member constraints, declared once: the published model's (CloudWatchRules.json, written by
/// scripts/member-rules.py). CloudWatch checks them before an operation runs; a required parameter missing it answers
/// as MissingParameter ("The parameter Namespace is required."), the rest as ValidationError in the
/// "1 validation error detected" wording, as IAM and the other Query services do ('metricData.1.member.metricName');
/// its own checks beyond the model (a reserved AWS/ namespace, a period that is not 10, 30 or a multiple of 60) keep
/// its InvalidParameterValue sentences in <see cref="CloudWatchService"/>.
/// </summary>
public static class CloudWatchRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.CloudWatchRules.json")
        .WordedAs(CloudWatchErrors.MemberViolations);
}
