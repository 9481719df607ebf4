using System.Globalization;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Services.Logs;

/// <summary>GetLogGroupFields and GetLogRecord: an event's fields as Logs Insights discovers them (<see cref="DiscoveredFields"/>).</summary>
public sealed partial class LogsService
{
    /// <summary>
    /// GetLogGroupFields reads at most this many events, the newest of its window. AWS samples the window's events without
    /// saying how many; Stratus's sample is the newest 10,000 (every event when the window holds fewer).
    /// </summary>
    public const int MaxFieldSampleEvents = 10_000;

    private static readonly TimeSpan FieldWindowAround = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan FieldWindowBefore = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The fields of the group's events in AWS's window (the 8 minutes either side of <paramref name="timeMs"/>, or the last
    /// 15 minutes without it), each with the percentage of the events read that carry it, rounded to the nearest whole
    /// percent: the built-in fields first, then the discovered ones, most frequent first, then by name. No events, no fields.
    /// </summary>
    public IReadOnlyList<(string Name, int Percent)> GetLogGroupFields(Scope scope, string groupIdentifier, long? timeMs)
    {
        var group = Group(scope, groupIdentifier);
        var (from, to) = timeMs is { } center
            ? (center - (long)FieldWindowAround.TotalMilliseconds, center + (long)FieldWindowAround.TotalMilliseconds)
            : (NowMs - (long)FieldWindowBefore.TotalMilliseconds, NowMs);
        var log = $"{group.AccountId}:{group.Name}";
        var partitions = StreamsOf(group).ToList().Select(s => QueryRecords(s, log, from, to, newestFirst: true, only: null)).ToList();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var events = 0;
        foreach (var record in InsightsEvaluator.NewestFirst(partitions).Take(MaxFieldSampleEvents))
        {
            events++;
            foreach (var name in DiscoveredFields.Of(record.Message).Keys) counts[name] = counts.GetValueOrDefault(name) + 1;
        }
        if (events == 0) return [];
        int Percent(int count) => (int)Math.Round(count * 100.0 / events, MidpointRounding.AwayFromZero);
        return DiscoveredFields.BuiltIn.Select(name => (name, 100))
            .Concat(counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, Percent(c.Value))))
            .ToList();
    }

    /// <summary>
    /// The event an Insights @ptr names, as GetLogRecord answers it: the built-in fields (@timestamp and @ingestionTime in
    /// epoch milliseconds), @ptr itself, and the discovered fields. A pointer of another account or region, or whose event is
    /// gone (deleted, past retention), is not found. The event is masked by the group's data protection unless <paramref name="unmask"/>.
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> GetLogRecord(Scope scope, string pointerText, bool unmask = false)
    {
        var pointer = LogRecordPointer.Decode(pointerText) ?? throw LogsErrors.InvalidLogRecordPointer();
        if (pointer.AccountId != scope.AccountId) throw LogsErrors.LogRecordNotFound();
        var stream = _streams.Get(StreamKey(scope.AccountId, scope.Region, pointer.GroupName, pointer.StreamName)) ?? throw LogsErrors.LogRecordNotFound();
        var found = _events.EventsBetween(StreamKey(stream), pointer.Timestamp, pointer.Timestamp).Where(e => e.Id == pointer.EventId).ToList();
        if (found is not [var stored]) throw LogsErrors.LogRecordNotFound();
        var group = Group(scope, pointer.GroupName);
        CheckReadable(group);
        var e = Viewed(group, stored, unmask);
        return new List<(string, string)>
            {
                ("@timestamp", e.Timestamp.ToString(CultureInfo.InvariantCulture)),
                ("@message", e.Message),
                ("@logStream", stream.Name),
                ("@log", $"{stream.AccountId}:{stream.GroupName}"),
                ("@ingestionTime", e.IngestionTime.ToString(CultureInfo.InvariantCulture)),
                ("@ptr", pointerText),
            }
            .Concat(DiscoveredFields.Of(e.Message).Select(f => (f.Key, InsightsEvaluator.Render(f.Value))))
            .ToList();
    }
}
