using System.Text;
using System.Text.RegularExpressions;

namespace Stratus.Services.Ssm;

/// <summary>Parameter Store's limits (botocore's ssm model and the Parameter Store quotas).</summary>
public static partial class SsmRules
{
    public const int MaxNameLength = 2048;
    public const int MaxHierarchyLevels = 15;
    public const int StandardValueLimit = 4096;
    public const int AdvancedValueLimit = 8192;
    public const int MaxLabelsPerVersion = 10;
    public const int MaxVersions = 100;
    public static readonly string[] Types = ["String", "StringList", "SecureString"];
    public static readonly string[] Tiers = ["Standard", "Advanced", "Intelligent-Tiering"];

    [GeneratedRegex(@"^[a-zA-Z0-9_.\-/]+$")]
    private static partial Regex NameCharacters();

    public static void CheckName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
            throw SsmErrors.Validation($"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to {MaxNameLength}");
        if (!NameCharacters().IsMatch(name))
            throw SsmErrors.Validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.");
        var first = name.TrimStart('/');
        if (first.StartsWith("aws", StringComparison.OrdinalIgnoreCase) || first.StartsWith("ssm", StringComparison.OrdinalIgnoreCase))
            throw SsmErrors.Validation("No access to reserved parameter name: " + name + ".");
        if (name.Contains('/') && (!name.StartsWith('/') || name.EndsWith('/') || name.Contains("//")))
            throw SsmErrors.Validation("Parameter name: fully qualified parameter names must begin with a forward slash \"/\" and sub-paths must not be empty.");
        if (name.Count(c => c == '/') > MaxHierarchyLevels) throw SsmErrors.HierarchyLevelLimitExceeded();
    }

    public static string CheckType(string? type) =>
        type is null || Types.Contains(type) ? type ?? "String"
            : throw SsmErrors.Validation($"1 validation error detected: Value '{type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]");

    public static string CheckTier(string? tier, string? previous) => tier switch
    {
        null => previous ?? "Standard",
        "Intelligent-Tiering" => previous ?? "Standard",
        _ when Tiers.Contains(tier) => tier,
        _ => throw SsmErrors.Validation($"1 validation error detected: Value '{tier}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]"),
    };

    public static void CheckValue(string value, string tier)
    {
        var limit = tier == "Advanced" ? AdvancedValueLimit : StandardValueLimit;
        if (Encoding.UTF8.GetByteCount(value) > limit)
            throw SsmErrors.Validation($"Standard tier parameters support a maximum parameter value of {StandardValueLimit} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html");
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

    public static int CheckMaxResults(int? maxResults, int max)
    {
        if (maxResults is null) return max;
        if (maxResults < 1 || maxResults > max)
            throw SsmErrors.Validation($"1 validation error detected: Value '{maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to {max}");
        return maxResults.Value;
    }

    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IReadOnlyList<T> items, string? token, int size) =>
        Stratus.Protocols.OffsetPaging.Page(items, token, size, SsmErrors.InvalidNextToken);
}
