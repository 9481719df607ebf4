using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>IAM's naming rules and its identifier formats.</summary>
public static partial class IamNames
{
    public static readonly ValidationStyle Errors = new("ValidationError");

    [GeneratedRegex(@"^[\w+=,.@-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(/|/[\u0021-\u007E]+/)$")]
    private static partial Regex PathPattern();

    public static void CheckName(string member, string value, int maxLength)
    {
        if (value.Length > maxLength)
            throw Errors.Constraint(member, value, $"Member must have length less than or equal to {maxLength}");
        if (!NamePattern().IsMatch(value))
            throw Errors.Constraint(member, value, @"Member must satisfy regular expression pattern: [\w+=,.@-]+");
    }

    public static string CheckPath(string? path, string member = "Path")
    {
        path ??= "/";
        if (path.Length > 512 || !PathPattern().IsMatch(path))
            throw Errors.Constraint(member, path, @"Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)");
        return path;
    }

    public static IReadOnlyList<IamTag> CheckTags(IReadOnlyList<IamTag> tags)
    {
        if (tags.Count > 50) throw IamErrors.QuotaExceeded("TagsPerRole", 50);
        foreach (var tag in tags)
        {
            if (tag.Key.Length is 0 or > 128) throw Errors.Constraint("tags.member.key", tag.Key, "Member must have length between 1 and 128");
            if (tag.Value.Length > 256) throw Errors.Constraint("tags.member.value", tag.Value, "Member must have length less than or equal to 256");
        }
        if (tags.GroupBy(t => t.Key, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
            throw IamErrors.DuplicateTagKeys();
        return tags;
    }

    /// <summary>A unique id as IAM writes them: a four-letter kind prefix and uppercase letters and digits.</summary>
    public static string NewId(string prefix, int length = 17) => prefix + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", length);

    public static string NewSecret() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}
