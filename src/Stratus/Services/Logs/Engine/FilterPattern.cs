using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine;

public sealed class FilterPatternException(string message) : Exception(message);

/// <summary>
/// CloudWatch Logs filter pattern syntax: an empty pattern matches everything; terms match events that
/// contain all of them (case-sensitive), <c>"quoted phrases"</c> match verbatim, <c>?term</c>s match
/// events with at least one of them, <c>-term</c> excludes; <c>{ $.level = "ERROR" &amp;&amp; $.ms &gt; 100 }</c>
/// filters JSON events by selectors, comparisons (strings with * wildcards, numbers), <c>IS TRUE/FALSE/NULL</c>,
/// <c>NOT EXISTS</c>, <c>&amp;&amp;</c>, <c>||</c> and parentheses; <c>[ip, user, ..., status=5*, bytes&gt;1000]</c>
/// matches space-delimited events field by field, "..." standing for any number of fields.
/// </summary>
public abstract class FilterPattern
{
    public static readonly FilterPattern All = new TermPattern([], [], []);

    /// <summary>AWS's length limit on a filter pattern.</summary>
    public const int MaxLength = 1024;
    /// <summary>How deep parentheses may nest in a JSON filter: far past any real pattern, far short of the stack.</summary>
    public const int MaxNesting = 32;

    public abstract bool Matches(string message);

    public static FilterPattern Parse(string? pattern)
    {
        if (pattern?.Length > MaxLength)
            throw new FilterPatternException(LogsErrors.Validation.Rejected("filterPattern", $"Member must have length less than or equal to {MaxLength}").Message);
        var text = pattern?.Trim() ?? "";
        if (text.Length == 0 || text == "\"\"") return All;
        if (text.StartsWith('{')) return JsonPattern.FromJsonFilter(text);
        if (text.StartsWith('[')) return SpaceDelimitedPattern.FromFields(text);
        return TermPattern.FromTerms(text);
    }

    private sealed class TermPattern(List<string> required, List<string> optional, List<string> excluded) : FilterPattern
    {
        public override bool Matches(string message) =>
            required.All(t => message.Contains(t, StringComparison.Ordinal))
            && !excluded.Any(t => message.Contains(t, StringComparison.Ordinal))
            && (optional.Count == 0 || optional.Any(t => message.Contains(t, StringComparison.Ordinal)));

        public static TermPattern FromTerms(string text)
        {
            List<string> required = [], optional = [], excluded = [];
            var i = 0;
            while (i < text.Length)
            {
                if (char.IsWhiteSpace(text[i])) { i++; continue; }
                var target = required;
                if (text[i] == '?') { target = optional; i++; }
                else if (text[i] == '-' && i + 1 < text.Length && !char.IsWhiteSpace(text[i + 1])) { target = excluded; i++; }
                if (i >= text.Length) throw new FilterPatternException("Invalid filter pattern: a term is missing after '?'.");
                string term;
                if (text[i] == '"')
                {
                    var end = text.IndexOf('"', i + 1);
                    if (end < 0) throw new FilterPatternException("Invalid filter pattern: unterminated quoted phrase.");
                    term = text[(i + 1)..end];
                    i = end + 1;
                }
                else
                {
                    var start = i;
                    while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
                    term = text[start..i];
                }
                if (term.Length > 0) target.Add(term);
            }
            return new TermPattern(required, optional, excluded);
        }
    }

    private sealed class JsonPattern(Func<JsonNode?, bool> test) : FilterPattern
    {
        public override bool Matches(string message)
        {
            var trimmed = message.AsSpan().Trim();
            if (trimmed.Length == 0 || trimmed[0] is not ('{' or '[')) return false;
            try
            {
                return test(Stratus.Protocols.Json.JsonBody.Parse(message));
            }
            catch (JsonException)
            {
                return false;
            }
        }

        public static JsonPattern FromJsonFilter(string text)
        {
            if (!text.EndsWith('}')) throw new FilterPatternException("Invalid filter pattern: a JSON filter must end with '}'.");
            var parser = new JsonFilterParser(Tokenize(text[1..^1]));
            var test = parser.Or();
            if (!parser.AtEnd) throw new FilterPatternException($"Invalid filter pattern: unexpected '{parser.Current}'.");
            return new JsonPattern(test);
        }
    }

