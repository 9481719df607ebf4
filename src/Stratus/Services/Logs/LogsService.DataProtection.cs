using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine;
using Stratus.Services.Logs.Engine.DataProtection;

namespace Stratus.Services.Logs;

/// <summary>
/// Data protection policies: one per log group. As on AWS, a policy protects the events ingested while it is in force,
/// never those ingested before it: each event is masked wherever it leaves (GetLogEvents, FilterLogEvents, Insights,
/// GetLogRecord, metric filters, subscription filters, export tasks) by the policy that was in force when it was ingested, unless the caller asks to unmask it (and, under
/// --auth enforce, is allowed logs:Unmask). The event is stored as it came, so deleting a policy does not unmask what it
/// protected: a group keeps the spans of time its policies were in force (the newest <see cref="MaxPolicyPeriods"/>).
/// Audit findings go to the Audit statement's log group as events are ingested.
/// </summary>
public sealed partial class LogsService
{
    public const int MaxPolicyPeriods = 20;

    private readonly ResourceTable<StoredDataProtection> _dataProtection;
    private readonly ConcurrentDictionary<string, DataProtectionPolicy> _parsedPolicies = new(StringComparer.Ordinal);
    // Parsed policies are one instance per document, so a pair of them names one combination.
    private readonly ConcurrentDictionary<(DataProtectionPolicy Own, DataProtectionPolicy Account), DataProtectionPolicy> _combinedPolicies = new();

    public StoredDataProtection PutDataProtectionPolicy(Scope scope, string groupIdentifier, string document)
    {
        var policy = ParsePolicy(document);
        var group = Group(scope, groupIdentifier);
        if (policy.FindingsLogGroup is { } findings) Group(scope, findings);
        lock (_createGate) return StartProtection(GroupKey(group.AccountId, group.Region, group.Name), group.AccountId, group.Region, group.Name, document, NowMs);
    }

    /// <summary>Puts a policy in force from <paramref name="now"/>, closing the span of the one it replaces (a group's, or the account's).</summary>
    private StoredDataProtection StartProtection(string key, string accountId, string region, string groupName, string document, long now)
    {
        var periods = (_dataProtection.Get(key)?.Periods ?? []).Select(p => p.Until is null ? p with { Until = now } : p)
            .Append(new PolicyPeriod(document, now, null)).TakeLast(MaxPolicyPeriods).ToList();
        var stored = new StoredDataProtection(accountId, region, groupName, document, now, periods, Active: true);
        _dataProtection.Put(key, stored);
        return stored;
    }

    /// <summary>Ends the policy in force; its span of time stays, so what it protected stays masked.</summary>
    private void EndProtection(string key, long now)
    {
        if (_dataProtection.Get(key) is not { Active: true } stored) throw LogsErrors.DataProtectionPolicyNotFound();
        _dataProtection.Put(key, stored with
        {
            Active = false,
            LastUpdatedTime = now,
            Periods = stored.Periods.Select(p => p.Until is null ? p with { Until = now } : p).ToList(),
        });
    }

    /// <summary>
    /// Where the account-level data protection policy's spans of time are kept, beside the groups' own: under a group name no
    /// log group can have ('*' is outside the name pattern), so the masking code reads both alike.
    /// </summary>
    private static string AccountProtectionKey(string accountId, string region) => GroupKey(accountId, region, "*");

    /// <summary>The group's policy in force, or null when it has none.</summary>
    public StoredDataProtection? GetDataProtectionPolicy(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        return _dataProtection.Get(GroupKey(group.AccountId, group.Region, group.Name)) is { Active: true } stored ? stored : null;
    }

    public void DeleteDataProtectionPolicy(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        lock (_createGate) EndProtection(GroupKey(group.AccountId, group.Region, group.Name), NowMs);
    }

    /// <summary>DescribeLogGroups' dataProtectionStatus: ACTIVATED with a policy in force, DELETED after one was deleted, else none.</summary>
    public string? DataProtectionStatus(LogGroup group) => _dataProtection.Get(GroupKey(group.AccountId, group.Region, group.Name)) switch
    {
        { Active: true } => "ACTIVATED",
        { Active: false } => "DELETED",
        null => null,
    };

    /// <summary>The event as a reader sees it: masked by the policy in force when it was ingested, unless unmasked.</summary>
    private LogEvent Viewed(LogGroup group, LogEvent e, bool unmask)
    {
        if (unmask || ProtectionAt(group, e.IngestionTime) is not { } policy) return e;
        var masked = policy.Mask(e.Message);
        return ReferenceEquals(masked, e.Message) ? e : new LogEvent(e.Timestamp, masked, e.IngestionTime, e.Id);
    }

