using System.Collections.Concurrent;
using System.Xml;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.Engine;

/// <summary>
/// A resource's CreationPolicy ResourceSignal: how many SUCCESS signals (Count, default 1) must arrive through SignalResource
/// within Timeout (an ISO 8601 duration, default PT5M, at most 12 hours) before the resource is CREATE_COMPLETE.
/// </summary>
public sealed record ResourceSignalPolicy(int Count, TimeSpan Timeout)
{
    /// <summary>
    /// The types AWS documents a creation policy for. Of them Stratus provisions AWS::CloudFormation::WaitCondition; the others
    /// (instances, Auto Scaling groups, AppStream fleets) are refused as unsupported types, as before. Other types ignore it, as on AWS.
    /// </summary>
    private static readonly HashSet<string> SignalledTypes =
        ["AWS::CloudFormation::WaitCondition", "AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup", "AWS::AppStream::Fleet"];

    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(12);

    /// <summary>The policy a resource's CreationPolicy states (its values evaluated, since Count often takes a Ref), or null when it waits for none.</summary>
    public static ResourceSignalPolicy? Of(ResourceDefinition definition, TemplateEvaluator evaluator)
    {
        if (!SignalledTypes.Contains(definition.Type) || definition.Raw["CreationPolicy"] is null) return null;
        var policy = evaluator.Evaluate(definition.Raw["CreationPolicy"]);
        if (policy?["ResourceSignal"] is not { } signal) return null;
        var countText = signal["Count"] is { } c ? TemplateEvaluator.Stringify(c, "CreationPolicy") : "1";
        if (!int.TryParse(countText, out var count) || count < 1)
            throw new ResourcePropertyException($"CreationPolicy ResourceSignal Count {countText} is not a positive integer.");
        var timeoutText = signal["Timeout"] is { } t ? TemplateEvaluator.Stringify(t, "CreationPolicy") : "PT5M";
        TimeSpan timeout;
        try
        {
            timeout = XmlConvert.ToTimeSpan(timeoutText);
        }
        catch (FormatException)
        {
            throw new ResourcePropertyException($"CreationPolicy ResourceSignal Timeout {timeoutText} is not an ISO 8601 duration (PT#H#M#S).");
        }
        if (timeout <= TimeSpan.Zero || timeout > MaxTimeout)
            throw new ResourcePropertyException($"CreationPolicy ResourceSignal Timeout {timeoutText} must be more than zero and at most 12 hours (PT12H).");
        return new ResourceSignalPolicy(count, timeout);
    }
}

/// <summary>Resources waiting for SignalResource signals: each signal is recorded as an event and wakes its resource's wait.</summary>
public sealed partial class StackEngine
{
    /// <summary>A resource's wait: the signals received by UniqueId (a repeated UniqueId counts once, its latest status standing).</summary>
    private sealed class SignalWait(StackResourceRecord resource)
    {
        public StackResourceRecord Resource { get; } = resource;
        public ConcurrentDictionary<string, string> Received { get; } = new(StringComparer.Ordinal);
        public SemaphoreSlim Arrived { get; } = new(0);
    }

    private readonly ConcurrentDictionary<(string StackId, string LogicalId), SignalWait> _awaitingSignals = new();

    /// <summary>Takes a signal for a resource waiting for one, recording its event; false when the resource is not waiting.</summary>
    public bool Signal(string stackId, string logicalId, string uniqueId, string status)
    {
        if (!_awaitingSignals.TryGetValue((stackId, logicalId), out var wait)) return false;
        var resource = wait.Resource;
        // The event is the signal's record on disk: it is written before SignalResource answers.
        _store.AddEvent(_store.Stack(stackId), logicalId, resource.PhysicalId, resource.Type, StackStatus.CreateInProgress,
            $"Received {status} signal with UniqueId {uniqueId}", null);
        wait.Received[uniqueId] = status;
        wait.Arrived.Release();
        return true;
    }

    /// <summary>
    /// Waits for the policy's signals: complete at Count SUCCESS signals; failed at the first FAILURE signal or when the Timeout
    /// passes, with CloudFormation's reasons. <paramref name="listening"/> runs once signals are taken (it records the event that
    /// tells a signaller the resource is ready for them).
    /// </summary>
    private async Task AwaitSignalsAsync(string stackId, StackResourceRecord resource, ResourceSignalPolicy policy, Action listening,
        CancellationToken cancellation)
    {
        var wait = new SignalWait(resource);
        var key = (stackId, resource.LogicalId);
        _awaitingSignals[key] = wait;
        try
        {
            listening();
            var deadline = DateTimeOffset.UtcNow + policy.Timeout;
            while (true)
            {
                var failures = wait.Received.Values.Count(s => s == "FAILURE");
                if (failures > 0)
                    throw new ResourcePropertyException(
                        $"Received {failures} FAILURE signal(s) out of {policy.Count}. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement");
                var successes = wait.Received.Values.Count(s => s == "SUCCESS");
                if (successes >= policy.Count) return;
                var left = deadline - DateTimeOffset.UtcNow;
                if (left <= TimeSpan.Zero || !await wait.Arrived.WaitAsync(left, cancellation))
                    throw new ResourcePropertyException($"Failed to receive {policy.Count - successes} resource signal(s) within the specified duration");
            }
        }
        finally
        {
            // The semaphore is left to the collector: a signal racing this end may still release it.
            _awaitingSignals.TryRemove(key, out _);
        }
    }
}