    /// <summary>A space-delimited pattern: one condition per field, or an ellipsis for any number of fields.</summary>
    private sealed class SpaceDelimitedPattern(List<Func<string, bool>?> fields) : FilterPattern
    {
        public override bool Matches(string message)
        {
            var values = Fields(message);
            return Match(values, 0, 0, new HashSet<(int, int)>());
        }

        /// <param name="failed">
        /// Field/value positions already known not to match: several ellipses would otherwise try every way
        /// of splitting the values among them, exponential in their number.
        /// </param>
        private bool Match(List<string> values, int field, int value, HashSet<(int, int)> failed)
        {
            if (field == fields.Count) return value == values.Count;
            if (failed.Contains((field, value))) return false;
            bool matched;
            if (fields[field] is not { } condition)
            {
                matched = false;
                for (var skip = value; skip <= values.Count && !matched; skip++)
                    matched = Match(values, field + 1, skip, failed);
            }
            else matched = value < values.Count && condition(values[value]) && Match(values, field + 1, value + 1, failed);
            if (!matched) failed.Add((field, value));
            return matched;
        }

        /// <summary>Whitespace separates fields; "quoted" and [bracketed] text is one field.</summary>
        private static List<string> Fields(string message)
        {
            var values = new List<string>();
            var i = 0;
            while (i < message.Length)
            {
                if (char.IsWhiteSpace(message[i])) { i++; continue; }
                var close = message[i] switch { '"' => '"', '[' => ']', _ => '\0' };
                var end = close == '\0' ? -1 : message.IndexOf(close, i + 1);
                if (end > 0)
                {
                    values.Add(message[(i + 1)..end]);
                    i = end + 1;
                    continue;
                }
                var start = i;
                while (i < message.Length && !char.IsWhiteSpace(message[i])) i++;
                values.Add(message[start..i]);
            }
            return values;
        }

        public static SpaceDelimitedPattern FromFields(string text)
        {
            if (!text.EndsWith(']')) throw new FilterPatternException("Invalid filter pattern: a space-delimited filter must end with ']'.");
            var fields = new List<Func<string, bool>?>();
            foreach (var spec in SplitTopLevel(text[1..^1]))
            {
                var field = spec.Trim();
                if (field.Length == 0) throw new FilterPatternException("Invalid filter pattern: empty field in a space-delimited filter.");
                if (field == "...") { fields.Add(null); continue; }
                var tokens = Tokenize(field);
                if (tokens.Count == 2 && tokens[0].Kind == Kind.Word) { fields.Add(_ => true); continue; }
                var parser = new FieldConditionParser(tokens);
                fields.Add(parser.Or());
                if (!parser.AtEnd) throw new FilterPatternException($"Invalid filter pattern: unexpected '{parser.Current}' in field '{field}'.");
            }
            return new SpaceDelimitedPattern(fields);
        }

