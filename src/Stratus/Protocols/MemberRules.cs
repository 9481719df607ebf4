using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Protocols;

/// <summary>
/// One member's constraints as a service model states them (required, length, range, pattern, enum), with
/// the rules of the structures inside it. <see cref="Member"/> is the name the input carries it under
/// (a REST URI label or query parameter's name), <see cref="Path"/> the name AWS's message shows.
/// </summary>
public sealed record MemberRule
{
    public required string Member { get; init; }
    public required string Path { get; init; }
    public string Type { get; init; } = "string";
    public bool Required { get; init; }
    public long? MinLength { get; init; }
    public long? MaxLength { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public string? Pattern { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }
    /// <summary>A member the model marks sensitive (a secret, a plaintext): AWS names it but leaves its value out.</summary>
    public bool Sensitive { get; init; }
    /// <summary>A structure's own members.</summary>
    public IReadOnlyList<MemberRule>? Members { get; init; }
    /// <summary>The members of each structure in a list.</summary>
    public IReadOnlyList<MemberRule>? Items { get; init; }
}

/// <summary>Which kind of constraint a member broke.</summary>
public enum ViolatedConstraint { Required, Length, Range, Enum, Pattern }

/// <summary>
/// One member breaking one constraint: its rule, its wire path as Smithy names it ('logEvents.1.member.message'), its
/// value (null when missing, or a list's or map's or a sensitive member's, which AWS does not show), and the constraint
/// in Smithy's words ("Member must ..."). A service that words violations its own way reads the parts.
/// </summary>
public sealed record MemberViolation(MemberRule Rule, string Path, string? Value, ViolatedConstraint Kind, string Constraint)
{
    /// <summary>Smithy's wording: "Value 'x' at 'path' failed to satisfy constraint: Member must ...".</summary>
    public string Smithy => ValidationStyle.Violation(Path, Kind == ViolatedConstraint.Required ? "null" : Value is null ? null : $"'{Value}'", Constraint);
}

/// <summary>
/// A service's member constraints, one declared source: the data file scripts/member-rules.py writes from
/// the published service model, adjusted in the service's &lt;S&gt;Rules.cs where AWS's servers check more or
/// word it otherwise. <see cref="Check"/> refuses an operation's input with every violation at once, in
/// AWS's Smithy wording ("2 validation errors detected: ...; ..."), as AWS does before an operation runs, or in the
/// service's own (<see cref="WordedAs"/>) where its servers word them otherwise.
/// </summary>
public sealed class MemberRules
{
    /// <summary>How deep a nested input is followed; the data file describes no deeper.</summary>
    private const int MaxDepth = 6;

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private readonly Dictionary<string, IReadOnlyList<MemberRule>> _operations;
    private readonly ConcurrentDictionary<string, PatternMatcher?> _patterns = new(StringComparer.Ordinal);
    private Func<string, IReadOnlyList<MemberViolation>, AwsException>? _wording;

    private MemberRules(Dictionary<string, IReadOnlyList<MemberRule>> operations) => _operations = operations;

