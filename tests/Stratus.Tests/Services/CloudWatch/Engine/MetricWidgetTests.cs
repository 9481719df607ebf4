using System.Text.Json.Nodes;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class MetricWidgetTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static (MetricWidget? Widget, IReadOnlyList<DashboardValidationMessage> Findings) Read(string json) => MetricWidget.Read(JsonNode.Parse(json), Now);

    [Fact]
    public void Dots_repeat_the_metric_before_and_lines_without_an_id_get_one_the_widget_does_not_use()
    {
        var (widget, findings) = Read("""
            {"metrics": [["Shop", "Orders", "Store", "north", {"id": "m2"}], [".", ".", ".", "south", {"stat": "p99", "period": 300}],
                         [{"expression": "m2 + m2_", "label": "both"}]],
             "period": 60, "stat": "Sum"}
            """);

        Assert.Empty(findings);
        var lines = widget!.Lines;
        Assert.Equal(["m2", "m2_", "m3"], lines.Select(l => l.Query.Id));
        var first = lines[0].Query.MetricStat!;
        Assert.Equal(("Shop", "Orders", "Store=north", 60, "Sum"), (first.Namespace, first.MetricName, string.Join(",", first.Dimensions.Select(d => $"{d.Name}={d.Value}")), first.Period, first.Stat));
        Assert.Equal("south", lines[1].Query.MetricStat!.Dimensions.Single().Value);
        Assert.Equal(("p99", 300), (lines[1].Query.MetricStat!.Stat, lines[1].Query.MetricStat!.Period));
        Assert.Equal("m2 + m2_", lines[2].Query.Expression);
    }

    [Fact]
    public void Times_are_absolute_or_before_now_and_the_defaults_are_AWS_s()
    {
        var (widget, _) = Read("""{"metrics": [["Shop", "Orders"]]}""");
        Assert.Equal((Now.AddHours(-3), Now, 600, 400), (widget!.Start, widget.End, widget.Width, widget.Height));
        Assert.Equal("Average", widget.Lines[0].Query.MetricStat!.Stat);
        Assert.Equal(300, widget.Lines[0].Query.MetricStat!.Period);

        (widget, _) = Read("""{"metrics": [["Shop", "Orders"]], "start": "-P2W", "end": "2026-12-05T11:30:00Z", "timezone": "-0130"}""");
        Assert.Equal((Now.AddDays(-14), Now.AddMinutes(-30), TimeSpan.FromMinutes(-90)), (widget!.Start, widget.End, widget.TimeZone));
    }

    [Fact]
    public void Findings_name_each_place_that_breaks_the_rules()
    {
        var (widget, findings) = Read("""
            {"metrics": [["Shop"], [{"label": "no expression"}], ["Shop", "Orders", {"color": "red", "shape": "round"}]],
             "width": 0, "height": 2.5, "period": 7, "start": "-PT1H", "end": "-PT2H", "view": "pie"}
            """);

        Assert.Null(widget);
        Assert.Equal([
                ("/width", "Should be >= 1"), ("/height", "Should be integer"), ("/period", "Should be 1, 5, 10, 30, 60, or any multiple of 60"),
                ("/start", "Should be before end"), ("/view", "Stratus draws only the timeSeries view, not pie"),
                ("/metrics/0", "A metric is [Namespace, MetricName] followed by dimension name and value pairs"),
                ("/metrics/1/0", "Should have required property 'expression'"),
                ("/metrics/2/2", "Should NOT have additional property 'shape'"), ("/metrics/2/2/color", "Should match pattern \"^#[0-9a-fA-F]{6}$\""),
            ],
            findings.Select(f => (f.DataPath, f.Message)));
    }
}
