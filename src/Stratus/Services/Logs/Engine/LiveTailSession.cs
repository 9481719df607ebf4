using System.Runtime.CompilerServices;
using System.Text;

namespace Stratus.Services.Logs.Engine;

/// <summary>One log event as a Live Tail session shows it (LiveTailSessionLogEvent).</summary>
/// <param name="LogGroupIdentifier">The group as the session's caller named it (name or ARN).</param>
public sealed record LiveTailEvent(string LogGroupIdentifier, string LogStreamName, string Message, long Timestamp, long IngestionTime);

/// <summary>One LiveTailSessionUpdate: the events matched since the last one, <paramref name="Sampled"/> when some were left out.</summary>
public sealed record LiveTailUpdate(bool Sampled, IReadOnlyList<LiveTailEvent> Events);

/// <summary>
/// A Live Tail session's subscription to ingestion: which groups and streams it watches, its filter pattern, and the events
/// matched since its last update. Ingestion offers events as they are stored (never waiting on the client); the session's
/// stream takes an update every second. As AWS documents: an update carries at most 500 events, a larger second sampled
/// down to 500 (evenly over the second, in order) and marked sampled; a client reading slower than events arrive has at
/// most 5000 events waiting, the oldest dropped beyond that (the update that follows is marked sampled too). Stratus also
/// bounds what waits by message bytes (<see cref="MaxBufferedBytes"/>, ours: AWS states only the event count), so ten
/// updates of 256 KB events cannot hold a gigabyte per session. Disposing the session ends its subscription.
/// </summary>
public sealed class LiveTailSession : IDisposable
{
    public const int MaxEventsPerUpdate = 500;
    public const int MaxBufferedEvents = 5000;
    public const long MaxBufferedBytes = 4 * 1024 * 1024;
    public static readonly TimeSpan UpdateInterval = TimeSpan.FromSeconds(1);
    /// <summary>AWS ends a session after three hours with SessionTimeoutException.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(3);

    private readonly Lock _gate = new();
    private readonly Queue<LiveTailEvent> _waiting = new();
    private readonly IReadOnlyDictionary<string, string> _identifierByGroupKey;
    private readonly FilterPattern _pattern;
    private readonly Action<LiveTailSession> _ended;
    private long _waitingBytes;
    private bool _dropped;
    private int _disposed;

    /// <param name="identifierByGroupKey">Each watched group's store key, with the identifier the caller named it by.</param>
    /// <param name="ended">Called once, when the session is disposed: its owner forgets it.</param>
    public LiveTailSession(string accountId, string region, string sessionId, string requestId, LiveTailCriteria criteria,
        IReadOnlyDictionary<string, string> identifierByGroupKey, FilterPattern pattern, Action<LiveTailSession> ended)
    {
        AccountId = accountId;
        Region = region;
        SessionId = sessionId;
        RequestId = requestId;
        Criteria = criteria;
        _identifierByGroupKey = identifierByGroupKey;
        _pattern = pattern;
        _ended = ended;
    }

    public string AccountId { get; }
    public string Region { get; }
    public string SessionId { get; }
    public string RequestId { get; }
    public LiveTailCriteria Criteria { get; }

    public bool Watches(string groupKey) => _identifierByGroupKey.ContainsKey(groupKey);

    /// <summary>Takes the stored events of one stream that the session's streams and pattern select; returns at once.</summary>
    public void Offer(string groupKey, string stream, IReadOnlyList<LogEvent> events)
    {
        if (!_identifierByGroupKey.TryGetValue(groupKey, out var identifier) || !Criteria.SelectsStream(stream)) return;
        foreach (var e in events)
        {
            if (!_pattern.Matches(e.Message)) continue;
            var bytes = Encoding.UTF8.GetByteCount(e.Message);
            lock (_gate)
            {
                _waiting.Enqueue(new LiveTailEvent(identifier, stream, e.Message, e.Timestamp, e.IngestionTime));
                _waitingBytes += bytes;
                while (_waiting.Count > MaxBufferedEvents || (_waitingBytes > MaxBufferedBytes && _waiting.Count > 1))
                {
                    _waitingBytes -= Encoding.UTF8.GetByteCount(_waiting.Dequeue().Message);
                    _dropped = true;
                }
            }
        }
    }

    /// <summary>The events waiting, sampled down to <see cref="MaxEventsPerUpdate"/>; the session starts waiting afresh.</summary>
    public LiveTailUpdate TakeUpdate()
    {
        LiveTailEvent[] waiting;
        bool dropped;
        lock (_gate)
        {
            waiting = _waiting.ToArray();
            dropped = _dropped;
            _waiting.Clear();
            _waitingBytes = 0;
            _dropped = false;
        }
        if (waiting.Length <= MaxEventsPerUpdate) return new LiveTailUpdate(dropped, waiting);
        var sample = new LiveTailEvent[MaxEventsPerUpdate];
        for (var i = 0; i < sample.Length; i++) sample[i] = waiting[(int)((long)i * waiting.Length / sample.Length)];
        return new LiveTailUpdate(true, sample);
    }

    /// <summary>An update every <see cref="UpdateInterval"/> until <see cref="MaxDuration"/> has passed (then the sequence ends: the session timed out) or the token is cancelled (the client left).</summary>
    public async IAsyncEnumerable<LiveTailUpdate> UpdatesAsync(TimeProvider clock, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var ends = clock.GetUtcNow() + MaxDuration;
        using var timer = new PeriodicTimer(UpdateInterval, clock);
        while (await timer.WaitForNextTickAsync(cancellation))
        {
            yield return TakeUpdate();
            if (clock.GetUtcNow() >= ends) yield break;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _ended(this);
    }
}

/// <summary>What a Live Tail session asked for, as StartLiveTail's members and LiveTailSessionStart name them.</summary>
public sealed record LiveTailCriteria(IReadOnlyList<string> LogGroupIdentifiers, IReadOnlyList<string>? LogStreamNames,
    IReadOnlyList<string>? LogStreamNamePrefixes, string LogEventFilterPattern)
{
    public bool SelectsStream(string stream) =>
        (LogStreamNames is null || LogStreamNames.Contains(stream, StringComparer.Ordinal))
        && (LogStreamNamePrefixes is null || LogStreamNamePrefixes.Any(p => stream.StartsWith(p, StringComparison.Ordinal)));
}
