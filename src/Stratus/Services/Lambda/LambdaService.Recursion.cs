using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Recursive loop detection (PutFunctionRecursionConfig, GetFunctionRecursionConfig): an asynchronous invocation
/// whose request chain has already run the function <see cref="TraceLineage.MaxInvocationsInChain"/> times is
/// dropped when the function's RecursiveLoop is Terminate, as AWS stops loops through Lambda's own asynchronous
/// invokes, noted in the function's log and counted in its RecursiveInvocationsDropped metric.
/// </summary>
public sealed partial class LambdaService
{
    public string PutRecursionConfig(Scope scope, string functionName, string recursiveLoop)
    {
        LambdaRules.Check("PutFunctionRecursionConfig", "RecursiveLoop", recursiveLoop);
        return Change(scope, functionName, f => f with { RecursiveLoop = recursiveLoop }).RecursiveLoop;
    }

    /// <remarks>The setting is the function's, for all its versions: the model's name pattern takes no qualifier.</remarks>
    public string GetRecursionConfig(Scope scope, string functionName) =>
        Find(scope.AccountId, scope.Region, functionName, null).Function.RecursiveLoop;

    /// <summary>Whether the queued event is the next step of a loop this function does not allow; if so it is noted and counted.</summary>
    private bool StopsRecursion(QueuedEvent queued)
    {
        var function = _functions.Get(Key(queued.AccountId, queued.Region, ParseName(queued.FunctionName).Name));
        if (function is null || function.RecursiveLoop == "Allow") return false;
        var (_, count) = TraceLineage.Next(queued.TraceHeader, function.Arn, queued.RequestId ?? queued.Id, _clock.GetUtcNow());
        if (count <= TraceLineage.MaxInvocationsInChain) return false;
        _telemetry.RecursionStopped(function.AccountId, function.Region, function.Latest, queued.RequestId ?? queued.Id, _clock.GetUtcNow());
        return true;
    }
}
