using Stratus.Protocols;

namespace Stratus.Services.Sts;

/// <summary>
/// STS's member constraints, declared once: the published model's (StsRules.json, written by
/// scripts/member-rules.py), answered as ValidationError in the "1 validation error detected" wording
/// before an operation runs (a RoleSessionName of one character, a DurationSeconds below 900).
/// </summary>
public static class StsRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.StsRules.json");
}
