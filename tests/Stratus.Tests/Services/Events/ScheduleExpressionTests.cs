using Stratus.Protocols;
using Stratus.Services.Events.Engine;

namespace Stratus.Tests.Services.Events;

/// <summary>rate() and cron() read as EventBridge reads them, and their next fire times.</summary>
public sealed class ScheduleExpressionTests
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("rate(1 minute)")]
    [InlineData("rate(5 minutes)")]
    [InlineData("rate(1 hour)")]
    [InlineData("rate(12 hours)")]
    [InlineData("rate(7 days)")]
    [InlineData("cron(0 12 * * ? *)")]
    [InlineData("cron(15 10 ? * 6L 2026-2030)")]
    [InlineData("cron(0/5 8-17 ? * MON-FRI *)")]
    [InlineData("cron(0 8 1 * ? *)")]
    [InlineData("cron(0 9 ? * 2#1 *)")]
    [InlineData("cron(0 18 L * ? *)")]
    [InlineData("cron(0 18 LW * ? *)")]
    [InlineData("cron(0 18 15W JAN,JUL ? *)")]
    public void Valid_expressions_parse(string text) => Assert.Equal(text, ScheduleExpression.Parse(text).Text);

    [Theory]
    [InlineData("rate(1 minutes)")]
    [InlineData("rate(5 minute)")]
    [InlineData("rate(0 minutes)")]
    [InlineData("rate(-1 minutes)")]
    [InlineData("rate(1 week)")]
    [InlineData("rate(1  minute)")]
    [InlineData("rate(2147483647 days)")]
    [InlineData("rate(36526 days)")]
    [InlineData("cron(0 12 * * * *)")]
    [InlineData("cron(0 12 ? * ? *)")]
    [InlineData("cron(0 12 * *)")]
    [InlineData("cron(60 12 * * ? *)")]
    [InlineData("cron(0 24 * * ? *)")]
    [InlineData("cron(0 12 32 * ? *)")]
    [InlineData("cron(0 12 ? * 8 *)")]
    [InlineData("cron(0 12 * * ? 1969)")]
    [InlineData("cron(0 12 5-1 * ? *)")]
    [InlineData("at(2026-12-05T10:00:00)")]
    [InlineData("")]
    public void Invalid_expressions_are_refused_as_eventbridge_refuses_them(string text)
    {
        var e = Assert.Throws<AwsException>(() => ScheduleExpression.Parse(text));
        Assert.Equal("ValidationException", e.Code);
        Assert.Equal("Parameter ScheduleExpression is not valid.", e.Message);
    }

    [Fact]
    public void A_rate_counts_whole_periods_from_the_minute_it_was_scheduled()
    {
        var rate = ScheduleExpression.Parse("rate(5 minutes)");
        var anchor = At("2026-12-05T10:02:30Z");
        Assert.Equal(At("2026-12-05T10:07:00Z"), rate.NextAfter(anchor, anchor));
        Assert.Equal(At("2026-12-05T10:12:00Z"), rate.NextAfter(At("2026-12-05T10:07:00Z"), anchor));
        Assert.Equal(At("2026-12-05T11:02:00Z"), rate.NextAfter(At("2026-12-05T11:00:00Z"), anchor));
    }

    [Theory]
    [InlineData("cron(0 12 * * ? *)", "2026-12-05T12:00:00Z", "2026-12-06T12:00:00Z")]
    [InlineData("cron(0 12 * * ? *)", "2026-12-05T11:59:59Z", "2026-12-05T12:00:00Z")]
    [InlineData("cron(0/15 * * * ? *)", "2026-12-05T10:07:00Z", "2026-12-05T10:15:00Z")]
    [InlineData("cron(0 8 ? * MON-FRI *)", "2026-12-05T09:00:00Z", "2026-12-07T08:00:00Z")] // Saturday -> Monday
    [InlineData("cron(0 18 L * ? *)", "2026-02-01T00:00:00Z", "2026-02-28T18:00:00Z")]
    [InlineData("cron(0 18 L-2 * ? *)", "2026-02-01T00:00:00Z", "2026-02-26T18:00:00Z")]
    [InlineData("cron(0 9 ? * 2#1 *)", "2026-12-05T00:00:00Z", "2026-12-07T09:00:00Z")] // the first Monday of December
    [InlineData("cron(0 9 ? * 6L *)", "2026-12-05T00:00:00Z", "2026-12-25T09:00:00Z")] // last Friday
    [InlineData("cron(0 9 15W * ? *)", "2026-11-01T00:00:00Z", "2026-11-16T09:00:00Z")] // 15 Nov 2026 is a Sunday
    [InlineData("cron(0 9 1W * ? *)", "2026-08-01T00:00:00Z", "2026-08-03T09:00:00Z")] // 1 Aug 2026 is a Saturday: not back into July
    [InlineData("cron(30 6 29 FEB ? *)", "2026-03-01T00:00:00Z", "2028-02-29T06:30:00Z")]
    [InlineData("cron(0 0 1 1 ? 2027)", "2026-12-05T00:00:00Z", "2027-01-01T00:00:00Z")]
    public void Cron_finds_the_next_fire_time_in_utc(string text, string after, string expected) =>
        Assert.Equal(At(expected), ScheduleExpression.Parse(text).NextAfter(At(after), At(after)));

    [Fact]
    public void A_cron_whose_years_are_over_never_fires_again() =>
        Assert.Null(ScheduleExpression.Parse("cron(0 0 1 1 ? 2020)").NextAfter(At("2026-12-05T00:00:00Z"), At("2026-12-05T00:00:00Z")));
}
