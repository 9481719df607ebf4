using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols.Json;

namespace Stratus.Services.Events.Engine;

/// <summary>
/// An EventBridge event pattern, parsed and checked once, matched against events as AWS matches them:
/// every field the pattern names must match (a field holding an array matches when any element does), a
/// field's list of matchers matches when any of them does, and "$or" matches when any of its patterns does.
/// Matchers: exact strings, numbers (compared as numbers), booleans and null; prefix, suffix (each also with
/// equals-ignore-case), anything-but (values, prefix, suffix, equals-ignore-case, wildcard), numeric ranges,
/// exists, equals-ignore-case, wildcard and cidr.
/// </summary>
public sealed class EventPattern
{
    /// <summary>Deeper patterns are refused: matching recurses once per level.</summary>
    public const int MaxDepth = 64;
    private readonly Node _root;

    private EventPattern(Node root) => _root = root;

    /// <summary>Parses a pattern's JSON text; refuses it with InvalidEventPatternException in AWS's wording.</summary>
    public static EventPattern Parse(string text)
    {
        JsonNode? json;
        try { json = JsonBody.ParseMember(text, MaxDepth); }
        catch (JsonException e) { throw EventsErrors.InvalidEventPattern("the pattern is not valid JSON (" + e.Message + ")"); }
        if (json is not JsonObject obj) throw EventsErrors.InvalidEventPattern("Filter is not an object");
        if (obj.Count == 0) throw EventsErrors.InvalidEventPattern("Empty objects are not allowed");
        return new EventPattern(ParseObject(obj, 1));
    }

    /// <summary>Whether the event (an EventBridge envelope as JSON) matches.</summary>
    public bool Matches(JsonNode? @event) => _root.Matches(@event, present: @event is not null);

    private static Node ParseObject(JsonObject obj, int depth)
    {
        if (depth > MaxDepth) throw EventsErrors.InvalidEventPattern($"the pattern is nested deeper than {MaxDepth} levels");
        var fields = new List<(string Name, Node Node)>();
        var alternatives = new List<Node>();
        foreach (var (name, value) in obj)
        {
            if (name == "$or")
            {
                if (value is not JsonArray options || options.Count < 2)
                    throw EventsErrors.InvalidEventPattern("Value of $or must be an array of at least 2 objects");
                alternatives.Add(new AnyOf([.. options.Select(o => o is JsonObject option && option.Count > 0
                    ? ParseObject(option, depth + 1)
                    : throw EventsErrors.InvalidEventPattern("Each element of $or must be a non-empty object"))]));
                continue;
            }
            fields.Add((name, value switch
            {
                JsonObject nested when nested.Count > 0 => ParseObject(nested, depth + 1),
                JsonObject => throw EventsErrors.InvalidEventPattern("Empty objects are not allowed"),
                JsonArray matchers when matchers.Count > 0 => new Leaf([.. matchers.Select(ParseMatcher)]),
                JsonArray => throw EventsErrors.InvalidEventPattern("Empty arrays are not allowed"),
                _ => throw EventsErrors.InvalidEventPattern($"\"{name}\" must be an object or an array"),
            }));
        }
        return new Fields(fields, alternatives);
    }

    private static Matcher ParseMatcher(JsonNode? node)
    {
        switch (node)
        {
            case null: return new Exact(null);
            case JsonValue value when value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                return new Exact(value);
            case JsonObject { Count: 1 } obj:
                var (kind, operand) = obj.First();
                return kind switch
                {
                    "prefix" => Affix(kind, operand, prefix: true),
                    "suffix" => Affix(kind, operand, prefix: false),
                    "equals-ignore-case" => new IgnoreCase(RequiredString(kind, operand)),
                    "wildcard" => new Wildcard(RequiredString(kind, operand)),
                    "exists" => operand is JsonValue e && e.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                        ? new Exists(e.GetValue<bool>())
                        : throw EventsErrors.InvalidEventPattern("exists match pattern must be either true or false."),
                    "numeric" => Numeric.Parse(operand),
                    "anything-but" => AnythingBut(operand),
                    "cidr" => Cidr.Parse(operand),
                    _ => throw EventsErrors.InvalidEventPattern($"Unrecognized match type {kind}"),
                };
            case JsonObject:
                throw EventsErrors.InvalidEventPattern("a match expression must be an object with exactly one key");
            default:
                throw EventsErrors.InvalidEventPattern("Match value must be String, number, true, false, or null");
        }
    }

    private static string RequiredString(string kind, JsonNode? operand) =>
        operand is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw EventsErrors.InvalidEventPattern($"{kind} match pattern must be a string.");

