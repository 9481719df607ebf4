using System.Globalization;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Services.Events.Engine;

namespace Stratus.Services.SecretsManager.Engine;

/// <summary>
/// A rotation window: the scheduled rotation starts at some time in [Opens, Closes). AWS reports a secret's
/// NextRotationDate as the window's last second (an AutomaticallyAfterDays window of a day reads 23:59:59 UTC).
/// </summary>
public sealed record RotationWindow(DateTimeOffset Opens, DateTimeOffset Closes)
{
    public DateTimeOffset ReportedDate => Closes.AddSeconds(-1);
}

/// <summary>
/// RotationRules as Secrets Manager reads them (UTC throughout): AutomaticallyAfterDays N or rate(N days), a window
/// opening at midnight N days on; rate(N hours), windows opening every N hours from each day's midnight; or
/// cron(0 hours day-of-month month day-of-week *), parsed by EventBridge's cron, with Secrets Manager's narrower
/// fields (minutes 0, because windows open on the hour; year *; no W in day-of-month). A schedule that opens more
/// than once a day is "in hours" (at least four hours apart, a window of one hour by default); otherwise "in days"
/// (a window to the end of the UTC day by default). Duration (1h to 24h) may not reach the next window nor the next UTC day.
/// </summary>
public sealed partial class RotationSchedule
{
    /// <summary>AWS: "You can rotate a secret as often as every four hours".</summary>
    private const int ShortestIntervalHours = 4;

    private readonly Func<DateTimeOffset, DateTimeOffset?> _nextOpening;
    private readonly TimeSpan? _duration;
    private readonly bool _inHours;

    private RotationSchedule(Func<DateTimeOffset, DateTimeOffset?> nextOpening, TimeSpan? duration, bool inHours) =>
        (_nextOpening, _duration, _inHours) = (nextOpening, duration, inHours);

    [GeneratedRegex(@"^rate\((\d{1,4}) (hour|hours|day|days)\)$")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^cron\(([^()]*)\)$")]
    private static partial Regex CronPattern();

    [GeneratedRegex(@"^(\d{1,2})h$")]
    private static partial Regex DurationPattern();

    /// <summary>Checks the rules as RotateSecret does and reads them; null when there are none (rotation only on request).</summary>
    public static RotationSchedule? Parse(RotationRules? rules)
    {
        if (rules is null || (rules.AutomaticallyAfterDays is null && rules.ScheduleExpression is null)) return null;
        if (rules.AutomaticallyAfterDays is not null && rules.ScheduleExpression is not null)
            throw SecretsManagerErrors.InvalidRotationRules("You can't specify both AutomaticallyAfterDays and ScheduleExpression.");
        TimeSpan? duration = null;
        if (rules.Duration is { } text)
        {
            if (DurationPattern().Match(text) is not { Success: true } hours || int.Parse(hours.Groups[1].Value, CultureInfo.InvariantCulture) is < 1 or > 24)
                throw SecretsManagerErrors.InvalidRotationRules("The Duration value must be between 1h and 24h.");
            duration = TimeSpan.FromHours(int.Parse(hours.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        if (rules.AutomaticallyAfterDays is { } days)
        {
            if (days is < 1 or > 1000) throw SecretsManagerErrors.InvalidRotationRules("The AutomaticallyAfterDays value must be between 1 and 1000 days.");
            return Days(days, duration);
        }
        var expression = rules.ScheduleExpression!;
        if (RatePattern().Match(expression) is { Success: true } rate)
        {
            var count = int.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture);
            if (rate.Groups[2].Value.StartsWith("hour", StringComparison.Ordinal))
            {
                if (count is < ShortestIntervalHours or > 23) throw InvalidExpression(expression);
                var openings = Enumerable.Range(0, 24).Where(h => h % count == 0).ToArray();
                return Hours(openings, duration, expression, from => NextHour(from, openings));
            }
            if (count is < 1 or > 1000) throw InvalidExpression(expression);
            return Days(count, duration);
        }
        if (CronPattern().Match(expression) is { Success: true } cron) return Cron(expression, cron.Groups[1].Value, duration);
        throw InvalidExpression(expression);
    }

    /// <summary>The window after <paramref name="from"/> (the last rotation, or when rotation was configured); null when the schedule ends.</summary>
    public RotationWindow? NextWindow(DateTimeOffset from)
    {
        if (_nextOpening(from) is not { } opens) return null;
        var closes = _duration is { } duration ? opens + duration
            : _inHours ? opens.AddHours(1)
            : new DateTimeOffset(opens.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        return new RotationWindow(opens, closes);
    }

    private static AwsException InvalidExpression(string expression) =>
        SecretsManagerErrors.InvalidRotationRules($"The schedule expression {expression} is not valid.");

    private static RotationSchedule Days(int days, TimeSpan? duration) =>
        // A window of days opens at midnight, so a Duration can be at most the whole day.
        new(from => new DateTimeOffset(from.UtcDateTime.Date.AddDays(days), TimeSpan.Zero), duration, inHours: false);

    private static RotationSchedule Hours(int[] openingHours, TimeSpan? duration, string expression, Func<DateTimeOffset, DateTimeOffset?> next)
    {
        var gaps = openingHours.Zip(openingHours.Skip(1), (a, b) => b - a).ToArray();
        if (gaps.Min() < ShortestIntervalHours) throw InvalidExpression(expression);
        if (duration is { } d && d.TotalHours > gaps.Min())
            throw SecretsManagerErrors.InvalidRotationRules("The rotation window must not extend into the next rotation window.");
        if (duration is { } e && openingHours[^1] + e.TotalHours > 24)
            throw SecretsManagerErrors.InvalidRotationRules("The rotation window must not extend into the next UTC day.");
        return new(next, duration, inHours: true);
    }

    private static DateTimeOffset NextHour(DateTimeOffset from, int[] openingHours)
    {
        var day = from.UtcDateTime.Date;
        foreach (var hour in openingHours)
            if (day.AddHours(hour) > from.UtcDateTime) return new DateTimeOffset(day.AddHours(hour), TimeSpan.Zero);
        return new DateTimeOffset(day.AddDays(1).AddHours(openingHours[0]), TimeSpan.Zero);
    }

    private static RotationSchedule Cron(string expression, string body, TimeSpan? duration)
    {
        var fields = body.Split(' ');
        if (fields.Length != 6 || fields[0] != "0" || fields[5] != "*" || fields[2].Contains('W')) throw InvalidExpression(expression);
        ScheduleExpression cron, hoursOfADay;
        try
        {
            cron = ScheduleExpression.Parse(expression);
            // The hours field alone, on any day, tells whether the schedule opens more than once a day.
            hoursOfADay = ScheduleExpression.Parse($"cron(0 {fields[1]} * * ? *)");
        }
        catch (AwsException)
        {
            throw InvalidExpression(expression);
        }
        var midnight = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var openingHours = new List<int>();
        for (var at = hoursOfADay.NextAfter(midnight.AddMinutes(-1), midnight); at is { } t && t < midnight.AddDays(1); at = hoursOfADay.NextAfter(t, midnight))
            openingHours.Add(t.Hour);
        DateTimeOffset? Next(DateTimeOffset from) => cron.NextAfter(from, from);
        if (openingHours.Count > 1) return Hours([.. openingHours], duration, expression, Next);
        if (duration is { } d && openingHours[0] + d.TotalHours > 24)
            throw SecretsManagerErrors.InvalidRotationRules("The rotation window must not extend into the next UTC day.");
        return new(Next, duration, inHours: false);
    }
}
