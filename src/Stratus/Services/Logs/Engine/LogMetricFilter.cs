using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;

namespace Stratus.Services.Logs.Engine;

public sealed record MetricTransformation(string MetricName, string MetricNamespace, string MetricValue, double? DefaultValue,
    Dictionary<string, string> Dimensions, string? Unit)
{
    /// <summary>One of PutMetricFilter's metricTransformations, or of an AWS::Logs::MetricFilter's: the wire gives dimensions as a map, a template as a Key/Value list.</summary>
    public static MetricTransformation Read(IInputReader t) => new(t.Required("metricName"), t.Required("metricNamespace"), t.Required("metricValue"),
        t.Double("defaultValue"),
        t.FromTemplate ? t.Objects("dimensions").ToDictionary(d => d.Required("key"), d => d.Required("value")) : t.StringMap("dimensions") ?? [],
        t.String("unit"));

    /// <summary>The single transformation a metric filter takes (the model allows a list of exactly one).</summary>
    public static MetricTransformation ReadSingle(IInputReader input)
    {
        var transformations = input.Objects("metricTransformations");
        if (transformations.Count != 1)
            throw input.FromTemplate ? input.Invalid("metricTransformations", "expected exactly 1 item")
                : LogsErrors.Validation.Rejected("metricTransformations", "Member must have length less than or equal to 1");
        return Read(transformations[0]);
    }
}

/// <summary>
/// A metric filter: events of its group that match the pattern become CloudWatch data points. The value
/// is a number or a JSON selector (<c>$.latency</c>); dimension values may be selectors too.
/// </summary>
public sealed record LogMetricFilter(string AccountId, string Region, string GroupName, string FilterName, string FilterPattern,
    MetricTransformation Transformation, long CreationTime)
{
    /// <summary>The data points these events produce: one per matching event, or the default value when none match.</summary>
    public IEnumerable<MetricDatum> DataPoints(IReadOnlyList<(long Timestamp, string Message)> events)
    {
        var pattern = Engine.FilterPattern.Parse(FilterPattern);
        var t = Transformation;
        var matched = false;
        foreach (var (timestamp, message) in events)
        {
            if (!pattern.Matches(message)) continue;
            matched = true;
            var document = t.MetricValue.StartsWith("$.", StringComparison.Ordinal) || t.Dimensions.Values.Any(IsSelector) ? TryParse(message) : null;
            if (Value(t.MetricValue, document) is not { } value) continue;
            var dimensions = new List<KeyValuePair<string, string>>();
            foreach (var (name, source) in t.Dimensions)
            {
                var dimension = !IsSelector(source) ? source : Select(document, source) is { } selected ? Text(selected) : null;
                if (dimension is not null) dimensions.Add(KeyValuePair.Create(name, dimension));
            }
            if (dimensions.Count != t.Dimensions.Count) continue;
            yield return new MetricDatum(AccountId, Region, t.MetricNamespace, t.MetricName, dimensions, value, t.Unit ?? "None",
                DateTimeOffset.FromUnixTimeMilliseconds(timestamp));
        }
        if (!matched && t.DefaultValue is { } fallback && events.Count > 0)
            yield return new MetricDatum(AccountId, Region, t.MetricNamespace, t.MetricName, [], fallback, t.Unit ?? "None",
                DateTimeOffset.FromUnixTimeMilliseconds(events[^1].Timestamp));
    }

    public static bool IsSelector(string value) => value.StartsWith("$.", StringComparison.Ordinal);

    public static bool IsValidValue(string value) =>
        IsSelector(value) || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static double? Value(string source, JsonNode? document)
    {
        if (!IsSelector(source)) return double.Parse(source, CultureInfo.InvariantCulture);
        return Select(document, source) switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
            JsonValue v when v.GetValueKind() == JsonValueKind.String && double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }

    private static JsonNode? Select(JsonNode? document, string selector)
    {
        var node = document;
        foreach (var name in selector[2..].Split('.'))
            node = node is JsonObject o && o.TryGetPropertyValue(name, out var child) ? child : null;
        return node;
    }

    private static string Text(JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString();

    private static JsonNode? TryParse(string message)
    {
        try
        {
            return Stratus.Protocols.Json.JsonBody.Parse(message);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
