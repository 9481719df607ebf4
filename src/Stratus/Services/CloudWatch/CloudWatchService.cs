using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda;
using Stratus.Services.Logs;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Protocols.Json;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// CloudWatch's domain: metric data (through <see cref="MetricStore"/>), queries with statistics and
/// metric math, and alarms evaluated on a schedule. PutMetricData answers once its data is committed. Services
/// publish through <see cref="IMetricPublisher"/>: a channel drained by a background task and committed by the
/// housekeeping flush, so invoke paths never wait for aggregation or disk (those points are nobody's
/// acknowledged write; a kill -9 can lose the last two seconds of them).
/// </summary>
public sealed partial class CloudWatchService : IMetricPublisher, IDisposable
{
    public const int MaxHistoryItemsPerAlarm = 100;
    public static readonly TimeSpan HistoryRetention = TimeSpan.FromDays(30);
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private static readonly HashSet<string> Units =
    [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
        "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    ];

    private static readonly Dictionary<string, (Func<double, double, bool> Breaches, string Words)> Comparisons = new()
    {
        ["GreaterThanOrEqualToThreshold"] = ((v, t) => v >= t, "greater than or equal to"),
        ["GreaterThanThreshold"] = ((v, t) => v > t, "greater than"),
        ["LessThanThreshold"] = ((v, t) => v < t, "less than"),
        ["LessThanOrEqualToThreshold"] = ((v, t) => v <= t, "less than or equal to"),
    };

    /// <summary>JSON documents AWS hands out as strings (history, reason data) are written without \u escapes.</summary>
    /// <summary>Anomaly detection alarms compare a value with its band's lower and upper edges.</summary>
    private static readonly Dictionary<string, Func<double, double, double, bool>> BandComparisons = new()
    {
        ["LessThanLowerOrGreaterThanUpperThreshold"] = (v, lower, upper) => v < lower || v > upper,
        ["LessThanLowerThreshold"] = (v, lower, _) => v < lower,
        ["GreaterThanUpperThreshold"] = (v, _, upper) => v > upper,
    };

    private static readonly JsonSerializerOptions PlainJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] TreatMissingDataValues = ["breaching", "notBreaching", "ignore", "missing"];

