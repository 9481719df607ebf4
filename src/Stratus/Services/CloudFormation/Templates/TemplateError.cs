using Stratus.Protocols;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>The ValidationError messages CloudFormation answers for templates and parameters it cannot use.</summary>
public static class TemplateError
{
    public const string Code = "ValidationError";

    /// <summary>Smithy's "1 validation error detected" wording under CloudFormation's ValidationError.</summary>
    public static readonly ValidationStyle Smithy = new(Code);

    public static AwsException Validation(string message) => new(Code, message);

    public static AwsException Format(string message) => Validation("Template format error: " + message);

    public static AwsException Evaluation(string message) => Validation("Template error: " + message);
}
