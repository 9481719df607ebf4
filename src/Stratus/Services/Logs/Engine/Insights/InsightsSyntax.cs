using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine.Insights;

/// <summary>A Logs Insights query that failed to parse, with where (AWS's MalformedQueryException wording).</summary>
public sealed class InsightsSyntaxException(string message, int start, int end) : Exception(message)
{
    public int Start { get; } = start;
    public int End { get; } = end;
}

public abstract record InsightsExpr;
public sealed record FieldRef(string Name) : InsightsExpr;
public sealed record Literal(object? Value) : InsightsExpr;
public sealed record RegexLiteral(Regex Pattern) : InsightsExpr;
public sealed record Unary(string Op, InsightsExpr Operand) : InsightsExpr;
public sealed record Binary(string Op, InsightsExpr Left, InsightsExpr Right) : InsightsExpr;
public sealed record InList(InsightsExpr Value, IReadOnlyList<InsightsExpr> Items, bool Negated) : InsightsExpr;
public sealed record Call(string Function, IReadOnlyList<InsightsExpr> Args) : InsightsExpr;

/// <summary>An expression with the name its value goes by in the results (its alias, or its text as written).</summary>
public sealed record Projection(InsightsExpr Expr, string Name);

public abstract record InsightsCommand;
public sealed record FieldsCommand(IReadOnlyList<Projection> Fields) : InsightsCommand;
/// <summary>filter, or filterIndex when <paramref name="Index"/> is set: the same condition, which an index may also answer.</summary>
public sealed record FilterCommand(InsightsExpr Condition, IndexLookup? Index = null) : InsightsCommand;

/// <summary>filterIndex's condition, <c>field = value</c> or <c>field in [values]</c>: the values a field index is asked for.</summary>
public sealed record IndexLookup(string Field, IReadOnlyList<object> Values);
public sealed record StatsCommand(IReadOnlyList<Projection> Aggregates, IReadOnlyList<Projection> GroupBy) : InsightsCommand;
public sealed record SortCommand(IReadOnlyList<(InsightsExpr Key, bool Descending)> Keys) : InsightsCommand;
public sealed record LimitCommand(int Count) : InsightsCommand;
/// <summary>parse: each of <paramref name="Names"/> takes the pattern's capture at the same index.</summary>
public sealed record ParseCommand(InsightsExpr Source, ParsePattern Pattern, IReadOnlyList<string> Names) : InsightsCommand;

/// <summary>What parse matches a value with: one capture per field name, null where a capture took no part.</summary>
public abstract class ParsePattern
{
    /// <summary>Fills <paramref name="captures"/> (one per field name) and answers whether the value matched.</summary>
    public abstract bool Match(string value, string?[] captures);
}

/// <summary>parse with a regular expression: its named groups, in the order the query's field names were taken from.</summary>
public sealed class RegexParsePattern(Regex regex, IReadOnlyList<string> groups) : ParsePattern
{
    public Regex Regex { get; } = regex;

    public override bool Match(string value, string?[] captures)
    {
        var match = Regex.Match(value);
        for (var i = 0; i < groups.Count; i++)
            captures[i] = match.Success && match.Groups[groups[i]] is { Success: true } group ? group.Value : null;
        return match.Success;
    }
}

/// <summary>
/// parse with a glob ("user=* took * ms"): each wildcard takes the text up to the next literal part's first occurrence
/// after it, and a trailing wildcard the rest of the value. That is the match a regular expression of lazy captures finds
/// (leftmost, each capture shortest): a later start can only find the later parts later, so if the first occurrences
/// fail every other choice fails too. Ordinal searches find it without a backtracking matcher or a timeout.
/// </summary>
public sealed class GlobParsePattern(string glob) : ParsePattern
{
    private readonly string[] _parts = glob.Split('*');

    public override bool Match(string value, string?[] captures)
    {
        var at = value.IndexOf(_parts[0], StringComparison.Ordinal);
        if (at < 0) return false;
        at += _parts[0].Length;
        for (var i = 1; i < _parts.Length; i++)
        {
            var part = _parts[i];
            if (i == _parts.Length - 1 && part.Length == 0)
            {
                captures[i - 1] = value[at..];
                return true;
            }
            var next = value.IndexOf(part, at, StringComparison.Ordinal);
            if (next < 0) return false;
            captures[i - 1] = value[at..next];
            at = next + part.Length;
        }
        return true;
    }
}
public sealed record DisplayCommand(IReadOnlyList<string> Fields) : InsightsCommand;
public sealed record DedupCommand(IReadOnlyList<string> Fields) : InsightsCommand;

