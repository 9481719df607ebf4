using System.Text.Json.Nodes;

namespace Stratus.Services.Lambda;

/// <summary>
/// Durable execution shapes as JSON: an Operation (GetDurableExecutionState, CheckpointDurableExecution's answer and the
/// invocation envelope's InitialExecutionState), an ErrorObject and a history Event. Timestamps are written by the caller's
/// <c>time</c>: epoch seconds on the REST-JSON wire, epoch milliseconds in the invocation envelope, which the SDKs read
/// with JavaScript's Date.
/// </summary>
public static class DurableJson
{
    public static JsonNode EpochSeconds(DateTimeOffset t) => JsonValue.Create(t.ToUnixTimeMilliseconds() / 1000.0);

    public static JsonNode EpochMilliseconds(DateTimeOffset t) => JsonValue.Create(t.ToUnixTimeMilliseconds());

    public static JsonObject Operation(DurableOperation op, Func<DateTimeOffset, JsonNode> time)
    {
        var json = new JsonObject { ["Id"] = op.Id, ["Type"] = op.Type, ["StartTimestamp"] = time(op.Started), ["Status"] = op.Status };
        if (op.ParentId is not null) json["ParentId"] = op.ParentId;
        if (op.Name is not null) json["Name"] = op.Name;
        if (op.SubType is not null) json["SubType"] = op.SubType;
        if (op.Ended is { } ended) json["EndTimestamp"] = time(ended);
        switch (op.Type)
        {
            case "EXECUTION":
                json["ExecutionDetails"] = new JsonObject { ["InputPayload"] = op.InputPayload };
                break;
            case "STEP":
                var step = new JsonObject { ["Attempt"] = op.Attempt };
                if (op.NextAttempt is { } next) step["NextAttemptTimestamp"] = time(next);
                AddOutcome(step, op);
                json["StepDetails"] = step;
                break;
            case "WAIT":
                json["WaitDetails"] = op.ScheduledEnd is { } end ? new JsonObject { ["ScheduledEndTimestamp"] = time(end) } : new JsonObject();
                break;
            case "CALLBACK":
                var callback = new JsonObject { ["CallbackId"] = op.CallbackId };
                AddOutcome(callback, op);
                json["CallbackDetails"] = callback;
                break;
            case "CONTEXT":
                var context = new JsonObject();
                if (op.ReplayChildren is { } replay) context["ReplayChildren"] = replay;
                AddOutcome(context, op);
                json["ContextDetails"] = context;
                break;
            case "CHAINED_INVOKE":
                var chained = new JsonObject();
                AddOutcome(chained, op);
                json["ChainedInvokeDetails"] = chained;
                break;
        }
        return json;
    }

    private static void AddOutcome(JsonObject details, DurableOperation op)
    {
        if (op.Result is not null) details["Result"] = op.Result;
        if (op.Error is { } error) details["Error"] = Error(error);
    }

    public static JsonObject Error(DurableError error)
    {
        var json = new JsonObject();
        if (error.ErrorMessage is not null) json["ErrorMessage"] = error.ErrorMessage;
        if (error.ErrorType is not null) json["ErrorType"] = error.ErrorType;
        if (error.ErrorData is not null) json["ErrorData"] = error.ErrorData;
        if (error.StackTrace is not null) json["StackTrace"] = new JsonArray(error.StackTrace.Select(s => (JsonNode?)s).ToArray());
        return json;
    }

    /// <summary>EventResult or EventInput: the payload (left out unless the caller asked for execution data).</summary>
    public static JsonObject Payload(string? payload) => payload is null ? new JsonObject() : new JsonObject { ["Payload"] = payload, ["Truncated"] = false };

    /// <summary>EventError.</summary>
    public static JsonObject EventError(DurableError error) => new() { ["Payload"] = Error(error), ["Truncated"] = false };

    /// <summary>A history Event; without execution data, the payloads of its details are left out, as IncludeExecutionData=false asks.</summary>
    public static JsonObject Event(DurableEvent e, bool includeData)
    {
        var json = new JsonObject { ["EventType"] = e.EventType, ["EventId"] = e.EventId, ["EventTimestamp"] = EpochSeconds(e.Timestamp) };
        if (e.SubType is not null) json["SubType"] = e.SubType;
        if (e.Id is not null) json["Id"] = e.Id;
        if (e.Name is not null) json["Name"] = e.Name;
        if (e.ParentId is not null) json["ParentId"] = e.ParentId;
        var details = JsonNode.Parse(e.DetailsJson)!.AsObject();
        if (!includeData)
            foreach (var member in details.Select(m => m.Value).OfType<JsonObject>())
                member.Remove("Payload");
        json[e.DetailsMember] = details;
        return json;
    }
}
