using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;

namespace Stratus.Services.CloudWatch.Engine;

/// <summary>A line of a metric widget: the query behind it and the colour the widget gives it, if any.</summary>
public sealed record MetricWidgetLine(MetricDataQuery Query, string? Color);

/// <summary>
/// GetMetricWidgetImage's MetricWidget, read as AWS's "Metric Widget Structure and Syntax" reference describes it:
/// <c>metrics</c> (1 to 100 arrays: <c>[Namespace, MetricName, DimensionName, DimensionValue, ..., {options}]</c>, where
/// "." repeats the string at the same place in the metric before, or <c>[{"expression": ..., "id": ..., "label": ...}]</c>),
/// <c>period</c> (default 300) and <c>stat</c> (default Average) for every metric without its own, <c>start</c> and
/// <c>end</c> (absolute ISO 8601 or relative to now, like -PT3H; defaults -PT3H and -PT0H), <c>width</c> and
/// <c>height</c> in pixels (1 to 2000, defaults 600 and 400), <c>title</c>, <c>yAxis.left.min/max/label</c>,
/// <c>legend.position</c>, <c>timezone</c> (+HHMM or -HHMM), <c>region</c> and <c>view</c> timeSeries.
/// Findings are worded as CloudWatch's schema validator words them, with a JSON pointer to where.
/// </summary>
public sealed partial class MetricWidget
{
    public const int MaxMetrics = 100;
    public const int MaxPixels = 2000;
    /// <summary>AWS: "Up to 100 KB uncompressed payload."</summary>
    public const int MaxLength = 100 * 1024;
    /// <summary>The most data points a line may ask for, GetMetricData's limit for one query.</summary>
    public const int MaxDatapoints = 100_800;

    private static readonly HashSet<string> MetricOptions = ["accountId", "color", "expression", "id", "label", "period", "region", "stat", "visible", "yAxis"];

