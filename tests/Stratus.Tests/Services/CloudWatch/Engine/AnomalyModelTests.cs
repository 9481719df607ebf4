using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class AnomalyModelTests
{
    private static readonly long Monday = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    /// <summary>Two weeks of hourly values: 100 at 09:00 UTC each day, 10 (or 12 on odd days) at every other hour.</summary>
    private static List<KeyValuePair<long, double>> DailyPeak() =>
        Enumerable.Range(0, 14 * 24).Select(h => KeyValuePair.Create(Monday + h * 3600L, h % 24 == 9 ? 100.0 : (h / 24 % 2 == 0 ? 10 : 12))).ToList();

    [Fact]
    public void With_too_few_values_in_its_hour_of_the_week_a_band_takes_the_whole_window()
    {
        var model = new AnomalyModel(DailyPeak(), TimeZoneInfo.Utc, []);
        var twoWeeksOn = Monday + 14 * 24 * 3600L;

        // Too few values share an hour of the week (two), so the window's mean and deviation over every hour answer.
        var (lower, upper) = model.BandAt(twoWeeksOn + 3 * 3600, 2)!.Value;
        var all = DailyPeak().Where(p => p.Key >= Monday + 3 * 3600).Select(p => p.Value).ToList();
        var mean = all.Average();
        var deviation = Math.Sqrt(all.Select(v => (v - mean) * (v - mean)).Average());
        Assert.Equal(mean - 2 * deviation, lower, 9);
        Assert.Equal(mean + 2 * deviation, upper, 9);
    }

    [Fact]
    public void With_enough_values_in_the_hour_of_the_week_the_band_follows_that_hour()
    {
        // Every 5 minutes for two weeks: the 09:00 hour of each weekday holds 12 values per week.
        var history = Enumerable.Range(0, 14 * 24 * 12)
            .Select(i => KeyValuePair.Create(Monday + i * 300L, (i / 12) % 24 == 9 ? 100.0 + i % 2 : 10.0 + i % 2)).ToList();
        var model = new AnomalyModel(history, TimeZoneInfo.Utc, []);
        var nextMondayNine = Monday + 14 * 24 * 3600L + 9 * 3600;

        var (lower, upper) = model.BandAt(nextMondayNine, 3)!.Value;
        Assert.Equal(100.5 - 3 * 0.5, lower, 9);
        Assert.Equal(100.5 + 3 * 0.5, upper, 9);
        var (quietLower, quietUpper) = model.BandAt(nextMondayNine + 3600, 3)!.Value;
        Assert.Equal(10.5 - 1.5, quietLower, 9);
        Assert.Equal(10.5 + 1.5, quietUpper, 9);
    }

    [Fact]
    public void Only_values_before_the_period_and_within_two_weeks_train_it()
    {
        var history = Enumerable.Range(0, 10).Select(i => KeyValuePair.Create(Monday + i * 60L, 5.0)).ToList();
        var model = new AnomalyModel(history, TimeZoneInfo.Utc, []);

        Assert.Null(model.BandAt(Monday + 4 * 60, 2));
        Assert.Equal((5.0, 5.0), model.BandAt(Monday + 5 * 60, 2));
        Assert.Equal(10, model.TrainingPointsAt(Monday + 3600));
        Assert.Equal(0, model.TrainingPointsAt(Monday + (long)AnomalyModel.TrainingWindow.TotalSeconds + 3600));
        Assert.Null(model.BandAt(Monday + (long)AnomalyModel.TrainingWindow.TotalSeconds + 3600, 2));
    }

    [Fact]
    public void Excluded_time_ranges_and_the_time_zone_are_honoured()
    {
        var history = Enumerable.Range(0, 20).Select(i => KeyValuePair.Create(Monday + i * 60L, i < 10 ? 1000.0 : 5.0)).ToList();
        var excluded = new AnomalyModel(history, TimeZoneInfo.Utc, [(Monday, Monday + 10 * 60)]);
        Assert.Equal((5.0, 5.0), excluded.BandAt(Monday + 30 * 60, 2));
        Assert.Equal(10, excluded.TrainingPointsAt(Monday + 30 * 60));

        // A spike at 09:00 New York time every day across the end of daylight saving time (1 November 2026): 13:00 UTC
        // before it, 14:00 UTC after. The detector's time zone keeps 09:00 one hour of the week; UTC would mix two.
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var first = new DateTimeOffset(2026, 10, 26, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var spikes = Enumerable.Range(0, 14 * 24 * 12).Select(i => first + i * 300L)
            .Select(t => KeyValuePair.Create(t, TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(t), newYork).Hour == 9 ? 50.0 : 1.0)).ToList();
        var mondayNineInNewYork = new DateTimeOffset(2026, 11, 9, 14, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        Assert.Equal((50.0, 50.0), new AnomalyModel(spikes, newYork, []).BandAt(mondayNineInNewYork, 2));
        Assert.NotEqual((50.0, 50.0), new AnomalyModel(spikes, TimeZoneInfo.Utc, []).BandAt(mondayNineInNewYork, 2));
    }
}
