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
