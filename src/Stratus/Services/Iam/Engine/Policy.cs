using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Stratus.Services.Iam.Engine;

public enum StatementEffect { Allow, Deny }

/// <summary>Where a statement sits in its document, as SimulatePrincipalPolicy reports it (1-based line and column).</summary>
public sealed record TextPosition(int Line, int Column);

/// <summary>One condition of a statement: an operator (with its set prefix and IfExists), a key and the values it is compared with.</summary>
public sealed record PolicyCondition(string Operator, string Key, IReadOnlyList<string> Values);

/// <summary>Who a resource or trust policy statement names: "*" for anyone, else ARNs, account ids, service or federated principals.</summary>
public sealed record PolicyPrincipals(bool Anyone, IReadOnlyList<string> Values);

public sealed record PolicyStatement
{
    public string? Sid { get; init; }
    public required StatementEffect Effect { get; init; }
    public IReadOnlyList<string>? Actions { get; init; }
    public IReadOnlyList<string>? NotActions { get; init; }
    public IReadOnlyList<string>? Resources { get; init; }
    public IReadOnlyList<string>? NotResources { get; init; }
    public PolicyPrincipals? Principal { get; init; }
    public PolicyPrincipals? NotPrincipal { get; init; }
    public IReadOnlyList<PolicyCondition> Conditions { get; init; } = [];
    public required TextPosition Start { get; init; }
    public required TextPosition End { get; init; }
}

/// <summary>
/// A parsed policy document: its statements, and whether policy variables apply (version 2012-10-17 only,
/// as AWS documents: in older documents "${aws:username}" is literal text). Parsed documents are cached
/// by text, so evaluating the same stored policy on every request parses it once.
/// </summary>
public sealed class Policy
{
    private static readonly ConcurrentDictionary<string, Policy> Parsed = new(StringComparer.Ordinal);
    private const int MaxCached = 4096;

    public required IReadOnlyList<PolicyStatement> Statements { get; init; }
    public bool VariablesApply { get; init; }

    /// <summary>Parses a document PolicyDocument.Validate has accepted.</summary>
    public static Policy Parse(string document)
    {
        if (Parsed.TryGetValue(document, out var cached)) return cached;
        var policy = ParseUncached(document);
        if (Parsed.Count >= MaxCached) Parsed.Clear();
        Parsed[document] = policy;
        return policy;
    }

    private static Policy ParseUncached(string document)
    {
        using var json = JsonDocument.Parse(document);
        var root = json.RootElement;
        var spans = StatementSpans(document);
        var statementNode = root.GetProperty("Statement");
        var nodes = statementNode.ValueKind == JsonValueKind.Array ? statementNode.EnumerateArray().ToList() : [statementNode];
        var lines = new LineIndex(document);
        var statements = nodes.Select((s, i) => ReadStatement(s,
            i < spans.Count ? lines.At(spans[i].Start) : new TextPosition(1, 1),
            i < spans.Count ? lines.At(spans[i].End) : new TextPosition(1, 1))).ToList();
        return new Policy
        {
            Statements = statements,
            VariablesApply = root.TryGetProperty("Version", out var v) && v.ValueKind == JsonValueKind.String && v.GetString() == "2012-10-17",
        };
    }

    private static PolicyStatement ReadStatement(JsonElement s, TextPosition start, TextPosition end) => new()
    {
        Sid = s.TryGetProperty("Sid", out var sid) && sid.ValueKind == JsonValueKind.String ? sid.GetString() : null,
        Effect = s.GetProperty("Effect").GetString() == "Deny" ? StatementEffect.Deny : StatementEffect.Allow,
        Actions = StringsOf(s, "Action"),
        NotActions = StringsOf(s, "NotAction"),
        Resources = StringsOf(s, "Resource"),
        NotResources = StringsOf(s, "NotResource"),
        Principal = PrincipalsOf(s, "Principal"),
        NotPrincipal = PrincipalsOf(s, "NotPrincipal"),
        Conditions = s.TryGetProperty("Condition", out var c) && c.ValueKind == JsonValueKind.Object
            ? c.EnumerateObject().Where(op => op.Value.ValueKind == JsonValueKind.Object)
                .SelectMany(op => op.Value.EnumerateObject().Select(k => new PolicyCondition(op.Name, k.Name, Values(k.Value)))).ToList()
            : [],
        Start = start,
        End = end,
    };

    private static List<string>? StringsOf(JsonElement statement, string name) =>
        statement.TryGetProperty(name, out var value) ? Values(value) : null;

    /// <summary>A string, a number, a boolean or a list of them, as text (condition values may be written unquoted).</summary>
    public static List<string> Values(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => value.EnumerateArray().SelectMany(Values).ToList(),
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.True => ["true"],
        JsonValueKind.False => ["false"],
        JsonValueKind.Number => [value.GetRawText()],
        _ => [],
    };

    private static PolicyPrincipals? PrincipalsOf(JsonElement statement, string name)
    {
        if (!statement.TryGetProperty(name, out var p)) return null;
        if (p.ValueKind == JsonValueKind.String) return new PolicyPrincipals(p.GetString() == "*", [p.GetString()!]);
        if (p.ValueKind != JsonValueKind.Object) return new PolicyPrincipals(false, []);
        var values = p.EnumerateObject().SelectMany(kind => Values(kind.Value)).ToList();
        return new PolicyPrincipals(values.Contains("*"), values);
    }

    /// <summary>The character offsets where each statement object starts and ends in the document.</summary>
    private static List<(int Start, int End)> StatementSpans(string document)
    {
        var bytes = Encoding.UTF8.GetBytes(document);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        var spans = new List<(int, int)>();
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1 || !reader.ValueTextEquals("Statement")) continue;
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject) spans.Add(Span(ref reader, bytes));
            else if (reader.TokenType == JsonTokenType.StartArray)
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    if (reader.TokenType == JsonTokenType.StartObject) spans.Add(Span(ref reader, bytes));
                    else reader.Skip();
            break;
        }
        return spans;
    }

    private static (int, int) Span(ref Utf8JsonReader reader, byte[] bytes)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var end = (int)reader.TokenStartIndex + 1;
        return (Encoding.UTF8.GetCharCount(bytes, 0, start), Encoding.UTF8.GetCharCount(bytes, 0, end));
    }

    private sealed class LineIndex(string text)
    {
        private readonly List<int> _lineStarts = [0, .. text.Select((c, i) => (c, i)).Where(x => x.c == '\n').Select(x => x.i + 1)];

        public TextPosition At(int offset)
        {
            var line = _lineStarts.BinarySearch(offset);
            if (line < 0) line = ~line - 1;
            return new TextPosition(line + 1, offset - _lineStarts[line] + 1);
        }
    }
}
