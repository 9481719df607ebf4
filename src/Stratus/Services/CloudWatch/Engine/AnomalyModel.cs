namespace Stratus.Services.CloudWatch.Engine;

/// <summary>
/// Stratus's anomaly detection model, which says what it computes rather than imitate AWS's machine-learning model:
/// the expected value of a period is the mean of the metric's values in the <see cref="TrainingWindow"/> before it
/// that fall in the same hour of the week (in the detector's time zone). When that hour holds fewer than
/// <see cref="MinimumPoints"/> values, it is the mean of every value in the window. The band is that mean plus and minus
/// the requested number of standard deviations of the same values. AWS trains on up to two weeks of history and models
/// hourly, daily and weekly seasonality. Here, the hour of the week carries the daily and weekly patterns. There is no trend term.
/// A period without enough history has no band, as a model still training draws none.
/// </summary>
public sealed class AnomalyModel
{
    /// <summary>AWS trains a model on up to two weeks of the metric's history.</summary>
    public static readonly TimeSpan TrainingWindow = TimeSpan.FromDays(14);

    /// <summary>The fewest values a mean and a deviation are taken from.</summary>
    public const int MinimumPoints = 5;

    private const int HoursPerWeek = 7 * 24;
    private readonly Prefix _all;
    private readonly Prefix?[] _byHourOfWeek = new Prefix?[HoursPerWeek];
    private readonly TimeZoneInfo _zone;

    /// <param name="history">The metric's values by epoch second, in any order.</param>
    /// <param name="excluded">Time ranges (epoch seconds, end exclusive) left out of training, as a detector's ExcludedTimeRanges are.</param>
    public AnomalyModel(IEnumerable<KeyValuePair<long, double>> history, TimeZoneInfo zone, IReadOnlyList<(long Start, long End)> excluded)
    {
        _zone = zone;
        var points = history.Where(p => double.IsFinite(p.Value) && !excluded.Any(r => p.Key >= r.Start && p.Key < r.End))
            .OrderBy(p => p.Key).ToList();
        _all = new Prefix(points);
        foreach (var group in points.GroupBy(p => HourOfWeek(p.Key)))
            _byHourOfWeek[group.Key] = new Prefix(group.ToList());
    }

    /// <summary>The band at a period starting at <paramref name="time"/>, from the values before it; null without enough of them.</summary>
    public (double Lower, double Upper)? BandAt(long time, double deviations)
    {
        var from = time - (long)TrainingWindow.TotalSeconds;
        var seasonal = _byHourOfWeek[HourOfWeek(time)]?.Between(from, time);
        var (count, mean, deviation) = seasonal is { Count: >= MinimumPoints } s ? s : _all.Between(from, time);
        if (count < MinimumPoints) return null;
        return (mean - deviations * deviation, mean + deviations * deviation);
    }

    /// <summary>How many values train a band at <paramref name="time"/>: what a detector's state reports.</summary>
    public int TrainingPointsAt(long time) => _all.Between(time - (long)TrainingWindow.TotalSeconds, time).Count;

    private int HourOfWeek(long time)
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(time), _zone);
        return (int)local.DayOfWeek * 24 + local.Hour;
    }

    /// <summary>Times in order with running sums of values and squares: a window's mean and deviation in two binary searches.</summary>
    private sealed class Prefix
    {
        private readonly long[] _times;
        private readonly double[] _sums;
        private readonly double[] _squares;

        public Prefix(IReadOnlyList<KeyValuePair<long, double>> ordered)
        {
            _times = new long[ordered.Count];
            _sums = new double[ordered.Count + 1];
            _squares = new double[ordered.Count + 1];
            for (var i = 0; i < ordered.Count; i++)
            {
                _times[i] = ordered[i].Key;
                _sums[i + 1] = _sums[i] + ordered[i].Value;
                _squares[i + 1] = _squares[i] + ordered[i].Value * ordered[i].Value;
            }
        }

        /// <summary>Count, mean and population standard deviation of the values at times in [from, to).</summary>
        public (int Count, double Mean, double Deviation) Between(long from, long to)
        {
            var (lo, hi) = (FirstAtOrAfter(from), FirstAtOrAfter(to));
            var count = hi - lo;
            if (count <= 0) return (0, 0, 0);
            var mean = (_sums[hi] - _sums[lo]) / count;
            var variance = (_squares[hi] - _squares[lo]) / count - mean * mean;
            return (count, mean, Math.Sqrt(Math.Max(0, variance)));
        }

        /// <summary>Times are unique (one value per period), so an exact hit is the first at that time.</summary>
        private int FirstAtOrAfter(long time)
        {
            var index = Array.BinarySearch(_times, time);
            return index < 0 ? ~index : index;
        }
    }
}
