using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Stratus.Persistence;

namespace Stratus.Services.Logs.Engine;

/// <summary>A stored log event; <see cref="Id"/> is unique across the store and orders events with equal timestamps.</summary>
public sealed record LogEvent(long Timestamp, string Message, long IngestionTime, long Id)
{
    /// <summary>
    /// The message's size in UTF-8, counted once when the event is made: the store's byte accounting and a query's bytes
    /// scanned read it without touching the message, which a query such as <c>stats count(*) by bin(1m)</c> never needs.
    /// Not written: it follows from the message.
    /// </summary>
    [JsonIgnore]
    public int MessageBytes { get; } = Encoding.UTF8.GetByteCount(Message);

    /// <summary>A position in a stream's (timestamp, id) order, for tokens: digits only, sorting like the events.</summary>
    public string Position => $"{Timestamp:D19}{Id:D19}";
}

/// <summary>
/// Seals the events of streams whose log group keeps them under a KMS key, as the store writes them to its journal and
/// state file (envelope encryption: the sealer holds the group's data keys, KMS the key they are encrypted under).
/// </summary>
public interface IEventSealer
{
    /// <summary>How the stream's events are sealed when written now; null keeps them in plain text (a stream of a group without a key).</summary>
    Func<byte[], byte[]>? SealerOf(string streamKey);

    /// <summary>The plain bytes of a document sealed for the stream; null when they can no longer be opened (its key is deleted).</summary>
    byte[]? Open(string streamKey, byte[] sealedBytes);
}

/// <summary>What DescribeLogStreams reports about a stream's events.</summary>
public sealed record StreamStatistics(long? FirstEventTimestamp, long? LastEventTimestamp, long? LastIngestionTime, long StoredBytes);

/// <summary>
/// The events of every log stream, in memory by stream and minute of event time, persisted append-only so
/// that a busy stream costs what it adds, not what it holds: each <see cref="Flush"/> writes, in one
/// transaction, the events appended since the last one as a new chunk document of their block
/// ("STREAM␟BLOCK.CHUNK"); events dropped from a stream's start (its bound, its retention) are recorded as the
/// stream's trim position ("STREAM␟trim"), and blocks left empty are deleted. Storage is bounded: each
/// stream keeps its newest <see cref="MaxEventsPerStream"/> events, and beyond <see cref="MaxStoredBytes"/>
/// overall the oldest blocks of any stream go first. Every append also goes to a <see cref="CommitJournal"/>: a call a
/// client waits on answers once <see cref="CommitAsync"/> has synced it there (concurrent calls share one fdatasync), and
/// <see cref="Flush"/>, on a timer, folds the chunks into the state file and retires the journal they replace.
/// </summary>
public sealed class LogEventStore : IDisposable
{
    public const string Collection = "logs.events";
    public const int MaxEventsPerStream = 50_000;
    public const long MaxStoredBytes = 256L * 1024 * 1024;
    /// <summary>Events are kept in 1-minute blocks of event time, the unit in which whole blocks are dropped.</summary>
    private const long BlockMs = 60_000;
    private const string TrimSuffix = "trim";
    /// <summary>The chunk number that names a block's whole document, as earlier versions wrote it ("STREAM␟BLOCK").</summary>
    private const long LegacyDocument = -1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly ConcurrentDictionary<string, StreamEvents> _streams = new(StringComparer.Ordinal);
    /// <summary>Blocks with events appended since the last flush (the events wait in their stream's Pending).</summary>
    private readonly ConcurrentDictionary<(string Stream, long Block), byte> _appended = new();
    /// <summary>Blocks given more than one chunk since the last compaction: group commits write a chunk per flush.</summary>
    private readonly ConcurrentDictionary<(string Stream, long Block), byte> _fragmented = new();
    /// <summary>Streams whose start was trimmed since the last flush.</summary>
    private readonly ConcurrentDictionary<string, byte> _trimmed = new(StringComparer.Ordinal);
    /// <summary>Blocks gone (emptied, dropped, their stream deleted), with the documents written for them, deleted by the next flush.</summary>
    private readonly ConcurrentQueue<(string Stream, long? Block, List<long> Chunks)> _deleted = new();
    private readonly StateStore _store;
    private readonly IEventSealer? _sealer;
    private readonly JournaledState? _journal;
    private long _nextId;
    private long _nextChunk;
    private long _storedBytes;
    private readonly long _maxStoredBytes;

