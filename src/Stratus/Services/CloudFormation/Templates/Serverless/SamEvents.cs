using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// A function's Events. Api events become routes on an API (collected here, built by <see cref="SamApi"/>)
/// and a permission &lt;Fn&gt;&lt;Event&gt;PermissionProd for API Gateway to invoke the function; HttpApi events
/// routes on an HTTP API (built by <see cref="SamHttpApi"/>) and a permission &lt;Fn&gt;&lt;Event&gt;Permission; event sources
/// of services Stratus does not serve are refused by name.
/// </summary>
public static class SamEvents
{
    private static readonly Dictionary<string, string> NotServed = new(StringComparer.Ordinal)
    {
        ["Schedule"] = "Stratus does not serve EventBridge rules (AWS::Events::Rule), so nothing would invoke the function on schedule",
        ["ScheduleV2"] = "Stratus does not serve EventBridge Scheduler (AWS::Scheduler::Schedule)",
        ["CloudWatchEvent"] = "Stratus does not serve EventBridge rules (AWS::Events::Rule)",
        ["EventBridgeRule"] = "Stratus does not serve EventBridge rules (AWS::Events::Rule)",
        ["S3"] = "Stratus's S3 does not deliver bucket notifications to Lambda",
        ["SNS"] = "Stratus does not serve SNS",
        ["SQS"] = "Stratus does not serve SQS",
        ["Kinesis"] = "Stratus does not serve Kinesis",
        ["DynamoDB"] = "Stratus does not serve DynamoDB streams",
        ["MSK"] = "Stratus does not serve MSK",
        ["MQ"] = "Stratus does not serve Amazon MQ",
        ["SelfManagedKafka"] = "Stratus does not build event source mappings",
        ["DocumentDB"] = "Stratus does not serve DocumentDB",
        ["CloudWatchLogs"] = "Stratus does not build CloudWatch Logs subscription filters",
        ["IoTRule"] = "Stratus does not serve AWS IoT",
        ["AlexaSkill"] = "Stratus does not serve Alexa skills",
        ["Cognito"] = "Stratus does not serve Cognito",
    };

    private static readonly HashSet<string> ApiEventProperties = ["Path", "Method", "RestApiId"];
    private static readonly HashSet<string> HttpApiEventProperties = ["Path", "Method", "ApiId", "PayloadFormatVersion", "TimeoutInMillis"];

    public static void Expand(string functionId, JsonObject raw, JsonNode events, string invokeTarget, JsonObject functionRef, List<ApiBinding> bindings)
    {
        if (events is not JsonObject byId) throw SamErrors.Invalid(functionId, "'Events' must be a map of event ids to events.");
        foreach (var (eventId, node) in byId)
        {
            if (node is not JsonObject definition || SamTransform.Text(definition["Type"]) is not { } type)
                throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Event must have a Type.");
            if (NotServed.TryGetValue(type, out var reason))
                throw SamErrors.NotServed(functionId, $"event {eventId} of type {type}: {reason}.");
            if (type is not ("Api" or "HttpApi"))
                throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Unknown event type '{type}'.");
            var properties = definition["Properties"] as JsonObject ?? [];
            var condition = raw["Condition"] is { } when ? new JsonObject { ["Condition"] = when.DeepClone() } : null;
            if (type == "HttpApi")
            {
                bindings.Add(HttpApiBinding(functionId, eventId, properties, invokeTarget, functionRef, condition));
                continue;
            }
            foreach (var (name, _) in properties.Where(p => !ApiEventProperties.Contains(p.Key)))
                throw SamErrors.NotServed(functionId, $"Stratus does not build the Api event property {name} (event {eventId}).");
            var path = SamTransform.Text(properties["Path"])
                ?? throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Event is missing key 'Path'.");
            var method = SamTransform.Text(properties["Method"])
                ?? throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Event is missing key 'Method'.");
            if (!path.StartsWith('/')) throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Path must start with '/'.");
            string? apiId = null;
            if (properties["RestApiId"] is { } restApi)
                apiId = restApi is JsonObject reference && SamTransform.Text(reference["Ref"]) is { } target
                    ? target
                    : throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. RestApiId must be a valid reference to an '{SamTransform.ApiType}' resource in same template.");
            bindings.Add(new ApiBinding(functionId, eventId, apiId, path, method.ToLowerInvariant(), invokeTarget, functionRef, condition));
        }
    }

    /// <summary>
    /// An HttpApi event: a route on an AWS::Serverless::HttpApi (ApiId) or the implicit ServerlessHttpApi; without
    /// Path and Method, the $default route, as SAM documents.
    /// </summary>
    private static ApiBinding HttpApiBinding(string functionId, string eventId, JsonObject properties, string invokeTarget, JsonObject functionRef, JsonObject? condition)
    {
        foreach (var (name, _) in properties.Where(p => !HttpApiEventProperties.Contains(p.Key)))
            throw SamErrors.NotServed(functionId, $"Stratus does not build the HttpApi event property {name} (event {eventId}).");
        var path = SamTransform.Text(properties["Path"]);
        var method = SamTransform.Text(properties["Method"]);
        if ((path is null) != (method is null))
            throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Path and Method must be given together, or neither for the $default route.");
        if (path is not null && !path.StartsWith('/')) throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Path must start with '/'.");
        string? apiId = null;
        if (properties["ApiId"] is { } api)
            apiId = api is JsonObject reference && SamTransform.Text(reference["Ref"]) is { } target
                ? target
                : throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. ApiId must be a valid reference to an '{SamHttpApi.HttpApiType}' resource in same template.");
        return new ApiBinding(functionId, eventId, apiId, path ?? "/$default", method?.ToLowerInvariant() ?? "any", invokeTarget, functionRef, condition)
        {
            HttpApi = true,
            PayloadFormatVersion = properties["PayloadFormatVersion"]?.DeepClone(),
            TimeoutInMillis = properties["TimeoutInMillis"]?.DeepClone(),
        };
    }
}
