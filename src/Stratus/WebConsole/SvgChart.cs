using System.Globalization;
using System.Net;
using System.Text;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.WebConsole;

/// <summary>
/// A small line chart rendered on the server as inline SVG, so the console needs no script or CDN. Where points fall
/// comes from <see cref="ChartScale"/>, which GetMetricWidgetImage's PNG charts share.
/// </summary>
public static class SvgChart
{
    private const int Width = 380;
    private const int Height = 150;
    private const int Left = 44;
    private const int Right = 8;
    private const int Top = 22;
    private const int Bottom = 20;

    public static string Render(string title, DateTimeOffset start, DateTimeOffset end, IReadOnlyList<ChartSeries> series)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" role="img" aria-label="{Encode(title)}">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="14" class="title">{Encode(title)}</text>""");
        var scale = ChartScale.For(series, start, end);
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{Top}" width="{plotWidth}" height="{plotHeight}" class="plot"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 4}" y="{Top + 4}" class="axis" text-anchor="end">{Format(scale.Top)}</text>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 4}" y="{Top + plotHeight}" class="axis" text-anchor="end">{Format(scale.Bottom)}</text>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{Height - 4}" class="axis">{start.UtcDateTime:HH:mm}</text>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Right}" y="{Height - 4}" class="axis" text-anchor="end">{end.UtcDateTime:HH:mm} UTC</text>""");

        var legendX = Width - Right;
        foreach (var line in series.Reverse())
        {
            var label = $"{line.Name}";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{legendX}" y="14" class="legend" text-anchor="end" fill="{line.Color}">{Encode(label)}</text>""");
            legendX -= 8 + 7 * label.Length;
        }
        foreach (var line in series)
        {
            if (line.Points.Count == 0) continue;
            var coordinates = line.Points.Select(p => (
                X: Left + plotWidth * scale.X(p.Key),
                Y: Top + plotHeight * (1 - scale.Y(p.Value)))).ToList();
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="series" data-series="{Encode(line.Name)}" fill="none" stroke="{line.Color}" stroke-width="1.5" points="{string.Join(' ', coordinates.Select(c => $"{c.X:0.#},{c.Y:0.#}"))}"/>""");
            foreach (var (x, y) in coordinates)
                svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{x:0.#}" cy="{y:0.#}" r="2" fill="{line.Color}"/>""");
        }
        if (series.All(s => s.Points.Count == 0))
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + plotWidth / 2}" y="{Top + plotHeight / 2}" class="axis" text-anchor="middle">no data in the last hour</text>""");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
