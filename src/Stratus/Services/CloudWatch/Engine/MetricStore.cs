using System.Collections.Concurrent;
using System.Text.Json;
using Stratus.Persistence;

namespace Stratus.Services.CloudWatch.Engine;

public sealed record MetricDimension(string Name, string Value);

/// <summary>A metric as CloudWatch identifies it: namespace, name and the exact set of dimensions.</summary>
public sealed record MetricIdentity(string AccountId, string Region, string Namespace, string MetricName, IReadOnlyList<MetricDimension> Dimensions)
{
    public static MetricIdentity Create(string accountId, string region, string ns, string name, IEnumerable<MetricDimension> dimensions) =>
        new(accountId, region, ns, name, dimensions.OrderBy(d => d.Name, StringComparer.Ordinal).ToList());

    public string Key { get; } = ResourceTable<object>.Key(
        [AccountId, Region, Namespace, MetricName, .. Dimensions.OrderBy(d => d.Name, StringComparer.Ordinal).SelectMany(d => new[] { d.Name, d.Value })]);
}

/// <summary>One period's statistics as a query returns them.</summary>
public sealed record PeriodAggregate(DateTimeOffset Start, MetricAggregate Aggregate, string Unit);

/// <summary>
/// Every metric's data points, aggregated into 1-minute slots (and 1-second slots for high-resolution
/// data), as CloudWatch stores them. Retention is bounded like CloudWatch's finest resolutions:
/// 1-second slots for 3 hours, 1-minute slots for 15 days; a metric with no data left disappears
/// (ListMetrics, as on AWS, shows metrics with data in the last two weeks). Slots are persisted per
/// metric and 10 minutes. Every data point recorded is also appended to a <see cref="CommitJournal"/>: PutMetricData
/// waits through <see cref="CommitAsync"/> until its points are synced there (concurrent calls share one fdatasync), and
/// <see cref="Flush"/>, on a timer, folds the changed blocks into the state file and retires the journal they replace.
/// </summary>
public sealed class MetricStore : IDisposable
{
    public const string Collection = "cloudwatch.metrics";
    public static readonly TimeSpan MinuteRetention = TimeSpan.FromDays(15);
    public static readonly TimeSpan SecondRetention = TimeSpan.FromHours(3);
    public const int MaxMetrics = 100_000;

