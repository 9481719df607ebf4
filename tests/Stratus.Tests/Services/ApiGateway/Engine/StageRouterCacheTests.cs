using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>Routers are kept for the deployments stages point at, not for every deployment ever served.</summary>
public sealed class StageRouterCacheTests
{
    private static StageRouter NewRouter() => new(ApiTree.With(("/pets", new ApiMethod { HttpMethod = "GET" })));

    [Fact]
    public void A_stage_keeps_its_router_until_it_is_redeployed_which_replaces_it()
    {
        var cache = new StageRouterCache((_, _) => null);
        var first = cache.For("api", "prod", "d1", NewRouter);

        Assert.Same(first, cache.For("api", "prod", "d1", () => throw new InvalidOperationException("built twice")));
        var second = cache.For("api", "prod", "d2", NewRouter);

        Assert.NotSame(first, second);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Past_its_capacity_the_cache_drops_the_routers_of_stages_deleted_or_moved_since()
    {
        var live = new Dictionary<(string, string), string> { [("api", "kept")] = "d-kept" };
        var cache = new StageRouterCache((api, stage) => live.GetValueOrDefault((api, stage)), capacity: 8);
        var kept = cache.For("api", "kept", "d-kept", NewRouter);
        for (var i = 0; i < 100; i++)
        {
            live[("api", $"s{i}")] = $"d{i}";
            cache.For("api", $"s{i}", $"d{i}", NewRouter);
            // Each stage is deleted after serving once.
            live.Remove(("api", $"s{i}"));
        }

        Assert.InRange(cache.Count, 1, 9);
        Assert.Same(kept, cache.For("api", "kept", "d-kept", () => throw new InvalidOperationException("the live stage's router was dropped")));
    }
}
