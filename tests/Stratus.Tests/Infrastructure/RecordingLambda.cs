using System.Collections.Concurrent;
using Stratus.Protocols;
using Stratus.Services.Lambda;

namespace Stratus.Tests.Infrastructure;

/// <summary>
/// Lambda as a calling service (Logs' subscriptions, CloudWatch's alarm actions) sees it: every request recorded, the
/// function's policy allowing the <see cref="Allowed"/> principals (any caller when null), and an answer of <c>null</c>.
/// </summary>
public sealed class RecordingLambda : ILambdaInvoker
{
    private readonly ConcurrentQueue<LambdaInvokeRequest> _requests = new();

    public string[]? Allowed { get; set; }

    public IReadOnlyList<LambdaInvokeRequest> Requests => _requests.ToList();

    public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation)
    {
        _requests.Enqueue(request);
        if (Allowed is { } allowed && !allowed.Contains(request.CallerPrincipal)) throw new AwsException("AccessDeniedException", "denied", 403);
        return Task.FromResult(new LambdaInvokeResult("null"u8.ToArray(), null, "$LATEST"));
    }

    /// <summary>The first request that is <paramref name="wanted"/>, waiting up to a minute for it.</summary>
    public async Task<LambdaInvokeRequest> WaitForAsync(Func<LambdaInvokeRequest, bool> wanted)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_requests.FirstOrDefault(wanted) is { } found) return found;
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>The requests that are <paramref name="counted"/>, once there are <paramref name="count"/> of them (waiting up to a minute).</summary>
    public async Task<IReadOnlyList<LambdaInvokeRequest>> WaitForCountAsync(int count, Func<LambdaInvokeRequest, bool>? counted = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (_requests.Count(counted ?? (_ => true)) < count) await Task.Delay(20, deadline.Token);
        return _requests.Where(counted ?? (_ => true)).ToList();
    }
}