/// <summary>
/// lookup TABLE lookup-field [as log-field], ... OUTPUT output-field, ...: each row whose log fields equal (exactly, case
/// sensitively) a table row's lookup fields gets that row's output fields, replacing fields of the same name, as AWS documents.
/// <see cref="Table"/> is the table's content, given by the service before the query runs (the parser knows only its name).
/// </summary>
public sealed record LookupCommand(string TableName, IReadOnlyList<(string TableField, string LogField)> Keys, IReadOnlyList<string> Outputs) : InsightsCommand
{
    public LookupTableData? Table { get; init; }
}

/// <summary>A lookup table's rows by the values of the fields a lookup matches on (the first row of equal values wins), and the output columns.</summary>
public sealed class LookupTableData(IReadOnlyDictionary<string, string[]> rowsByKey, IReadOnlyList<int> outputColumns)
{
    public IReadOnlyDictionary<string, string[]> RowsByKey { get; } = rowsByKey;
    public IReadOnlyList<int> OutputColumns { get; } = outputColumns;

    /// <summary>The key of a row's values, compared ordinally: joined by U+001F, which the service refuses in a table's values.</summary>
    public static string Key(IEnumerable<string> values) => string.Join('\u001f', values);
}

/// <param name="Commands">The commands, in order.</param>
public sealed record InsightsQuery(IReadOnlyList<InsightsCommand> Commands)
{
    /// <summary>Whether the query shows unmasked values (unmask()), which needs logs:Unmask as the API's unmask parameter does.</summary>
    public bool Unmasks { get; init; }

    /// <summary>
    /// The filterIndex lookups a field index can answer: those before any command that sets or renames fields (only filters
    /// and plain <c>fields a, b</c> come before them), so the field they name is the event's own.
    /// </summary>
    public IReadOnlyList<IndexLookup> IndexLookups() =>
        Commands.TakeWhile(c => c is FilterCommand || (c is FieldsCommand fields && fields.Fields.All(f => f.Expr is FieldRef r && r.Name == f.Name)))
            .OfType<FilterCommand>().Select(f => f.Index).OfType<IndexLookup>().ToList();
}

/// <summary>
/// The Logs Insights query language: commands separated by pipes, parsed by recursive descent with a bound on
/// nesting (<see cref="MaxDepth"/>) and on the query's length (AWS's 10000 characters), so no query can exhaust
/// the stack or memory. Regular expressions run with a match timeout for the same reason.
/// </summary>
public sealed class InsightsParser
{
    public const int MaxQueryLength = 10_000;
    public const int MaxDepth = 64;
    public const int MaxLimit = 10_000;
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    public static readonly IReadOnlySet<string> Aggregates = new HashSet<string> { "count", "sum", "avg", "min", "max", "pct", "count_distinct" };
    public static readonly IReadOnlySet<string> Functions = new HashSet<string>
        { "ispresent", "isempty", "strlen", "tolower", "toupper", "concat", "abs", "floor", "ceil", "bin", "unmask" };

    private enum Kind { Word, Number, String, Regex, Symbol, End }
    private sealed record Token(Kind Kind, string Text, int Start, int End, object? Value = null);

    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _at;
    private int _depth;
    private bool _inStats;
    private bool _unmasks;

    private InsightsParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public static InsightsQuery Parse(string text)
    {
        if (text.Length > MaxQueryLength)
            throw new InsightsSyntaxException($"Query string exceeds the maximum length of {MaxQueryLength} characters", 0, text.Length);
        return new InsightsParser(text).Query();
    }

    private InsightsQuery Query()
    {
        var commands = new List<InsightsCommand> { Command() };
        while (Peek.Kind != Kind.End)
        {
            Expect("|");
            commands.Add(Command());
        }
        return new InsightsQuery(commands) { Unmasks = _unmasks };
    }

