using System.Globalization;
using System.Net;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// IAM's condition operators as AWS documents them: the String, Numeric, Date, Bool, Binary, IpAddress
/// and Arn families with their negations, Null, the IfExists suffix and the ForAnyValue/ForAllValues
/// set prefixes.
/// </summary>
public static class ConditionOperators
{
    private delegate bool Compare(string requestValue, string policyValue);

    /// <summary>Each positive operator; a negated one is its positive's "matches none of the values".</summary>
    private static readonly Dictionary<string, (Compare Compare, bool Negated, bool TakesVariables)> Known = new(StringComparer.Ordinal)
    {
        ["StringEquals"] = (string.Equals, false, true),
        ["StringNotEquals"] = (string.Equals, true, true),
        ["StringEqualsIgnoreCase"] = ((a, b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase), false, true),
        ["StringNotEqualsIgnoreCase"] = ((a, b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase), true, true),
        ["StringLike"] = ((a, b) => Wildcard.Matches(b, a, false), false, true),
        ["StringNotLike"] = ((a, b) => Wildcard.Matches(b, a, false), true, true),
        ["NumericEquals"] = (Numeric(c => c == 0), false, false),
        ["NumericNotEquals"] = (Numeric(c => c == 0), true, false),
        ["NumericLessThan"] = (Numeric(c => c < 0), false, false),
        ["NumericLessThanEquals"] = (Numeric(c => c <= 0), false, false),
        ["NumericGreaterThan"] = (Numeric(c => c > 0), false, false),
        ["NumericGreaterThanEquals"] = (Numeric(c => c >= 0), false, false),
        ["DateEquals"] = (Date(c => c == 0), false, false),
        ["DateNotEquals"] = (Date(c => c == 0), true, false),
        ["DateLessThan"] = (Date(c => c < 0), false, false),
        ["DateLessThanEquals"] = (Date(c => c <= 0), false, false),
        ["DateGreaterThan"] = (Date(c => c > 0), false, false),
        ["DateGreaterThanEquals"] = (Date(c => c >= 0), false, false),
        ["Bool"] = ((a, b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase), false, true),
        ["BinaryEquals"] = (string.Equals, false, false),
        ["IpAddress"] = (InRange, false, false),
        ["NotIpAddress"] = (InRange, true, false),
        ["ArnEquals"] = ((a, b) => Wildcard.MatchesArn(b, a), false, true),
        ["ArnLike"] = ((a, b) => Wildcard.MatchesArn(b, a), false, true),
        ["ArnNotEquals"] = ((a, b) => Wildcard.MatchesArn(b, a), true, true),
        ["ArnNotLike"] = ((a, b) => Wildcard.MatchesArn(b, a), true, true),
    };

    public sealed record Parsed(string Base, string? SetPrefix, bool IfExists);

    /// <summary>The operator's parts, or null when IAM does not know it.</summary>
    public static Parsed? Parse(string op)
    {
        string? prefix = null;
        foreach (var set in (string[])["ForAnyValue:", "ForAllValues:"])
            if (op.StartsWith(set, StringComparison.Ordinal))
            {
                prefix = set[..^1];
                op = op[set.Length..];
            }
        var ifExists = op.EndsWith("IfExists", StringComparison.Ordinal) && op != "IfExists";
        if (ifExists) op = op[..^"IfExists".Length];
        if (op == "Null") return ifExists ? null : new Parsed(op, prefix, false);
        return Known.ContainsKey(op) ? new Parsed(op, prefix, ifExists) : null;
    }

    /// <summary>
    /// Whether the condition holds for the request. A key the request lacks satisfies IfExists,
    /// ForAllValues and the negated operators, and fails the rest (and is reported as missing).
    /// </summary>
    public static bool Holds(PolicyCondition condition, RequestContext request, Func<string, string?> substitute, ICollection<string>? missingKeys)
    {
        if (Parse(condition.Operator) is not { } op) return false;
        var requestValues = request.Values(condition.Key);
        if (op.Base == "Null")
            return condition.Values.Any(v => string.Equals(v, requestValues is null ? "true" : "false", StringComparison.OrdinalIgnoreCase));
        var (compare, negated, takesVariables) = Known[op.Base];
        if (requestValues is null)
        {
            if (op.IfExists || op.SetPrefix == "ForAllValues" || (negated && op.SetPrefix is null)) return true;
            missingKeys?.Add(condition.Key);
            return false;
        }
        var policyValues = takesVariables
            ? condition.Values.Select(substitute).OfType<string>().ToList()
            : condition.Values;
        bool Satisfies(string value) => negated
            ? !policyValues.Any(p => compare(value, p))
            : policyValues.Any(p => compare(value, p));
        return op.SetPrefix switch
        {
            "ForAllValues" => requestValues.All(Satisfies),
            "ForAnyValue" => requestValues.Any(Satisfies),
            // A plain negated operator over several values: none of them may match.
            _ => negated ? requestValues.All(Satisfies) : requestValues.Any(Satisfies),
        };
    }

    private static Compare Numeric(Func<int, bool> accept) => (a, b) =>
        double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
        && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
        && accept(x.CompareTo(y));

    private static Compare Date(Func<int, bool> accept) => (a, b) =>
        ParseDate(a) is { } x && ParseDate(b) is { } y && accept(x.CompareTo(y));

    /// <summary>Dates as ISO 8601 or as epoch seconds, both of which IAM takes.</summary>
    private static DateTimeOffset? ParseDate(string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch) ? DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(epoch, -62135596800, 253402300799))
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date
        : null;

    private static bool InRange(string address, string range)
    {
        if (!IPAddress.TryParse(address, out var ip)) return false;
        if (!range.Contains('/')) return IPAddress.TryParse(range, out var single) && single.Equals(ip);
        return IPNetwork.TryParse(range, out var network) && network.Contains(ip);
    }
}
