using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

/// <summary>
/// How other services read stored log events (CloudWatch's Contributor Insights rules), through the Logs domain and never
/// over HTTP: the groups of an account and region, and a group's events by timestamp, with their ingestion times.
/// </summary>
public interface ILogEventReader
{
    IReadOnlyList<string> LogGroupNames(string accountId, string region);

    /// <summary>The group's events (every stream's) with timestamps from <paramref name="fromMs"/> to <paramref name="toMs"/>, both included; none when the group is gone.</summary>
    IEnumerable<LogEvent> EventsBetween(string accountId, string region, string groupName, long fromMs, long toMs);
}
