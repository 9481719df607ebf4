namespace Stratus.Services.CloudWatch.Engine;

/// <summary>One line of a chart: its legend name, its colour ("#rrggbb") and its points in time order.</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<KeyValuePair<DateTimeOffset, double>> Points);

/// <summary>
/// Where a chart's points fall, shared by the console's SVG charts and GetMetricWidgetImage's PNG: time runs from the
/// chart's start to its end, values from a bottom to a top rounded up to 1, 2, 2.5 or 5 times a power of ten (0 unless
/// a value is negative), unless the widget's yAxis fixes either end.
/// </summary>
public sealed class ChartScale
{
    /// <summary>CloudWatch's default line colours, taken in order by series without a colour of their own.</summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    private readonly DateTimeOffset _start;
    private readonly double _span;

    private ChartScale(DateTimeOffset start, DateTimeOffset end, double bottom, double top)
    {
        _start = start;
        _span = Math.Max(1, (end - start).TotalSeconds);
        Bottom = bottom;
        Top = top;
    }

    public double Bottom { get; }
    public double Top { get; }

    public static ChartScale For(IEnumerable<ChartSeries> series, DateTimeOffset start, DateTimeOffset end, double? fixedBottom = null, double? fixedTop = null)
    {
        var values = series.SelectMany(s => s.Points).Select(p => p.Value).Where(double.IsFinite).ToList();
        var highest = values.DefaultIfEmpty(0).Max();
        var lowest = values.DefaultIfEmpty(0).Min();
        var bottom = fixedBottom ?? (lowest < 0 ? -NiceCeiling(-lowest) : 0);
        var top = fixedTop ?? (highest <= bottom ? bottom + 1 : highest <= 0 ? 0 : NiceCeiling(highest));
        if (top <= bottom) top = bottom + 1;
        return new ChartScale(start, end, bottom, top);
    }

    /// <summary>How far along the time axis a moment is, 0 (start) to 1 (end), clamped.</summary>
    public double X(DateTimeOffset time) => Math.Clamp((time - _start).TotalSeconds / _span, 0, 1);

    /// <summary>How high a value is, 0 (bottom) to 1 (top), clamped.</summary>
    public double Y(double value) => Math.Clamp((value - Bottom) / (Top - Bottom), 0, 1);

    private static double NiceCeiling(double value)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
            if (step * magnitude >= value) return step * magnitude;
        return 10 * magnitude;
    }
}
