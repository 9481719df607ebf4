using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>A usage plan's throttle bucket and quota periods on a fake clock, and the quota as the data plane meters it.</summary>
public sealed class UsagePlanMeterTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 4, 23, 0, 0, TimeSpan.Zero));
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("stratus-usageplans-");
    private StateStore _store;
    private readonly Scope _call = new("111122223333", "eu-west-1", "r-1");

    public UsagePlanMeterTests() => _store = StateStore.Open(_dataDir.FullName);

    public void Dispose()
    {
        _store.Dispose();
        _dataDir.Delete(recursive: true);
    }

    [Fact]
    public void Bucket_lets_the_burst_through_then_refills_at_the_rate()
    {
        var bucket = new TokenBucket(ratePerSecond: 2, burst: 3, _clock);
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => bucket.TryTake()));
        _clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(bucket.TryTake());
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.TryTake());
        // A long pause refills only up to the burst.
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => bucket.TryTake()));
    }

    [Fact]
    public void Zero_burst_throttles_every_request()
    {
        var bucket = new TokenBucket(ratePerSecond: 100, burst: 0, _clock);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(bucket.TryTake());
    }

    [Theory]
    [InlineData("DAY", 0, "2026-03-04", "2026-03-04")]
    [InlineData("WEEK", 0, "2026-03-04", "2026-03-01")] // a Wednesday: the week began on Sunday
    [InlineData("WEEK", 1, "2026-03-04", "2026-03-02")] // offset 1: on Monday
    [InlineData("WEEK", 5, "2026-03-04", "2026-02-27")] // offset 5: the Friday before
    [InlineData("MONTH", 0, "2026-03-04", "2026-03-01")]
    [InlineData("MONTH", 9, "2026-03-04", "2026-02-10")] // the 10th has not come yet this month
    [InlineData("MONTH", 2, "2026-03-04", "2026-03-03")]
    public void Quota_period_starts_where_aws_counts_it(string period, int offset, string today, string start) =>
        Assert.Equal(DateOnly.Parse(start), QuotaPeriod.Start(period, offset, DateOnly.Parse(today)));

    [Fact]
    public void Quota_is_spent_then_renewed_the_next_day_and_the_count_is_kept_in_the_store()
    {
        var gateway = new ApiGatewayService(_store, _clock);
        var stage = DeployKeyedStage(gateway, out var keyValue, quota: new QuotaSettings { Limit = 2, Period = "DAY" });

        Assert.Equal([ApiKeyVerdict.Allowed, ApiKeyVerdict.Allowed, ApiKeyVerdict.QuotaExceeded],
            Enumerable.Range(0, 3).Select(_ => gateway.MeterApiKey(stage, keyValue)));
        Assert.Equal(ApiKeyVerdict.Forbidden, gateway.MeterApiKey(stage, "not-a-key-anyone-made-here"));
        Assert.Equal(ApiKeyVerdict.Forbidden, gateway.MeterApiKey(stage, null));

        // A service started again over the reopened store (a restart) still finds the quota spent.
        _store.Dispose();
        _store = StateStore.Open(_dataDir.FullName);
        var restarted = new ApiGatewayService(_store, _clock);
        Assert.Equal(ApiKeyVerdict.QuotaExceeded, restarted.MeterApiKey(stage, keyValue));

        _clock.Advance(TimeSpan.FromHours(1)); // midnight UTC: a new DAY period
        Assert.Equal(ApiKeyVerdict.Allowed, restarted.MeterApiKey(stage, keyValue));
    }

    [Fact]
    public void Throttled_requests_are_not_counted_against_the_quota()
    {
        var gateway = new ApiGatewayService(_store, _clock);
        var stage = DeployKeyedStage(gateway, out var keyValue, new ThrottleSettings { RateLimit = 1, BurstLimit = 1 },
            new QuotaSettings { Limit = 2, Period = "DAY" });
        Assert.Equal(ApiKeyVerdict.Allowed, gateway.MeterApiKey(stage, keyValue));
        Assert.Equal(ApiKeyVerdict.Throttled, gateway.MeterApiKey(stage, keyValue));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ApiKeyVerdict.Allowed, gateway.MeterApiKey(stage, keyValue));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ApiKeyVerdict.QuotaExceeded, gateway.MeterApiKey(stage, keyValue));
    }

    private DeployedStage DeployKeyedStage(ApiGatewayService gateway, out string keyValue, ThrottleSettings? throttle = null, QuotaSettings? quota = null)
    {
        var api = gateway.CreateRestApi(_call, new RestApiSettings("metered", null, null, null, null, null, null, null, null, false));
        gateway.PutMethod(_call, api.Id, api.RootResourceId, "GET", new MethodSettings("NONE", null, true, null, null, null, null, null));
        gateway.PutIntegration(_call, api.Id, api.RootResourceId, "GET", new IntegrationSettings("MOCK", null, null, null, null, null,
            null, null, null, null, null, null));
        gateway.CreateDeployment(_call, api.Id, new DeploymentSettings("prod", null, null, null));
        var key = gateway.CreateApiKey(_call, new ApiKeySettings("k", null, true, null, null, false, [], null));
        var plan = gateway.CreateUsagePlan(_call, new UsagePlanSettings("p", null, [new ApiStage { ApiId = api.Id, Stage = "prod" }], throttle, quota, null));
        gateway.CreateUsagePlanKey(_call, plan.Id, key.Id, "API_KEY");
        keyValue = key.Value!;
        return gateway.FindDeployedStage(api.Id, "prod")!;
    }
}