    private static Matcher Affix(string kind, JsonNode? operand, bool prefix)
    {
        if (operand is JsonObject { Count: 1 } ignoreCase && ignoreCase["equals-ignore-case"] is { } inner)
            return new AffixMatch(RequiredString(kind, inner), prefix, StringComparison.OrdinalIgnoreCase);
        return new AffixMatch(RequiredString(kind, operand), prefix, StringComparison.Ordinal);
    }

    private static Matcher AnythingBut(JsonNode? operand) => operand switch
    {
        JsonArray values when values.Count > 0 && values.All(v => v is JsonValue s && s.GetValueKind() is JsonValueKind.String or JsonValueKind.Number) =>
            new Not(new AnyMatcher([.. values.Select(v => (Matcher)new Exact(v!.AsValue()))])),
        JsonArray => throw EventsErrors.InvalidEventPattern("Inside anything but list, start|null|boolean is not supported."),
        JsonValue v when v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number => new Not(new Exact(v)),
        JsonObject { Count: 1 } obj => obj.First() switch
        {
            ("prefix", var p) => new Not(Affix("prefix", p, prefix: true)),
            ("suffix", var s) => new Not(Affix("suffix", s, prefix: false)),
            ("wildcard", var w) => new Not(new Wildcard(RequiredString("wildcard", w))),
            ("equals-ignore-case", JsonArray list) => new Not(new AnyMatcher([.. list.Select(i => (Matcher)new IgnoreCase(RequiredString("equals-ignore-case", i)))])),
            ("equals-ignore-case", var e) => new Not(new IgnoreCase(RequiredString("equals-ignore-case", e))),
            var (k, _) => throw EventsErrors.InvalidEventPattern($"Unsupported anything-but pattern: {k}"),
        },
        _ => throw EventsErrors.InvalidEventPattern("Value of anything-but must be an array or single string/number value."),
    };

    private abstract class Node
    {
        /// <param name="present">False when the event has no such field (exists:false then matches).</param>
        public abstract bool Matches(JsonNode? value, bool present);
    }

    private sealed class Fields(List<(string Name, Node Node)> fields, List<Node> alternatives) : Node
    {
        public override bool Matches(JsonNode? value, bool present)
        {
            var obj = value as JsonObject;
            foreach (var (name, node) in fields)
            {
                JsonNode? field = null;
                var has = obj is not null && obj.TryGetPropertyValue(name, out field);
                if (!node.Matches(field, has)) return false;
            }
            return alternatives.All(a => a.Matches(value, present));
        }
    }

    private sealed class AnyOf(List<Node> options) : Node
    {
        public override bool Matches(JsonNode? value, bool present) => options.Any(o => o.Matches(value, present));
    }

    private sealed class Leaf(List<Matcher> matchers) : Node
    {
        public override bool Matches(JsonNode? value, bool present)
        {
            if (!present) return matchers.Any(m => m is Exists { Expected: false });
            // A field holding an array matches when any of its elements does; an empty array matches nothing but exists:true.
            if (value is JsonArray items)
                return matchers.Any(m => m is Exists { Expected: true } || items.Any(item => item is not JsonObject and not JsonArray && m.Matches(item)));
            if (value is JsonObject) return matchers.Any(m => m is Exists { Expected: true });
            return matchers.Any(m => m.Matches(value));
        }
    }

    private abstract class Matcher
    {
        /// <summary>Matches one scalar (string, number, boolean or null) the event holds.</summary>
        public abstract bool Matches(JsonNode? scalar);

        protected static string? Text(JsonNode? scalar) =>
            scalar is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

        /// <summary>A number the event holds; one beyond double's range (1e400) matches no numeric matcher rather than failing.</summary>
        protected static double? Number(JsonNode? scalar) =>
            scalar is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var n) && double.IsFinite(n) ? n : null;

