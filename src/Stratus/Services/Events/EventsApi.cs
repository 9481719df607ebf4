using Stratus.Host;
using Stratus.Protocols.Json;

namespace Stratus.Services.Events;

/// <summary>
/// EventBridge's wire operations (AWS JSON 1.1, AWSEvents; signing name events): request members in, domain call,
/// response shape out.
/// </summary>
public sealed class EventsApi : IStratusService
{
    private readonly EventsService _events;

    public EventsApi(EventsService events, ILogger logger)
    {
        _events = events;
        Endpoint = new ServiceEndpoint("events", Operations(), new AwsJsonProtocol("AWSEvents", "1.1"))
        {
            Logger = logger,
            Rules = EventsRules.Members,
        };
    }

    public string Name => "events";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "PutRule", i => new JsonObject { ["RuleArn"] = _events.PutRule(i.Scope, RuleSettings.Read(i, i.Required("Name"))).Arn } },
        { "DescribeRule", i =>
            {
                var rule = _events.DescribeRule(i.Scope, i.Required("Name"), i.String("EventBusName"));
                var json = Rule(rule);
                json["CreatedBy"] = i.Scope.AccountId;
                return json;
            } },
        { "ListRules", i =>
            {
                var (page, next) = EventsRules.Page(_events.ListRules(i.Scope, i.String("EventBusName"), i.String("NamePrefix")), i.String("NextToken"), i.Int("Limit"));
                return new JsonObject { ["Rules"] = new JsonArray([.. page.Select(r => (JsonNode)Rule(r))]), ["NextToken"] = next };
            } },
        { "DeleteRule", i =>
            {
                _events.DeleteRule(i.Scope, i.Required("Name"), i.String("EventBusName"), i.Bool("Force") ?? false);
                return new JsonObject();
            } },
        { "EnableRule", i => SetState(i, enabled: true) },
        { "DisableRule", i => SetState(i, enabled: false) },
        { "PutTargets", i =>
            {
                _events.PutTargets(i.Scope, i.Required("Rule"), i.String("EventBusName"), [.. ((IInputReader)i).Objects("Targets").Select(EventTarget.Read)]);
                return new JsonObject { ["FailedEntryCount"] = 0, ["FailedEntries"] = new JsonArray() };
            } },
        { "RemoveTargets", i =>
            {
                _events.RemoveTargets(i.Scope, i.Required("Rule"), i.String("EventBusName"), i.Strings("Ids").ToHashSet(StringComparer.Ordinal));
                return new JsonObject { ["FailedEntryCount"] = 0, ["FailedEntries"] = new JsonArray() };
            } },
        { "ListTargetsByRule", i =>
            {
                var rule = _events.DescribeRule(i.Scope, i.Required("Rule"), i.String("EventBusName"));
                var (page, next) = EventsRules.Page(rule.Targets, i.String("NextToken"), i.Int("Limit"));
                return new JsonObject { ["Targets"] = new JsonArray([.. page.Select(t => (JsonNode)Target(t))]), ["NextToken"] = next };
            } },
        { "ListRuleNamesByTarget", i =>
            {
                var (page, next) = EventsRules.Page(_events.ListRuleNamesByTarget(i.Scope, i.Required("TargetArn"), i.String("EventBusName")),
                    i.String("NextToken"), i.Int("Limit"));
                return new JsonObject { ["RuleNames"] = new JsonArray([.. page.Select(n => (JsonNode)n)]), ["NextToken"] = next };
            } },
        { "PutEvents", i =>
            {
                var entries = i.List("Entries").OfType<JsonObject>().Select(i.Nested).Select(e => new EventEntry(e.String("Source"), e.String("DetailType"),
                    e.String("Detail"), e.Strings("Resources"), e.Timestamp("Time"), e.String("EventBusName"))).ToList();
                var results = _events.PutEvents(i.Scope, entries, i.Call.Http.Request.Headers["X-Amzn-Trace-Id"].ToString() is { Length: > 0 } trace ? trace : null);
                return new JsonObject
                {
                    ["FailedEntryCount"] = results.Count(r => r.ErrorCode is not null),
                    ["Entries"] = new JsonArray([.. results.Select(r => (JsonNode)(r.EventId is { } id
                        ? new JsonObject { ["EventId"] = id }
                        : new JsonObject { ["ErrorCode"] = r.ErrorCode, ["ErrorMessage"] = r.ErrorMessage }))]),
                };
            } },
        { "TestEventPattern", i => new JsonObject { ["Result"] = _events.TestEventPattern(i.Required("EventPattern"), i.Required("Event")) } },
        { "DescribeEventBus", i => Bus(_events.DescribeEventBus(i.Scope, i.String("Name"))) },
        { "CreateEventBus", i =>
            {
                if (i.Has("EventSourceName")) throw AwsException.Validation("Stratus does not serve partner event sources (EventSourceName).");
                var bus = _events.CreateEventBus(i.Scope, i.Required("Name"), i.String("Description"), i.TagMap() ?? []);
                var json = new JsonObject { ["EventBusArn"] = bus.Arn };
                if (bus.Description is not null) json["Description"] = bus.Description;
                return json;
            } },
        { "DeleteEventBus", i =>
            {
                _events.DeleteEventBus(i.Scope, i.Required("Name"));
                return new JsonObject();
            } },
        { "ListEventBuses", i =>
            {
                var (page, next) = EventsRules.Page(_events.ListEventBuses(i.Scope, i.String("NamePrefix")), i.String("NextToken"), i.Int("Limit"));
                return new JsonObject { ["EventBuses"] = new JsonArray([.. page.Select(b => (JsonNode)Bus(b))]), ["NextToken"] = next };
            } },
        { "TagResource", i =>
            {
                _events.Tag(i.Scope, i.Required("ResourceARN"), i.TagMap() ?? []);
                return new JsonObject();
            } },
        { "UntagResource", i =>
            {
                _events.Untag(i.Scope, i.Required("ResourceARN"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal));
                return new JsonObject();
            } },
        { "ListTagsForResource", i => new JsonObject
            {
                ["Tags"] = new JsonArray([.. _events.Tags(i.Scope, i.Required("ResourceARN")).Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value })]),
            } },
    };

    private JsonObject SetState(OperationInput i, bool enabled)
    {
        _events.SetRuleState(i.Scope, i.Required("Name"), i.String("EventBusName"), enabled);
        return new JsonObject();
    }

    private static JsonObject Rule(EventRule rule)
    {
        var json = new JsonObject { ["Name"] = rule.Name, ["Arn"] = rule.Arn };
        if (rule.EventPattern is not null) json["EventPattern"] = rule.EventPattern;
        if (rule.ScheduleExpression is not null) json["ScheduleExpression"] = rule.ScheduleExpression;
        json["State"] = rule.State;
        if (rule.Description is not null) json["Description"] = rule.Description;
        if (rule.RoleArn is not null) json["RoleArn"] = rule.RoleArn;
        json["EventBusName"] = rule.EventBusName;
        return json;
    }

    private static JsonObject Target(EventTarget target)
    {
        var json = new JsonObject { ["Id"] = target.Id, ["Arn"] = target.Arn };
        if (target.Input is not null) json["Input"] = target.Input;
        if (target.InputPath is not null) json["InputPath"] = target.InputPath;
        if (target.InputTransformer is { } transformer)
            json["InputTransformer"] = new JsonObject
            {
                ["InputPathsMap"] = new JsonObject([.. transformer.InputPathsMap.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]),
                ["InputTemplate"] = transformer.InputTemplate,
            };
        return json;
    }

    private static JsonObject Bus(EventBus bus)
    {
        var json = new JsonObject { ["Name"] = bus.Name, ["Arn"] = bus.Arn };
        if (bus.Description is not null) json["Description"] = bus.Description;
        if (bus.Created is { } created)
        {
            json["CreationTime"] = created.ToUnixTimeMilliseconds() / 1000.0;
            json["LastModifiedTime"] = created.ToUnixTimeMilliseconds() / 1000.0;
        }
        return json;
    }
}
