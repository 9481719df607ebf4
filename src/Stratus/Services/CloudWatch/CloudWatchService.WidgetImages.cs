using System.Text.Json;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Services.CloudWatch.Engine.Imaging;

namespace Stratus.Services.CloudWatch;

/// <summary>GetMetricWidgetImage: a metric widget's lines computed as GetMetricData computes them, drawn as a PNG.</summary>
public sealed partial class CloudWatchService
{
    public byte[] GetMetricWidgetImage(Scope scope, string metricWidget)
    {
        if (metricWidget.Length > MetricWidget.MaxLength)
            throw CloudWatchErrors.MetricWidgetInvalid([new("", $"Should NOT be longer than {MetricWidget.MaxLength} characters")]);
        System.Text.Json.Nodes.JsonNode? document;
        try
        {
            document = JsonBody.Parse(metricWidget);
        }
        catch (JsonException)
        {
            throw CloudWatchErrors.InvalidValue("The parameter MetricWidget must be a valid JSON object");
        }
        var (widget, found) = MetricWidget.Read(document, _clock.GetUtcNow());
        if (widget is null) throw CloudWatchErrors.MetricWidgetInvalid(found);
        var queries = widget.Lines.Select(l => l.Query).ToList();
        ValidateQueries(queries);
        var colours = widget.Lines.ToDictionary(l => l.Query.Id, l => l.Color, StringComparer.Ordinal);
        var series = Evaluate(scope.AccountId, widget.Region ?? scope.Region, queries, widget.Start, widget.End, alignToPeriod: false)
            .Where(r => r.ReturnData)
            .Select((r, index) => new ChartSeries(r.Result.Label, colours[r.Result.Id] ?? ChartScale.Palette[index % ChartScale.Palette.Count], r.Result.Points))
            .ToList();
        return PngEncoder.Encode(MetricWidgetChart.Draw(widget, series));
    }
}
