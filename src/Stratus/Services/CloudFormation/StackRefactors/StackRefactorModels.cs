namespace Stratus.Services.CloudFormation.StackRefactors;

/// <summary>A resource's place: the stack (by name) and its logical id there, as ResourceMappings' Source and Destination name it.</summary>
public sealed record ResourceLocation(string StackName, string LogicalResourceId)
{
    public override string ToString() => $"{StackName}.{LogicalResourceId}";
}

/// <summary>One entry of CreateStackRefactor's ResourceMappings: where a resource is, and where the refactor puts it.</summary>
public sealed record ResourceMapping(ResourceLocation Source, ResourceLocation Destination);

/// <summary>One of CreateStackRefactor's StackDefinitions: a stack's name and the template it is to have once refactored.</summary>
public sealed record StackDefinition(string StackName, string TemplateBody);

/// <summary>
/// A stack a refactor touches: the template it will have, its id (assigned at CreateStackRefactor for a stack the refactor
/// creates), and for a stack that exists, the template it had then, so an execution after the stack changed is refused.
/// </summary>
public sealed record RefactorStack(string StackName, string StackId, string TemplateBody, string? TemplateBefore)
{
    public bool IsNew => TemplateBefore is null;
}

/// <summary>What the refactor does (ListStackRefactorActions): MOVE a resource, or CREATE a stack.</summary>
public sealed record StackRefactorAction(string Action, string Entity, string? PhysicalResourceId, string? ResourceType, string? Detection,
    ResourceMapping? Mapping, string? Description)
{
    public const string Move = "MOVE";
    public const string Create = "CREATE";
    /// <summary>Found by the refactor from the templates (a logical id that left one stack's template for another's).</summary>
    public const string Auto = "AUTO";
    /// <summary>Given by the caller in ResourceMappings.</summary>
    public const string Manual = "MANUAL";
}

/// <summary>A stack refactor as CloudFormation keeps it: its stacks, its planned actions and its two statuses.</summary>
public sealed record StackRefactorRecord
{
    public required string StackRefactorId { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public string? Description { get; init; }
    public required DateTimeOffset CreationTime { get; init; }
    /// <summary>CREATE_COMPLETE once its actions are planned, CREATE_FAILED (with StatusReason) when the refactor cannot be done.</summary>
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    /// <summary>AVAILABLE to execute, UNAVAILABLE when its creation failed, then EXECUTE_IN_PROGRESS, EXECUTE_COMPLETE or EXECUTE_FAILED; OBSOLETE when a stack changed since.</summary>
    public required string ExecutionStatus { get; init; }
    public string? ExecutionStatusReason { get; init; }
    public IReadOnlyList<RefactorStack> Stacks { get; init; } = [];
    public IReadOnlyList<StackRefactorAction> Actions { get; init; } = [];
}

/// <summary>The model's StackRefactorStatus and StackRefactorExecutionStatus values Stratus records.</summary>
public static class StackRefactorStatus
{
    public const string CreateComplete = "CREATE_COMPLETE";
    public const string CreateFailed = "CREATE_FAILED";
    public const string Available = "AVAILABLE";
    public const string Unavailable = "UNAVAILABLE";
    public const string Obsolete = "OBSOLETE";
    public const string ExecuteInProgress = "EXECUTE_IN_PROGRESS";
    public const string ExecuteComplete = "EXECUTE_COMPLETE";
    public const string ExecuteFailed = "EXECUTE_FAILED";
}
