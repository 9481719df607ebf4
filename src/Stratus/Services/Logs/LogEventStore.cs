using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Stratus.Persistence;

namespace Stratus.Services.Logs;

/// <summary>A stored log event; <see cref="Id"/> is unique across the store and orders events with equal timestamps.</summary>
public sealed record LogEvent(long Timestamp, string Message, long IngestionTime, long Id)
{
    /// <summary>A position in a stream's (timestamp, id) order, for tokens: digits only, sorting like the events.</summary>
    public string Position => $"{Timestamp:D19}{Id:D19}";
}

/// <summary>What DescribeLogStreams reports about a stream's events.</summary>
public sealed record StreamStatistics(long? FirstEventTimestamp, long? LastEventTimestamp, long? LastIngestionTime, long StoredBytes);

/// <summary>
/// The events of every log stream, in memory by stream and 10 minutes of event time, persisted as one
/// document per stream and block. Appends mark their blocks dirty and <see cref="Flush"/> writes them in
/// one transaction a moment later, so busy streams are not rewritten on every append. Storage is
/// bounded: each stream keeps its newest <see cref="MaxEventsPerStream"/> events, and beyond
/// <see cref="MaxStoredBytes"/> overall the oldest blocks of any stream go first.
/// </summary>
public sealed class LogEventStore
{
    public const string Collection = "logs.events";
    public const int MaxEventsPerStream = 50_000;
    public const long MaxStoredBytes = 256L * 1024 * 1024;
    /// <summary>Events are kept and persisted in 10-minute blocks of event time, so a flush of a busy stream rewrites little.</summary>
    private const long BlockMs = 600_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly ConcurrentDictionary<string, StreamEvents> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Stream, long Block), byte> _dirty = new();
    private readonly StateStore _store;
    private readonly Lock _flushGate = new();
    private long _nextId;
    private long _storedBytes;
    private readonly long _maxStoredBytes;

    public LogEventStore(StateStore store, long maxStoredBytes = MaxStoredBytes)
    {
        _store = store;
        _maxStoredBytes = maxStoredBytes;
        foreach (var (key, body) in store.Load(Collection))
        {
            var split = key.LastIndexOf('\u001f');
            var events = JsonSerializer.Deserialize<List<LogEvent>>(body, Json);
            if (split < 0 || events is null) continue;
            var stream = _streams.GetOrAdd(key[..split], _ => new StreamEvents());
            var block = long.Parse(key[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            stream.Blocks[block] = events;
            foreach (var e in events)
            {
                stream.Account(e, +1);
                _storedBytes += Size(e);
                _nextId = Math.Max(_nextId, e.Id);
            }
        }
    }

    public static long Size(LogEvent e) => Encoding.UTF8.GetByteCount(e.Message) + 26;

    public void Append(string streamKey, IEnumerable<(long Timestamp, string Message)> events, long ingestionTime)
    {
        var stream = _streams.GetOrAdd(streamKey, _ => new StreamEvents());
        lock (stream.Gate)
        {
            foreach (var (timestamp, message) in events)
            {
                var e = new LogEvent(timestamp, message, ingestionTime, Interlocked.Increment(ref _nextId));
                var block = timestamp - Mod(timestamp, BlockMs);
                if (!stream.Blocks.TryGetValue(block, out var list)) stream.Blocks[block] = list = [];
                var at = list.Count;
                while (at > 0 && Compare(list[at - 1], e) > 0) at--;
                list.Insert(at, e);
                stream.Account(e, +1);
                Interlocked.Add(ref _storedBytes, Size(e));
                _dirty[(streamKey, block)] = 0;
            }
            while (stream.Count > MaxEventsPerStream) DropOldest(streamKey, stream);
        }
    }

    /// <summary>The stream's events in (timestamp, id) order.</summary>
    public IReadOnlyList<LogEvent> Events(string streamKey)
    {
        if (!_streams.TryGetValue(streamKey, out var stream)) return [];
        lock (stream.Gate) return stream.Blocks.Values.SelectMany(h => h).ToList();
    }

    public StreamStatistics Statistics(string streamKey)
    {
        if (!_streams.TryGetValue(streamKey, out var stream)) return new StreamStatistics(null, null, null, 0);
        lock (stream.Gate)
        {
            var first = stream.Blocks.Values.FirstOrDefault(h => h.Count > 0)?[0];
            var last = stream.Blocks.Values.LastOrDefault(h => h.Count > 0)?[^1];
            return new StreamStatistics(first?.Timestamp, last?.Timestamp, stream.LastIngestion, stream.Bytes);
        }
    }

    public void RemoveStream(string streamKey)
    {
        if (!_streams.TryRemove(streamKey, out var stream)) return;
        lock (stream.Gate)
        {
            foreach (var block in stream.Blocks.Keys) _dirty[(streamKey, block)] = 0;
            Interlocked.Add(ref _storedBytes, -stream.Bytes);
            stream.Blocks.Clear();
        }
    }

    /// <summary>Drops the stream's events older than <paramref name="cutoffMs"/>.</summary>
    public void Expire(string streamKey, long cutoffMs)
    {
        if (!_streams.TryGetValue(streamKey, out var stream)) return;
        lock (stream.Gate)
        {
            foreach (var (block, list) in stream.Blocks.Where(h => h.Key < cutoffMs).ToList())
            {
                var expired = list.Where(e => e.Timestamp < cutoffMs).ToList();
                if (expired.Count == 0) continue;
                foreach (var e in expired) Forget(stream, e);
                list.RemoveAll(e => e.Timestamp < cutoffMs);
                if (list.Count == 0) stream.Blocks.Remove(block);
                _dirty[(streamKey, block)] = 0;
            }
        }
    }

    /// <summary>Keeps the whole store under its byte limit, dropping the oldest blocks first.</summary>
    public void EnforceLimit()
    {
        while (Interlocked.Read(ref _storedBytes) > _maxStoredBytes)
        {
            var oldest = _streams.Where(s => s.Value.Blocks.Count > 0)
                .Select(s => (s.Key, s.Value, Block: s.Value.Blocks.Keys.First()))
                .OrderBy(s => s.Block).FirstOrDefault();
            if (oldest.Value is null) return;
            lock (oldest.Value.Gate)
            {
                if (!oldest.Value.Blocks.Remove(oldest.Block, out var list)) continue;
                foreach (var e in list) Forget(oldest.Value, e);
                _dirty[(oldest.Key, oldest.Block)] = 0;
            }
        }
    }

    public void Flush()
    {
        lock (_flushGate)
        {
            var writes = new List<StoreWrite>();
            foreach (var (key, _) in _dirty.ToArray())
            {
                _dirty.TryRemove(key, out _);
                var documentKey = key.Stream + '\u001f' + key.Block.ToString(System.Globalization.CultureInfo.InvariantCulture);
                List<LogEvent>? events = null;
                if (_streams.TryGetValue(key.Stream, out var stream))
                    lock (stream.Gate)
                        if (stream.Blocks.TryGetValue(key.Block, out var list)) events = list.ToList();
                writes.Add(new StoreWrite(Collection, documentKey, events is { Count: > 0 } ? JsonSerializer.Serialize(events, Json) : null));
            }
            _store.Apply(writes);
        }
    }

    private void DropOldest(string streamKey, StreamEvents stream)
    {
        var (block, list) = stream.Blocks.First();
        Forget(stream, list[0]);
        list.RemoveAt(0);
        if (list.Count == 0) stream.Blocks.Remove(block);
        _dirty[(streamKey, block)] = 0;
    }

    private void Forget(StreamEvents stream, LogEvent e)
    {
        stream.Account(e, -1);
        Interlocked.Add(ref _storedBytes, -Size(e));
    }

    private static int Compare(LogEvent a, LogEvent b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Id.CompareTo(b.Id);

    private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;

    private sealed class StreamEvents
    {
        public Lock Gate { get; } = new();
        public SortedDictionary<long, List<LogEvent>> Blocks { get; } = [];
        public int Count { get; private set; }
        public long Bytes { get; private set; }
        public long? LastIngestion { get; private set; }

        public void Account(LogEvent e, int sign)
        {
            Count += sign;
            Bytes += sign * Size(e);
            if (sign > 0) LastIngestion = Math.Max(LastIngestion ?? 0, e.IngestionTime);
        }
    }
}
