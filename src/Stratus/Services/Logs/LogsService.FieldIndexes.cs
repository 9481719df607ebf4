using System.Collections.Concurrent;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Services.Logs;

/// <summary>
/// Field index policies (PutIndexPolicy, or an account FIELD_INDEX_POLICY for groups without their own, which a group's
/// own policy overrides, as AWS documents) and the indexes behind them (<see cref="StreamFieldIndex"/>). Insights' filterIndex
/// asks them which events can hold a value: a group not indexed on the field is skipped, as are a stream without the value
/// and every other event (never masked, parsed or evaluated), and only events ingested once the field was indexed count,
/// as on AWS. Indexes are derived from the stored events, brought up to date when a query or DescribeFieldIndexes needs
/// them, so they cost ingestion nothing and a restart rebuilds them.
/// </summary>
public sealed partial class LogsService
{
    private readonly ResourceTable<StoredIndexPolicy> _indexPolicies;
    private readonly ConcurrentDictionary<string, StreamFieldIndex> _fieldIndexes = new(StringComparer.Ordinal);

    public StoredIndexPolicy PutIndexPolicy(Scope scope, string groupIdentifier, string document)
    {
        var fields = ParseIndexFields(document);
        var group = Group(scope, groupIdentifier);
        if (group.LogGroupClass != LogGroupClasses.Standard)
            throw LogsErrors.InvalidParameter("Only log groups in the STANDARD log class support field index policies.");
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        var now = NowMs;
        lock (_createGate)
        {
            var policy = new StoredIndexPolicy(group.AccountId, group.Region, group.Name, document, now, FieldsSince(fields, _indexPolicies.Get(key)?.FieldsSince, now));
            _indexPolicies.Put(key, policy);
            return policy;
        }
    }

    public void DeleteIndexPolicy(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        if (_indexPolicies.Remove(GroupKey(group.AccountId, group.Region, group.Name)) is null) throw LogsErrors.IndexPolicyNotFound();
    }

    /// <summary>The policy that indexes the group: its own (source LOG_GROUP), else the account's that selects it (ACCOUNT, with its name).</summary>
    public IReadOnlyList<(string GroupArn, long LastUpdateTime, string Document, string? PolicyName, string Source)> DescribeIndexPolicies(Scope scope, IReadOnlyList<string> groupIdentifiers)
    {
        var group = Group(scope, groupIdentifiers[0]);
        var arn = $"arn:aws:logs:{group.Region}:{group.AccountId}:log-group:{group.Name}";
        if (_indexPolicies.Get(GroupKey(group.AccountId, group.Region, group.Name)) is { } own) return [(arn, own.LastUpdateTime, own.Document, null, "LOG_GROUP")];
        return AccountPolicyFor(group, AccountPolicyTypes.FieldIndex) is { } account ? [(arn, account.LastUpdatedTime, account.PolicyDocument, account.PolicyName, "ACCOUNT")] : [];
    }

    /// <summary>
    /// Each group's indexed fields with the first and last event times the index saw each in (none for a field no indexed event
    /// carried yet); the indexes are brought up to date first, so lastScanTime is now.
    /// </summary>
    public IReadOnlyList<(string GroupArn, string Field, long LastScanTime, long? FirstEventTime, long? LastEventTime)> DescribeFieldIndexes(Scope scope, IReadOnlyList<string> groupIdentifiers)
    {
        var now = NowMs;
        var result = new List<(string, string, long, long?, long?)>();
        foreach (var group in groupIdentifiers.Select(g => Group(scope, g)).DistinctBy(g => g.Name))
        {
            if (IndexedFields(group) is not { } fieldsSince) continue;
            var seen = StreamsOf(group).SelectMany(s => UpToDateIndex(group, s, fieldsSince).Seen()).ToList();
            foreach (var field in fieldsSince.Keys.Order(StringComparer.Ordinal))
            {
                var times = seen.Where(s => s.Field == field).ToList();
                result.Add(($"arn:aws:logs:{group.Region}:{group.AccountId}:log-group:{group.Name}", field, now,
                    times.Min(t => t.FirstEventTime), times.Max(t => t.LastEventTime)));
            }
        }
        return result;
    }

