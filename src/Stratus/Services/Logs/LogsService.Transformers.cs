using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine.Transformers;

namespace Stratus.Services.Logs;

/// <summary>
/// Log transformers (PutTransformer and its siblings): one per log group (else an account transformer policy's), applied as events are ingested, so the
/// transformed event is what the group stores and what GetLogEvents, FilterLogEvents, Insights, metric filters and
/// subscription filters see, as AWS's transformers are applied at ingestion. An event the transformer cannot transform is
/// stored as it came.
/// </summary>
public sealed partial class LogsService
{
    private readonly ResourceTable<StoredTransformer> _transformers;
    // Parsed once per configuration: ingestion applies them on every batch.
    private readonly ConcurrentDictionary<string, (string Config, LogTransformer Transformer)> _parsedTransformers = new(StringComparer.Ordinal);

    public void PutTransformer(Scope scope, string groupIdentifier, JsonArray config)
    {
        ParseTransformer(config);
        var group = Group(scope, groupIdentifier);
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        var now = NowMs;
        var text = config.ToJsonString();
        lock (_createGate)
        {
            var existing = _transformers.Get(key);
            _transformers.Put(key, new StoredTransformer(group.AccountId, group.Region, group.Name, text, existing?.CreationTime ?? now, now));
        }
    }

    public StoredTransformer GetTransformer(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        return _transformers.Get(GroupKey(group.AccountId, group.Region, group.Name)) ?? throw LogsErrors.TransformerNotFound();
    }

    public void DeleteTransformer(Scope scope, string groupIdentifier)
    {
        var group = Group(scope, groupIdentifier);
        if (_transformers.Remove(GroupKey(group.AccountId, group.Region, group.Name)) is null) throw LogsErrors.TransformerNotFound();
    }

    /// <summary>TestTransformer: each message through the configuration, 1-based; null for a message it could not transform.</summary>
    public IReadOnlyList<(int Number, string Message, string? Transformed)> TestTransformer(Scope scope, JsonArray config, IReadOnlyList<string> messages)
    {
        var transformer = ParseTransformer(config);
        var context = new TransformContext(scope.AccountId, scope.Region, "", "");
        return messages.Select((m, i) => (i + 1, m, transformer.Apply(m, context))).ToList();
    }

    private static LogTransformer ParseTransformer(JsonArray config)
    {
        try
        {
            return LogTransformer.Parse(config);
        }
        catch (TransformerConfigException error)
        {
            throw LogsErrors.InvalidParameter(error.Message);
        }
    }

    /// <summary>
    /// The events as the group's transformer leaves them (as they came without one). A transformed event over an event's size
    /// limit is stored as it came, as one the transformer could not transform.
    /// </summary>
    private IReadOnlyList<(long Timestamp, string Message)> Transformed(LogGroup group, string streamName, IReadOnlyList<(long Timestamp, string Message)> events)
    {
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        if (TransformerConfigFor(group) is not { } config) return events;
        var parsed = _parsedTransformers.GetValueOrDefault(key);
        if (parsed.Config != config)
            _parsedTransformers[key] = parsed = (config, LogTransformer.Parse(JsonNode.Parse(config)!.AsArray()));
        var context = new TransformContext(group.AccountId, group.Region, group.Name, streamName);
        return events.Select(e => parsed.Transformer.Apply(e.Message, context) is { } transformed && Encoding.UTF8.GetByteCount(transformed) + 26 <= MaxEventBytes
            ? (e.Timestamp, transformed)
            : e).ToList();
    }

    private void DeleteTransformerOf(LogGroup group) => _transformers.Remove(GroupKey(group.AccountId, group.Region, group.Name));
}
