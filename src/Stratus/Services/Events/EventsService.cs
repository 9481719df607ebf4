using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.Events.Engine;
using Stratus.Services.Lambda;
using Stratus.Protocols.Json;

namespace Stratus.Services.Events;

/// <summary>
/// EventBridge: event buses, rules with their targets and tags, written through to the store. Events put on a
/// bus, and the scheduled events of schedule rules (<see cref="RuleScheduler"/>), go to the Lambda targets of the
/// enabled rules they match, queued as asynchronous invocations by the principal events.amazonaws.com on behalf
/// of the rule's ARN, which the function's resource policy must allow, as on AWS. What happened is counted in
/// CloudWatch's AWS/Events namespace as EventBridge counts it.
/// </summary>
public sealed class EventsService
{
    public const string DefaultBus = "default";
    public const string ServicePrincipal = "events.amazonaws.com";
    /// <summary>EventBridge's quotas: targets per rule, rules per bus, and the 256 KB PutEvents entry.</summary>
    public const int MaxTargetsPerRule = 5;
    public const int MaxRulesPerBus = 300;
    public const int MaxEntryBytes = 256 * 1024;
    /// <summary>Compiled rule patterns kept at most; past it the cache starts again (patterns are cheap to parse).</summary>
    private const int MaxCachedPatterns = 10_000;

    private readonly ResourceTable<EventRule> _rules;
    private readonly ResourceTable<EventBus> _buses;
    private readonly TimeProvider _clock;
    private readonly ILambdaInvoker _lambda;
    private readonly IMetricPublisher _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, EventPattern> _patterns = new(StringComparer.Ordinal);

    public EventsService(StateStore store, TimeProvider clock, ILambdaInvoker lambda, IMetricPublisher metrics, ILogger logger)
    {
        _rules = new ResourceTable<EventRule>(store, "events.rules");
        _buses = new ResourceTable<EventBus>(store, "events.buses");
        _clock = clock;
        _lambda = lambda;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Raised when a schedule rule is put, enabled, disabled or deleted, so the scheduler looks again.</summary>
    public event Action? SchedulesChanged;

    public static string BusArn(Scope scope, string bus) => $"arn:aws:events:{scope.Region}:{scope.AccountId}:event-bus/{bus}";

    public static string RuleArn(Scope scope, string bus, string name) =>
        bus == DefaultBus ? $"arn:aws:events:{scope.Region}:{scope.AccountId}:rule/{name}" : $"arn:aws:events:{scope.Region}:{scope.AccountId}:rule/{bus}/{name}";

    /// <summary>A bus named or given by ARN (EventBusNameOrArn); absent means the default bus.</summary>
    public static string BusName(string? nameOrArn) => nameOrArn switch
    {
        null or "" => DefaultBus,
        _ when nameOrArn.StartsWith("arn:", StringComparison.Ordinal) && nameOrArn.IndexOf(":event-bus/", StringComparison.Ordinal) is var at and > 0 =>
            nameOrArn[(at + ":event-bus/".Length)..],
        _ when nameOrArn.StartsWith("arn:", StringComparison.Ordinal) => throw EventsErrors.InvalidArn(nameOrArn),
        _ => nameOrArn,
    };

    private static string RuleKey(Scope scope, string bus, string name) => ResourceTable<EventRule>.Key(scope.AccountId, scope.Region, bus, name);
    private static string BusKey(Scope scope, string bus) => ResourceTable<EventBus>.Key(scope.AccountId, scope.Region, bus);

    // ---- buses ----

    public EventBus DescribeEventBus(Scope scope, string? nameOrArn)
    {
        var name = BusName(nameOrArn);
        return _buses.Get(BusKey(scope, name))
            ?? (name == DefaultBus ? new EventBus(DefaultBus, BusArn(scope, DefaultBus), null, null, new Dictionary<string, string>()) : throw EventsErrors.EventBusNotFound(name));
    }

    public EventBus CreateEventBus(Scope scope, string name, string? description, IReadOnlyDictionary<string, string> tags)
    {
        // The default bus always exists, so creating it is creating one that exists.
        if (name == DefaultBus) throw EventsErrors.EventBusExists(name);
        var bus = new EventBus(name, BusArn(scope, name), description, _clock.GetUtcNow(), tags);
        if (!_buses.TryAdd(BusKey(scope, name), bus)) throw EventsErrors.EventBusExists(name);
        return bus;
    }

    /// <summary>Deleting a bus that is not there succeeds, as on AWS.</summary>
    public void DeleteEventBus(Scope scope, string name)
    {
        if (name == DefaultBus) throw EventsErrors.CannotDeleteDefaultBus();
        if (ListRules(scope, name, null).Count > 0) throw EventsErrors.BusHasRules(name);
        _buses.Remove(BusKey(scope, name));
    }

    public IReadOnlyList<EventBus> ListEventBuses(Scope scope, string? namePrefix)
    {
        var prefix = ResourceTable<EventBus>.Key(scope.AccountId, scope.Region, "");
        var custom = _buses.Entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Value).Where(b => b.Name != DefaultBus);
        return [.. custom.Prepend(DescribeEventBus(scope, DefaultBus))
            .Where(b => namePrefix is null || b.Name.StartsWith(namePrefix, StringComparison.Ordinal))
            .OrderBy(b => b.Name, StringComparer.Ordinal)];
    }

