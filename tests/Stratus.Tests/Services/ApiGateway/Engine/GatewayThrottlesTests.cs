using Microsoft.Extensions.Time.Testing;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>The account-level throttle AWS applies per account and Region (10,000 rps, 5,000 burst), and stage buckets beside it.</summary>
public sealed class GatewayThrottlesTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 19, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Account_throttle_lets_five_thousand_through_at_once_then_refills_at_ten_thousand_a_second()
    {
        var throttles = new GatewayThrottles(_clock);
        Assert.Equal(AccountThrottle.AwsDefault.BurstLimit, Enumerable.Range(0, 6000).Count(_ => throttles.TryTakeAccount("111122223333", "us-east-1")));
        Assert.False(throttles.TryTakeAccount("111122223333", "us-east-1"));
        _clock.Advance(TimeSpan.FromMilliseconds(1)); // 10 tokens at 10,000 per second
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => throttles.TryTakeAccount("111122223333", "us-east-1")));
    }

    [Fact]
    public void Account_throttle_is_per_account_and_region()
    {
        var throttles = new GatewayThrottles(_clock);
        for (var i = 0; i < AccountThrottle.AwsDefault.BurstLimit; i++) throttles.TryTakeAccount("111122223333", "us-east-1");
        Assert.False(throttles.TryTakeAccount("111122223333", "us-east-1"));
        Assert.True(throttles.TryTakeAccount("111122223333", "eu-west-1"));
        Assert.True(throttles.TryTakeAccount("444455556666", "us-east-1"));
    }

    [Fact]
    public void A_raised_account_quota_is_the_one_enforced()
    {
        var throttles = new GatewayThrottles(_clock, new AccountThrottle(100, 20));
        Assert.Equal(20, Enumerable.Range(0, 50).Count(_ => throttles.TryTakeAccount("111122223333", "us-east-1")));
        Assert.Equal(new AccountThrottle(100, 20), throttles.Account);
    }

    [Fact]
    public void A_changed_limit_starts_a_fresh_bucket_and_other_keys_are_untouched()
    {
        var throttles = new GatewayThrottles(_clock);
        var getA = new ThrottledMethod("111122223333", "us-east-1", "api", "stage", "GET /a");
        Assert.Equal(2, Enumerable.Range(0, 5).Count(_ => throttles.TryTake(getA, 0, 2)));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => throttles.TryTake(getA, 0, 3)));
        Assert.True(throttles.TryTake(getA with { Method = "GET /b" }, 0, 1));
        Assert.True(throttles.TryTake(getA with { Stage = "other" }, 0, 1));
    }

    [Fact]
    public void Taking_a_token_from_an_existing_bucket_allocates_nothing()
    {
        var throttles = new GatewayThrottles(_clock, new AccountThrottle(1_000_000, 1_000_000));
        var method = new ThrottledMethod("111122223333", "us-east-1", "api", "stage", "~1pets/GET");
        // The first take creates each bucket; every later request finds it by the strings it already holds.
        Assert.True(throttles.TryTakeAccount("111122223333", "us-east-1") && throttles.TryTake(method, 1_000_000, 1_000_000));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            throttles.TryTakeAccount("111122223333", "us-east-1");
            throttles.TryTake(new ThrottledMethod("111122223333", "us-east-1", "api", "stage", "~1pets/GET"), 1_000_000, 1_000_000);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
