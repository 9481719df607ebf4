using System.Xml.Linq;
using Stratus.Protocols.RestXml;

namespace Stratus.Services.S3.Engine;

/// <summary>One CORSRule of a bucket's CORS configuration.</summary>
public sealed record CorsRule(IReadOnlyList<string> Origins, IReadOnlyList<string> Methods, IReadOnlyList<string> Headers,
    IReadOnlyList<string> ExposeHeaders, string? MaxAgeSeconds);

/// <summary>
/// S3's CORS, as it applies a bucket's configuration: the first rule whose AllowedOrigin (with at most one '*'),
/// AllowedMethod and AllowedHeaders (for a preflight's Access-Control-Request-Headers, case-insensitively) all match
/// decides, and its headers go on the preflight's answer and on the actual request's response.
/// </summary>
public static class CorsRules
{
    public static IReadOnlyList<CorsRule> Parse(string configuration) =>
        [.. XElement.Parse(configuration).Children("CORSRule").Select(rule => new CorsRule(
            [.. rule.Children("AllowedOrigin").Select(e => e.Value)],
            [.. rule.Children("AllowedMethod").Select(e => e.Value)],
            [.. rule.Children("AllowedHeader").Select(e => e.Value)],
            [.. rule.Children("ExposeHeader").Select(e => e.Value)],
            rule.ChildValue("MaxAgeSeconds")))];

    public static CorsRule? Match(IReadOnlyList<CorsRule> rules, string origin, string method, IReadOnlyList<string> requestHeaders) =>
        rules.FirstOrDefault(rule => rule.Origins.Any(o => Matches(o, origin, ignoreCase: false))
            && rule.Methods.Contains(method, StringComparer.Ordinal)
            && requestHeaders.All(h => rule.Headers.Any(allowed => Matches(allowed, h, ignoreCase: true))));

    /// <summary>The response headers a matched rule gives: the origin echoed (or "*" for a rule open to any), its methods, the headers asked for, what it exposes, its max age.</summary>
    public static List<(string Name, string Value)> Headers(CorsRule rule, string origin, IReadOnlyList<string> requestHeaders, bool preflight)
    {
        var headers = new List<(string, string)>
        {
            ("Access-Control-Allow-Origin", rule.Origins.Contains("*") ? "*" : origin),
            ("Access-Control-Allow-Methods", string.Join(", ", rule.Methods)),
            ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
        };
        if (!rule.Origins.Contains("*")) headers.Add(("Access-Control-Allow-Credentials", "true"));
        if (preflight && requestHeaders.Count > 0) headers.Add(("Access-Control-Allow-Headers", string.Join(", ", requestHeaders)));
        if (rule.ExposeHeaders.Count > 0) headers.Add(("Access-Control-Expose-Headers", string.Join(", ", rule.ExposeHeaders)));
        if (rule.MaxAgeSeconds is { } maxAge) headers.Add(("Access-Control-Max-Age", maxAge));
        return headers;
    }

    /// <summary>S3's patterns: literal, or one '*' standing for any run of characters.</summary>
    private static bool Matches(string pattern, string value, bool ignoreCase)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var star = pattern.IndexOf('*');
        if (star < 0) return string.Equals(pattern, value, comparison);
        var (prefix, suffix) = (pattern[..star], pattern[(star + 1)..]);
        return value.Length >= prefix.Length + suffix.Length && value.StartsWith(prefix, comparison) && value.EndsWith(suffix, comparison);
    }
}