    // ---- rules ----

    public EventRule PutRule(Scope scope, RuleSettings settings)
    {
        var bus = DescribeEventBus(scope, settings.EventBusName).Name;
        if (settings.EventPattern is null && settings.ScheduleExpression is null) throw EventsErrors.PatternOrSchedule();
        if (settings.ScheduleExpression is { } schedule)
        {
            if (bus != DefaultBus) throw EventsErrors.ScheduleOnlyOnDefaultBus();
            ScheduleExpression.Parse(schedule);
        }
        if (settings.EventPattern is { } pattern) Pattern(pattern);
        var key = RuleKey(scope, bus, settings.Name);
        var existing = _rules.Get(key);
        if (existing is null && ListRules(scope, bus, null).Count >= MaxRulesPerBus) throw EventsErrors.LimitExceeded();
        var now = _clock.GetUtcNow();
        var state = settings.State ?? "ENABLED";
        var rescheduled = existing is null || existing.ScheduleExpression != settings.ScheduleExpression || (!existing.Enabled && state != "DISABLED");
        var rule = new EventRule(settings.Name, bus, RuleArn(scope, bus, settings.Name), settings.EventPattern, settings.ScheduleExpression, state,
            settings.Description, settings.RoleArn, existing?.Targets ?? [],
            // As AWS: PutRule's Tags apply to a new rule; an update leaves the rule's tags as they are.
            existing?.Tags ?? settings.Tags,
            rescheduled ? now : existing!.ScheduleAnchor, rescheduled ? null : existing!.LastFired);
        _rules.Put(key, rule);
        if (rule.ScheduleExpression is not null || existing?.ScheduleExpression is not null) SchedulesChanged?.Invoke();
        return rule;
    }

    public EventRule DescribeRule(Scope scope, string name, string? busNameOrArn)
    {
        var bus = BusName(busNameOrArn);
        return _rules.Get(RuleKey(scope, bus, name)) ?? throw EventsErrors.RuleNotFound(name, bus);
    }

