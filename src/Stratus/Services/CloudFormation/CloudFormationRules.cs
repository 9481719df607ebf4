using Stratus.Protocols;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// CloudFormation's member constraints, declared once: the published model's (CloudFormationRules.json,
/// written by scripts/member-rules.py), answered as ValidationError in the "1 validation error detected"
/// wording before an operation runs (a change set's name, an empty TemplateBody, a NextToken's length).
/// What the model leaves open (a stack's name on CreateStack) the service checks in its own words.
/// </summary>
public static class CloudFormationRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.CloudFormationRules.json");
}
