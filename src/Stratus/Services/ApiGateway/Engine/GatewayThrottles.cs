using System.Collections.Concurrent;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The token buckets API Gateway throttles with, shared by REST APIs (stage method settings) and HTTP APIs (stage route
/// settings), and the account-level throttle AWS applies across every REST and HTTP API stage of an account in a Region.
/// A bucket is keyed by what it throttles and by its limits, so a changed limit starts a fresh bucket.
/// </summary>
public sealed class GatewayThrottles(TimeProvider clock)
{
    /// <summary>
    /// AWS's account-level throttle per Region: 10,000 requests per second steady, bursts of 5,000 (GetAccount's throttleSettings).
    /// It is a service quota, raised on AWS only by a quota request, never by an API Gateway call, so Stratus keeps it fixed.
    /// </summary>
    public const double AccountRateLimit = 10000;
    public const int AccountBurstLimit = 5000;

    private readonly ConcurrentDictionary<(string Throttled, double Rate, int Burst), TokenBucket> _buckets = new();

    /// <summary>Takes a token of the account's Region-wide bucket; false means the request is throttled (429).</summary>
    public bool TryTakeAccount(string accountId, string region) =>
        TryTake($"account\u001f{accountId}\u001f{region}", AccountRateLimit, AccountBurstLimit);

    /// <summary>Takes a token of the bucket of <paramref name="throttled"/> (a stage's method or route) with these limits.</summary>
    public bool TryTake(string throttled, double ratePerSecond, int burst) =>
        _buckets.GetOrAdd((throttled, ratePerSecond, burst), limits => new TokenBucket(limits.Rate, limits.Burst, clock)).TryTake();
}
