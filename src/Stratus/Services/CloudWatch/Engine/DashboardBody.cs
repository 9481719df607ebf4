using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.CloudWatch.Engine;

/// <summary>One finding of the dashboard body check, as AWS reports it: where (a JSON pointer) and what.</summary>
public sealed record DashboardValidationMessage(string DataPath, string Message);

/// <summary>
/// Checks a dashboard body against the structure CloudWatch documents for it (the "Dashboard Body Structure and
/// Syntax" reference): an object with <c>widgets</c> and optional <c>start</c>, <c>end</c>, <c>periodOverride</c>
/// and <c>variables</c>; each widget an object with a known <c>type</c>, integer <c>x</c>/<c>y</c> (0 or more) and
/// <c>width</c>/<c>height</c> (1 to 24), and <c>properties</c>; a metric widget's <c>metrics</c> an array of arrays,
/// a text widget's <c>markdown</c> a string. A time range (the body's <c>start</c>/<c>end</c>, and a widget's own in its
/// properties, which AWS applies to that widget independently of the dashboard's) is an absolute ISO 8601 time or a
/// duration before now (-PT3H); <c>end</c> needs a <c>start</c> and comes after it. Findings are worded as CloudWatch's
/// schema validator words them ("Should be array", "Should have required property 'widgets'"). Widgets are bounded to AWS's 500.
/// </summary>
public static class DashboardBody
{
    public const int MaxWidgets = 500;

    private static readonly HashSet<string> RootMembers = ["widgets", "start", "end", "periodOverride", "variables"];
    private static readonly HashSet<string> WidgetMembers = ["type", "x", "y", "width", "height", "properties"];
    private static readonly string[] WidgetTypes = ["metric", "text", "log", "alarm", "explorer", "custom"];

    /// <summary>The periods <c>periodOverride: auto</c> chooses from, shortest first.</summary>
    private static readonly int[] AutoPeriods = [60, 300, 900, 3600, 21_600, 86_400];
    /// <summary>The most points <c>periodOverride: auto</c> lets a line have before it takes a longer period: a day of minutes.</summary>
    public const int AutoPoints = 1440;

    /// <summary>The body's problems; empty when it is valid. Relative times are read against <paramref name="now"/>.</summary>
    public static IReadOnlyList<DashboardValidationMessage> Validate(JsonNode? body, DateTimeOffset now)
    {
        var found = new List<DashboardValidationMessage>();
        if (body is not JsonObject root)
        {
            found.Add(new("", "Should be object"));
            return found;
        }
        foreach (var (name, _) in root)
            if (!RootMembers.Contains(name)) found.Add(new("", "Should NOT have additional properties"));
        if (root["periodOverride"] is { } period && !(period is JsonValue v && v.TryGetValue<string>(out var p) && p is "auto" or "inherit"))
            found.Add(new("/periodOverride", "Should be equal to one of the allowed values"));
        TimeRange(root, "", now, found);
        if (!root.TryGetPropertyValue("widgets", out var widgetsNode))
        {
            found.Add(new("", "Should have required property 'widgets'"));
            return found;
        }
        if (widgetsNode is not JsonArray widgets)
        {
            found.Add(new("/widgets", "Should be array"));
            return found;
        }
        if (widgets.Count > MaxWidgets)
        {
            found.Add(new("/widgets", $"Should NOT have more than {MaxWidgets} items"));
            return found;
        }
        for (var i = 0; i < widgets.Count; i++) ValidateWidget(widgets[i], $"/widgets/{i}", now, found);
        return found;
    }

    /// <summary>
    /// The time range a dashboard body, or a widget's properties, gives itself: from <c>start</c> to <c>end</c>, or to now
    /// when only <c>start</c> is given; null when it gives none (the dashboard's, or the console's default, applies).
    /// </summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? TimeRange(JsonObject holder, DateTimeOffset now) =>
        TimeRange(holder, "", now, []);

    /// <summary>
    /// The period a line is drawn at: its own under <c>periodOverride: inherit</c>; under <c>auto</c> (AWS's default, whose
    /// choice AWS does not document) the shortest of 1 minute, 5 and 15 minutes, 1 and 6 hours and 1 day, and no shorter than
    /// the line's own, that keeps the range to <see cref="AutoPoints"/> points, so a two-week range is drawn at 15 minutes.
    /// </summary>
    public static int ChartPeriod(int period, DateTimeOffset start, DateTimeOffset end, bool auto)
    {
        if (!auto) return period;
        var seconds = (end - start).TotalSeconds;
        if (seconds / period <= AutoPoints) return period;
        return AutoPeriods.FirstOrDefault(p => p > period && seconds / p <= AutoPoints, Math.Max(period, AutoPeriods[^1]));
    }

    /// <summary>Whether the body asks for every graph's own period (<c>periodOverride: inherit</c>) rather than AWS's default, auto.</summary>
    public static bool InheritsPeriods(JsonObject root) =>
        root["periodOverride"] is JsonValue v && v.TryGetValue<string>(out var period) && period == "inherit";

