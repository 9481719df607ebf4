using System.Globalization;

namespace Stratus.Services.RdsData.Engine;

/// <summary>
/// A parameter's typeHint applied to its stringValue, in the formats AWS documents: DATE `YYYY-MM-DD`, TIME `HH:MM:SS[.FFF]`,
/// TIMESTAMP `YYYY-MM-DD HH:MM:SS[.FFF]`, DECIMAL, UUID; JSON stays text (the engine binds it as its JSON type).
/// </summary>
public static class DataApiTypeHints
{
    private static readonly string[] TimeFormats = ["HH:mm:ss", "HH:mm:ss.FFFFFFF"];
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF"];

    public static object? Apply(DataApiParameter parameter)
    {
        if (parameter.TypeHint is null || parameter.Value is not string text) return parameter.Value;
        var hint = parameter.TypeHint;
        object? converted = hint switch
        {
            "DATE" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null,
            "TIME" => TimeOnly.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null,
            "TIMESTAMP" => DateTime.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var stamp) ? stamp : null,
            "DECIMAL" => decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number) ? number : null,
            "UUID" => Guid.TryParse(text, out var uuid) ? uuid : null,
            "JSON" => text,
            _ => throw RdsDataErrors.BadRequest($"Unknown typeHint {hint} for parameter {parameter.Name}"),
        };
        return converted ?? throw RdsDataErrors.InvalidTypeHint(parameter.Name, hint, text);
    }
}
