using System.Globalization;
using Stratus.Protocols;
using Stratus.Services.SecretsManager;
using Stratus.Services.SecretsManager.Engine;

namespace Stratus.Tests.Services.SecretsManager.Engine;

/// <summary>Rotation rules read as Secrets Manager's rotation schedule documentation describes them: windows, defaults and limits.</summary>
public sealed class RotationScheduleTests
{
    private static readonly DateTimeOffset From = At("2026-12-05T10:20:00Z");

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static RotationWindow Window(string? expression, string? duration = null, int? days = null) =>
        RotationSchedule.Parse(new RotationRules(days, duration, expression))!.NextWindow(From)!;

    [Fact]
    public void A_cron_window_opens_at_its_time_and_lasts_its_duration_with_the_last_second_reported()
    {
        var window = Window("cron(0 16 1,15 * ? *)", "3h");
        Assert.Equal(At("2026-12-15T16:00:00Z"), window.Opens);
        Assert.Equal(At("2026-12-15T19:00:00Z"), window.Closes);
        Assert.Equal(At("2026-12-15T18:59:59Z"), window.ReportedDate);
    }

    [Fact]
    public void Without_a_duration_a_window_in_days_closes_at_the_end_of_the_utc_day_and_one_in_hours_after_an_hour()
    {
        var days = Window("cron(0 16 * * ? *)");
        Assert.Equal((At("2026-12-05T16:00:00Z"), At("2026-12-06T00:00:00Z")), (days.Opens, days.Closes));
        // Increments of hours restart each day: 4:00 and 16:00.
        var hours = Window("cron(0 4/12 * * ? *)");
        Assert.Equal((At("2026-12-05T16:00:00Z"), At("2026-12-05T17:00:00Z")), (hours.Opens, hours.Closes));
    }

    [Fact]
    public void Cron_takes_eventbridges_last_day_and_nth_weekday_forms()
    {
        Assert.Equal(At("2026-12-31T08:00:00Z"), Window("cron(0 8 L * ? *)").Opens);
        Assert.Equal(At("2026-12-06T00:00:00Z"), Window("cron(0 0 ? * SUN#1 *)").Opens);
        Assert.Equal(At("2026-12-13T00:00:00Z"), Window("cron(0 0 ? * SUN#2 *)").Opens);
        Assert.Equal(At("2026-12-07T09:00:00Z"), Window("cron(0 9 ? * MON-FRI *)").Opens);
    }

    [Fact]
    public void Days_and_rates_open_windows_at_midnight_and_hour_rates_every_n_hours_from_midnight()
    {
        var days = Window(null, days: 2);
        Assert.Equal((At("2026-12-07T00:00:00Z"), At("2026-12-08T00:00:00Z")), (days.Opens, days.Closes));
        Assert.Equal(At("2026-12-07T23:59:59Z"), days.ReportedDate);
        Assert.Equal(At("2026-12-15T00:00:00Z"), Window("rate(10 days)").Opens);
        var hours = Window("rate(4 hours)", "2h");
        Assert.Equal((At("2026-12-05T12:00:00Z"), At("2026-12-05T14:00:00Z")), (hours.Opens, hours.Closes));
    }

    [Theory]
    [InlineData("cron(30 16 * * ? *)")] // windows open on the hour
    [InlineData("cron(0 16 * * ? 2027)")] // the year must be *
    [InlineData("cron(0 16 15W * ? *)")] // W is not among Secrets Manager's day-of-month wildcards
    [InlineData("cron(0 1,3 * * ? *)")] // no more often than every four hours
    [InlineData("cron(0 16 * * * *)")] // one of the day fields must be ?
    [InlineData("cron(0 16 * *)")]
    [InlineData("rate(2 hours)")]
    [InlineData("rate(30 minutes)")]
    [InlineData("every day")]
    public void Expressions_secrets_manager_does_not_take_are_refused(string expression)
    {
        var e = Assert.Throws<AwsException>(() => RotationSchedule.Parse(new RotationRules(null, null, expression)));
        Assert.Equal("InvalidParameterException", e.Code);
        Assert.Equal($"The schedule expression {expression} is not valid.", e.Message);
    }

    [Theory]
    [InlineData("cron(0 0/6 * * ? *)", "7h", "The rotation window must not extend into the next rotation window.")]
    [InlineData("cron(0 22 * * ? *)", "3h", "The rotation window must not extend into the next UTC day.")]
    [InlineData("cron(0 16 * * ? *)", "25h", "The Duration value must be between 1h and 24h.")]
    [InlineData("cron(0 16 * * ? *)", "3 hours", "The Duration value must be between 1h and 24h.")]
    public void A_window_that_reaches_the_next_window_or_day_is_refused(string expression, string duration, string message)
    {
        var e = Assert.Throws<AwsException>(() => RotationSchedule.Parse(new RotationRules(null, duration, expression)));
        Assert.Equal(("InvalidParameterException", message), (e.Code, e.Message));
    }

    [Fact]
    public void Both_kinds_of_schedule_at_once_and_days_out_of_range_are_refused()
    {
        Assert.Equal("You can't specify both AutomaticallyAfterDays and ScheduleExpression.",
            Assert.Throws<AwsException>(() => RotationSchedule.Parse(new RotationRules(3, null, "rate(3 days)"))).Message);
        Assert.Equal("The AutomaticallyAfterDays value must be between 1 and 1000 days.",
            Assert.Throws<AwsException>(() => RotationSchedule.Parse(new RotationRules(1001, null, null))).Message);
        Assert.Null(RotationSchedule.Parse(null));
    }
}
