using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Services.CloudFormation.Registry;
using Stratus.Services.Lambda;
using Stratus.Services.Sts;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// Resources of the private types registered in the stack's account and Region, provisioned by the type's own handlers as
/// CloudFormation runs them: each handler invocation gets the request the CloudFormation CLI's language plugins read
/// (action, bearerToken, requestData with resourceProperties, previousResourceProperties, logicalResourceId, typeConfiguration,
/// systemTags and, with an execution role, its session as callerCredentials and providerCredentials; stackId, region,
/// awsAccountId, callbackContext) and answers a ProgressEvent: SUCCESS with the resource model, FAILED with an errorCode and
/// message (the resource's failure reason, in CloudFormation's words), or IN_PROGRESS with a callbackContext, invoked again
/// after callbackDelaySeconds, up to the handler's timeoutInMinutes. Ref is the primary identifier's values (joined with "|"),
/// Fn::GetAtt the readOnlyProperties of the model. Handlers run in Lambda's engine (<see cref="IExtensionHandlerRunner"/>).
/// </summary>
public sealed class RegisteredTypeProvider(TypeRegistry registry, IRoleCredentials? roles, StratusAddress address) : IResourceProvider
{
    /// <summary>Not a type of its own: ResourceProviders hands it every type name that is not AWS's or a custom resource's.</summary>
    public string Type => "";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    /// <summary>The schema's createOnlyProperties; every property when the type has no update handler (an IMMUTABLE type is replaced on any change).</summary>
    public IReadOnlySet<string> ReplacedOnChangeOf(ResourceRequest request)
    {
        var schema = Provisionable(request).Schema;
        return schema.Handlers.Contains("update")
            ? schema.CreateOnlyProperties.ToHashSet(StringComparer.Ordinal)
            : schema.PropertyNamesDeclared.Concat(request.Properties.Values.Select(p => p.Key)).ToHashSet(StringComparer.Ordinal);
    }

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var type = Provisionable(request);
        var model = await RunAsync(type, "create", request, request.Properties.Values.DeepClone().AsObject(), null, cancellation);
        return Provisioned(type.Schema, model ?? throw new ResourcePropertyException($"The {request.Type} create handler answered SUCCESS without a resource model"));
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties,
        CancellationToken cancellation)
    {
        var type = Provisionable(request);
        var model = await RunAsync(type, "update", request, Identified(type.Schema, request.Properties.Values, current.PhysicalId),
            Identified(type.Schema, previousProperties, current.PhysicalId), cancellation);
        return model is null ? current : Provisioned(type.Schema, model);
    }

    public async Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var type = Provisionable(request);
        await RunAsync(type, "delete", request, Identified(type.Schema, request.Properties.Values, current.PhysicalId), null, cancellation);
    }

    private ProvisionableType Provisionable(ResourceRequest request)
    {
        var type = registry.Provisionable(request.AccountId, request.Region, request.Type)
            ?? throw new ResourcePropertyException(
                $"Resource type {request.Type} is neither one Stratus provisions nor a private type registered in account {request.AccountId}, Region {request.Region}.");
        if (type.Schema.ProvisioningType == "NON_PROVISIONABLE")
            throw new ResourcePropertyException($"Resource type {request.Type} is NON_PROVISIONABLE: its schema declares no create, read and delete handlers.");
        return type;
    }

    /// <summary>Runs one action to its end: the first invocation, then one per IN_PROGRESS callback, until SUCCESS or FAILED or the handler's timeout.</summary>
    private async Task<JsonObject?> RunAsync(ProvisionableType type, string handler, ResourceRequest request, JsonObject properties, JsonObject? previous,
        CancellationToken cancellation)
    {
        if (!type.Schema.Handlers.Contains(handler))
            throw new ResourcePropertyException($"Resource type {request.Type} has no {handler} handler.");
        var operation = registry.BeginOperation();
        try
        {
            var deadline = DateTimeOffset.UtcNow + type.Schema.HandlerTimeout(handler);
            JsonNode? callbackContext = null;
            while (true)
            {
                var progress = await InvokeAsync(type, handler, request, properties, previous, callbackContext, operation.BearerToken, cancellation);
                var status = Text(progress["status"]);
                switch (status)
                {
                    case "SUCCESS":
                        return progress["resourceModel"] as JsonObject;
                    case "FAILED":
                        throw Failed(Text(progress["message"]), Text(progress["errorCode"]), operation.BearerToken);
                    case "IN_PROGRESS":
                        break;
                    default:
                        throw new ResourcePropertyException(
                            $"The {request.Type} {handler} handler answered no ProgressEvent status SUCCESS, FAILED or IN_PROGRESS (RequestToken: {operation.BearerToken})");
                }
                callbackContext = progress["callbackContext"]?.DeepClone();
                var delay = progress["callbackDelaySeconds"] is JsonValue d && d.TryGetValue<int>(out var seconds) ? Math.Max(0, seconds) : 0;
                var remaining = deadline - DateTimeOffset.UtcNow;
                if (remaining <= TimeSpan.Zero || TimeSpan.FromSeconds(delay) > remaining)
                    throw new ResourcePropertyException(
                        $"The {request.Type} {handler} handler did not finish within its timeoutInMinutes ({type.Schema.HandlerTimeout(handler).TotalMinutes}) (RequestToken: {operation.BearerToken})");
                // RecordHandlerProgress may finish the operation while it waits for its callback.
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(delay), cancellation), operation.Finished);
                cancellation.ThrowIfCancellationRequested();
                if (operation.Status == "SUCCESS")
                    return operation.ResourceModel is { } model ? JsonNode.Parse(model) as JsonObject : progress["resourceModel"] as JsonObject;
                if (operation.Status == "FAILED") throw Failed(operation.Message, operation.ErrorCode, operation.BearerToken);
            }
        }
        finally
        {
            registry.EndOperation(operation);
        }
    }

    private async Task<JsonObject> InvokeAsync(ProvisionableType type, string handler, ResourceRequest request, JsonObject properties, JsonObject? previous,
        JsonNode? callbackContext, string bearerToken, CancellationToken cancellation)
    {
        var version = type.Version;
        var requestData = new JsonObject();
        if (version.ExecutionRoleArn is { } role && roles?.AssumeRoleAsService(role, "CloudFormation-" + bearerToken[..8], TimeSpan.FromHours(1)) is { } session)
        {
            // Stratus keeps no credentials of a stack operation's caller: both are the execution role's session.
            JsonObject Credentials() => new() { ["accessKeyId"] = session.AccessKeyId, ["secretAccessKey"] = session.SecretAccessKey, ["sessionToken"] = session.SessionToken };
            requestData["callerCredentials"] = Credentials();
            requestData["providerCredentials"] = Credentials();
        }
        if (version.LogGroupName is { } group) requestData["providerLogGroupName"] = group;
        requestData["logicalResourceId"] = request.LogicalId;
        requestData["resourceProperties"] = properties.DeepClone();
        if (previous is not null) requestData["previousResourceProperties"] = previous.DeepClone();
        requestData["systemTags"] = new JsonObject
        {
            ["aws:cloudformation:stack-name"] = request.StackName,
            ["aws:cloudformation:stack-id"] = request.StackId,
            ["aws:cloudformation:logical-id"] = request.LogicalId,
        };
        if (type.Configuration is { } configuration) requestData["typeConfiguration"] = configuration.DeepClone();
        var message = new JsonObject
        {
            ["awsAccountId"] = request.AccountId,
            ["bearerToken"] = bearerToken,
            ["region"] = request.Region,
            ["action"] = handler.ToUpperInvariant(),
            ["responseEndpoint"] = address.BaseUrl.ToString().TrimEnd('/'),
            ["resourceType"] = type.Type.TypeName,
            ["resourceTypeVersion"] = version.VersionId,
            ["requestData"] = requestData,
            ["stackId"] = request.StackId,
        };
        if (callbackContext is not null) message["callbackContext"] = callbackContext;
        var handlerName = $"{type.Type.TypeName.Replace("::", "-", StringComparison.Ordinal)}-{version.VersionId}";
        var result = await registry.Handlers.InvokeHandlerAsync(new ExtensionHandler(request.AccountId, request.Region, handlerName, version.Runtime!,
            version.Entrypoint!, version.CodeId!, version.ExecutionRoleArn, version.LogGroupName), JsonSerializer.SerializeToUtf8Bytes(message), cancellation);
        var payload = Encoding.UTF8.GetString(result.Payload.Span);
        if (result.FunctionError is not null)
        {
            // The handler failed without answering a ProgressEvent: CloudFormation reports it as an internal failure of the handler.
            var error = JsonNode.Parse(payload)?["errorMessage"] is { } m ? Text(m) : payload;
            throw Failed(error, "InternalFailure", bearerToken);
        }
        try
        {
            return JsonNode.Parse(payload) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw new ResourcePropertyException($"The {request.Type} {handler} handler answered no ProgressEvent object (RequestToken: {bearerToken})");
        }
    }

    /// <summary>A FAILED ProgressEvent as CloudFormation reports it in the resource's status reason.</summary>
    private static ResourcePropertyException Failed(string? message, string? errorCode, string bearerToken) =>
        new($"Resource handler returned message: \"{message}\" (RequestToken: {bearerToken}, HandlerErrorCode: {errorCode ?? "GeneralServiceException"})");

    /// <summary>The model's primary identifier values as Ref gives them (joined with "|"), and its readOnlyProperties as Fn::GetAtt attributes.</summary>
    private static ProvisionedResource Provisioned(ResourceTypeSchema schema, JsonObject model)
    {
        var identifiers = schema.PrimaryIdentifier.Select(name => model[name] is { } value ? Text(value)
            : throw new ResourcePropertyException($"The handler's resource model has no value for its primary identifier {name}")).ToList();
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in schema.ReadOnlyPaths)
        {
            JsonNode? value = model;
            foreach (var step in path) value = (value as JsonObject)?[step];
            if (value is not null) attributes[string.Join('.', path)] = Text(value) ?? "";
        }
        return new ProvisionedResource(string.Join('|', identifiers), attributes);
    }

    /// <summary>The properties with the primary identifier's values from the physical id, as CloudFormation hands an existing resource's model to its handlers.</summary>
    private static JsonObject Identified(ResourceTypeSchema schema, JsonObject properties, string physicalId)
    {
        var model = properties.DeepClone().AsObject();
        var values = physicalId.Split('|');
        var names = schema.PrimaryIdentifier;
        if (values.Length == names.Count)
            for (var i = 0; i < names.Count; i++)
                if (!model.ContainsKey(names[i])) model[names[i]] = values[i];
        return model;
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