    private InsightsCommand Command()
    {
        var word = Next();
        if (word.Kind != Kind.Word) throw Unexpected(word);
        switch (word.Text.ToLowerInvariant())
        {
            case "fields": return new FieldsCommand(List(Projection));
            case "filter": return new FilterCommand(Expression());
            case "filterindex": return FilterIndex(word);
            case "stats":
                _inStats = true;
                var aggregates = List(Projection);
                _inStats = false;
                if (!aggregates.Any(a => ContainsAggregate(a.Expr))) throw new InsightsSyntaxException("stats requires at least one aggregate function", word.Start, word.End);
                var by = new List<Projection>();
                if (IsWord("by"))
                {
                    _at++;
                    by = List(Projection);
                }
                return new StatsCommand(aggregates, by);
            case "sort": return new SortCommand(List(SortKey));
            case "limit":
                var count = Next();
                if (count.Kind != Kind.Number || count.Value is not double n || n != Math.Floor(n) || n < 1 || n > MaxLimit)
                    throw new InsightsSyntaxException($"limit must be an integer between 1 and {MaxLimit}", count.Start, count.End);
                return new LimitCommand((int)n);
            case "parse": return Parse();
            case "display": return new DisplayCommand(List(FieldName));
            case "dedup": return new DedupCommand(List(FieldName));
            case "lookup": return Lookup();
            default: throw Unexpected(word);
        }
    }

    /// <summary>
    /// filterIndex takes what AWS documents it with, a field compared with = to a value or with in to a list of values, so
    /// that a field index can answer it; its rows are the same as filter's for the same condition.
    /// </summary>
    private FilterCommand FilterIndex(Token word)
    {
        var condition = Expression();
        IndexLookup? lookup = condition switch
        {
            Binary { Op: "=", Left: FieldRef field, Right: Literal { Value: { } value } } => new IndexLookup(field.Name, [value]),
            InList { Negated: false, Value: FieldRef field, Items: var items } when items.All(i => i is Literal { Value: not null }) =>
                new IndexLookup(field.Name, [.. items.Select(i => ((Literal)i).Value!)]),
            _ => null,
        };
        return lookup is null
            ? throw new InsightsSyntaxException($"filterIndex takes a field compared with = or in to values, at line {Line(word.Start)} and position {Column(word.Start)}",
                word.Start, _tokens[_at - 1].End)
            : new FilterCommand(condition, lookup);
    }

    private LookupCommand Lookup()
    {
        var table = Next();
        if (table.Kind != Kind.Word) throw Unexpected(table);
        var keys = List(() =>
        {
            var tableField = FieldName();
            if (!IsWord("as")) return (tableField, tableField);
            _at++;
            return (tableField, FieldName());
        });
        if (!IsWord("output")) throw Unexpected(Peek);
        _at++;
        return new LookupCommand(table.Text, keys, List(FieldName));
    }

    private ParseCommand Parse()
    {
        InsightsExpr source = new FieldRef("@message");
        if (Peek.Kind == Kind.Word) source = new FieldRef(FieldName());
        var pattern = Next();
        if (pattern.Kind == Kind.Regex)
        {
            var regex = (Regex)pattern.Value!;
            var names = regex.GetGroupNames().Where(n => !int.TryParse(n, out _)).ToList();
            if (names.Count == 0) throw new InsightsSyntaxException("parse with a regular expression requires named capture groups", pattern.Start, pattern.End);
            return new ParseCommand(source, new RegexParsePattern(regex, names), names);
        }
        if (pattern.Kind != Kind.String) throw Unexpected(pattern);
        if (!IsWord("as")) throw Unexpected(Peek);
        _at++;
        var fields = List(FieldName);
        var glob = (string)pattern.Value!;
        var stars = glob.Count(c => c == '*');
        if (stars != fields.Count)
            throw new InsightsSyntaxException($"parse pattern has {stars} wildcards but {fields.Count} field names", pattern.Start, pattern.End);
        return new ParseCommand(source, new GlobParsePattern(glob), fields);
    }

    private (InsightsExpr, bool) SortKey()
    {
        var key = Expression();
        var descending = false;
        if (IsWord("desc")) { _at++; descending = true; }
        else if (IsWord("asc")) _at++;
        return (key, descending);
    }

