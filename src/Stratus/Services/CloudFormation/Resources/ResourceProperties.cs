using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>Typed reads of a resource's resolved properties, failing as CloudFormation's schema validation words it.</summary>
public sealed class ResourceProperties(string logicalId, JsonObject values) : IInputReader
{
    public JsonObject Values { get; } = values;

    bool IInputReader.FromTemplate => true;
    bool IInputReader.Has(string name) => Values[Property(name)] is not null;
    string? IInputReader.String(string name) => String(Property(name));
    string IInputReader.Required(string name) => Required(Property(name));
    int? IInputReader.Int(string name) => Int(Property(name));
    double? IInputReader.Double(string name) => Double(Property(name));
    bool? IInputReader.Bool(string name) => Bool(Property(name));
    DateTimeOffset? IInputReader.Timestamp(string name) => Timestamp(Property(name));
    IReadOnlyList<string> IInputReader.Strings(string name) => Strings(Property(name));
    Dictionary<string, string>? IInputReader.StringMap(string name) => StringMap(Property(name));
    Dictionary<string, bool>? IInputReader.BoolMap(string name) => BoolMap(Property(name));
    string IInputReader.RequiredDocument(string name) => RequiredDocument(Property(name));
    IInputReader? IInputReader.Object(string name) => Object(Property(name));
    IReadOnlyList<IInputReader> IInputReader.Objects(string name) => Objects(Property(name)).Select(o => new ResourceProperties(logicalId, o)).ToList();
    IReadOnlyDictionary<string, IInputReader>? IInputReader.ObjectMap(string name) => Object(Property(name))?.Values.ToDictionary(p => p.Key,
        p => (IInputReader)Nested(p.Value as JsonObject ?? throw Invalid(Property(name), "expected type: JSONObject")), StringComparer.Ordinal);
    Exception IInputReader.Missing(string name) => Missing(Property(name));
    Exception IInputReader.Invalid(string name, string problem) => Invalid(Property(name), problem);

    /// <summary>CloudFormation names an API member in PascalCase ("name" on the wire is "Name" in a template).</summary>
    private static string Property(string member) => member.Length == 0 || char.IsUpper(member[0]) ? member : char.ToUpperInvariant(member[0]) + member[1..];

    public string Required(string name) => String(name) ?? throw Missing(name);

    public string? String(string name) => Values[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw Invalid(name, "expected type: String"),
    };

    public int? Int(string name)
    {
        var text = String(name);
        if (text is null) return null;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(name, "expected type: Integer");
    }

    public double? Double(string name)
    {
        var text = String(name);
        if (text is null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(name, "expected type: Number");
    }

    public bool? Bool(string name) => String(name)?.ToLowerInvariant() switch
    {
        null => null,
        "true" => true,
        "false" => false,
        _ => throw Invalid(name, "expected type: Boolean"),
    };

    public DateTimeOffset? Timestamp(string name) => String(name) is not { } text ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value
        : throw Invalid(name, "expected type: a date and time in ISO 8601");

    /// <summary>A nested object property, read with the same typed accessors (its errors name the outer property).</summary>
    public ResourceProperties? Object(string name) => Values[name] switch
    {
        null => null,
        JsonObject o => new ResourceProperties(logicalId, o),
        _ => throw Invalid(name, "expected type: JSONObject"),
    };

    /// <summary>An item of a list property (a rule, a tag), read with the same typed accessors.</summary>
    public ResourceProperties Nested(JsonObject value) => new(logicalId, value);

    /// <summary>A map of strings (stage variables, mapping templates); null when absent.</summary>
    public Dictionary<string, string>? StringMap(string name) => Object(name) is { } map
        ? map.Values.Select(p => p.Key).ToDictionary(key => key, key => map.String(key) ?? "", StringComparer.Ordinal)
        : null;

    /// <summary>A map of booleans (API Gateway's required-parameter maps); null when absent.</summary>
    public Dictionary<string, bool>? BoolMap(string name) => Object(name) is { } map
        ? map.Values.Select(p => p.Key).ToDictionary(key => key, key => map.Bool(key) ?? false, StringComparer.Ordinal)
        : null;

    public IReadOnlyList<string> Strings(string name) => Values[name] switch
    {
        null => [],
        JsonArray list => list.Select(item => item is JsonValue v ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
            : throw Invalid(name, "expected type: String")).ToList(),
        _ => throw Invalid(name, "expected type: JSONArray"),
    };

    public IReadOnlyList<JsonObject> Objects(string name) => Values[name] switch
    {
        null => [],
        JsonArray list => list.Select(item => item as JsonObject ?? throw Invalid(name, "expected type: JSONObject")).ToList(),
        _ => throw Invalid(name, "expected type: JSONArray"),
    };

    /// <summary>A JSON document property (a policy): an object as written, or a string holding JSON.</summary>
    public string RequiredDocument(string name) => Values[name] switch
    {
        null => throw Missing(name),
        JsonObject o => o.ToJsonString(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw Invalid(name, "expected type: JSONObject"),
    };

    public ResourcePropertyException Missing(string name) =>
        new($"Properties validation failed for resource {logicalId} with message: #: required key [{name}] not found");

    public ResourcePropertyException Invalid(string name, string problem) =>
        new($"Properties validation failed for resource {logicalId} with message: #/{name}: {problem}");

    public static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);
}
