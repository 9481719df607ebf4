using System.Globalization;
using System.Text.Json;
using Stratus.Protocols.Json;

namespace Stratus.Services.CloudWatch.Engine;

/// <summary>A rule definition CloudWatch refuses, with the reason (answered as InvalidParameterValue).</summary>
public sealed class ContributorRuleException(string message) : Exception(message);

/// <summary>One log event's contribution to a rule: its contributor (the values of the rule's keys) and its value (1 when the rule counts).</summary>
public readonly record struct Contribution(string Contributor, IReadOnlyList<string> Keys, double Value);

/// <summary>
/// A Contributor Insights rule definition in CloudWatch's documented syntax (Schema CloudWatchLogRule version 1):
/// LogGroupNames (a trailing * matches a prefix), LogFormat JSON or CLF (with Fields naming CLF's 1-based positions),
/// Contribution {Keys (1 to 4), ValueOf, Filters}, AggregateOn Count or Sum. Matching is case sensitive, as AWS's is.
/// Parsed once at PutInsightRule; <see cref="Evaluate"/> turns one log event into its contribution, or none when the event
/// is not JSON (CLF) as the rule says, fails a filter, lacks a key, or (for Sum) lacks a numeric ValueOf.
/// </summary>
public sealed class ContributorRule
{
    public const int MaxKeys = 4;
    public const int MaxFilters = 4;
    /// <summary>Stratus's bounds on a definition's lists and paths (the definition itself is at most 8192 characters).</summary>
    public const int MaxLogGroups = 20;
    public const int MaxFilterValues = 10;
    public const int MaxPathSegments = 32;
    /// <summary>A definition nests four levels (Contribution.Filters[].In[]); anything deeper is not a rule.</summary>
    private const int MaxDefinitionDepth = 8;
    /// <summary>Log events are parsed with a depth bound too: a deeper event is not read, as it cannot hold a rule's field within reach.</summary>
    private const int MaxEventDepth = 64;

    private static readonly string[] Operators = ["In", "NotIn", "StartsWith", "EqualTo", "NotEqualTo", "GreaterThan", "LessThan", "IsPresent"];

    private ContributorRule(IReadOnlyList<string> logGroupNames, bool clf, IReadOnlyDictionary<string, int> clfFields, IReadOnlyList<FieldRef> keys,
        FieldRef? valueOf, IReadOnlyList<Filter> filters, bool sum)
    {
        LogGroupNames = logGroupNames;
        _clf = clf;
        _clfFields = clfFields;
        _keys = keys;
        _valueOf = valueOf;
        _filters = filters;
        AggregatesSum = sum;
    }

    private readonly bool _clf;
    private readonly IReadOnlyDictionary<string, int> _clfFields;
    private readonly IReadOnlyList<FieldRef> _keys;
    private readonly FieldRef? _valueOf;
    private readonly IReadOnlyList<Filter> _filters;

    public IReadOnlyList<string> LogGroupNames { get; }
    public bool AggregatesSum { get; }
    /// <summary>The keys as the rule writes them, GetInsightRuleReport's KeyLabels.</summary>
    public IReadOnlyList<string> KeyLabels => _keys.Select(k => k.Text).ToList();

    /// <summary>Whether the rule reads <paramref name="groupName"/>: named exactly, or by a prefix ending in *.</summary>
    public bool Reads(string groupName) => LogGroupNames.Any(pattern => pattern.EndsWith('*')
        ? groupName.StartsWith(pattern[..^1], StringComparison.Ordinal)
        : groupName == pattern);

