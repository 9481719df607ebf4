using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.WebConsole;

/// <summary>
/// The built-in console at /_stratus/: the services, and per account and region the Lambda functions and
/// API stages with graphs of their last hour of metrics (from CloudWatch) and their recent log lines, the
/// alarms, custom metrics and log groups, then each of the <paramref name="sections"/> (<see cref="IConsoleSection"/>: stacks,
/// functions, APIs, dashboards, storage, configuration, databases, the Logs Insights box). Rendered on the server,
/// refreshed by the browser every 10 seconds.
/// </summary>
public sealed class StratusConsole(IReadOnlyList<IStratusService> services, CloudWatchService cloudWatch, LogsService logs, TimeProvider clock,
    IReadOnlyList<IConsoleSection>? sections = null)
{
    private const int Period = 60;
    private const int LogLines = 20;
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    public StratusPage Page => new("/_stratus", WriteAsync, IncludesSubpaths: false);

    public async Task WriteAsync(HttpContext http)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(Render(), http.RequestAborted);
    }

    public string Render()
    {
        var end = clock.GetUtcNow();
        var start = end - Window;
        var html = new StringBuilder();
        html.Append("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
            <title>Stratus console</title><style>
            body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2630;background:#f6f7f9}
            h1{margin:0 0 .25rem}h2{margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.25rem}h3{margin:.5rem 0}
            table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde;padding:.25rem .6rem;text-align:left;font-size:.9rem}
            .card{background:#fff;border:1px solid #dde;border-radius:6px;padding:.75rem;margin:.75rem 0}
            .charts{display:flex;flex-wrap:wrap;gap:.5rem}.chart .title{font-size:12px;font-weight:600}.chart .axis,.chart .legend{font-size:10px}
            .chart .plot{fill:#fbfcfd;stroke:#dde}.widget{max-width:380px}.text-widget{background:#fff;border:1px solid #dde;padding:.5rem;white-space:pre-wrap;font-size:.9rem}
            .status-failed{color:#b00020}.status-rollback{color:#b45309}.status-complete{color:#1b7f3a}.status-progress{color:#1f6feb}
            .timeline{list-style:none;padding-left:.75rem;border-left:3px solid #ccd;font-size:.85rem}.timeline li{margin:.2rem 0}.logs{background:#111820;color:#d6e2ee;font:12px monospace;padding:.5rem;white-space:pre-wrap;max-height:16rem;overflow:auto}
            .state-ALARM{color:#b00020;font-weight:600}.state-OK{color:#1b7f3a}.muted{color:#667}
            </style></head><body><h1>Stratus</h1>
            """);
        html.Append(CultureInfo.InvariantCulture, $"""<p class="muted">Updated {end.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; graphs show the last hour per minute.</p>""");
        html.Append("<h2>Services</h2><table><tr><th>service</th><th>signing name</th><th>state</th></tr>");
        foreach (var service in services)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(service.Name)}</td><td>{E(service.Endpoint.SigningName)}</td><td>{E(service.State)}</td></tr>");
        html.Append("</table>");

        var metrics = cloudWatch.AllMetrics().ToList();
        var groups = logs.AllGroups().ToList();
        var alarms = cloudWatch.AllAlarms().ToList();
        var scopes = metrics.Select(m => (m.AccountId, m.Region)).Concat(groups.Select(g => (g.AccountId, g.Region)))
            .Concat(alarms.Select(a => (a.AccountId, a.Region))).Concat((sections ?? []).SelectMany(s => s.Scopes())).Distinct().OrderBy(s => s.AccountId).ThenBy(s => s.Region).ToList();
        if (scopes.Count == 0) html.Append("<p class=\"muted\">No metrics, alarms or logs yet.</p>");
        foreach (var (account, region) in scopes)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Account {E(account)} · {E(region)}</h2>");
            var scopedMetrics = metrics.Where(m => m.AccountId == account && m.Region == region).ToList();
            var scopedGroups = groups.Where(g => g.AccountId == account && g.Region == region).ToList();
            RenderFunctions(html, account, region, scopedMetrics, scopedGroups, start, end);
            RenderStages(html, account, region, scopedMetrics, start, end);
            RenderHttpApiStages(html, account, region, scopedMetrics, start, end);
            RenderAlarms(html, alarms.Where(a => a.AccountId == account && a.Region == region).ToList());
            RenderCustomMetrics(html, scopedMetrics, start, end);
            RenderLogGroups(html, account, region, scopedGroups);
            foreach (var section in sections ?? []) section.Render(html, account, region);
        }
        html.Append("</body></html>");
        return html.ToString();
    }

    private void RenderFunctions(StringBuilder html, string account, string region, List<MetricIdentity> metrics, List<LogGroup> groups, DateTimeOffset start, DateTimeOffset end)
    {
        const string logPrefix = "/aws/lambda/";
        var functions = metrics.Where(m => m.Namespace == "AWS/Lambda").Select(m => Dimension(m, "FunctionName")).OfType<string>()
            .Concat(groups.Where(g => g.Name.StartsWith(logPrefix, StringComparison.Ordinal)).Select(g => g.Name[logPrefix.Length..]))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        if (functions.Count == 0) return;
        html.Append("<h3>Lambda functions</h3>");
        foreach (var function in functions)
        {
            MetricIdentity Metric(string name) => MetricIdentity.Create(account, region, "AWS/Lambda", name, [new MetricDimension("FunctionName", function)]);
            html.Append(CultureInfo.InvariantCulture, $"""<div class="card" data-function="{E(function)}"><h3>{E(function)}</h3><div class="charts">""");
            html.Append(SvgChart.Render("Invocations", start, end, [Series("Sum", "#1f6feb", Metric("Invocations"), "Sum", start, end)]));
            html.Append(SvgChart.Render("Duration (ms)", start, end,
                [Series("p50", "#1b7f3a", Metric("Duration"), "p50", start, end), Series("p99", "#d97706", Metric("Duration"), "p99", start, end)]));
            html.Append(SvgChart.Render("Errors", start, end, [Series("Sum", "#b00020", Metric("Errors"), "Sum", start, end)]));
            html.Append(SvgChart.Render("Throttles", start, end, [Series("Sum", "#7c3aed", Metric("Throttles"), "Sum", start, end)]));
            html.Append("</div>");
            var group = groups.FirstOrDefault(g => g.Name == logPrefix + function);
            var lines = group is null ? [] : logs.RecentEvents(group, LogLines);
            html.Append("<div class=\"logs\">");
            if (lines.Count == 0) html.Append("no log lines yet");
            foreach (var line in lines)
                html.Append(CultureInfo.InvariantCulture, $"{DateTimeOffset.FromUnixTimeMilliseconds(line.Event.Timestamp).UtcDateTime:HH:mm:ss.fff} {E(line.Event.Message.TrimEnd())}\n");
            html.Append("</div></div>");
        }
    }

    private void RenderStages(StringBuilder html, string account, string region, List<MetricIdentity> metrics, DateTimeOffset start, DateTimeOffset end)
    {
        var stages = metrics.Where(m => m.Namespace == "AWS/ApiGateway" && m.Dimensions.Count == 2)
            .Select(m => (Api: Dimension(m, "ApiName"), Stage: Dimension(m, "Stage")))
            .Where(s => s.Api is not null && s.Stage is not null).Distinct().OrderBy(s => s.Api).ThenBy(s => s.Stage).ToList();
        if (stages.Count == 0) return;
        html.Append("<h3>API stages</h3>");
        foreach (var (api, stage) in stages)
        {
            MetricIdentity Metric(string name) => MetricIdentity.Create(account, region, "AWS/ApiGateway", name,
                [new MetricDimension("ApiName", api!), new MetricDimension("Stage", stage!)]);
            html.Append(CultureInfo.InvariantCulture, $"""<div class="card" data-stage="{E(api!)}/{E(stage!)}"><h3>{E(api!)} · {E(stage!)}</h3><div class="charts">""");
            html.Append(SvgChart.Render("Count", start, end, [Series("Sum", "#1f6feb", Metric("Count"), "Sum", start, end)]));
            html.Append(SvgChart.Render("Latency (ms)", start, end,
                [Series("p50", "#1b7f3a", Metric("Latency"), "p50", start, end), Series("p99", "#d97706", Metric("Latency"), "p99", start, end)]));
            html.Append(SvgChart.Render("5XXError", start, end, [Series("Sum", "#b00020", Metric("5XXError"), "Sum", start, end)]));
            html.Append("</div></div>");
        }
    }

    /// <summary>HTTP API stages (metrics per ApiId and Stage), each with its invoke URL in the path form, which opens without DNS.</summary>
    private void RenderHttpApiStages(StringBuilder html, string account, string region, List<MetricIdentity> metrics, DateTimeOffset start, DateTimeOffset end)
    {
        var stages = metrics.Where(m => m.Namespace == "AWS/ApiGateway" && m.Dimensions.Count == 2)
            .Select(m => (Api: Dimension(m, "ApiId"), Stage: Dimension(m, "Stage")))
            .Where(s => s.Api is not null && s.Stage is not null).Distinct().OrderBy(s => s.Api).ThenBy(s => s.Stage).ToList();
        if (stages.Count == 0) return;
        html.Append("<h3>HTTP API stages</h3>");
        foreach (var (api, stage) in stages)
        {
            MetricIdentity Metric(string name) => MetricIdentity.Create(account, region, "AWS/ApiGateway", name,
                [new MetricDimension("ApiId", api!), new MetricDimension("Stage", stage!)]);
            var url = "/_aws/execute-api/" + api + (stage == "$default" ? "/" : "/" + stage + "/");
            html.Append(CultureInfo.InvariantCulture, $"""<div class="card" data-http-stage="{E(api!)}/{E(stage!)}"><h3>{E(api!)} · {E(stage!)} · <a href="{E(url)}">{E(url)}</a></h3><div class="charts">""");
            html.Append(SvgChart.Render("Count", start, end, [Series("Sum", "#1f6feb", Metric("Count"), "Sum", start, end)]));
            html.Append(SvgChart.Render("Latency (ms)", start, end,
                [Series("p50", "#1b7f3a", Metric("Latency"), "p50", start, end), Series("p99", "#d97706", Metric("Latency"), "p99", start, end)]));
            html.Append(SvgChart.Render("5xx", start, end, [Series("Sum", "#b00020", Metric("5xx"), "Sum", start, end)]));
            html.Append("</div></div>");
        }
    }

    private static void RenderAlarms(StringBuilder html, List<MetricAlarm> alarms)
    {
        if (alarms.Count == 0) return;
        html.Append("<h3>Alarms</h3><table><tr><th>alarm</th><th>metric</th><th>state</th><th>reason</th></tr>");
        foreach (var alarm in alarms)
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr><td>{E(alarm.AlarmName)}</td><td>{E(alarm.Namespace ?? "metric math")} {E(alarm.MetricName ?? "")}</td><td class="state-{E(alarm.StateValue)}">{E(alarm.StateValue)}</td><td>{E(alarm.StateReason)}</td></tr>""");
        html.Append("</table>");
    }

    /// <summary>Custom metrics get an Average graph each (CloudWatch's default statistic), the first few per account and region.</summary>
    private void RenderCustomMetrics(StringBuilder html, List<MetricIdentity> metrics, DateTimeOffset start, DateTimeOffset end)
    {
        const int graphed = 12;
        var custom = metrics.Where(m => !m.Namespace.StartsWith("AWS/", StringComparison.Ordinal))
            .OrderBy(m => m.Namespace, StringComparer.Ordinal).ThenBy(m => m.MetricName, StringComparer.Ordinal).ThenBy(m => m.Key, StringComparer.Ordinal).ToList();
        if (custom.Count == 0) return;
        html.Append("<h3>Custom metrics</h3><div class=\"charts\">");
        foreach (var metric in custom.Take(graphed))
        {
            var title = $"{metric.Namespace} {metric.MetricName}" + string.Concat(metric.Dimensions.Select(d => $" {d.Name}={d.Value}"));
            html.Append(SvgChart.Render(title, start, end, [Series("Average", "#1f6feb", metric, "Average", start, end)]));
        }
        html.Append("</div>");
        if (custom.Count > graphed)
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">and {custom.Count - graphed} more; list them with aws cloudwatch list-metrics.</p>");
    }

    private void RenderLogGroups(StringBuilder html, string account, string region, List<LogGroup> groups)
    {
        if (groups.Count == 0) return;
        html.Append("<h3>Log groups</h3><table><tr><th>log group</th><th>retention</th><th>stored bytes</th></tr>");
        foreach (var group in groups)
            html.Append(CultureInfo.InvariantCulture,
                $"<tr{ConsoleAnchor.Attribute(ConsoleAnchor.LogGroup, account, region, group.Name)}><td>{E(group.Name)}</td><td>{(group.RetentionInDays is { } days ? $"{days} days" : "never expire")}</td><td>{logs.StoredBytes(group)}</td></tr>");
        html.Append("</table>");
    }

    private ChartSeries Series(string name, string color, MetricIdentity metric, string statistic, DateTimeOffset start, DateTimeOffset end) =>
        new(name, color, cloudWatch.StatisticPoints(metric, statistic, start, end, Period));

    private static string? Dimension(MetricIdentity metric, string name) => metric.Dimensions.FirstOrDefault(d => d.Name == name)?.Value;

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
