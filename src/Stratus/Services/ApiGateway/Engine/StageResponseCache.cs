using System.Collections.Concurrent;
using System.Globalization;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The stages' caches (cacheClusterEnabled): each stage's integration responses, by cache key, for the method's TTL, in an LRU
/// bounded in bytes by the stage's cacheClusterSize (0.5 GB ... 237 GB), as API Gateway's dedicated cache instance is. Changing
/// the size, disabling the cache or deleting the stage drops everything cached, as AWS recreates the instance; FlushStageCache empties it.
/// </summary>
public sealed class StageResponseCache(TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string ApiId, string Stage), Instance> _instances = new();

    /// <summary>The bytes a cache of cacheClusterSize gigabytes holds (the size AWS sells it by).</summary>
    public static long CapacityBytes(string? cacheClusterSize) =>
        (long)(double.Parse(cacheClusterSize ?? DefaultSize, CultureInfo.InvariantCulture) * 1024 * 1024 * 1024);

    /// <summary>The size AWS gives a cache enabled without one.</summary>
    public const string DefaultSize = "0.5";

    public GatewayResponse? Find(string apiId, string stage, string? cacheClusterSize, string key) =>
        InstanceFor(apiId, stage, cacheClusterSize).Find(key, clock.GetUtcNow());

    public void Store(string apiId, string stage, string? cacheClusterSize, string key, GatewayResponse response, int ttlSeconds) =>
        InstanceFor(apiId, stage, cacheClusterSize).Store(key, response, clock.GetUtcNow().AddSeconds(ttlSeconds));

    /// <summary>Drops the stage's whole cache (FlushStageCache, a disabled cache, a deleted stage).</summary>
    public void Flush(string apiId, string stage) => _instances.TryRemove((apiId, stage), out _);

    /// <summary>How many responses the stage's cache holds (0 when it has no instance).</summary>
    public int Count(string apiId, string stage) => _instances.TryGetValue((apiId, stage), out var instance) ? instance.Count : 0;

    private Instance InstanceFor(string apiId, string stage, string? cacheClusterSize)
    {
        var capacity = CapacityBytes(cacheClusterSize);
        // The request path's case: the instance exists at this size (no closure, no allocation).
        if (_instances.TryGetValue((apiId, stage), out var current) && current.Capacity == capacity) return current;
        // A new size is a new cache instance, empty, as AWS's resize is.
        return _instances.AddOrUpdate((apiId, stage), static (_, capacity) => new Instance(capacity),
            static (_, existing, capacity) => existing.Capacity == capacity ? existing : new Instance(capacity), capacity);
    }

    private sealed class Instance(long capacity)
    {
        private sealed record Entry(string Key, GatewayResponse Response, DateTimeOffset Expires, long Bytes);

        private readonly Lock _gate = new();
        private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
        // Most recently used first; eviction takes from the end.
        private readonly LinkedList<Entry> _recency = new();
        private long _bytes;

        public long Capacity { get; } = capacity;

        public int Count
        {
            get
            {
                lock (_gate) return _entries.Count;
            }
        }

        public GatewayResponse? Find(string key, DateTimeOffset now)
        {
            lock (_gate)
            {
                if (!_entries.TryGetValue(key, out var node)) return null;
                if (node.Value.Expires <= now)
                {
                    Remove(node);
                    return null;
                }
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Response;
            }
        }

        public void Store(string key, GatewayResponse response, DateTimeOffset expires)
        {
            var bytes = SizeOf(key, response);
            // A response larger than the whole cache is served but never cached.
            if (bytes > Capacity) return;
            lock (_gate)
            {
                if (_entries.TryGetValue(key, out var existing)) Remove(existing);
                while (_bytes + bytes > Capacity && _recency.Last is { } oldest) Remove(oldest);
                var node = _recency.AddFirst(new Entry(key, response, expires, bytes));
                _entries[key] = node;
                _bytes += bytes;
            }
        }

        private void Remove(LinkedListNode<Entry> node)
        {
            _recency.Remove(node);
            _entries.Remove(node.Value.Key);
            _bytes -= node.Value.Bytes;
        }

        private static long SizeOf(string key, GatewayResponse response) =>
            key.Length * 2L + response.Body.Length + response.Headers.Sum(h => (h.Key.Length + h.Value.Length) * 2L);
    }
}