    private Projection Projection()
    {
        var start = Peek.Start;
        var expr = Expression();
        var name = _text[start.._tokens[_at - 1].End].Trim();
        if (IsWord("as"))
        {
            _at++;
            name = FieldName();
        }
        else if (expr is FieldRef field) name = field.Name;
        return new Projection(expr, name);
    }

    private string FieldName()
    {
        var token = Next();
        if (token.Kind != Kind.Word || IsKeyword(token.Text)) throw Unexpected(token);
        return token.Text;
    }

    private List<T> List<T>(Func<T> item)
    {
        var items = new List<T> { item() };
        while (Peek is { Kind: Kind.Symbol, Text: "," })
        {
            _at++;
            items.Add(item());
        }
        return items;
    }

    // ---- expressions, lowest precedence first ----

    private InsightsExpr Expression()
    {
        if (++_depth > MaxDepth) throw new InsightsSyntaxException($"Query nesting exceeds the maximum depth of {MaxDepth}", Peek.Start, Peek.End);
        try
        {
            return Or();
        }
        finally
        {
            _depth--;
        }
    }

    private InsightsExpr Or()
    {
        var left = And();
        while (IsWord("or") || Peek is { Kind: Kind.Symbol, Text: "||" })
        {
            _at++;
            left = new Binary("or", left, And());
        }
        return left;
    }

    private InsightsExpr And()
    {
        var left = Not();
        while (IsWord("and") || Peek is { Kind: Kind.Symbol, Text: "&&" })
        {
            _at++;
            left = new Binary("and", left, Not());
        }
        return left;
    }

    private InsightsExpr Not()
    {
        if (IsWord("not") || Peek is { Kind: Kind.Symbol, Text: "!" })
        {
            _at++;
            if (++_depth > MaxDepth) throw new InsightsSyntaxException($"Query nesting exceeds the maximum depth of {MaxDepth}", Peek.Start, Peek.End);
            try
            {
                return new Unary("not", Not());
            }
            finally
            {
                _depth--;
            }
        }
        return Comparison();
    }

    private InsightsExpr Comparison()
    {
        var left = Additive();
        var negated = false;
        if (IsWord("not") && _tokens[_at + 1] is { Kind: Kind.Word } following && following.Text.ToLowerInvariant() is "in" or "like")
        {
            _at++;
            negated = true;
        }
        if (IsWord("in"))
        {
            _at++;
            Expect("[");
            var items = Peek is { Kind: Kind.Symbol, Text: "]" } ? [] : List(Additive);
            Expect("]");
            return new InList(left, items, negated);
        }
        if (IsWord("like") || Peek is { Kind: Kind.Symbol, Text: "=~" })
        {
            var op = Next();
            var pattern = Next();
            InsightsExpr match = pattern.Kind switch
            {
                Kind.Regex => new RegexLiteral((Regex)pattern.Value!),
                Kind.String when op.Text != "=~" => new Literal(pattern.Value),
                _ => throw Unexpected(pattern),
            };
            var like = new Binary("like", left, match);
            return negated ? new Unary("not", like) : like;
        }
        if (negated) throw Unexpected(Peek);
        if (Peek is { Kind: Kind.Symbol, Text: "=" or "==" or "!=" or "<" or "<=" or ">" or ">=" })
        {
            var op = Next().Text;
            return new Binary(op == "==" ? "=" : op, left, Additive());
        }
        return left;
    }

    private InsightsExpr Additive()
    {
        var left = Multiplicative();
        while (Peek is { Kind: Kind.Symbol, Text: "+" or "-" })
            left = new Binary(Next().Text, left, Multiplicative());
        return left;
    }

    private InsightsExpr Multiplicative()
    {
        var left = Primary();
        while (Peek is { Kind: Kind.Symbol, Text: "*" or "/" or "%" })
            left = new Binary(Next().Text, left, Primary());
        return left;
    }

