using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>
/// IAM's member constraints, declared once: the published model's (IamRules.json, written by
/// scripts/member-rules.py). IAM, a Query service, answers them as ValidationError in the same
/// "1 validation error detected" wording the Smithy services use, before an operation runs.
/// <see cref="IamNames"/> keeps the checks of what a CloudFormation template sets.
/// </summary>
public static class IamRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.IamRules.json")
        // More than 50 tags is IAM's TagsPerRole quota, answered as LimitExceeded (IamNames.CheckTags), not a list-length violation.
        .AdjustEverywhere("Tags", rule => rule with { MaxLength = null });
}
