using System.Text;

namespace Stratus.Services.CloudWatch.Engine;

public sealed class MetricsInsightsException(string message) : Exception(message);

/// <summary>A WHERE condition of a Metrics Insights query, over a metric's dimensions.</summary>
public abstract record InsightsCondition
{
    public abstract bool Holds(IReadOnlyList<MetricDimension> dimensions);
}

/// <summary>
/// <c>key = 'value'</c> or <c>key != 'value'</c>. A metric without the key satisfies neither (SQL's rule for a missing
/// value; AWS does not document the case).
/// </summary>
public sealed record InsightsComparison(string Key, bool Equal, string Value) : InsightsCondition
{
    public override bool Holds(IReadOnlyList<MetricDimension> dimensions) =>
        dimensions.FirstOrDefault(d => d.Name == Key) is { } dimension && (dimension.Value == Value) == Equal;
}

public sealed record InsightsAnd(InsightsCondition Left, InsightsCondition Right) : InsightsCondition
{
    public override bool Holds(IReadOnlyList<MetricDimension> dimensions) => Left.Holds(dimensions) && Right.Holds(dimensions);
}

public sealed record InsightsOr(InsightsCondition Left, InsightsCondition Right) : InsightsCondition
{
    public override bool Holds(IReadOnlyList<MetricDimension> dimensions) => Left.Holds(dimensions) || Right.Holds(dimensions);
}

/// <summary>One time series a query answers: its label, the GROUP BY keys and values it stands for, and its points (epoch seconds to value).</summary>
public sealed record InsightsSeries(string Label, IReadOnlyList<MetricDimension> Attributes, SortedDictionary<long, double> Points);

