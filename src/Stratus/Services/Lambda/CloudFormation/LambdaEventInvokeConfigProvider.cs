using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>AWS::Lambda::EventInvokeConfig through LambdaService: the whole config put on create and on every update. Ref is FUNCTION:QUALIFIER.</summary>
public sealed class LambdaEventInvokeConfigProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::EventInvokeConfig";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FunctionName", "Qualifier" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) => Task.FromResult(Put(request));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Put(request));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        ResourceDeletion.IfPresent(() => lambda.DeleteEventInvokeConfig(request.Scope, p.Required("FunctionName"), p.Required("Qualifier")), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request)
    {
        var p = request.Properties;
        var (function, config) = lambda.PutEventInvokeConfig(request.Scope, p.Required("FunctionName"), p.Required("Qualifier"), EventInvokeSettings.Read(p));
        return new ProvisionedResource($"{function.Name}:{config.Qualifier}", new Dictionary<string, string>());
    }
}
