using System.Collections.Concurrent;
using System.Text.Json;

namespace Stratus.Persistence;

/// <summary>
/// A service's resources of one kind: read from memory without locks, written through to the
/// <see cref="StateStore"/> before memory changes, so a failed write leaves both as they were.
/// Keys carry the scope (account, region) so one table serves every account.
/// </summary>
public sealed class ResourceTable<T> where T : class
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly ConcurrentDictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly StateStore _store;
    private readonly Lock _writeGate = new();

    public ResourceTable(StateStore store, string collection)
    {
        _store = store;
        Collection = collection;
        foreach (var (key, body) in store.Load(collection))
            if (JsonSerializer.Deserialize<T>(body, Json) is { } item) _items[key] = item;
    }

    public string Collection { get; }

    public static string Key(params string[] parts) => string.Join('\u001f', parts);

    public T? Get(string key) => _items.GetValueOrDefault(key);

    public IEnumerable<T> Values => _items.Values;

    public IEnumerable<KeyValuePair<string, T>> Entries => _items;

    public int Count => _items.Count;

    /// <summary>Adds the item unless the key is taken; false when it was.</summary>
    public bool TryAdd(string key, T item)
    {
        lock (_writeGate)
        {
            if (_items.ContainsKey(key)) return false;
            _store.Put(Collection, key, Serialize(item));
            _items[key] = item;
            return true;
        }
    }

    public void Put(string key, T item)
    {
        lock (_writeGate)
        {
            _store.Put(Collection, key, Serialize(item));
            _items[key] = item;
        }
    }

    /// <summary>Replaces the current item with what <paramref name="change"/> makes of it, atomically.</summary>
    public T? Update(string key, Func<T, T> change)
    {
        lock (_writeGate)
        {
            if (!_items.TryGetValue(key, out var current)) return null;
            var next = change(current);
            _store.Put(Collection, key, Serialize(next));
            _items[key] = next;
            return next;
        }
    }

    /// <summary>
    /// Stores what <paramref name="make"/> makes of the current item (null when there is none), atomically: a
    /// read-then-write that concurrent writers cannot interleave (two overwrites reading the same version).
    /// </summary>
    public T Upsert(string key, Func<T?, T> make)
    {
        lock (_writeGate)
        {
            var next = make(_items.GetValueOrDefault(key));
            _store.Put(Collection, key, Serialize(next));
            _items[key] = next;
            return next;
        }
    }

    public T? Remove(string key)
    {
        lock (_writeGate)
        {
            if (!_items.TryGetValue(key, out var current)) return null;
            _store.Delete(Collection, key);
            _items.TryRemove(key, out _);
            return current;
        }
    }

    public static string Serialize(T item) => JsonSerializer.Serialize(item, Json);
}