/// <summary>
/// A CloudWatch Metrics Insights query, as AWS's "Metrics Insights query components and syntax" states it:
/// <c>SELECT FUNCTION(metricName) FROM namespace | SCHEMA(namespace[, labelKey...]) [WHERE ...] [GROUP BY labelKey, ...]
/// [ORDER BY FUNCTION() [ASC|DESC]] [LIMIT n]</c>. Keywords are case insensitive, identifiers case sensitive; an identifier
/// that is not letters, digits and underscores is written in double quotes, a label value in single quotes (a backslash
/// escapes the quote). WHERE takes <c>=</c> and <c>!=</c> joined by AND and OR (AND binds tighter) and parentheses.
/// </summary>
public sealed record MetricsInsightsQuery(string Function, string MetricName, string Namespace, IReadOnlyList<string>? Schema, InsightsCondition? Where,
    IReadOnlyList<string> GroupBy, string? OrderFunction, bool Descending, int? Limit)
{
    /// <summary>AWS's length limit on a MetricDataQuery's Expression.</summary>
    public const int MaxLength = 2048;
    /// <summary>How deep WHERE's parentheses may nest: far past any real query, far short of the stack.</summary>
    public const int MaxNesting = 50;
    /// <summary>"A single query can return no more than 500 time series" (Metrics Insights quotas).</summary>
    public const int MaxSeries = 500;
    /// <summary>"A single query can process no more than 10,000 metrics": the first 10,000 matched are processed.</summary>
    public const int MaxMetricsProcessed = 10_000;
    /// <summary>Metrics Insights does not read high-resolution data: a shorter period is answered at one minute, as AWS does.</summary>
    public const int MinimumPeriod = 60;
    /// <summary>How far back a query reads: "Query up to two weeks of data" (Metrics Insights quotas).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(14);
    /// <summary>How far back an alarm on a query may look: "the most recent three hours of data for alarm condition evaluations".</summary>
    public static readonly TimeSpan AlarmWindow = TimeSpan.FromHours(3);
    /// <summary>Metrics Insights alarms per account and Region (AWS's default quota).</summary>
    public const int MaxAlarms = 200;
    /// <summary>"Alarms evaluating multiple time series will limit the number of contributors in ALARM to 100."</summary>
    public const int MaxContributors = 100;
    /// <summary>The label of the group of metrics that lack a GROUP BY key.</summary>
    public const string OtherGroup = "Other";

    private static readonly string[] Functions = ["AVG", "COUNT", "MAX", "MIN", "SUM"];

    /// <summary>Whether an Expression is a Metrics Insights query rather than metric math: it starts with SELECT.</summary>
    public static bool IsQuery(string expression)
    {
        var text = expression.TrimStart();
        return text.Length > 6 && text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && char.IsWhiteSpace(text[6]);
    }

    public static MetricsInsightsQuery Parse(string text)
    {
        if (text.Length > MaxLength) throw new MetricsInsightsException($"The query is {text.Length} characters long; the limit is {MaxLength}.");
        return new Parser(Tokenize(text)).Query();
    }

    /// <summary>Whether a metric is one the SELECT, FROM and WHERE clauses match. SCHEMA with keys matches that exact dimension set, SCHEMA alone metrics without dimensions.</summary>
    public bool Matches(MetricIdentity metric) =>
        metric.Namespace == Namespace && metric.MetricName == MetricName
        && (Schema is null || (metric.Dimensions.Count == Schema.Count && Schema.All(k => metric.Dimensions.Any(d => d.Name == k))))
        && (Where is null || Where.Holds(metric.Dimensions));

    /// <summary>
    /// The query's series: the matched metrics (the first <see cref="MaxMetricsProcessed"/> by identity) grouped by the
    /// GROUP BY keys, each period's observations of a group combined before the function is applied (AVG is the average of
    /// every observation, not of the metrics' averages), then ordered by ORDER BY's function over each series' whole
    /// window (by label when there is no ORDER BY) and cut to LIMIT and to <see cref="MaxSeries"/>.
    /// </summary>
    /// <param name="periods">A metric's observations per period of the query's window.</param>
    public IReadOnlyList<InsightsSeries> Run(IEnumerable<MetricIdentity> metrics, Func<MetricIdentity, IReadOnlyList<PeriodAggregate>> periods)
    {
        var groups = new Dictionary<string, (List<MetricDimension> Attributes, SortedDictionary<long, MetricAggregate> Periods)>(StringComparer.Ordinal);
        foreach (var metric in metrics.Where(Matches).OrderBy(m => m.Key, StringComparer.Ordinal).Take(MaxMetricsProcessed))
        {
            var attributes = GroupBy.Select(k => new MetricDimension(k, metric.Dimensions.FirstOrDefault(d => d.Name == k)?.Value ?? OtherGroup)).ToList();
            var label = string.Join(" ", attributes.Select(a => a.Value));
            if (!groups.TryGetValue(label, out var group)) groups[label] = group = (attributes, new SortedDictionary<long, MetricAggregate>());
            foreach (var period in periods(metric))
            {
                var time = period.Start.ToUnixTimeSeconds();
                if (!group.Periods.TryGetValue(time, out var combined)) group.Periods[time] = combined = new MetricAggregate();
                combined.Merge(period.Aggregate);
            }
        }
        var series = groups.Where(g => g.Value.Periods.Count > 0).Select(g => new
        {
            Series = new InsightsSeries(g.Key, g.Value.Attributes, new SortedDictionary<long, double>(g.Value.Periods.ToDictionary(p => p.Key, p => Apply(Function, p.Value)))),
            Whole = g.Value.Periods.Values.Aggregate(new MetricAggregate(), (all, p) => { all.Merge(p); return all; }),
        }).OrderBy(s => s.Series.Label, StringComparer.Ordinal).ToList();
        if (OrderFunction is { } order)
        {
            // A stable sort: series with the same value stay in label order.
            series = Descending
                ? series.OrderByDescending(s => Apply(order, s.Whole)).ToList()
                : series.OrderBy(s => Apply(order, s.Whole)).ToList();
        }
        return series.Take(Math.Min(Limit ?? MaxSeries, MaxSeries)).Select(s => s.Series).ToList();
    }

    private static double Apply(string function, MetricAggregate aggregate) => function switch
    {
        "AVG" => aggregate.Average,
        "COUNT" => aggregate.SampleCount,
        "MAX" => aggregate.Maximum,
        "MIN" => aggregate.Minimum,
        _ => aggregate.Sum,
    };

    private enum Kind { Word, Quoted, String, Number, Symbol, End }

    private readonly record struct Token(Kind Kind, string Text, int At)
    {
        public bool Is(string keyword) => Kind == Kind.Word && Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);
        public override string ToString() => Kind == Kind.End ? "the end of the query" : $"'{Text}'";
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _at;
        private int _nesting;

        private Token Peek => tokens[_at];
        private Token Next() => tokens[_at++];

        public MetricsInsightsQuery Query()
        {
            Keyword("SELECT");
            var function = Function();
            Symbol("(");
            var metricName = Identifier("a metric name");
            Symbol(")");
            Keyword("FROM");
            string ns;
            List<string>? schema = null;
            if (Peek.Is("SCHEMA") && tokens[_at + 1].Text == "(" && tokens[_at + 1].Kind == Kind.Symbol)
            {
                Next();
                Symbol("(");
                ns = Identifier("a namespace");
                schema = [];
                while (Peek.Kind == Kind.Symbol && Peek.Text == ",")
                {
                    Next();
                    var key = Identifier("a label key");
                    if (schema.Contains(key)) throw new MetricsInsightsException($"SCHEMA names the label key {key} twice.");
                    schema.Add(key);
                }
                Symbol(")");
            }
            else ns = Identifier("a namespace or SCHEMA(...)");
            InsightsCondition? where = null;
            if (Peek.Is("WHERE"))
            {
                Next();
                where = Or();
            }
            var groupBy = new List<string>();
            if (Peek.Is("GROUP"))
            {
                Next();
                Keyword("BY");
                groupBy.Add(Identifier("a label key"));
                while (Peek.Kind == Kind.Symbol && Peek.Text == ",")
                {
                    Next();
                    groupBy.Add(Identifier("a label key"));
                }
            }
            string? order = null;
            var descending = false;
            if (Peek.Is("ORDER"))
            {
                Next();
                Keyword("BY");
                order = Function();
                Symbol("(");
                Symbol(")");
                if (Peek.Is("DESC") || Peek.Is("ASC")) descending = Next().Text.Equals("DESC", StringComparison.OrdinalIgnoreCase);
            }
            int? limit = null;
            if (Peek.Is("LIMIT"))
            {
                Next();
                var number = Next();
                if (number.Kind != Kind.Number || !int.TryParse(number.Text, out var n) || n < 1 || n > MaxSeries)
                    throw new MetricsInsightsException($"LIMIT takes a whole number from 1 to {MaxSeries}, not {number}.");
                limit = n;
            }
            if (Peek.Kind != Kind.End) throw new MetricsInsightsException($"Unexpected {Peek} at position {Peek.At + 1} of the query.");
            return new MetricsInsightsQuery(function, metricName, ns, schema, where, groupBy, order, descending, limit);
        }

        private string Function()
        {
            var token = Next();
            var name = token.Text.ToUpperInvariant();
            if (token.Kind != Kind.Word || !Functions.Contains(name))
                throw new MetricsInsightsException($"Expected a function (AVG, COUNT, MAX, MIN or SUM) but found {token}.");
            return name;
        }

        private InsightsCondition Or()
        {
            var left = And();
            while (Peek.Is("OR"))
            {
                Next();
                left = new InsightsOr(left, And());
            }
            return left;
        }

        private InsightsCondition And()
        {
            var left = Condition();
            while (Peek.Is("AND"))
            {
                Next();
                left = new InsightsAnd(left, Condition());
            }
            return left;
        }

        /// <summary>A comparison or a parenthesised condition; each parenthesis passes through here, so nesting is bounded.</summary>
        private InsightsCondition Condition()
        {
            if (Peek.Kind == Kind.Symbol && Peek.Text == "(")
            {
                if (++_nesting > MaxNesting) throw new MetricsInsightsException($"The WHERE clause nests more than {MaxNesting} levels deep.");
                Next();
                var inner = Or();
                Symbol(")");
                _nesting--;
                return inner;
            }
            var key = Identifier("a label key");
            var op = Next();
            if (op.Kind != Kind.Symbol || op.Text is not ("=" or "!="))
                throw new MetricsInsightsException($"Expected = or != after {key} but found {op}.");
            var value = Next();
            if (value.Kind != Kind.String) throw new MetricsInsightsException($"Expected a label value in single quotes after {key} {op.Text} but found {value}.");
            return new InsightsComparison(key, op.Text == "=", value.Text);
        }

        private string Identifier(string what)
        {
            var token = Next();
            if (token.Kind is not (Kind.Word or Kind.Quoted)) throw new MetricsInsightsException($"Expected {what} but found {token}.");
            return token.Text;
        }

        private void Keyword(string keyword)
        {
            var token = Next();
            if (!token.Is(keyword)) throw new MetricsInsightsException($"Expected {keyword} but found {token}.");
        }

        private void Symbol(string symbol)
        {
            var token = Next();
            if (token.Kind != Kind.Symbol || token.Text != symbol) throw new MetricsInsightsException($"Expected '{symbol}' but found {token}.");
        }
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(Kind.Word, text[start..i], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                tokens.Add(new Token(Kind.Number, text[start..i], start));
            }
            else if (c is '"' or '\'')
            {
                var value = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new MetricsInsightsException($"Unterminated {(c == '"' ? "quoted identifier" : "string")} at position {start + 1} of the query.");
                    if (text[i] == '\\' && i + 1 < text.Length) { value.Append(text[i + 1]); i += 2; continue; }
                    if (text[i] == c) { i++; break; }
                    value.Append(text[i++]);
                }
                tokens.Add(new Token(c == '"' ? Kind.Quoted : Kind.String, value.ToString(), start));
            }
            else if (c == '!' && i + 1 < text.Length && text[i + 1] == '=')
            {
                tokens.Add(new Token(Kind.Symbol, "!=", start));
                i += 2;
            }
            else if ("(),=".Contains(c))
            {
                tokens.Add(new Token(Kind.Symbol, c.ToString(), start));
                i++;
            }
            else
            {
                throw new MetricsInsightsException($"Unexpected character '{c}' at position {start + 1} of the query.");
            }
        }
        tokens.Add(new Token(Kind.End, "", text.Length));
        return tokens;
    }
}
