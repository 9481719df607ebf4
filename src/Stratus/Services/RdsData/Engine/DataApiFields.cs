using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Stratus.Services.RdsData.Engine;

/// <summary>
/// A database value in the Data API's forms: a Field union by the value's type (longValue, doubleValue, stringValue, booleanValue,
/// blobValue, isNull, arrayValue), or a JSON value for formatRecordsAs JSON. DECIMAL is a string unless resultSetOptions asks for a
/// number; dates and times are strings in the SQL form AWS answers (`2024-01-31 12:00:00`).
/// </summary>
public static class DataApiFields
{
    public static JsonObject Field(object? value, ResultOptions options) => value switch
    {
        null or DBNull => new JsonObject { ["isNull"] = true },
        bool b => new JsonObject { ["booleanValue"] = b },
        byte[] bytes => new JsonObject { ["blobValue"] = Convert.ToBase64String(bytes) },
        decimal d when options.DecimalAsNumber => d == decimal.Truncate(d) && d is >= long.MinValue and <= long.MaxValue
            ? new JsonObject { ["longValue"] = (long)d }
            : new JsonObject { ["doubleValue"] = (double)d },
        float or double => new JsonObject { ["doubleValue"] = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
        sbyte or byte or short or ushort or int or uint or long when !options.LongAsString => new JsonObject { ["longValue"] = Convert.ToInt64(value, CultureInfo.InvariantCulture) },
        ulong u when u <= long.MaxValue && !options.LongAsString => new JsonObject { ["longValue"] = (long)u },
        Array array when value is not byte[] => new JsonObject { ["arrayValue"] = ArrayValue(array, 0) },
        _ => new JsonObject { ["stringValue"] = Text(value) },
    };

    /// <summary>A value of formattedRecords: JSON's own types where they fit, text otherwise, as Field would carry it.</summary>
    public static JsonNode? Json(object? value, ResultOptions options) => value switch
    {
        null or DBNull => null,
        bool b => b,
        byte[] bytes => Convert.ToBase64String(bytes),
        decimal d when options.DecimalAsNumber => d,
        float or double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        sbyte or byte or short or ushort or int or uint or long when !options.LongAsString => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u when u <= long.MaxValue && !options.LongAsString => (long)u,
        Array array when value is not byte[] => new JsonArray([.. array.Cast<object?>().Select(item => Json(item, options))]),
        _ => Text(value),
    };

    /// <summary>An ArrayValue: the list member by the elements' type (longValues, doubleValues, booleanValues, stringValues), arrayValues for nested ones.</summary>
    private static JsonObject ArrayValue(Array array, int depth)
    {
        if (depth >= RdsDataRules.MaxArrayDepth) throw RdsDataErrors.BadRequest("The array value nests too deeply");
        // A multidimensional PostgreSQL array arrives as a rectangular .NET array: its rows are the nested arrayValues.
        if (array.Rank > 1) return new JsonObject { ["arrayValues"] = new JsonArray([.. Rows(array).Select(row => (JsonNode)ArrayValue(row, depth + 1))]) };
        var items = array.Cast<object?>().ToList();
        var element = array.GetType().GetElementType();
        var kind = Nullable.GetUnderlyingType(element!) ?? element!;
        if (kind == typeof(bool)) return List("booleanValues", items, v => (bool)v);
        if (kind == typeof(float) || kind == typeof(double) || kind == typeof(decimal))
            return List("doubleValues", items, v => Convert.ToDouble(v, CultureInfo.InvariantCulture));
        if (kind == typeof(short) || kind == typeof(int) || kind == typeof(long) || kind == typeof(byte))
            return List("longValues", items, v => Convert.ToInt64(v, CultureInfo.InvariantCulture));
        if (typeof(Array).IsAssignableFrom(kind) && kind != typeof(byte[]))
            return new JsonObject { ["arrayValues"] = new JsonArray([.. items.OfType<Array>().Select(inner => (JsonNode)ArrayValue(inner, depth + 1))]) };
        return List("stringValues", items, Text);
    }

    private static JsonObject List<T>(string member, IEnumerable<object?> items, Func<object, T> convert) =>
        new() { [member] = new JsonArray([.. items.Select(v => v is null or DBNull ? null : JsonValue.Create(convert(v)))]) };

    private static IEnumerable<Array> Rows(Array array)
    {
        var rows = array.GetLength(0);
        var width = array.Length / Math.Max(rows, 1);
        var flat = array.Cast<object?>().ToArray();
        var element = array.GetType().GetElementType()!;
        for (var r = 0; r < rows; r++)
        {
            var row = Array.CreateInstance(element, width);
            Array.Copy(flat, r * width, row, 0, width);
            yield return row;
        }
    }

    /// <summary>The SQL text of a value: timestamps as `yyyy-MM-dd HH:mm:ss[.fffffff]`, times as `HH:mm:ss[.fffffff]`, everything else invariant.</summary>
    public static string Text(object value) => value switch
    {
        string s => s,
        DateTime t => t.ToString(Fraction(t.Ticks) ? "yyyy-MM-dd HH:mm:ss.FFFFFFF" : "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        DateTimeOffset o => o.UtcDateTime.ToString(Fraction(o.Ticks) ? "yyyy-MM-dd HH:mm:ss.FFFFFFF" : "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString(Fraction(t.Ticks) ? "HH:mm:ss.FFFFFFF" : "HH:mm:ss", CultureInfo.InvariantCulture),
        // MySQL's TIME spans -838:59:59 to 838:59:59, so hours are not bounded by a day.
        TimeSpan t => (t < TimeSpan.Zero ? "-" : "") + string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Abs(t.TotalHours):00}:{Math.Abs(t.Minutes):00}:{Math.Abs(t.Seconds):00}")
            + (Fraction(t.Ticks) ? new TimeOnly(Math.Abs(t.Ticks) % TimeSpan.TicksPerSecond).ToString(".FFFFFFF", CultureInfo.InvariantCulture) : ""),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        BitArray bits => string.Concat(bits.Cast<bool>().Select(b => b ? '1' : '0')),
        _ => value.ToString() ?? "",
    };

    private static bool Fraction(long ticks) => ticks % TimeSpan.TicksPerSecond != 0;
}
