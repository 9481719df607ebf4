using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Protocols.Json;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;
using static Stratus.WebConsole.ConsoleHtml;

namespace Stratus.WebConsole;

/// <summary>
/// The console's CloudWatch dashboards: each widget drawn from its body as CloudWatch's console draws it, over the
/// widget's own time range (its properties' <c>start</c>/<c>end</c>), else the dashboard's (the body's), else the
/// console's last hour. A metric widget becomes an <see cref="SvgChart"/> with a line per metric, read with the
/// metric's (or the widget's) stat and period, lengthened to suit a long range unless the body's <c>periodOverride</c>
/// is <c>inherit</c> (<see cref="DashboardBody.ChartPeriod"/>); a text widget shows its markdown as escaped text; other widgets (and
/// metric math expressions, which need the math engine's evaluation over the dashboard's time range) are named as
/// not drawn. Dashboards belong to an account, not a region: each is shown in the section of the region its first
/// metric widget names, else Stratus's default region, and a metric widget without a region reads that region.
/// </summary>
public sealed class DashboardConsole(CloudWatchService cloudWatch, TimeProvider clock) : IConsoleSection
{
    /// <summary>CloudWatch's defaults for a metric widget that names no stat or period.</summary>
    public const string DefaultStat = "Average";
    public const int DefaultPeriod = 300;
    /// <summary>Widgets drawn per dashboard, so a refresh every 10 seconds stays cheap; AWS allows 500.</summary>
    public const int DrawnWidgets = 100;
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public IEnumerable<(string AccountId, string Region)> Scopes() =>
        cloudWatch.AllDashboards().Select(d => (d.AccountId, HomeRegion(Widgets(Body(d)))));

