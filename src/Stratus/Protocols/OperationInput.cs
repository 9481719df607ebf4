using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Protocols;

/// <summary>
/// An operation's input as the JSON-shaped object every protocol parses into. Query protocol values
/// arrive as strings, JSON and CBOR as typed values: the accessors accept both, so one handler serves
/// every protocol a service speaks.
/// </summary>
public sealed class OperationInput(JsonObject body, CallContext call, ValidationStyle style) : IInputReader
{
    public JsonObject Body { get; } = body;
    public CallContext Call { get; } = call;
    /// <summary>The scope the operation's domain call runs in.</summary>
    public Scope Scope => Call.Scope;
    /// <summary>Cancelled when the client goes away: what the Api layer hands to long-running domain calls.</summary>
    public CancellationToken Aborted => Call.Http.RequestAborted;
    public ValidationStyle Style { get; } = style;

    /// <summary>The request body as sent, for operations whose payload is opaque (Lambda Invoke).</summary>
    public ReadOnlyMemory<byte> RawBody { get; init; }

    public bool Has(string name) => Body[name] is not null;

    public string Required(string name) =>
        String(name) is { } value ? value : throw Style.Missing(name);

    public string? String(string name) => Body[name] switch
    {
        null => null,
        JsonValue v => ScalarText(v) ?? throw Style.Invalid(name, "must be a string"),
        _ => throw Style.Invalid(name, "must be a string"),
    };

    /// <summary>
    /// A scalar as text: strings as they are, numbers and booleans as written in JSON. Null for what
    /// JSON cannot write: the NaN and infinities a CBOR float carries.
    /// </summary>
    private static string? ScalarText(JsonValue value)
    {
        if (value.GetValueKind() == JsonValueKind.String) return value.GetValue<string>();
        if (value.TryGetValue<double>(out var number) && !double.IsFinite(number)) return null;
        return value.ToJsonString();
    }

    public int? Int(string name) => Number(name, s => int.Parse(s, CultureInfo.InvariantCulture), v => v.GetValue<int>());
    public long? Long(string name) => Number(name, s => long.Parse(s, CultureInfo.InvariantCulture), v => v.GetValue<long>());
    /// <summary>
    /// A finite double. CBOR and JSON carry whole numbers as integers even where the model says double.
    /// NaN and the infinities (a CBOR float, the JSON protocols' "NaN" strings, a JSON number past
    /// double's range) are refused: no service Stratus serves takes them (CloudWatch says so of its values).
    /// </summary>
    public double? Double(string name)
    {
        var value = Number(name, s => double.Parse(s, CultureInfo.InvariantCulture),
            v => v.TryGetValue<double>(out var d) ? d : double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture));
        return value is { } number && !double.IsFinite(number) ? throw Style.Invalid(name, "must be a finite number") : value;
    }

    public int RequiredInt(string name) => Int(name) ?? throw Style.Missing(name);

    public bool? Bool(string name) => Body[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        _ => throw Style.Invalid(name, "must be a boolean"),
    };

    public DateTimeOffset? Timestamp(string name) => Body[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<DateTimeOffset>(out var t) => t,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => FromEpoch(name, EpochSeconds.Of(v) ?? double.NaN),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => ParseTimestamp(name, v.GetValue<string>()),
        _ => throw Style.Invalid(name, "must be a timestamp"),
    };

    /// <summary>
    /// A list member; absent, or the Query protocol's empty-list marker, is an empty list. A lone string is
    /// a list of one: that is how a REST protocol's query-bound list arrives when it has a single value.
    /// </summary>
    public IReadOnlyList<JsonNode> List(string name) => Body[name] switch
    {
        null => [],
        JsonArray a => a.Where(n => n is not null).Select(n => n!).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length == 0 ? [] : [v],
        _ => throw Style.Invalid(name, "must be a list"),
    };

    public IReadOnlyList<string> Strings(string name) =>
        List(name).Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw Style.Invalid(name, "must be a list of strings")).ToList();

    public JsonObject? Object(string name) => Body[name] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw Style.Invalid(name, "must be a structure"),
    };

    /// <summary>A string map: a JSON object, or the Query protocol's entry.N.key/value list.</summary>
    public Dictionary<string, string> StringMap(string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (Body[name])
        {
            case null:
                break;
            case JsonObject o:
                foreach (var (k, v) in o) map[k] = MapValue(name, v);
                break;
            case JsonArray entries:
                foreach (var entry in entries.OfType<JsonObject>())
                    if (entry["key"] is { } k) map[MapValue(name, k)] = MapValue(name, entry["value"]);
                break;
            default:
                throw Style.Invalid(name, "must be a map");
        }
        return map;
    }

    /// <summary>A map of booleans; JSON booleans or their text, as the Query and REST protocols carry them.</summary>
    public Dictionary<string, bool> BoolMap(string name)
    {
        var map = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (key, value) in Object(name) ?? [])
        {
            map[key] = value switch
            {
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
                _ => throw Style.Invalid(name, "must be a map of booleans"),
            };
        }
        return map;
    }

    private string MapValue(string name, JsonNode? value) => value switch
    {
        null => "",
        JsonValue v => ScalarText(v) ?? throw Style.Invalid(name, "must be a map of strings"),
        _ => throw Style.Invalid(name, "must be a map of strings"),
    };

    /// <summary>A nested structure's members, with the same accessors and error style.</summary>
    public OperationInput Nested(JsonObject obj) => new(obj, Call, Style);

    bool IInputReader.FromTemplate => false;
    string IInputReader.RequiredDocument(string name) => Required(name);
    Dictionary<string, string>? IInputReader.StringMap(string name) => StringMap(name);
    Dictionary<string, bool>? IInputReader.BoolMap(string name) => BoolMap(name);
    IInputReader? IInputReader.Object(string name) => Object(name) is { } nested ? Nested(nested) : null;
    IReadOnlyList<IInputReader> IInputReader.Objects(string name) =>
        List(name).Select(item => (IInputReader)Nested(item as JsonObject ?? throw Style.Invalid(name, "must be a list of structures"))).ToList();
    IReadOnlyDictionary<string, IInputReader>? IInputReader.ObjectMap(string name) => Object(name)?.ToDictionary(p => p.Key,
        p => (IInputReader)Nested(p.Value as JsonObject ?? throw Style.Invalid(name, "must be a map of structures")), StringComparer.Ordinal);
    Exception IInputReader.Missing(string name) => Style.Missing(name);
    Exception IInputReader.Invalid(string name, string problem) => Style.Invalid(name, problem);

    private T? Number<T>(string name, Func<string, T> parse, Func<JsonValue, T> read) where T : struct
    {
        try
        {
            return Body[name] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => parse(v.GetValue<string>()),
                JsonValue v when v.GetValueKind() == JsonValueKind.Number => read(v),
                _ => throw new FormatException(),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidOperationException)
        {
            throw Style.Invalid(name, "must be a number");
        }
    }

    private DateTimeOffset ParseTimestamp(string name, string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch)) return FromEpoch(name, epoch);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
        throw Style.Invalid(name, "must be a timestamp");
    }

    /// <summary>Epoch seconds as a timestamp; seconds outside years 1 to 9999 are a malformed timestamp, not a crash.</summary>
    private DateTimeOffset FromEpoch(string name, double seconds) =>
        EpochSeconds.ToTimestamp(seconds) ?? throw Style.Invalid(name, "must be a timestamp between 0001-01-01 and 9999-12-31");
}