        /// <summary>A number a pattern states, refused as AWS refuses numbers it cannot represent.</summary>
        public static double PatternNumber(JsonValue value) =>
            value.TryGetValue<double>(out var n) && double.IsFinite(n) ? n : throw EventsErrors.InvalidEventPattern("Value is not a valid number: " + value.ToJsonString());
    }

    private sealed class Exact(JsonValue? expected) : Matcher
    {
        private readonly JsonValueKind _kind = expected?.GetValueKind() ?? JsonValueKind.Null;
        private readonly string? _text = expected?.GetValueKind() == JsonValueKind.String ? expected.GetValue<string>() : null;
        private readonly double? _number = expected?.GetValueKind() == JsonValueKind.Number ? PatternNumber(expected) : null;

        public override bool Matches(JsonNode? scalar) => _kind switch
        {
            JsonValueKind.Null => scalar is null,
            JsonValueKind.String => Text(scalar) == _text,
            JsonValueKind.Number => Number(scalar) == _number,
            _ => scalar is JsonValue v && v.GetValueKind() == _kind,
        };
    }

    private sealed class AffixMatch(string affix, bool prefix, StringComparison comparison) : Matcher
    {
        public override bool Matches(JsonNode? scalar) => Text(scalar) is { } s
            && (prefix ? s.StartsWith(affix, comparison) : s.EndsWith(affix, comparison));
    }

    private sealed class IgnoreCase(string expected) : Matcher
    {
        public override bool Matches(JsonNode? scalar) => string.Equals(Text(scalar), expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>'*' stands for any run of characters; "\*" is a literal star.</summary>
    private sealed class Wildcard : Matcher
    {
        private readonly List<string> _parts;

        public Wildcard(string pattern)
        {
            if (pattern.Contains("**", StringComparison.Ordinal))
                throw EventsErrors.InvalidEventPattern("Consecutive wildcard characters at pos " + pattern.IndexOf("**", StringComparison.Ordinal));
            _parts = [];
            var current = new System.Text.StringBuilder();
            for (var i = 0; i < pattern.Length; i++)
            {
                if (pattern[i] == '\\' && i + 1 < pattern.Length && pattern[i + 1] is '*' or '\\') { current.Append(pattern[++i]); continue; }
                if (pattern[i] == '*') { _parts.Add(current.ToString()); current.Clear(); continue; }
                current.Append(pattern[i]);
            }
            _parts.Add(current.ToString());
        }

        public override bool Matches(JsonNode? scalar)
        {
            if (Text(scalar) is not { } s) return false;
            if (_parts.Count == 1) return s == _parts[0];
            if (!s.StartsWith(_parts[0], StringComparison.Ordinal)) return false;
            var position = _parts[0].Length;
            for (var i = 1; i < _parts.Count - 1; i++)
            {
                var found = s.IndexOf(_parts[i], position, StringComparison.Ordinal);
                if (found < 0) return false;
                position = found + _parts[i].Length;
            }
            var last = _parts[^1];
            return s.Length - position >= last.Length && s.EndsWith(last, StringComparison.Ordinal);
        }
    }

    private sealed class Exists(bool expected) : Matcher
    {
        public bool Expected { get; } = expected;

        // Leaf decides presence; a present scalar satisfies exists:true only.
        public override bool Matches(JsonNode? scalar) => Expected;
    }

    private sealed class Not(Matcher inner) : Matcher
    {
        // anything-but never matches an absent field, nor a value of another kind than its operands hold null for.
        public override bool Matches(JsonNode? scalar) => scalar is not null && !inner.Matches(scalar);
    }

    private sealed class AnyMatcher(List<Matcher> matchers) : Matcher
    {
        public override bool Matches(JsonNode? scalar) => matchers.Any(m => m.Matches(scalar));
    }

    private sealed class Numeric(List<(string Op, double Value)> bounds) : Matcher
    {
        public static Numeric Parse(JsonNode? operand)
        {
            if (operand is not JsonArray list || list.Count is not (2 or 4))
                throw EventsErrors.InvalidEventPattern("Value of numeric must be an array of one or two comparisons.");
            var bounds = new List<(string, double)>();
            for (var i = 0; i < list.Count; i += 2)
            {
                var op = list[i] is JsonValue o && o.GetValueKind() == JsonValueKind.String ? o.GetValue<string>() : null;
                if (op is not ("<" or "<=" or "=" or ">" or ">="))
                    throw EventsErrors.InvalidEventPattern($"Unrecognized numeric range operator: {list[i]?.ToJsonString()}");
                if (list[i + 1] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
                    throw EventsErrors.InvalidEventPattern($"Value of {op} must be a number.");
                bounds.Add((op, PatternNumber(v)));
            }
            if (bounds.Count == 2 && (bounds[0].Item1 is "=" || bounds[1].Item1 is "=" || bounds[0].Item1[0] == bounds[1].Item1[0]))
                throw EventsErrors.InvalidEventPattern("Bad numeric range operator: a range takes one lower and one upper bound.");
            return new Numeric(bounds);
        }

        public override bool Matches(JsonNode? scalar) => Number(scalar) is { } n && bounds.All(b => b.Op switch
        {
            "<" => n < b.Value,
            "<=" => n <= b.Value,
            "=" => n == b.Value,
            ">" => n > b.Value,
            _ => n >= b.Value,
        });
    }

    private sealed class Cidr(IPNetwork network) : Matcher
    {
        public static Cidr Parse(JsonNode? operand) =>
            operand is JsonValue v && v.GetValueKind() == JsonValueKind.String && IPNetwork.TryParse(v.GetValue<string>(), out var network)
                ? new Cidr(network)
                : throw EventsErrors.InvalidEventPattern("Nonstandard IP address: " + operand?.ToJsonString());

        public override bool Matches(JsonNode? scalar) => Text(scalar) is { } s && IPAddress.TryParse(s, out var address) && network.Contains(address);
    }
}
