using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.Logs;

namespace Stratus.WebConsole;

/// <summary>
/// The console's Logs Insights query box: a form in each account and region's part of the page, and the page it sends
/// to, GET /_stratus/insights?account=A&amp;region=R&amp;logGroup=G&amp;query=Q&amp;minutes=M, which runs the query through
/// LogsService's Insights engine in that account and region over the last M minutes and shows the result table. The
/// engine's own limits hold (StartQuery's checks, its concurrency limit, its default 1,000 rows, a query's own
/// `limit`); the page waits at most <see cref="QueryWait"/> and then stops the query. Under --auth verify it takes the
/// console's token like every page under /_stratus/.
/// </summary>
public sealed class InsightsConsole(LogsService logs, TimeProvider clock) : IConsoleSection
{
    public const string Path = "/_stratus/insights";
    public const string DefaultQuery = "fields @timestamp, @message\n| sort @timestamp desc\n| limit 20";
    public const int DefaultMinutes = 60;
    /// <summary>The widest range the box offers: 30 days, in minutes.</summary>
    public const int MaxMinutes = 43_200;
    /// <summary>StartQuery's queryString limit.</summary>
    public const int MaxQueryLength = 10_000;
    /// <summary>A log group name's limit.</summary>
    public const int MaxGroupNameLength = 512;
    private static readonly TimeSpan QueryWait = TimeSpan.FromSeconds(30);

    public StratusPage Page => new(Path, WriteAsync, IncludesSubpaths: false);

    /// <summary>The box shows where log groups are, which the console's own scopes already include.</summary>
    public IEnumerable<(string AccountId, string Region)> Scopes() => [];

    public void Render(StringBuilder html, string account, string region)
    {
        var groups = logs.AllGroups().Where(g => g.AccountId == account && g.Region == region).Select(g => g.Name).ToList();
        if (groups.Count == 0) return;
        html.Append("<h3>Logs Insights</h3>");
        AppendForm(html, account, region, groups, groups[0], DefaultQuery, DefaultMinutes);
    }

    private static void AppendForm(StringBuilder html, string account, string region, IEnumerable<string> groups, string selected, string query, int minutes)
    {
        html.Append(CultureInfo.InvariantCulture,
            $"""<form class="insights" method="get" action="{Path}"><input type="hidden" name="account" value="{E(account)}"><input type="hidden" name="region" value="{E(region)}"><label>log group <select name="logGroup">""");
        foreach (var group in groups)
            html.Append(CultureInfo.InvariantCulture, $"""<option value="{E(group)}"{(group == selected ? " selected" : "")}>{E(group)}</option>""");
        html.Append(CultureInfo.InvariantCulture,
            $"""</select></label> <label>last <input type="number" name="minutes" min="1" max="{MaxMinutes}" value="{minutes}"> minutes</label><br><textarea name="query" rows="4" cols="80">{E(query)}</textarea><br><button type="submit">Run query</button></form>""");
    }

    private async Task WriteAsync(HttpContext http)
    {
        var request = http.Request.Query;
        var account = request["account"].ToString();
        var region = request["region"].ToString();
        var group = request["logGroup"].ToString();
        var query = request["query"].ToString();
        var minutesText = request["minutes"].ToString();
        var html = new StringBuilder();
        html.Append("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Logs Insights · Stratus</title><style>
            body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2630;background:#f6f7f9}
            table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde;padding:.25rem .6rem;text-align:left;font-size:.9rem;white-space:pre-wrap}
            .error{color:#b00020}.muted{color:#667}
            </style></head><body><h1>Logs Insights</h1><p><a href="/_stratus/">back to the console</a></p>
            """);
        var minutes = int.TryParse(minutesText, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : minutesText.Length == 0 ? DefaultMinutes : -1;
        var problem = account.Length == 0 || region.Length == 0 ? "Give the account and region (the console's form does)."
            : group.Length is 0 or > MaxGroupNameLength ? $"Give a log group name of 1 to {MaxGroupNameLength} characters."
            : query.Length is 0 or > MaxQueryLength ? $"Give a query of 1 to {MaxQueryLength:N0} characters."
            : minutes is < 1 or > MaxMinutes ? $"Give minutes as a whole number from 1 to {MaxMinutes:N0}."
            : null;
        var groups = logs.AllGroups().Where(g => g.AccountId == account && g.Region == region).Select(g => g.Name).ToList();
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">Account {E(account)} · {E(region)}</p>");
        AppendForm(html, account, region, groups.Contains(group) || group.Length == 0 ? groups : [group, .. groups], group, query.Length == 0 ? DefaultQuery : query,
            minutes is >= 1 and <= MaxMinutes ? minutes : DefaultMinutes);
        if (problem is not null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\">{E(problem)}</p>");
        }
        else
            http.Response.StatusCode = await RunAsync(html, Scope.Of(account, region), group, query, minutes, http.RequestAborted);
        html.Append("</body></html>");
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(html.ToString(), http.RequestAborted);
    }

    /// <summary>Runs the query and appends its result table; answers the page's status (400 for a query the engine refuses).</summary>
    private async Task<int> RunAsync(StringBuilder html, Scope scope, string group, string query, int minutes, CancellationToken aborted)
    {
        var end = clock.GetUtcNow().ToUnixTimeSeconds();
        string id;
        try
        {
            id = logs.StartQuery(scope, new StartQueryInput([group], end - minutes * 60L, end, query, null, null));
        }
        catch (AwsException e)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\">{E(e.Code)}: {E(e.Message)}</p>");
            return e.StatusCode;
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        wait.CancelAfter(QueryWait);
        QueryInfo info;
        try
        {
            info = await logs.FinishedAsync(scope, id, wait.Token);
        }
        catch (OperationCanceledException)
        {
            logs.StopQuery(scope, id);
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\">The query ran longer than {QueryWait.TotalSeconds:0} seconds and was stopped; narrow its time range or its log group.</p>");
            return StatusCodes.Status200OK;
        }
        if (info.Status != QueryStatus.Complete || info.Result is not { } result)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\">The query ended {E(info.Status)}.</p>");
            return StatusCodes.Status200OK;
        }
        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"muted\" data-query-status=\"{E(info.Status)}\">{result.Rows.Count:N0} rows · {result.RecordsMatched:N0} records matched · {result.RecordsScanned:N0} scanned · {info.DurationMs ?? 0} ms</p>");
        var columns = result.Rows.SelectMany(row => row.Select(cell => cell.Field)).Distinct().ToList();
        html.Append("<table class=\"results\"><tr>");
        foreach (var column in columns) html.Append(CultureInfo.InvariantCulture, $"<th>{E(column)}</th>");
        html.Append("</tr>");
        foreach (var row in result.Rows)
        {
            var cells = row.GroupBy(cell => cell.Field).ToDictionary(cells => cells.Key, cells => cells.First().Value);
            html.Append("<tr>");
            foreach (var column in columns) html.Append(CultureInfo.InvariantCulture, $"<td>{E(cells.GetValueOrDefault(column, ""))}</td>");
            html.Append("</tr>");
        }
        html.Append("</table>");
        return StatusCodes.Status200OK;
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