        private static IEnumerable<string> SplitTopLevel(string text)
        {
            var start = 0;
            var quoted = false;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '"') quoted = !quoted;
                else if (text[i] == ',' && !quoted)
                {
                    yield return text[start..i];
                    start = i + 1;
                }
            }
            yield return text[start..];
        }
    }

    /// <summary>A field's conditions: <c>name op value</c>, joined with &amp;&amp; and ||.</summary>
    private sealed class FieldConditionParser(List<Token> tokens)
    {
        private int _at;

        public bool AtEnd => tokens[_at].Kind == Kind.End;
        public string Current => tokens[_at].Text;

        public Func<string, bool> Or()
        {
            var left = And();
            while (tokens[_at] is { Kind: Kind.Operator, Text: "||" })
            {
                _at++;
                var l = left;
                var r = And();
                left = v => l(v) || r(v);
            }
            return left;
        }

        private Func<string, bool> And()
        {
            var left = Condition();
            while (tokens[_at] is { Kind: Kind.Operator, Text: "&&" })
            {
                _at++;
                var l = left;
                var r = Condition();
                left = v => l(v) && r(v);
            }
            return left;
        }

        private Func<string, bool> Condition()
        {
            if (tokens[_at++].Kind != Kind.Word) throw new FilterPatternException($"Invalid filter pattern: expected a field name before '{tokens[_at - 1].Text}'.");
            var op = tokens[_at++];
            var operand = tokens[_at++];
            if (op.Kind != Kind.Operator || op.Text is "&&" or "||" || operand.Kind is not (Kind.Number or Kind.String or Kind.Word))
                throw new FilterPatternException("Invalid filter pattern: a field condition is name, operator, value.");
            if (operand.Kind == Kind.Number)
            {
                var expected = double.Parse(operand.Text, CultureInfo.InvariantCulture);
                return v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var actual) && op.Text switch
                {
                    "=" => actual == expected,
                    "!=" => actual != expected,
                    "<" => actual < expected,
                    "<=" => actual <= expected,
                    ">" => actual > expected,
                    _ => actual >= expected,
                };
            }
            if (op.Text is not ("=" or "!=")) throw new FilterPatternException($"Invalid filter pattern: text can only be compared with = or !=, not {op.Text}.");
            var wildcard = Wildcard(operand.Text);
            return v => wildcard.IsMatch(v) == (op.Text == "=");
        }
    }

    /// <summary>Without backtracking: a value with many * against a long field stays linear.</summary>
    private static Regex Wildcard(string pattern) =>
        new("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.Singleline | RegexOptions.NonBacktracking);

    private enum Kind { Selector, String, Number, Word, Operator, Open, Close, End }

    private readonly record struct Token(Kind Kind, string Text);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (c == '$')
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && !"=!<>()&|".Contains(text[i])) i++;
                tokens.Add(new Token(Kind.Selector, text[start..i]));
            }
            else if (c == '"')
            {
                var value = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
                if (i >= text.Length) throw new FilterPatternException("Invalid filter pattern: unterminated string.");
                i++;
                tokens.Add(new Token(Kind.String, value.ToString()));
            }
            else if (c is '(' or ')')
            {
                tokens.Add(new Token(c == '(' ? Kind.Open : Kind.Close, c.ToString()));
                i++;
            }
            else if ("=!<>&|".Contains(c))
            {
                while (i < text.Length && "=!<>&|".Contains(text[i])) i++;
                var op = text[start..i];
                if (op is not ("=" or "==" or "!=" or "<" or "<=" or ">" or ">=" or "&&" or "||"))
                    throw new FilterPatternException($"Invalid filter pattern: unknown operator '{op}'.");
                tokens.Add(new Token(Kind.Operator, op == "==" ? "=" : op));
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && !"=!<>()&|".Contains(text[i])) i++;
                var word = text[start..i];
                var isNumber = double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                tokens.Add(new Token(isNumber ? Kind.Number : Kind.Word, word));
            }
        }
        tokens.Add(new Token(Kind.End, ""));
        return tokens;
    }

    private sealed class JsonFilterParser(List<Token> tokens)
    {
        private int _at;
        private int _nesting;

        public bool AtEnd => tokens[_at].Kind == Kind.End;
        public string Current => tokens[_at].Text;

        private Token Next() => tokens[_at++];

        public Func<JsonNode?, bool> Or()
        {
            var left = And();
            while (tokens[_at] is { Kind: Kind.Operator, Text: "||" })
            {
                Next();
                var l = left;
                var r = And();
                left = doc => l(doc) || r(doc);
            }
            return left;
        }

        private Func<JsonNode?, bool> And()
        {
            var left = Primary();
            while (tokens[_at] is { Kind: Kind.Operator, Text: "&&" })
            {
                Next();
                var l = left;
                var r = Primary();
                left = doc => l(doc) && r(doc);
            }
            return left;
        }

        private Func<JsonNode?, bool> Primary()
        {
            var token = Next();
            if (token.Kind == Kind.Open)
            {
                if (++_nesting > MaxNesting) throw new FilterPatternException($"Invalid filter pattern: parentheses nest more than {MaxNesting} deep.");
                var inner = Or();
                if (Next().Kind != Kind.Close) throw new FilterPatternException("Invalid filter pattern: missing ')'.");
                _nesting--;
                return inner;
            }
            if (token.Kind != Kind.Selector) throw new FilterPatternException($"Invalid filter pattern: expected a selector such as $.field, found '{token.Text}'.");
            var path = Selector(token.Text);
            var op = Next();
            if (op.Kind == Kind.Word && op.Text.Equals("IS", StringComparison.OrdinalIgnoreCase))
            {
                var what = Next().Text.ToUpperInvariant();
                return what switch
                {
                    "TRUE" => doc => Select(doc, path, out var v) && v is JsonValue b && b.GetValueKind() == JsonValueKind.True,
                    "FALSE" => doc => Select(doc, path, out var v) && v is JsonValue b && b.GetValueKind() == JsonValueKind.False,
                    "NULL" => doc => Select(doc, path, out var v) && v is null,
                    _ => throw new FilterPatternException($"Invalid filter pattern: IS must be followed by TRUE, FALSE or NULL, not '{what}'."),
                };
            }
            if (op.Kind == Kind.Word && op.Text.Equals("NOT", StringComparison.OrdinalIgnoreCase))
            {
                if (!Next().Text.Equals("EXISTS", StringComparison.OrdinalIgnoreCase)) throw new FilterPatternException("Invalid filter pattern: NOT must be followed by EXISTS.");
                return doc => !Select(doc, path, out _);
            }
            if (op.Kind != Kind.Operator || op.Text is "&&" or "||") throw new FilterPatternException($"Invalid filter pattern: expected a comparison after {token.Text}.");
            var operand = Next();
            return operand.Kind switch
            {
                Kind.Number => NumberComparison(path, op.Text, double.Parse(operand.Text, CultureInfo.InvariantCulture)),
                Kind.String or Kind.Word => TextComparison(path, op.Text, operand.Text),
                _ => throw new FilterPatternException($"Invalid filter pattern: expected a value after {token.Text} {op.Text}."),
            };
        }

        private static Func<JsonNode?, bool> NumberComparison(List<object> path, string op, double expected)
        {
            return doc =>
            {
                if (!Select(doc, path, out var node) || node is not JsonValue v) return false;
                double actual;
                if (v.GetValueKind() == JsonValueKind.Number) actual = double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture);
                else if (v.GetValueKind() == JsonValueKind.String && double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) actual = parsed;
                else return op == "!=";
                return op switch
                {
                    "=" => actual == expected,
                    "!=" => actual != expected,
                    "<" => actual < expected,
                    "<=" => actual <= expected,
                    ">" => actual > expected,
                    _ => actual >= expected,
                };
            };
        }

        private static Func<JsonNode?, bool> TextComparison(List<object> path, string op, string expected)
        {
            if (op is not ("=" or "!=")) throw new FilterPatternException($"Invalid filter pattern: strings can only be compared with = or !=, not {op}.");
            var wildcard = Wildcard(expected);
            return doc =>
            {
                if (!Select(doc, path, out var node)) return false;
                var actual = node switch
                {
                    null => "null",
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                    _ => node.ToJsonString(),
                };
                return wildcard.IsMatch(actual) == (op == "=");
            };
        }

        private static List<object> Selector(string text)
        {
            var path = new List<object>();
            var i = 1;
            while (i < text.Length)
            {
                if (text[i] == '.')
                {
                    var start = ++i;
                    while (i < text.Length && text[i] is not ('.' or '[')) i++;
                    if (i == start) throw new FilterPatternException($"Invalid filter pattern: empty field name in {text}.");
                    path.Add(text[start..i]);
                }
                else if (text[i] == '[')
                {
                    var end = text.IndexOf(']', i);
                    if (end < 0 || !int.TryParse(text.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                        throw new FilterPatternException($"Invalid filter pattern: bad array index in {text}.");
                    path.Add(index);
                    i = end + 1;
                }
                else throw new FilterPatternException($"Invalid filter pattern: bad selector {text}.");
            }
            return path;
        }

        private static bool Select(JsonNode? doc, List<object> path, out JsonNode? found)
        {
            found = doc;
            foreach (var step in path)
            {
                switch (step, found)
                {
                    case (string name, JsonObject obj) when obj.TryGetPropertyValue(name, out var child):
                        found = child;
                        break;
                    case (int index, JsonArray list) when index < list.Count:
                        found = list[index];
                        break;
                    default:
                        found = null;
                        return false;
                }
            }
            return true;
        }
    }
}
