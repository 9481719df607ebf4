using System.Globalization;
using System.Text;

namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>
/// Parses the Velocity subset API Gateway mapping templates use: references with properties, methods
/// and indexes; #set, #if/#elseif/#else, #foreach, #break, #stop; ## and #* *# comments. A directive alone
/// on its line takes its indentation and line break with it, so templates can be laid out freely.
/// Nesting is bounded (<see cref="MaxNestingDepth"/>), so no template can exhaust the stack.
/// </summary>
internal sealed class VtlParser
{
    /// <summary>
    /// How deep blocks (#if, #foreach) and expressions (parentheses, lists, maps, arguments, negations)
    /// may nest, together. Real templates stay within a handful; each level costs a few stack frames
    /// here and in the evaluator, so this keeps a hostile template far from the end of the stack.
    /// </summary>
    public const int MaxNestingDepth = 100;

    private readonly string _s;
    private int _p;
    private int _depth;

    private VtlParser(string source, int depth) => (_s, _depth) = (source, depth);

    public static IReadOnlyList<VtlNode> Parse(string source) => Parse(source, 0);

    private static IReadOnlyList<VtlNode> Parse(string source, int depth)
    {
        var parser = new VtlParser(source, depth);
        var (nodes, terminator) = parser.ParseNodes();
        if (terminator is not null) throw parser.Error($"#{terminator.Name} without a matching #if or #foreach");
        return nodes;
    }

    /// <summary>Enters one level of nesting, for the length of a using block.</summary>
    private Nesting Nest()
    {
        if (++_depth > MaxNestingDepth) throw Error($"the template nests deeper than {MaxNestingDepth} levels");
        return new Nesting(this);
    }

    private readonly ref struct Nesting(VtlParser parser)
    {
        public void Dispose() => parser._depth--;
    }

    private sealed record Terminator(string Name, VtlExpr? Condition);

    private (List<VtlNode> Nodes, Terminator? Terminator) ParseNodes()
    {
        using var nesting = Nest();
        var nodes = new List<VtlNode>();
        var text = new StringBuilder();
        void Flush()
        {
            if (text.Length > 0) nodes.Add(new TextNode(text.ToString()));
            text.Clear();
        }

        while (_p < _s.Length)
        {
            var c = _s[_p];
            if (c == '\\' && _p + 1 < _s.Length && _s[_p + 1] is '$' or '#')
            {
                text.Append(_s[_p + 1]);
                _p += 2;
                continue;
            }
            if (c == '$' && TryParseReference() is { } reference)
            {
                Flush();
                nodes.Add(reference);
                continue;
            }
            if (c != '#' || _p + 1 >= _s.Length)
            {
                text.Append(c);
                _p++;
                continue;
            }

            var start = _p;
            var atLineStart = IsLineStart(start);
            if (_s[_p + 1] == '#')
            {
                // A line comment takes its line break with it, as in Velocity.
                var end = _s.IndexOf('\n', _p);
                _p = end < 0 ? _s.Length : end + 1;
                if (atLineStart) TrimIndent(text);
                continue;
            }
            if (_s[_p + 1] == '*')
            {
                var end = _s.IndexOf("*#", _p + 2, StringComparison.Ordinal);
                if (end < 0) throw Error("unclosed #* comment");
                _p = end + 2;
                GobbleIfAlone(atLineStart, text);
                continue;
            }

            var name = ReadDirectiveName();
            switch (name)
            {
                case "set":
                    var set = ParseSet();
                    GobbleIfAlone(atLineStart, text);
                    Flush();
                    nodes.Add(set);
                    break;
                case "if":
                    var condition = ParseParenthesized();
                    GobbleIfAlone(atLineStart, text);
                    Flush();
                    nodes.Add(ParseIf(condition));
                    break;
                case "foreach":
                    var (variable, items) = ParseForeachHead();
                    GobbleIfAlone(atLineStart, text);
                    Flush();
                    var (body, end) = ParseNodes();
                    if (end?.Name != "end") throw Error("#foreach without #end");
                    nodes.Add(new ForeachNode(variable, items, body));
                    break;
                case "break" or "stop":
                    GobbleIfAlone(atLineStart, text);
                    Flush();
                    nodes.Add(name == "break" ? new BreakNode() : new StopNode());
                    break;
                case "elseif":
                    var elseIfCondition = ParseParenthesized();
                    GobbleIfAlone(atLineStart, text);
                    Flush();
                    return (nodes, new Terminator(name, elseIfCondition));
                case "else" or "end":
                    GobbleIfAlone(atLineStart, text);
                    Flush();
                    return (nodes, new Terminator(name, null));
                default:
                    _p = start + 1;
                    text.Append('#');
                    break;
            }
        }
        Flush();
        return (nodes, null);
    }

