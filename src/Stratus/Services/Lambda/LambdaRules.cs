using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Lambda's member constraints, declared once: the published model's (LambdaRules.json, written by
/// scripts/member-rules.py), adjusted where Lambda's servers check otherwise. The wire checks every
/// operation's input against them before it runs; the domain checks what a CloudFormation template sets
/// against the same rules.
/// </summary>
public static class LambdaRules
{
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.LambdaRules.json")
        // Lambda refuses an unknown runtime itself, as InvalidParameterValueException naming the runtimes it runs (LambdaService).
        .AdjustEverywhere("Runtime", rule => rule with { Enum = null })
        // Lambda's servers cap Timeout at 900 seconds and MemorySize at 10240 MB, which the published model leaves open.
        .AdjustEverywhere("Timeout", rule => rule with { Max = 900 })
        .AdjustEverywhere("MemorySize", rule => rule with { Max = 10240 })
        // AWS lists PackageType's values in this order.
        .Adjust("CreateFunction", "PackageType", rule => rule with { Enum = ["Image", "Zip"] });

    /// <summary>Refuses a value (from a template as much as the wire) as CreateFunction's rule for the member refuses it.</summary>
    public static void CheckCreate(string member, object? value) => Check("CreateFunction", member, value);

    /// <summary>Refuses a value as the named operation's rule for the member refuses it.</summary>
    public static void Check(string operation, string member, object? value) =>
        Members.Check(Members.Rule(operation, member), value, LambdaErrors.Validation);
}