    /// <summary>The rules in a data file embedded in this assembly (Services/&lt;S&gt;/&lt;S&gt;Rules.json).</summary>
    public static MemberRules Embedded(string resourceName)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The member rules {resourceName} are not embedded in Stratus.");
        var file = JsonSerializer.Deserialize<RulesFile>(stream, Json) ?? throw new InvalidOperationException($"{resourceName} is empty.");
        return new MemberRules(file.Operations.ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal));
    }

    private sealed record RulesFile(Dictionary<string, IReadOnlyList<MemberRule>> Operations);

    /// <summary>The rules of one operation's member, changed (or, returning null, dropped) where AWS's server differs from the model.</summary>
    public MemberRules Adjust(string operation, string member, Func<MemberRule, MemberRule?> change)
    {
        if (!_operations.TryGetValue(operation, out var rules) || rules.All(r => r.Member != member))
            throw new InvalidOperationException($"No rule for {operation}.{member} to adjust.");
        _operations[operation] = rules.Select(r => r.Member == member ? change(r) : r).OfType<MemberRule>().ToList();
        return this;
    }

    /// <summary>The same change to a member in every operation that has it.</summary>
    public MemberRules AdjustEverywhere(string member, Func<MemberRule, MemberRule?> change)
    {
        foreach (var operation in _operations.Where(o => o.Value.Any(r => r.Member == member)).Select(o => o.Key).ToList())
            Adjust(operation, member, change);
        return this;
    }

    /// <summary>
    /// Words an operation's violations (operation name, violations in member order) as the service's servers word them,
    /// instead of Smithy's wording under the endpoint's validation code (ECR's "Invalid parameter at ...", EC2's MissingParameter).
    /// </summary>
    public MemberRules WordedAs(Func<string, IReadOnlyList<MemberViolation>, AwsException> wording)
    {
        _wording = wording;
        return this;
    }

    /// <summary>Smithy's wording under <paramref name="style"/>'s code rather than the endpoint's (CloudWatch's ValidationError beside its InvalidParameterValue).</summary>
    public MemberRules WordedAs(ValidationStyle style) => WordedAs((_, violations) => style.Violations([.. violations.Select(v => v.Smithy)]));

    /// <summary>The rule of one operation's member, for a domain check of a value from elsewhere (a template).</summary>
    public MemberRule Rule(string operation, string member) =>
        _operations.GetValueOrDefault(operation)?.FirstOrDefault(r => r.Member == member)
        ?? throw new InvalidOperationException($"No rule for {operation}.{member}.");

    /// <summary>Refuses the operation's input if any member breaks its constraints, naming every one.</summary>
    public void Check(string operation, JsonObject input, ValidationStyle style)
    {
        if (!_operations.TryGetValue(operation, out var rules)) return;
        var violations = new List<MemberViolation>();
        Collect(rules, input, "", violations, 0);
        if (violations.Count > 0) throw _wording?.Invoke(operation, violations) ?? style.Violations([.. violations.Select(v => v.Smithy)]);
    }

    /// <summary>Refuses one value against one rule (a domain check of a member CloudFormation also sets).</summary>
    public void Check(MemberRule rule, object? value, ValidationStyle style)
    {
        var violations = new List<MemberViolation>();
        Collect([rule], new JsonObject { [rule.Member] = value is null ? null : JsonSerializer.SerializeToNode(value) }, "", violations, 0);
        if (violations.Count > 0) throw style.Violations([.. violations.Select(v => v.Smithy)]);
    }

    private void Collect(IReadOnlyList<MemberRule> rules, JsonObject input, string prefix, List<MemberViolation> violations, int depth)
    {
        foreach (var rule in rules)
        {
            var path = prefix + rule.Path;
            var value = input[rule.Member];
            if (value is null)
            {
                if (rule.Required) violations.Add(new(rule, path, null, ViolatedConstraint.Required, "Member must not be null"));
                continue;
            }
            CheckValue(rule, path, value, violations);
            if (depth >= MaxDepth) continue;
            if (rule.Members is { } members && value is JsonObject structure)
                Collect(members, structure, path + ".", violations, depth + 1);
            if (rule.Items is { } items && value is JsonArray list)
                for (var i = 0; i < list.Count; i++)
                    if (list[i] is JsonObject item) Collect(items, item, $"{path}.{i + 1}.member.", violations, depth + 1);
        }
    }

    private void CheckValue(MemberRule rule, string path, JsonNode value, List<MemberViolation> violations)
    {
        // A value of the wrong type is the reader's to refuse, in its own words.
        switch (rule.Type)
        {
            case "string" when Text(value) is { } text:
                var shown = rule.Sensitive ? null : text;
                CheckLength(rule, path, shown, text.Length, violations);
                if (rule.Enum is { } allowed && !allowed.Contains(text))
                    violations.Add(new(rule, path, shown, ViolatedConstraint.Enum, $"Member must satisfy enum value set: [{string.Join(", ", allowed)}]"));
                if (rule.Pattern is { } pattern && Matcher(pattern) is { } matcher && !matcher.Matches(text))
                    violations.Add(new(rule, path, shown, ViolatedConstraint.Pattern, $"Member must satisfy regular expression pattern: {pattern}"));
                break;
            case "list" when value is JsonArray list:
                CheckLength(rule, path, null, list.Count, violations);
                break;
            case "map" when value is JsonObject map:
                CheckLength(rule, path, null, map.Count, violations);
                break;
            case "integer" or "long" or "float" or "double" when Number(value) is { } number:
                var shownNumber = rule.Sensitive ? null : Shown(value);
                if (number < rule.Min)
                    violations.Add(new(rule, path, shownNumber, ViolatedConstraint.Range, $"Member must have value greater than or equal to {Bound(rule.Min.Value)}"));
                else if (number > rule.Max)
                    violations.Add(new(rule, path, shownNumber, ViolatedConstraint.Range, $"Member must have value less than or equal to {Bound(rule.Max.Value)}"));
                break;
        }
    }

    /// <summary>AWS shows a string's value (unless it is sensitive); a list's or a map's it leaves out.</summary>
    private static void CheckLength(MemberRule rule, string path, string? shown, long length, List<MemberViolation> violations)
    {
        if (length < rule.MinLength)
            violations.Add(new(rule, path, shown, ViolatedConstraint.Length, $"Member must have length greater than or equal to {rule.MinLength}"));
        else if (length > rule.MaxLength)
            violations.Add(new(rule, path, shown, ViolatedConstraint.Length, $"Member must have length less than or equal to {rule.MaxLength}"));
    }

    private static string? Text(JsonNode value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A number, whatever .NET type the protocol parsed it into, or the text a REST query string carries it as.</summary>
    private static double? Number(JsonNode value) => value switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.String &&
            double.TryParse(Text(v) ?? v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    private static string Shown(JsonNode value) => Text(value) ?? value.ToJsonString();

    private static string Bound(double bound) => bound.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The model's pattern as .NET reads it, matched against the whole value as AWS's servers match it.
    /// A pattern .NET cannot read is not checked (the service's own checks still run) rather than failing every call.
    /// </summary>
    private PatternMatcher? Matcher(string pattern) => _patterns.GetOrAdd(pattern, p =>
    {
        try
        {
            return new PatternMatcher($"^(?:{p})$");
        }
        catch (ArgumentException)
        {
            return null;
        }
    });

    /// <summary>
    /// One member pattern: interpreted for its first uses (compiling every pattern a short-lived server touches once
    /// would cost more than it saves), compiled to IL once it has been matched <see cref="UsesBeforeCompiling"/> times,
    /// since a pattern on a hot path (Lambda's FunctionName on every GetFunction and Invoke) is matched on every call
    /// and the interpreter cost several microseconds there.
    /// </summary>
    private sealed class PatternMatcher(string anchored)
    {
        private const int UsesBeforeCompiling = 256;
        private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(100);

        private Regex _regex = new(anchored, RegexOptions.CultureInvariant, Timeout);
        private int _uses;

        // A value that takes the matcher too long is let through to the service rather than refused as invalid.
        public bool Matches(string text)
        {
            if (Interlocked.Increment(ref _uses) == UsesBeforeCompiling)
                _regex = new Regex(anchored, RegexOptions.CultureInvariant | RegexOptions.Compiled, Timeout);
            try
            {
                return _regex.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                return true;
            }
        }
    }
}
