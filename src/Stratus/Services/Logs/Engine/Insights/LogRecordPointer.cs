using System.Globalization;
using System.Text;

namespace Stratus.Services.Logs.Engine.Insights;

/// <summary>
/// What an Insights result's @ptr names: one stored event, by its account, group, stream, timestamp and the store's id of
/// it. The region is the query's (a query reads the groups of one region), so GetLogRecord reads it from its own call.
/// Encoded as base64 of the parts joined by line feeds, which no group or stream name may hold; opaque to clients, as AWS's are.
/// </summary>
public readonly record struct LogRecordPointer(string AccountId, string GroupName, string StreamName, long Timestamp, long EventId)
{
    /// <summary>A pointer longer than this cannot name an event (names are at most 512 characters each).</summary>
    private const int MaxEncodedLength = 4096;

    /// <summary>The record's pointer: its @log is "account:group".</summary>
    public static LogRecordPointer Of(InsightsRecord record)
    {
        var colon = record.Log.IndexOf(':');
        return new(record.Log[..colon], record.Log[(colon + 1)..], record.LogStream, record.Timestamp, record.EventId);
    }

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\n', AccountId, GroupName, StreamName,
        Timestamp.ToString(CultureInfo.InvariantCulture), EventId.ToString(CultureInfo.InvariantCulture))));

    /// <summary>The pointer <paramref name="text"/> encodes, or null when it is not one.</summary>
    public static LogRecordPointer? Decode(string text)
    {
        if (text.Length is 0 or > MaxEncodedLength) return null;
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(text)).Split('\n');
            if (parts.Length == 5 && parts[0].Length > 0 && parts[1].Length > 0 && parts[2].Length > 0
                && long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
                && long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                return new LogRecordPointer(parts[0], parts[1], parts[2], timestamp, id);
        }
        catch (FormatException)
        {
        }
        return null;
    }
}
