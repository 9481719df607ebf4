using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine;
using Stratus.Services.Logs.Engine.DataProtection;

namespace Stratus.Services.Logs;

/// <summary>
/// Data protection policies: one per log group. As on AWS, a policy protects the events ingested while it is in force,
/// never those ingested before it: each event is masked when it is read (GetLogEvents, FilterLogEvents, Insights,
/// GetLogRecord) by the policy that was in force when it was ingested, unless the caller asks to unmask it (and, under
/// --auth enforce, is allowed logs:Unmask). The event is stored as it came, so deleting a policy does not unmask what it
/// protected: a group keeps the spans of time its policies were in force (the newest <see cref="MaxPolicyPeriods"/>).
/// Audit findings go to the Audit statement's log group as events are ingested.
/// </summary>
public sealed partial class LogsService
{
    public const int MaxPolicyPeriods = 20;

    private readonly ResourceTable<StoredDataProtection> _dataProtection;
    private readonly ConcurrentDictionary<string, DataProtectionPolicy> _parsedPolicies = new(StringComparer.Ordinal);

    public StoredDataProtection PutDataProtectionPolicy(Scope scope, string groupIdentifier, string document)
    {
        var policy = ParsePolicy(document);
        var group = Group(scope, groupIdentifier);
        if (policy.FindingsLogGroup is { } findings) Group(scope, findings);
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        var now = NowMs;
        lock (_createGate)
        {
            var periods = (_dataProtection.Get(key)?.Periods ?? []).Select(p => p.Until is null ? p with { Until = now } : p)
                .Append(new PolicyPeriod(document, now, null)).TakeLast(MaxPolicyPeriods).ToList();
            var stored = new StoredDataProtection(group.AccountId, group.Region, group.Name, document, now, periods, Active: true);
            _dataProtection.Put(key, stored);
            return stored;
        }
    }

    /// <summary>The group's policy in force, or null when it has none.</summary>
    public StoredDataProtection? GetDataProtectionPolicy(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        return _dataProtection.Get(GroupKey(group.AccountId, group.Region, group.Name)) is { Active: true } stored ? stored : null;
    }

    public void DeleteDataProtectionPolicy(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        var now = NowMs;
        lock (_createGate)
        {
            if (_dataProtection.Get(key) is not { Active: true } stored) throw LogsErrors.DataProtectionPolicyNotFound();
            _dataProtection.Put(key, stored with
            {
                Active = false,
                LastUpdatedTime = now,
                Periods = stored.Periods.Select(p => p.Until is null ? p with { Until = now } : p).ToList(),
            });
        }
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
        if (unmask || ProtectionAt(GroupKey(group.AccountId, group.Region, group.Name), e.IngestionTime) is not { } policy) return e;
        var masked = policy.Mask(e.Message);
        return ReferenceEquals(masked, e.Message) ? e : new LogEvent(e.Timestamp, masked, e.IngestionTime, e.Id);
    }

    /// <summary>A masking of the group's events by ingestion time, for a reader of many events (null when the group never had a policy).</summary>
    private Func<LogEvent, LogEvent>? Viewer(LogGroup group, bool unmask) =>
        unmask || _dataProtection.Get(GroupKey(group.AccountId, group.Region, group.Name)) is null ? null : e => Viewed(group, e, unmask: false);

    private DataProtectionPolicy? ProtectionAt(string groupKey, long ingestionTime)
    {
        if (_dataProtection.Get(groupKey) is not { } stored) return null;
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
        if (stored.Count == 0 || ProtectionAt(GroupKey(group.AccountId, group.Region, group.Name), stored[0].IngestionTime) is not { FindingsLogGroup: { } findings } policy)
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