    private IfNode ParseIf(VtlExpr condition)
    {
        var branches = new List<(VtlExpr, IReadOnlyList<VtlNode>)>();
        while (true)
        {
            var (body, end) = ParseNodes();
            branches.Add((condition, body));
            switch (end?.Name)
            {
                case "elseif":
                    condition = end.Condition!;
                    continue;
                case "else":
                    var (elseBody, elseEnd) = ParseNodes();
                    if (elseEnd?.Name != "end") throw Error("#else without #end");
                    return new IfNode(branches, elseBody);
                case "end":
                    return new IfNode(branches, null);
                default:
                    throw Error("#if without #end");
            }
        }
    }

    private string? ReadDirectiveName()
    {
        var p = _p + 1;
        var braced = p < _s.Length && _s[p] == '{';
        if (braced) p++;
        var start = p;
        while (p < _s.Length && char.IsAsciiLetter(_s[p])) p++;
        var name = _s[start..p];
        if (braced)
        {
            if (p >= _s.Length || _s[p] != '}') return null;
            p++;
        }
        else if (name.StartsWith("else", StringComparison.Ordinal) && name is not ("else" or "elseif"))
        {
            name = "else";
            p = start + 4;
        }
        if (name is not ("set" or "if" or "elseif" or "else" or "end" or "foreach" or "break" or "stop")) return null;
        _p = p;
        return name;
    }

    private SetNode ParseSet()
    {
        Expect('(');
        SkipSpace();
        var target = TryParseReference() ?? throw Error("#set needs a $reference to assign");
        SkipSpace();
        Expect('=');
        var value = ParseExpression();
        SkipSpace();
        Expect(')');
        return new SetNode(target.Reference, value);
    }

    private (string, VtlExpr) ParseForeachHead()
    {
        Expect('(');
        SkipSpace();
        var variable = TryParseReference() ?? throw Error("#foreach needs a $variable");
        if (variable.Reference.Accessors.Count > 0) throw Error("#foreach needs a plain $variable");
        SkipSpace();
        if (!TryWord("in")) throw Error("#foreach expects 'in'");
        var items = ParseExpression();
        SkipSpace();
        Expect(')');
        return (variable.Reference.Name, items);
    }

    private VtlExpr ParseParenthesized()
    {
        SkipSpace();
        Expect('(');
        var expr = ParseExpression();
        SkipSpace();
        Expect(')');
        return expr;
    }

    // ---- references ----

    private ReferenceNode? TryParseReference()
    {
        var start = _p;
        var p = _p + 1;
        var silent = p < _s.Length && _s[p] == '!';
        if (silent) p++;
        var braced = p < _s.Length && _s[p] == '{';
        if (braced) p++;
        if (p >= _s.Length || !IsIdentifierStart(_s[p])) return null;
        _p = p;
        var name = ReadIdentifier();
        var accessors = new List<Accessor>();
        while (_p < _s.Length)
        {
            if (_s[_p] == '.' && _p + 1 < _s.Length && IsIdentifierStart(_s[_p + 1]))
            {
                _p++;
                var member = ReadIdentifier();
                if (_p < _s.Length && _s[_p] == '(')
                {
                    _p++;
                    accessors.Add(new MethodAccessor(member, ParseArguments(')')));
                }
                else accessors.Add(new PropertyAccessor(member));
            }
            else if (_s[_p] == '[')
            {
                _p++;
                var index = ParseExpression();
                SkipSpace();
                Expect(']');
                accessors.Add(new IndexAccessor(index));
            }
            else break;
        }
        if (braced)
        {
            if (_p >= _s.Length || _s[_p] != '}') throw Error("${ without a closing }");
            _p++;
        }
        return new ReferenceNode(new ReferenceExpr(name, accessors), silent, _s[start.._p]);
    }

