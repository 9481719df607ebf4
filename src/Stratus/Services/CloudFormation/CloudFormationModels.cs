using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

public sealed record StackTag(string Key, string Value);

public sealed record StackOutput(string OutputKey, string OutputValue, string? Description, string? ExportName);

/// <summary>A stack as CloudFormation keeps it: its template, parameters, status, resources and outputs.</summary>
public sealed record StackRecord
{
    public required string StackId { get; init; }
    public required string StackName { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required DateTimeOffset CreationTime { get; init; }
    public DateTimeOffset? LastUpdatedTime { get; init; }
    public DateTimeOffset? DeletionTime { get; init; }
    /// <summary>The processed template: what the stack was made from, after its macros and AWS::Include ran (they run once, where the template entered).</summary>
    public string TemplateBody { get; init; } = "";
    /// <summary>The template as submitted (GetTemplate's Original stage), when macros or AWS::Include made <see cref="TemplateBody"/> from it; null otherwise.</summary>
    public string? OriginalTemplateBody { get; init; }
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    /// <summary>The values AWS::SSM::Parameter::Value parameters resolved to from Parameter Store (DescribeStacks' ResolvedValue).</summary>
    public IReadOnlyDictionary<string, string> ResolvedParameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> NoEchoParameters { get; init; } = [];
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public IReadOnlyList<StackTag> Tags { get; init; } = [];
    public bool DisableRollback { get; init; }
    public string OnFailure { get; init; } = "ROLLBACK";
    /// <summary>The stack policy (JSON) that guards its resources during updates; null when the stack has none.</summary>
    public string? StackPolicyBody { get; init; }
    /// <summary>While set, DeleteStack is refused, as CloudFormation's termination protection does.</summary>
    public bool EnableTerminationProtection { get; init; }
    public IReadOnlyList<StackOutput> Outputs { get; init; } = [];
    public IReadOnlyDictionary<string, StackResourceRecord> Resources { get; init; } = new Dictionary<string, StackResourceRecord>();
    /// <summary>Export names this stack's template imports with Fn::ImportValue; they cannot be deleted while it does.</summary>
    public IReadOnlyList<string> Imports { get; init; } = [];
    public string? ChangeSetId { get; init; }
    /// <summary>For a nested stack: the stack whose AWS::CloudFormation::Stack resource it is, and the top stack of that tree.</summary>
    public string? ParentId { get; init; }
    public string? RootId { get; init; }
    /// <summary>The last DetectStackDrift's verdict (DRIFTED or IN_SYNC) and when it ran; NOT_CHECKED until one has.</summary>
    public string DriftStatus { get; init; } = StackDrift.NotChecked;
    public DateTimeOffset? DriftCheckedAt { get; init; }
    /// <summary>
    /// After an update that failed with rollback disabled (UPDATE_FAILED): the stack as it last stood complete,
    /// which RollbackStack returns it to, as CloudFormation rolls back to the last stable state.
    /// </summary>
    public StackRecord? RollbackTarget { get; init; }
    /// <summary>The ClientRequestToken of the stack's latest operation: every event that operation records carries it, as on AWS.</summary>
    public string? ClientRequestToken { get; init; }
    /// <summary>Each ClientRequestToken an operation on this stack was started with, and that operation's name, so a retry is recognised.</summary>
    public IReadOnlyDictionary<string, string> UsedRequestTokens { get; init; } = new Dictionary<string, string>();

    /// <summary>Every operation run on the stack, oldest first (DescribeEvents groups the events by them); the last one is running or ran last.</summary>
    public IReadOnlyList<StackOperationRecord> Operations { get; init; } = [];

    public bool IsDeleted => Status == StackStatus.DeleteComplete;

    /// <summary>The operation the stack's events are recorded under now, or null for a stack older than operation ids.</summary>
    public StackOperationRecord? CurrentOperation => Operations.Count > 0 ? Operations[^1] : null;

    /// <summary>
    /// The stack with an operation's ClientRequestToken as its current one (null when the call gave none) and remembered as that operation's;
    /// with <paramref name="operationType"/>, a new operation (a new OperationId) begins, as CloudFormation assigns one to each.
    /// </summary>
    public StackRecord StartedWith(string? token, string operation, string? operationType) => (operationType is null ? this : Begun(operationType)) with
    {
        ClientRequestToken = token,
        UsedRequestTokens = token is null
            ? UsedRequestTokens
            : new Dictionary<string, string>(UsedRequestTokens, StringComparer.Ordinal) { [token] = operation },
    };

    /// <summary>The stack with a new operation of this type (a StackOperationType) as its current one.</summary>
    public StackRecord Begun(string operationType) =>
        this with { Operations = [.. Operations, new StackOperationRecord(Guid.NewGuid().ToString(), operationType)] };
}

/// <summary>One stack operation (CreateStack, an update, a rollback ...): the OperationId its events carry and its OperationType.</summary>
public sealed record StackOperationRecord(string OperationId, string OperationType);

/// <summary>The model's OperationType values, and how an operation's outcome reads from the stack statuses it recorded.</summary>
public static class StackOperationType
{
    public const string CreateStack = "CREATE_STACK";
    public const string UpdateStack = "UPDATE_STACK";
    public const string DeleteStack = "DELETE_STACK";
    public const string ContinueRollback = "CONTINUE_ROLLBACK";
    public const string Rollback = "ROLLBACK";
    public const string CreateChangeSet = "CREATE_CHANGESET";

