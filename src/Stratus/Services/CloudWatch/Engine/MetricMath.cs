using System.Globalization;

namespace Stratus.Services.CloudWatch.Engine;

/// <summary>A metric math value: a number, one time series (epoch seconds to value), or several.</summary>
public abstract record MathValue;
public sealed record MathScalar(double Value) : MathValue;
/// <summary>A series; <paramref name="Attributes"/> are the GROUP BY keys and values of a Metrics Insights series, which alarms report as contributors.</summary>
public sealed record MathSeries(string Label, SortedDictionary<long, double> Points, IReadOnlyList<MetricDimension>? Attributes = null) : MathValue;
public sealed record MathSeriesList(IReadOnlyList<MathSeries> Series) : MathValue;
/// <summary>ANOMALY_DETECTION_BAND's answer: two series, the band's lower and upper edges, which no arithmetic takes.</summary>
public sealed record MathBand(MathSeries Lower, MathSeries Upper) : MathValue;

public sealed class MetricMathException(string message) : Exception(message);

/// <summary>
/// CloudWatch metric math, the basic part: numbers, query ids, + - * / ^, parentheses, and the
/// functions SUM, AVG, MIN, MAX, ABS, METRICS() / METRICS("filter"), ANOMALY_DETECTION_BAND(id[, deviations]) and
/// INSIGHT_RULE_METRIC(ruleName, metricName).
/// Series combine point by point on the timestamps they share; SUM/AVG/MIN/MAX of one series give one number, of
/// several series a series of per-timestamp results, as on AWS. A band stands alone: AWS refuses it as an operand.
/// </summary>
public sealed class MetricMath
{
    /// <summary>AWS's length limit on a MetricDataQuery's Expression.</summary>
    public const int MaxExpressionLength = 2048;
    /// <summary>How deep parentheses, unary minus and ^ may nest: far past any real expression, far short of the stack.</summary>
    public const int MaxNesting = 100;

    private readonly List<Token> _tokens;
    private readonly Func<string, MathValue?> _resolve;
    private readonly Func<string?, MathSeriesList> _metrics;
    private readonly Func<string, double, MathBand>? _band;
    private readonly Func<string, string, MathSeries>? _insightRule;
    private int _at;
    private int _nesting;

    private MetricMath(string expression, Func<string, MathValue?> resolve, Func<string?, MathSeriesList> metrics, Func<string, double, MathBand>? band,
        Func<string, string, MathSeries>? insightRule)
    {
        _tokens = Tokenize(expression);
        _resolve = resolve;
        _metrics = metrics;
        _band = band;
        _insightRule = insightRule;
    }

    /// <param name="resolve">The value of another query by id, or null when there is none.</param>
    /// <param name="metrics">The MetricStat queries' series, optionally those whose id or label contain a filter.</param>
    /// <param name="band">The anomaly detection band of a query id with a number of standard deviations; null where no band may be drawn.</param>
    /// <param name="insightRule">A Contributor Insights rule's metric as a series, by rule and metric name; null where none may be read.</param>
    public static MathValue Evaluate(string expression, Func<string, MathValue?> resolve, Func<string?, MathSeriesList> metrics,
        Func<string, double, MathBand>? band = null, Func<string, string, MathSeries>? insightRule = null)
    {
        if (expression.Length > MaxExpressionLength)
            throw new MetricMathException($"The expression is {expression.Length} characters long; the limit is {MaxExpressionLength}.");
        var math = new MetricMath(expression, resolve, metrics, band, insightRule);
        var value = math.Sum();
        if (math.Peek.Kind != TokenKind.End) throw new MetricMathException($"Unexpected '{math.Peek.Text}' in expression.");
        return value;
    }

    private Token Peek => _tokens[_at];
    private Token Next() => _tokens[_at++];

    private MathValue Sum()
    {
        var left = Product();
        while (Peek.Text is "+" or "-")
        {
            var op = Next().Text[0];
            left = Combine(left, Product(), op);
        }
        return left;
    }

    private MathValue Product()
    {
        var left = Unary();
        while (Peek.Text is "*" or "/")
        {
            var op = Next().Text[0];
            left = Combine(left, Unary(), op);
        }
        return left;
    }