/// <summary>The one conversion from epoch seconds (how the JSON and CBOR protocols send timestamps) to a timestamp.</summary>
public static class EpochSeconds
{
    // A second inside each end, so rounding in the multiplication below cannot step past either.
    private static readonly double Min = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).TotalSeconds + 1;
    private static readonly double Max = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).TotalSeconds - 1;

    /// <summary>A number as seconds, whether JSON text or a CBOR integer or float.</summary>
    public static double? Of(JsonValue seconds) =>
        seconds.TryGetValue<double>(out var fractional) ? fractional : seconds.TryGetValue<long>(out var whole) ? whole : null;

    /// <summary>The timestamp, or null when the seconds are not a number or fall outside what a timestamp can hold.</summary>
    public static DateTimeOffset? ToTimestamp(double seconds) =>
        seconds >= Min && seconds <= Max
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : null;
}

/// <summary>How a service words a missing or malformed parameter: each AWS service family has its own code.</summary>
public sealed class ValidationStyle(string code)
{
    public string Code { get; } = code;

    public static readonly ValidationStyle Smithy = new("ValidationException");

    public AwsException Missing(string name) => Violations([Violation(CamelCase(name), "null", "Member must not be null")]);

    public AwsException Invalid(string name, string constraint) => Violations([Violation(CamelCase(name), null, $"Member {constraint}")]);

    public AwsException Constraint(string name, string? value, string constraint) => Rejected(CamelCase(name), value, constraint);

    /// <summary>
    /// AWS's Smithy wording for one member, at its wire path (e.g. 'logEvents.1.member.message'), failing a
    /// constraint, with its value shown as AWS shows it.
    /// </summary>
    public AwsException Rejected(string path, object? value, string constraint) => Violations([Violation(path, $"'{value}'", constraint)]);

    /// <summary>Refuses a number outside [min, max], naming the bound it crosses, as AWS words a range constraint.</summary>
    public void CheckRange(string path, long value, long min, long max)
    {
        if (value < min || value > max)
            throw Rejected(path, value, $"Member must have value {(value < min ? $"greater than or equal to {min}" : $"less than or equal to {max}")}");
    }

    /// <summary>The same wording for a member AWS does not show the value of (a list, a map).</summary>
    public AwsException Rejected(string path, string constraint) => Violations([Violation(path, null, constraint)]);

    /// <summary>
    /// Every "N validation error(s) detected" message is built here: AWS names each violation, joined by "; ".
    /// </summary>
    public AwsException Violations(IReadOnlyList<string> violations) =>
        new(Code, $"{violations.Count} validation error{(violations.Count == 1 ? "" : "s")} detected: {string.Join("; ", violations)}");

    /// <summary>One violation: the value as AWS shows it ('text', a number, null) or, for lists and maps, not at all.</summary>
    public static string Violation(string path, string? shownValue, string constraint) =>
        shownValue is null
            ? $"Value at '{path}' failed to satisfy constraint: {constraint}"
            : $"Value {shownValue} at '{path}' failed to satisfy constraint: {constraint}";

    private static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
