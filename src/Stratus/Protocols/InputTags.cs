namespace Stratus.Protocols;

/// <summary>
/// AWS's Tag list, [{Key, Value}], read the one way for every service and for CloudFormation's Tags property
/// (the same shape in templates): a tag without a Key is refused, a tag without a Value has the empty value.
/// </summary>
public static class InputTags
{
    /// <param name="valueRequired">For services whose Tag shape requires Value (SSM, CloudWatch).</param>
    /// <param name="keyMissing">A service's own wording for a tag without a key (RDS's), instead of the reader's missing-member error.</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Tags(this IInputReader input, string name = "Tags",
        bool valueRequired = false, Func<Exception>? keyMissing = null) =>
        input.Objects(name).Select(tag => KeyValuePair.Create(
            tag.String("Key") ?? throw (keyMissing?.Invoke() ?? tag.Missing("Key")),
            valueRequired ? tag.Required("Value") : tag.String("Value") ?? "")).ToList();

    /// <summary>The tags as a map, null when there are none (the maps API Gateway and SSM keep); a repeated key keeps its last value.</summary>
    public static Dictionary<string, string>? TagMap(this IInputReader input, string name = "Tags", bool valueRequired = false) =>
        input.Tags(name, valueRequired) is { Count: > 0 } tags
            ? tags.GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
            : null;
}
