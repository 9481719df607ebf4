using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols.Json;

namespace Stratus.Services.Logs.Engine;

/// <summary>A selection criteria outside the grammar its policy type takes; the message says what (Stratus's wording).</summary>
public sealed class SelectionCriteriaException(string message) : Exception(message);

/// <summary>
/// An account policy's selectionCriteria, as PutAccountPolicy documents it: <c>LogGroupName NOT IN ["a", "b"]</c> (the log
/// groups a subscription filter policy leaves out) or <c>LogGroupNamePrefix IN ["/app", "/web"]</c> (the groups a transformer
/// or field index policy applies to), with up to <see cref="MaxValues"/> values.
/// </summary>
public sealed partial record SelectionCriteria(string Attribute, bool Excludes, IReadOnlyList<string> Values)
{
    public const int MaxValues = 50;
    public const int MaxLength = 30_720;
    public const string LogGroupName = "LogGroupName";
    public const string LogGroupNamePrefix = "LogGroupNamePrefix";

    /// <summary>Reads <paramref name="text"/>, which must use <paramref name="attribute"/> with IN (or NOT IN when <paramref name="excludes"/>).</summary>
    public static SelectionCriteria Parse(string text, string attribute, bool excludes)
    {
        var expected = $"{attribute} {(excludes ? "NOT IN" : "IN")} [\"...\"]";
        // Fifty names of at most 512 characters, quoted and separated, fit well within this.
        if (text.Length > MaxLength) throw new SelectionCriteriaException($"The selectionCriteria can be up to {MaxLength} characters.");
        var match = Grammar().Match(text);
        if (!match.Success || match.Groups["attribute"].Value != attribute || match.Groups["not"].Success != excludes)
            throw new SelectionCriteriaException($"The selectionCriteria must have the form {expected}.");
        List<string> values;
        try
        {
            values = JsonBody.ParseMember(match.Groups["values"].Value, 2) is JsonArray list
                && list.All(v => v is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                ? list.Select(v => (string)v!).ToList()
                : throw new SelectionCriteriaException($"The selectionCriteria must have the form {expected}.");
        }
        catch (JsonException)
        {
            throw new SelectionCriteriaException($"The selectionCriteria must have the form {expected}.");
        }
        if (values.Count is 0 or > MaxValues || values.Any(v => v.Length is 0 or > 512))
            throw new SelectionCriteriaException($"The selectionCriteria must list 1 to {MaxValues} log group names or prefixes of 1 to 512 characters.");
        return new SelectionCriteria(attribute, excludes, values);
    }

    /// <summary>Whether the criteria select the log group.</summary>
    public bool Selects(string groupName) =>
        Excludes != Values.Any(v => Attribute == LogGroupNamePrefix ? groupName.StartsWith(v, StringComparison.Ordinal) : groupName == v);

    /// <summary>Whether a group could be selected by both (for prefix criteria: one's prefix begins the other's).</summary>
    public bool Overlaps(SelectionCriteria other) =>
        Values.Any(a => other.Values.Any(b => a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal)));

    [GeneratedRegex(@"^\s*(?<attribute>LogGroupName|LogGroupNamePrefix)\s+(?<not>NOT\s+)?IN\s*(?<values>\[.*\])\s*$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}
