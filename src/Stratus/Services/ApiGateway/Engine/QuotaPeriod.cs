namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// Where a usage plan's quota period starts, in UTC as AWS counts it: DAY at midnight; WEEK on Sunday plus
/// <c>offset</c> days (1 is Monday); MONTH on the first plus <c>offset</c> days.
/// </summary>
public static class QuotaPeriod
{
    public static readonly IReadOnlyList<string> Periods = ["DAY", "WEEK", "MONTH"];

    /// <summary>The largest offset AWS takes for a period (DAY has none; a month's offset stays within its shortest month).</summary>
    public static int MaxOffset(string period) => period switch
    {
        "WEEK" => 6,
        "MONTH" => 27,
        _ => 0,
    };

    public static DateOnly Start(string period, int offset, DateOnly today)
    {
        switch (period)
        {
            case "WEEK":
                var start = today.AddDays(-(int)today.DayOfWeek + offset);
                return start > today ? start.AddDays(-7) : start;
            case "MONTH":
                var month = new DateOnly(today.Year, today.Month, 1).AddDays(offset);
                return month > today ? new DateOnly(today.Year, today.Month, 1).AddMonths(-1).AddDays(offset) : month;
            default:
                return today;
        }
    }
}
