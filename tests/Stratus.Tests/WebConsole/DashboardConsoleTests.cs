using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Tests.Infrastructure;
using Stratus.WebConsole;

namespace Stratus.Tests.WebConsole;

/// <summary>A dashboard's widgets drawn from its body: metric widgets as charts with their stat and period, text escaped, other types named.</summary>
public sealed class DashboardConsoleTests : IDisposable
{
    private const string Account = "000000000000";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly CloudWatchService _cloudWatch;

    public DashboardConsoleTests() =>
        _cloudWatch = new CloudWatchService(_store, _clock, new RefusingLambda(), NullLogger.Instance, TimeSpan.FromHours(1));

    public void Dispose() => _cloudWatch.Dispose();

    [Fact]
    public void Metric_widgets_are_charts_of_their_metrics_text_is_escaped_and_other_widgets_are_named_as_not_drawn()
    {
        var now = _clock.GetUtcNow();
        foreach (var minutesAgo in new[] { 40, 20 })
        {
            Publish("Invocations", 3, now.AddMinutes(-minutesAgo));
            Publish("Errors", 1, now.AddMinutes(-minutesAgo));
        }
        WaitUntil(() => _cloudWatch.AllMetrics().Count() == 2);
        _cloudWatch.PutDashboard(Scope.Of(Account, "eu-west-1"), "ops", """
            {"widgets": [
              {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {"title": "orders <fn>", "region": "eu-west-1", "period": 60, "stat": "Sum",
                "metrics": [["AWS/Lambda", "Invocations", "FunctionName", "orders"], [".", "Errors", ".", ".", {"stat": "Maximum", "label": "errors max", "color": "#d62728"}],
                            [{"expression": "m1 / m2", "label": "rate"}]]}},
              {"type": "text", "x": 0, "y": 6, "width": 6, "height": 2, "properties": {"markdown": "# On call <script>alert(1)</script>"}},
              {"type": "log", "x": 6, "y": 6, "width": 6, "height": 2, "properties": {"query": "SOURCE '/aws/lambda/orders' | fields @message", "title": "recent"}}
            ]}
            """);

        var console = new DashboardConsole(_cloudWatch, _clock);
        Assert.Equal((Account, "eu-west-1"), Assert.Single(console.Scopes()));
        var html = new StringBuilder();
        console.Render(html, Account, "us-east-1");
        Assert.Equal("", html.ToString());
        console.Render(html, Account, "eu-west-1");
        var page = html.ToString();

        Assert.Contains("data-dashboard=\"ops\"", page);
        Assert.Contains("id=\"dashboard:000000000000:eu-west-1:ops\"", page);
        Assert.Contains("aria-label=\"orders &lt;fn&gt;\"", page);
        // Two lines, each with two points: Invocations by the widget's Sum, Errors (the "." shorthand) by its own Maximum and colour.
        Assert.Contains("data-series=\"Invocations Sum\"", page);
        Assert.Contains("data-series=\"errors max\" fill=\"none\" stroke=\"#d62728\"", page);
        Assert.Equal(4, page.Split("<circle").Length - 1);
        Assert.Contains("Not drawn: expression m1 / m2.", page);
        Assert.Contains("# On call &lt;script&gt;alert(1)&lt;/script&gt;", page);
        Assert.DoesNotContain("<script>", page);
        Assert.Contains("recent: a log widget, not drawn by Stratus's console.", page);
    }

