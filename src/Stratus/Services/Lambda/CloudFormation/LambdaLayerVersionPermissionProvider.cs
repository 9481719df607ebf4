using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>AWS::Lambda::LayerVersionPermission through LambdaService: one statement of a layer version's policy, its id generated. Ref is ARN#statement-id.</summary>
public sealed class LambdaLayerVersionPermissionProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::LayerVersionPermission";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Action", "LayerVersionArn", "Principal", "OrganizationId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var (layer, version) = lambda.GetLayerVersionByArn(p.Required("LayerVersionArn"));
        var sid = request.GeneratedName(100);
        lambda.AddLayerVersionPermission(request.Scope, layer.Arn, version.Version, sid, p.Required("Action"), p.Required("Principal"), p.String("OrganizationId"), null);
        return Task.FromResult(new ProvisionedResource($"{layer.Arn}:{version.Version}#{sid}", new Dictionary<string, string>()));
    }

    // Every property requires replacement, so an in-place update has nothing to change.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var (arn, sid) = (current.PhysicalId[..current.PhysicalId.LastIndexOf('#')], current.PhysicalId[(current.PhysicalId.LastIndexOf('#') + 1)..]);
        ResourceDeletion.IfPresent(() =>
        {
            var (layer, version) = lambda.GetLayerVersionByArn(arn);
            lambda.RemoveLayerVersionPermission(request.Scope, layer.Arn, version.Version, sid, null);
        }, "ResourceNotFoundException");
        return Task.CompletedTask;
    }
}