    public void Render(StringBuilder html, string account, string region)
    {
        var dashboards = cloudWatch.AllDashboards().Where(d => d.AccountId == account).Select(d => (Dashboard: d, Body: Body(d)))
            .Select(d => (d.Dashboard, d.Body, Widgets: Widgets(d.Body))).Where(d => HomeRegion(d.Widgets) == region).ToList();
        if (dashboards.Count == 0) return;
        var now = clock.GetUtcNow();
        html.Append("<h3>CloudWatch dashboards</h3>");
        foreach (var (dashboard, body, widgets) in dashboards)
        {
            var range = DashboardBody.TimeRange(body, now) ?? (now - Window, now);
            var autoPeriod = !DashboardBody.InheritsPeriods(body);
            CardHead(html, ConsoleAnchor.Dashboard, dashboard.Name, account, region, dashboard.Name, E(dashboard.Name));
            html.Append("<div class=\"charts\">");
            foreach (var widget in widgets.Take(DrawnWidgets)) RenderWidget(html, widget, account, region, range, autoPeriod, now);
            html.Append("</div>");
            if (widgets.Count > DrawnWidgets)
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">The first {DrawnWidgets} of {widgets.Count} widgets.</p>");
            html.Append("</div>");
        }
    }

    private void RenderWidget(StringBuilder html, JsonObject widget, string account, string region,
        (DateTimeOffset Start, DateTimeOffset End) dashboardRange, bool autoPeriod, DateTimeOffset now)
    {
        var type = Text(widget["type"]) ?? "";
        var properties = widget["properties"] as JsonObject ?? [];
        switch (type)
        {
            case "metric":
                // A widget's own range applies to it alone, independently of the dashboard's, as AWS documents.
                var (start, end) = DashboardBody.TimeRange(properties, now) ?? dashboardRange;
                RenderMetricWidget(html, properties, account, Text(properties["region"]) ?? region, start, end, autoPeriod);
                break;
            case "text":
                html.Append(CultureInfo.InvariantCulture, $"""<div class="widget text-widget">{E(Text(properties["markdown"]) ?? "")}</div>""");
                break;
            default:
                html.Append(CultureInfo.InvariantCulture,
                    $"""<div class="widget muted" data-widget-type="{E(type)}">{E(Text(properties["title"]) ?? type)}: a {E(type)} widget, not drawn by Stratus's console.</div>""");
                break;
        }
    }

    private void RenderMetricWidget(StringBuilder html, JsonObject properties, string account, string region, DateTimeOffset start, DateTimeOffset end, bool autoPeriod)
    {
        var widgetStat = Text(properties["stat"]) ?? DefaultStat;
        var widgetPeriod = Period(properties["period"]) ?? DefaultPeriod;
        var series = new List<ChartSeries>();
        var notDrawn = new List<string>();
        var periods = new SortedSet<int>();
        string[] previous = [];
        foreach (var row in (properties["metrics"] as JsonArray ?? []).OfType<JsonArray>())
        {
            var renderer = row.Count > 0 ? row[^1] as JsonObject : null;
            // "." repeats the previous metric's value at the same position, as CloudWatch's shorthand does.
            var parts = row.Where(n => n is JsonValue).Select((n, i) => Text(n) is "." && i < previous.Length ? previous[i] : Text(n) ?? "").ToArray();
            if (parts.Length < 2)
            {
                notDrawn.Add(renderer is not null && Text(renderer["expression"]) is { } expression ? $"expression {expression}" : "a metric without a namespace and name");
                continue;
            }
            previous = parts;
            var stat = Text(renderer?["stat"]) ?? widgetStat;
            var period = DashboardBody.ChartPeriod(Period(renderer?["period"]) ?? widgetPeriod, start, end, autoPeriod);
            var dimensions = parts.Skip(2).Chunk(2).Where(pair => pair.Length == 2).Select(pair => new MetricDimension(pair[0], pair[1]));
            var metric = MetricIdentity.Create(account, Text(renderer?["region"]) ?? region, parts[0], parts[1], dimensions);
            var label = Text(renderer?["label"]) ?? $"{parts[1]} {stat}";
            var points = cloudWatch.Statistics(metric, start, end, period)
                .Select(p => (p.Start, Value: p.Aggregate.Statistic(stat)))
                .Where(p => p.Value is not null)
                .Select(p => KeyValuePair.Create(p.Start, p.Value!.Value)).ToList();
            periods.Add(period);
            series.Add(new ChartSeries(label, Text(renderer?["color"]) is { } color && IsColour(color) ? color : Palette[series.Count % Palette.Length], points));
        }
        var title = Text(properties["title"]) ?? string.Join(", ", series.Select(s => s.Name));
        html.Append(CultureInfo.InvariantCulture,
            $"""<div class="widget" data-widget-type="metric" data-range="{start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}/{end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" data-periods="{string.Join(",", periods)}">""");
        html.Append(SvgChart.Render(title, start, end, series));
        if (notDrawn.Count > 0)
            html.Append(CultureInfo.InvariantCulture, $"""<p class="muted">Not drawn: {string.Join("; ", notDrawn.Select(E))}.</p>""");
        html.Append("</div>");
    }

    /// <summary>A stored body (validated when it was put), as an object.</summary>
    private static JsonObject Body(Dashboard dashboard)
    {
        try
        {
            return JsonBody.Parse(dashboard.Body) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static List<JsonObject> Widgets(JsonObject body) => (body["widgets"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    private static string HomeRegion(List<JsonObject> widgets) =>
        widgets.Where(w => Text(w["type"]) == "metric").Select(w => Text(w["properties"]?["region"])).OfType<string>().FirstOrDefault()
        ?? StratusOptions.DefaultRegion;

    /// <summary>A period in seconds as CloudWatch takes it (1 to a day); null when absent or not a whole number in range.</summary>
    private static int? Period(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var seconds)
        && seconds == Math.Floor(seconds) && seconds is >= 1 and <= 86_400 ? (int)seconds : null;

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A widget's colour goes into an SVG attribute: only #rgb or #rrggbb.</summary>
    private static bool IsColour(string color) => color.Length is 4 or 7 && color[0] == '#' && color[1..].All(char.IsAsciiHexDigit);
}