    /// <param name="sealer">Seals what is written of the streams whose groups keep their events under a KMS key; null writes all in plain text.</param>
    public LogEventStore(StateStore store, long maxStoredBytes = MaxStoredBytes, IEventSealer? sealer = null)
    {
        _store = store;
        _sealer = sealer;
        _maxStoredBytes = maxStoredBytes;
        var trims = new Dictionary<string, LogEvent>(StringComparer.Ordinal);
        foreach (var (key, body) in store.Load(Collection))
        {
            var split = key.LastIndexOf('\u001f');
            if (split < 0) continue;
            var (streamKey, suffix) = (key[..split], key[(split + 1)..]);
            if (suffix == TrimSuffix)
            {
                if (JsonSerializer.Deserialize<LogEvent>(body, Json) is { } trim) trims[streamKey] = trim;
                continue;
            }
            var parts = suffix.Split('.');
            var stream = _streams.GetOrAdd(streamKey, _ => new StreamEvents());
            var block = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var events = ReadDocument(streamKey, body);
            if (parts.Length == 2)
            {
                var chunk = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                _nextChunk = Math.Max(_nextChunk, chunk);
                stream.ChunksOf(block).Add(chunk);
                // A sealed chunk whose KMS key is deleted stays unread (its events are lost with the key, as AWS documents);
                // its document goes with its block or stream.
                if (events is null) continue;
                if (!stream.Blocks.TryGetValue(block, out var list)) stream.Blocks[block] = list = [];
                list.AddRange(events);
                continue;
            }
            if (events is null) continue;
            // A whole block written by an earlier Stratus (10-minute blocks, rewritten in place): its events move into
            // this store's blocks and are written as chunks by the next flush, which deletes the old document.
            foreach (var e in events)
            {
                var into = e.Timestamp - Mod(e.Timestamp, BlockMs);
                if (!stream.Blocks.TryGetValue(into, out var list)) stream.Blocks[into] = list = [];
                list.Add(e);
                stream.PendingOf(into).Add(e);
                _appended[(streamKey, into)] = 0;
            }
            _deleted.Enqueue((streamKey, block, [LegacyDocument]));
        }
        foreach (var (streamKey, stream) in _streams)
        {
            if (trims.TryGetValue(streamKey, out var trim)) stream.TrimmedThrough = trim;
            foreach (var list in stream.Blocks.Values)
            {
                list.Sort(Compare);
                if (stream.TrimmedThrough is { } through) list.RemoveAll(e => Compare(e, through) <= 0);
                foreach (var e in list)
                {
                    stream.Account(e, +1);
                    _storedBytes += Size(e);
                    _nextId = Math.Max(_nextId, e.Id);
                }
            }
            foreach (var (block, list) in stream.Blocks.Where(b => b.Value.Count == 0).ToList()) Drop(streamKey, stream, block);
        }
        _journal = JournaledState.Open(store, Collection, Replay);
    }

    /// <summary>Appends a journaled call's events again at start, with their ids: the next fold writes them as a chunk.</summary>
    private void Replay(ReadOnlySpan<byte> record)
    {
        if (JsonSerializer.Deserialize<JournaledAppend>(record, Json) is not { } append) return;
        if (append.Removed)
        {
            Discard(append.Stream, journal: false);
            return;
        }
        var events = append.Sealed is { } sealedEvents ? OpenEvents(append.Stream, sealedEvents) : append.Events;
        if (events is null) return;
        var stream = _streams.GetOrAdd(append.Stream, _ => new StreamEvents());
        lock (stream.Gate)
        {
            foreach (var e in events)
            {
                // Events at or before the stream's trim position were dropped after they were journaled.
                if (stream.TrimmedThrough is { } through && Compare(e, through) <= 0) continue;
                Insert(append.Stream, stream, e);
                _nextId = Math.Max(_nextId, e.Id);
            }
            EnforceStreamBound(append.Stream, stream);
        }
    }

