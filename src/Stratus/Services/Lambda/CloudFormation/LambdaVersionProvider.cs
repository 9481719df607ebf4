using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// AWS::Lambda::Version through LambdaService: publishes $LATEST. Ref is the version's ARN; GetAtt Version its number.
/// ProvisionedConcurrencyConfig is put on the version, waited for until READY and changed in place
/// (see <see cref="ProvisionedConcurrencyProperty"/>).
/// </summary>
public sealed class LambdaVersionProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::Version";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FunctionName", "Description", "CodeSha256" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var functionName = p.Required("FunctionName");
        var version = lambda.PublishVersion(request.Scope, functionName, p.String("Description"), p.String("CodeSha256"), null);
        var function = lambda.GetFunction(request.Scope, functionName, null).Function;
        await ProvisionedConcurrencyProperty.ApplyAsync(lambda, request, functionName, version.Version, null, false, cancellation);
        return new ProvisionedResource($"{function.Arn}:{version.Version}",
            new Dictionary<string, string> { ["Version"] = version.Version, ["FunctionArn"] = function.Arn });
    }

    // Every other property requires replacement: only the provisioned concurrency changes in place.
    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        await ProvisionedConcurrencyProperty.ApplyAsync(lambda, request, request.Properties.Required("FunctionName"), current.Attributes["Version"],
            new ResourceProperties(request.LogicalId, previousProperties), false, cancellation);
        return current;
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => lambda.DeleteFunction(request.Scope, current.PhysicalId, null), "ResourceNotFoundException");
        return Task.CompletedTask;
    }
}