    [Fact]
    public void The_dashboard_time_range_and_each_widget_own_range_period_and_stat_are_honoured()
    {
        var now = _clock.GetUtcNow();
        foreach (var hoursAgo in new[] { 30, 20, 2.5, 0.5 }) Publish("Invocations", hoursAgo, now.AddHours(-hoursAgo));
        WaitUntil(() => _cloudWatch.Statistics(MetricIdentity.Create(Account, "eu-west-1", "AWS/Lambda", "Invocations", [new MetricDimension("FunctionName", "orders")]),
            now.AddDays(-2), now.AddMinutes(1), 60).Count == 4);
        var dayAgo = now.AddHours(-24);
        var metrics = """[["AWS/Lambda", "Invocations", "FunctionName", "orders"]]""";
        _cloudWatch.PutDashboard(Scope.Of(Account, "eu-west-1"), "ranged", $$$"""
            {"start": "-PT3H", "widgets": [
              {"type": "metric", "properties": {"region": "eu-west-1", "period": 60, "stat": "Maximum", "metrics": {{{metrics}}}}},
              {"type": "metric", "properties": {"region": "eu-west-1", "period": 60, "stat": "Sum", "metrics": {{{metrics}}},
                "start": "{{{dayAgo.AddHours(-12).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}}", "end": "{{{dayAgo.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}}"}},
              {"type": "metric", "properties": {"region": "eu-west-1", "period": 60, "metrics": {{{metrics}}}, "start": "-P2D"}}
            ]}
            """);
        _cloudWatch.PutDashboard(Scope.Of(Account, "eu-west-1"), "inherited", $$$"""
            {"start": "-P2D", "periodOverride": "inherit", "widgets": [
              {"type": "metric", "properties": {"region": "eu-west-1", "period": 60, "metrics": {{{metrics}}}}}]}
            """);

        var html = new StringBuilder();
        new DashboardConsole(_cloudWatch, _clock).Render(html, Account, "eu-west-1");
        var widgets = html.ToString().Split("data-widget-type=\"metric\"")[1..];

        static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");
        // The inherited dashboard (listed first, by name) keeps its one-minute period over two days: all four points.
        Assert.Contains($"data-range=\"{Stamp(now.AddDays(-2))}/{Stamp(now)}\" data-periods=\"60\"", widgets[0]);
        Assert.Equal(4, widgets[0].Split("<circle").Length - 1);
        // The dashboard's own three hours, not the console's hour: the points 2.5 and 0.5 hours ago, by the widget's stat.
        Assert.Contains($"data-range=\"{Stamp(now.AddHours(-3))}/{Stamp(now)}\" data-periods=\"60\"", widgets[1]);
        Assert.Contains("data-series=\"Invocations Maximum\"", widgets[1]);
        Assert.Equal(2, widgets[1].Split("<circle").Length - 1);
        // A widget's absolute range: only the point 30 hours ago, summed.
        Assert.Contains($"data-range=\"{Stamp(dayAgo.AddHours(-12))}/{Stamp(dayAgo)}\"", widgets[2]);
        Assert.Contains("data-series=\"Invocations Sum\"", widgets[2]);
        Assert.Equal(1, widgets[2].Split("<circle").Length - 1);
        // A widget's relative two days under periodOverride auto (AWS's default): 5-minute periods instead of 2,880 one-minute ones.
        Assert.Contains($"data-range=\"{Stamp(now.AddDays(-2))}/{Stamp(now)}\" data-periods=\"300\"", widgets[3]);
        Assert.Equal(4, widgets[3].Split("<circle").Length - 1);
    }

    [Fact]
    public void A_dashboard_without_a_metric_widget_region_is_shown_in_the_default_region()
    {
        _cloudWatch.PutDashboard(Scope.Of(Account, "ap-south-1"), "notes", """{"widgets": [{"type": "text", "properties": {"markdown": "hello"}}]}""");
        Assert.Equal((Account, "us-east-1"), Assert.Single(new DashboardConsole(_cloudWatch, _clock).Scopes()));
    }

    private void Publish(string name, double value, DateTimeOffset at) =>
        _cloudWatch.Publish(new MetricDatum(Account, "eu-west-1", "AWS/Lambda", name, [KeyValuePair.Create("FunctionName", "orders")], value, "Count", at));

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(condition(), "the published data never arrived");
    }
}
