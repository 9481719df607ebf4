using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>
/// The JSONPath API Gateway's $input.path and $input.json accept: <c>$</c>, <c>.name</c>, <c>['name']</c>,
/// <c>[n]</c> (negative from the end), <c>[*]</c>/<c>.*</c>, and <c>..name</c>. A path with a wildcard or
/// recursive descent yields a list; a plain path its single value, or null when nothing matches.
/// Selection is bounded: it descends no deeper than <see cref="MaxDepth"/> and visits at most
/// <see cref="MaxNodesVisited"/> nodes, so a path like <c>$..*..*..*</c> cannot run away.
/// </summary>
public static class JsonPath
{
    /// <summary>As deep as System.Text.Json reads a document by default, so any parsed body fits.</summary>
    public const int MaxDepth = 64;

    /// <summary>Nodes one selection may visit or return (the result's copies included).</summary>
    public const int MaxNodesVisited = 2_000_000;

    private abstract record Step;
    private sealed record Member(string Name) : Step;
    private sealed record Element(int Index) : Step;
    private sealed record Wildcard : Step;
    private sealed record Descendants(string? Name) : Step;

    private sealed class Budget
    {
        private int _visited;

        public void Visit(int count = 1)
        {
            _visited += count;
            if (_visited > MaxNodesVisited) throw new VtlException($"JSONPath selection visits more than {MaxNodesVisited} nodes");
        }
    }

    public static JsonNode? Select(JsonNode? root, string path)
    {
        var steps = ParseSteps(path);
        var budget = new Budget();
        List<JsonNode?> current = [root];
        foreach (var step in steps)
        {
            var next = new List<JsonNode?>();
            foreach (var node in current) Apply(node, step, next, budget);
            current = next;
        }
        if (!steps.Any(s => s is Wildcard or Descendants)) return current.Count == 0 ? null : current[0];
        // The matches are copied into the result list; count the copies against the budget before making them.
        foreach (var match in current) CountNodes(match, 0, budget);
        return new JsonArray(current.Select(m => m?.DeepClone()).ToArray());
    }

    private static void Apply(JsonNode? node, Step step, List<JsonNode?> found, Budget budget)
    {
        switch (step)
        {
            case Member member when node is JsonObject obj && obj.TryGetPropertyValue(member.Name, out var child):
                found.Add(child);
                break;
            case Element element when node is JsonArray array:
                var index = element.Index < 0 ? array.Count + element.Index : element.Index;
                if (index >= 0 && index < array.Count) found.Add(array[index]);
                break;
            case Wildcard when node is JsonObject obj:
                foreach (var (_, child) in obj) found.Add(child);
                break;
            case Wildcard when node is JsonArray array:
                found.AddRange(array);
                break;
            case Descendants descendants:
                Descend(node, descendants.Name, 0, found, budget);
                break;
        }
        budget.Visit();
    }

    private static void Descend(JsonNode? node, string? name, int depth, List<JsonNode?> found, Budget budget)
    {
        if (depth > MaxDepth) throw new VtlException($"JSONPath descends deeper than {MaxDepth} levels");
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    budget.Visit();
                    if (name is null || key == name) found.Add(child);
                    Descend(child, name, depth + 1, found, budget);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    budget.Visit();
                    if (name is null) found.Add(child);
                    Descend(child, name, depth + 1, found, budget);
                }
                break;
        }
    }

    private static void CountNodes(JsonNode? node, int depth, Budget budget)
    {
        if (depth > MaxDepth) throw new VtlException($"JSONPath descends deeper than {MaxDepth} levels");
        budget.Visit();
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) CountNodes(child, depth + 1, budget);
                break;
            case JsonArray array:
                foreach (var child in array) CountNodes(child, depth + 1, budget);
                break;
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
