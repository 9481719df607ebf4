using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>AWS::Lambda::Version through LambdaService: publishes $LATEST. Ref is the version's ARN; GetAtt Version its number.</summary>
public sealed class LambdaVersionProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::Version";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FunctionName", "Description", "CodeSha256" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var functionName = p.Required("FunctionName");
        var version = lambda.PublishVersion(request.Scope, functionName, p.String("Description"), p.String("CodeSha256"), null);
        var function = lambda.GetFunction(request.Scope, functionName, null).Function;
        var arn = $"{function.Arn}:{version.Version}";
        return Task.FromResult(new ProvisionedResource(arn, new Dictionary<string, string> { ["Version"] = version.Version, ["FunctionArn"] = function.Arn }));
    }

    // Every property requires replacement, so an in-place update has nothing to change.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => lambda.DeleteFunction(request.Scope, current.PhysicalId, null), "ResourceNotFoundException");
        return Task.CompletedTask;
    }
}
