using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Durable functions: an invoke of a function with a DurableConfig starts a durable execution; the function runs in the
/// durable envelope (DurableExecutionArn, CheckpointToken, InitialExecutionState), checkpoints its steps, waits and callbacks
/// through CheckpointDurableExecution, and answers SUCCEEDED, FAILED or PENDING. A PENDING execution is invoked again by
/// the durable scheduler (a <see cref="Engine.DueKeyRunner"/>) when a wait ends, a step's retry is due, a callback or a chained
/// invoke completes, a callback times out, or an invocation that failed is retried; every change is in the execution's stored
/// record first, so a restart loses no timer.
/// </summary>
public sealed partial class LambdaService
{
    /// <summary>AWS limits a synchronous invocation of a durable function to 15 minutes (durable-invoking in the Lambda guide).</summary>
    private const int MaxSyncExecutionSeconds = 900;
    /// <summary>Ours: a bound on the operations one execution keeps, so a runaway loop of steps cannot grow a record without end.</summary>
    private const int MaxOperationsPerExecution = 10_000;
    private const int DefaultStatePageSize = 1000;
    /// <summary>
    /// Ours: AWS retries an invocation of a durable execution that ended in a function error, a timeout or a crash (the
    /// durable functions guide's "backend retries") but publishes no count or back-off; Stratus retries twice, as Lambda
    /// retries an asynchronous invocation's function error, after 1 s and then 2 s.
    /// </summary>
    private const int MaxInvocationRetries = 2;
    private static readonly TimeSpan InvocationRetryDelay = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, TaskCompletionSource<DurableExecution>> _durableWaiters = new(StringComparer.Ordinal);

    private static string DurableKey(string accountId, string region, string id) => Persistence.ResourceTable<DurableExecution>.Key(accountId, region, id);

    private static DurableSettings Durable(DurableSettings? current, (int? ExecutionTimeout, int? RetentionPeriodInDays) given)
    {
        LambdaRules.CheckCreate("DurableConfig", new { given.ExecutionTimeout, given.RetentionPeriodInDays });
        var timeout = given.ExecutionTimeout ?? current?.ExecutionTimeout ?? throw LambdaErrors.Validation.Missing("durableConfig.executionTimeout");
        return new DurableSettings(timeout, given.RetentionPeriodInDays ?? current?.RetentionPeriodInDays ?? DurableSettings.DefaultRetentionDays);
    }

    // ---- starting ----

    /// <summary>
    /// Invoke of a durable function: AWS requires a qualified function (a version, an alias or $LATEST). An execution name
    /// already used by this function answers that execution when the input is the same (AWS's idempotent start), else
    /// DurableExecutionAlreadyStartedException. Event answers 202 at once; RequestResponse waits for the execution to end.
    /// </summary>
    private async Task<InvokeResponse> StartDurableAsync(Scope scope, LambdaFunction function, string version, string? qualifier,
        FunctionConfig config, ReadOnlyMemory<byte> payload, InvokeOptions options, CancellationToken cancellation)
    {
        if (qualifier is null) throw LambdaErrors.DurableNeedsQualifier(function.Arn);
        var durable = config.Durable!;
        var sync = options.InvocationType == "RequestResponse";
        if (sync && durable.ExecutionTimeout > MaxSyncExecutionSeconds) throw LambdaErrors.DurableSyncTooLong(durable.ExecutionTimeout);
        var input = Encoding.UTF8.GetString(payload.Span);
        var name = options.DurableExecutionName ?? Guid.NewGuid().ToString();
        var existing = _durable.Values.FirstOrDefault(e => e.AccountId == scope.AccountId && e.Region == scope.Region
            && e.FunctionName == function.Name && e.Name == name);
        DurableExecution execution;
        if (existing is not null)
        {
            if (existing.InputPayload != input) throw LambdaErrors.DurableExecutionAlreadyStarted(name);
            execution = existing;
        }
        else
        {
            var now = _clock.GetUtcNow();
            execution = new DurableExecution
            {
                AccountId = scope.AccountId, Region = scope.Region, FunctionName = function.Name, Version = version, Name = name,
                Id = Guid.NewGuid().ToString(), InputPayload = input, Started = now, ExecutionTimeout = durable.ExecutionTimeout,
                RetentionPeriodInDays = durable.RetentionPeriodInDays, TraceHeader = options.TraceHeader, WakeAt = now, Caller = options.ChainedCaller,
                Operations = [new DurableOperation { Id = Guid.NewGuid().ToString("N"), Type = "EXECUTION", Started = now, Status = "STARTED", InputPayload = input }],
            };
            execution = Record(execution, "ExecutionStarted", null, "ExecutionStartedDetails",
                new JsonObject { ["Input"] = DurableJson.Payload(input), ["ExecutionTimeout"] = durable.ExecutionTimeout });
            _durable.Put(DurableKey(execution.AccountId, execution.Region, execution.Id), execution);
            _durableScheduler.Wake();
        }
        if (!sync) return new InvokeResponse(202, ReadOnlyMemory<byte>.Empty, null, version, null) { DurableExecutionArn = execution.Arn };
        var ended = await EndOfAsync(execution, cancellation);
        return ended.Status == "SUCCEEDED"
            ? new InvokeResponse(200, Encoding.UTF8.GetBytes(ended.Result ?? "null"), null, version, null) { DurableExecutionArn = ended.Arn }
            : new InvokeResponse(200, FunctionErrorPayload(ended), "Unhandled", version, null) { DurableExecutionArn = ended.Arn };
    }

