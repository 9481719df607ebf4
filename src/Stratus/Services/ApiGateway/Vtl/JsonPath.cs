using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>
/// The JSONPath API Gateway's $input.path and $input.json accept: <c>$</c>, <c>.name</c>, <c>['name']</c>,
/// <c>[n]</c> (negative from the end), <c>[*]</c>/<c>.*</c>, and <c>..name</c>. A path with a wildcard or
/// recursive descent yields a list; a plain path its single value, or null when nothing matches.
/// </summary>
public static class JsonPath
{
    private abstract record Step;
    private sealed record Member(string Name) : Step;
    private sealed record Element(int Index) : Step;
    private sealed record Wildcard : Step;
    private sealed record Descendants(string? Name) : Step;

    public static JsonNode? Select(JsonNode? root, string path)
    {
        var steps = ParseSteps(path);
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in steps) current = current.SelectMany(node => Apply(node, step)).ToList();
        var matches = current.ToList();
        if (steps.Any(s => s is Wildcard or Descendants))
            return new JsonArray(matches.Select(m => m?.DeepClone()).ToArray());
        return matches.Count == 0 ? null : matches[0];
    }

    private static IEnumerable<JsonNode?> Apply(JsonNode? node, Step step)
    {
        switch (step)
        {
            case Member member when node is JsonObject obj && obj.TryGetPropertyValue(member.Name, out var child):
                yield return child;
                break;
            case Element element when node is JsonArray array:
                var index = element.Index < 0 ? array.Count + element.Index : element.Index;
                if (index >= 0 && index < array.Count) yield return array[index];
                break;
            case Wildcard when node is JsonObject obj:
                foreach (var (_, child) in obj) yield return child;
                break;
            case Wildcard when node is JsonArray array:
                foreach (var child in array) yield return child;
                break;
            case Descendants descendants:
                foreach (var found in Descend(node, descendants.Name)) yield return found;
                break;
        }
    }

    private static IEnumerable<JsonNode?> Descend(JsonNode? node, string? name)
    {
        IEnumerable<KeyValuePair<string?, JsonNode?>> children = node switch
        {
            JsonObject obj => obj.Select(p => new KeyValuePair<string?, JsonNode?>(p.Key, p.Value)),
            JsonArray array => array.Select(n => new KeyValuePair<string?, JsonNode?>(null, n)),
            _ => [],
        };
        foreach (var (key, child) in children.ToList())
        {
            if (name is null || key == name) yield return child;
            foreach (var deeper in Descend(child, name)) yield return deeper;
        }
    }

    private static List<Step> ParseSteps(string path)
    {
        path = path.Trim();
        if (!path.StartsWith('$')) path = "$." + path;
        var steps = new List<Step>();
        var p = 1;
        while (p < path.Length)
        {
            if (path[p] == '.' && p + 1 < path.Length && path[p + 1] == '.')
            {
                p += 2;
                var name = ReadName(path, ref p);
                steps.Add(new Descendants(name is "*" or "" ? null : name));
            }
            else if (path[p] == '.')
            {
                p++;
                var name = ReadName(path, ref p);
                steps.Add(name == "*" ? new Wildcard() : new Member(name));
            }
            else if (path[p] == '[')
            {
                var close = path.IndexOf(']', p);
                if (close < 0) throw new VtlException($"Invalid JSONPath '{path}': missing ]");
                var inside = path[(p + 1)..close].Trim();
                p = close + 1;
                if (inside == "*") steps.Add(new Wildcard());
                else if (inside.Length >= 2 && inside[0] is '\'' or '"' && inside[^1] == inside[0]) steps.Add(new Member(inside[1..^1]));
                else if (int.TryParse(inside, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)) steps.Add(new Element(index));
                else throw new VtlException($"Invalid JSONPath '{path}': unsupported [{inside}]");
            }
            else throw new VtlException($"Invalid JSONPath '{path}' at position {p}");
        }
        return steps;
    }

    private static string ReadName(string path, ref int p)
    {
        var start = p;
        while (p < path.Length && path[p] is not ('.' or '[')) p++;
        return path[start..p];
    }

    /// <summary>A JSON value as a template value: objects become maps (in order), arrays lists, numbers long or double.</summary>
    public static object? ToVtl(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal), (map, p) =>
        {
            map[p.Key] = ToVtl(p.Value);
            return map;
        }),
        JsonArray array => array.Select(ToVtl).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when value.TryGetValue<long>(out var n) => n,
            JsonValueKind.Number => value.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };
}
