using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>A function's DurableConfig: how long one durable execution may run, and how long its history is kept once it ends.</summary>
public sealed record DurableSettings(int ExecutionTimeout, int RetentionPeriodInDays)
{
    /// <summary>AWS's default retention (AWS::Lambda::Function and the CDK document 14 days).</summary>
    public const int DefaultRetentionDays = 14;

    /// <summary>The members as given; null members keep the function's values (or take the defaults when it has none).</summary>
    public static (int? ExecutionTimeout, int? RetentionPeriodInDays) Read(IInputReader input) =>
        (input.Int("ExecutionTimeout"), input.Int("RetentionPeriodInDays"));
}

/// <summary>
/// One durable execution as persisted: the operations its function checkpointed, its history, the checkpoint token the
/// running invocation holds, and when the scheduler is to invoke the function again (a wait's end, a step's retry, a
/// callback's deadline, or at once after a callback completed). Stored whole, so each checkpoint is one atomic write.
/// </summary>
public sealed record DurableExecution
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string FunctionName { get; init; }
    /// <summary>The version the execution runs: $LATEST or a published number (an alias resolved when it started).</summary>
    public required string Version { get; init; }
    public required string Name { get; init; }
    public required string Id { get; init; }
    public required string InputPayload { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required int ExecutionTimeout { get; init; }
    public required int RetentionPeriodInDays { get; init; }
    public string Status { get; init; } = "RUNNING";
    public DateTimeOffset? Ended { get; init; }
    public string? Result { get; init; }
    public DurableError? Error { get; init; }
    public string? TraceHeader { get; init; }
    public string CheckpointToken { get; init; } = "";
    public List<DurableOperation> Operations { get; init; } = [];
    public List<DurableEvent> Events { get; init; } = [];
    /// <summary>Operations changed outside a checkpoint (a wait ended, a callback completed) that the next checkpoint's answer reports.</summary>
    public List<string> ChangedSinceCheckpoint { get; init; } = [];
    /// <summary>When the scheduler invokes the function again; null while an invocation runs or nothing is due.</summary>
    public DateTimeOffset? WakeAt { get; init; }
    /// <summary>An invocation is running; one still marked after a restart is run again.</summary>
    public bool Invoking { get; init; }
    /// <summary>Something completed while the function ran: invoke it again as soon as that invocation ends.</summary>
    public bool ResumeRequested { get; init; }
    /// <summary>Invocations in a row that ended in a function error or did not run; one that answers resets it.</summary>
    public int FailedInvocations { get; init; }
    /// <summary>The CHAINED_INVOKE operation of another execution that started this one; settled with this one's end.</summary>
    public ChainedCaller? Caller { get; init; }

    public string FunctionArn => $"{LambdaArns.Function(AccountId, Region, FunctionName)}:{Version}";
    public string Arn => $"{FunctionArn}/durable-execution/{Name}/{Id}";
    public DateTimeOffset Deadline => Started.AddSeconds(ExecutionTimeout);
    public bool IsRunning => Status == "RUNNING";
}

/// <summary>A calling execution (its table key) and its CHAINED_INVOKE operation.</summary>
public sealed record ChainedCaller(string ExecutionKey, string OperationId);

