using System.Globalization;
using System.Text.RegularExpressions;

namespace Stratus.Services.Events.Engine;

/// <summary>
/// A rule's ScheduleExpression as EventBridge reads it: rate(N unit) with unit minute(s), hour(s) or day(s)
/// (singular exactly when N is 1), or cron(minutes hours day-of-month month day-of-week year) in UTC, with
/// AWS's wildcards (, - * / and ? in one of the two day fields; L and W in day-of-month; L and # in
/// day-of-week; month and weekday names). Anything else is refused as AWS refuses it.
/// </summary>
public abstract partial class ScheduleExpression
{
    /// <summary>The last year cron accepts; a search for the next fire time ends there.</summary>
    public const int LastYear = 2199;
    /// <summary>Stratus's bound on a rate's period (AWS states none): 100 years, so fire times stay within the calendar.</summary>
    public static readonly TimeSpan LongestRate = TimeSpan.FromDays(36_525);

    public abstract string Text { get; }

    /// <summary>The first fire time strictly after <paramref name="after"/>; null when the schedule never fires again.
    /// Rates count from <paramref name="anchor"/> (when the rule was scheduled), whole minutes as EventBridge fires.</summary>
    public abstract DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor);

    public static ScheduleExpression Parse(string text)
    {
        if (RatePattern().Match(text) is { Success: true } rate) return Rate.Parse(text, rate);
        if (CronPattern().Match(text) is { Success: true } cron) return Cron.Parse(text, cron.Groups[1].Value);
        throw EventsErrors.InvalidScheduleExpression();
    }

    [GeneratedRegex(@"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^cron\(([^()]*)\)$")]
    private static partial Regex CronPattern();

    private static DateTimeOffset ToMinute(DateTimeOffset at) =>
        new(at.UtcDateTime.Year, at.UtcDateTime.Month, at.UtcDateTime.Day, at.UtcDateTime.Hour, at.UtcDateTime.Minute, 0, TimeSpan.Zero);

    public sealed class Rate : ScheduleExpression
    {
        private Rate(string text, TimeSpan period) { Text = text; Period = period; }

        public override string Text { get; }
        public TimeSpan Period { get; }

        internal static Rate Parse(string text, Match match)
        {
            if (!int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1
                || value > LongestRate.TotalMinutes)
                throw EventsErrors.InvalidScheduleExpression();
            var unit = match.Groups[2].Value;
            // AWS: "rate(1 minutes)" and "rate(5 minute)" are both refused.
            if (unit.EndsWith('s') != (value != 1)) throw EventsErrors.InvalidScheduleExpression();
            var minutes = unit.TrimEnd('s') switch
            {
                "minute" => (long)value,
                "hour" => value * 60L,
                _ => value * 1440L,
            };
            if (minutes > LongestRate.TotalMinutes) throw EventsErrors.InvalidScheduleExpression();
            return new Rate(text, TimeSpan.FromMinutes(minutes));
        }

        public override DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor)
        {
            var start = ToMinute(anchor);
            if (after < start) return start;
            var periods = (after - start).Ticks / Period.Ticks + 1;
            return start + TimeSpan.FromTicks(Period.Ticks * periods);
        }
    }

    public sealed class Cron : ScheduleExpression
    {
        private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
        private static readonly string[] Weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

        private readonly bool[] _minutes, _hours, _months, _years;
        private readonly DayRule _days;

        private Cron(string text, bool[] minutes, bool[] hours, bool[] months, bool[] years, DayRule days)
        {
            Text = text;
            (_minutes, _hours, _months, _years, _days) = (minutes, hours, months, years, days);
        }

        public override string Text { get; }

        internal static Cron Parse(string text, string body)
        {
            var fields = body.Split(' ');
            if (fields.Length != 6 || fields.Any(f => f.Length == 0)) throw EventsErrors.InvalidScheduleExpression();
            var (dayOfMonth, dayOfWeek) = (fields[2], fields[4]);
            // Exactly one of the day fields is '?': AWS cannot combine a day-of-month with a day-of-week.
            if ((dayOfMonth == "?") == (dayOfWeek == "?")) throw EventsErrors.InvalidScheduleExpression();
            DayRule days = dayOfMonth != "?" ? MonthDays.Parse(dayOfMonth) : WeekDays.Parse(dayOfWeek);
            return new Cron(text, Field(fields[0], 0, 59, null), Field(fields[1], 0, 23, null), Field(fields[3], 1, 12, Months),
                Field(fields[5], 1970, LastYear, null), days);
        }

        /// <summary>A field of values, ranges, steps and lists, as a set over [min, max].</summary>
        private static bool[] Field(string text, int min, int max, string[]? names)
        {
            var set = new bool[max + 1];
            foreach (var part in text.Split(','))
            {
                var slash = part.Split('/');
                if (slash.Length > 2) throw EventsErrors.InvalidScheduleExpression();
                var step = slash.Length == 2 ? Number(slash[1], 1, max, null) : 1;
                int from, to;
                if (slash[0] == "*") (from, to) = (min, max);
                else if (slash[0].Split('-') is [var a, var b]) (from, to) = (Number(a, min, max, names), Number(b, min, max, names));
                else (from, to) = (Number(slash[0], min, max, names), slash.Length == 2 ? max : Number(slash[0], min, max, names));
                if (from > to) throw EventsErrors.InvalidScheduleExpression();
                for (var v = from; v <= to; v += step) set[v] = true;
            }
            return set;
        }

        private static int Number(string text, int min, int max, string[]? names)
        {
            if (names is not null && Array.IndexOf(names, text.ToUpperInvariant()) is var index and >= 0) return index + min;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? n
                : throw EventsErrors.InvalidScheduleExpression();
        }

        public override DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor)
        {
            var start = ToMinute(after).AddMinutes(1);
            for (var day = start.Date; day.Year <= LastYear; day = day.AddDays(1))
            {
                if (!_years[day.Year] || !_months[day.Month] || !_days.Matches(day)) continue;
                var firstHour = day == start.Date ? start.Hour : 0;
                for (var hour = firstHour; hour < 24; hour++)
                {
                    if (!_hours[hour]) continue;
                    var firstMinute = day == start.Date && hour == start.Hour ? start.Minute : 0;
                    for (var minute = firstMinute; minute < 60; minute++)
                        if (_minutes[minute]) return new DateTimeOffset(day.Year, day.Month, day.Day, hour, minute, 0, TimeSpan.Zero);
                }
            }
            return null;
        }

        private abstract class DayRule
        {
            public abstract bool Matches(DateTime day);
        }

        /// <summary>Day-of-month: a field over 1..31, L (the month's last day) or L-n, or nW / LW (the weekday nearest, within the month).</summary>
        private sealed class MonthDays(Func<DateTime, bool> test) : DayRule
        {
            public static MonthDays Parse(string text)
            {
                if (text == "L") return new(d => d.Day == DateTime.DaysInMonth(d.Year, d.Month));
                if (text.StartsWith("L-", StringComparison.Ordinal))
                {
                    var offset = Number(text[2..], 1, 30, null);
                    return new(d => d.Day == DateTime.DaysInMonth(d.Year, d.Month) - offset);
                }
                if (text == "LW") return new(d => d.Day == NearestWeekday(d.Year, d.Month, DateTime.DaysInMonth(d.Year, d.Month)));
                if (text.EndsWith('W'))
                {
                    var target = Number(text[..^1], 1, 31, null);
                    return new(d => target <= DateTime.DaysInMonth(d.Year, d.Month) && d.Day == NearestWeekday(d.Year, d.Month, target));
                }
                var set = Field(text, 1, 31, null);
                return new(d => set[d.Day]);
            }

            private static int NearestWeekday(int year, int month, int day)
            {
                var date = new DateTime(year, month, day);
                var last = DateTime.DaysInMonth(year, month);
                return date.DayOfWeek switch
                {
                    DayOfWeek.Saturday => day == 1 ? 3 : day - 1,
                    DayOfWeek.Sunday => day == last ? day - 2 : day + 1,
                    _ => day,
                };
            }

            public override bool Matches(DateTime day) => test(day);
        }

        /// <summary>Day-of-week, 1 (SUN) to 7 (SAT): a field, L (Saturday), nL (the month's last such weekday) or n#k (its k-th).</summary>
        private sealed class WeekDays(Func<DateTime, bool> test) : DayRule
        {
            public static WeekDays Parse(string text)
            {
                if (text == "L") return new(d => d.DayOfWeek == DayOfWeek.Saturday);
                if (text.Length > 1 && text.EndsWith('L'))
                {
                    var weekday = Number(text[..^1], 1, 7, Weekdays) - 1;
                    return new(d => (int)d.DayOfWeek == weekday && d.AddDays(7).Month != d.Month);
                }
                if (text.Split('#') is [var day, var nth])
                {
                    var weekday = Number(day, 1, 7, Weekdays) - 1;
                    var k = Number(nth, 1, 5, null);
                    return new(d => (int)d.DayOfWeek == weekday && (d.Day - 1) / 7 + 1 == k);
                }
                var set = Field(text, 1, 7, Weekdays);
                return new(d => set[(int)d.DayOfWeek + 1]);
            }

            public override bool Matches(DateTime day) => test(day);
        }
    }
}
