using System.Collections.Concurrent;
using Stratus.Persistence;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Asynchronous (Event) invocations: persisted before Invoke answers 202, run in the background, retried after a
/// function error with a growing delay as AWS does (twice, or the event invoke config's MaximumRetryAttempts),
/// dropped once older than its MaximumEventAgeInSeconds, reported to the config's destinations, and picked up again after a restart.
/// </summary>
public sealed class EventQueue : IAsyncDisposable
{
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

    public void Enqueue(string accountId, string region, string functionName, string? qualifier, ReadOnlyMemory<byte> payload, string requestId, string? traceHeader)
    {
        var now = _clock.GetUtcNow();
        var queued = new QueuedEvent
        {
            RequestId = requestId,
            Accepted = now,
            Id = Guid.NewGuid().ToString(),
            AccountId = accountId,
            Region = region,
            FunctionName = functionName,
            Qualifier = qualifier,
            PayloadBase64 = Convert.ToBase64String(payload.Span),
            NotBefore = now,
            TraceHeader = traceHeader,
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
                if (_running.TryAdd(queued.Id, 0)) _ = RunOneAsync(queued.Id);
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

    private async Task RunOneAsync(string id)
    {
        try
        {
            // The snapshot the loop took may predate this event's end (removed, then released from _running) or its
            // rescheduling for a retry: only the event as it is now, if still due, may run, so none runs twice.
            if (_events.Get(id) is not { } queued || queued.NotBefore > _clock.GetUtcNow()) return;
            var (maxRetries, maxAge) = _lambda.AsyncLimits(queued);
            // Events queued before the acceptance time was kept count from their first schedule.
            var accepted = queued.Accepted == default ? queued.NotBefore : queued.Accepted;
            if (_clock.GetUtcNow() - accepted > maxAge)
            {
                _events.Remove(queued.Id);
                _lambda.Report(queued, AsyncCondition.EventAgeExceeded, null);
                return;
            }
            var (outcome, response) = await _lambda.RunQueuedAsync(queued);
            switch (outcome)
            {
                case QueuedOutcome.Throttled or QueuedOutcome.SystemError:
                    // As on AWS, a throttled event waits for capacity, and one a system error (5xx) stopped waits for it to
                    // pass, without using up its retries, until its maximum age.
                    _events.Update(queued.Id, e => e with { NotBefore = _clock.GetUtcNow() + _settings.EventRetryDelay });
                    break;
                case QueuedOutcome.FunctionError when queued.Attempts < maxRetries:
                    var attempts = queued.Attempts + 1;
                    var delay = _settings.EventRetryDelay * Math.Pow(2, attempts - 1);
                    _events.Update(queued.Id, e => e with { Attempts = attempts, NotBefore = _clock.GetUtcNow() + delay });
                    break;
                case QueuedOutcome.FunctionError:
                    _events.Remove(queued.Id);
                    _lambda.Report(queued, AsyncCondition.RetriesExhausted, response);
                    break;
                case QueuedOutcome.Succeeded:
                    _events.Remove(queued.Id);
                    _lambda.Report(queued, AsyncCondition.Success, response);
                    break;
                case QueuedOutcome.RecursionStopped:
                    // As on AWS, a stopped event goes to the OnFailure destination, without retries: the function never ran.
                    _events.Remove(queued.Id);
                    _lambda.Report(queued, AsyncCondition.RecursiveInvocationException, null);
                    break;
                default:
                    _events.Remove(queued.Id);
                    break;
            }
        }
        finally
        {
            _running.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
