using System.Globalization;

namespace Stratus.Services.CloudWatch.Engine.Imaging;

/// <summary>
/// Draws a metric widget as a line chart: the title at the top, the plot with its value axis on the left (bottom,
/// middle and top values, from <see cref="ChartScale"/> like the console's charts) and the time axis below (start,
/// middle and end), a line per visible series with a dot at each data point, and the legend (a swatch of each
/// line's colour and its label) under it unless the widget hides it.
/// </summary>
public static class MetricWidgetChart
{
    private const int Margin = 8;
    private const int LegendRow = 14;
    private const int Swatch = 8;
    private static readonly Rgb Text = new(68, 68, 68);
    private static readonly Rgb Axis = new(136, 136, 136);
    private static readonly Rgb Grid = new(229, 229, 229);

    public static RgbCanvas Draw(MetricWidget widget, IReadOnlyList<ChartSeries> series)
    {
        var canvas = new RgbCanvas(widget.Width, widget.Height, Rgb.White);
        var top = Margin;
        if (widget.Title is { } title)
        {
            var scale = widget.Height >= 200 && widget.Width >= 300 ? 2 : 1;
            canvas.DrawText(Margin, top, title, Text, scale);
            top += BitmapFont.GlyphHeight * scale + Margin;
        }
        if (widget.YAxisLabel is { } yLabel)
        {
            canvas.DrawText(Margin, top, yLabel, Text);
            top += BitmapFont.GlyphHeight + 4;
        }
        var legend = widget.LegendHidden ? new List<List<ChartSeries>>() : LegendRows(series, widget.Width - 2 * Margin);
        var legendTop = widget.Height - Margin - legend.Count * LegendRow;
        var timeLabelsTop = legendTop - BitmapFont.GlyphHeight - 6;
        var bottom = timeLabelsTop - 4;

        var chartScale = ChartScale.For(series, widget.Start, widget.End, widget.YAxisMin, widget.YAxisMax);
        var valueLabels = new[] { chartScale.Top, (chartScale.Top + chartScale.Bottom) / 2, chartScale.Bottom }.Select(Format).ToArray();
        var left = Margin + valueLabels.Max(l => BitmapFont.Width(l)) + 6;
        var right = widget.Width - Margin;
        if (right - left >= 2 && bottom - top >= 2)
            DrawPlot(canvas, widget, series, chartScale, valueLabels, left, top, right, bottom, timeLabelsTop);
        for (var row = 0; row < legend.Count; row++)
        {
            var x = Margin;
            var y = legendTop + row * LegendRow + 2;
            foreach (var line in legend[row])
            {
                canvas.FillRectangle(x, y, Swatch, Swatch, Rgb.Parse(line.Color) ?? Text);
                canvas.DrawText(x + Swatch + 4, y, line.Name, Text);
                x += EntryWidth(line);
            }
        }
        return canvas;
    }

    private static void DrawPlot(RgbCanvas canvas, MetricWidget widget, IReadOnlyList<ChartSeries> series, ChartScale scale, string[] valueLabels,
        int left, int top, int right, int bottom, int timeLabelsTop)
    {
        int XOf(DateTimeOffset time) => left + (int)Math.Round((right - left) * scale.X(time));
        int YOf(double value) => bottom - (int)Math.Round((bottom - top) * scale.Y(value));

        var middle = (top + bottom) / 2;
        canvas.DrawLine(left, top, right, top, Grid);
        canvas.DrawLine(left, middle, right, middle, Grid);
        canvas.DrawLine(left, bottom, right, bottom, Axis);
        canvas.DrawLine(left, top, left, bottom, Axis);
        foreach (var (label, y) in valueLabels.Zip([top, middle, bottom]))
            canvas.DrawText(left - 4 - BitmapFont.Width(label), y - BitmapFont.GlyphHeight / 2, label, Text);

        var span = widget.End - widget.Start;
        var format = span > TimeSpan.FromDays(1) ? "MM-dd HH:mm" : "HH:mm";
        string TimeLabel(DateTimeOffset time) => time.ToOffset(widget.TimeZone).ToString(format, CultureInfo.InvariantCulture);
        var startLabel = TimeLabel(widget.Start);
        var endLabel = TimeLabel(widget.End) + (widget.TimeZone == TimeSpan.Zero ? " UTC" : "");
        var middleLabel = TimeLabel(widget.Start + span / 2);
        canvas.DrawText(left, timeLabelsTop, startLabel, Text);
        canvas.DrawText(right - BitmapFont.Width(endLabel), timeLabelsTop, endLabel, Text);
        var middleX = (left + right - BitmapFont.Width(middleLabel)) / 2;
        if (middleX > left + BitmapFont.Width(startLabel) + 8 && middleX + BitmapFont.Width(middleLabel) + 8 < right - BitmapFont.Width(endLabel))
            canvas.DrawText(middleX, timeLabelsTop, middleLabel, Text);

        foreach (var line in series)
        {
            var colour = Rgb.Parse(line.Color) ?? Text;
            var points = line.Points.Where(p => double.IsFinite(p.Value)).Select(p => (X: XOf(p.Key), Y: YOf(p.Value))).ToList();
            for (var i = 1; i < points.Count; i++)
                canvas.DrawLine(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y, colour, thickness: 2);
            foreach (var (x, y) in points) canvas.FillRectangle(x - 1, y - 1, 3, 3, colour);
        }
    }

    /// <summary>The legend's entries, wrapped into rows that fit the width.</summary>
    private static List<List<ChartSeries>> LegendRows(IReadOnlyList<ChartSeries> series, int width)
    {
        var rows = new List<List<ChartSeries>>();
        var used = 0;
        foreach (var line in series)
        {
            if (rows.Count == 0 || used + EntryWidth(line) > width)
            {
                rows.Add([]);
                used = 0;
            }
            rows[^1].Add(line);
            used += EntryWidth(line);
        }
        return rows;
    }

    private static int EntryWidth(ChartSeries line) => Swatch + 4 + BitmapFont.Width(line.Name) + 12;

    private static string Format(double value) =>
        Math.Abs(value) >= 1e6 || (value != 0 && Math.Abs(value) < 0.01)
            ? value.ToString("0.##E+0", CultureInfo.InvariantCulture)
            : value.ToString("0.##", CultureInfo.InvariantCulture);
}
