using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

public sealed record LogGroup(string AccountId, string Region, string Name, long CreationTime, int? RetentionInDays, Dictionary<string, string> Tags)
{
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{Name}";
}

public sealed record LogStream(string AccountId, string Region, string GroupName, string Name, long CreationTime)
{
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{GroupName}:log-stream:{Name}";
}

public sealed record PutLogEventsOutcome(int? TooNewStartIndex, int? TooOldEndIndex, int? ExpiredEndIndex);

public sealed record GetLogEventsPage(IReadOnlyList<LogEvent> Events, string ForwardToken, string BackwardToken);

public sealed record FilteredEvent(string LogStreamName, LogEvent Event);

public sealed record FilterLogEventsPage(IReadOnlyList<FilteredEvent> Events, IReadOnlyList<string> SearchedStreams, string? NextToken);

/// <summary>A saved Logs Insights query (PutQueryDefinition).</summary>
public sealed record QueryDefinition(string AccountId, string Region, string Id, string Name, string QueryString, List<string> LogGroupNames, long LastModified);

/// <summary>What StartQuery asks: the groups (names or ARNs), the time range in epoch seconds (both ends included), the query and its row limit.</summary>
public sealed record StartQueryInput(IReadOnlyList<string> LogGroups, long StartTime, long EndTime, string QueryString, int? Limit, string? QueryLanguage);

public static class QueryStatus
{
    public const string Scheduled = "Scheduled";
    public const string Running = "Running";
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
}

/// <summary>A query's state as GetQueryResults and DescribeQueries report it.</summary>
public sealed record QueryInfo(string AccountId, string Region, string Id, string QueryString, string LogGroupName, long CreateTime, string Status,
    Engine.Insights.InsightsResult? Result, long? DurationMs);
