using Stratus.Protocols;

namespace Stratus.Services.Events;

/// <summary>An event bus: the account's default one (kept only once tagged) or a custom one.</summary>
public sealed record EventBus(string Name, string Arn, string? Description, DateTimeOffset? Created, IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// A rule on a bus. <see cref="ScheduleAnchor"/> is when a schedule rule was last created or enabled: rates count
/// from it, so a restart keeps the rule's phase; <see cref="LastFired"/> keeps a restart from firing a time twice.
/// </summary>
public sealed record EventRule(
    string Name,
    string EventBusName,
    string Arn,
    string? EventPattern,
    string? ScheduleExpression,
    string State,
    string? Description,
    string? RoleArn,
    IReadOnlyList<EventTarget> Targets,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset ScheduleAnchor,
    DateTimeOffset? LastFired)
{
    public bool Enabled => State != "DISABLED";
}

/// <summary>A rule's target and what it receives: the event, a constant Input, the part InputPath selects, or InputTransformer's text.</summary>
public sealed record EventTarget(string Id, string Arn, string? Input, string? InputPath, InputTransformerSettings? InputTransformer)
{
    public static EventTarget Read(IInputReader reader)
    {
        var transformer = reader.Object("InputTransformer") is { } t
            ? new InputTransformerSettings(t.StringMap("InputPathsMap") ?? [], t.Required("InputTemplate"))
            : null;
        return new EventTarget(reader.Required("Id"), reader.Required("Arn"), reader.String("Input"), reader.String("InputPath"), transformer);
    }
}

public sealed record InputTransformerSettings(IReadOnlyDictionary<string, string> InputPathsMap, string InputTemplate);

/// <summary>PutRule's members (and AWS::Events::Rule's, whose EventPattern is a JSON object in a template).</summary>
public sealed record RuleSettings(string Name, string? EventBusName, string? EventPattern, string? ScheduleExpression, string? State,
    string? Description, string? RoleArn, IReadOnlyDictionary<string, string> Tags)
{
    public static RuleSettings Read(IInputReader reader, string name) => new(
        name,
        reader.String("EventBusName"),
        reader.Has("EventPattern") ? reader.RequiredDocument("EventPattern") : null,
        reader.String("ScheduleExpression"),
        reader.String("State"),
        reader.String("Description"),
        reader.String("RoleArn"),
        reader.TagMap() ?? []);
}

/// <summary>One PutEvents entry as sent.</summary>
public sealed record EventEntry(string? Source, string? DetailType, string? Detail, IReadOnlyList<string> Resources, DateTimeOffset? Time, string? EventBusName);

/// <summary>What became of one PutEvents entry: its id, or AWS's error code and message.</summary>
public sealed record EventEntryResult(string? EventId, string? ErrorCode, string? ErrorMessage);
