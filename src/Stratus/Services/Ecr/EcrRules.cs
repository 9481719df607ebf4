using System.Text.RegularExpressions;

namespace Stratus.Services.Ecr;

/// <summary>ECR's input constraints: repository names, digests, tags, enums and paging.</summary>
public static partial class EcrRules
{
    /// <summary>ECR's (and the distribution spec's) repository name grammar: lowercase components, slashes between them.</summary>
    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")]
    public static partial Regex NamePattern();

    [GeneratedRegex(@"^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")]
    private static partial Regex TagPattern();

    /// <summary>ECR's largest layer (52,000 MiB).</summary>
    public const long MaxLayerBytes = 52_000L * 1024 * 1024;
    /// <summary>The distribution registry's (and ECR's) manifest size limit.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    public static void CheckName(string name)
    {
        if (!IsValidName(name))
            throw EcrErrors.InvalidParameter("repositoryName", $"must satisfy regular expression '{NamePattern()}'");
    }

    public static bool IsValidName(string name) => name.Length is >= 2 and <= 256 && NamePattern().IsMatch(name);

    public static bool IsDigest(string value) => DigestPattern().IsMatch(value);

    public static string CheckDigest(string field, string digest) => IsDigest(digest) ? digest : throw EcrErrors.InvalidDigest(field, digest);

    public static bool IsTag(string value) => TagPattern().IsMatch(value);

    public static string CheckTag(string tag) => IsTag(tag) ? tag : throw EcrErrors.InvalidTag(tag);

    public static string CheckMutability(string? mutability) => mutability switch
    {
        null => "MUTABLE",
        "MUTABLE" or "IMMUTABLE" => mutability,
        _ => throw EcrErrors.InvalidParameter("imageTagMutability", "Member must satisfy enum value set: [MUTABLE, IMMUTABLE]"),
    };

    public static string CheckTagStatus(string? status) => status switch
    {
        null => "ANY",
        "TAGGED" or "UNTAGGED" or "ANY" => status,
        _ => throw EcrErrors.InvalidParameter("filter.tagStatus", "Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]"),
    };

    public static int CheckMaxResults(int? maxResults, int fallback) => maxResults switch
    {
        null => fallback,
        >= 1 and <= 1000 => maxResults.Value,
        _ => throw EcrErrors.InvalidParameter("maxResults", "Member must have value between 1 and 1000"),
    };

    /// <summary>Page tokens are the offset of the next item, opaque to clients.</summary>
    public static int ParseNextToken(string? token) =>
        token is null ? 0
        : int.TryParse(token, out var offset) && offset >= 0 ? offset
        : throw EcrErrors.InvalidParameter("nextToken", "Invalid pagination token");

    public static (IReadOnlyList<T> Page, string? NextToken) Page<T>(IReadOnlyList<T> items, string? nextToken, int maxResults)
    {
        var offset = ParseNextToken(nextToken);
        var page = items.Skip(offset).Take(maxResults).ToList();
        return (page, offset + page.Count < items.Count ? (offset + page.Count).ToString() : null);
    }
}
