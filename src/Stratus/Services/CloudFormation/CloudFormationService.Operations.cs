using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

/// <summary>One event as DescribeEvents shows it: the event with its operation's type and outcome.</summary>
public sealed record OperationEvent(StackEventRecord Event, StackOperationRecord Operation, string OperationStatus);

/// <summary>Stack operations' events (DescribeEvents) and resource signals (SignalResource).</summary>
public sealed partial class CloudFormationService
{
    /// <summary>
    /// DescribeEvents: the events of one operation (OperationId), of the operations a change set ran (ChangeSetName), or of every
    /// operation on a stack (StackName), newest first as DescribeStackEvents lists them; FailedEvents keeps the failures only.
    /// </summary>
    public IReadOnlyList<OperationEvent> OperationEvents(Scope scope, string? stackName, string? changeSetName, string? operationId, bool failedOnly)
    {
        StackRecord stack;
        IReadOnlySet<string>? operations = null;
        if (changeSetName is not null)
        {
            var changeSet = FindChangeSet(scope, changeSetName, stackName);
            stack = _store.Stack(changeSet.StackId);
            operations = changeSet.OperationIds.ToHashSet(StringComparer.Ordinal);
        }
        else if (stackName is not null) stack = Find(scope, stackName);
        else if (operationId is not null)
            stack = _store.InScope(scope.AccountId, scope.Region).FirstOrDefault(s => s.Operations.Any(o => o.OperationId == operationId))
                ?? throw CloudFormationErrors.OperationNotFound(operationId);
        else throw TemplateError.Validation("One of ChangeSetName, OperationId or StackName must be specified.");
        if (operationId is not null)
        {
            if (!stack.Operations.Any(o => o.OperationId == operationId) || operations?.Contains(operationId) == false)
                throw CloudFormationErrors.OperationNotFound(operationId);
            operations = new HashSet<string>(StringComparer.Ordinal) { operationId };
        }

        var events = _store.Events.Values.Where(e => e.StackId == stack.StackId && e.OperationId is not null).ToList();
        var byOperation = stack.Operations.ToDictionary(o => o.OperationId, StringComparer.Ordinal);
        var outcomes = events.Where(e => e.ResourceType == StackStore.StackType).GroupBy(e => e.OperationId!)
            .ToDictionary(g => g.Key, g => StackOperationType.Status(stack, byOperation[g.Key], g.MaxBy(e => e.Sequence)!.ResourceStatus), StringComparer.Ordinal);
        return events
            .Where(e => (operations is null || operations.Contains(e.OperationId!)) && (!failedOnly || IsFailure(e)))
            .OrderByDescending(e => e.Sequence)
            .Select(e => new OperationEvent(e, byOperation[e.OperationId!],
                outcomes.GetValueOrDefault(e.OperationId!) ?? StackOperationType.Status(stack, byOperation[e.OperationId!], null)))
            .ToList();
    }

    /// <summary>
    /// ListTypes: the public resource types Stratus provisions (AWS_TYPES), by TypeNamePrefix. Stratus registers, activates and
    /// publishes no types, so private ones, modules, hooks, third-party and deprecated types are none; ProvisioningType is refused,
    /// since Stratus does not classify its providers by it.
    /// </summary>
    public IReadOnlyList<string> PublicResourceTypes(string? visibility, string? type, string? category, string? prefix, string? deprecatedStatus,
        string? provisioningType)
    {
        if (provisioningType is not null)
            throw TemplateError.Validation("Stratus does not classify its resource types by ProvisioningType: list them without it");
        if ((visibility ?? "PRIVATE") != "PUBLIC" || (type ?? "RESOURCE") != "RESOURCE" || (category ?? "AWS_TYPES") != "AWS_TYPES"
            || (deprecatedStatus ?? "LIVE") != "LIVE")
            return [];
        return _engine.ProvidedTypes.Where(t => prefix is null || t.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A failed event: a status that failed (CREATE_FAILED, UPDATE_ROLLBACK_FAILED ...), what FailedEvents keeps.</summary>
    public static bool IsFailure(StackEventRecord e) => e.ResourceStatus.EndsWith("_FAILED", StringComparison.Ordinal);

    /// <summary>
    /// SignalResource: a signal to a resource whose CreationPolicy waits for ResourceSignal signals, as cfn-signal sends it.
    /// Refused in CloudFormation's words when the stack or resource does not exist, or nothing is waiting for the signal.
    /// </summary>
    public void SignalResource(Scope scope, string stackName, string logicalId, string uniqueId, string status)
    {
        var stack = Find(scope, stackName);
        if (!stack.Resources.TryGetValue(logicalId, out var resource))
            throw TemplateError.Validation($"Resource {logicalId} does not exist for stack {stack.StackName}");
        if (_engine.Signal(stack.StackId, logicalId, uniqueId, status)) return;
        throw StackStatus.IsInProgress(stack.Status)
            ? CloudFormationErrors.ResourceNotSignalable(logicalId, resource.Status)
            : CloudFormationErrors.StackNotSignalable(stack.StackId, stack.Status);
    }
}
