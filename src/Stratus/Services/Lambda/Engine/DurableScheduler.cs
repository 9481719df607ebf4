using System.Collections.Concurrent;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Invokes durable executions' functions when they are due: a wait's end, a step's retry, a callback's completion or
/// deadline, the execution timeout. The due times are in the executions' stored records, so a restart keeps every timer;
/// an invocation a restart cut off runs again. Each execution has at most one invocation at a time.
/// </summary>
public sealed class DurableScheduler : IAsyncDisposable
{
    private readonly LambdaService _lambda;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public DurableScheduler(LambdaService lambda, TimeProvider clock)
    {
        _lambda = lambda;
        _clock = clock;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Looks for due executions now rather than at the next tick (an execution started, a callback completed).</summary>
    public void Wake() => _wake.Release();

    private async Task RunAsync()
    {
        _lambda.ResumeInterruptedDurableExecutions();
        while (!_stop.IsCancellationRequested)
        {
            var now = _clock.GetUtcNow();
            foreach (var key in _lambda.DueDurableExecutions(now).ToList())
                if (_running.TryAdd(key, 0)) _ = RunOneAsync(key);
            _lambda.ForgetExpiredDurableExecutions(now);
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(250), _stop.Token);
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
            await _lambda.RunDurableAsync(key);
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