    private List<VtlExpr> ParseArguments(char close)
    {
        var arguments = new List<VtlExpr>();
        SkipSpace();
        if (TryChar(close)) return arguments;
        while (true)
        {
            arguments.Add(ParseExpression());
            SkipSpace();
            if (TryChar(close)) return arguments;
            Expect(',');
        }
    }

    // ---- expressions ----

    private VtlExpr ParseExpression()
    {
        using var nesting = Nest();
        return ParseBinary(0);
    }

    private static readonly string[][] Precedence =
    [
        ["||", "or"],
        ["&&", "and"],
        ["==", "!=", "eq", "ne"],
        ["<=", ">=", "<", ">", "le", "ge", "lt", "gt"],
        ["+", "-"],
        ["*", "/", "%"],
    ];

    private VtlExpr ParseBinary(int level)
    {
        if (level == Precedence.Length) return ParseUnary();
        var left = ParseBinary(level + 1);
        while (true)
        {
            SkipSpace();
            var op = Precedence[level].FirstOrDefault(TryOperator);
            if (op is null) return left;
            left = new BinaryExpr(Canonical(op), left, ParseBinary(level + 1));
        }
    }

    private static string Canonical(string op) => op switch
    {
        "or" => "||", "and" => "&&", "eq" => "==", "ne" => "!=", "le" => "<=", "ge" => ">=", "lt" => "<", "gt" => ">",
        _ => op,
    };

    private bool TryOperator(string op)
    {
        if (char.IsAsciiLetter(op[0])) return TryWord(op);
        if (string.CompareOrdinal(_s, _p, op, 0, op.Length) != 0) return false;
        // "=" alone is assignment, not a comparison; "!" alone is negation.
        if (op is "<" or ">" && _p + 1 < _s.Length && _s[_p + 1] == '=') return false;
        _p += op.Length;
        return true;
    }

    private VtlExpr ParseUnary()
    {
        SkipSpace();
        if (_p < _s.Length && _s[_p] == '!' && !(_p + 1 < _s.Length && _s[_p + 1] == '='))
        {
            _p++;
            return Negation("!");
        }
        if (TryWord("not")) return Negation("!");
        if (_p < _s.Length && _s[_p] == '-' && _p + 1 < _s.Length && !char.IsAsciiDigit(_s[_p + 1]))
        {
            _p++;
            return Negation("-");
        }
        return ParsePrimary();
    }

    private UnaryExpr Negation(string op)
    {
        using var nesting = Nest();
        return new UnaryExpr(op, ParseUnary());
    }