    public static bool IsRollback(string type) => type is Rollback or ContinueRollback;

    /// <summary>
    /// IN_PROGRESS while the stack is still in it; otherwise SUCCEEDED when the last stack status it recorded is where the operation
    /// means to arrive (a rollback's arrival is its rolled-back status), FAILED when it stopped elsewhere or an automatic rollback took over.
    /// </summary>
    public static string Status(StackRecord stack, StackOperationRecord operation, string? lastStackStatus)
    {
        if (stack.CurrentOperation?.OperationId == operation.OperationId && StackStatus.IsInProgress(stack.Status)) return "IN_PROGRESS";
        var arrived = lastStackStatus is StackStatus.CreateComplete or StackStatus.UpdateComplete or StackStatus.DeleteComplete
                or StackStatus.ImportComplete or StackStatus.ReviewInProgress
            || (IsRollback(operation.OperationType)
                && lastStackStatus is StackStatus.RollbackComplete or StackStatus.UpdateRollbackComplete or StackStatus.ImportRollbackComplete);
        return arrived ? "SUCCEEDED" : "FAILED";
    }
}

public sealed record StackResourceRecord
{
    public required string LogicalId { get; init; }
    public required string Type { get; init; }
    public string? PhysicalId { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    /// <summary>The resolved properties the resource was last created or updated with (JSON), for updates and deletes.</summary>
    public string? Properties { get; init; }
    /// <summary>The last drift check of this resource, by DetectStackDrift or DetectStackResourceDrift; null until one has run.</summary>
    public ResourceDriftRecord? Drift { get; init; }
}

/// <summary>One property that differs between a resource's template and its live state, as DescribeStackResourceDrifts shows it.</summary>
public sealed record PropertyDifferenceRecord(string PropertyPath, string ExpectedValue, string ActualValue, string DifferenceType);

/// <summary>A resource's drift check: its expected (template) and actual (live) properties as JSON, and how they differ.</summary>
public sealed record ResourceDriftRecord
{
    public required string Status { get; init; }
    public string? ExpectedProperties { get; init; }
    public string? ActualProperties { get; init; }
    public IReadOnlyList<PropertyDifferenceRecord> Differences { get; init; } = [];
    public string? Reason { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>One DetectStackDrift run, as DescribeStackDriftDetectionStatus reports it.</summary>
public sealed record DriftDetectionRecord
{
    public required string DetectionId { get; init; }
    public required string StackId { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string DetectionStatus { get; init; }
    public string? StackDriftStatus { get; init; }
    public string? Reason { get; init; }
    public int? DriftedResourceCount { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>CloudFormation's drift statuses, for stacks and for resources.</summary>
public static class StackDrift
{
    public const string NotChecked = "NOT_CHECKED";
    public const string Drifted = "DRIFTED";
    public const string InSync = "IN_SYNC";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Unknown = "UNKNOWN";
}

public sealed record StackEventRecord
{
    public required string StackId { get; init; }
    public required string EventId { get; init; }
    public required string StackName { get; init; }
    public required string LogicalResourceId { get; init; }
    public string? PhysicalResourceId { get; init; }
    public required string ResourceType { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string ResourceStatus { get; init; }
    public string? ResourceStatusReason { get; init; }
    public string? ResourceProperties { get; init; }
    public string? ClientRequestToken { get; init; }
    /// <summary>The operation that recorded the event; null for events recorded before Stratus assigned operation ids.</summary>
    public string? OperationId { get; init; }
    public long Sequence { get; init; }
}

public sealed record ResourceChangeRecord(string Action, string LogicalResourceId, string? PhysicalResourceId, string ResourceType, string? Replacement, IReadOnlyList<string> ChangedProperties);

public sealed record ChangeSetRecord
{
    public required string ChangeSetId { get; init; }
    public required string ChangeSetName { get; init; }
    public required string StackId { get; init; }
    public required string StackName { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string ChangeSetType { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required string ExecutionStatus { get; init; }
    public required DateTimeOffset CreationTime { get; init; }
    public string? Description { get; init; }
    public required string TemplateBody { get; init; }
    /// <summary>As on <see cref="StackRecord.OriginalTemplateBody"/>: the submitted template when macros made the processed one.</summary>
    public string? OriginalTemplateBody { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public IReadOnlyList<StackTag> Tags { get; init; } = [];
    public IReadOnlyList<ResourceChangeRecord> Changes { get; init; } = [];
    /// <summary>For an IMPORT change set: the existing resources the stack adopts when it is executed.</summary>
    public IReadOnlyList<ResourceToImport> ResourcesToImport { get; init; } = [];
    /// <summary>The stack operations the change set ran: creating its new stack (CREATE_CHANGESET) and its execution (DescribeEvents by ChangeSetName).</summary>
    public IReadOnlyList<string> OperationIds { get; init; } = [];
}

/// <summary>One existing resource an IMPORT change set adopts: its template type and logical id, and the identifier that finds it.</summary>
public sealed record ResourceToImport(string ResourceType, string LogicalResourceId, IReadOnlyDictionary<string, string> ResourceIdentifier)
{
    /// <summary>The identifier as CloudFormation prints it in its messages: {FunctionName=my-function}.</summary>
    public string Printed => PrintedIdentifier(ResourceIdentifier);

    public static string PrintedIdentifier(IReadOnlyDictionary<string, string> identifier) =>
        "{" + string.Join(", ", identifier.Select(p => $"{p.Key}={p.Value}")) + "}";
}

/// <summary>A template kept for the cost estimate page that EstimateTemplateCost links to.</summary>
public sealed record CostEstimateRecord(string Id, string TemplateBody, IReadOnlyDictionary<string, string> Parameters, string Region, DateTimeOffset CreationTime);

public static class StackStatus
{
    public const string CreateInProgress = "CREATE_IN_PROGRESS";
    public const string CreateFailed = "CREATE_FAILED";
    public const string CreateComplete = "CREATE_COMPLETE";
    public const string RollbackInProgress = "ROLLBACK_IN_PROGRESS";
    public const string RollbackFailed = "ROLLBACK_FAILED";
    public const string RollbackComplete = "ROLLBACK_COMPLETE";
    public const string DeleteInProgress = "DELETE_IN_PROGRESS";
    public const string DeleteFailed = "DELETE_FAILED";
    public const string DeleteComplete = "DELETE_COMPLETE";
    public const string DeleteSkipped = "DELETE_SKIPPED";
    public const string UpdateInProgress = "UPDATE_IN_PROGRESS";
    public const string UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS";
    public const string UpdateComplete = "UPDATE_COMPLETE";
    public const string UpdateFailed = "UPDATE_FAILED";
    public const string UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS";
    public const string UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED";
    public const string UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS";
    public const string UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE";
    public const string ReviewInProgress = "REVIEW_IN_PROGRESS";
    // Resource import (an IMPORT change set executed): the stack's statuses, and its resources' IMPORT_* statuses.
    public const string ImportInProgress = "IMPORT_IN_PROGRESS";
    public const string ImportComplete = "IMPORT_COMPLETE";
    public const string ImportFailed = "IMPORT_FAILED";
    public const string ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS";
    public const string ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED";
    public const string ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE";

    public static bool IsInProgress(string status) => status.EndsWith("_IN_PROGRESS", StringComparison.Ordinal) && status != ReviewInProgress;

    public static bool IsUpdatable(string status) =>
        status is CreateComplete or UpdateComplete or UpdateRollbackComplete or UpdateFailed or ImportComplete or ImportRollbackComplete;

    /// <summary>Where an operation that Stratus's stop interrupted is left: failed, so the stack can be deleted or retried.</summary>
    public static string Interrupted(string status) => status switch
    {
        CreateInProgress => CreateFailed,
        RollbackInProgress => RollbackFailed,
        DeleteInProgress => DeleteFailed,
        ImportInProgress or ImportRollbackInProgress => ImportRollbackFailed,
        _ when status.StartsWith("UPDATE", StringComparison.Ordinal) => UpdateRollbackFailed,
        _ => status,
    };
}

/// <summary>What a caller asks a stack to be: template, parameters, acknowledgements and failure handling.</summary>
public sealed record StackRequest(
    string StackName,
    string TemplateBody,
    IReadOnlyList<SuppliedParameter> Parameters,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<StackTag> Tags,
    bool DisableRollback = false,
    string? OnFailure = null,
    string? StackPolicyBody = null,
    string? StackPolicyDuringUpdateBody = null,
    bool EnableTerminationProtection = false,
    string? ClientRequestToken = null,
    string? OriginalTemplateBody = null);

public sealed record ChangeSetRequest(StackRequest Stack, string ChangeSetName, string ChangeSetType, string? Description, bool UsePreviousTemplate = false,
    IReadOnlyList<ResourceToImport>? ResourcesToImport = null);