    /// <summary>ListLogGroups' fieldIndexNames: whether the group is indexed on any of the fields.</summary>
    public bool IsIndexedOn(LogGroup group, IReadOnlyList<string> fields) => IndexedFields(group) is { } indexed && fields.Any(indexed.ContainsKey);

    /// <summary>The fields the group is indexed on, each with since when: by its own policy, else by the account's that selects it.</summary>
    private IReadOnlyDictionary<string, long>? IndexedFields(LogGroup group) =>
        _indexPolicies.Get(GroupKey(group.AccountId, group.Region, group.Name))?.FieldsSince ?? AccountPolicyFor(group, AccountPolicyTypes.FieldIndex)?.FieldsSince;

    /// <summary>
    /// The events of a stream a query's filterIndex lookups leave to read: null to read them all (no lookups), empty to skip
    /// the stream (its group is not indexed on a lookup's field, or no indexed event holds its values).
    /// </summary>
    private IReadOnlySet<long>? IndexCandidates(LogGroup group, LogStream stream, IReadOnlyList<IndexLookup> lookups)
    {
        if (lookups.Count == 0) return null;
        if (IndexedFields(group) is not { } fieldsSince || lookups.Any(l => !fieldsSince.ContainsKey(l.Field))) return new HashSet<long>();
        var index = UpToDateIndex(group, stream, fieldsSince);
        HashSet<long>? candidates = null;
        foreach (var lookup in lookups)
        {
            var found = index.Candidates(lookup.Field, lookup.Values)!;
            if (candidates is null) candidates = [.. found];
            else candidates.IntersectWith(found);
        }
        return candidates;
    }

    /// <summary>The stream's index for these fields, with the events ingested since it was last brought up to date added (as Insights reads them, masked).</summary>
    private StreamFieldIndex UpToDateIndex(LogGroup group, LogStream stream, IReadOnlyDictionary<string, long> fieldsSince)
    {
        var key = StreamKey(stream);
        var index = _fieldIndexes.AddOrUpdate(key, _ => new StreamFieldIndex(fieldsSince),
            (_, existing) => SameFields(existing.FieldsSince, fieldsSince) ? existing : new StreamFieldIndex(fieldsSince));
        lock (index)
        {
            // Ids grow with ingestion and a stream's events get theirs under its lock, which the snapshot is taken under: every
            // event not yet indexed has an id above the newest one indexed.
            var from = index.ScannedThroughId;
            var viewer = Viewer(group, unmask: false);
            foreach (var e in _events.Events(key))
                if (e.Id > from) index.Add(viewer is null ? e : viewer(e));
        }
        return index;
    }

    private static bool SameFields(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Count == b.Count && a.All(f => b.TryGetValue(f.Key, out var since) && since == f.Value);

    /// <summary>Since when each field is indexed: a field the previous policy already had keeps its time, a new one starts now.</summary>
    private static Dictionary<string, long> FieldsSince(IReadOnlyList<string> fields, Dictionary<string, long>? previous, long now) =>
        fields.ToDictionary(f => f, f => previous?.GetValueOrDefault(f) is { } since and > 0 ? since : now, StringComparer.Ordinal);

    private static IReadOnlyList<string> ParseIndexFields(string document)
    {
        try
        {
            return FieldIndexPolicy.Fields(document);
        }
        catch (FieldIndexPolicyException error)
        {
            throw LogsErrors.InvalidParameter(error.Message);
        }
    }

    private void DeleteIndexPolicyOf(LogGroup group)
    {
        _indexPolicies.Remove(GroupKey(group.AccountId, group.Region, group.Name));
        foreach (var stream in StreamsOf(group)) _fieldIndexes.TryRemove(StreamKey(stream), out _);
    }
}
