using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Runs work that has come due, by key, on a <see cref="DueWorkLoop"/> that looks every tick (or at once when woken): each
/// due key not already running starts, so one key never runs twice at a time. What is due lives in the caller's stored
/// records, not here, so a restart loses nothing. Lambda's Event queue and its durable execution scheduler both run on it.
/// </summary>
public sealed class DueKeyRunner : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly Func<string, Task> _run;
    private readonly DueWorkLoop _loop;

    /// <param name="due">The keys due at the given time (asked once a tick; may tidy the caller's records as it goes).</param>
    /// <param name="run">Runs one due key; the key may be due again once this ends.</param>
    public DueKeyRunner(string name, TimeProvider clock, TimeSpan tick, Func<DateTimeOffset, IEnumerable<string>> due, Func<string, Task> run)
    {
        _run = run;
        _loop = new DueWorkLoop(name, now =>
        {
            foreach (var key in due(now).ToList())
                if (_running.TryAdd(key, 0)) _ = RunOneAsync(key);
            return Task.FromResult<DateTimeOffset?>(now + tick);
        }, clock, NullLogger.Instance);
        _loop.Start();
    }

    /// <summary>Looks for due work now rather than at the next tick (work was added or came due early).</summary>
    public void Wake() => _loop.Wake();

    private async Task RunOneAsync(string key)
    {
        try
        {
            await _run(key);
        }
        finally
        {
            _running.TryRemove(key, out _);
        }
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
