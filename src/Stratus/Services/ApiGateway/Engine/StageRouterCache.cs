using System.Collections.Concurrent;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The router of each stage's current deployment, built on the stage's first request. A redeployed stage replaces its
/// router, so a deployment no stage points at any more is not kept; past <paramref name="capacity"/> entries, those of
/// stages deleted or moved since are dropped too. What remains is bounded by the live stages.
/// </summary>
public sealed class StageRouterCache(Func<string, string, string?> currentDeployment, int capacity = StageRouterCache.DefaultCapacity)
{
    public const int DefaultCapacity = 1024;

    private readonly ConcurrentDictionary<(string ApiId, string Stage), (string DeploymentId, StageRouter Router)> _routers = new();

    public int Count => _routers.Count;

    public StageRouter For(string apiId, string stage, string deploymentId, Func<StageRouter> build)
    {
        var key = (apiId, stage);
        if (_routers.TryGetValue(key, out var cached) && cached.DeploymentId == deploymentId) return cached.Router;
        var router = build();
        _routers[key] = (deploymentId, router);
        if (_routers.Count > capacity) Trim();
        return router;
    }

    private void Trim()
    {
        foreach (var (key, entry) in _routers)
            if (currentDeployment(key.ApiId, key.Stage) != entry.DeploymentId)
                _routers.TryRemove(new KeyValuePair<(string, string), (string, StageRouter)>(key, entry));
    }
}
