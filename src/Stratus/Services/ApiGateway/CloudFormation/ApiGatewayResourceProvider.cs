using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>AWS::ApiGateway::Resource through ApiGatewayService: one path part under a parent. Ref is the resource id.</summary>
public sealed class ApiGatewayResourceProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::Resource";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RestApiId", "ParentId", "PathPart" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var resource = gateway.CreateResource(request.Scope, p.Required("RestApiId"), ResourceSettings.Read(p));
        return Task.FromResult(new ProvisionedResource(resource.Id, new Dictionary<string, string> { ["ResourceId"] = resource.Id }));
    }

    // Every property requires replacement, so an in-place update has nothing to change.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteResource(request.Scope, request.Properties.Required("RestApiId"), current.PhysicalId),
            "NotFoundException");
        return Task.CompletedTask;
    }
}
