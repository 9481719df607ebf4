using System.Globalization;

namespace Stratus.Services.CloudWatch.Engine;

/// <summary>
/// What CloudWatch keeps for one metric, unit and time slot: the statistic set (count, sum, min, max)
/// and, for percentiles, how often each value was seen. Values published only as statistic sets have
/// no distribution, as on AWS, so they count in the set but not in percentiles.
/// </summary>
public sealed class MetricAggregate
{
    /// <summary>Beyond this many distinct values a slot keeps approximate values, so memory stays bounded.</summary>
    public const int MaxDistinctValues = 1000;

    private double _relativePrecision;

    public double SampleCount { get; private set; }
    public double Sum { get; private set; }
    public double Minimum { get; private set; } = double.PositiveInfinity;
    public double Maximum { get; private set; } = double.NegativeInfinity;
    public Dictionary<double, double> Distribution { get; } = [];

    public double Average => SampleCount == 0 ? 0 : Sum / SampleCount;

    public void AddValue(double value, double count)
    {
        AddSet(count, value * count, value, value);
        AddToDistribution(value, count);
    }

    public void AddSet(double sampleCount, double sum, double minimum, double maximum)
    {
        SampleCount += sampleCount;
        Sum += sum;
        Minimum = Math.Min(Minimum, minimum);
        Maximum = Math.Max(Maximum, maximum);
    }

    public void Merge(MetricAggregate other)
    {
        if (other.SampleCount == 0) return;
        AddSet(other.SampleCount, other.Sum, other.Minimum, other.Maximum);
        foreach (var (value, count) in other.Distribution) AddToDistribution(value, count);
    }

    /// <summary>The nearest-rank percentile over the values seen, or null when only statistic sets arrived.</summary>
    public double? Percentile(double percent)
    {
        var total = Distribution.Values.Sum();
        if (total <= 0) return null;
        var ordered = Distribution.OrderBy(p => p.Key).ToList();
        if (percent <= 0) return ordered[0].Key;
        var rank = Math.Ceiling(percent / 100.0 * total - 1e-9);
        var seen = 0.0;
        foreach (var (value, count) in ordered)
        {
            seen += count;
            if (seen >= rank) return value;
        }
        return ordered[^1].Key;
    }

    /// <summary>A statistic by the name CloudWatch uses (Sum, Average, SampleCount, Minimum, Maximum, pNN).</summary>
    public double? Statistic(string name) => name switch
    {
        "Sum" => Sum,
        "Average" => Average,
        "SampleCount" => SampleCount,
        "Minimum" => Minimum,
        "Maximum" => Maximum,
        _ when MetricStatistics.PercentileOf(name) is { } p => Percentile(p),
        _ => null,
    };

    private void AddToDistribution(double value, double count)
    {
        var key = Coarse(value);
        Distribution[key] = Distribution.GetValueOrDefault(key) + count;
        while (Distribution.Count > MaxDistinctValues)
        {
            _relativePrecision = _relativePrecision == 0 ? 0.01 : _relativePrecision * 2;
            var coarse = Distribution.GroupBy(p => Coarse(p.Key)).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
            Distribution.Clear();
            foreach (var (v, c) in coarse) Distribution[v] = c;
        }
    }

    /// <summary>
    /// Exact until the slot has seen too many distinct values; then values snap to a logarithmic grid
    /// whose step doubles until they fit, so percentiles stay within that relative error.
    /// </summary>
    private double Coarse(double value)
    {
        if (_relativePrecision == 0 || value == 0) return value;
        var step = Math.Log(1 + _relativePrecision);
        return Math.Sign(value) * Math.Exp(Math.Round(Math.Log(Math.Abs(value)) / step) * step);
    }
}

/// <summary>The statistic names CloudWatch accepts.</summary>
public static class MetricStatistics
{
    public static readonly string[] Standard = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

    /// <summary>The percentile a "p99" / "p99.9" statistic asks for, or null when it is not one.</summary>
    public static double? PercentileOf(string statistic) =>
        statistic.Length > 1 && statistic[0] == 'p'
        && double.TryParse(statistic.AsSpan(1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p)
        && p is >= 0 and <= 100
            ? p
            : null;

    public static bool IsKnown(string statistic) => Standard.Contains(statistic) || PercentileOf(statistic) is not null;
}
