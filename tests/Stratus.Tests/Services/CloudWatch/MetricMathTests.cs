using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch;

public sealed class MetricMathTests
{
    private static readonly MathSeries Errors = Series("Errors", (60, 1), (120, 4), (180, 0));
    private static readonly MathSeries Invocations = Series("Invocations", (60, 10), (120, 8), (240, 5));

    private static MathSeries Series(string label, params (long Time, double Value)[] points) =>
        new(label, new SortedDictionary<long, double>(points.ToDictionary(p => p.Time, p => p.Value)));

    private static MathValue Evaluate(string expression) => MetricMath.Evaluate(expression,
        id => id switch { "errors" => Errors, "invocations" => Invocations, _ => null },
        filter => new MathSeriesList(new[] { Errors, Invocations }.Where(s => filter is null || s.Label.Contains(filter)).ToList()));

    [Fact]
    public void Arithmetic_between_series_joins_on_shared_timestamps()
    {
        var rate = Assert.IsType<MathSeries>(Evaluate("100 * errors / invocations"));

        Assert.Equal([60L, 120L], rate.Points.Keys);
        Assert.Equal(10, rate.Points[60]);
        Assert.Equal(50, rate.Points[120]);
    }

    [Fact]
    public void Precedence_parentheses_and_unary_minus()
    {
        Assert.Equal(14, Assert.IsType<MathScalar>(Evaluate("2 + 3 * 4")).Value);
        Assert.Equal(20, Assert.IsType<MathScalar>(Evaluate("(2 + 3) * 4")).Value);
        Assert.Equal(-6, Assert.IsType<MathScalar>(Evaluate("-2 * 3")).Value);
        Assert.Equal(8, Assert.IsType<MathScalar>(Evaluate("2 ^ 3")).Value);
    }

    [Fact]
    public void Functions_of_one_series_give_a_number()
    {
        Assert.Equal(5, Assert.IsType<MathScalar>(Evaluate("SUM(errors)")).Value);
        Assert.Equal(5.0 / 3, Assert.IsType<MathScalar>(Evaluate("AVG(errors)")).Value, 9);
        Assert.Equal(10, Assert.IsType<MathScalar>(Evaluate("MAX(invocations)")).Value);
    }

    [Fact]
    public void Functions_of_METRICS_give_a_series_per_timestamp()
    {
        var total = Assert.IsType<MathSeries>(Evaluate("SUM(METRICS())"));

        Assert.Equal(11, total.Points[60]);
        Assert.Equal(12, total.Points[120]);
        Assert.Equal(0, total.Points[180]);
        Assert.Equal(5, total.Points[240]);

        var filtered = Assert.IsType<MathSeries>(Evaluate("AVG(METRICS(\"Inv\"))"));
        Assert.Equal(10, filtered.Points[60]);
    }

    [Theory]
    [InlineData("errors +", "ends unexpectedly")]
    [InlineData("unknown * 2", "Unrecognized metric id 'unknown'")]
    [InlineData("SUM(errors", "Expected ')'")]
    [InlineData("errors % 2", "Unexpected character '%'")]
    [InlineData("errors * 1.2.3", "'1.2.3' is not a number")]
    [InlineData("METRICS() + METRICS()", "two arrays")]
    public void Bad_expressions_say_what_is_wrong(string expression, string message)
    {
        var error = Assert.Throws<MetricMathException>(() => Evaluate(expression));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData(12_000, "(", ")")]
    [InlineData(12_000, "-", "")]
    [InlineData(12_000, "2^", "2")]
    [InlineData(12_000, "ABS(", ")")]
    public void Deep_nesting_is_refused_without_exhausting_the_stack(int levels, string open, string close)
    {
        var expression = string.Concat(Enumerable.Repeat(open, levels)) + "1" + string.Concat(Enumerable.Repeat(close, levels));
        Assert.Throws<MetricMathException>(() => Evaluate(expression));
        var nested = string.Concat(Enumerable.Repeat(open, MetricMath.MaxNesting + 1)) + "1" + string.Concat(Enumerable.Repeat(close, MetricMath.MaxNesting + 1));
        Assert.Contains("nests more than", Assert.Throws<MetricMathException>(() => Evaluate(nested)).Message);
    }

    [Fact]
    public void Expressions_past_aws_length_limit_are_refused() =>
        Assert.Contains("limit is 2048", Assert.Throws<MetricMathException>(() => Evaluate(string.Join("+", Enumerable.Repeat("1", 1100)))).Message);

    [Fact]
    public void ANOMALY_DETECTION_BAND_draws_the_band_of_an_id_two_deviations_wide_by_default()
    {
        var asked = new List<(string Id, double Deviations)>();
        MathBand Band(string id, double deviations)
        {
            asked.Add((id, deviations));
            return new MathBand(Series("lower", (60, 1)), Series("upper", (60, 9)));
        }
        MathValue Draw(string expression) => MetricMath.Evaluate(expression, id => id == "errors" ? Errors : null, _ => new MathSeriesList([]), Band);

        Assert.IsType<MathBand>(Draw("ANOMALY_DETECTION_BAND(errors)"));
        Assert.IsType<MathBand>(Draw("anomaly_detection_band(errors, 0.5)"));
        Assert.Equal([("errors", 2.0), ("errors", 0.5)], asked);
        Assert.Contains("cannot be used", Assert.Throws<MetricMathException>(() => Draw("ANOMALY_DETECTION_BAND(errors) * 2")).Message);
        Assert.Contains("cannot be used", Assert.Throws<MetricMathException>(() => Draw("ABS(ANOMALY_DETECTION_BAND(errors))")).Message);
        Assert.Contains("positive number", Assert.Throws<MetricMathException>(() => Draw("ANOMALY_DETECTION_BAND(errors, -1)")).Message);
        Assert.Contains("id of a metric", Assert.Throws<MetricMathException>(() => Draw("ANOMALY_DETECTION_BAND(2)")).Message);
        Assert.Contains("draws a band itself", Assert.Throws<MetricMathException>(() => Evaluate("ANOMALY_DETECTION_BAND(errors)")).Message);
    }
}