    public required IReadOnlyList<MetricWidgetLine> Lines { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public int Width { get; init; } = 600;
    public int Height { get; init; } = 400;
    public string? Title { get; init; }
    public string? Region { get; init; }
    public double? YAxisMin { get; init; }
    public double? YAxisMax { get; init; }
    public string? YAxisLabel { get; init; }
    public bool LegendHidden { get; init; }
    /// <summary>The offset the time axis is labelled in; UTC unless <c>timezone</c> says otherwise.</summary>
    public TimeSpan TimeZone { get; init; }

    /// <summary>The widget, or the findings that make it invalid.</summary>
    public static (MetricWidget? Widget, IReadOnlyList<DashboardValidationMessage> Findings) Read(JsonNode? node, DateTimeOffset now)
    {
        var found = new List<DashboardValidationMessage>();
        if (node is not JsonObject root)
        {
            found.Add(new("", "Should be object"));
            return (null, found);
        }
        var width = Integer(root, "width", 1, MaxPixels, found) ?? 600;
        var height = Integer(root, "height", 1, MaxPixels, found) ?? 400;
        var period = Integer(root, "period", 1, null, found) ?? 300;
        if (root.ContainsKey("period") && !IsPeriod(period)) found.Add(new("/period", "Should be 1, 5, 10, 30, 60, or any multiple of 60"));
        var stat = Text(root, "stat", found) ?? "Average";
        if (!MetricStatistics.IsKnown(stat)) found.Add(new("/stat", $"The statistic {stat} is not valid"));
        var title = Text(root, "title", found);
        var region = Text(root, "region", found);
        var start = Time(root, "start", now, found) ?? now - TimeSpan.FromHours(3);
        var end = Time(root, "end", now, found) ?? now;
        if (start >= end) found.Add(new("/start", "Should be before end"));
        var timeZone = TimeZoneOffset(root, found);
        var view = Text(root, "view", found) ?? "timeSeries";
        if (view != "timeSeries") found.Add(new("/view", $"Stratus draws only the timeSeries view, not {view}"));
        if (root["stacked"] is JsonValue stacked && stacked.GetValueKind() == JsonValueKind.True) found.Add(new("/stacked", "Stratus does not draw stacked graphs"));
        if (root["annotations"] is JsonObject annotations && annotations.Count > 0) found.Add(new("/annotations", "Stratus does not draw annotations"));
        var (yMin, yMax, yLabel) = YAxis(root, found);
        var legendHidden = root["legend"] is JsonObject legend && legend["position"] is JsonValue position
            && position.GetValueKind() == JsonValueKind.String && position.GetValue<string>() == "hidden";
        var lines = Metrics(root, period, stat, region, found);
        if (found.Count == 0 && lines.Any(l => l.Query.MetricStat is { } s && (end - start).TotalSeconds / s.Period > MaxDatapoints))
            found.Add(new("/period", $"The graph asks for more than {MaxDatapoints:N0} datapoints of one metric; increase period or shorten the time range"));
        if (found.Count > 0) return (null, found);
        return (new MetricWidget
        {
            Lines = lines, Start = start, End = end, Width = width, Height = height, Title = title, Region = region,
            YAxisMin = yMin, YAxisMax = yMax, YAxisLabel = yLabel, LegendHidden = legendHidden, TimeZone = timeZone,
        }, found);
    }

    private static List<MetricWidgetLine> Metrics(JsonObject root, int period, string stat, string? region, List<DashboardValidationMessage> found)
    {
        var lines = new List<MetricWidgetLine>();
        if (!root.TryGetPropertyValue("metrics", out var metricsNode))
        {
            found.Add(new("", "Should have required property 'metrics'"));
            return lines;
        }
        if (metricsNode is not JsonArray metrics)
        {
            found.Add(new("/metrics", "Should be array"));
            return lines;
        }
        if (metrics.Count is 0 or > MaxMetrics)
        {
            found.Add(new("/metrics", metrics.Count == 0 ? "Should NOT have fewer than 1 items" : $"Should NOT have more than {MaxMetrics} items"));
            return lines;
        }
        var explicitIds = metrics.OfType<JsonArray>().Select(m => m.LastOrDefault() is JsonObject o && o["id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String ? id.GetValue<string>() : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        string[]? previous = null;
        for (var i = 0; i < metrics.Count; i++)
        {
            var at = $"/metrics/{i}";
            if (metrics[i] is not JsonArray metric || metric.Count == 0)
            {
                found.Add(new(at, "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element"));
                continue;
            }
            var options = metric[^1] as JsonObject ?? [];
            var names = metric.Take(metric[^1] is JsonObject ? metric.Count - 1 : metric.Count).ToList();
            if (names.Any(n => !(n is JsonValue v && v.GetValueKind() == JsonValueKind.String)))
            {
                found.Add(new(at, "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element"));
                continue;
            }
            foreach (var (name, _) in options)
                if (!MetricOptions.Contains(name)) found.Add(new($"{at}/{metric.Count - 1}", $"Should NOT have additional property '{name}'"));
            var optionsAt = $"{at}/{metric.Count - 1}";
            var id = Text(options, "id", found, optionsAt) ?? GeneratedId(i, explicitIds);
            if (options["color"] is { } colour && !(colour is JsonValue c && c.GetValueKind() == JsonValueKind.String && Imaging.Rgb.Parse(c.GetValue<string>()) is not null))
                found.Add(new(optionsAt + "/color", "Should match pattern \"^#[0-9a-fA-F]{6}$\""));
            if (Text(options, "yAxis", found, optionsAt) is "right") found.Add(new(optionsAt + "/yAxis", "Stratus draws every line on the left y-axis; it does not draw a right y-axis"));
            if (Text(options, "region", found, optionsAt) is { } lineRegion && lineRegion != region)
                found.Add(new(optionsAt + "/region", "Stratus draws the metrics of one region in a graph: give region once, for the whole widget"));
            Text(options, "accountId", found, optionsAt);
            var visible = options["visible"] is not JsonValue shown || shown.GetValueKind() != JsonValueKind.False;
            var label = Text(options, "label", found, optionsAt);
            var linePeriod = Integer(options, "period", 1, null, found, optionsAt);
            if (linePeriod is { } p && !IsPeriod(p)) found.Add(new(optionsAt + "/period", "Should be 1, 5, 10, 30, 60, or any multiple of 60"));
            var colourText = (options["color"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? options["color"]!.GetValue<string>() : null;
            if (names.Count == 0)
            {
                if (Text(options, "expression", found, optionsAt) is not { } expression)
                {
                    found.Add(new(optionsAt, "Should have required property 'expression'"));
                    continue;
                }
                // A Metrics Insights query buckets by its period: the line's own, else the widget's, as for a metric line.
                var expressionPeriod = MetricsInsightsQuery.IsQuery(expression) ? linePeriod ?? period : linePeriod;
                lines.Add(new(new MetricDataQuery(id, null, expression, label, visible, expressionPeriod), colourText));
                continue;
            }
            var strings = names.Select(n => n!.GetValue<string>()).ToArray();
            for (var j = 0; j < strings.Length; j++)
            {
                if (strings[j] != ".") continue;
                if (previous is null || j >= previous.Length)
                {
                    found.Add(new($"{at}/{j}", "\".\" repeats the value at the same place in the metric before, and there is none"));
                    break;
                }
                strings[j] = previous[j];
            }
            if (strings.Length < 2 || strings.Length % 2 != 0)
            {
                found.Add(new(at, "A metric is [Namespace, MetricName] followed by dimension name and value pairs"));
                continue;
            }
            previous = strings;
            var lineStat = Text(options, "stat", found, optionsAt) ?? stat;
            if (!MetricStatistics.IsKnown(lineStat)) found.Add(new(optionsAt + "/stat", $"The statistic {lineStat} is not valid"));
            var dimensions = new List<MetricDimension>();
            for (var j = 2; j < strings.Length; j += 2) dimensions.Add(new MetricDimension(strings[j], strings[j + 1]));
            lines.Add(new(new MetricDataQuery(id, new MetricStatQuery(strings[0], strings[1], dimensions, linePeriod ?? period, lineStat, null), null, label, visible, null), colourText));
        }
        return lines;
    }

    /// <summary>A line without an id gets one the widget's own ids do not use, as the console does: m1, m2, ... by position.</summary>
    private static string GeneratedId(int index, HashSet<string> taken)
    {
        var id = $"m{index + 1}";
        while (taken.Contains(id)) id += "_";
        taken.Add(id);
        return id;
    }

    private static bool IsPeriod(int period) => period >= 60 ? period % 60 == 0 : period is 1 or 5 or 10 or 30;

    private static (double? Min, double? Max, string? Label) YAxis(JsonObject root, List<DashboardValidationMessage> found)
    {
        if (root["yAxis"] is not JsonObject axis || axis["left"] is not JsonObject left) return (null, null, null);
        var min = Number(left, "min", found, "/yAxis/left");
        var max = Number(left, "max", found, "/yAxis/left");
        if (min is { } low && max is { } high && low >= high) found.Add(new("/yAxis/left/max", "Should be greater than min"));
        return (min, max, Text(left, "label", found, "/yAxis/left"));
    }

    private static TimeSpan TimeZoneOffset(JsonObject root, List<DashboardValidationMessage> found)
    {
        if (Text(root, "timezone", found) is not { } zone) return TimeSpan.Zero;
        var match = TimeZonePattern().Match(zone);
        if (!match.Success)
        {
            found.Add(new("/timezone", "Should match pattern \"^[+-][0-9]{4}$\""));
            return TimeSpan.Zero;
        }
        var offset = new TimeSpan(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), 0);
        return match.Groups[1].Value == "-" ? -offset : offset;
    }

    /// <summary>
    /// An absolute ISO 8601 time, or a duration before now (-PT3H, -P1D, -P2W), as CloudWatch's graphs and dashboards take
    /// them; a finding at <paramref name="path"/>/<paramref name="name"/> when it is neither.
    /// </summary>
    internal static DateTimeOffset? Time(JsonObject root, string name, DateTimeOffset now, List<DashboardValidationMessage> found, string path = "")
    {
        if (Text(root, name, found, path) is not { } text) return null;
        if (text.StartsWith("-P", StringComparison.Ordinal))
        {
            var weeks = WeeksPattern().Match(text);
            try
            {
                var ago = weeks.Success ? TimeSpan.FromDays(7 * int.Parse(weeks.Groups[1].Value, CultureInfo.InvariantCulture)) : XmlConvert.ToTimeSpan(text[1..]);
                if (ago <= now - DateTimeOffset.UnixEpoch) return now - ago;
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
            }
        }
        else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var absolute))
            return absolute;
        found.Add(new($"{path}/{name}", "Should be an ISO 8601 time, or a duration before now such as -PT3H"));
        return null;
    }

    private static string? Text(JsonObject node, string name, List<DashboardValidationMessage> found, string path = "")
    {
        if (!node.TryGetPropertyValue(name, out var value) || value is null) return null;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        found.Add(new($"{path}/{name}", "Should be string"));
        return null;
    }

    private static double? Number(JsonObject node, string name, List<DashboardValidationMessage> found, string path)
    {
        if (!node.TryGetPropertyValue(name, out var value) || value is null) return null;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d)) return d;
        found.Add(new($"{path}/{name}", "Should be number"));
        return null;
    }

    private static int? Integer(JsonObject node, string name, int min, int? max, List<DashboardValidationMessage> found, string path = "")
    {
        if (Number(node, name, found, path) is not { } d) return null;
        if (d != Math.Floor(d))
        {
            found.Add(new($"{path}/{name}", "Should be integer"));
            return null;
        }
        if (d < min) found.Add(new($"{path}/{name}", $"Should be >= {min}"));
        else if (max is { } upper && d > upper) found.Add(new($"{path}/{name}", $"Should be <= {upper}"));
        else if (d > int.MaxValue) found.Add(new($"{path}/{name}", $"Should be <= {int.MaxValue}"));
        else return (int)d;
        return null;
    }

    [GeneratedRegex("^([+-])([0-9]{2})([0-9]{2})$")]
    private static partial Regex TimeZonePattern();

    [GeneratedRegex("^-P([0-9]{1,4})W$")]
    private static partial Regex WeeksPattern();
}
