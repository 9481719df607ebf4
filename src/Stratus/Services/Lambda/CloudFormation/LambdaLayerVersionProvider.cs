using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// AWS::Lambda::LayerVersion through LambdaService: each template change publishes a new version (every property
/// requires replacement) and the old one is deleted. Ref is the LayerVersionArn, as AWS returns it.
/// </summary>
public sealed class LambdaLayerVersionProvider(LambdaService lambda, LambdaFunctionCode code) : IResourceProvider
{
    public string Type => "AWS::Lambda::LayerVersion";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
        { "LayerName", "Content", "CompatibleRuntimes", "CompatibleArchitectures", "Description", "LicenseInfo" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var (layer, version) = lambda.PublishLayerVersion(request.Scope, p.String("LayerName") ?? request.GeneratedName(140), LayerSettings.Read(p),
            code.LayerContent(p, request.Scope));
        var arn = $"{layer.Arn}:{version.Version}";
        return Task.FromResult(new ProvisionedResource(arn, new Dictionary<string, string> { ["LayerVersionArn"] = arn }));
    }

    // Every property requires replacement, so an in-place update has nothing to change.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var arn = current.PhysicalId;
        var separator = arn.LastIndexOf(':');
        // Deleting a version that is already gone succeeds, as DeleteLayerVersion does on AWS.
        if (separator > 0 && long.TryParse(arn[(separator + 1)..], out var version)) lambda.DeleteLayerVersion(request.Scope, arn[..separator], version);
        return Task.CompletedTask;
    }
}
