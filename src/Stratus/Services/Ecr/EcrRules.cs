using System.Text.RegularExpressions;
using Stratus.Protocols;

namespace Stratus.Services.Ecr;

/// <summary>
/// ECR's input constraints: the published model's member rules (EcrRules.json, written by scripts/member-rules.py),
/// checked before an operation runs, and ECR's own checks of repository names, digests, tags and paging that the
/// registry's /v2/ endpoints and CloudFormation share.
/// </summary>
public static partial class EcrRules
{
    /// <summary>
    /// ECR answers the first member that breaks the model as InvalidParameterException, the constraint in Smithy's words:
    /// "Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must satisfy constraint: [...]'" and
    /// "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must not be null'" as AWS answers them.
    /// </summary>
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.EcrRules.json")
        .WordedAs((_, violations) => EcrErrors.InvalidParameter(violations[0].Path, Constraint(violations[0])));

    /// <summary>
    /// The constraint as ECR words it. A repository name is ECR's own check, worded without "Member" and its pattern
    /// quoted ("must have length greater than or equal to 2", "must satisfy regular expression '...'", as AWS answers
    /// both); every other member keeps Smithy's "Member must ...". A call without repositoryName (DescribeImages with none)
    /// is answered "... failed to satisfy constraint: 'must not be null'" by the same rule: no raw request to AWS for it is
    /// on record (botocore and the CLI refuse it before sending), so that wording follows ECR's other repositoryName
    /// answers, unconfirmed.
    /// </summary>
    private static string Constraint(MemberViolation violation) => violation.Path != "repositoryName" ? violation.Constraint
        : violation.Kind == ViolatedConstraint.Pattern ? $"must satisfy regular expression '{violation.Rule.Pattern}'"
        : violation.Constraint["Member ".Length..];

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
