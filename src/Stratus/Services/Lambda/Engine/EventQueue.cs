using System.Collections.Concurrent;
using Stratus.Persistence;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Asynchronous (Event) invocations: persisted before Invoke answers 202, run in the background, retried
/// twice after a function error with a growing delay as AWS does, and picked up again after a restart.
/// </summary>
public sealed class EventQueue : IAsyncDisposable
{
    private const int MaxAttempts = 3;
    private readonly LambdaService _lambda;
    private readonly ResourceTable<QueuedEvent> _events;
    private readonly TimeProvider _clock;
    private readonly LambdaSettings _settings;
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public EventQueue(LambdaService lambda, ResourceTable<QueuedEvent> events, TimeProvider clock, LambdaSettings settings)
    {
        _lambda = lambda;
        _events = events;
        _clock = clock;
        _settings = settings;
        _loop = Task.Run(RunAsync);
    }

    public void Enqueue(string accountId, string region, string functionName, string? qualifier, ReadOnlyMemory<byte> payload)
    {
        var queued = new QueuedEvent
        {
            Id = Guid.NewGuid().ToString(),
            AccountId = accountId,
            Region = region,
            FunctionName = functionName,
            Qualifier = qualifier,
            PayloadBase64 = Convert.ToBase64String(payload.Span),
            NotBefore = _clock.GetUtcNow(),
        };
        _events.Put(queued.Id, queued);
        _wake.Release();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = _clock.GetUtcNow();
            foreach (var queued in _events.Values.Where(e => e.NotBefore <= now).ToList())
                if (_running.TryAdd(queued.Id, 0)) _ = RunOneAsync(queued);
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(500), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunOneAsync(QueuedEvent queued)
    {
        try
        {
            switch (await _lambda.RunQueuedAsync(queued))
            {
                case QueuedOutcome.Throttled:
                    // As on AWS, a throttled event waits for capacity without using up its retries.
                    _events.Update(queued.Id, e => e with { NotBefore = _clock.GetUtcNow() + _settings.EventRetryDelay });
                    break;
                case QueuedOutcome.FunctionError when queued.Attempts + 1 < MaxAttempts:
                    var attempts = queued.Attempts + 1;
                    var delay = _settings.EventRetryDelay * Math.Pow(2, attempts - 1);
                    _events.Update(queued.Id, e => e with { Attempts = attempts, NotBefore = _clock.GetUtcNow() + delay });
                    break;
                default:
                    _events.Remove(queued.Id);
                    break;
            }
        }
        finally
        {
            _running.TryRemove(queued.Id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