    private InsightsExpr Primary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case Kind.Number:
            case Kind.String:
                return new Literal(token.Value);
            case Kind.Symbol when token.Text == "(":
                var inner = Expression();
                Expect(")");
                return inner;
            case Kind.Symbol when token.Text == "-":
                return new Unary("-", Primary());
            case Kind.Word when Peek is { Kind: Kind.Symbol, Text: "(" }:
                return Call(token);
            case Kind.Word when !IsKeyword(token.Text):
                return new FieldRef(token.Text);
            default:
                throw Unexpected(token);
        }
    }

    private InsightsExpr Call(Token name)
    {
        var function = name.Text.ToLowerInvariant();
        if (!Aggregates.Contains(function) && !Functions.Contains(function))
            throw new InsightsSyntaxException($"unknown function {name.Text} at line {Line(name.Start)} and position {Column(name.Start)}", name.Start, name.End);
        if (Aggregates.Contains(function) && !_inStats)
            throw new InsightsSyntaxException($"aggregate function {name.Text} is only allowed in stats, at line {Line(name.Start)} and position {Column(name.Start)}", name.Start, name.End);
        Expect("(");
        var args = new List<InsightsExpr>();
        if (function is "count" or "count_distinct" && Peek is { Kind: Kind.Symbol, Text: "*" })
        {
            _at++;
            args.Add(new Literal("*"));
        }
        else if (function == "bin")
        {
            var period = Next();
            if (period.Kind != Kind.Word || BinPeriod(period.Text) is not { } ms) throw Unexpected(period);
            args.Add(new Literal(ms));
        }
        else if (Peek is not { Kind: Kind.Symbol, Text: ")" })
            args.AddRange(List(Expression));
        Expect(")");
        var arity = function switch
        {
            "count" => (0, 1),
            "pct" => (2, 2),
            "concat" => (1, 100),
            _ => (1, 1),
        };
        if (args.Count < arity.Item1 || args.Count > arity.Item2)
            throw new InsightsSyntaxException($"wrong number of arguments to {name.Text} at line {Line(name.Start)} and position {Column(name.Start)}", name.Start, _tokens[_at - 1].End);
        if (function == "unmask")
        {
            // unmask(@message): shows a field as stored, before data protection masked it; it names a field, nothing computed.
            if (args[0] is not FieldRef)
                throw new InsightsSyntaxException($"unmask takes a field name, at line {Line(name.Start)} and position {Column(name.Start)}", name.Start, _tokens[_at - 1].End);
            _unmasks = true;
        }
        return new Call(function, args);
    }

    /// <summary>bin()'s period in milliseconds: a number and a unit (ms, s, m, h, d, w), as AWS accepts them.</summary>
    private static double? BinPeriod(string text)
    {
        var match = Regex.Match(text, "^([0-9]+)(ms|s|sec|m|min|h|hr|d|w)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var n) || n is <= 0 or > 100_000) return null;
        long unit = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "ms" => 1, "s" or "sec" => 1_000, "m" or "min" => 60_000, "h" or "hr" => 3_600_000, "d" => 86_400_000, _ => 7 * 86_400_000L,
        };
        return n * unit;
    }

    private static bool ContainsAggregate(InsightsExpr expr) => expr switch
    {
        Call c => Aggregates.Contains(c.Function) || c.Args.Any(ContainsAggregate),
        Binary b => ContainsAggregate(b.Left) || ContainsAggregate(b.Right),
        Unary u => ContainsAggregate(u.Operand),
        _ => false,
    };

    private static bool IsKeyword(string word) => word.ToLowerInvariant() is "and" or "or" or "not" or "in" or "like" or "as" or "by" or "asc" or "desc";

    private bool IsWord(string word) => Peek.Kind == Kind.Word && string.Equals(Peek.Text, word, StringComparison.OrdinalIgnoreCase);

    private Token Peek => _tokens[_at];

    private Token Next() => _tokens[_at] is { Kind: Kind.End } end ? end : _tokens[_at++];

    private void Expect(string symbol)
    {
        var token = Next();
        if (token.Kind != Kind.Symbol || token.Text != symbol) throw Unexpected(token);
    }

    /// <summary>AWS's compile error wording: "unexpected symbol found X at line L and position P".</summary>
    private InsightsSyntaxException Unexpected(Token token) => token.Kind == Kind.End
        ? new InsightsSyntaxException($"unexpected end of query at line {Line(token.Start)} and position {Column(token.Start)}", token.Start, token.Start)
        : new InsightsSyntaxException($"unexpected symbol found {token.Text} at line {Line(token.Start)} and position {Column(token.Start)}", token.Start, token.End);

    private int Line(int offset) => 1 + _text.AsSpan(0, Math.Min(offset, _text.Length)).Count('\n');

    private int Column(int offset) => offset - (_text.LastIndexOf('\n', Math.Max(0, Math.Min(offset, _text.Length) - 1)) + 1);

    // ---- tokens ----

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#')
            {
                // A comment runs to the end of its line.
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            var start = i;
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
                var end = i;
                while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
                if (i > end)
                {
                    // A duration such as 5m, read as a word for bin().
                    tokens.Add(new Token(Kind.Word, text[start..i], start, i));
                    continue;
                }
                if (!double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    throw new InsightsSyntaxException($"unexpected symbol found {text[start..i]} at line 1 and position {start}", start, i);
                tokens.Add(new Token(Kind.Number, text[start..i], start, i, number));
            }
            else if (char.IsAsciiLetter(c) || c is '@' or '_' or '$')
            {
                // Nested JSON fields are written a.b; names with other characters are quoted with backticks.
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '@' or '_' or '$' or '.')) i++;
                tokens.Add(new Token(Kind.Word, text[start..i], start, i));
            }
            else if (c == '`')
            {
                var close = text.IndexOf('`', i + 1);
                if (close < 0) throw new InsightsSyntaxException($"unterminated quoted field name at position {start}", start, text.Length);
                tokens.Add(new Token(Kind.Word, text[(i + 1)..close], start, close + 1));
                i = close + 1;
            }
            else if (c is '"' or '\'')
            {
                var value = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
                if (i >= text.Length) throw new InsightsSyntaxException($"unterminated string starting at position {start}", start, text.Length);
                i++;
                tokens.Add(new Token(Kind.String, text[start..i], start, i, value.ToString()));
            }
            else if (c == '/' && ExpectsOperand(tokens))
            {
                var pattern = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '/')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '/') i++;
                    else if (text[i] == '\\' && i + 1 < text.Length) pattern.Append(text[i++]);
                    pattern.Append(text[i++]);
                }
                if (i >= text.Length) throw new InsightsSyntaxException($"unterminated regular expression starting at position {start}", start, text.Length);
                i++;
                var options = RegexOptions.CultureInvariant;
                if (i < text.Length && text[i] == 'i') { options |= RegexOptions.IgnoreCase; i++; }
                Regex regex;
                try
                {
                    regex = new Regex(pattern.ToString(), options, RegexTimeout);
                }
                catch (ArgumentException e)
                {
                    throw new InsightsSyntaxException($"invalid regular expression at position {start}: {e.Message}", start, i);
                }
                tokens.Add(new Token(Kind.Regex, text[start..i], start, i, regex));
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
                var symbol = two is "<=" or ">=" or "!=" or "==" or "=~" or "&&" or "||" ? two : c.ToString();
                if (symbol.Length == 1 && "|,()[]=<>+-*/%!".IndexOf(c) < 0)
                    throw new InsightsSyntaxException($"unexpected symbol found {c} at line {1 + text.AsSpan(0, i).Count('\n')} and position {i - (text.LastIndexOf('\n', Math.Max(0, i - 1)) + 1)}", i, i + 1);
                i += symbol.Length;
                tokens.Add(new Token(Kind.Symbol, symbol, start, i));
            }
        }
        tokens.Add(new Token(Kind.End, "", text.Length, text.Length));
        return tokens;
    }

    /// <summary>Whether a slash starts a regular expression (after an operator, a comma, "like", a parse source) rather than dividing.</summary>
    private static bool ExpectsOperand(List<Token> tokens)
    {
        if (tokens.Count == 0) return true;
        var last = tokens[^1];
        return last.Kind switch
        {
            Kind.Symbol => last.Text is not (")" or "]"),
            Kind.Word => last.Text.ToLowerInvariant() is "like" or "parse" or "filter" or "and" or "or" or "not" || tokens.Count >= 2 && tokens[^2] is { Kind: Kind.Word } before && before.Text.Equals("parse", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }
}