    private readonly MetricStore _metrics;
    private readonly ResourceTable<MetricAlarm> _alarms;
    private readonly ResourceTable<AlarmHistory> _history;
    private readonly Lock _historyGate = new();
    private readonly TimeProvider _clock;
    private readonly ILambdaInvoker _lambda;
    private readonly ILogger _logger;
    private readonly Channel<MetricDatum> _published = Channel.CreateBounded<MetricDatum>(
        new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _drainer;
    private readonly Task _housekeeper;
    private readonly Task _evaluator;

    /// <param name="logEvents">Where Contributor Insights rules read log events: the Logs service, built after CloudWatch (which it publishes metrics to).</param>
    public CloudWatchService(StateStore store, TimeProvider clock, ILambdaInvoker lambda, ILogger logger, TimeSpan? alarmEvaluationInterval = null,
        Func<ILogEventReader?>? logEvents = null)
    {
        _insightRules = new ResourceTable<InsightRule>(store, "cloudwatch.insight-rules");
        _logEvents = logEvents ?? (() => null);
        _metrics = new MetricStore(store);
        _alarms = new ResourceTable<MetricAlarm>(store, "cloudwatch.alarms");
        _history = new ResourceTable<AlarmHistory>(store, "cloudwatch.alarm-history");
        _composites = new ResourceTable<CompositeAlarm>(store, "cloudwatch.composite-alarms");
        _dashboards = new ResourceTable<Dashboard>(store, "cloudwatch.dashboards");
        _anomalyDetectors = new ResourceTable<AnomalyDetector>(store, "cloudwatch.anomaly-detectors");
        _muteRules = new ResourceTable<AlarmMuteRule>(store, "cloudwatch.alarm-mute-rules");
        _heldActions = new ResourceTable<HeldAlarmActions>(store, "cloudwatch.held-alarm-actions");
        _clock = clock;
        _lambda = lambda;
        _logger = logger;
        _drainer = Task.Run(DrainPublishedAsync);
        _housekeeper = Task.Run(KeepHouseAsync);
        _evaluator = Task.Run(() => EvaluateAlarmsAsync(alarmEvaluationInterval ?? TimeSpan.FromSeconds(2)));
    }

    // ---- metric data ----

    public void Publish(MetricDatum datum) => _published.Writer.TryWrite(datum);

    /// <summary>Records the data points and completes once they are on disk (group commit): acknowledged data survives a kill -9.</summary>
    public async Task PutMetricDataAsync(Scope scope, string ns, IReadOnlyList<MetricDataInput> data)
    {
        if (ns.StartsWith("AWS/", StringComparison.Ordinal))
            throw CloudWatchErrors.InvalidValue($"The value {ns} for parameter Namespace is invalid.");
        if (data.Count == 0) throw CloudWatchErrors.MissingParameter("MetricData");
        if (data.Count > 1000) throw CloudWatchErrors.InvalidValue("The collection MetricData must not have a size greater than 1000.");
        var now = _clock.GetUtcNow();
        for (var i = 0; i < data.Count; i++) Validate(data[i], $"MetricData.member.{i + 1}", now);
        foreach (var datum in data)
        {
            var identity = MetricIdentity.Create(scope.AccountId, scope.Region, ns, datum.MetricName, datum.Dimensions);
            var recorded = _metrics.Record(identity, datum.Timestamp ?? now, datum.Unit ?? "None", datum.StorageResolution == 1, aggregate =>
            {
                if (datum.Value is { } value) aggregate.AddValue(value, 1);
                else if (datum.StatisticValues is { } set) aggregate.AddSet(set.SampleCount, set.Sum, set.Minimum, set.Maximum);
                else for (var v = 0; v < datum.Values.Count; v++) aggregate.AddValue(datum.Values[v], datum.Counts.Count > 0 ? datum.Counts[v] : 1);
            });
            if (!recorded) throw CloudWatchErrors.TooManyMetrics(MetricStore.MaxMetrics);
        }
        await _metrics.CommitAsync();
    }

    private static void Validate(MetricDataInput datum, string at, DateTimeOffset now)
    {
        if (datum.MetricName.Length is 0 or > 255) throw CloudWatchErrors.InvalidValue($"The parameter {at}.MetricName must be between 1 and 255 characters.");
        if (datum.Dimensions.Count > 30) throw CloudWatchErrors.InvalidValue($"The collection {at}.Dimensions must not have a size greater than 30.");
        if (datum.Dimensions.Select(d => d.Name).Distinct().Count() != datum.Dimensions.Count)
            throw CloudWatchErrors.InvalidValue($"No two dimensions in {at}.Dimensions may have the same name.");
        foreach (var dimension in datum.Dimensions)
            if (dimension.Name.Length is 0 or > 255 || dimension.Value.Length is 0 or > 1024)
                throw CloudWatchErrors.InvalidValue($"The dimension {dimension.Name} in {at}.Dimensions must have a name of 1 to 255 characters and a value of 1 to 1024 characters.");
        var given = new[] { datum.Value is not null, datum.StatisticValues is not null, datum.Values.Count > 0 }.Count(g => g);
        if (given > 1)
            throw CloudWatchErrors.InvalidCombination($"The parameters {at}.Value, {at}.StatisticValues and {at}.Values are mutually exclusive and you have specified more than one.");
        if (given == 0)
            throw CloudWatchErrors.InvalidCombination($"At least one of the parameters {at}.Value, {at}.StatisticValues or {at}.Values must be specified.");
        if (datum.Values.Count > 150) throw CloudWatchErrors.InvalidValue($"The collection {at}.Values must not have a size greater than 150.");
        if (datum.Counts.Count > 0 && datum.Counts.Count != datum.Values.Count)
            throw CloudWatchErrors.InvalidValue($"The parameters {at}.Values and {at}.Counts must be of the same size.");
        var numbers = datum.Values.Concat(datum.Counts).ToList();
        if (datum.Value is { } v) numbers.Add(v);
        if (datum.StatisticValues is { } s) numbers.AddRange([s.SampleCount, s.Sum, s.Minimum, s.Maximum]);
        if (numbers.Any(n => !double.IsFinite(n) || Math.Abs(n) > 1e108))
            throw CloudWatchErrors.InvalidValue($"The value for parameter {at} must be a finite number between -2^360 and 2^360.");
        if (datum.StatisticValues is { } set && (set.SampleCount <= 0 || set.Minimum > set.Maximum))
            throw CloudWatchErrors.InvalidValue($"The parameter {at}.StatisticValues must have a positive SampleCount and a Minimum no greater than its Maximum.");
        if (datum.Unit is { } unit && !Units.Contains(unit)) throw CloudWatchErrors.InvalidValue($"The value {unit} for parameter {at}.Unit is invalid.");
        if (datum.StorageResolution is not (1 or 60)) throw CloudWatchErrors.InvalidValue($"The value {datum.StorageResolution} for parameter {at}.StorageResolution is invalid.");
        if (datum.Timestamp is { } t && t < now - TimeSpan.FromDays(14))
            throw CloudWatchErrors.InvalidValue($"The parameter {at}.Timestamp must specify a time no more than two weeks in the past.");
        if (datum.Timestamp is { } future && future > now + TimeSpan.FromHours(2))
            throw CloudWatchErrors.InvalidValue($"The parameter {at}.Timestamp must specify a time no more than two hours in the future.");
    }

    private async Task DrainPublishedAsync()
    {
        var reader = _published.Reader;
        while (await reader.WaitToReadAsync())
            while (reader.TryRead(out var datum))
            {
                try
                {
                    _metrics.Record(MetricIdentity.Create(datum.AccountId, datum.Region, datum.Namespace, datum.MetricName,
                            datum.Dimensions.Select(d => new MetricDimension(d.Key, d.Value))),
                        datum.Timestamp, datum.Unit, highResolution: false, a => a.AddValue(datum.Value, 1));
                }
                catch (Exception e)
                {
                    _logger.LogWarning(e, "Dropped a published {Namespace} {Metric} datum", datum.Namespace, datum.MetricName);
                }
            }
    }

    public IReadOnlyList<PeriodAggregate> GetMetricStatistics(Scope scope, string ns, string metricName, IReadOnlyList<MetricDimension> dimensions,
        DateTimeOffset start, DateTimeOffset end, int period, IReadOnlyList<string> statistics, IReadOnlyList<string> extendedStatistics, string? unit)
    {
        if (statistics.Count == 0 && extendedStatistics.Count == 0)
            throw CloudWatchErrors.InvalidCombination("Must specify either Statistics or ExtendedStatistics, but not both.");
        if (statistics.Count > 0 && extendedStatistics.Count > 0)
            throw CloudWatchErrors.InvalidCombination("Must specify either Statistics or ExtendedStatistics, but not both.");
        foreach (var statistic in statistics)
            if (!MetricStatistics.Standard.Contains(statistic)) throw CloudWatchErrors.InvalidValue($"The value {statistic} for parameter Statistics is not a valid statistic.");
        foreach (var statistic in extendedStatistics)
            if (MetricStatistics.PercentileOf(statistic) is null) throw CloudWatchErrors.InvalidValue($"The value {statistic} for parameter ExtendedStatistics is not a valid extended statistic.");
        ValidateRange(start, end, period);
        var requested = (long)Math.Ceiling((end - start).TotalSeconds / period);
        if (requested > 1440)
            throw CloudWatchErrors.InvalidCombination(
                $"You have requested up to {requested:N0} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.");
        if (unit is not null && !Units.Contains(unit)) throw CloudWatchErrors.InvalidValue($"The value {unit} for parameter Unit is invalid.");
        var identity = MetricIdentity.Create(scope.AccountId, scope.Region, ns, metricName, dimensions);
        return _metrics.Aggregate(identity, unit, Align(start, period), end, period);
    }

    private static void ValidateRange(DateTimeOffset start, DateTimeOffset end, int period)
    {
        if (start >= end) throw CloudWatchErrors.InvalidValue("The parameter StartTime must be less than the parameter EndTime.");
        ValidatePeriod(period, "Period");
    }

    private static void ValidatePeriod(int period, string name)
    {
        if (period <= 0 || (period >= 60 ? period % 60 != 0 : period is not (1 or 5 or 10 or 20 or 30)))
            throw CloudWatchErrors.InvalidValue($"The parameter {name} must be 1, 5, 10, 20, 30, 60, or any multiple of 60.");
    }

    /// <summary>CloudWatch rounds a recent start time down to the whole minute (the second, for sub-minute periods).</summary>
    private static DateTimeOffset Align(DateTimeOffset start, int period)
    {
        var step = period < 60 ? 1 : 60;
        var seconds = start.ToUnixTimeSeconds();
        return DateTimeOffset.FromUnixTimeSeconds(seconds - ((seconds % step) + step) % step);
    }

    public IReadOnlyList<MetricDataResult> GetMetricData(Scope scope, IReadOnlyList<MetricDataQuery> queries, DateTimeOffset start, DateTimeOffset end)
    {
        if (start >= end) throw CloudWatchErrors.InvalidValue("The parameter StartTime must be less than the parameter EndTime.");
        ValidateQueries(queries);
        return Evaluate(scope.AccountId, scope.Region, queries, start, end, alignToPeriod: false).Where(r => r.ReturnData).Select(r => r.Result).ToList();
    }

    private static void ValidateQueries(IReadOnlyList<MetricDataQuery> queries)
    {
        if (queries.Count == 0) throw CloudWatchErrors.MissingParameter("MetricDataQueries");
        if (queries.Count > 500) throw CloudWatchErrors.InvalidValue("The collection MetricDataQueries must not have a size greater than 500.");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            if (query.Id.Length == 0 || !char.IsAsciiLetterLower(query.Id[0]) || !query.Id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw CloudWatchErrors.ValidationError($"The value {query.Id} for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.");
            if (!ids.Add(query.Id)) throw CloudWatchErrors.ValidationError($"The values for parameter id in MetricDataQueries are not unique: {query.Id}.");
            if ((query.MetricStat is null) == (query.Expression is null))
                throw CloudWatchErrors.ValidationError($"The parameter MetricDataQueries.member.{query.Id} must specify exactly one of MetricStat and Expression.");
            if (query.MetricStat is { } stat)
            {
                ValidatePeriod(stat.Period, "MetricStat.Period");
                if (!MetricStatistics.IsKnown(stat.Stat)) throw CloudWatchErrors.InvalidValue($"The value {stat.Stat} for parameter MetricStat.Stat is not a valid statistic.");
            }
            if (query.IsInsightsQuery) ValidateInsightsQuery(query);
        }
        // "Each GetMetricData operation can have only one query" (Metrics Insights quotas); an alarm's Metrics likewise.
        if (queries.Count(q => q.IsInsightsQuery) > 1)
            throw CloudWatchErrors.ValidationError("MetricDataQueries may hold only one Metrics Insights query.");
        if (!queries.Any(q => q.ReturnData)) throw CloudWatchErrors.ValidationError("At least one MetricDataQuery must have ReturnData set to true.");
    }

    /// <summary>A Metrics Insights query must parse and give its Period, the width of its time buckets.</summary>
    private static MetricsInsightsQuery ValidateInsightsQuery(MetricDataQuery query)
    {
        if (query.Period is not { } period) throw CloudWatchErrors.ValidationError($"The Metrics Insights query '{query.Id}' must specify a Period.");
        ValidatePeriod(period, "Period");
        try
        {
            return MetricsInsightsQuery.Parse(query.Expression!);
        }
        catch (MetricsInsightsException e)
        {
            throw CloudWatchErrors.ValidationError($"Error in expression '{query.Id}': {e.Message}");
        }
    }

    private sealed record EvaluatedQuery(MetricDataResult Result, bool ReturnData);

    /// <summary>
    /// Runs MetricStat queries against the store and expressions over their results, each id once
    /// and in dependency order. Alarms align periods to the epoch so each evaluation sees whole periods.
    /// A band (ANOMALY_DETECTION_BAND) answers two results under its one id, its lower edge first.
    /// </summary>
    private List<EvaluatedQuery> Evaluate(string accountId, string region, IReadOnlyList<MetricDataQuery> queries, DateTimeOffset start, DateTimeOffset end, bool alignToPeriod)
    {
        var resolve = Resolver(accountId, region, queries, start, end, alignToPeriod, drawsBands: true);
        var values = queries.Select(q => resolve(q.Id)!).ToList();
        var results = new List<EvaluatedQuery>();
        for (var i = 0; i < queries.Count; i++)
        {
            var query = queries[i];
            var label = query.Label ?? (query.MetricStat is { } s ? s.MetricName : query.Id);
            var returned = values[i] switch
            {
                MathSeries series => [(label, series.Points)],
                MathBand band => new List<(string, SortedDictionary<long, double>)> { ($"{label} Lower", band.Lower.Points), ($"{label} Upper", band.Upper.Points) },
                MathScalar scalar => [(label, new SortedDictionary<long, double>(values.OfType<MathSeries>()
                    .SelectMany(series => series.Points.Keys).Distinct().ToDictionary(t => t, _ => scalar.Value)))],
                // An expression giving several series (a GROUP BY query, METRICS()) answers one result per series under its id, each with its own label.
                MathSeriesList { Series.Count: > 0 } list => list.Series.Select(s => (s.Label, s.Points)).ToList(),
                _ => [(label, new SortedDictionary<long, double>())],
            };
            foreach (var (name, points) in returned)
                results.Add(new EvaluatedQuery(new MetricDataResult(query.Id, name,
                    points.Where(p => double.IsFinite(p.Value)).Select(p => KeyValuePair.Create(DateTimeOffset.FromUnixTimeSeconds(p.Key), p.Value)).ToList()), query.ReturnData));
        }
        return results;
    }

    /// <summary>
    /// The value of each query id over [start, end), computed once. <paramref name="drawsBands"/> is false for the history a
    /// band is trained on, which may not draw a band itself.
    /// </summary>
    private Func<string, MathValue?> Resolver(string accountId, string region, IReadOnlyList<MetricDataQuery> queries, DateTimeOffset start, DateTimeOffset end,
        bool alignToPeriod, bool drawsBands)
    {
        var byId = queries.ToDictionary(q => q.Id, StringComparer.Ordinal);
        var values = new Dictionary<string, MathValue>(StringComparer.Ordinal);
        var evaluating = new HashSet<string>(StringComparer.Ordinal);

        MathSeries Stat(MetricDataQuery query)
        {
            var stat = query.MetricStat!;
            var identity = MetricIdentity.Create(accountId, region, stat.Namespace, stat.MetricName, stat.Dimensions);
            var from = alignToPeriod ? DateTimeOffset.FromUnixTimeSeconds(start.ToUnixTimeSeconds() / stat.Period * stat.Period) : Align(start, stat.Period);
            var points = new SortedDictionary<long, double>();
            foreach (var (time, value) in StatisticPoints(identity, stat.Stat, stat.Unit, from, end, stat.Period))
                points[time.ToUnixTimeSeconds()] = value;
            return new MathSeries(query.Label ?? stat.MetricName, points);
        }

        // A Metrics Insights query over the stored metrics of the account and region; without GROUP BY it is one series.
        MathValue Insights(MetricDataQuery query)
        {
            var parsed = ValidateInsightsQuery(query);
            var period = Math.Max(query.Period!.Value, MetricsInsightsQuery.MinimumPeriod);
            var from = alignToPeriod ? DateTimeOffset.FromUnixTimeSeconds(start.ToUnixTimeSeconds() / period * period) : Align(start, period);
            // "Query up to two weeks of data" (Metrics Insights quotas).
            var earliest = _clock.GetUtcNow() - MetricsInsightsQuery.Window;
            if (from < earliest) from = Align(earliest, period);
            var series = parsed.Run(_metrics.Metrics(accountId, region), metric => _metrics.Aggregate(metric, null, from, end, period));
            if (parsed.GroupBy.Count == 0)
                return new MathSeries(query.Label ?? query.Id, series.Count == 0 ? [] : series[0].Points);
            return new MathSeriesList(series.Select(s => new MathSeries(s.Label, s.Points, s.Attributes)).ToList());
        }

        MathSeriesList AllStats(string? filter) => new(queries.Where(q => q.MetricStat is not null)
            .Where(q => filter is null || q.Id.Contains(filter, StringComparison.Ordinal) || (q.Label ?? q.MetricStat!.MetricName).Contains(filter, StringComparison.Ordinal))
            .Select(q => (MathSeries)Resolve(q.Id)!).ToList());

        MathBand Band(string id, double deviations)
        {
            if (!byId.TryGetValue(id, out var modelled)) throw new MetricMathException($"Unrecognized metric id '{id}' in expression.");
            var history = Resolver(accountId, region, queries, start - AnomalyModel.TrainingWindow, end, alignToPeriod, drawsBands: false)(id);
            if (history is not MathSeries series) throw new MetricMathException("ANOMALY_DETECTION_BAND models a single time series.");
            var inRange = ((MathSeries)Resolve(id)!).Points.Keys;
            return AnomalyBand(AnomalyConfigurationFor(accountId, region, modelled), series, inRange, deviations);
        }

        MathValue? Resolve(string id)
        {
            if (values.TryGetValue(id, out var known)) return known;
            if (!byId.TryGetValue(id, out var query)) return null;
            if (!evaluating.Add(id)) throw CloudWatchErrors.ValidationError($"Circular dependency in metric math involving {id}.");
            MathValue value;
            if (query.MetricStat is not null) value = Stat(query);
            else if (query.IsInsightsQuery) value = Insights(query);
            else
            {
                try
                {
                    value = MetricMath.Evaluate(query.Expression!, Resolve, AllStats, drawsBands ? Band : null,
                        (rule, metric) => InsightRuleSeries(accountId, region, rule, metric, start, end, query.Period));
                }
                catch (MetricMathException e)
                {
                    throw CloudWatchErrors.ValidationError($"Error in expression '{query.Id}': {e.Message}");
                }
            }
            evaluating.Remove(id);
            return values[id] = value;
        }

        return Resolve;
    }

    public IReadOnlyList<MetricIdentity> ListMetrics(Scope scope, string? ns, string? metricName, IReadOnlyList<(string Name, string? Value)> dimensions, bool recentlyActive)
    {
        var since = _clock.GetUtcNow() - TimeSpan.FromHours(3);
        return _metrics.Metrics(scope.AccountId, scope.Region)
            .Where(m => ns is null || m.Namespace == ns)
            .Where(m => metricName is null || m.MetricName == metricName)
            .Where(m => dimensions.All(f => m.Dimensions.Any(d => d.Name == f.Name && (f.Value is null || d.Value == f.Value))))
            .Where(m => !recentlyActive || _metrics.LastPublished(m) >= since)
            .OrderBy(m => m.Namespace, StringComparer.Ordinal).ThenBy(m => m.MetricName, StringComparer.Ordinal).ThenBy(m => m.Key, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every metric of every account and region, for the console.</summary>
    public IEnumerable<MetricIdentity> AllMetrics() => _metrics.All();

    /// <summary>One metric's statistics per period, for the console's graphs.</summary>
    public IReadOnlyList<PeriodAggregate> Statistics(MetricIdentity metric, DateTimeOffset start, DateTimeOffset end, int period) =>
        _metrics.Aggregate(metric, null, Align(start, period), end, period);

    /// <summary>
    /// One statistic of a metric per period, the periods without data left out: the points of a console chart, of a
    /// GetMetricData MetricStat query and of a GetMetricWidgetImage line alike.
    /// </summary>
    public IReadOnlyList<KeyValuePair<DateTimeOffset, double>> StatisticPoints(MetricIdentity metric, string statistic, string? unit, DateTimeOffset from, DateTimeOffset end, int period) =>
        _metrics.Aggregate(metric, unit, from, end, period)
            .Select(p => (p.Start, Value: p.Aggregate.Statistic(statistic)))
            .Where(p => p.Value is not null)
            .Select(p => KeyValuePair.Create(p.Start, p.Value!.Value)).ToList();

    /// <summary><see cref="StatisticPoints(MetricIdentity, string, string?, DateTimeOffset, DateTimeOffset, int)"/> from a start CloudWatch aligns, for the console.</summary>
    public IReadOnlyList<KeyValuePair<DateTimeOffset, double>> StatisticPoints(MetricIdentity metric, string statistic, DateTimeOffset start, DateTimeOffset end, int period) =>
        StatisticPoints(metric, statistic, null, Align(start, period), end, period);

    public IEnumerable<MetricAlarm> AllAlarms() => _alarms.Values.OrderBy(a => a.AlarmName, StringComparer.Ordinal);

    // ---- alarms ----

    public void PutMetricAlarm(Scope scope, MetricAlarm requested)
    {
        ValidateAlarm(requested);
        ValidateInsightsAlarm(scope, requested);
        if (_composites.Get(AlarmKey(scope.AccountId, scope.Region, requested.AlarmName)) is not null)
            throw CloudWatchErrors.NameTakenByOtherType(requested.AlarmName, AlarmTypes.Composite);
        PutAlarm(scope, _alarms, requested, AlarmHistoryView);
    }

    /// <summary>
    /// What PutMetricAlarm and PutCompositeAlarm do alike once the request is valid: store the alarm configured now,
    /// over an existing one keeping its state, and record the configuration change in its history as AWS words it.
    /// </summary>
    private void PutAlarm<T>(Scope scope, ResourceTable<T> table, T requested, Func<T, JsonObject> historyView) where T : Alarm
    {
        var now = _clock.GetUtcNow();
        var key = AlarmKey(scope.AccountId, scope.Region, requested.AlarmName);
        var configured = (T)requested.ConfiguredAt(scope, now);
        if (table.Get(key) is null)
        {
            table.Put(key, configured);
            AddHistory(configured, now, "ConfigurationUpdate", $"Alarm \"{configured.AlarmName}\" created",
                new JsonObject { ["type"] = "Create", ["createdAlarm"] = historyView(configured) });
        }
        else
        {
            var updated = table.Update(key, current => (T)configured.KeepingStateOf(current))!;
            AddHistory(updated, now, "ConfigurationUpdate", $"Alarm \"{updated.AlarmName}\" updated",
                new JsonObject { ["type"] = "Update", ["updatedAlarm"] = historyView(updated) });
        }
    }

    private static void ValidateAlarm(MetricAlarm alarm)
    {
        if (alarm.AlarmName.Length is 0 or > 255) throw CloudWatchErrors.InvalidValue("The parameter AlarmName must be between 1 and 255 characters.");
        if (!Comparisons.ContainsKey(alarm.ComparisonOperator) && !BandComparisons.ContainsKey(alarm.ComparisonOperator))
            throw CloudWatchErrors.InvalidValue($"The value {alarm.ComparisonOperator} for parameter ComparisonOperator is invalid; it must be one of {string.Join(", ", Comparisons.Keys.Concat(BandComparisons.Keys))}.");
        if (alarm.EvaluationPeriods < 1) throw CloudWatchErrors.InvalidValue("The parameter EvaluationPeriods must be greater than or equal to 1.");
        if (alarm.DatapointsToAlarm is { } m && (m < 1 || m > alarm.EvaluationPeriods))
            throw CloudWatchErrors.InvalidValue("DatapointsToAlarm must be between 1 and EvaluationPeriods.");
        if (!TreatMissingDataValues.Contains(alarm.TreatMissingData))
            throw CloudWatchErrors.InvalidValue($"The value {alarm.TreatMissingData} for parameter TreatMissingData is invalid; it must be one of breaching, notBreaching, ignore, missing.");
        foreach (var arn in alarm.AlarmActions.Concat(alarm.OKActions).Concat(alarm.InsufficientDataActions))
            if (!arn.StartsWith("arn:", StringComparison.Ordinal)) throw CloudWatchErrors.InvalidValue($"Invalid arn syntax: {arn}");
        if (alarm.ThresholdMetricId is not null || BandComparisons.ContainsKey(alarm.ComparisonOperator))
        {
            ValidateAnomalyAlarm(alarm);
            return;
        }
        if (alarm.Threshold is null) throw CloudWatchErrors.MissingParameter("Threshold");
        if (alarm.Metrics.Count > 0)
        {
            if (alarm.MetricName is not null || alarm.Namespace is not null || alarm.Statistic is not null || alarm.ExtendedStatistic is not null || alarm.Period is not null)
                throw CloudWatchErrors.InvalidCombination("Metrics list cannot be used together with MetricName, Namespace, Statistic, ExtendedStatistic or Period.");
            ValidateQueries(alarm.Metrics);
            if (alarm.Metrics.Count(q => q.ReturnData) != 1)
                throw CloudWatchErrors.ValidationError("Exactly one element of the metrics list should return data.");
            return;
        }
        if (alarm.MetricName is null) throw CloudWatchErrors.MissingParameter("MetricName");
        if (alarm.Namespace is null) throw CloudWatchErrors.MissingParameter("Namespace");
        if (alarm.Period is not { } period) throw CloudWatchErrors.MissingParameter("Period");
        if (period is not (10 or 30) && (period < 60 || period % 60 != 0))
            throw CloudWatchErrors.InvalidValue("The parameter Period must be 10, 30, or a multiple of 60.");
        if ((alarm.Statistic is null) == (alarm.ExtendedStatistic is null))
            throw CloudWatchErrors.InvalidCombination("Exactly one of Statistic and ExtendedStatistic must be specified.");
        if (alarm.Statistic is { } statistic && !MetricStatistics.Standard.Contains(statistic))
            throw CloudWatchErrors.InvalidValue($"The value {statistic} for parameter Statistic is invalid.");
        if (alarm.ExtendedStatistic is { } extended && MetricStatistics.PercentileOf(extended) is null)
            throw CloudWatchErrors.InvalidValue($"The value {extended} for parameter ExtendedStatistic is not a valid extended statistic.");
        if (alarm.Unit is { } unit && !Units.Contains(unit)) throw CloudWatchErrors.InvalidValue($"The value {unit} for parameter Unit is invalid.");
    }

    /// <summary>
    /// An anomaly detection alarm: a band comparison, no Threshold, and Metrics holding the band ThresholdMetricId names and
    /// the one metric or expression it is compared with, both returning data, as AWS requires.
    /// </summary>
    private static void ValidateAnomalyAlarm(MetricAlarm alarm)
    {
        if (alarm.ThresholdMetricId is not { } bandId)
            throw CloudWatchErrors.MissingParameter("ThresholdMetricId");
        if (!BandComparisons.ContainsKey(alarm.ComparisonOperator))
            throw CloudWatchErrors.InvalidValue($"An alarm with ThresholdMetricId compares with a band: ComparisonOperator must be one of {string.Join(", ", BandComparisons.Keys)}.");
        if (alarm.Threshold is not null) throw CloudWatchErrors.InvalidCombination("Threshold and ThresholdMetricId cannot be used together.");
        if (alarm.Metrics.Count == 0) throw CloudWatchErrors.MissingParameter("Metrics");
        ValidateQueries(alarm.Metrics);
        if (alarm.Metrics.FirstOrDefault(q => q.Id == bandId) is not { IsBand: true, ReturnData: true })
            throw CloudWatchErrors.ValidationError($"ThresholdMetricId {bandId} must name a query of Metrics whose expression is ANOMALY_DETECTION_BAND and which returns data.");
        if (alarm.Metrics.Count(q => q.ReturnData && q.Id != bandId) != 1)
            throw CloudWatchErrors.ValidationError("Exactly one element of the metrics list besides the ThresholdMetricId should return data.");
    }

    public IReadOnlyList<MetricAlarm> DescribeAlarms(Scope scope, IReadOnlyList<string> names, string? prefix, string? state, string? actionPrefix)
    {
        if (state is not null && !AlarmStates.All.Contains(state)) throw CloudWatchErrors.InvalidValue($"The value {state} for parameter StateValue is invalid.");
        return AlarmsOf(scope)
            .Where(a => names.Count == 0 || names.Contains(a.AlarmName))
            .Where(a => prefix is null || a.AlarmName.StartsWith(prefix, StringComparison.Ordinal))
            .Where(a => state is null || a.StateValue == state)
            .Where(a => actionPrefix is null || a.AlarmActions.Concat(a.OKActions).Concat(a.InsufficientDataActions).Any(x => x.StartsWith(actionPrefix, StringComparison.Ordinal)))
            .ToList();
    }

    public IReadOnlyList<MetricAlarm> DescribeAlarmsForMetric(Scope scope, string ns, string metricName, IReadOnlyList<MetricDimension> dimensions,
        string? statistic, string? extendedStatistic, int? period, string? unit)
    {
        var wanted = dimensions.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        return AlarmsOf(scope)
            .Where(a => a.Namespace == ns && a.MetricName == metricName)
            .Where(a => a.Dimensions.OrderBy(d => d.Name, StringComparer.Ordinal).SequenceEqual(wanted))
            .Where(a => statistic is null || a.Statistic == statistic)
            .Where(a => extendedStatistic is null || a.ExtendedStatistic == extendedStatistic)
            .Where(a => period is null || a.Period == period)
            .Where(a => unit is null || a.Unit == unit)
            .ToList();
    }

    private IEnumerable<MetricAlarm> AlarmsOf(Scope scope) =>
        _alarms.Values.Where(a => a.AccountId == scope.AccountId && a.Region == scope.Region).OrderBy(a => a.AlarmName, StringComparer.Ordinal);

    public void DeleteAlarms(Scope scope, IReadOnlyList<string> names)
    {
        var missing = names.Where(n => _alarms.Get(AlarmKey(scope.AccountId, scope.Region, n)) is null
            && _composites.Get(AlarmKey(scope.AccountId, scope.Region, n)) is null).ToList();
        if (missing.Count > 0) throw CloudWatchErrors.AlarmsNotFound(missing);
        var now = _clock.GetUtcNow();
        foreach (var name in names)
        {
            if (_alarms.Remove(AlarmKey(scope.AccountId, scope.Region, name)) is { } removed)
                AddHistory(removed, now, "ConfigurationUpdate", $"Alarm \"{name}\" deleted",
                    new JsonObject { ["type"] = "Delete", ["deletedAlarm"] = AlarmHistoryView(removed) });
            DeleteCompositeAlarm(scope, name, now);
        }
    }

    public void SetAlarmActions(Scope scope, IReadOnlyList<string> names, bool enabled)
    {
        foreach (var name in names)
        {
            _alarms.Update(AlarmKey(scope.AccountId, scope.Region, name), a => a with { ActionsEnabled = enabled });
            _composites.Update(AlarmKey(scope.AccountId, scope.Region, name), a => a with { ActionsEnabled = enabled });
        }
    }

    public void SetAlarmState(Scope scope, string name, string state, string reason, string? reasonData)
    {
        if (!AlarmStates.All.Contains(state)) throw CloudWatchErrors.InvalidValue($"The value {state} for parameter StateValue is invalid.");
        if (reasonData is not null)
        {
            try
            {
                JsonBody.ParseMember(reasonData, JsonBody.MaxDepth);
            }
            catch (JsonException)
            {
                throw CloudWatchErrors.InvalidFormat("The parameter StateReasonData must be a valid JSON document.");
            }
        }
        if (_composites.Get(AlarmKey(scope.AccountId, scope.Region, name)) is not null)
        {
            // AWS lets a composite alarm be set too; its next evaluation (a child's change) sets it again.
            Transition(_composites, scope.AccountId, scope.Region, name, state, reason, reasonData, 0);
            return;
        }
        if (_alarms.Get(AlarmKey(scope.AccountId, scope.Region, name)) is null)
            throw CloudWatchErrors.AlarmNotFound(name);
        Transition(_alarms, scope.AccountId, scope.Region, name, state, reason, reasonData, 0);
    }

    public Dictionary<string, string> ListTagsForResource(Scope scope, string arn) =>
        InsightRuleByArn(scope, arn)?.Tags ?? MuteRuleByArn(scope, arn)?.Tags ?? CompositeByArn(scope, arn)?.Tags ?? AlarmByArn(scope, arn).Tags;

    public void TagResource(Scope scope, string arn, Dictionary<string, string> tags)
    {
        if (InsightRuleByArn(scope, arn) is { } rule)
        {
            UpdateInsightRuleTags(rule, current => current.Concat(tags).GroupBy(t => t.Key).ToDictionary(g => g.Key, g => g.Last().Value));
            return;
        }
        if (MuteRuleByArn(scope, arn) is { } muteRule)
        {
            UpdateMuteRuleTags(muteRule, current => current.Concat(tags).GroupBy(t => t.Key).ToDictionary(g => g.Key, g => g.Last().Value));
            return;
        }
        if (CompositeByArn(scope, arn) is { } composite)
        {
            _composites.Update(AlarmKey(composite.AccountId, composite.Region, composite.AlarmName), a => a with
            {
                Tags = a.Tags.Concat(tags).GroupBy(t => t.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            });
            return;
        }
        var alarm = AlarmByArn(scope, arn);
        _alarms.Update(AlarmKey(alarm.AccountId, alarm.Region, alarm.AlarmName), a => a with
        {
            Tags = a.Tags.Concat(tags).GroupBy(t => t.Key).ToDictionary(g => g.Key, g => g.Last().Value),
        });
    }

    public void UntagResource(Scope scope, string arn, IReadOnlyList<string> keys)
    {
        if (InsightRuleByArn(scope, arn) is { } rule)
        {
            UpdateInsightRuleTags(rule, current => current.Where(t => !keys.Contains(t.Key)).ToDictionary());
            return;
        }
        if (MuteRuleByArn(scope, arn) is { } muteRule)
        {
            UpdateMuteRuleTags(muteRule, current => current.Where(t => !keys.Contains(t.Key)).ToDictionary());
            return;
        }
        if (CompositeByArn(scope, arn) is { } composite)
        {
            _composites.Update(AlarmKey(composite.AccountId, composite.Region, composite.AlarmName), a => a with { Tags = a.Tags.Where(t => !keys.Contains(t.Key)).ToDictionary() });
            return;
        }
        var alarm = AlarmByArn(scope, arn);
        _alarms.Update(AlarmKey(alarm.AccountId, alarm.Region, alarm.AlarmName), a => a with { Tags = a.Tags.Where(t => !keys.Contains(t.Key)).ToDictionary() });
    }

    private MetricAlarm AlarmByArn(Scope scope, string arn) =>
        AlarmsOf(scope).FirstOrDefault(a => a.AlarmArn == arn)
        ?? throw CloudWatchErrors.ResourceNotFound(arn);

    /// <summary>History of both alarm types; <paramref name="alarmTypes"/> empty means metric alarms only, as on AWS.</summary>
    public IReadOnlyList<AlarmHistoryItem> DescribeAlarmHistory(Scope scope, string? name, IReadOnlyList<string> alarmTypes, string? type,
        DateTimeOffset? from, DateTimeOffset? until, bool ascending)
    {
        var types = RequestedAlarmTypes(alarmTypes);
        var items = _history.Values
            .Where(h => h.AccountId == scope.AccountId && h.Region == scope.Region && (name is null || h.AlarmName == name))
            .SelectMany(h => h.Items)
            .Where(i => types.Contains(i.AlarmType))
            .Where(i => (type is null || i.HistoryItemType == type) && (from is null || i.Timestamp >= from) && (until is null || i.Timestamp <= until));
        return (ascending ? items.OrderBy(i => i.Timestamp) : items.OrderByDescending(i => i.Timestamp)).ToList();
    }

    private async Task EvaluateAlarmsAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                foreach (var alarm in _alarms.Values.ToList())
                {
                    try
                    {
                        EvaluateAlarm(alarm);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _logger.LogWarning(e, "Evaluating alarm {Alarm} failed", alarm.AlarmArn);
                    }
                }
                try
                {
                    // A mute window that has ended (or a rule that expired) lets held-back ALARM actions run.
                    ReleaseHeldActions();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Running alarm actions held by mute rules failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One evaluation: the last EvaluationPeriods whole periods, missing ones treated as the alarm says,
    /// ALARM when at least DatapointsToAlarm of them breach.
    /// </summary>
    internal void EvaluateAlarm(MetricAlarm alarm)
    {
        var now = _clock.GetUtcNow();
        var period = alarm.EvaluatedPeriod;
        var end = now.ToUnixTimeSeconds() / period * period;
        var start = end - (long)alarm.EvaluationPeriods * period;
        var (from, to) = (DateTimeOffset.FromUnixTimeSeconds(start), DateTimeOffset.FromUnixTimeSeconds(end));
        if (alarm.WatchesManySeries)
        {
            EvaluateContributors(alarm, now, from, to);
            return;
        }
        var evaluated = alarm.ThresholdMetricId is null ? ThresholdPoints(alarm, from, to) : BandPoints(alarm, from, to);
        if (Judge(alarm, evaluated, now, from) is not { } verdict || verdict.State == alarm.StateValue) return;
        Transition(_alarms, alarm.AccountId, alarm.Region, alarm.AlarmName, verdict.State, verdict.Reason, verdict.ReasonData, 0);
    }

    /// <summary>The state one series of evaluated periods puts an alarm in, with AWS's reason and reason data; null when missing data is ignored.</summary>
    private sealed record Verdict(string State, string Reason, string ReasonData);

    /// <summary>
    /// The last EvaluationPeriods whole periods, missing ones treated as the alarm says: ALARM when at least
    /// DatapointsToAlarm of them breach.
    /// </summary>
    private static Verdict? Judge(MetricAlarm alarm, IReadOnlyList<AlarmPoint> evaluated, DateTimeOffset now, DateTimeOffset start)
    {
        var period = alarm.EvaluatedPeriod;
        var threshold = alarm.Threshold ?? 0;
        var points = evaluated.Select(p => KeyValuePair.Create(p.Time, p.Value)).ToList();
        var needed = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods;
        var present = points.Count;
        var breaching = evaluated.Count(p => p.Breaching);
        var missing = alarm.EvaluationPeriods - present;

        string next;
        if (present == 0 && alarm.TreatMissingData is "missing") next = AlarmStates.InsufficientData;
        else if (present == 0 && alarm.TreatMissingData is "ignore") return null;
        else
        {
            if (alarm.TreatMissingData == "breaching") breaching += missing;
            next = breaching >= needed ? AlarmStates.Alarm : AlarmStates.Ok;
        }

        var stamp = (DateTimeOffset t) => t.UtcDateTime.ToString("dd/MM/yy HH:mm:ss", CultureInfo.InvariantCulture);
        var recent = string.Join(", ", points.OrderByDescending(p => p.Key).Select(p => $"{p.Value.ToString(CultureInfo.InvariantCulture)} ({stamp(p.Key)})"));
        var reason = next == AlarmStates.InsufficientData
            ? $"Insufficient Data: {alarm.EvaluationPeriods} datapoint{(alarm.EvaluationPeriods == 1 ? " was" : "s were")} unknown."
            : $"{(alarm.ThresholdMetricId is null ? "Threshold" : "Thresholds")} Crossed: {breaching} out of the last {alarm.EvaluationPeriods} datapoints [{recent}] {(next == AlarmStates.Alarm ? "was" : "was not")} {CrossingWords(alarm, evaluated)} (minimum {needed} datapoint{(needed == 1 ? "" : "s")} for {(next == AlarmStates.Alarm ? "OK -> ALARM" : "ALARM -> OK")} transition).";
        var reasonData = new JsonObject
        {
            ["version"] = "1.0",
            ["queryDate"] = IsoWithOffset(now),
            ["startDate"] = IsoWithOffset(start),
            ["statistic"] = alarm.Statistic ?? alarm.ExtendedStatistic,
            ["period"] = period,
            ["recentDatapoints"] = new JsonArray(points.OrderBy(p => p.Key).Select(p => (JsonNode)JsonValue.Create(p.Value)).ToArray()),
            ["evaluatedDatapoints"] = new JsonArray(points.OrderByDescending(p => p.Key)
                .Select(p => (JsonNode)new JsonObject { ["timestamp"] = IsoWithOffset(p.Key), ["value"] = p.Value }).ToArray()),
        };
        if (alarm.ThresholdMetricId is null) reasonData["threshold"] = threshold;
        else
        {
            reasonData["recentLowerThresholds"] = new JsonArray(evaluated.OrderBy(p => p.Time).Select(p => (JsonNode?)p.Lower).ToArray());
            reasonData["recentUpperThresholds"] = new JsonArray(evaluated.OrderBy(p => p.Time).Select(p => (JsonNode?)p.Upper).ToArray());
        }
        return new Verdict(next, reason, reasonData.ToJsonString(PlainJson));
    }

    /// <summary>An evaluated period of an alarm: its value, the band it was held against (anomaly alarms), and whether it breached.</summary>
    private sealed record AlarmPoint(DateTimeOffset Time, double Value, bool Breaching, double? Lower = null, double? Upper = null);

    private List<AlarmPoint> ThresholdPoints(MetricAlarm alarm, DateTimeOffset start, DateTimeOffset end)
    {
        var queries = alarm.Metrics.Count > 0
            ? alarm.Metrics
            : [new MetricDataQuery("m1", new MetricStatQuery(alarm.Namespace!, alarm.MetricName!, alarm.Dimensions, alarm.Period!.Value,
                alarm.Statistic ?? alarm.ExtendedStatistic!, alarm.Unit), null, null, true, null)];
        var breaches = Comparisons[alarm.ComparisonOperator].Breaches;
        return Evaluate(alarm.AccountId, alarm.Region, queries, start, end, alignToPeriod: true)
            .Where(r => r.ReturnData).SelectMany(r => r.Result.Points)
            .Select(p => new AlarmPoint(p.Key, p.Value, breaches(p.Value, alarm.Threshold ?? 0))).ToList();
    }

    /// <summary>An anomaly detection alarm's periods: the metric's values where its band (ThresholdMetricId) has both edges.</summary>
    private List<AlarmPoint> BandPoints(MetricAlarm alarm, DateTimeOffset start, DateTimeOffset end)
    {
        var results = Evaluate(alarm.AccountId, alarm.Region, alarm.Metrics, start, end, alignToPeriod: true);
        var band = results.Where(r => r.Result.Id == alarm.ThresholdMetricId).Select(r => r.Result.Points.ToDictionary(p => p.Key, p => p.Value)).ToList();
        var (lower, upper) = (band[0], band[1]);
        var breaches = BandComparisons[alarm.ComparisonOperator];
        return results.Single(r => r.ReturnData && r.Result.Id != alarm.ThresholdMetricId).Result.Points
            .Where(p => lower.ContainsKey(p.Key) && upper.ContainsKey(p.Key))
            .Select(p => new AlarmPoint(p.Key, p.Value, breaches(p.Value, lower[p.Key], upper[p.Key]), lower[p.Key], upper[p.Key])).ToList();
    }

    /// <summary>What a breach means in an alarm's reason, as AWS words it: "greater than the threshold (5.0)", "greater than the upper thresholds [7.1]".</summary>
    private static string CrossingWords(MetricAlarm alarm, IReadOnlyList<AlarmPoint> points)
    {
        if (alarm.ThresholdMetricId is null)
            return $"{Comparisons[alarm.ComparisonOperator].Words} the threshold ({(alarm.Threshold ?? 0).ToString(CultureInfo.InvariantCulture)})";
        string Edges(Func<AlarmPoint, double?> edge) =>
            string.Join(", ", points.OrderByDescending(p => p.Time).Select(p => edge(p)!.Value.ToString(CultureInfo.InvariantCulture)));
        var (lower, upper) = ($"less than the lower thresholds [{Edges(p => p.Lower)}]", $"greater than the upper thresholds [{Edges(p => p.Upper)}]");
        return alarm.ComparisonOperator switch
        {
            "LessThanLowerThreshold" => lower,
            "GreaterThanUpperThreshold" => upper,
            _ => $"{lower} or {upper}",
        };
    }

    /// <summary>
    /// Sets a metric or composite alarm to a state and records it in the alarm's history; a change of value runs the
    /// actions for the new state and re-evaluates the composites whose rules name the alarm. <paramref name="depth"/>
    /// counts the composites a change has travelled through, to stop a cycle of composites.
    /// </summary>
    private void Transition<T>(ResourceTable<T> table, string accountId, string region, string name, string state, string reason, string? reasonData,
        int depth) where T : Alarm
    {
        var now = _clock.GetUtcNow();
        T? before = null;
        var after = table.Update(AlarmKey(accountId, region, name), current =>
        {
            before = current;
            return (T)current.InState(state, reason, reasonData, now);
        });
        if (after is null || before is null) return;
        AddHistory(after, now, "StateUpdate", $"Alarm updated from {before.StateValue} to {state}", new JsonObject
        {
            ["version"] = "1.0",
            ["oldState"] = HistoryStateView(before),
            ["newState"] = HistoryStateView(after),
        });
        if (before.StateValue == state) return;
        // A muted alarm changes state but its actions wait until it is unmuted (CloudWatchService.MuteRules.cs).
        if (after.ActionsEnabled && !HoldsActions(accountId, region, name, now))
            RunActions(accountId, region, name, after.AlarmArn, after.AlarmType, after.ActionsFor(after.StateValue), () => LambdaAlarmEvent(before, after));
        EvaluateParents(accountId, region, name, depth);
    }

    /// <summary>Runs an alarm's actions for its new state: Lambda functions invoked as lambda.alarms.cloudwatch.amazonaws.com, each outcome in history.</summary>
    private void RunActions(string accountId, string region, string alarmName, string alarmArn, string alarmType, IReadOnlyList<string> targets, Func<JsonObject> lambdaEvent)
    {
        foreach (var target in targets)
        {
            if (!target.StartsWith("arn:aws:lambda:", StringComparison.Ordinal))
            {
                AddHistory(accountId, region, alarmName, alarmType, _clock.GetUtcNow(), "Action", $"Failed to execute action {target}",
                    new JsonObject { ["actionState"] = "Failed", ["notificationResource"] = target, ["error"] = "Stratus runs Lambda function actions only." });
                continue;
            }
            var payload = Encoding.UTF8.GetBytes(lambdaEvent().ToJsonString(PlainJson));
            var cancellation = _stopping.Token;
            _ = Task.Run(async () =>
            {
                var now = _clock.GetUtcNow();
                try
                {
                    var result = await _lambda.InvokeAsync(new LambdaInvokeRequest(accountId, region, target, null, payload,
                        "lambda.alarms.cloudwatch.amazonaws.com", alarmArn), cancellation);
                    AddHistory(accountId, region, alarmName, alarmType, now, "Action", $"Successfully executed action {target}",
                        new JsonObject { ["actionState"] = "Succeeded", ["notificationResource"] = target, ["functionError"] = result.FunctionError });
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    AddHistory(accountId, region, alarmName, alarmType, now, "Action", $"Failed to execute action {target}",
                        new JsonObject { ["actionState"] = "Failed", ["notificationResource"] = target, ["error"] = e.Message });
                }
            });
        }
    }

    /// <summary>The event a Lambda alarm action receives, in AWS's shape; its configuration is the alarm kind's own.</summary>
    private static JsonObject LambdaAlarmEvent(Alarm before, Alarm after) => new()
    {
        ["source"] = "aws.cloudwatch",
        ["alarmArn"] = after.AlarmArn,
        ["accountId"] = after.AccountId,
        ["time"] = after.StateUpdatedTimestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["region"] = after.Region,
        ["alarmData"] = new JsonObject
        {
            ["alarmName"] = after.AlarmName,
            ["state"] = StateView(after),
            ["previousState"] = StateView(before),
            ["configuration"] = after switch
            {
                CompositeAlarm composite => CompositeEventConfiguration(composite),
                MetricAlarm metric => MetricEventConfiguration(metric),
                _ => throw new InvalidOperationException($"No Lambda event configuration for {after.AlarmType}."),
            },
        },
    };

    /// <summary>A metric alarm's configuration in its Lambda event: its description and metric queries.</summary>
    private static JsonObject MetricEventConfiguration(MetricAlarm alarm) => new()
    {
        ["description"] = alarm.AlarmDescription,
        ["metrics"] = new JsonArray((alarm.Metrics.Count > 0
            ? alarm.Metrics
            : [new MetricDataQuery("m1", new MetricStatQuery(alarm.Namespace!, alarm.MetricName!, alarm.Dimensions, alarm.Period ?? 60,
                alarm.Statistic ?? alarm.ExtendedStatistic!, alarm.Unit), null, null, true, null)])
            .Select(q => (JsonNode)QueryEventView(q)).ToArray()),
    };

    private static JsonObject QueryEventView(MetricDataQuery query)
    {
        var view = new JsonObject { ["id"] = query.Id, ["returnData"] = query.ReturnData };
        if (query.Expression is not null) view["expression"] = query.Expression;
        if (query.Label is not null) view["label"] = query.Label;
        if (query.MetricStat is { } stat)
            view["metricStat"] = new JsonObject
            {
                ["metric"] = new JsonObject
                {
                    ["namespace"] = stat.Namespace,
                    ["name"] = stat.MetricName,
                    ["dimensions"] = new JsonObject(stat.Dimensions.Select(d => KeyValuePair.Create(d.Name, (JsonNode?)d.Value))),
                },
                ["period"] = stat.Period,
                ["stat"] = stat.Stat,
            };
        return view;
    }

    /// <summary>A state as alarm history records it: the reason data as a JSON object.</summary>
    private static JsonObject HistoryStateView(Alarm alarm)
    {
        var view = new JsonObject { ["stateValue"] = alarm.StateValue, ["stateReason"] = alarm.StateReason };
        if (alarm.StateReasonData is { } data) view["stateReasonData"] = JsonNode.Parse(data);
        return view;
    }

    /// <summary>A state as the Lambda alarm event carries it: the reason data as a string.</summary>
    private static JsonObject StateView(Alarm alarm)
    {
        var view = new JsonObject
        {
            ["value"] = alarm.StateValue,
            ["reason"] = alarm.StateReason,
            ["timestamp"] = IsoWithOffset(alarm.StateUpdatedTimestamp),
        };
        if (alarm.StateReasonData is { } data) view["reasonData"] = data;
        return view;
    }

    private static JsonObject AlarmHistoryView(MetricAlarm alarm) => new()
    {
        ["alarmName"] = alarm.AlarmName,
        ["metricName"] = alarm.MetricName,
        ["namespace"] = alarm.Namespace,
        ["comparisonOperator"] = alarm.ComparisonOperator,
        ["threshold"] = alarm.Threshold,
        ["evaluationPeriods"] = alarm.EvaluationPeriods,
        ["period"] = alarm.Period,
        ["statistic"] = alarm.Statistic,
        ["actionsEnabled"] = alarm.ActionsEnabled,
    };

    private void AddHistory(Alarm alarm, DateTimeOffset at, string type, string summary, JsonObject data) =>
        AddHistory(alarm.AccountId, alarm.Region, alarm.AlarmName, alarm.AlarmType, at, type, summary, data);

    /// <param name="contributor">The series of a multi-time-series alarm the item is about, if it is about one.</param>
    private void AddHistory(string accountId, string region, string alarmName, string alarmType, DateTimeOffset at, string type, string summary, JsonObject data,
        AlarmContributorState? contributor = null)
    {
        var item = new AlarmHistoryItem(alarmName, at, type, summary, data.ToJsonString(PlainJson), alarmType, contributor?.ContributorId, contributor?.Attributes);
        var key = AlarmKey(accountId, region, alarmName);
        lock (_historyGate)
        {
            var current = _history.Get(key)?.Items ?? [];
            var kept = current.Where(i => i.Timestamp >= at - HistoryRetention).Append(item).TakeLast(MaxHistoryItemsPerAlarm).ToList();
            _history.Put(key, new AlarmHistory(accountId, region, alarmName, kept));
        }
    }

    private static string IsoWithOffset(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    private static string AlarmKey(string accountId, string region, string name) => ResourceTable<MetricAlarm>.Key(accountId, region, name);

    // ---- lifetime ----

    private async Task KeepHouseAsync()
    {
        using var timer = new PeriodicTimer(FlushInterval, _clock);
        var lastPrune = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    var now = _clock.GetUtcNow();
                    if (now - lastPrune >= PruneInterval)
                    {
                        _metrics.Prune(now);
                        lastPrune = now;
                    }
                    _metrics.Flush();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "Persisting CloudWatch metrics failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _published.Writer.TryComplete();
        _stopping.Cancel();
        try
        {
            Task.WaitAll([_drainer, _housekeeper, _evaluator], TimeSpan.FromSeconds(10));
        }
        catch (AggregateException e)
        {
            _logger.LogError(e, "A CloudWatch background task failed");
        }
        _metrics.Flush();
        _metrics.Dispose();
        _stopping.Dispose();
    }
}