    public static long Size(LogEvent e) => e.MessageBytes + 26;

    /// <summary>Stores the events and returns them as stored (with their ids), for subscription filters to deliver.</summary>
    public IReadOnlyList<LogEvent> Append(string streamKey, IEnumerable<(long Timestamp, string Message)> events, long ingestionTime)
    {
        _journal?.EnterRecording();
        try
        {
            while (true)
            {
                var stream = _streams.GetOrAdd(streamKey, _ => new StreamEvents());
                lock (stream.Gate)
                {
                    // A stream removed between the lookup and the lock belongs to nobody now, and its removal is journaled
                    // (a replay would bring back events journaled after it): they go to the stream's new incarnation.
                    if (stream.Removed) continue;
                    List<LogEvent> appended = [];
                    foreach (var (timestamp, message) in events)
                    {
                        var e = new LogEvent(timestamp, message, ingestionTime, Interlocked.Increment(ref _nextId));
                        Insert(streamKey, stream, e);
                        appended.Add(e);
                    }
                    // Journaled inside the stream's lock, so a stream's records keep the order of its ids.
                    if (_journal is not null)
                        _journal.Append(JsonSerializer.SerializeToUtf8Bytes(_sealer?.SealerOf(streamKey) is { } seal
                            ? new JournaledAppend(streamKey, [], Sealed: Convert.ToBase64String(seal(JsonSerializer.SerializeToUtf8Bytes(appended, Json))))
                            : new JournaledAppend(streamKey, appended), Json));
                    EnforceStreamBound(streamKey, stream);
                    return appended;
                }
            }
        }
        finally
        {
            _journal?.ExitRecording();
        }
    }

    private void Insert(string streamKey, StreamEvents stream, LogEvent e)
    {
        var block = e.Timestamp - Mod(e.Timestamp, BlockMs);
        if (!stream.Blocks.TryGetValue(block, out var list)) stream.Blocks[block] = list = [];
        var at = list.Count;
        while (at > 0 && Compare(list[at - 1], e) > 0) at--;
        list.Insert(at, e);
        stream.Account(e, +1);
        Interlocked.Add(ref _storedBytes, Size(e));
        if (_store.IsPersistent)
        {
            stream.PendingOf(block).Add(e);
            _appended[(streamKey, block)] = 0;
        }
    }

    private void EnforceStreamBound(string streamKey, StreamEvents stream)
    {
        while (stream.Count > MaxEventsPerStream) TrimOldest(streamKey, stream, Math.Min(stream.Count - MaxEventsPerStream, stream.Blocks.First().Value.Count));
    }

    /// <summary>The stream's events in (timestamp, id) order.</summary>
    public IReadOnlyList<LogEvent> Events(string streamKey)
    {
        if (!_streams.TryGetValue(streamKey, out var stream)) return [];
        lock (stream.Gate) return stream.Blocks.Values.SelectMany(h => h).ToList();
    }

