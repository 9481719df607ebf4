using System.Text.Json.Nodes;

namespace Stratus.Protocols.Query;

/// <summary>
/// Turns the Query protocol's flattened form keys into the JSON shape every handler reads:
/// <c>Tags.member.1.Key</c> (or a named member such as <c>Tags.Tag.1.Key</c>) becomes
/// <c>{"Tags":[{"Key":...}]}</c>, and <c>Attributes.entry.1.key</c>/<c>.value</c> a list of key/value pairs.
/// </summary>
public static class QueryParameters
{
    public static JsonObject ToJson(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var root = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            if (key is "Action" or "Version" || key.Length == 0) continue;
            Insert(root, key.Split('.'), 0, value);
        }
        Compact(root);
        return root;
    }

    private static void Insert(JsonObject target, string[] path, int at, string value)
    {
        var name = path[at];
        if (at == path.Length - 1)
        {
            if (target[name] is null) target[name] = value;
            return;
        }

        // name.member.N... or name.N... : a list, whatever the member is called.
        var indexAt = IsIndex(path[at + 1]) ? at + 1 : at + 2 < path.Length && IsIndex(path[at + 2]) ? at + 2 : -1;
        if (indexAt < 0)
        {
            if (target[name] is not JsonObject child) target[name] = child = new JsonObject();
            Insert(child, path, at + 1, value);
            return;
        }

        if (target[name] is not JsonArray list) target[name] = list = new JsonArray();
        var index = int.Parse(path[indexAt]) - 1;
        if (index < 0 || index > 10_000) return;
        while (list.Count <= index) list.Add(null);
        if (indexAt == path.Length - 1)
        {
            list[index] ??= value;
            return;
        }
        if (list[index] is not JsonObject element) list[index] = element = new JsonObject();
        Insert(element, path, indexAt + 1, value);
    }

    private static bool IsIndex(string segment) => segment.Length is > 0 and < 6 && segment.All(char.IsAsciiDigit);

    /// <summary>Drops holes left by sparse indices so handlers see dense lists.</summary>
    private static void Compact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) Compact(child);
                break;
            case JsonArray list:
                for (var i = list.Count - 1; i >= 0; i--)
                    if (list[i] is null) list.RemoveAt(i);
                    else Compact(list[i]);
                break;
        }
    }
}
