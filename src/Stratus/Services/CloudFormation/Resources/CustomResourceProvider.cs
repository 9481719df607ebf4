using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Services.CloudFormation.Engine;
using Stratus.Services.Lambda;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// Custom resources (Custom::* and AWS::CloudFormation::CustomResource) backed by a Lambda function, as
/// CloudFormation runs them: the function is invoked with the request AWS sends (RequestType, ResponseURL,
/// StackId, RequestId, LogicalResourceId, PhysicalResourceId, ResourceType, ResourceProperties with every
/// value a string, OldResourceProperties) and the resource waits for the JSON the function PUTs to the
/// ResponseURL (Status, Reason, PhysicalResourceId, Data for Fn::GetAtt), up to ServiceTimeout seconds
/// (AWS's default and limit, 3600). A function that fails without responding fails the resource at once
/// instead of after the timeout. SNS topics as ServiceToken are not served.
/// </summary>
public sealed class CustomResourceProvider(ILambdaInvoker lambda, CustomResourceResponses responses, StratusAddress address) : IResourceProvider
{
    public const string GenericType = "AWS::CloudFormation::CustomResource";
    public const string TypePrefix = "Custom::";
    private const int MaxServiceTimeoutSeconds = 3600;

    public string Type => GenericType;

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        await SendAsync(request, "Create", null, null, cancellation);

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        await SendAsync(request, "Update", current.PhysicalId, previousProperties, cancellation);

    public async Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) =>
        await SendAsync(request, "Delete", current.PhysicalId, null, cancellation);

    private async Task<ProvisionedResource> SendAsync(ResourceRequest request, string requestType, string? physicalId, JsonObject? oldProperties,
        CancellationToken cancellation)
    {
        var properties = request.Properties;
        var serviceToken = properties.Required("ServiceToken");
        if (!serviceToken.StartsWith("arn:aws:lambda:", StringComparison.Ordinal))
            throw properties.Invalid("ServiceToken", "Stratus sends custom resource requests to Lambda function ARNs only; SNS topics are not served");
        var timeout = properties.Int("ServiceTimeout") ?? MaxServiceTimeoutSeconds;
        if (timeout is < 1 or > MaxServiceTimeoutSeconds)
            throw properties.Invalid("ServiceTimeout", $"expected an integer from 1 to {MaxServiceTimeoutSeconds}");

        var requestId = Guid.NewGuid().ToString();
        using var pending = responses.Open();
        var message = new JsonObject
        {
            ["RequestType"] = requestType,
            ["ServiceToken"] = serviceToken,
            ["ResponseURL"] = address.BaseUrl.ToString().TrimEnd('/') + pending.Path,
            ["StackId"] = request.StackId,
            ["RequestId"] = requestId,
            ["LogicalResourceId"] = request.LogicalId,
            ["ResourceType"] = request.Type,
        };
        if (physicalId is not null) message["PhysicalResourceId"] = physicalId;
        message["ResourceProperties"] = Stringified(properties.Values);
        if (oldProperties is not null) message["OldResourceProperties"] = Stringified(oldProperties);

        var invocation = lambda.InvokeAsync(new LambdaInvokeRequest(request.AccountId, request.Region, serviceToken, null,
            JsonSerializer.SerializeToUtf8Bytes(message), null, null), cancellation);
        var deadline = Task.Delay(TimeSpan.FromSeconds(timeout), cancellation);
        var first = await Task.WhenAny(pending.Response, invocation, deadline);
        if (first == invocation && !pending.Response.IsCompleted)
        {
            var result = await invocation;
            if (result.FunctionError is not null)
                throw new ResourcePropertyException(
                    $"The custom resource's function {serviceToken} failed without sending a response (RequestId: {requestId}): {System.Text.Encoding.UTF8.GetString(result.Payload.Span)}");
            first = await Task.WhenAny(pending.Response, deadline);
        }
        else _ = invocation.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        if (first == deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            throw new ResourcePropertyException(
                $"CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [{requestId}].");
        }
        return Provisioned(await pending.Response, requestId);
    }

    /// <summary>The function's response object, checked as CloudFormation checks it.</summary>
    private static ProvisionedResource Provisioned(byte[]? body, string requestId)
    {
        if (body is null) throw new ResourcePropertyException("Response object is too long.");
        JsonObject response;
        try
        {
            response = JsonNode.Parse(body) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw new ResourcePropertyException($"Invalid response object: the body PUT to the ResponseURL is not a JSON object (RequestId: {requestId}).");
        }
        var status = Text(response["Status"]);
        if (status == "FAILED")
            throw new ResourcePropertyException($"Received response status [FAILED] from custom resource. Message returned: {Text(response["Reason"])} (RequestId: {requestId})");
        if (status != "SUCCESS") throw new ResourcePropertyException($"Invalid response object: Status must be SUCCESS or FAILED (RequestId: {requestId}).");
        if (Text(response["RequestId"]) is { } answered && answered != requestId)
            throw new ResourcePropertyException($"Invalid response object: RequestId {answered} does not match the request's {requestId}.");
        var physicalId = Text(response["PhysicalResourceId"]);
        if (string.IsNullOrEmpty(physicalId)) throw new ResourcePropertyException("Invalid PhysicalResourceId");
        var data = response["Data"] as JsonObject ?? [];
        return new ProvisionedResource(physicalId, data.ToDictionary(p => p.Key, p => Text(p.Value) ?? "", StringComparer.Ordinal));
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>Properties as CloudFormation hands them to a custom resource: numbers and booleans become strings, at any depth.</summary>
    private static JsonNode? Stringified(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Stringified(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Stringified).ToArray()),
        JsonValue v when v.GetValueKind() is JsonValueKind.String => v.DeepClone(),
        JsonValue v => JsonValue.Create(v.ToJsonString()),
        _ => null,
    };
}
