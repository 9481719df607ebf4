using Stratus.Persistence;
using Stratus.Services.CloudFormation.StackRefactors;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// CloudFormation's persisted state: stacks (deleted ones too, as ListStacks shows them), their
/// events, change sets, cost estimates, drift detections and stack refactors. Every change is written through before it is visible.
/// </summary>
public sealed class StackStore
{
    public const string StackType = "AWS::CloudFormation::Stack";

    private readonly TimeProvider _clock;
    private long _sequence;

    public StackStore(StateStore store, TimeProvider clock)
    {
        _clock = clock;
        Stacks = new ResourceTable<StackRecord>(store, "cloudformation.stacks");
        Events = new ResourceTable<StackEventRecord>(store, "cloudformation.events");
        ChangeSets = new ResourceTable<ChangeSetRecord>(store, "cloudformation.changesets");
        Estimates = new ResourceTable<CostEstimateRecord>(store, "cloudformation.estimates");
        DriftDetections = new ResourceTable<DriftDetectionRecord>(store, "cloudformation.drift-detections");
        Refactors = new ResourceTable<StackRefactorRecord>(store, "cloudformation.stack-refactors");
        _sequence = Events.Values.Select(e => e.Sequence).DefaultIfEmpty(0).Max();
    }

    public ResourceTable<StackRecord> Stacks { get; }
    public ResourceTable<StackEventRecord> Events { get; }
    public ResourceTable<ChangeSetRecord> ChangeSets { get; }
    public ResourceTable<CostEstimateRecord> Estimates { get; }
    public ResourceTable<DriftDetectionRecord> DriftDetections { get; }
    public ResourceTable<StackRefactorRecord> Refactors { get; }

    public DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());

    public StackRecord Stack(string stackId) => Stacks.Get(stackId) ?? throw new InvalidOperationException($"Stack {stackId} vanished.");

    public StackRecord Update(string stackId, Func<StackRecord, StackRecord> change) =>
        Stacks.Update(stackId, change) ?? throw new InvalidOperationException($"Stack {stackId} vanished.");

    /// <summary>
    /// Moves the stack to a status and records the stack-level event, as CloudFormation does. A failed create, update or
    /// import rolling back begins a ROLLBACK operation of its own: AWS counts automatic rollbacks as operations.
    /// </summary>
    public StackRecord SetStatus(string stackId, string status, string? reason)
    {
        var now = Now;
        var stack = Update(stackId, s => (StartsAutomaticRollback(s, status) ? s.Begun(StackOperationType.Rollback) : s) with
        {
            Status = status,
            StatusReason = reason,
            DeletionTime = status == StackStatus.DeleteComplete ? now : s.DeletionTime,
        });
        AddEvent(stack, stack.StackName, stack.StackId, StackType, status, reason, null);
        return stack;
    }

    private static bool StartsAutomaticRollback(StackRecord stack, string status) =>
        status is StackStatus.RollbackInProgress or StackStatus.UpdateRollbackInProgress or StackStatus.ImportRollbackInProgress
        && stack.CurrentOperation is { } running && !StackOperationType.IsRollback(running.OperationType);

    /// <summary>
    /// Starts an operation: moves the stack to its first status only if, at that instant, it still allows
    /// the operation, so two concurrent requests cannot both start one.
    /// </summary>
    public StackRecord Begin(string stackId, Func<StackRecord, bool> allowed, Func<StackRecord, Exception> refusal, string status,
        Func<StackRecord, StackRecord>? change = null)
    {
        const string reason = "User Initiated";
        var stack = Update(stackId, s => allowed(s)
            ? (change?.Invoke(s) ?? s) with { Status = status, StatusReason = reason }
            : throw refusal(s));
        AddEvent(stack, stack.StackName, stack.StackId, StackType, status, reason, null);
        return stack;
    }

    /// <summary>Records a resource's new state and its event together.</summary>
    public void SetResource(string stackId, StackResourceRecord resource, string? properties = null)
    {
        var stack = Update(stackId, s => s with
        {
            Resources = new Dictionary<string, StackResourceRecord>(s.Resources) { [resource.LogicalId] = resource },
        });
        AddEvent(stack, resource.LogicalId, resource.PhysicalId ?? "", resource.Type, resource.Status, resource.StatusReason, properties);
    }

    public void RemoveResource(string stackId, string logicalId) =>
        Update(stackId, s => s with { Resources = s.Resources.Where(r => r.Key != logicalId).ToDictionary(r => r.Key, r => r.Value) });

    public void AddEvent(StackRecord stack, string logicalId, string? physicalId, string type, string status, string? reason, string? properties)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var eventId = type == StackType ? Guid.NewGuid().ToString() : $"{logicalId}-{status}-{Now:yyyy-MM-ddTHH:mm:ss.fffZ}-{sequence}";
        Events.Put(ResourceTable<StackEventRecord>.Key(stack.StackId, eventId), new StackEventRecord
        {
            StackId = stack.StackId,
            EventId = eventId,
            StackName = stack.StackName,
            LogicalResourceId = logicalId,
            PhysicalResourceId = physicalId,
            ResourceType = type,
            Timestamp = Now,
            ResourceStatus = status,
            ResourceStatusReason = reason,
            ResourceProperties = properties,
            ClientRequestToken = stack.ClientRequestToken,
            OperationId = stack.CurrentOperation?.OperationId,
            Sequence = sequence,
        });
    }

    public IEnumerable<StackRecord> InScope(string accountId, string region) =>
        Stacks.Values.Where(s => s.AccountId == accountId && s.Region == region);

    /// <summary>
    /// Whether a live stack in the account and region has this physical resource (other than as <paramref name="except"/>'s
    /// logical id in that stack): a resource belongs to one stack at most, so it cannot be imported into another.
    /// </summary>
    public bool Owns(string accountId, string region, string type, string physicalId, (string StackId, string LogicalId)? except = null) =>
        InScope(accountId, region).Where(s => !s.IsDeleted).Any(s => s.Resources.Values.Any(r =>
            r.Type == type && r.PhysicalId == physicalId && r.Status != StackStatus.DeleteComplete
            && (except is not { } skip || skip.StackId != s.StackId || skip.LogicalId != r.LogicalId)));

    /// <summary>Every export in the account and region, with the stack that exports it.</summary>
    public IEnumerable<(StackRecord Stack, StackOutput Output)> Exports(string accountId, string region) =>
        InScope(accountId, region).Where(s => !s.IsDeleted)
            .SelectMany(s => s.Outputs.Where(o => o.ExportName is not null).Select(o => (s, o)));
}