    /// <summary>Slots are persisted in 10-minute blocks, so a busy metric's flush rewrites little.</summary>
    private const long BlockSeconds = 600;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Series, long Block), byte> _dirty = new();
    private readonly StateStore _store;
    private readonly JournaledState? _journal;

    public MetricStore(StateStore store)
    {
        _store = store;
        foreach (var (_, body) in store.Load(Collection))
        {
            var block = JsonSerializer.Deserialize<StoredBlock>(body, Json);
            if (block is null) continue;
            var identity = MetricIdentity.Create(block.AccountId, block.Region, block.Namespace, block.MetricName, block.Dimensions);
            var series = _series.GetOrAdd(identity.Key, _ => new MetricSeries(identity));
            foreach (var slot in block.Slots)
            {
                var aggregate = series.Slot(slot.Resolution, slot.Time, slot.Unit);
                aggregate.AddSet(slot.Count, slot.Sum, slot.Min, slot.Max);
                for (var i = 0; i < slot.Values.Length; i++) aggregate.Distribution[slot.Values[i]] = slot.Counts[i];
                series.LastPublished = Max(series.LastPublished, DateTimeOffset.FromUnixTimeSeconds(slot.Time));
            }
        }
        _journal = JournaledState.Open(store, Collection, Replay);
    }

    /// <summary>Adds a data point; false when the store is full of other metrics.</summary>
    public bool Record(MetricIdentity identity, DateTimeOffset timestamp, string unit, bool highResolution, Action<MetricAggregate> add)
    {
        if (_journal is null) return RecordInMemory(identity, timestamp, unit, highResolution, add);
        var point = new MetricAggregate();
        add(point);
        _journal.EnterRecording();
        try
        {
            if (!RecordInMemory(identity, timestamp, unit, highResolution, slot => slot.Merge(point))) return false;
            _journal.Append(JsonSerializer.SerializeToUtf8Bytes(new JournaledPoint(identity.AccountId, identity.Region, identity.Namespace,
                identity.MetricName, identity.Dimensions, timestamp.ToUnixTimeSeconds(), unit, highResolution, point.SampleCount, point.Sum,
                point.Minimum, point.Maximum, [.. point.Distribution.Keys], [.. point.Distribution.Values]), Json));
            return true;
        }
        finally
        {
            _journal.ExitRecording();
        }
    }

    /// <summary>Records a journaled point again at start: its block is marked changed, so the next fold writes it.</summary>
    private void Replay(ReadOnlySpan<byte> record)
    {
        if (JsonSerializer.Deserialize<JournaledPoint>(record, Json) is not { } p) return;
        var point = new MetricAggregate();
        point.AddSet(p.Count, p.Sum, p.Min, p.Max);
        for (var i = 0; i < p.Values.Length; i++) point.Distribution[p.Values[i]] = p.Counts[i];
        RecordInMemory(MetricIdentity.Create(p.AccountId, p.Region, p.Namespace, p.MetricName, p.Dimensions), DateTimeOffset.FromUnixTimeSeconds(p.Time),
            p.Unit, p.HighResolution, slot => slot.Merge(point));
    }

    private bool RecordInMemory(MetricIdentity identity, DateTimeOffset timestamp, string unit, bool highResolution, Action<MetricAggregate> add)
    {
        var seconds = timestamp.ToUnixTimeSeconds();
        while (true)
        {
            if (!_series.TryGetValue(identity.Key, out var series))
            {
                if (_series.Count >= MaxMetrics) return false;
                series = _series.GetOrAdd(identity.Key, _ => new MetricSeries(identity));
            }
            lock (series.Gate)
            {
                // Pruning may have just dropped this metric for having no data left: record into its successor.
                if (series.Removed) continue;
                add(series.Slot(60, seconds - Mod(seconds, 60), unit));
                if (highResolution) add(series.Slot(1, seconds, unit));
                series.LastPublished = Max(series.LastPublished, timestamp);
            }
            _dirty[(identity.Key, seconds - Mod(seconds, BlockSeconds))] = 0;
            return true;
        }
    }

    public IEnumerable<MetricIdentity> All() => _series.Values.Select(s => s.Identity);

    public IEnumerable<MetricIdentity> Metrics(string accountId, string region) =>
        All().Where(m => m.AccountId == accountId && m.Region == region);

    public DateTimeOffset? LastPublished(MetricIdentity identity) =>
        _series.TryGetValue(identity.Key, out var s) ? s.LastPublished : null;

    /// <summary>
    /// The metric's statistics per period from <paramref name="start"/> (already aligned) until
    /// <paramref name="end"/>: periods under a minute read 1-second slots, longer ones 1-minute slots.
    /// Only periods with data are returned; a unit filter keeps that unit's data only.
    /// </summary>
    public IReadOnlyList<PeriodAggregate> Aggregate(MetricIdentity identity, string? unit, DateTimeOffset start, DateTimeOffset end, int period)
    {
        if (!_series.TryGetValue(identity.Key, out var series)) return [];
        var from = start.ToUnixTimeSeconds();
        var until = end.ToUnixTimeSeconds();
        var periods = new SortedDictionary<long, (MetricAggregate Aggregate, HashSet<string> Units)>();
        lock (series.Gate)
        {
            foreach (var (time, units) in series.Slots(period < 60 ? 1 : 60).Where(s => s.Key >= from && s.Key < until))
            {
                var periodStart = from + (time - from) / period * period;
                foreach (var (slotUnit, aggregate) in units)
                {
                    if (unit is not null && slotUnit != unit) continue;
                    if (!periods.TryGetValue(periodStart, out var bucket)) periods[periodStart] = bucket = (new MetricAggregate(), []);
                    bucket.Aggregate.Merge(aggregate);
                    bucket.Units.Add(slotUnit);
                }
            }
        }
        return periods.Select(p => new PeriodAggregate(DateTimeOffset.FromUnixTimeSeconds(p.Key), p.Value.Aggregate,
            p.Value.Units.Count == 1 ? p.Value.Units.First() : "None")).ToList();
    }

    /// <summary>Completes once every data point recorded before the call is synced to the journal (group commit); at once without a state file.</summary>
    public Task CommitAsync() => _journal?.CommitAsync() ?? Task.CompletedTask;

    /// <summary>
    /// Folds every changed block into the state file, in one transaction that also records the journal generations it
    /// holds, and then deletes those generations.
    /// </summary>
    public void Flush()
    {
        // Without a state file there is nothing to write: serializing the dirty blocks would only make garbage.
        if (_journal is null)
        {
            _dirty.Clear();
            return;
        }
        _journal.Fold(writes => CollectChangedBlocks(writes));
    }

    public void Dispose()
    {
        _journal?.Dispose();
    }

    private void CollectChangedBlocks(List<StoreWrite> writes)
    {
        foreach (var (key, _) in _dirty.ToArray())
        {
            _dirty.TryRemove(key, out _);
            var documentKey = key.Series + '\u001f' + key.Block;
            if (!_series.TryGetValue(key.Series, out var series))
            {
                writes.Add(new StoreWrite(Collection, documentKey, null));
                continue;
            }
            var block = series.Block(key.Block);
            writes.Add(new StoreWrite(Collection, documentKey, block.Slots.Count == 0 ? null : JsonSerializer.Serialize(block, Json)));
        }
    }

    /// <summary>Drops slots past retention, and metrics left without data.</summary>
    public void Prune(DateTimeOffset now)
    {
        var minuteCutoff = (now - MinuteRetention).ToUnixTimeSeconds();
        var secondCutoff = (now - SecondRetention).ToUnixTimeSeconds();
        foreach (var series in _series.Values)
        {
            lock (series.Gate)
            {
                foreach (var (slots, cutoff) in new[] { (series.Minutes, minuteCutoff), (series.Seconds, secondCutoff) })
                    foreach (var time in slots.Keys.TakeWhile(t => t < cutoff).ToList())
                    {
                        slots.Remove(time);
                        _dirty[(series.Identity.Key, time - Mod(time, BlockSeconds))] = 0;
                    }
                if (series.Minutes.Count == 0 && series.Seconds.Count == 0)
                {
                    series.Removed = true;
                    _series.TryRemove(series.Identity.Key, out _);
                }
            }
        }
    }

    private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed class MetricSeries(MetricIdentity identity)
    {
        public MetricIdentity Identity { get; } = identity;
        public Lock Gate { get; } = new();
        public SortedDictionary<long, Dictionary<string, MetricAggregate>> Minutes { get; } = [];
        public SortedDictionary<long, Dictionary<string, MetricAggregate>> Seconds { get; } = [];
        public DateTimeOffset LastPublished { get; set; } = DateTimeOffset.MinValue;
        public bool Removed { get; set; }

        public SortedDictionary<long, Dictionary<string, MetricAggregate>> Slots(int resolution) => resolution == 1 ? Seconds : Minutes;

        public MetricAggregate Slot(int resolution, long time, string unit)
        {
            var slots = Slots(resolution);
            if (!slots.TryGetValue(time, out var units)) slots[time] = units = [];
            if (!units.TryGetValue(unit, out var aggregate)) units[unit] = aggregate = new MetricAggregate();
            return aggregate;
        }

        public StoredBlock Block(long blockStart)
        {
            lock (Gate)
            {
                var slots = new List<StoredSlot>();
                foreach (var resolution in new[] { 60, 1 })
                    foreach (var (time, units) in Slots(resolution).Where(s => s.Key >= blockStart && s.Key < blockStart + BlockSeconds))
                        foreach (var (unit, a) in units)
                            slots.Add(new StoredSlot(resolution, time, unit, a.SampleCount, a.Sum, a.Minimum, a.Maximum,
                                a.Distribution.Keys.ToArray(), a.Distribution.Values.ToArray()));
                return new StoredBlock(Identity.AccountId, Identity.Region, Identity.Namespace, Identity.MetricName, Identity.Dimensions.ToList(), slots);
            }
        }
    }

    /// <summary>One recorded data point as the journal holds it: the point's own aggregate, merged into its slots again at replay.</summary>
    private sealed record JournaledPoint(string AccountId, string Region, string Namespace, string MetricName, IReadOnlyList<MetricDimension> Dimensions,
        long Time, string Unit, bool HighResolution, double Count, double Sum, double Min, double Max, double[] Values, double[] Counts);

    private sealed record StoredBlock(string AccountId, string Region, string Namespace, string MetricName, List<MetricDimension> Dimensions, List<StoredSlot> Slots);

    private sealed record StoredSlot(int Resolution, long Time, string Unit, double Count, double Sum, double Min, double Max, double[] Values, double[] Counts);
}
