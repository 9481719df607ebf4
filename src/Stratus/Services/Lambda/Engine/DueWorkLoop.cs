using System.Collections.Concurrent;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Runs work that has come due, by key: every tick (or at once when woken) it asks which keys are due and runs each one
/// not already running, so one key never runs twice at a time. What is due lives in the caller's stored records, not
/// here, so a restart loses nothing. Lambda's Event queue and its durable execution scheduler both run on it.
/// </summary>
public sealed class DueWorkLoop : IAsyncDisposable
{
    private readonly TimeProvider _clock;
    private readonly TimeSpan _tick;
    private readonly Func<DateTimeOffset, IEnumerable<string>> _due;
    private readonly Func<string, Task> _run;
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="due">The keys due at the given time (asked once a tick; may tidy the caller's records as it goes).</param>
    /// <param name="run">Runs one due key; the key may be due again once this ends.</param>
    public DueWorkLoop(TimeProvider clock, TimeSpan tick, Func<DateTimeOffset, IEnumerable<string>> due, Func<string, Task> run)
    {
        _clock = clock;
        _tick = tick;
        _due = due;
        _run = run;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Looks for due work now rather than at the next tick (work was added or came due early).</summary>
    public void Wake() => _wake.Release();

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var key in _due(_clock.GetUtcNow()).ToList())
                if (_running.TryAdd(key, 0)) _ = RunOneAsync(key);
            try
            {
                await _wake.WaitAsync(_tick, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
