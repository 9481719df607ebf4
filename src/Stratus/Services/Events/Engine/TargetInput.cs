using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.Events.Engine;

/// <summary>
/// What a target receives for an event, as EventBridge shapes it: the whole event, the constant Input, the part of
/// the event InputPath selects, or InputTransformer's template with the values its InputPathsMap selects. In the
/// template a variable inside a JSON string is replaced by its text, elsewhere by its JSON (strings quoted), as on AWS.
/// </summary>
public static class TargetInput
{
    /// <summary>What a transformed input may grow to: Lambda's 256 KB asynchronous payload, checked as it is built.</summary>
    public const int MaxRenderedChars = 256 * 1024;

    private static readonly JsonSerializerOptions PlainJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(EventTarget target, JsonObject @event, EventRule rule)
    {
        if (target.Input is { } input) return input;
        if (target.InputPath is { } path) return Json(Select(@event, path));
        if (target.InputTransformer is not { } transformer) return @event.ToJsonString(PlainJson);
        var values = transformer.InputPathsMap.ToDictionary(p => p.Key, p => Select(@event, p.Value));
        values["aws.events.rule-arn"] = rule.Arn;
        values["aws.events.rule-name"] = rule.Name;
        values["aws.events.event.ingestion-time"] = @event["time"]?.DeepClone();
        values["aws.events.event"] = @event.DeepClone();
        values["aws.events.event.json"] = @event.DeepClone();
        return Substitute(transformer.InputTemplate, values);
    }

    /// <summary>Checks an InputPath (or an InputPathsMap value) is a path <see cref="Select"/> reads.</summary>
    public static void CheckPath(string path)
    {
        if (Steps(path) is null) throw EventsErrors.InvalidInputPath(path);
    }

    /// <summary>The node a $-rooted path of .name, ['name'] and [index] steps selects; null when the event has none.</summary>
    public static JsonNode? Select(JsonNode? root, string path)
    {
        var node = root;
        foreach (var step in Steps(path) ?? throw EventsErrors.InvalidInputPath(path))
        {
            node = step switch
            {
                string name => node is JsonObject o ? o[name] : null,
                int index => node is JsonArray a && index < a.Count ? a[index] : null,
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    private static List<object>? Steps(string path)
    {
        if (!path.StartsWith('$')) return null;
        var steps = new List<object>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not '.' and not '[') end++;
                if (end == i + 1) return null;
                steps.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0) return null;
                var inside = path[(i + 1)..close];
                if (inside.Length >= 2 && inside[0] == '\'' && inside[^1] == '\'') steps.Add(inside[1..^1]);
                else if (int.TryParse(inside, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) steps.Add(index);
                else return null;
                i = close + 1;
            }
            else return null;
        }
        return steps;
    }

    private static string Json(JsonNode? node) => node?.ToJsonString(PlainJson) ?? "null";

    private static string Substitute(string template, Dictionary<string, JsonNode?> values)
    {
        var output = new StringBuilder(template.Length);
        var inString = false;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (inString && c == '\\' && i + 1 < template.Length) { output.Append(c).Append(template[++i]); continue; }
            if (c == '"') { inString = !inString; output.Append(c); continue; }
            if (c == '<' && template.IndexOf('>', i) is var close and > 0 && values.TryGetValue(template[(i + 1)..close], out var value))
            {
                output.Append(inString ? InsideString(value) : Json(value));
                if (output.Length > MaxRenderedChars) throw EventsErrors.TransformedInputTooLarge(MaxRenderedChars);
                i = close;
                continue;
            }
            output.Append(c);
            if (output.Length > MaxRenderedChars) throw EventsErrors.TransformedInputTooLarge(MaxRenderedChars);
        }
        return output.ToString();
    }

    /// <summary>A value placed inside a JSON string: a string's own text, anything else its JSON, escaped for the string.</summary>
    private static string InsideString(JsonNode? value)
    {
        if (value is null) return "";
        var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : Json(value);
        var quoted = JsonSerializer.Serialize(text, PlainJson);
        return quoted[1..^1];
    }
}