    private Task<DurableExecution> EndOfAsync(DurableExecution execution, CancellationToken cancellation)
    {
        var waiter = _durableWaiters.GetOrAdd(execution.Arn, _ => new TaskCompletionSource<DurableExecution>(TaskCreationOptions.RunContinuationsAsynchronously));
        // The execution may have ended before the waiter was registered.
        if (_durable.Get(DurableKey(execution.AccountId, execution.Region, execution.Id)) is { IsRunning: false } done) waiter.TrySetResult(done);
        return waiter.Task.WaitAsync(cancellation);
    }

    /// <summary>What a synchronous invoke answers for an execution that did not succeed: the error as a function error document.</summary>
    private static byte[] FunctionErrorPayload(DurableExecution execution) => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["errorType"] = execution.Error?.ErrorType ?? execution.Status,
        ["errorMessage"] = execution.Error?.ErrorMessage ?? $"The durable execution ended {execution.Status}.",
    });

    // ---- running (the scheduler's side) ----

    /// <summary>The executions due now: a wake time passed, the execution timeout passed, or an invocation a restart cut off.</summary>
    private IEnumerable<string> DueDurableExecutions(DateTimeOffset now)
    {
        ForgetExpiredDurableExecutions(now);
        return _durable.Entries.Where(e => e.Value.IsRunning && !e.Value.Invoking && (e.Value.WakeAt <= now || e.Value.Deadline <= now)).Select(e => e.Key);
    }

    /// <summary>
    /// Executions an invocation was running for when Stratus stopped: run again, as AWS retries an invocation that did not finish.
    /// Chained invokes go on too: one whose durable execution ended meanwhile is settled, one whose function's answer a
    /// restart cut off is invoked again.
    /// </summary>
    private void ResumeInterruptedDurableExecutions()
    {
        foreach (var key in _durable.Entries.Where(e => e.Value is { IsRunning: true, Invoking: true }).Select(e => e.Key).ToList())
            _durable.Update(key, e => e with { Invoking = false, WakeAt = _clock.GetUtcNow() });
        foreach (var (key, execution) in _durable.Entries.Where(e => e.Value.IsRunning).ToList())
            foreach (var op in execution.Operations.Where(o => o is { Type: "CHAINED_INVOKE", Status: "STARTED" }))
            {
                if (op.ChainedExecutionArn is null) LaunchChainedInvoke(key, op.Id);
                else if (DurableByArn(execution.AccountId, execution.Region, op.ChainedExecutionArn) is { IsRunning: false } ended) SettleChainedInvoke(ended);
            }
    }

    /// <summary>Ended executions older than their retention period are forgotten, as AWS keeps history RetentionPeriodInDays.</summary>
    private void ForgetExpiredDurableExecutions(DateTimeOffset now)
    {
        foreach (var key in _durable.Entries.Where(e => e.Value.Ended is { } ended && ended.AddDays(e.Value.RetentionPeriodInDays) < now).Select(e => e.Key).ToList())
            _durable.Remove(key);
    }

    /// <summary>One invocation of a due execution: operations that came due are settled, the function runs in the envelope, its answer is applied.</summary>
    private async Task RunDurableAsync(string key)
    {
        var now = _clock.GetUtcNow();
        var claimed = false;
        List<string> updatedIds = [];
        var started = _durable.Update(key, e =>
        {
            if (!e.IsRunning || e.Invoking) return e;
            if (e.Deadline <= now) return End(e, "TIMED_OUT", null, new DurableError("The durable execution exceeded its ExecutionTimeout.", "Execution.TimedOut", null, null));
            if (e.WakeAt is null || e.WakeAt > now) return e;
            var settled = SettleDue(e, now);
            claimed = true;
            updatedIds = settled.ChangedSinceCheckpoint;
            return settled with { Invoking = true, WakeAt = null, ResumeRequested = false, CheckpointToken = NewCheckpointToken(), ChangedSinceCheckpoint = [] };
        });
        if (started is { IsRunning: false }) Ended(started);
        if (started is null || !claimed) return;

        var envelope = Envelope(started, updatedIds);
        var invokedAt = _clock.GetUtcNow();
        InvokeResponse? response = null;
        string? failure = null;
        try
        {
            response = await InvokeAsync(Scope.Of(started.AccountId, started.Region), started.FunctionName, started.Version,
                JsonSerializer.SerializeToUtf8Bytes(envelope), new InvokeOptions("RequestResponse", false, null, started.TraceHeader) { DurableReplay = true },
                CancellationToken.None);
        }
        catch (AwsException e)
        {
            failure = $"{e.Code}: {e.Message}";
        }
        var finished = _clock.GetUtcNow();
        var after = _durable.Update(key, e =>
        {
            var invocationError = failure is not null ? new DurableError(failure, "Lambda.InvocationFailed", null, null)
                : response!.FunctionError is not null ? ErrorFromFunction(response.Payload) : null;
            var completed = new JsonObject
            {
                ["StartTimestamp"] = DurableJson.EpochSeconds(invokedAt), ["EndTimestamp"] = DurableJson.EpochSeconds(finished),
                ["RequestId"] = Guid.NewGuid().ToString(),
            };
            if (invocationError is not null) completed["Error"] = DurableJson.EventError(invocationError);
            e = Record(e, "InvocationCompleted", null, "InvocationCompletedDetails", completed) with { Invoking = false };
            if (!e.IsRunning) return e;
            if (invocationError is not null)
            {
                // A function error here is the function's crash, timeout or an error the SDK did not catch (a step's or the
                // handler's error comes back as a FAILED answer): the invocation is retried from the last checkpoint.
                if (e.FailedInvocations >= MaxInvocationRetries) return End(e, "FAILED", null, invocationError);
                return e with
                {
                    FailedInvocations = e.FailedInvocations + 1,
                    WakeAt = finished + InvocationRetryDelay * Math.Pow(2, e.FailedInvocations),
                    ResumeRequested = false,
                };
            }
            e = e with { FailedInvocations = 0 };
            var answer = ParseAnswer(response!.Payload);
            switch (answer?["Status"]?.GetValue<string>())
            {
                case "SUCCEEDED":
                    var result = answer["Result"]?.GetValue<string>() is { Length: > 0 } r ? r : e.Operations.FirstOrDefault(o => o.Type == "EXECUTION")?.Result;
                    return End(e, "SUCCEEDED", result, null);
                case "FAILED":
                    var error = answer["Error"] is JsonObject errorJson ? ErrorFrom(errorJson) : null;
                    return End(e, "FAILED", null, error ?? e.Operations.FirstOrDefault(o => o.Type == "EXECUTION")?.Error);
                case "PENDING":
                    return e with { WakeAt = e.ResumeRequested ? finished : NextWake(e), ResumeRequested = false };
                default:
                    return End(e, "FAILED", null, new DurableError(
                        "The function answered without a durable execution status (SUCCEEDED, FAILED or PENDING): is its handler wrapped by the durable execution SDK?",
                        "Execution.InvalidResponse", null, null));
            }
        });
        if (after is { IsRunning: false }) Ended(after);
        _durableScheduler.Wake();
    }

    private void Ended(DurableExecution execution)
    {
        if (_durableWaiters.TryRemove(execution.Arn, out var waiter)) waiter.TrySetResult(execution);
        SettleChainedInvoke(execution);
    }

    private static JsonObject? ParseAnswer(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return JsonNode.Parse(payload.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static DurableError ErrorFromFunction(ReadOnlyMemory<byte> payload) =>
        ParseAnswer(payload) is { } error
            ? new DurableError(error["errorMessage"]?.ToString(), error["errorType"]?.ToString(), null, null)
            : new DurableError(Encoding.UTF8.GetString(payload.Span), "Unhandled", null, null);

    private static DurableError ErrorFrom(JsonObject json) => new(json["ErrorMessage"]?.ToString(), json["ErrorType"]?.ToString(),
        json["ErrorData"]?.ToString(), json["StackTrace"] is JsonArray trace ? trace.Select(t => t?.ToString() ?? "").ToList() : null);

    /// <summary>The invocation's event: the first page of operations (the EXECUTION operation first, whose input the SDK hands the handler).</summary>
    private static JsonObject Envelope(DurableExecution execution, IEnumerable<string> updatedIds)
    {
        var page = execution.Operations.Take(DefaultStatePageSize).Select(o => (JsonNode)DurableJson.Operation(o, DurableJson.EpochMilliseconds)).ToArray();
        var state = new JsonObject { ["Operations"] = new JsonArray(page) };
        if (execution.Operations.Count > DefaultStatePageSize) state["NextMarker"] = DefaultStatePageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["DurableExecutionArn"] = execution.Arn,
            ["CheckpointToken"] = execution.CheckpointToken,
            ["InitialExecutionState"] = state,
            ["UpdatedOperationIds"] = new JsonArray(updatedIds.Select(id => (JsonNode?)id).ToArray()),
        };
    }

    /// <summary>The earliest moment something the execution waits for comes due; null when only callbacks without a timeout are pending.</summary>
    private static DateTimeOffset? NextWake(DurableExecution e)
    {
        var due = e.Operations.Select(o => o switch
        {
            { Type: "WAIT", Status: "STARTED" } => o.ScheduledEnd,
            { Type: "STEP", Status: "PENDING" } => o.NextAttempt,
            { Status: "READY" } => o.Started,
            _ => o.CallbackDeadline,
        }).Where(t => t is not null).Min();
        return due;
    }

    /// <summary>Waits whose end passed succeed, retries that are due become READY, callbacks past their deadline time out.</summary>
    private DurableExecution SettleDue(DurableExecution e, DateTimeOffset now)
    {
        for (var i = 0; i < e.Operations.Count; i++)
        {
            var op = e.Operations[i];
            if (op is { Type: "WAIT", Status: "STARTED" } && op.ScheduledEnd <= now)
            {
                e = Changed(Replace(e, op with { Status = "SUCCEEDED", Ended = now }), op.Id);
                e = Record(e, "WaitSucceeded", op, "WaitSucceededDetails", new JsonObject { ["Duration"] = (int)Math.Round(((op.ScheduledEnd ?? now) - op.Started).TotalSeconds) });
            }
            else if (op is { Type: "STEP", Status: "PENDING" } && op.NextAttempt <= now)
                e = Changed(Replace(e, op with { Status = "READY" }), op.Id);
            else if (op.CallbackDeadline <= now)
            {
                var error = new DurableError("Callback timed out", "Callback.Timeout", null, null);
                e = Changed(Replace(e, op with { Status = "TIMED_OUT", Ended = now, Error = error }), op.Id);
                e = Record(e, "CallbackTimedOut", op, "CallbackTimedOutDetails", new JsonObject { ["Error"] = DurableJson.EventError(error) });
            }
        }
        return e;
    }

    /// <summary>Notes an operation changed outside a checkpoint, for the next invocation's UpdatedOperationIds or checkpoint's answer.</summary>
    private static DurableExecution Changed(DurableExecution e, string id) =>
        e.ChangedSinceCheckpoint.Contains(id) ? e : e with { ChangedSinceCheckpoint = [.. e.ChangedSinceCheckpoint, id] };

    private DurableExecution End(DurableExecution e, string status, string? result, DurableError? error)
    {
        var now = _clock.GetUtcNow();
        var execution = e.Operations.FirstOrDefault(o => o.Type == "EXECUTION");
        if (execution is not null) e = Replace(e, execution with { Status = status, Ended = now, Result = result ?? execution.Result, Error = error ?? execution.Error });
        var (eventType, member) = status switch
        {
            "SUCCEEDED" => ("ExecutionSucceeded", "ExecutionSucceededDetails"),
            "TIMED_OUT" => ("ExecutionTimedOut", "ExecutionTimedOutDetails"),
            "STOPPED" => ("ExecutionStopped", "ExecutionStoppedDetails"),
            _ => ("ExecutionFailed", "ExecutionFailedDetails"),
        };
        var details = status == "SUCCEEDED" ? new JsonObject { ["Result"] = DurableJson.Payload(result) }
            : new JsonObject { ["Error"] = DurableJson.EventError(error ?? DurableError.None) };
        return Record(e, eventType, null, member, details) with { Status = status, Ended = now, Result = result, Error = error, WakeAt = null };
    }

    private DurableExecution Record(DurableExecution e, string eventType, DurableOperation? op, string member, JsonObject details) =>
        e with
        {
            Events = [.. e.Events, new DurableEvent(e.Events.Count + 1, eventType, _clock.GetUtcNow(), op?.Id, op?.Name, op?.ParentId, op?.SubType,
                member, details.ToJsonString())],
        };

    private static DurableExecution Replace(DurableExecution e, DurableOperation op)
    {
        var index = e.Operations.FindIndex(o => o.Id == op.Id);
        var operations = e.Operations.ToList();
        if (index < 0) operations.Add(op);
        else operations[index] = op;
        return e with { Operations = operations };
    }

    private static string NewCheckpointToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    // ---- the durable execution API ----

    private DurableExecution FindDurable(Scope scope, string arn, bool notFoundIsInvalid = false) =>
        DurableByArn(scope.AccountId, scope.Region, arn)
        ?? throw (notFoundIsInvalid ? LambdaErrors.DurableExecutionInvalid(arn) : LambdaErrors.DurableExecutionNotFound(arn));

    private DurableExecution? DurableByArn(string accountId, string region, string arn)
    {
        // arn:aws:lambda:REGION:ACCOUNT:function:NAME:VERSION/durable-execution/EXECUTION-NAME/ID
        var parts = arn.Split('/');
        var id = parts.Length == 4 && parts[1] == "durable-execution" ? parts[3] : null;
        return id is not null && _durable.Get(DurableKey(accountId, region, id)) is { } execution && execution.Arn == arn ? execution : null;
    }

    public DurableExecution GetDurableExecution(Scope scope, string arn) => FindDurable(scope, arn);

    public (IReadOnlyList<DurableEvent> Events, string? NextMarker) GetDurableExecutionHistory(Scope scope, string arn, int? maxItems, string? marker, bool reverse)
    {
        var execution = FindDurable(scope, arn);
        IEnumerable<DurableEvent> events = execution.Events;
        if (reverse) events = events.Reverse();
        return OffsetPage(events.ToList(), marker, maxItems ?? DefaultStatePageSize);
    }

    public (IReadOnlyList<DurableOperation> Operations, string? NextMarker) GetDurableExecutionState(Scope scope, string arn, string checkpointToken, string? marker, int? maxItems)
    {
        var execution = FindDurable(scope, arn, notFoundIsInvalid: true);
        if (execution.CheckpointToken != checkpointToken) throw LambdaErrors.InvalidCheckpointToken();
        return OffsetPage(execution.Operations, marker, maxItems ?? DefaultStatePageSize);
    }

    public (IReadOnlyList<DurableExecution> Executions, string? NextMarker) ListDurableExecutions(Scope scope, string functionName, DurableExecutionFilter filter,
        string? marker, int? maxItems)
    {
        var (function, version) = Find(scope.AccountId, scope.Region, functionName, filter.Qualifier);
        var executions = _durable.Values
            .Where(e => e.AccountId == scope.AccountId && e.Region == scope.Region && e.FunctionName == function.Name && e.Version == version)
            .Where(e => filter.Name is null || e.Name == filter.Name)
            .Where(e => filter.Statuses.Count == 0 || filter.Statuses.Contains(e.Status))
            .Where(e => (filter.StartedAfter is null || e.Started > filter.StartedAfter) && (filter.StartedBefore is null || e.Started < filter.StartedBefore))
            .OrderBy(e => e.Started).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        if (filter.Reverse) executions.Reverse();
        return OffsetPage(executions, marker, maxItems is null or 0 ? DefaultStatePageSize : maxItems.Value);
    }

    private static (IReadOnlyList<T> Page, string? NextMarker) OffsetPage<T>(IReadOnlyList<T> items, string? marker, int limit)
    {
        var start = 0;
        if (marker is not null && (!int.TryParse(marker, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start) || start > items.Count))
            throw LambdaErrors.InvalidMarker(marker);
        if (limit <= 0) limit = DefaultStatePageSize;
        var page = items.Skip(start).Take(limit).ToList();
        return (page, start + page.Count < items.Count ? (start + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    public DateTimeOffset StopDurableExecution(Scope scope, string arn, DurableError? error)
    {
        var execution = FindDurable(scope, arn);
        var now = _clock.GetUtcNow();
        var stopped = _durable.Update(DurableKey(execution.AccountId, execution.Region, execution.Id), e =>
            e.IsRunning ? End(e, "STOPPED", null, error ?? new DurableError("The durable execution was stopped.", "Execution.Stopped", null, null)) : throw LambdaErrors.DurableExecutionEnded(arn, e.Status))!;
        Ended(stopped);
        return now;
    }

    /// <summary>
    /// CheckpointDurableExecution: the token must be the one the running invocation holds (each is used once); the updates
    /// apply in order; the answer carries a new token and the operations this checkpoint changed, with any that changed since the last
    /// (a wait that ended, a callback completed) so an SDK polling by checkpoint sees them.
    /// </summary>
    public (string Token, IReadOnlyList<DurableOperation> Operations) Checkpoint(Scope scope, string arn, string token, IReadOnlyList<OperationUpdate> updates)
    {
        var execution = FindDurable(scope, arn, notFoundIsInvalid: true);
        var key = DurableKey(execution.AccountId, execution.Region, execution.Id);
        List<string> changed = [];
        List<string> chainedInvokes = [];
        var next = _durable.Update(key, e =>
        {
            if (e.CheckpointToken != token) throw LambdaErrors.InvalidCheckpointToken();
            if (!e.IsRunning) throw LambdaErrors.DurableExecutionEnded(arn, e.Status);
            var now = _clock.GetUtcNow();
            chainedInvokes = updates.Where(u => u is { Type: "CHAINED_INVOKE", Action: "START" } && e.Operations.All(o => o.Id != u.Id)).Select(u => u.Id).ToList();
            e = SettleDue(e, now);
            foreach (var update in updates) e = Apply(e, update, now);
            if (e.Operations.Count > MaxOperationsPerExecution) throw LambdaErrors.TooManyOperations(MaxOperationsPerExecution);
            changed = [.. e.ChangedSinceCheckpoint, .. updates.Select(u => u.Id)];
            return e with { CheckpointToken = NewCheckpointToken(), ChangedSinceCheckpoint = [] };
        })!;
        // Invoked once the START is stored, so a restart finds every chained invoke it has to go on with.
        foreach (var id in chainedInvokes.Distinct()) LaunchChainedInvoke(key, id);
        var ids = changed.ToHashSet(StringComparer.Ordinal);
        return (next.CheckpointToken, next.Operations.Where(o => ids.Contains(o.Id)).ToList());
    }

    private DurableExecution Apply(DurableExecution e, OperationUpdate u, DateTimeOffset now)
    {
        var existing = e.Operations.FirstOrDefault(o => o.Id == u.Id);
        if (existing is not null && existing.Type != u.Type) throw LambdaErrors.InvalidOperationUpdate(u, $"operation {u.Id} is a {existing.Type}");
        var op = existing ?? new DurableOperation { Id = u.Id, ParentId = u.ParentId, Name = u.Name, Type = u.Type, SubType = u.SubType, Started = now, Status = "STARTED" };
        switch (u.Type, u.Action)
        {
            case ("EXECUTION", "SUCCEED"):
                return Replace(e, op with { Result = u.Payload });
            case ("EXECUTION", "FAIL"):
                return Replace(e, op with { Error = u.Error });
            case ("STEP", "START"):
                if (existing is { Status: not ("READY" or "STARTED") }) throw LambdaErrors.InvalidOperationUpdate(u, $"the step is {existing.Status}");
                op = op with { Status = "STARTED", Attempt = existing is null ? 1 : existing.Status == "READY" ? existing.Attempt + 1 : existing.Attempt, NextAttempt = null };
                return Record(Replace(e, op), "StepStarted", op, "StepStartedDetails", new JsonObject());
            case ("STEP", "SUCCEED"):
                op = Started(op, now) with { Status = "SUCCEEDED", Ended = now, Result = u.Payload, Error = null };
                return Record(Replace(e, op), "StepSucceeded", op, "StepSucceededDetails",
                    new JsonObject { ["Result"] = DurableJson.Payload(u.Payload), ["RetryDetails"] = new JsonObject { ["CurrentAttempt"] = op.Attempt } });
            case ("STEP", "FAIL"):
                op = Started(op, now) with { Status = "FAILED", Ended = now, Error = u.Error };
                return Record(Replace(e, op), "StepFailed", op, "StepFailedDetails",
                    new JsonObject { ["Error"] = DurableJson.EventError(u.Error ?? DurableError.None), ["RetryDetails"] = new JsonObject { ["CurrentAttempt"] = op.Attempt } });
            case ("STEP", "RETRY"):
                var delay = u.NextAttemptDelaySeconds ?? 1;
                op = Started(op, now) with { Status = "PENDING", Error = u.Error, NextAttempt = now.AddSeconds(delay) };
                return Record(Replace(e, op), "StepFailed", op, "StepFailedDetails", new JsonObject
                {
                    ["Error"] = DurableJson.EventError(u.Error ?? DurableError.None),
                    ["RetryDetails"] = new JsonObject { ["CurrentAttempt"] = op.Attempt, ["NextAttemptDelaySeconds"] = delay },
                });
            case ("WAIT", "START"):
                if (existing is not null) return e;
                var seconds = u.WaitSeconds ?? throw LambdaErrors.InvalidOperationUpdate(u, "WaitOptions.WaitSeconds is required");
                op = op with { ScheduledEnd = now.AddSeconds(seconds) };
                return Record(Replace(e, op), "WaitStarted", op, "WaitStartedDetails",
                    new JsonObject { ["Duration"] = seconds, ["ScheduledEndTimestamp"] = DurableJson.EpochSeconds(op.ScheduledEnd.Value) });
            case ("WAIT", "CANCEL"):
                op = op with { Status = "CANCELLED", Ended = now };
                return Record(Replace(e, op), "WaitCancelled", op, "WaitCancelledDetails", new JsonObject());
            case ("CALLBACK", "START"):
                if (existing is not null) return e;
                op = op with { CallbackId = NewCallbackId(), CallbackTimeoutSeconds = u.CallbackTimeoutSeconds, HeartbeatTimeoutSeconds = u.HeartbeatTimeoutSeconds };
                var started = new JsonObject { ["CallbackId"] = op.CallbackId };
                if (u.HeartbeatTimeoutSeconds is { } heartbeat) started["HeartbeatTimeout"] = heartbeat;
                if (u.CallbackTimeoutSeconds is { } timeout) started["Timeout"] = timeout;
                return Record(Replace(e, op), "CallbackStarted", op, "CallbackStartedDetails", started);
            case ("CONTEXT", "START"):
                if (existing is not null) return e;
                return Record(Replace(e, op), "ContextStarted", op, "ContextStartedDetails", new JsonObject());
            case ("CONTEXT", "SUCCEED"):
                op = op with { Status = "SUCCEEDED", Ended = now, Result = u.Payload, ReplayChildren = u.ReplayChildren };
                return Record(Replace(e, op), "ContextSucceeded", op, "ContextSucceededDetails", new JsonObject { ["Result"] = DurableJson.Payload(u.Payload) });
            case ("CONTEXT", "FAIL"):
                op = op with { Status = "FAILED", Ended = now, Error = u.Error, ReplayChildren = u.ReplayChildren };
                return Record(Replace(e, op), "ContextFailed", op, "ContextFailedDetails",
                    new JsonObject { ["Error"] = DurableJson.EventError(u.Error ?? DurableError.None) });
            case ("CHAINED_INVOKE", "START"):
                if (existing is not null) return e;
                var target = u.ChainedFunctionName ?? throw LambdaErrors.InvalidOperationUpdate(u, "ChainedInvokeOptions.FunctionName is required");
                return Replace(e, op with { ChainedFunctionName = target, TenantId = u.TenantId, InputPayload = u.Payload });
            default:
                throw LambdaErrors.InvalidOperationUpdate(u, $"{u.Action} is not an action for a {u.Type} operation");
        }
    }

    /// <summary>A step checkpointed only at its end (at-most-once semantics off) counts as its first attempt.</summary>
    private static DurableOperation Started(DurableOperation op, DateTimeOffset now) => op.Attempt == 0 ? op with { Attempt = 1, Started = now } : op;

    /// <summary>Callback ids are matched by value only: 64 hex digits, which are base64's alphabet and need no escaping in a URI.</summary>
    private static string NewCallbackId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    // ---- callbacks ----

    public void CompleteCallback(Scope scope, string callbackId, bool succeeded, string? result, DurableError? error)
    {
        ChangeCallback(scope, callbackId, (e, op, now) =>
        {
            op = succeeded ? op with { Status = "SUCCEEDED", Ended = now, Result = result } : op with { Status = "FAILED", Ended = now, Error = error };
            e = succeeded
                ? Record(Replace(e, op), "CallbackSucceeded", op, "CallbackSucceededDetails", new JsonObject { ["Result"] = DurableJson.Payload(result) })
                : Record(Replace(e, op), "CallbackFailed", op, "CallbackFailedDetails",
                    new JsonObject { ["Error"] = DurableJson.EventError(error ?? DurableError.None) });
            return ResumeAfter(e, op.Id, now);
        });
        _durableScheduler.Wake();
    }

    /// <summary>An operation settled outside the function (a callback, a chained invoke): it runs again to go on from there, now or as soon as a running invocation ends.</summary>
    private static DurableExecution ResumeAfter(DurableExecution e, string operationId, DateTimeOffset now) =>
        Changed(e, operationId) with
        {
            WakeAt = e.Invoking ? e.WakeAt : now,
            ResumeRequested = e.Invoking || e.ResumeRequested,
        };

    public void CallbackHeartbeat(Scope scope, string callbackId) =>
        ChangeCallback(scope, callbackId, (e, op, now) =>
        {
            var beat = op with { LastHeartbeat = now };
            return Replace(e, beat) with { WakeAt = e.Invoking ? e.WakeAt : NextWake(Replace(e, beat)) };
        });

    private void ChangeCallback(Scope scope, string callbackId, Func<DurableExecution, DurableOperation, DateTimeOffset, DurableExecution> change)
    {
        var entry = _durable.Entries.FirstOrDefault(e => e.Value.AccountId == scope.AccountId && e.Value.Region == scope.Region
            && e.Value.Operations.Any(o => o.CallbackId == callbackId));
        if (entry.Value is null) throw LambdaErrors.CallbackNotFound(callbackId);
        _durable.Update(entry.Key, e =>
        {
            var now = _clock.GetUtcNow();
            var op = e.Operations.First(o => o.CallbackId == callbackId);
            if (op.CallbackDeadline <= now || op.Status == "TIMED_OUT") throw LambdaErrors.CallbackTimedOut(callbackId);
            if (!e.IsRunning || op.Status != "STARTED") throw LambdaErrors.CallbackAlreadyClosed(callbackId, op.Status);
            return change(e, op, now);
        });
    }

    // ---- chained invokes ----

    /// <summary>Runs a chained invoke in the background: the checkpoint that started it has answered.</summary>
    private void LaunchChainedInvoke(string key, string operationId) => _ = Task.Run(() => RunChainedInvokeAsync(key, operationId));

    /// <summary>
    /// A CHAINED_INVOKE operation's invoke, through Lambda's own Invoke as AWS's backend makes it: a durable function (which,
    /// as on AWS, must be named with a version, an alias or $LATEST) starts a durable execution that settles the operation
    /// when it ends; another function is invoked synchronously and its answer or function error settles it. An invoke
    /// Lambda refuses (no such function, an unqualified durable function) fails the operation with Lambda's error, which
    /// the SDK throws from context.invoke.
    /// </summary>
    private async Task RunChainedInvokeAsync(string key, string operationId)
    {
        if (_durable.Get(key) is not { IsRunning: true } caller
            || caller.Operations.FirstOrDefault(o => o.Id == operationId) is not { Type: "CHAINED_INVOKE", Status: "STARTED", ChainedFunctionName: { } target } op)
            return;
        var payload = Encoding.UTF8.GetBytes(op.InputPayload ?? "");
        try
        {
            var (function, version) = Find(caller.AccountId, caller.Region, target, null);
            if (ConfigFor(function, version).Durable is null)
            {
                RecordChainedStart(key, op, version, null);
                var response = await InvokeAsync(Scope.Of(caller.AccountId, caller.Region), target, null, payload,
                    new InvokeOptions("RequestResponse", false, null, caller.TraceHeader), CancellationToken.None);
                if (response.FunctionError is null) SettleChainedInvoke(key, operationId, "SUCCEEDED", Encoding.UTF8.GetString(response.Payload.Span), null);
                else SettleChainedInvoke(key, operationId, "FAILED", null, ErrorFromFunction(response.Payload));
                return;
            }
            // The execution's name comes from the operation, so invoking again after a restart answers the same execution.
            var started = await InvokeAsync(Scope.Of(caller.AccountId, caller.Region), target, null, payload,
                new InvokeOptions("Event", false, null, caller.TraceHeader)
                {
                    DurableExecutionName = ChainedExecutionName(caller, op), ChainedCaller = new ChainedCaller(key, operationId),
                }, CancellationToken.None);
            RecordChainedStart(key, op, started.ExecutedVersion, started.DurableExecutionArn);
            // The execution may have ended before its ARN was recorded.
            if (started.DurableExecutionArn is { } arn && DurableByArn(caller.AccountId, caller.Region, arn) is { IsRunning: false } ended) SettleChainedInvoke(ended);
        }
        catch (AwsException e)
        {
            SettleChainedInvoke(key, operationId, "FAILED", null, new DurableError(e.Message, e.Code, null, null));
        }
    }

    /// <summary>A durable execution name (64 characters at most) unique to the calling execution's operation.</summary>
    private static string ChainedExecutionName(DurableExecution caller, DurableOperation op) =>
        "chained-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.Arn}/{op.Id}")))[..40];

    /// <summary>ChainedInvokeStarted, once the function is known (and the durable execution it started, if any).</summary>
    private void RecordChainedStart(string key, DurableOperation op, string version, string? executionArn)
    {
        var details = new JsonObject { ["FunctionName"] = op.ChainedFunctionName, ["Input"] = DurableJson.Payload(op.InputPayload), ["ExecutedVersion"] = version };
        if (op.TenantId is not null) details["TenantId"] = op.TenantId;
        if (executionArn is not null) details["DurableExecutionArn"] = executionArn;
        _durable.Update(key, e => e.Operations.FirstOrDefault(o => o.Id == op.Id) is { Status: "STARTED" } current
            ? Record(Replace(e, current with { ChainedExecutionArn = executionArn }), "ChainedInvokeStarted", current, "ChainedInvokeStartedDetails", details)
            : e);
    }

    /// <summary>A durable execution a chained invoke started has ended: its caller's operation ends the same way.</summary>
    private void SettleChainedInvoke(DurableExecution ended)
    {
        if (ended.Caller is { } caller) SettleChainedInvoke(caller.ExecutionKey, caller.OperationId, ended.Status, ended.Result, ended.Error);
    }

    /// <summary>Records a chained invoke's outcome (SUCCEEDED with the result, FAILED, TIMED_OUT or STOPPED with the error) and resumes its execution.</summary>
    private void SettleChainedInvoke(string key, string operationId, string status, string? result, DurableError? error)
    {
        _durable.Update(key, e =>
        {
            if (!e.IsRunning || e.Operations.FirstOrDefault(o => o.Id == operationId) is not { Type: "CHAINED_INVOKE", Status: "STARTED" } op) return e;
            var now = _clock.GetUtcNow();
            op = op with { Status = status, Ended = now, Result = result, Error = error };
            var errorDetails = new JsonObject { ["Error"] = DurableJson.EventError(error ?? DurableError.None) };
            e = status switch
            {
                "SUCCEEDED" => Record(Replace(e, op), "ChainedInvokeSucceeded", op, "ChainedInvokeSucceededDetails", new JsonObject { ["Result"] = DurableJson.Payload(result) }),
                "TIMED_OUT" => Record(Replace(e, op), "ChainedInvokeTimedOut", op, "ChainedInvokeTimedOutDetails", errorDetails),
                "STOPPED" => Record(Replace(e, op), "ChainedInvokeStopped", op, "ChainedInvokeStoppedDetails", errorDetails),
                _ => Record(Replace(e, op), "ChainedInvokeFailed", op, "ChainedInvokeFailedDetails", errorDetails),
            };
            return ResumeAfter(e, op.Id, now);
        });
        _durableScheduler.Wake();
    }
}