    public IReadOnlyList<EventRule> ListRules(Scope scope, string? busNameOrArn, string? namePrefix)
    {
        var bus = BusName(busNameOrArn);
        var prefix = ResourceTable<EventRule>.Key(scope.AccountId, scope.Region, bus, namePrefix ?? "");
        return [.. _rules.Entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Value).OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    public void DeleteRule(Scope scope, string name, string? busNameOrArn, bool force)
    {
        var bus = BusName(busNameOrArn);
        var key = RuleKey(scope, bus, name);
        // Deleting a rule that is not there succeeds, as on AWS.
        if (_rules.Get(key) is not { } rule) return;
        if (rule.Targets.Count > 0 && !force) throw EventsErrors.RuleHasTargets();
        _rules.Remove(key);
        if (rule.ScheduleExpression is not null) SchedulesChanged?.Invoke();
    }

    public void SetRuleState(Scope scope, string name, string? busNameOrArn, bool enabled)
    {
        var bus = BusName(busNameOrArn);
        var updated = _rules.Update(RuleKey(scope, bus, name), r => r.Enabled == enabled ? r
            : r with { State = enabled ? "ENABLED" : "DISABLED", ScheduleAnchor = enabled ? _clock.GetUtcNow() : r.ScheduleAnchor, LastFired = enabled ? null : r.LastFired })
            ?? throw EventsErrors.RuleNotFound(name, bus);
        if (updated.ScheduleExpression is not null) SchedulesChanged?.Invoke();
    }

    /// <summary>Adds or replaces targets by id. Targets Stratus cannot deliver to are refused, not stored.</summary>
    public void PutTargets(Scope scope, string rule, string? busNameOrArn, IReadOnlyList<EventTarget> targets)
    {
        var bus = BusName(busNameOrArn);
        foreach (var target in targets) CheckTarget(target);
        var key = RuleKey(scope, bus, rule);
        var existing = _rules.Get(key) ?? throw EventsErrors.RuleNotFound(rule, bus);
        var ids = targets.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        var merged = existing.Targets.Where(t => !ids.Contains(t.Id)).Concat(targets.GroupBy(t => t.Id).Select(g => g.Last())).ToList();
        if (merged.Count > MaxTargetsPerRule) throw EventsErrors.LimitExceeded();
        _rules.Put(key, existing with { Targets = merged });
    }

    /// <summary>Removes targets by id; ids the rule does not have are not an error, as on AWS.</summary>
    public void RemoveTargets(Scope scope, string rule, string? busNameOrArn, IReadOnlyCollection<string> ids)
    {
        var bus = BusName(busNameOrArn);
        _ = _rules.Update(RuleKey(scope, bus, rule), r => r with { Targets = [.. r.Targets.Where(t => !ids.Contains(t.Id))] })
            ?? throw EventsErrors.RuleNotFound(rule, bus);
    }

    public IReadOnlyList<string> ListRuleNamesByTarget(Scope scope, string targetArn, string? busNameOrArn) =>
        [.. ListRules(scope, busNameOrArn, null).Where(r => r.Targets.Any(t => t.Arn == targetArn)).Select(r => r.Name)];

    private static void CheckTarget(EventTarget target)
    {
        if (new[] { target.Input is not null, target.InputPath is not null, target.InputTransformer is not null }.Count(set => set) > 1)
            throw EventsErrors.OneInputKind(target.Id);
        if (target.Input is { } input)
        {
            try { JsonBody.ParseMember(input, EventPattern.MaxDepth); }
            catch (JsonException) { throw EventsErrors.InvalidInput(target.Id); }
        }
        if (target.InputPath is { } path) TargetInput.CheckPath(path);
        if (target.InputTransformer is { } transformer)
            foreach (var selector in transformer.InputPathsMap.Values) TargetInput.CheckPath(selector);
        if (!IsFunctionArn(target.Arn)) throw EventsErrors.TargetNotServed(target.Id, target.Arn);
    }

    private static bool IsFunctionArn(string arn) =>
        arn.StartsWith("arn:aws:lambda:", StringComparison.Ordinal) && arn.Split(':') is { Length: 7 or 8 } parts && parts[5] == "function";

    // ---- tags ----

    public IReadOnlyDictionary<string, string> Tags(Scope scope, string arn) => Tagged(scope, arn, null);

    public void Tag(Scope scope, string arn, IReadOnlyDictionary<string, string> tags) =>
        Tagged(scope, arn, current => new Dictionary<string, string>(current.Concat(tags).GroupBy(t => t.Key).Select(g => g.Last())));

    public void Untag(Scope scope, string arn, IReadOnlyCollection<string> keys) =>
        Tagged(scope, arn, current => current.Where(t => !keys.Contains(t.Key)).ToDictionary());

    /// <summary>Reads, and with <paramref name="change"/> rewrites, the tags of the rule or bus an ARN names.</summary>
    private IReadOnlyDictionary<string, string> Tagged(Scope scope, string arn, Func<IReadOnlyDictionary<string, string>, Dictionary<string, string>>? change)
    {
        var prefix = $"arn:aws:events:{scope.Region}:{scope.AccountId}:";
        if (!arn.StartsWith(prefix, StringComparison.Ordinal)) throw EventsErrors.ResourceNotFound(arn);
        var resource = arn[prefix.Length..];
        if (resource.StartsWith("event-bus/", StringComparison.Ordinal))
        {
            var bus = DescribeEventBus(scope, resource["event-bus/".Length..]);
            if (change is null) return bus.Tags;
            var updated = bus with { Tags = change(bus.Tags) };
            _buses.Put(BusKey(scope, bus.Name), updated);
            return updated.Tags;
        }
        if (resource.StartsWith("rule/", StringComparison.Ordinal))
        {
            var path = resource["rule/".Length..].Split('/');
            var (busName, name) = path.Length == 2 ? (path[0], path[1]) : (DefaultBus, path[0]);
            var key = RuleKey(scope, busName, name);
            var rule = _rules.Get(key) ?? throw EventsErrors.ResourceNotFound(arn);
            if (change is null) return rule.Tags;
            return (_rules.Update(key, r => r with { Tags = change(r.Tags) }) ?? throw EventsErrors.ResourceNotFound(arn)).Tags;
        }
        throw EventsErrors.ResourceNotFound(arn);
    }

    // ---- events ----

    private EventPattern Pattern(string text)
    {
        if (_patterns.TryGetValue(text, out var cached)) return cached;
        if (_patterns.Count >= MaxCachedPatterns) _patterns.Clear();
        return _patterns.GetOrAdd(text, EventPattern.Parse(text));
    }

    /// <summary>TestEventPattern: the event must carry the envelope's fields, as AWS requires.</summary>
    public bool TestEventPattern(string pattern, string @event)
    {
        var compiled = EventPattern.Parse(pattern);
        JsonNode? json;
        try { json = JsonBody.ParseMember(@event, EventPattern.MaxDepth); }
        catch (JsonException) { throw EventsErrors.InvalidEvent("Provided Event is not valid JSON."); }
        string[] required = ["id", "account", "source", "time", "region", "detail-type"];
        if (json is not JsonObject obj || required.Any(f => obj[f] is null))
            throw EventsErrors.InvalidEvent("Provided Event must have fields: [" + string.Join(", ", required) + "]");
        return compiled.Matches(obj);
    }

    /// <summary>PutEvents: each entry checked on its own (a bad one fails alone), then sent to the rules it matches.</summary>
    /// <param name="traceHeader">The caller's X-Ray trace header, passed on to the targets so Lambda's recursive loop detection sees the chain.</param>
    public IReadOnlyList<EventEntryResult> PutEvents(Scope scope, IReadOnlyList<EventEntry> entries, string? traceHeader = null)
    {
        var results = new List<EventEntryResult>(entries.Count);
        foreach (var entry in entries)
        {
            var (@event, failure) = Envelope(scope, entry);
            if (@event is null) { results.Add(failure!); continue; }
            var bus = BusName(entry.EventBusName);
            if (bus != DefaultBus && _buses.Get(BusKey(scope, bus)) is null)
            {
                results.Add(new EventEntryResult(null, "ResourceNotFoundException", $"Event bus {bus} does not exist."));
                continue;
            }
            foreach (var rule in ListRules(scope, bus, null).Where(r => r.Enabled && r.EventPattern is not null && r.Targets.Count > 0))
                if (Pattern(rule.EventPattern!).Matches(@event)) _ = DeliverAsync(rule, @event, traceHeader);
            results.Add(new EventEntryResult(@event["id"]!.GetValue<string>(), null, null));
        }
        return results;
    }

    private (JsonObject? Event, EventEntryResult? Failure) Envelope(Scope scope, EventEntry entry)
    {
        static EventEntryResult Invalid(string member, string reason) => new(null, "InvalidArgument", $"Parameter {member} is not valid. Reason: {reason}");
        if (string.IsNullOrEmpty(entry.Source)) return (null, Invalid("Source", "Source is a required argument."));
        if (string.IsNullOrEmpty(entry.DetailType)) return (null, Invalid("DetailType", "DetailType is a required argument."));
        if (string.IsNullOrEmpty(entry.Detail)) return (null, Invalid("Detail", "Detail is a required argument."));
        var size = Encoding.UTF8.GetByteCount(entry.Detail) + Encoding.UTF8.GetByteCount(entry.Source) + Encoding.UTF8.GetByteCount(entry.DetailType)
            + entry.Resources.Sum(r => Encoding.UTF8.GetByteCount(r));
        if (size > MaxEntryBytes) return (null, new EventEntryResult(null, "EntrySizeLimitExceeded", "Total size of the entries in the request is over the limit."));
        JsonNode? detail;
        try { detail = JsonBody.ParseMember(entry.Detail, EventPattern.MaxDepth); }
        catch (JsonException) { return (null, Invalid("Detail", "Detail is malformed.")); }
        if (detail is not JsonObject) return (null, Invalid("Detail", "Detail is malformed."));
        return (ScheduledOrPut(scope, entry.Source, entry.DetailType, entry.Time ?? _clock.GetUtcNow(), entry.Resources, detail), null);
    }

    /// <summary>The envelope EventBridge delivers: version "0", a fresh id, the account and region, time to the second in UTC.</summary>
    private static JsonObject ScheduledOrPut(Scope scope, string source, string detailType, DateTimeOffset time, IEnumerable<string> resources, JsonNode detail) => new()
    {
        ["version"] = "0",
        ["id"] = Guid.NewGuid().ToString(),
        ["detail-type"] = detailType,
        ["source"] = source,
        ["account"] = scope.AccountId,
        ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["region"] = scope.Region,
        ["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)r)]),
        ["detail"] = detail,
    };

    // ---- schedules ----

    /// <summary>Every enabled schedule rule with its scope (the scheduler's view).</summary>
    public IEnumerable<(Scope Scope, EventRule Rule)> ScheduleRules() =>
        _rules.Entries.Where(e => e.Value.ScheduleExpression is not null && e.Value.Enabled).Select(e =>
        {
            var parts = e.Key.Split('\u001f');
            return (Scope.Of(parts[0], parts[1]), e.Value);
        });

    /// <summary>Records that a schedule rule fired (or a time passed while Stratus was down) at <paramref name="at"/>.</summary>
    public void MarkFired(Scope scope, EventRule rule, DateTimeOffset at) =>
        _rules.Update(RuleKey(scope, rule.EventBusName, rule.Name), r => r.ScheduleAnchor == rule.ScheduleAnchor ? r with { LastFired = at } : r);

    /// <summary>Sends the "Scheduled Event" AWS sends for a schedule rule's fire time to its targets.</summary>
    public Task FireScheduleAsync(Scope scope, EventRule rule, DateTimeOffset at) =>
        DeliverAsync(rule, ScheduledOrPut(scope, "aws.events", "Scheduled Event", at, [rule.Arn], new JsonObject()));

    private Task DeliverAsync(EventRule rule, JsonObject @event, string? traceHeader = null)
    {
        var parts = rule.Arn.Split(':');
        Count(rule, "MatchedEvents", 1, aggregateToo: true);
        Count(rule, "TriggeredRules", 1, aggregateToo: false);
        return Task.WhenAll(rule.Targets.Select(async target =>
        {
            Count(rule, "Invocations", 1, aggregateToo: true);
            try
            {
                var payload = Encoding.UTF8.GetBytes(TargetInput.Render(target, @event, rule));
                await _lambda.InvokeAsync(new LambdaInvokeRequest(parts[4], parts[3], target.Arn, null, payload, ServicePrincipal, rule.Arn, Asynchronous: true, TraceHeader: traceHeader),
                    CancellationToken.None);
            }
            catch (Exception e) when (e is AwsException or InvalidOperationException)
            {
                // A permanent failure: the event is not retried once the function refuses it, so AWS counts it in FailedInvocations.
                Count(rule, "FailedInvocations", 1, aggregateToo: false);
                _logger.LogWarning("Rule {Rule} could not invoke target {Target} ({Arn}): {Error}", rule.Arn, target.Id, target.Arn, e.Message);
            }
        }));
    }

    /// <summary>
    /// One AWS/Events count, sent only when something happened (EventBridge sends no zeros). A rule on the default
    /// bus has the dimension RuleName, one on a custom bus EventBusName and RuleName; the metrics AWS also reports
    /// without dimensions (Invocations, MatchedEvents) get that series too.
    /// </summary>
    private void Count(EventRule rule, string metric, double value, bool aggregateToo)
    {
        var parts = rule.Arn.Split(':');
        var (account, region, now) = (parts[4], parts[3], _clock.GetUtcNow());
        KeyValuePair<string, string>[] dimensions = rule.EventBusName == DefaultBus
            ? [KeyValuePair.Create("RuleName", rule.Name)]
            : [KeyValuePair.Create("EventBusName", rule.EventBusName), KeyValuePair.Create("RuleName", rule.Name)];
        _metrics.Publish(new MetricDatum(account, region, "AWS/Events", metric, dimensions, value, "Count", now));
        if (aggregateToo) _metrics.Publish(new MetricDatum(account, region, "AWS/Events", metric, [], value, "Count", now));
    }
}