    /// <summary>A masking of the group's events by ingestion time, for a reader of many events (null when the group never had a policy).</summary>
    private Func<LogEvent, LogEvent>? Viewer(LogGroup group, bool unmask) =>
        unmask || (_dataProtection.Get(GroupKey(group.AccountId, group.Region, group.Name)) is null && _dataProtection.Get(AccountProtectionKey(group.AccountId, group.Region)) is null)
            ? null
            : e => Viewed(group, e, unmask: false);

    /// <summary>
    /// Newly stored events as they leave CloudWatch Logs, to metric filters and subscription filters: masked by the policy
    /// they were ingested under, as AWS masks sensitive data at every egress point (so a metric filter's pattern, like
    /// FilterLogEvents', matches the masked text). Masked only when the group has a filter or a Live Tail session to hand them to.
    /// </summary>
    private IReadOnlyList<LogEvent> Egress(LogGroup group, IReadOnlyList<LogEvent> stored) =>
        Viewer(group, unmask: false) is { } viewer && (FiltersOf(group).Any() || SubscriptionsOf(group).Concat(AccountSubscriptionsOf(group)).Any() || LiveTailWatches(group))
            ? stored.Select(viewer).ToList() : stored;

    /// <summary>
    /// What masked an event ingested at <paramref name="ingestionTime"/>: the group's policy then in force and the account's,
    /// together when both were (cumulative, as AWS documents: a value either one names is masked).
    /// </summary>
    private DataProtectionPolicy? ProtectionAt(LogGroup group, long ingestionTime)
    {
        var own = PolicyAt(GroupKey(group.AccountId, group.Region, group.Name), ingestionTime);
        var account = PolicyAt(AccountProtectionKey(group.AccountId, group.Region), ingestionTime);
        return own is null || account is null ? own ?? account : _combinedPolicies.GetOrAdd((own, account), p => DataProtectionPolicy.Combine(p.Own, p.Account));
    }

    private DataProtectionPolicy? PolicyAt(string key, long ingestionTime)
    {
        if (_dataProtection.Get(key) is not { } stored) return null;
        foreach (var period in stored.Periods)
            if (ingestionTime >= period.From && (period.Until is null || ingestionTime < period.Until))
                return _parsedPolicies.GetOrAdd(period.Document, ParsePolicy);
        return null;
    }

    /// <summary>
    /// Audits newly stored events under the policy in force: each event with sensitive values adds one finding to the
    /// Audit statement's log group (a stream named after the audited group), through the same path services write logs by.
    /// </summary>
    private void Audit(LogGroup group, string streamName, IReadOnlyList<LogEvent> stored)
    {
        if (stored.Count == 0 || ProtectionAt(group, stored[0].IngestionTime) is not { FindingsLogGroup: { } findings } policy)
            return;
        if (_groups.Get(GroupKey(group.AccountId, group.Region, findings)) is null) return;
        var lines = new List<LogLine>();
        foreach (var e in stored)
        {
            var detections = policy.Detect(e.Message);
            if (detections.Count == 0) continue;
            var finding = new JsonObject
            {
                ["auditTimestamp"] = DateTimeOffset.FromUnixTimeMilliseconds(e.IngestionTime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["resourceArn"] = group.Arn,
                ["dataProtectionPolicyName"] = policy.Name,
                ["logStreamName"] = streamName,
                ["eventTimestamp"] = e.Timestamp,
                ["dataIdentifiers"] = new JsonArray(detections.GroupBy(d => d.Identifier).Select(g => (JsonNode)new JsonObject
                {
                    ["name"] = g.Key,
                    ["count"] = g.Count(),
                    ["detections"] = new JsonArray(g.Select(d => (JsonNode)new JsonObject { ["start"] = d.Start, ["end"] = d.Start + d.Length - 1 }).ToArray()),
                }).ToArray()),
            };
            lines.Add(new LogLine(DateTimeOffset.FromUnixTimeMilliseconds(e.IngestionTime), finding.ToJsonString()));
        }
        if (lines.Count > 0) Append(group.AccountId, group.Region, findings, group.Name.TrimStart('/').Replace('*', '_').Replace(':', '_') is { Length: > 0 } s ? s : "audit", lines);
    }

    private static DataProtectionPolicy ParsePolicy(string document)
    {
        try
        {
            return DataProtectionPolicy.Parse(document);
        }
        catch (DataProtectionPolicyException error)
        {
            throw LogsErrors.InvalidParameter(error.Message);
        }
    }

    private void DeleteDataProtectionOf(LogGroup group) => _dataProtection.Remove(GroupKey(group.AccountId, group.Region, group.Name));
}