    /// <summary>
    /// The stream's events with timestamps from <paramref name="fromMs"/> to <paramref name="toMs"/> (both included) in
    /// (timestamp, id) order, read a block at a time: each block's events are copied under the stream's lock into a pooled
    /// buffer, so a scan holds no lock while it works and allocates nothing per event (a copy of a whole stream would be a
    /// large object, which costs the collector a full collection now and then). <paramref name="newestFirst"/> reads the
    /// blocks from the newest, timestamps descending, events of one timestamp still in id order (as a stable sort of the
    /// stream by time, descending, leaves them): a reader that stops early then reads only the stream's newest blocks.
    /// </summary>
    public IEnumerable<LogEvent> EventsBetween(string streamKey, long fromMs, long toMs, bool newestFirst = false)
    {
        if (!_streams.TryGetValue(streamKey, out var stream)) yield break;
        List<long> blocks;
        lock (stream.Gate) blocks = stream.Blocks.Keys.Where(block => block <= toMs && block + BlockMs > fromMs).ToList();
        if (newestFirst) blocks.Reverse();
        foreach (var block in blocks)
        {
            LogEvent[] buffer;
            var count = 0;
            lock (stream.Gate)
            {
                if (!stream.Blocks.TryGetValue(block, out var list)) continue;
                buffer = ArrayPool<LogEvent>.Shared.Rent(list.Count);
                foreach (var e in list)
                    if (e.Timestamp >= fromMs && e.Timestamp <= toMs) buffer[count++] = e;
            }
            try
            {
                if (!newestFirst)
                    for (var i = 0; i < count; i++) yield return buffer[i];
                else
                    for (var end = count; end > 0;)
                    {
                        var start = end - 1;
                        while (start > 0 && buffer[start - 1].Timestamp == buffer[end - 1].Timestamp) start--;
                        for (var i = start; i < end; i++) yield return buffer[i];
                        end = start;
                    }
            }
            finally
            {
                ArrayPool<LogEvent>.Shared.Return(buffer, clearArray: true);
            }
        }
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

    /// <summary>
    /// Removes a stream's events (DeleteLogStream, DeleteLogGroup). The removal is journaled like an append, so a call
    /// that waits for <see cref="CommitAsync"/> after it answers once the removal is on the disk: a restart before the
    /// next fold replays it after the stream's appends and the events stay gone.
    /// </summary>
    public void RemoveStream(string streamKey)
    {
        _journal?.EnterRecording();
        try
        {
            Discard(streamKey, journal: true);
        }
        finally
        {
            _journal?.ExitRecording();
        }
    }

    /// <summary>Drops a stream's events from memory, queues its documents for deletion by the next fold, and journals that (unless replaying it).</summary>
    private void Discard(string streamKey, bool journal)
    {
        if (!_streams.TryRemove(streamKey, out var stream)) return;
        lock (stream.Gate)
        {
            stream.Removed = true;
            Interlocked.Add(ref _storedBytes, -stream.Bytes);
            foreach (var (block, chunks) in stream.Chunks) _deleted.Enqueue((streamKey, block, chunks));
            _deleted.Enqueue((streamKey, null, []));
            stream.Blocks.Clear();
            stream.Chunks.Clear();
            stream.Pending.Clear();
            stream.Recent.Clear();
            if (journal) _journal?.Append(JsonSerializer.SerializeToUtf8Bytes(new JournaledAppend(streamKey, [], Removed: true), Json));
        }
    }

    /// <summary>Drops the stream's events older than <paramref name="cutoffMs"/>: its oldest, so a trim of its start.</summary>
    public void Expire(string streamKey, long cutoffMs)
    {
        if (!_streams.TryGetValue(streamKey, out var stream)) return;
        lock (stream.Gate)
        {
            while (stream.Blocks.Count > 0)
            {
                var expired = stream.Blocks.First().Value.TakeWhile(e => e.Timestamp < cutoffMs).Count();
                if (expired == 0) break;
                TrimOldest(streamKey, stream, expired);
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
                if (!oldest.Value.Blocks.TryGetValue(oldest.Block, out var list)) continue;
                foreach (var e in list) Forget(oldest.Value, e);
                Drop(oldest.Key, oldest.Value, oldest.Block);
            }
        }
    }

    /// <summary>
    /// Completes once every event appended before the call is synced to the journal: a PutLogEvents answers only then,
    /// while concurrent calls share one sync (group commit). Without a state file there is nothing to wait for.
    /// </summary>
    public Task CommitAsync() => _journal?.CommitAsync() ?? Task.CompletedTask;

    /// <summary>
    /// Folds what changed since the last flush into the state file in one transaction, with the journal generations it
    /// holds (deleted once it commits): new chunks, trim positions, deletions. With
    /// <paramref name="compact"/> (the housekeeping flush, once a second) the chunks that group commits wrote for a block
    /// since the last compaction become one, in the same transaction, so the state file holds about a chunk per block
    /// and second however many calls wrote them.
    /// </summary>
    public void Flush(bool compact = false)
    {
        // Without a state file there is nothing to write.
        if (_journal is null) return;
        _journal.Fold(writes => CollectChanges(writes, compact));
    }

    public void Dispose()
    {
        _journal?.Dispose();
    }

    private void CollectChanges(List<StoreWrite> writes, bool compact)
    {
        while (_deleted.TryDequeue(out var gone))
        {
            if (gone.Block is not { } block)
            {
                writes.Add(new StoreWrite(Collection, $"{gone.Stream}\u001f{TrimSuffix}", null));
                continue;
            }
            writes.AddRange(gone.Chunks.Select(chunk => new StoreWrite(Collection, ChunkKey(gone.Stream, block, chunk), null)));
        }
        foreach (var (streamKey, _) in _trimmed.ToArray())
        {
            _trimmed.TryRemove(streamKey, out _);
            if (!_streams.TryGetValue(streamKey, out var stream)) continue;
            LogEvent? through;
            lock (stream.Gate) through = stream.TrimmedThrough;
            if (through is not null)
                writes.Add(new StoreWrite(Collection, $"{streamKey}\u001f{TrimSuffix}", JsonSerializer.Serialize(new LogEvent(through.Timestamp, "", through.IngestionTime, through.Id), Json)));
        }
        foreach (var (key, _) in _appended.ToArray())
        {
            _appended.TryRemove(key, out _);
            if (!_streams.TryGetValue(key.Stream, out var stream)) continue;
            List<LogEvent>? added;
            var chunk = ++_nextChunk;
            lock (stream.Gate)
            {
                if (!stream.Pending.Remove(key.Block, out added) || added.Count == 0) continue;
                // A block dropped while its events waited has nothing left to write.
                if (!stream.Blocks.ContainsKey(key.Block)) continue;
                stream.ChunksOf(key.Block).Add(chunk);
                var recent = stream.RecentOf(key.Block);
                recent.Chunks.Add(chunk);
                recent.Events.AddRange(added);
                if (recent.Chunks.Count > 1) _fragmented[key] = 0;
            }
            writes.Add(new StoreWrite(Collection, ChunkKey(key.Stream, key.Block, chunk), Document(key.Stream, added)));
        }
        if (compact) Compact(writes);
    }

    /// <summary>Replaces each fragmented block's recent chunks with one holding their events (the caller commits it all at once).</summary>
    private void Compact(List<StoreWrite> writes)
    {
        foreach (var (key, _) in _fragmented.ToArray())
        {
            _fragmented.TryRemove(key, out _);
            if (!_streams.TryGetValue(key.Stream, out var stream)) continue;
            lock (stream.Gate)
            {
                if (!stream.Recent.Remove(key.Block, out var recent) || recent.Chunks.Count < 2 || !stream.Chunks.TryGetValue(key.Block, out var chunks)) continue;
                var merged = ++_nextChunk;
                foreach (var chunk in recent.Chunks)
                {
                    chunks.Remove(chunk);
                    writes.Add(new StoreWrite(Collection, ChunkKey(key.Stream, key.Block, chunk), null));
                }
                chunks.Add(merged);
                writes.Add(new StoreWrite(Collection, ChunkKey(key.Stream, key.Block, merged), Document(key.Stream, recent.Events)));
            }
        }
        // Blocks written by a single chunk since the last compaction need nothing: start their count afresh.
        foreach (var stream in _streams.Values)
            lock (stream.Gate) stream.Recent.Clear();
    }

    /// <summary>A chunk document: the events as a JSON array, or, sealed, a JSON string of the sealed array's base64.</summary>
    private string Document(string streamKey, List<LogEvent> events) => _sealer?.SealerOf(streamKey) is { } seal
        ? JsonSerializer.Serialize(Convert.ToBase64String(seal(JsonSerializer.SerializeToUtf8Bytes(events, Json))), Json)
        : JsonSerializer.Serialize(events, Json);

    private List<LogEvent>? ReadDocument(string streamKey, string body) => body.StartsWith('"')
        ? JsonSerializer.Deserialize<string>(body, Json) is { } sealedEvents ? OpenEvents(streamKey, sealedEvents) : null
        : JsonSerializer.Deserialize<List<LogEvent>>(body, Json);

    private List<LogEvent>? OpenEvents(string streamKey, string sealedEvents) =>
        _sealer?.Open(streamKey, Convert.FromBase64String(sealedEvents)) is { } plain ? JsonSerializer.Deserialize<List<LogEvent>>(plain, Json) : null;

    private static string ChunkKey(string stream, long block, long chunk) => chunk == LegacyDocument
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{stream}\u001f{block}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{stream}\u001f{block}.{chunk}");

    /// <summary>Drops the first <paramref name="count"/> events of the stream's oldest block and records the last as the stream's trim position.</summary>
    private void TrimOldest(string streamKey, StreamEvents stream, int count)
    {
        var (block, list) = stream.Blocks.First();
        foreach (var e in list.Take(count)) Forget(stream, e);
        stream.TrimmedThrough = list[count - 1];
        list.RemoveRange(0, count);
        if (_store.IsPersistent) _trimmed[streamKey] = 0;
        if (list.Count == 0) Drop(streamKey, stream, block);
    }

    /// <summary>Removes a block (its events already forgotten) and queues its documents for deletion.</summary>
    private void Drop(string streamKey, StreamEvents stream, long block)
    {
        stream.Blocks.Remove(block);
        stream.Pending.Remove(block);
        stream.Recent.Remove(block);
        if (stream.Chunks.Remove(block, out var chunks)) _deleted.Enqueue((streamKey, block, chunks));
    }

    private void Forget(StreamEvents stream, LogEvent e)
    {
        stream.Account(e, -1);
        Interlocked.Add(ref _storedBytes, -Size(e));
    }

    private static int Compare(LogEvent a, LogEvent b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Id.CompareTo(b.Id);

    private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;

    /// <summary>
    /// One call's appended events as the journal holds them (in <see cref="Sealed"/>, base64, when their group keeps them under a
    /// KMS key), or the stream's removal (<see cref="Removed"/>, no events).
    /// </summary>
    private sealed record JournaledAppend(string Stream, List<LogEvent> Events, bool Removed = false, string? Sealed = null);

    private sealed class StreamEvents
    {
        public Lock Gate { get; } = new();
        public SortedDictionary<long, List<LogEvent>> Blocks { get; } = [];
        /// <summary>Per block, events appended since the last flush.</summary>
        public Dictionary<long, List<LogEvent>> Pending { get; } = [];
        /// <summary>Per block, the chunks written since the last compaction and their events.</summary>
        public Dictionary<long, (List<long> Chunks, List<LogEvent> Events)> Recent { get; } = [];
        /// <summary>Per block, the chunk documents written for it.</summary>
        public Dictionary<long, List<long>> Chunks { get; } = [];
        /// <summary>The last event dropped from the stream's start: every event up to it is gone.</summary>
        public LogEvent? TrimmedThrough { get; set; }
        /// <summary>Set when the stream is removed: an append that found it before must look it up again.</summary>
        public bool Removed { get; set; }
        public int Count { get; private set; }
        public long Bytes { get; private set; }
        public long? LastIngestion { get; private set; }

        public List<LogEvent> PendingOf(long block) => Pending.TryGetValue(block, out var list) ? list : Pending[block] = [];

        public (List<long> Chunks, List<LogEvent> Events) RecentOf(long block) =>
            Recent.TryGetValue(block, out var recent) ? recent : Recent[block] = ([], []);

        public List<long> ChunksOf(long block) => Chunks.TryGetValue(block, out var list) ? list : Chunks[block] = [];

        public void Account(LogEvent e, int sign)
        {
            Count += sign;
            Bytes += sign * Size(e);
            if (sign > 0) LastIngestion = Math.Max(LastIngestion ?? 0, e.IngestionTime);
        }
    }
}
