using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.Logs.Engine.Insights;
using Stratus.Protocols.Json;

namespace Stratus.Services.Logs.Engine;

/// <summary>A field index policy document outside the grammar; the message says what (Stratus's wording where AWS publishes none).</summary>
public sealed class FieldIndexPolicyException(string message) : Exception(message);

/// <summary>
/// A field index policy document as PutIndexPolicy documents it: <c>{"Fields": ["RequestId", "TransactionId"]}</c>, up to
/// <see cref="MaxFields"/> field names of up to <see cref="MaxFieldLength"/> characters, matched case-sensitively.
/// </summary>
public static class FieldIndexPolicy
{
    public const int MaxFields = 20;
    public const int MaxFieldLength = 100;

    public static IReadOnlyList<string> Fields(string document)
    {
        JsonObject root;
        try
        {
            root = JsonBody.ParseMember(document, 8) as JsonObject
                ?? throw new FieldIndexPolicyException("The policy document must be a JSON object.");
        }
        catch (JsonException)
        {
            throw new FieldIndexPolicyException("The policy document is not valid JSON.");
        }
        if (root.Select(p => p.Key).FirstOrDefault(k => k != "Fields") is { } other)
            throw new FieldIndexPolicyException($"The policy document has an element Stratus does not read: {other}. A field index policy lists its fields under Fields (facets are not built).");
        if (root["Fields"] is not JsonArray list || list.Count == 0 || list.Any(f => f is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
            throw new FieldIndexPolicyException("The policy document must list the fields to index as strings under Fields.");
        var fields = list.Select(f => (string)f!).Distinct(StringComparer.Ordinal).ToList();
        if (fields.Count > MaxFields) throw new FieldIndexPolicyException($"A field index policy can include at most {MaxFields} fields.");
        if (fields.FirstOrDefault(f => f.Length is 0 or > MaxFieldLength) is { } bad)
            throw new FieldIndexPolicyException($"A field name can have 1 to {MaxFieldLength} characters: {bad}");
        return fields;
    }
}

/// <summary>
/// One stream's field index: for each indexed field, the events (by id) that carried each value, and the first and last
/// event times it saw the field. Events are indexed as Insights reads them (masked by data protection) and only those
/// ingested once their field was in the policy, as AWS indexes from the policy's creation on. Built lazily from the store:
/// <see cref="ScannedThroughId"/> is the newest event indexed (ids grow with ingestion), so a query indexes only what was
/// ingested since the last one, and a restart rebuilds it from the events.
/// </summary>
public sealed class StreamFieldIndex(IReadOnlyDictionary<string, long> fieldsSince)
{
    private readonly Dictionary<string, FieldEntries> _fields = fieldsSince.Keys.ToDictionary(f => f, _ => new FieldEntries(), StringComparer.Ordinal);

    /// <summary>The policy's fields and since when each is indexed: an index made for other fields is rebuilt.</summary>
    public IReadOnlyDictionary<string, long> FieldsSince { get; } = fieldsSince;

    public long ScannedThroughId { get; private set; }

    public void Add(LogEvent viewed)
    {
        ScannedThroughId = Math.Max(ScannedThroughId, viewed.Id);
        Dictionary<string, object?>? json = null;
        foreach (var (field, entries) in _fields)
        {
            if (viewed.IngestionTime < FieldsSince[field]) continue;
            json ??= DiscoveredFields.Of(viewed.Message);
            if (json.GetValueOrDefault(field) is not { } value) continue;
            foreach (var key in InsightsEvaluator.EqualityKeys(value))
            {
                if (!entries.Events.TryGetValue(key, out var ids)) entries.Events[key] = ids = [];
                ids.Add(viewed.Id);
            }
            entries.FirstEventTime = Math.Min(entries.FirstEventTime ?? long.MaxValue, viewed.Timestamp);
            entries.LastEventTime = Math.Max(entries.LastEventTime ?? long.MinValue, viewed.Timestamp);
        }
    }

    /// <summary>
    /// The events whose field holds one of the values (compared as Insights' = compares them), or null when the field is not
    /// indexed here. An event not among them cannot match <c>field = value</c> or <c>field in [values]</c>.
    /// </summary>
    public IReadOnlySet<long>? Candidates(string field, IReadOnlyList<object> values)
    {
        if (!_fields.TryGetValue(field, out var entries)) return null;
        var ids = new HashSet<long>();
        foreach (var key in values.SelectMany(InsightsEvaluator.EqualityKeys))
            if (entries.Events.TryGetValue(key, out var found)) ids.UnionWith(found);
        return ids;
    }

    /// <summary>The first and last event times the index saw each field in (none for a field no event carried yet).</summary>
    public IEnumerable<(string Field, long? FirstEventTime, long? LastEventTime)> Seen() =>
        _fields.Select(f => (f.Key, f.Value.FirstEventTime, f.Value.LastEventTime));

    private sealed class FieldEntries
    {
        public Dictionary<string, HashSet<long>> Events { get; } = new(StringComparer.Ordinal);
        public long? FirstEventTime { get; set; }
        public long? LastEventTime { get; set; }
    }
}
