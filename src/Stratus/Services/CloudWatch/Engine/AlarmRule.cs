namespace Stratus.Services.CloudWatch.Engine;

public sealed class AlarmRuleException(string message) : Exception(message);

/// <summary>
/// A composite alarm's AlarmRule, in AWS's grammar: <c>ALARM(name)</c>, <c>OK(name)</c> and
/// <c>INSUFFICIENT_DATA(name)</c> over other alarms (named or by ARN, optionally in double quotes),
/// <c>TRUE</c>, <c>FALSE</c>, <c>NOT</c>, <c>AND</c>, <c>OR</c> (NOT binds tightest, then AND, then OR) and
/// parentheses. AWS's limits hold: 100 child alarms and 500 elements; Stratus also bounds nesting to 64 levels so
/// a rule cannot exhaust the parser's stack.
/// </summary>
public sealed class AlarmRule
{
    public const int MaxLength = 10_240;
    public const int MaxChildren = 100;
    public const int MaxElements = 500;
    public const int MaxDepth = 64;

    private static readonly string[] StateFunctions = ["ALARM", "OK", "INSUFFICIENT_DATA"];

    private readonly Node _root;

    private AlarmRule(Node root, IReadOnlyList<string> children)
    {
        _root = root;
        Children = children;
    }

    /// <summary>The alarms the rule names, as written (names or ARNs), each once, in order of first mention.</summary>
    public IReadOnlyList<string> Children { get; }

    /// <summary>True when the rule holds, given each child's current state (null for an alarm that does not exist: no state function holds).</summary>
    public bool Evaluate(Func<string, string?> stateOf) => _root.Evaluate(stateOf);

    public static AlarmRule Parse(string text)
    {
        if (text.Length > MaxLength) throw new AlarmRuleException($"the rule is {text.Length} characters long; at most {MaxLength} are allowed");
        var parser = new Parser(text);
        var root = parser.ParseRule();
        var children = parser.Children.Distinct(StringComparer.Ordinal).ToList();
        if (children.Count > MaxChildren) throw new AlarmRuleException($"the rule names {children.Count} alarms; at most {MaxChildren} are allowed");
        if (parser.Elements > MaxElements) throw new AlarmRuleException($"the rule has {parser.Elements} elements; at most {MaxElements} are allowed");
        return new AlarmRule(root, children);
    }

    private abstract record Node
    {
        public abstract bool Evaluate(Func<string, string?> stateOf);
    }

    private sealed record Constant(bool Value) : Node
    {
        public override bool Evaluate(Func<string, string?> stateOf) => Value;
    }

    private sealed record StateIs(string State, string Alarm) : Node
    {
        public override bool Evaluate(Func<string, string?> stateOf) => stateOf(Alarm) == State;
    }

    private sealed record Not(Node Operand) : Node
    {
        public override bool Evaluate(Func<string, string?> stateOf) => !Operand.Evaluate(stateOf);
    }

    private sealed record And(Node Left, Node Right) : Node
    {
        public override bool Evaluate(Func<string, string?> stateOf) => Left.Evaluate(stateOf) && Right.Evaluate(stateOf);
    }

    private sealed record Or(Node Left, Node Right) : Node
    {
        public override bool Evaluate(Func<string, string?> stateOf) => Left.Evaluate(stateOf) || Right.Evaluate(stateOf);
    }

    private sealed class Parser(string text)
    {
        private int _at;
        private int _depth;

        public List<string> Children { get; } = [];
        public int Elements { get; private set; }

        public Node ParseRule()
        {
            var node = ParseOr();
            SkipSpace();
            if (_at < text.Length) throw Unexpected();
            return node;
        }

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("OR")) left = new Or(left, ParseAnd());
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseUnary();
            while (TryKeyword("AND")) left = new And(left, ParseUnary());
            return left;
        }

        private Node ParseUnary()
        {
            if (++_depth > MaxDepth) throw new AlarmRuleException($"the rule is nested more than {MaxDepth} levels deep");
            try
            {
                if (TryKeyword("NOT")) return new Not(ParseUnary());
                return ParsePrimary();
            }
            finally
            {
                _depth--;
            }
        }

        private Node ParsePrimary()
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == '(')
            {
                _at++;
                Elements++;
                var inner = ParseOr();
                Expect(')');
                return inner;
            }
            if (TryKeyword("TRUE")) { Elements++; return new Constant(true); }
            if (TryKeyword("FALSE")) { Elements++; return new Constant(false); }
            foreach (var state in StateFunctions)
            {
                if (!TryKeyword(state)) continue;
                Expect('(');
                var alarm = ReadAlarmName();
                Expect(')');
                Elements++;
                Children.Add(alarm);
                return new StateIs(state, alarm);
            }
            throw Unexpected();
        }

        /// <summary>An alarm name or ARN: in double quotes (any character but a quote), or bare up to the closing parenthesis.</summary>
        private string ReadAlarmName()
        {
            SkipSpace();
            string name;
            if (_at < text.Length && text[_at] == '"')
            {
                var end = text.IndexOf('"', _at + 1);
                if (end < 0) throw new AlarmRuleException($"the quoted alarm name at position {_at + 1} is not closed");
                name = text[(_at + 1)..end];
                _at = end + 1;
            }
            else
            {
                var end = text.IndexOf(')', _at);
                if (end < 0) throw new AlarmRuleException($"the state function at position {_at + 1} is not closed");
                name = text[_at..end].Trim();
                _at = end;
            }
            if (name.Length is 0 or > 1600) throw new AlarmRuleException($"an alarm name or ARN must be 1 to 1600 characters long, near position {_at + 1}");
            return name;
        }

        /// <summary>A keyword as a whole word: "ALARM" does not match the start of "ALARMS", nor "OR" the start of "ORDER".</summary>
        private bool TryKeyword(string keyword)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, keyword, 0, keyword.Length) != 0) return false;
            var after = _at + keyword.Length;
            if (after < text.Length && (char.IsAsciiLetterOrDigit(text[after]) || text[after] == '_')) return false;
            _at = after;
            return true;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (_at >= text.Length || text[_at] != c) throw new AlarmRuleException($"expected '{c}' at position {_at + 1}");
            _at++;
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private AlarmRuleException Unexpected() => _at >= text.Length
            ? new AlarmRuleException("the rule ends where a state function, TRUE, FALSE, NOT or '(' was expected")
            : new AlarmRuleException($"unexpected '{text[_at]}' at position {_at + 1}");
    }
}
