using System.Text;
using System.Text.RegularExpressions;
using Stratus.Protocols;

namespace Stratus.Services.Ssm;

/// <summary>Parameter Store's limits (botocore's ssm model and the Parameter Store quotas).</summary>
public static partial class SsmRules
{
    /// <summary>
    /// SSM's member constraints, declared once: the published model's (SsmRules.json, written by
    /// scripts/member-rules.py). The wire checks every operation's input against them before it runs.
    /// </summary>
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.SsmRules.json")
        // AWS lists the parameter types in this order.
        .Adjust("PutParameter", "Type", rule => rule with { Enum = ["SecureString", "StringList", "String"] });

    public const int MaxHierarchyLevels = 15;
    public const int StandardValueLimit = 4096;
    public const int AdvancedValueLimit = 8192;
    public const int MaxLabelsPerVersion = 10;
    public const int MaxVersions = 100;

    [GeneratedRegex(@"^[a-zA-Z0-9_.\-/]+$")]
    private static partial Regex NameCharacters();

    public static void CheckName(string name)
    {
        Check("PutParameter", "Name", name);
        if (!NameCharacters().IsMatch(name))
            throw SsmErrors.InvalidParameterNameCharacters();
        var first = name.TrimStart('/');
        if (first.StartsWith("aws", StringComparison.OrdinalIgnoreCase) || first.StartsWith("ssm", StringComparison.OrdinalIgnoreCase))
            throw SsmErrors.ReservedParameterName(name);
        if (name.Contains('/') && (!name.StartsWith('/') || name.EndsWith('/') || name.Contains("//")))
            throw SsmErrors.InvalidParameterPath();
        if (name.Count(c => c == '/') > MaxHierarchyLevels) throw SsmErrors.HierarchyLevelLimitExceeded();
    }

    public static string CheckType(string? type)
    {
        Check("PutParameter", "Type", type);
        return type ?? "String";
    }

    public static string CheckTier(string? tier, string? previous)
    {
        Check("PutParameter", "Tier", tier);
        return tier is null or "Intelligent-Tiering" ? previous ?? "Standard" : tier;
    }

    public static void CheckValue(string value, string tier)
    {
        var limit = tier == "Advanced" ? AdvancedValueLimit : StandardValueLimit;
        if (Encoding.UTF8.GetByteCount(value) > limit)
            throw SsmErrors.ValueTooLargeForStandardTier();
    }

    /// <summary>AllowedPattern is a regular expression the value must match; a bad pattern is the caller's error, and matching is time-bounded.</summary>
    public static void CheckAllowedPattern(string? pattern, string value)
    {
        if (pattern is null) return;
        Regex regex;
        try { regex = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(200)); }
        catch (ArgumentException) { throw SsmErrors.InvalidAllowedPattern(); }
        try { if (!regex.IsMatch(value)) throw SsmErrors.ParameterPatternMismatch(pattern); }
        catch (RegexMatchTimeoutException) { throw SsmErrors.ParameterPatternMismatch(pattern); }
    }

    /// <summary>The page size an operation's MaxResults asks for, its model's largest when absent.</summary>
    public static int CheckMaxResults(string operation, int? maxResults)
    {
        var rule = Members.Rule(operation, "MaxResults");
        Members.Check(rule, maxResults, ValidationStyle.Smithy);
        return maxResults ?? (int)rule.Max!.Value;
    }

    /// <summary>Refuses a value as the operation's rule for the member refuses it.</summary>
    private static void Check(string operation, string member, object? value) =>
        Members.Check(Members.Rule(operation, member), value, ValidationStyle.Smithy);

    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IReadOnlyList<T> items, string? token, int size) =>
        Stratus.Protocols.OffsetPaging.Page(items, token, size, SsmErrors.InvalidNextToken);
}
