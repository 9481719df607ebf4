namespace Stratus.Services.Iam.Engine;

/// <summary>
/// IAM's wildcards: '*' matches any run of characters (none included) and '?' any one character, in
/// actions (without regard to case), resources and StringLike/ArnLike values (with regard to case).
/// </summary>
public static class Wildcard
{
    public static bool Matches(string pattern, string value, bool ignoreCase)
    {
        // Greedy with one backtrack point: linear in practice, never exponential.
        int p = 0, v = 0, starP = -1, starV = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starV = v;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], value[v], ignoreCase)))
            {
                p++;
                v++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                v = ++starV;
            }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>ArnLike/ArnEquals: each of the six colon-separated parts is matched on its own, so a wildcard never spans a colon of the first five.</summary>
    public static bool MatchesArn(string pattern, string arn)
    {
        var patternParts = pattern.Split(':', 6);
        var arnParts = arn.Split(':', 6);
        if (patternParts.Length != 6 || arnParts.Length != 6) return pattern == "*" || (patternParts.Length == arnParts.Length && Matches(pattern, arn, false));
        for (var i = 0; i < 6; i++)
            if (!Matches(patternParts[i], arnParts[i], false)) return false;
        return true;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
