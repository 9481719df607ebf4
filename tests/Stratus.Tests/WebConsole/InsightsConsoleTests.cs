using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;
using Stratus.Tests.Infrastructure;
using Stratus.WebConsole;

namespace Stratus.Tests.WebConsole;

/// <summary>The console's Logs Insights box runs a query through LogsService's engine in the page's account and region and shows the rows, escaped.</summary>
public sealed class InsightsConsoleTests : IDisposable
{
    private const string Account = "000000000000";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly CloudWatchService _cloudWatch;
    private readonly LogsService _logs;
    private readonly InsightsConsole _console;

    public InsightsConsoleTests()
    {
        _cloudWatch = new CloudWatchService(_store, _clock, new RefusingLambda(), NullLogger.Instance, TimeSpan.FromHours(1));
        _logs = new LogsService(_store, _clock, _cloudWatch, NullLogger.Instance, new RefusingLambda(), () => null);
        _console = new InsightsConsole(_logs, _clock);
        var now = _clock.GetUtcNow();
        _logs.Append(Account, "us-east-1", "/aws/lambda/orders", "s1",
            [new LogLine(now.AddMinutes(-5), "ERROR order <b>42</b> failed"), new LogLine(now.AddMinutes(-4), "INFO order 43 ok"), new LogLine(now.AddMinutes(-90), "ERROR too old")]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!_logs.AllGroups().Any(g => _logs.RecentEvents(g, 10).Count == 3) && DateTime.UtcNow < deadline) Thread.Sleep(20);
    }

    public void Dispose()
    {
        _cloudWatch.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task A_query_runs_over_the_chosen_minutes_and_shows_its_rows_escaped()
    {
        var (status, html) = await GetAsync("us-east-1", "/aws/lambda/orders", "fields @message | filter @message like /ERROR/", "60");

        Assert.Equal(200, status);
        Assert.Contains("data-query-status=\"Complete\"", html);
        Assert.Contains("<th>@message</th>", html);
        Assert.Contains("<td>ERROR order &lt;b&gt;42&lt;/b&gt; failed</td>", html);
        Assert.DoesNotContain("<b>42</b>", html);
        Assert.DoesNotContain("INFO order 43", html[html.IndexOf("class=\"results\"", StringComparison.Ordinal)..]);
        Assert.DoesNotContain("too old", html);
        Assert.Contains("1 rows", html);
    }

    [Fact]
    public async Task A_malformed_query_an_unknown_group_or_another_region_answer_the_engine_s_error()
    {
        var (malformed, html) = await GetAsync("us-east-1", "/aws/lambda/orders", "fields @message | nonsense", "60");
        Assert.Equal(400, malformed);
        Assert.Contains("MalformedQueryException", html);

        var (elsewhere, other) = await GetAsync("eu-west-1", "/aws/lambda/orders", "fields @message", "60");
        Assert.Equal(400, elsewhere);
        Assert.Contains("ResourceNotFoundException", other);

        var (badMinutes, minutes) = await GetAsync("us-east-1", "/aws/lambda/orders", "fields @message", "999999");
        Assert.Equal(400, badMinutes);
        Assert.Contains("Give minutes as a whole number from 1 to 43,200.", minutes);
    }

    [Fact]
    public void Each_account_and_region_with_log_groups_gets_the_query_box()
    {
        var html = new System.Text.StringBuilder();
        _console.Render(html, Account, "us-east-1");
        Assert.Contains("action=\"/_stratus/insights\"", html.ToString());
        Assert.Contains("<option value=\"/aws/lambda/orders\" selected>", html.ToString());
    }

    private async Task<(int Status, string Html)> GetAsync(string region, string group, string query, string minutes)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = InsightsConsole.Path;
        http.Request.QueryString = QueryString.Create(new Dictionary<string, string?> { ["account"] = Account, ["region"] = region, ["logGroup"] = group, ["query"] = query, ["minutes"] = minutes });
        var body = new MemoryStream();
        http.Response.Body = body;
        await _console.Page.Handler(http);
        return (http.Response.StatusCode, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
