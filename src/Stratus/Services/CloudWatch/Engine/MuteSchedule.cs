using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;

namespace Stratus.Services.CloudWatch.Engine;

/// <summary>A mute rule's schedule outside the model's documented grammar; the message says what (Stratus's wording).</summary>
public sealed class MuteScheduleException(string message) : Exception(message);

/// <summary>
/// An alarm mute rule's schedule, as the PutAlarmMuteRule model documents it: an Expression, either
/// cron(Minutes Hours Day-of-month Month Day-of-week) for recurring windows (*, ranges with -, lists with ,; JAN-DEC and
/// SUN-SAT by name; day of week 0-6 from Sunday, 7 also Sunday; when both day fields are restricted a day matching either
/// is a day of the schedule, as in Unix cron) or at(yyyy-MM-ddThh:mm) for one window, read in the Timezone (UTC unless
/// given); and a Duration in ISO 8601 from PT1M to P15D. A window starts at each minute the expression names and lasts
/// the Duration.
/// </summary>
public sealed partial class MuteSchedule
{
    public static readonly TimeSpan ShortestDuration = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(15);
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[]? _minutes, _hours, _days, _months, _weekdays;
    private readonly bool _anyDay, _anyWeekday;
    private readonly DateTime? _once;

    private MuteSchedule(TimeSpan duration, TimeZoneInfo zone, DateTime? once, bool[]? minutes, bool[]? hours, bool[]? days, bool[]? months, bool[]? weekdays,
        bool anyDay, bool anyWeekday)
    {
        Duration = duration;
        Zone = zone;
        _once = once;
        (_minutes, _hours, _days, _months, _weekdays, _anyDay, _anyWeekday) = (minutes, hours, days, months, weekdays, anyDay, anyWeekday);
    }

    public TimeSpan Duration { get; }
    public TimeZoneInfo Zone { get; }

    /// <summary>ONE_TIME for at(), RECURRING for cron(), as GetAlarmMuteRule's MuteType says.</summary>
    public string MuteType => _once is null ? "RECURRING" : "ONE_TIME";

    public static MuteSchedule Parse(string expression, string duration, string? timezone)
    {
        var length = ParseDuration(duration);
        TimeZoneInfo zone;
        try
        {
            zone = timezone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timezone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new MuteScheduleException($"The Timezone {timezone} is not a known time zone identifier.");
        }
        if (AtPattern().Match(expression) is { Success: true } at)
        {
            if (!DateTime.TryParseExact(at.Groups[1].Value, "yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var once))
                throw new MuteScheduleException($"The at expression {expression} does not name a valid time.");
            return new MuteSchedule(length, zone, once, null, null, null, null, null, true, true);
        }
        if (CronPattern().Match(expression) is not { Success: true } cron)
            throw new MuteScheduleException($"The Expression {expression} must be cron(Minutes Hours Day-of-month Month Day-of-week) or at(yyyy-MM-ddThh:mm).");
        var fields = cron.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
            throw new MuteScheduleException($"The cron expression {expression} must have five fields: Minutes Hours Day-of-month Month Day-of-week.");
        var weekdays = Field(fields[4], 0, 7, DayNames, expression);
        weekdays[0] |= weekdays[7];
        return new MuteSchedule(length, zone, null, Field(fields[0], 0, 59, null, expression), Field(fields[1], 0, 23, null, expression),
            Field(fields[2], 1, 31, null, expression), Field(fields[3], 1, 12, MonthNames, expression), weekdays, fields[2] == "*", fields[4] == "*");
    }

    /// <summary>Whether <paramref name="at"/> falls in one of the schedule's windows: a window start within Duration before it.</summary>
    public bool Covers(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone).DateTime;
        var minute = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0);
        if (_once is { } once) return once <= local && local < once + Duration;
        // Every minute whose window could still be open is a candidate start: at most 15 days of minutes, each a few lookups.
        for (var start = minute; local - start < Duration; start = start.AddMinutes(-1))
            if (Starts(start)) return true;
        return false;
    }

    /// <summary>Whether a one-time schedule's window has passed; a recurring schedule never ends.</summary>
    public bool Ended(DateTimeOffset now) => _once is { } once && TimeZoneInfo.ConvertTime(now, Zone).DateTime >= once + Duration;

    private bool Starts(DateTime t)
    {
        if (!_minutes![t.Minute] || !_hours![t.Hour] || !_months![t.Month]) return false;
        var (day, weekday) = (_days![t.Day], _weekdays![(int)t.DayOfWeek]);
        return _anyDay && _anyWeekday ? true : _anyDay ? weekday : _anyWeekday ? day : day || weekday;
    }

    private static TimeSpan ParseDuration(string duration)
    {
        // Days, hours, minutes and seconds only: months and years have no fixed length.
        if (!DurationPattern().IsMatch(duration) || duration is "P" or "PT" || duration.EndsWith('T'))
            throw new MuteScheduleException($"The Duration {duration} must be an ISO 8601 duration such as PT4H or P2DT12H.");
        var length = XmlConvert.ToTimeSpan(duration);
        return length >= ShortestDuration && length <= LongestDuration
            ? length
            : throw new MuteScheduleException($"The Duration {duration} must be from PT1M to P15D.");
    }

    private static bool[] Field(string text, int min, int max, string[]? names, string expression)
    {
        var allowed = new bool[max + 1];
        foreach (var part in text.Split(','))
        {
            if (part == "*")
            {
                Array.Fill(allowed, true, min, max - min + 1);
                continue;
            }
            var range = part.Split('-');
            if (range.Length > 2) throw Invalid();
            var (from, to) = (Value(range[0]), Value(range[^1]));
            if (from > to) throw Invalid();
            for (var v = from; v <= to; v++) allowed[v] = true;
        }
        return allowed;

        int Value(string token)
        {
            if (names is not null && Array.IndexOf(names, token.ToUpperInvariant()) is var at and >= 0) return at + (names == MonthNames ? 1 : 0);
            return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v : throw Invalid();
        }

        MuteScheduleException Invalid() => new($"The cron expression {expression} has an invalid field: {text}.");
    }

    [GeneratedRegex(@"^P([0-9]{1,5}D)?(T([0-9]{1,6}H)?([0-9]{1,8}M)?([0-9]{1,9}S)?)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^at\((.+)\)$")]
    private static partial Regex AtPattern();

    [GeneratedRegex(@"^cron\((.+)\)$")]
    private static partial Regex CronPattern();
}