/// <summary>One checkpointed operation, in the shape GetDurableExecutionState answers (Operation).</summary>
public sealed record DurableOperation
{
    public required string Id { get; init; }
    public string? ParentId { get; init; }
    public string? Name { get; init; }
    public required string Type { get; init; }
    public string? SubType { get; init; }
    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset? Ended { get; init; }
    public required string Status { get; init; }
    /// <summary>The EXECUTION operation's input, or the payload a CHAINED_INVOKE operation sends its function.</summary>
    public string? InputPayload { get; init; }
    public string? Result { get; init; }
    public DurableError? Error { get; init; }
    public int Attempt { get; init; }
    public DateTimeOffset? NextAttempt { get; init; }
    public DateTimeOffset? ScheduledEnd { get; init; }
    public string? CallbackId { get; init; }
    public int? CallbackTimeoutSeconds { get; init; }
    public int? HeartbeatTimeoutSeconds { get; init; }
    public DateTimeOffset? LastHeartbeat { get; init; }
    public bool? ReplayChildren { get; init; }
    /// <summary>A chained invoke's function as the SDK named it (ChainedInvokeOptions.FunctionName), and its TenantId.</summary>
    public string? ChainedFunctionName { get; init; }
    public string? TenantId { get; init; }
    /// <summary>The durable execution a chained invoke of a durable function started; its end settles the operation.</summary>
    public string? ChainedExecutionArn { get; init; }

    /// <summary>When a started callback times out: its own timeout, or its heartbeat timeout after the last heartbeat.</summary>
    public DateTimeOffset? CallbackDeadline
    {
        get
        {
            if (Type != "CALLBACK" || Status != "STARTED") return null;
            DateTimeOffset? deadline = CallbackTimeoutSeconds is > 0 and var timeout ? Started.AddSeconds(timeout) : null;
            if (HeartbeatTimeoutSeconds is > 0 and var heartbeat)
            {
                var beat = (LastHeartbeat ?? Started).AddSeconds(heartbeat);
                deadline = deadline is null || beat < deadline ? beat : deadline;
            }
            return deadline;
        }
    }
}

/// <summary>AWS's ErrorObject.</summary>
public sealed record DurableError(string? ErrorMessage, string? ErrorType, string? ErrorData, List<string>? StackTrace)
{
    public static readonly DurableError None = new(null, null, null, null);

    public static DurableError? Read(IInputReader? input) => input is null ? null
        : new(input.String("ErrorMessage"), input.String("ErrorType"), input.String("ErrorData"),
            input.Has("StackTrace") ? input.Strings("StackTrace").ToList() : null);
}

/// <summary>
/// One history event (GetDurableExecutionHistory's Event): its type, the operation it concerns, and its details member
/// (ExecutionStartedDetails, StepSucceededDetails, ...) kept as the JSON the history answers.
/// </summary>
public sealed record DurableEvent(int EventId, string EventType, DateTimeOffset Timestamp, string? Id, string? Name, string? ParentId,
    string? SubType, string DetailsMember, string DetailsJson);

/// <summary>One entry of CheckpointDurableExecution's Updates.</summary>
public sealed record OperationUpdate(string Id, string? ParentId, string? Name, string Type, string? SubType, string Action, string? Payload,
    DurableError? Error, bool? ReplayChildren, int? NextAttemptDelaySeconds, int? WaitSeconds, int? CallbackTimeoutSeconds, int? HeartbeatTimeoutSeconds,
    string? ChainedFunctionName, string? TenantId)
{
    public static OperationUpdate Read(IInputReader input) => new(
        input.Required("Id"), input.String("ParentId"), input.String("Name"), input.Required("Type"), input.String("SubType"), input.Required("Action"),
        input.String("Payload"), DurableError.Read(input.Object("Error")), input.Object("ContextOptions")?.Bool("ReplayChildren"),
        input.Object("StepOptions")?.Int("NextAttemptDelaySeconds"), input.Object("WaitOptions")?.Int("WaitSeconds"),
        input.Object("CallbackOptions")?.Int("TimeoutSeconds"), input.Object("CallbackOptions")?.Int("HeartbeatTimeoutSeconds"),
        input.Object("ChainedInvokeOptions")?.String("FunctionName"), input.Object("ChainedInvokeOptions")?.String("TenantId"));
}

/// <summary>ListDurableExecutionsByFunction's filters.</summary>
public sealed record DurableExecutionFilter(string? Qualifier, string? Name, IReadOnlyList<string> Statuses, DateTimeOffset? StartedAfter,
    DateTimeOffset? StartedBefore, bool Reverse);