    public static ContributorRule Parse(string definition)
    {
        JsonDocument document;
        try
        {
            document = JsonBody.ParseMemberDocument(definition, MaxDefinitionDepth);
        }
        catch (JsonException)
        {
            throw Invalid("it must be a JSON object of at most " + MaxDefinitionDepth + " levels");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("it must be a JSON object");
            Known(root, "the definition", "Schema", "LogGroupNames", "LogGroupARNs", "LogFormat", "Fields", "Contribution", "AggregateOn");
            var schema = Member(root, "Schema") ?? throw Invalid("Schema is required");
            if (schema.ValueKind != JsonValueKind.Object || Text(schema, "Name") != "CloudWatchLogRule"
                || !(Member(schema, "Version") is { ValueKind: JsonValueKind.Number } version && version.TryGetInt32(out var v) && v == 1))
                throw Invalid("Schema must be {\"Name\": \"CloudWatchLogRule\", \"Version\": 1}");
            if (Member(root, "LogGroupARNs") is not null)
                throw Invalid("LogGroupARNs name log groups of cross-account observability source accounts, which Stratus does not link; use LogGroupNames");
            var groups = Strings(root, "LogGroupNames", 1, MaxLogGroups);
            if (groups.Any(g => g.Length is 0 or > 512 || g.IndexOf('*') is var star && star >= 0 && star != g.Length - 1))
                throw Invalid("each of LogGroupNames must be a log group name, optionally ending in *");
            var format = Text(root, "LogFormat");
            if (format is not ("JSON" or "CLF")) throw Invalid("LogFormat must be JSON or CLF");
            var clf = format == "CLF";
            var fields = clf ? ClfFields(root) : new Dictionary<string, int>();
            if (!clf && Member(root, "Fields") is not null) throw Invalid("Fields applies only to rules whose LogFormat is CLF");
            var contribution = Member(root, "Contribution") is { ValueKind: JsonValueKind.Object } c ? c : throw Invalid("Contribution is required and must be an object");
            Known(contribution, "Contribution", "Keys", "ValueOf", "Filters");
            var keys = Strings(contribution, "Keys", 1, MaxKeys).Select(k => FieldRef.Parse(k, clf, fields)).ToList();
            var aggregate = Text(root, "AggregateOn");
            if (aggregate is not ("Count" or "Sum")) throw Invalid("AggregateOn must be Count or Sum");
            var valueOf = Text(contribution, "ValueOf") is { } value ? FieldRef.Parse(value, clf, fields) : null;
            if (aggregate == "Sum" && valueOf is null) throw Invalid("a rule that aggregates on Sum must name the field to sum in Contribution.ValueOf");
            var filters = new List<Filter>();
            if (Member(contribution, "Filters") is { } list)
            {
                if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxFilters)
                    throw Invalid($"Contribution.Filters must be a list of at most {MaxFilters} filters");
                filters.AddRange(list.EnumerateArray().Select(f => Filter.Parse(f, clf, fields)));
            }
            return new ContributorRule(groups, clf, fields, keys, valueOf, filters, aggregate == "Sum");
        }
    }

    /// <summary>The event's contribution, or null when the rule does not count it.</summary>
    public Contribution? Evaluate(string message)
    {
        if (_clf) return Evaluate(new ClfEvent(ClfTokens(message)));
        var trimmed = message.AsSpan().TrimStart();
        if (trimmed.IsEmpty || trimmed[0] != '{') return null;
        try
        {
            using var document = JsonBody.ParseMemberDocument(message, MaxEventDepth);
            return Evaluate(new JsonEvent(document.RootElement));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private Contribution? Evaluate(IEventFields fields)
    {
        foreach (var filter in _filters)
            if (!filter.Passes(fields.Value(filter.Field))) return null;
        var keys = new string[_keys.Count];
        for (var i = 0; i < keys.Length; i++)
            if (fields.Value(_keys[i]) is { } key) keys[i] = key.Text;
            else return null;
        double value = 1;
        if (AggregatesSum)
        {
            if (fields.Value(_valueOf!) is not { Number: { } number }) return null;
            value = number;
        }
        // The unit separator cannot appear in a rule's key values (log events are text), so joined keys identify a contributor.
        return new Contribution(string.Join('\u001f', keys), keys, value);
    }

    private static Dictionary<string, int> ClfFields(JsonElement root)
    {
        if (Member(root, "Fields") is not { ValueKind: JsonValueKind.Object } fields)
            throw Invalid("a rule whose LogFormat is CLF must name its fields in Fields, by their 1-based position");
        var named = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var field in fields.EnumerateObject())
        {
            if (!int.TryParse(field.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position is < 1 or > 100
                || field.Value.ValueKind != JsonValueKind.String || field.Value.GetString() is not { Length: > 0 } name)
                throw Invalid("Fields must map positions from 1 to 100 to field names");
            if (!named.TryAdd(name, position)) throw Invalid($"Fields names {name} more than once");
        }
        return named;
    }

    /// <summary>
    /// A Common Log Format line's fields: separated by spaces, a "quoted" or [bracketed] field taken whole without its
    /// quotes or brackets (the request line, the time).
    /// </summary>
    public static IReadOnlyList<string> ClfTokens(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i])) { i++; continue; }
            var close = line[i] switch { '"' => '"', '[' => ']', _ => '\0' };
            int end;
            if (close != '\0')
            {
                end = line.IndexOf(close, i + 1);
                if (end < 0) end = line.Length;
                tokens.Add(line[(i + 1)..end]);
                i = end + 1;
                continue;
            }
            end = i;
            while (end < line.Length && !char.IsWhiteSpace(line[end])) end++;
            tokens.Add(line[i..end]);
            i = end;
        }
        return tokens;
    }

    private static ContributorRuleException Invalid(string problem) => new($"The rule definition is invalid: {problem}.");

    private static JsonElement? Member(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var member) ? member : null;

    private static string? Text(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.String } member ? member.GetString() : null;

    private static void Known(JsonElement element, string where, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
            if (!names.Contains(property.Name, StringComparer.Ordinal)) throw Invalid($"{where} has an unknown field {property.Name}");
    }

    private static List<string> Strings(JsonElement element, string name, int min, int max)
    {
        if (Member(element, name) is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() < min || list.GetArrayLength() > max
            || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw Invalid($"{name} must be a list of {min} to {max} strings");
        return list.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>A field a rule names: a JSON path ($.a.b, $.list[0].c) or, in a CLF rule, a name from Fields.</summary>
    private sealed record FieldRef(string Text, IReadOnlyList<object> Path, int ClfPosition)
    {
        public static FieldRef Parse(string text, bool clf, IReadOnlyDictionary<string, int> fields)
        {
            if (clf)
                return fields.TryGetValue(text, out var position)
                    ? new FieldRef(text, [], position)
                    : throw Invalid($"the field {text} is not named in Fields");
            if (!text.StartsWith("$.", StringComparison.Ordinal) || text.Length == 2) throw Invalid($"the field {text} must be a JSON path such as $.name");
            var path = new List<object>();
            var i = 2;
            while (i < text.Length)
            {
                if (path.Count >= MaxPathSegments) throw Invalid($"the field {text} has more than {MaxPathSegments} parts");
                if (text[i] == '[')
                {
                    var close = text.IndexOf(']', i);
                    if (close < 0 || !int.TryParse(text.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                        throw Invalid($"the field {text} has a malformed index");
                    path.Add(index);
                    i = close + 1;
                    if (i < text.Length && text[i] == '.') i++;
                    continue;
                }
                var end = text.IndexOfAny(['.', '['], i);
                if (end < 0) end = text.Length;
                if (end == i) throw Invalid($"the field {text} has an empty part");
                path.Add(text[i..end]);
                i = end < text.Length && text[end] == '.' ? end + 1 : end;
            }
            return new FieldRef(text, path, 0);
        }
    }

    /// <summary>A field's value in one event: its text (a string's value, a number, true/false, or an object's JSON), and its number when it is one.</summary>
    private sealed record FieldValue(string Text, double? Number);

    private interface IEventFields
    {
        FieldValue? Value(FieldRef field);
    }

    private sealed class JsonEvent(JsonElement root) : IEventFields
    {
        public FieldValue? Value(FieldRef field)
        {
            var at = root;
            foreach (var part in field.Path)
            {
                if (part is string name && at.ValueKind == JsonValueKind.Object && at.TryGetProperty(name, out var member)) at = member;
                else if (part is int index && at.ValueKind == JsonValueKind.Array && index < at.GetArrayLength()) at = at[index];
                else return null;
            }
            return at.ValueKind switch
            {
                JsonValueKind.String => Parsed(at.GetString()!),
                JsonValueKind.Number => new FieldValue(at.GetRawText(), at.GetDouble()),
                JsonValueKind.True => new FieldValue("true", null),
                JsonValueKind.False => new FieldValue("false", null),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => new FieldValue(at.GetRawText(), null),
            };
        }
    }

    private sealed class ClfEvent(IReadOnlyList<string> tokens) : IEventFields
    {
        // A CLF "-" marks a field the server had no value for.
        public FieldValue? Value(FieldRef field) =>
            field.ClfPosition <= tokens.Count && tokens[field.ClfPosition - 1] is var token && token != "-" ? Parsed(token) : null;
    }

    private static FieldValue Parsed(string text) =>
        new(text, double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : null);

    /// <summary>
    /// One of Contribution.Filters: Match names a field, and one operator tests it. A field the event lacks passes only
    /// NotIn, NotEqualTo and IsPresent false; the numeric operators pass only numbers.
    /// </summary>
    private sealed record Filter(FieldRef Field, string Operator, IReadOnlyList<string> Texts, double Number, bool Present)
    {
        public static Filter Parse(JsonElement element, bool clf, IReadOnlyDictionary<string, int> fields)
        {
            if (element.ValueKind != JsonValueKind.Object) throw Invalid("each of Contribution.Filters must be an object");
            Known(element, "a filter", ["Match", .. Operators]);
            var match = Text(element, "Match") ?? throw Invalid("each filter must name its field in Match");
            var field = FieldRef.Parse(match, clf, fields);
            var given = Operators.Where(o => element.TryGetProperty(o, out _)).ToList();
            if (given.Count != 1) throw Invalid($"the filter on {match} must have exactly one of {string.Join(", ", Operators)}");
            var op = given[0];
            var operand = element.GetProperty(op);
            switch (op)
            {
                case "In" or "NotIn" or "StartsWith":
                    if (operand.ValueKind != JsonValueKind.Array || operand.GetArrayLength() is 0 or > MaxFilterValues
                        || operand.EnumerateArray().Any(e => e.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)))
                        throw Invalid($"{op} in the filter on {match} must be a list of 1 to {MaxFilterValues} values");
                    var texts = operand.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToList();
                    return new Filter(field, op, texts, 0, true);
                case "IsPresent":
                    if (operand.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Invalid($"IsPresent in the filter on {match} must be true or false");
                    return new Filter(field, op, [], 0, operand.GetBoolean());
                default:
                    if (operand.ValueKind != JsonValueKind.Number || !double.IsFinite(operand.GetDouble())) throw Invalid($"{op} in the filter on {match} must be a number");
                    return new Filter(field, op, [], operand.GetDouble(), true);
            }
        }

        public bool Passes(FieldValue? value) => Operator switch
        {
            "IsPresent" => (value is not null) == Present,
            "In" => value is not null && Texts.Contains(value.Text, StringComparer.Ordinal),
            "NotIn" => value is null || !Texts.Contains(value.Text, StringComparer.Ordinal),
            "StartsWith" => value is not null && Texts.Any(prefix => value.Text.StartsWith(prefix, StringComparison.Ordinal)),
            "EqualTo" => value?.Number == Number,
            "NotEqualTo" => value?.Number != Number,
            "GreaterThan" => value?.Number > Number,
            "LessThan" => value?.Number < Number,
            _ => false,
        };
    }
}
