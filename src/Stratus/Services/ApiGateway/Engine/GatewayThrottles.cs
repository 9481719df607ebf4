using System.Collections.Concurrent;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The token buckets API Gateway throttles with, shared by REST APIs (stage method settings) and HTTP APIs (stage route
/// settings), and the account-level throttle AWS applies across every REST and HTTP API stage of an account in a Region.
/// A bucket is keyed by what it throttles and by its limits, so a changed limit starts a fresh bucket. The keys are value
/// tuples of strings the request already holds, so taking a token allocates nothing once the bucket exists.
/// </summary>
public sealed class GatewayThrottles(TimeProvider clock, AccountThrottle? account = null)
{
    private readonly ConcurrentDictionary<(ThrottledMethod Throttled, double Rate, int Burst), TokenBucket> _buckets = new();
    private readonly ConcurrentDictionary<(string AccountId, string Region), TokenBucket> _accounts = new();

    /// <summary>The account-level throttle every REST and HTTP API stage of an account in a Region shares (GetAccount's throttleSettings).</summary>
    public AccountThrottle Account { get; } = account ?? AccountThrottle.AwsDefault;

    /// <summary>Takes a token of the account's Region-wide bucket; false means the request is throttled (429).</summary>
    public bool TryTakeAccount(string accountId, string region) =>
        (_accounts.TryGetValue((accountId, region), out var bucket) ? bucket
            : _accounts.GetOrAdd((accountId, region), static (_, state) => new TokenBucket(state.Limits.RateLimit, state.Limits.BurstLimit, state.Clock), (Limits: Account, Clock: clock)))
        .TryTake();

    /// <summary>Takes a token of the bucket of <paramref name="throttled"/> (a stage's method or route) with these limits.</summary>
    public bool TryTake(ThrottledMethod throttled, double ratePerSecond, int burst) =>
        (_buckets.TryGetValue((throttled, ratePerSecond, burst), out var bucket) ? bucket
            : _buckets.GetOrAdd((throttled, ratePerSecond, burst), static (limits, clock) => new TokenBucket(limits.Rate, limits.Burst, clock), clock))
        .TryTake();
}

/// <summary>What a stage throttles on its own: a REST API method (its methodSettings key, <c>~1pets/GET</c> or <c>*/*</c>) or an HTTP API route key.</summary>
public readonly record struct ThrottledMethod(string AccountId, string Region, string ApiId, string Stage, string Method);

/// <summary>
/// API Gateway's account-level throttle per Region. AWS's default is 10,000 requests per second steady with bursts of 5,000;
/// on AWS it is a service quota raised by a quota request, never by an API Gateway call, so Stratus takes it only from its
/// environment (STRATUS_APIGATEWAY_ACCOUNT_RATE, STRATUS_APIGATEWAY_ACCOUNT_BURST), like the Lambda concurrency quota.
/// </summary>
public sealed record AccountThrottle(double RateLimit, int BurstLimit)
{
    public static readonly AccountThrottle AwsDefault = new(10000, 5000);

    public static AccountThrottle FromEnvironment()
    {
        static double? Number(string name) =>
            double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value > 0 ? value : null;
        return new AccountThrottle(Number("STRATUS_APIGATEWAY_ACCOUNT_RATE") ?? AwsDefault.RateLimit,
            (int)Math.Min(int.MaxValue, Number("STRATUS_APIGATEWAY_ACCOUNT_BURST") ?? AwsDefault.BurstLimit));
    }
}
