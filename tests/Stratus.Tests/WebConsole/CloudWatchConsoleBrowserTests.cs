using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.WebConsole;

/// <summary>
/// The console at /_stratus/ in a real browser: headless Chromium (Debian's chromium package, or CHROMIUM)
/// loads it after CloudWatch and Logs have data, the DOM must hold the graphs and log lines, and a
/// screenshot is saved under the test output (screenshots/console.png).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudWatchConsoleBrowserTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Chromium_shows_function_graphs_log_lines_alarms_and_metrics()
    {
        await Clients.Boto3Async(stratus.Url, """
            logs, cw = client("logs"), client("cloudwatch")
            logs.create_log_group(logGroupName="/aws/lambda/demo-cct-lambda-seed-db")
            logs.create_log_stream(logGroupName="/aws/lambda/demo-cct-lambda-seed-db", logStreamName="2026/11/24/[$LATEST]0123abcd")
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/aws/lambda/demo-cct-lambda-seed-db", logStreamName="2026/11/24/[$LATEST]0123abcd", logEvents=[
                {"timestamp": now - 2, "message": "START RequestId: 5d1f Version: $LATEST"},
                {"timestamp": now - 1, "message": "END RequestId: 5d1f"},
                {"timestamp": now, "message": "REPORT RequestId: 5d1f\tDuration: 8.10 ms\tBilled Duration: 9 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB"}])
            cw.put_metric_data(Namespace="Demo/Shop", MetricData=[{"MetricName": "Orders", "Value": v, "Timestamp": time.time() - 60 * minutes}
                for minutes, v in [(50, 3), (40, 5), (30, 4), (20, 8), (10, 6), (0, 7)]])
            cw.put_metric_alarm(AlarmName="orders-stalled", Namespace="Demo/Shop", MetricName="Orders", Statistic="Sum", Period=60, EvaluationPeriods=1,
                Threshold=1, ComparisonOperator="LessThanThreshold")
            """);
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"Chromium is needed at {chromium} (apt-get install chromium, or set CHROMIUM).");
        var url = stratus.Url.TrimEnd('/') + "/_stratus/";
        var profile = Directory.CreateTempSubdirectory("stratus-chromium-");
        try
        {
            await AssertConsoleInBrowserAsync(chromium, url, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + profile.FullName]);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    private async Task AssertConsoleInBrowserAsync(string chromium, string url, string[] headless)
    {

        var dom = await Clients.RunAsync(chromium, [.. headless, "--dump-dom", url], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(dom.ExitCode == 0, dom.ToString());
        Assert.Contains("data-function=\"demo-cct-lambda-seed-db\"", dom.Stdout);
        foreach (var chart in new[] { "Invocations", "Duration (ms)", "Errors", "Throttles" }) Assert.Contains($"aria-label=\"{chart}\"", dom.Stdout);
        Assert.Contains("REPORT RequestId: 5d1f", dom.Stdout);
        Assert.Contains("orders-stalled", dom.Stdout);
        Assert.Contains("aria-label=\"Demo/Shop Orders\"", dom.Stdout);
        Assert.Contains("data-series=\"Average\"", dom.Stdout);
        Assert.Contains("<td>logs</td>", dom.Stdout);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "console.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);
        var shot = await Clients.RunAsync(chromium, [.. headless, "--window-size=1280,1400", "--screenshot=" + screenshot, url], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(shot.ExitCode == 0, shot.ToString());
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
    }
}
