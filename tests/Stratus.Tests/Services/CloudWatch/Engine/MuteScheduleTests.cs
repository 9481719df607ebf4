using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class MuteScheduleTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_recurring_window_opens_at_each_named_minute_and_lasts_its_duration()
    {
        var nightly = MuteSchedule.Parse("cron(0 2 * * *)", "PT2H", null);
        Assert.Equal("RECURRING", nightly.MuteType);
        Assert.True(nightly.Covers(Utc("2026-12-06T02:00:00Z")));
        Assert.True(nightly.Covers(Utc("2026-12-06T03:59:59Z")));
        Assert.False(nightly.Covers(Utc("2026-12-06T04:00:00Z")));
        Assert.False(nightly.Covers(Utc("2026-12-06T01:59:59Z")));
        Assert.False(nightly.Ended(Utc("2030-01-01T00:00:00Z")));
    }

    [Fact]
    public void Day_fields_names_and_time_zones_are_read_as_cron_reads_them()
    {
        // Fridays (FRI) at 18:00 in New York for 2 days 12 hours: the weekend.
        var weekend = MuteSchedule.Parse("cron(0 18 * * FRI)", "P2DT12H", "America/New_York");
        Assert.True(weekend.Covers(Utc("2026-12-05T23:30:00Z"))); // Saturday 18:30 in New York (UTC-5)
        Assert.False(weekend.Covers(Utc("2026-12-04T22:59:00Z"))); // Friday 17:59 in New York
        Assert.True(weekend.Covers(Utc("2026-12-04T23:00:00Z")));
        // Day of month 1 or Monday (both restricted: either matches), in January and March.
        var either = MuteSchedule.Parse("cron(30 1 1 JAN,MAR MON)", "PT1M", null);
        Assert.True(either.Covers(Utc("2026-01-01T01:30:00Z"))); // the 1st (a Thursday)
        Assert.True(either.Covers(Utc("2026-01-05T01:30:30Z"))); // a Monday
        Assert.False(either.Covers(Utc("2026-02-02T01:30:00Z"))); // a Monday in February
    }

    [Fact]
    public void A_one_time_window_ends()
    {
        var once = MuteSchedule.Parse("at(2026-05-10T14:00)", "PT30M", "UTC");
        Assert.Equal("ONE_TIME", once.MuteType);
        Assert.True(once.Covers(Utc("2026-05-10T14:29:00Z")));
        Assert.False(once.Covers(Utc("2026-05-10T14:30:00Z")));
        Assert.True(once.Ended(Utc("2026-05-10T14:30:00Z")));
    }

    [Theory]
    [InlineData("cron(0 2 * *)", "PT1H", null, "five fields")]
    [InlineData("cron(60 2 * * *)", "PT1H", null, "invalid field")]
    [InlineData("rate(5 minutes)", "PT1H", null, "must be cron")]
    [InlineData("at(2026-13-01T00:00)", "PT1H", null, "valid time")]
    [InlineData("cron(0 2 * * *)", "PT30S", null, "PT1M to P15D")]
    [InlineData("cron(0 2 * * *)", "P16D", null, "PT1M to P15D")]
    [InlineData("cron(0 2 * * *)", "P1M", null, "ISO 8601")]
    [InlineData("cron(0 2 * * *)", "PT1H", "Mars/Olympus", "time zone")]
    public void Schedules_outside_the_grammar_are_refused(string expression, string duration, string? zone, string says) =>
        Assert.Contains(says, Assert.Throws<MuteScheduleException>(() => MuteSchedule.Parse(expression, duration, zone)).Message);
}
