using System.Globalization;
using System.Text.Json;
using Stratus.Protocols.Json;

namespace Stratus.Services.Logs.Engine.Insights;

/// <summary>
/// The fields Logs Insights discovers in an event beside its built-in ones: when the message is a JSON object, its members
/// flattened as AWS names them (a.b for nested objects, a.0 for array elements), at most <see cref="MaxFields"/> per event.
/// Queries, GetLogGroupFields and GetLogRecord all read an event's fields through this one discovery.
/// </summary>
public static class DiscoveredFields
{
    public const int MaxFields = 1000;

    /// <summary>The built-in fields every event has, in the order GetLogGroupFields lists them.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime"];

    /// <summary>
    /// The message's JSON members by flattened name: a number as a double, a string as itself, true/false as their text.
    /// Null members and empty objects or arrays name no field. A message that is not a JSON object has none.
    /// </summary>
    public static Dictionary<string, object?> Of(string message)
    {
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!message.AsSpan().TrimStart().StartsWith("{")) return fields;
        try
        {
            // Nesting beyond 64 levels is refused, which bounds the recursion below; a message with an unpaired surrogate
            // escape is not JSON here either (it made the whole query fail).
            using var document = JsonBody.ParseMemberDocument(message, JsonBody.MaxDepth);
            Flatten(document.RootElement, "", fields);
        }
        catch (JsonException)
        {
            // Not JSON after all: the event has only its built-in fields.
        }
        return fields;
    }

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, object?> fields)
    {
        if (fields.Count >= MaxFields) return;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject()) Flatten(member.Value, prefix.Length == 0 ? member.Name : prefix + "." + member.Name, fields);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray()) Flatten(item, prefix + "." + index++.ToString(CultureInfo.InvariantCulture), fields);
                break;
            case JsonValueKind.Number:
                fields[prefix] = element.GetDouble();
                break;
            case JsonValueKind.String:
                fields[prefix] = element.GetString();
                break;
            case JsonValueKind.True or JsonValueKind.False:
                fields[prefix] = element.GetRawText();
                break;
        }
    }
}
