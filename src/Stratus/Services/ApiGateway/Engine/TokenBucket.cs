namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// A throttle as API Gateway applies it (usage plans, stage method and route settings, the account): a bucket holding at most <c>burstLimit</c> requests,
/// refilled at <c>rateLimit</c> requests per second. A request takes one token; none left is a 429.
/// </summary>
public sealed class TokenBucket
{
    private readonly double _rate;
    private readonly double _capacity;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _refilledAt;

    public TokenBucket(double ratePerSecond, int burst, TimeProvider clock)
    {
        _rate = Math.Max(0, ratePerSecond);
        _capacity = Math.Max(0, burst);
        _clock = clock;
        _tokens = _capacity;
        _refilledAt = clock.GetTimestamp();
    }

    /// <summary>Takes a token when one is there; false means the request is throttled.</summary>
    public bool TryTake()
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + _clock.GetElapsedTime(_refilledAt, now).TotalSeconds * _rate);
            _refilledAt = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
