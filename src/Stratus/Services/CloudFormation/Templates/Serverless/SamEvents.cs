using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// A function's Events. Api events become routes on an API (collected here, built by <see cref="SamApi"/>)
/// and a permission &lt;Fn&gt;&lt;Event&gt;PermissionProd for API Gateway to invoke the function; HttpApi events
/// routes on an HTTP API (built by <see cref="SamHttpApi"/>) and a permission &lt;Fn&gt;&lt;Event&gt;Permission. Schedule,
/// CloudWatchEvent and EventBridgeRule events become the rule &lt;Fn&gt;&lt;Event&gt; (AWS::Events::Rule, its target
/// &lt;Fn&gt;&lt;Event&gt;LambdaTarget) and &lt;Fn&gt;&lt;Event&gt;Permission for events.amazonaws.com; S3 events a permission
/// for s3.amazonaws.com and the named bucket's LambdaConfigurations (collected here, applied by <see cref="ApplyS3"/>
/// once every resource is in the output). Event sources of services Stratus does not serve are refused by name.
/// </summary>
public static class SamEvents
{
    private static readonly Dictionary<string, string> NotServed = new(StringComparer.Ordinal)
    {
        ["ScheduleV2"] = "Stratus does not serve EventBridge Scheduler (AWS::Scheduler::Schedule); use a Schedule event (an EventBridge rule) instead",
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
    private static readonly HashSet<string> ScheduleProperties = ["Schedule", "Name", "Description", "Enabled", "State", "Input"];
    private static readonly HashSet<string> RuleProperties = ["Pattern", "EventBusName", "Input", "InputPath", "InputTransformer", "RuleName", "State", "Target"];
    private static readonly HashSet<string> S3Properties = ["Bucket", "Events", "Filter"];
    private static readonly HashSet<string> HttpApiEventProperties = ["Path", "Method", "ApiId", "PayloadFormatVersion", "TimeoutInMillis"];

    public static void Expand(string functionId, JsonObject raw, JsonNode events, string invokeTarget, JsonObject functionRef,
        List<ApiBinding> bindings, List<S3Binding> buckets, JsonObject output)
    {
        if (events is not JsonObject byId) throw SamErrors.Invalid(functionId, "'Events' must be a map of event ids to events.");
        var condition = raw["Condition"] is { } c ? new JsonObject { ["Condition"] = c.DeepClone() } : null;
        // What a rule's target or a bucket's configuration names: the function's ARN, or its alias's (Ref of an alias is its ARN).
        JsonObject TargetArn() => invokeTarget.EndsWith(".Arn", StringComparison.Ordinal) ? SamTransform.GetAtt(functionId, "Arn") : SamTransform.Ref(invokeTarget);
        foreach (var (eventId, node) in byId)
        {
            if (node is not JsonObject definition || SamTransform.Text(definition["Type"]) is not { } type)
                throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Event must have a Type.");
            if (NotServed.TryGetValue(type, out var reason))
                throw SamErrors.NotServed(functionId, $"event {eventId} of type {type}: {reason}.");
            var properties = definition["Properties"] as JsonObject ?? [];
            switch (type)
            {
                case "Api":
                    CheckProperties(functionId, eventId, type, properties, ApiEventProperties);
                    bindings.Add(ApiEvent(functionId, eventId, properties, invokeTarget, functionRef, condition));
                    break;
                case "HttpApi":
                    bindings.Add(HttpApiBinding(functionId, eventId, properties, invokeTarget, functionRef, condition));
                    break;
                case "Schedule":
                    CheckProperties(functionId, eventId, type, properties, ScheduleProperties);
                    output[functionId + eventId] = SamTransform.Resource("AWS::Events::Rule", ScheduleRule(functionId, eventId, properties, TargetArn()), condition);
                    output[functionId + eventId + "Permission"] = EventsPermission(functionId + eventId, functionRef, condition);
                    break;
                case "CloudWatchEvent" or "EventBridgeRule":
                    CheckProperties(functionId, eventId, type, properties, RuleProperties);
                    output[functionId + eventId] = SamTransform.Resource("AWS::Events::Rule", PatternRule(functionId, eventId, properties, TargetArn()), condition);
                    output[functionId + eventId + "Permission"] = EventsPermission(functionId + eventId, functionRef, condition);
                    break;
                case "S3":
                    CheckProperties(functionId, eventId, type, properties, S3Properties);
                    buckets.Add(S3Event(functionId, eventId, properties, TargetArn()));
                    output[functionId + eventId + "Permission"] = SamTransform.Resource("AWS::Lambda::Permission", new JsonObject
                    {
                        ["Action"] = "lambda:InvokeFunction",
                        ["FunctionName"] = functionRef.DeepClone(),
                        ["Principal"] = "s3.amazonaws.com",
                        ["SourceAccount"] = SamTransform.Ref("AWS::AccountId"),
                    }, condition);
                    break;
                default:
                    throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Unknown event type '{type}'.");
            }
        }
    }

    private static void CheckProperties(string functionId, string eventId, string type, JsonObject properties, HashSet<string> built)
    {
        foreach (var (name, _) in properties.Where(p => !built.Contains(p.Key)))
            throw SamErrors.NotServed(functionId, $"Stratus does not build the {type} event property {name} (event {eventId}).");
    }

    private static ApiBinding ApiEvent(string functionId, string eventId, JsonObject properties, string invokeTarget, JsonObject functionRef, JsonObject? condition)
    {
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
        return new ApiBinding(functionId, eventId, apiId, path, method.ToLowerInvariant(), invokeTarget, functionRef, condition);
    }

    /// <summary>A Schedule event's rule: Enabled (a boolean) or State sets the rule's state, as SAM maps them.</summary>
    private static JsonObject ScheduleRule(string functionId, string eventId, JsonObject properties, JsonObject targetArn)
    {
        var rule = new JsonObject
        {
            ["ScheduleExpression"] = properties["Schedule"]?.DeepClone()
                ?? throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Missing required property 'Schedule'."),
        };
        if (properties["Enabled"] is not null && properties["State"] is not null)
            throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. State and Enabled Properties cannot both be specified.");
        if (properties["Enabled"] is JsonValue e) rule["State"] = e.TryGetValue<bool>(out var on) ? (JsonNode)(on ? "ENABLED" : "DISABLED") : e.DeepClone();
        if (properties["State"] is { } state) rule["State"] = state.DeepClone();
        if (properties["Name"] is { } name) rule["Name"] = name.DeepClone();
        if (properties["Description"] is { } description) rule["Description"] = description.DeepClone();
        rule["Targets"] = new JsonArray(Target(functionId, eventId, targetArn, properties, ["Input"]));
        return rule;
    }

    /// <summary>A CloudWatchEvent or EventBridgeRule event's rule: Pattern, on EventBusName (the default bus when absent).</summary>
    private static JsonObject PatternRule(string functionId, string eventId, JsonObject properties, JsonObject targetArn)
    {
        var rule = new JsonObject
        {
            ["EventPattern"] = properties["Pattern"]?.DeepClone()
                ?? throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Missing required property 'Pattern'."),
        };
        if (properties["EventBusName"] is { } bus) rule["EventBusName"] = bus.DeepClone();
        if (properties["RuleName"] is { } name) rule["Name"] = name.DeepClone();
        if (properties["State"] is { } state) rule["State"] = state.DeepClone();
        var target = Target(functionId, eventId, targetArn, properties, ["Input", "InputPath", "InputTransformer"]);
        if (properties["Target"] is JsonObject custom && custom["Id"] is { } id) target["Id"] = id.DeepClone();
        rule["Targets"] = new JsonArray(target);
        return rule;
    }

    private static JsonObject Target(string functionId, string eventId, JsonObject targetArn, JsonObject properties, string[] inputs)
    {
        var target = new JsonObject { ["Arn"] = targetArn, ["Id"] = functionId + eventId + "LambdaTarget" };
        foreach (var input in inputs)
            if (properties[input] is { } value) target[input] = value.DeepClone();
        return target;
    }

    private static JsonObject EventsPermission(string ruleId, JsonObject functionRef, JsonObject? condition) =>
        SamTransform.Resource("AWS::Lambda::Permission", new JsonObject
        {
            ["Action"] = "lambda:InvokeFunction",
            ["FunctionName"] = functionRef.DeepClone(),
            ["Principal"] = "events.amazonaws.com",
            ["SourceArn"] = SamTransform.GetAtt(ruleId, "Arn"),
        }, condition);

    private static S3Binding S3Event(string functionId, string eventId, JsonObject properties, JsonObject targetArn)
    {
        var bucket = properties["Bucket"] is JsonObject reference && SamTransform.Text(reference["Ref"]) is { } id
            ? id
            : throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. S3 events must reference an S3 bucket in the same template.");
        List<string> events = properties["Events"] switch
        {
            JsonArray list => list.Select(e => SamTransform.Text(e)
                ?? throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. 'Events' must be a string or a list of strings.")).ToList(),
            var single when SamTransform.Text(single) is { } one => [one],
            _ => throw SamErrors.Invalid(functionId, $"Event with id [{eventId}] is invalid. Missing required property 'Events'."),
        };
        return new S3Binding(functionId, eventId, bucket, events, properties["Filter"]?.DeepClone(), targetArn);
    }

    /// <summary>Adds each S3 event's LambdaConfigurations to its bucket, which then depends on the permission S3 needs to invoke.</summary>
    public static void ApplyS3(IReadOnlyList<S3Binding> buckets, JsonObject output)
    {
        foreach (var binding in buckets)
        {
            if (output[binding.BucketId] is not JsonObject bucket || SamTransform.Text(bucket["Type"]) != "AWS::S3::Bucket")
                throw SamErrors.Invalid(binding.FunctionId, $"Event with id [{binding.EventId}] is invalid. S3 events must reference an S3 bucket in the same template.");
            var properties = bucket["Properties"] as JsonObject ?? (JsonObject)(bucket["Properties"] = new JsonObject());
            var notification = properties["NotificationConfiguration"] as JsonObject
                ?? (JsonObject)(properties["NotificationConfiguration"] = new JsonObject());
            var configurations = notification["LambdaConfigurations"] as JsonArray
                ?? (JsonArray)(notification["LambdaConfigurations"] = new JsonArray());
            foreach (var type in binding.Events)
            {
                var configuration = new JsonObject { ["Event"] = type, ["Function"] = binding.TargetArn.DeepClone() };
                if (binding.Filter is not null) configuration["Filter"] = binding.Filter.DeepClone();
                configurations.Add(configuration);
            }
            var permission = binding.FunctionId + binding.EventId + "Permission";
            var dependsOn = bucket["DependsOn"];
            bucket["DependsOn"] = dependsOn switch
            {
                null => new JsonArray(permission),
                JsonArray list => new JsonArray([.. list.Select(d => d?.DeepClone()), permission]),
                JsonNode single => new JsonArray(single.DeepClone(), permission),
            };
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

/// <summary>An S3 event of a function: the bucket (a logical id in the same template) whose notifications gain its configurations.</summary>
public sealed record S3Binding(string FunctionId, string EventId, string BucketId, IReadOnlyList<string> Events, JsonNode? Filter, JsonObject TargetArn);
