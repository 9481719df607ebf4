using Stratus.Persistence;

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
    private readonly DueKeyRunner _loop;

    public EventQueue(LambdaService lambda, ResourceTable<QueuedEvent> events, TimeProvider clock, LambdaSettings settings)
    {
        _lambda = lambda;
        _events = events;
        _clock = clock;
        _settings = settings;
        _loop = new DueKeyRunner("The Event queue", clock, TimeSpan.FromMilliseconds(500), now => _events.Values.Where(e => e.NotBefore <= now).Select(e => e.Id), RunOneAsync);
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
        _loop.Wake();
    }

    private async Task RunOneAsync(string id)
    {
        // The snapshot the loop took may predate this event's end (removed, then released by the loop) or its
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

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
