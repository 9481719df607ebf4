using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// API Gateway's member constraints, declared once: the published model's (ApiGatewayRules.json, written by
/// scripts/member-rules.py), which for REST APIs states little beyond required members, enums and two status code
/// patterns. API Gateway checks them before an operation runs and answers them as ValidationException in the
/// "1 validation error detected" wording, naming each member under its operation's input
/// ("Value 'SOAP' at 'putIntegrationInput.type' failed to satisfy constraint: ..."); its own checks answer BadRequestException.
/// </summary>
public static class ApiGatewayRules
{
    /// <summary>The integration types, in the order AWS's servers list them (not the model's).</summary>
    public static readonly IReadOnlyList<string> IntegrationTypes = ["HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"];

    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.ApiGatewayRules.json")
        .Adjust("PutIntegration", "type", rule => rule with { Enum = IntegrationTypes })
        .WordedAs((operation, violations) => ApiGatewayErrors.MemberValidation.Violations(
            [.. violations.Select(v => (v with { Path = $"{char.ToLowerInvariant(operation[0])}{operation[1..]}Input.{v.Path}" }).Smithy)]));
}