    private static (DateTimeOffset Start, DateTimeOffset End)? TimeRange(JsonObject holder, string path, DateTimeOffset now, List<DashboardValidationMessage> found)
    {
        var start = MetricWidget.Time(holder, "start", now, found, path);
        var end = MetricWidget.Time(holder, "end", now, found, path);
        if (holder.ContainsKey("end") && !holder.ContainsKey("start"))
        {
            found.Add(new(path, "Should have property start when property end is present"));
            return null;
        }
        if (start is not { } from) return null;
        var to = end ?? now;
        if (from >= to)
        {
            found.Add(new(path + "/start", "Should be before end"));
            return null;
        }
        return (from, to);
    }

    private static void ValidateWidget(JsonNode? node, string path, DateTimeOffset now, List<DashboardValidationMessage> found)
    {
        if (node is not JsonObject widget)
        {
            found.Add(new(path, "Should be object"));
            return;
        }
        foreach (var (name, _) in widget)
            if (!WidgetMembers.Contains(name)) found.Add(new(path, "Should NOT have additional properties"));
        CheckInteger(widget, "x", 0, null, path, found);
        CheckInteger(widget, "y", 0, null, path, found);
        CheckInteger(widget, "width", 1, 24, path, found);
        CheckInteger(widget, "height", 1, 1000, path, found);
        if (!widget.TryGetPropertyValue("type", out var typeNode))
        {
            found.Add(new(path, "Should have required property 'type'"));
            return;
        }
        if (!(typeNode is JsonValue t && t.TryGetValue<string>(out var type) && WidgetTypes.Contains(type)))
        {
            found.Add(new(path + "/type", "Should be equal to one of the allowed values"));
            return;
        }
        if (!widget.TryGetPropertyValue("properties", out var propertiesNode))
        {
            found.Add(new(path, "Should have required property 'properties'"));
            return;
        }
        if (propertiesNode is not JsonObject properties)
        {
            found.Add(new(path + "/properties", "Should be object"));
            return;
        }
        switch (type)
        {
            case "metric":
                ValidateMetrics(properties, path + "/properties", found);
                TimeRange(properties, path + "/properties", now, found);
                break;
            case "text":
                if (!properties.TryGetPropertyValue("markdown", out var markdown))
                    found.Add(new(path + "/properties", "Should have required property 'markdown'"));
                else if (!(markdown is JsonValue m && m.GetValueKind() == JsonValueKind.String))
                    found.Add(new(path + "/properties/markdown", "Should be string"));
                break;
            case "log":
                if (!properties.TryGetPropertyValue("query", out var query))
                    found.Add(new(path + "/properties", "Should have required property 'query'"));
                else if (!(query is JsonValue q && q.GetValueKind() == JsonValueKind.String))
                    found.Add(new(path + "/properties/query", "Should be string"));
                break;
            case "alarm":
                if (properties["alarms"] is not JsonArray)
                    found.Add(properties.ContainsKey("alarms")
                        ? new(path + "/properties/alarms", "Should be array")
                        : new(path + "/properties", "Should have required property 'alarms'"));
                break;
        }
    }

    /// <summary>A metric widget's metrics: arrays of strings (namespace, name, dimension pairs, "." repeats), an optional rendering object last.</summary>
    private static void ValidateMetrics(JsonObject properties, string path, List<DashboardValidationMessage> found)
    {
        if (!properties.TryGetPropertyValue("metrics", out var metricsNode)) return;
        if (metricsNode is not JsonArray metrics)
        {
            found.Add(new(path + "/metrics", "Should be array"));
            return;
        }
        for (var i = 0; i < metrics.Count; i++)
        {
            var at = $"{path}/metrics/{i}";
            if (metrics[i] is not JsonArray metric)
            {
                found.Add(new(at, "Should be array"));
                found.Add(new(at, "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element"));
                continue;
            }
            for (var j = 0; j < metric.Count; j++)
            {
                var isString = metric[j] is JsonValue s && s.GetValueKind() == JsonValueKind.String;
                var isRenderer = j == metric.Count - 1 && metric[j] is JsonObject;
                if (isString || isRenderer) continue;
                found.Add(new(at, "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element"));
                break;
            }
        }
    }

    private static void CheckInteger(JsonObject widget, string name, int min, int? max, string path, List<DashboardValidationMessage> found)
    {
        if (!widget.TryGetPropertyValue(name, out var node) || node is null) return;
        if (!(node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d)))
        {
            found.Add(new($"{path}/{name}", "Should be integer"));
            return;
        }
        if (d < min) found.Add(new($"{path}/{name}", $"Should be >= {min}"));
        else if (max is { } upper && d > upper) found.Add(new($"{path}/{name}", $"Should be <= {upper}"));
    }

    /// <summary>The error text AWS gives with the findings: a count and the findings as an indented JSON array.</summary>
    public static string ErrorMessage(IReadOnlyList<DashboardValidationMessage> found, string subject = "The dashboard body")
    {
        var list = new JsonArray(found.Select(f => (JsonNode)new JsonObject { ["dataPath"] = f.DataPath, ["message"] = f.Message }).ToArray());
        return $"{subject} is invalid, there are {found.Count} validation errors:\n"
            + list.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