    /// <summary>Every level of nesting (a parenthesis, a function call, a unary minus, an exponent) passes through here.</summary>
    private MathValue Unary()
    {
        if (++_nesting > MaxNesting) throw new MetricMathException($"The expression nests more than {MaxNesting} levels deep.");
        try
        {
            if (Peek.Text != "-") return Power();
            Next();
            return Combine(new MathScalar(0), Unary(), '-');
        }
        finally
        {
            _nesting--;
        }
    }

    private MathValue Power()
    {
        var left = Primary();
        if (Peek.Text != "^") return left;
        Next();
        return Combine(left, Unary(), '^');
    }

    private MathValue Primary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Number:
                return new MathScalar(Number(token));
            case TokenKind.Symbol when token.Text == "(":
                var inner = Sum();
                Expect(")");
                return inner;
            case TokenKind.Name when IsFunction(token.Text):
                Expect("(");
                return Call(token.Text.ToUpperInvariant());
            case TokenKind.Name:
                return _resolve(token.Text) ?? throw new MetricMathException($"Unrecognized metric id '{token.Text}' in expression.");
            default:
                throw new MetricMathException(token.Kind == TokenKind.End ? "The expression ends unexpectedly." : $"Unexpected '{token.Text}' in expression.");
        }
    }

    private MathValue Call(string function)
    {
        if (function == "ANOMALY_DETECTION_BAND") return Band();
        if (function == "INSIGHT_RULE_METRIC") return InsightRuleMetric();
        if (function == "METRICS")
        {
            string? filter = null;
            if (Peek.Kind == TokenKind.String) filter = Next().Text;
            Expect(")");
            return _metrics(filter);
        }
        var argument = Sum();
        Expect(")");
        return function switch
        {
            "ABS" => Map(argument, Math.Abs),
            _ => Reduce(function, argument),
        };
    }

    /// <summary>
    /// ANOMALY_DETECTION_BAND(id) or (id, deviations): the band of another query's series, two standard deviations wide
    /// on each side unless given, as AWS defaults it.
    /// </summary>
    private MathValue Band()
    {
        var id = Next();
        if (id.Kind != TokenKind.Name) throw new MetricMathException("ANOMALY_DETECTION_BAND takes the id of a metric or expression as its first argument.");
        var deviations = 2.0;
        if (Peek.Text == ",")
        {
            Next();
            var number = Next();
            if (number.Kind != TokenKind.Number || (deviations = Number(number)) <= 0)
                throw new MetricMathException("ANOMALY_DETECTION_BAND takes a positive number of standard deviations as its second argument.");
        }
        Expect(")");
        if (_band is null) throw new MetricMathException("ANOMALY_DETECTION_BAND cannot model an expression that draws a band itself.");
        return _band(id.Text, deviations);
    }

    private static MathValue Reduce(string function, MathValue argument)
    {
        Func<IEnumerable<double>, double> reduce = function switch
        {
            "SUM" => v => v.Sum(),
            "AVG" => v => v.Average(),
            "MIN" => v => v.Min(),
            "MAX" => v => v.Max(),
            _ => throw new MetricMathException($"Unknown function {function}."),
        };
        return argument switch
        {
            MathScalar s => s,
            MathSeries s => s.Points.Count == 0 ? new MathSeries(s.Label, []) : new MathScalar(reduce(s.Points.Values)),
            MathSeriesList list => new MathSeries(function, new SortedDictionary<long, double>(
                list.Series.SelectMany(s => s.Points).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => reduce(g.Select(p => p.Value))))),
            _ => throw new MetricMathException($"{function} cannot take this argument."),
        };
    }

    private static MathValue Map(MathValue value, Func<double, double> f) => value switch
    {
        MathBand => throw BandAsOperand(),
        MathScalar s => new MathScalar(f(s.Value)),
        MathSeries s => s with { Points = new SortedDictionary<long, double>(s.Points.ToDictionary(p => p.Key, p => f(p.Value))) },
        MathSeriesList list => new MathSeriesList(list.Series.Select(s => (MathSeries)Map(s, f)).ToList()),
        _ => throw new MetricMathException("Unsupported value."),
    };

    private static MathValue Combine(MathValue left, MathValue right, char op)
    {
        Func<double, double, double> apply = op switch
        {
            '+' => (a, b) => a + b,
            '-' => (a, b) => a - b,
            '*' => (a, b) => a * b,
            '/' => (a, b) => a / b,
            _ => Math.Pow,
        };
        if (left is MathBand || right is MathBand) throw BandAsOperand();
        return (left, right) switch
        {
            (MathScalar a, MathScalar b) => new MathScalar(apply(a.Value, b.Value)),
            (MathScalar a, _) => Map(right, v => apply(a.Value, v)),
            (_, MathScalar b) => Map(left, v => apply(v, b.Value)),
            (MathSeries a, MathSeries b) => a with
            {
                Points = new SortedDictionary<long, double>(a.Points.Where(p => b.Points.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => apply(p.Value, b.Points[p.Key]))),
            },
            (MathSeriesList a, MathSeries b) => new MathSeriesList(a.Series.Select(s => (MathSeries)Combine(s, b, op)).ToList()),
            (MathSeries a, MathSeriesList b) => new MathSeriesList(b.Series.Select(s => ((MathSeries)Combine(a, s, op)) with { Label = s.Label, Attributes = s.Attributes }).ToList()),
            _ => throw new MetricMathException("Arithmetic between two arrays of time series is not supported."),
        };
    }

    /// <summary>A number token's value; the tokenizer takes any run of digits and dots, so "1.2.3" is refused here as bad input.</summary>
    private static double Number(Token token) =>
        double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
            : throw new MetricMathException($"'{token.Text}' is not a number.");

    /// <summary>INSIGHT_RULE_METRIC(ruleName, metricName): each argument a name or a quoted string, as AWS's examples write them.</summary>
    private MathSeries InsightRuleMetric()
    {
        var rule = Argument("a rule name");
        Expect(",");
        var metric = Argument("a metric name");
        Expect(")");
        if (_insightRule is null) throw new MetricMathException("INSIGHT_RULE_METRIC cannot be read here.");
        return _insightRule(rule, metric);

        string Argument(string what) => Next() is { Kind: TokenKind.Name or TokenKind.String } token
            ? token.Text
            : throw new MetricMathException($"INSIGHT_RULE_METRIC takes {what} here.");
    }

    private static MetricMathException BandAsOperand() =>
        new("Unsupported operand: the result of ANOMALY_DETECTION_BAND cannot be used in another function or arithmetic.");

    private void Expect(string symbol)
    {
        var token = Next();
        if (token.Text != symbol || token.Kind is TokenKind.String) throw new MetricMathException($"Expected '{symbol}' but found '{token.Text}'.");
    }

    private static bool IsFunction(string name) => name.ToUpperInvariant() is "SUM" or "AVG" or "MIN" or "MAX" or "ABS" or "METRICS" or "ANOMALY_DETECTION_BAND" or "INSIGHT_RULE_METRIC";

    private enum TokenKind { Number, Name, String, Symbol, End }

    private readonly record struct Token(TokenKind Kind, string Text);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
                if (i < text.Length && text[i] is 'e' or 'E') { i++; if (i < text.Length && text[i] is '+' or '-') i++; while (i < text.Length && char.IsAsciiDigit(text[i])) i++; }
                tokens.Add(new Token(TokenKind.Number, text[start..i]));
            }
            else if (char.IsAsciiLetter(c))
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, text[start..i]));
            }
            else if (c is '"' or '\'')
            {
                var end = text.IndexOf(c, i + 1);
                if (end < 0) throw new MetricMathException("Unterminated string in expression.");
                tokens.Add(new Token(TokenKind.String, text[(i + 1)..end]));
                i = end + 1;
            }
            else if ("+-*/^(),".Contains(c))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString()));
                i++;
            }
            else
            {
                throw new MetricMathException($"Unexpected character '{c}' in expression.");
            }
        }
        tokens.Add(new Token(TokenKind.End, ""));
        return tokens;
    }
}
