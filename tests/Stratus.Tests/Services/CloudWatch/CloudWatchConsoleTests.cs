using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Services.Lambda;
using Stratus.Services.Logs;
using Stratus.WebConsole;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>The console page renders what CloudWatch and Logs hold: graphs per function and stage, and log lines.</summary>
public sealed class CloudWatchConsoleTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly StateStore _store = StateStore.Ephemeral();
    private readonly CloudWatchService _cloudWatch;
    private readonly LogsService _logs;

    public CloudWatchConsoleTests()
    {
        _cloudWatch = new CloudWatchService(_store, _clock, new RefusingLambda(), NullLogger.Instance, TimeSpan.FromHours(1));
        _logs = new LogsService(_store, _clock, _cloudWatch, NullLogger.Instance, new RefusingLambda(), () => null);
    }

    public void Dispose()
    {
        _cloudWatch.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public void Functions_and_stages_get_graphs_and_functions_their_recent_log_lines()
    {
        var now = _clock.GetUtcNow();
        foreach (var minutesAgo in new[] { 30, 20, 10 })
        {
            Publish("AWS/Lambda", "Invocations", 2, now.AddMinutes(-minutesAgo), ("FunctionName", "orders"));
            Publish("AWS/Lambda", "Duration", 12.5, now.AddMinutes(-minutesAgo), ("FunctionName", "orders"));
            Publish("AWS/ApiGateway", "Count", 1, now.AddMinutes(-minutesAgo), ("ApiName", "shop"), ("Stage", "prod"));
        }
        _logs.Append("000000000000", "us-east-1", "/aws/lambda/orders", "2026/01/01/[$LATEST]abc", [new LogLine(now, "REPORT RequestId: r-1 Duration: 12.50 ms <b>")]);
        WaitUntil(() => _cloudWatch.AllMetrics().Count() == 3 && _logs.AllGroups().Any());

        var html = new StratusConsole([], _cloudWatch, _logs, _clock).Render();

        Assert.Contains("data-function=\"orders\"", html);
        Assert.Contains("data-stage=\"shop/prod\"", html);
        Assert.Contains("aria-label=\"Invocations\"", html);
        Assert.Contains("data-series=\"p99\"", html);
        // Invocations, Duration p50 and p99, and the stage's Count have data; Errors, Throttles, Latency and 5XXError do not.
        Assert.Equal(4, html.Split("class=\"series\"").Length - 1);
        Assert.Contains("REPORT RequestId: r-1 Duration: 12.50 ms &lt;b&gt;", html);
        Assert.Contains("Account 000000000000 · us-east-1", html);
    }

    [Fact]
    public void An_empty_Stratus_says_there_is_nothing_yet()
    {
        var html = new StratusConsole([], _cloudWatch, _logs, _clock).Render();

        Assert.Contains("No metrics, alarms or logs yet.", html);
        Assert.DoesNotContain("<svg", html);
    }

    private void Publish(string ns, string name, double value, DateTimeOffset at, params (string Name, string Value)[] dimensions) =>
        _cloudWatch.Publish(new MetricDatum("000000000000", "us-east-1", ns, name,
            dimensions.Select(d => KeyValuePair.Create(d.Name, d.Value)).ToList(), value, name == "Duration" ? "Milliseconds" : "Count", at));

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(condition(), "the published data never arrived");
    }
}