    private VtlExpr ParsePrimary()
    {
        SkipSpace();
        if (_p >= _s.Length) throw Error("expression expected");
        var c = _s[_p];
        switch (c)
        {
            case '$':
                return TryParseReference()?.Reference ?? throw Error("reference expected after $");
            case '"':
            {
                var content = ReadQuoted('"');
                return content.Contains('$') || content.Contains('#') ? new InterpolatedExpr(Parse(content, _depth)) : new LiteralExpr(content);
            }
            case '\'':
                return new LiteralExpr(ReadQuoted('\''));
            case '(':
            {
                _p++;
                var inner = ParseExpression();
                SkipSpace();
                Expect(')');
                return inner;
            }
            case '[':
            {
                _p++;
                SkipSpace();
                if (TryChar(']')) return new ListExpr([]);
                var first = ParseExpression();
                SkipSpace();
                if (string.CompareOrdinal(_s, _p, "..", 0, 2) == 0)
                {
                    _p += 2;
                    var last = ParseExpression();
                    SkipSpace();
                    Expect(']');
                    return new RangeExpr(first, last);
                }
                var items = new List<VtlExpr> { first };
                while (!TryChar(']'))
                {
                    Expect(',');
                    items.Add(ParseExpression());
                    SkipSpace();
                }
                return new ListExpr(items);
            }
            case '{':
            {
                _p++;
                var entries = new List<(VtlExpr, VtlExpr)>();
                SkipSpace();
                while (!TryChar('}'))
                {
                    if (entries.Count > 0) Expect(',');
                    var key = ParseExpression();
                    SkipSpace();
                    Expect(':');
                    entries.Add((key, ParseExpression()));
                    SkipSpace();
                }
                return new MapExpr(entries);
            }
        }
        if (char.IsAsciiDigit(c) || c == '-') return ParseNumber();
        if (TryWord("true")) return new LiteralExpr(true);
        if (TryWord("false")) return new LiteralExpr(false);
        if (TryWord("null")) return new LiteralExpr(null);
        throw Error($"unexpected '{c}'");
    }

    private LiteralExpr ParseNumber()
    {
        var start = _p;
        if (_s[_p] == '-') _p++;
        while (_p < _s.Length && char.IsAsciiDigit(_s[_p])) _p++;
        if (_p + 1 < _s.Length && _s[_p] == '.' && char.IsAsciiDigit(_s[_p + 1]))
        {
            _p++;
            while (_p < _s.Length && char.IsAsciiDigit(_s[_p])) _p++;
            return new LiteralExpr(double.Parse(_s[start.._p], CultureInfo.InvariantCulture));
        }
        return long.TryParse(_s[start.._p], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? new LiteralExpr(n)
            : throw Error("number expected");
    }

    private string ReadQuoted(char quote)
    {
        var end = _s.IndexOf(quote, _p + 1);
        if (end < 0) throw Error("unterminated string literal");
        var content = _s[(_p + 1)..end];
        _p = end + 1;
        return content;
    }

    // ---- lexical helpers ----

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';
    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private string ReadIdentifier()
    {
        var start = _p;
        while (_p < _s.Length && IsIdentifierPart(_s[_p])) _p++;
        return _s[start.._p];
    }

    private bool TryWord(string word)
    {
        SkipSpace();
        if (string.CompareOrdinal(_s, _p, word, 0, word.Length) != 0) return false;
        var after = _p + word.Length;
        if (after < _s.Length && IsIdentifierPart(_s[after])) return false;
        _p = after;
        return true;
    }

    private bool TryChar(char c)
    {
        if (_p < _s.Length && _s[_p] == c)
        {
            _p++;
            return true;
        }
        return false;
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (!TryChar(c)) throw Error($"'{c}' expected");
    }

    private void SkipSpace()
    {
        while (_p < _s.Length && char.IsWhiteSpace(_s[_p])) _p++;
    }

    private bool IsLineStart(int position)
    {
        var p = position - 1;
        while (p >= 0 && _s[p] is ' ' or '\t') p--;
        return p < 0 || _s[p] == '\n';
    }

    private void GobbleIfAlone(bool atLineStart, StringBuilder pendingText)
    {
        if (!atLineStart) return;
        var p = _p;
        while (p < _s.Length && _s[p] is ' ' or '\t' or '\r') p++;
        if (p < _s.Length && _s[p] != '\n') return;
        TrimIndent(pendingText);
        _p = Math.Min(p + 1, _s.Length);
    }

    private static void TrimIndent(StringBuilder text)
    {
        var end = text.Length;
        while (end > 0 && text[end - 1] is ' ' or '\t') end--;
        text.Length = end;
    }

    private VtlException Error(string message)
    {
        var line = 1 + _s.AsSpan(0, Math.Min(_p, _s.Length)).Count('\n');
        return new VtlException($"{message} at line {line}");
    }
}
