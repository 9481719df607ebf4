using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::Method through ApiGatewayService: the method, its MethodResponses, its Integration
/// and the IntegrationResponses, put in that order. Ref is a generated method id.
/// </summary>
public sealed class ApiGatewayMethodProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::Method";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RestApiId", "ResourceId", "HttpMethod" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        Put(request);
        var id = request.GeneratedName(64);
        return Task.FromResult(new ProvisionedResource(id, new Dictionary<string, string>()));
    }

    /// <summary>Puts the method again from scratch: its sub-resources are whole lists in the template, so this is the simplest exact update.</summary>
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        gateway.DeleteMethod(request.Scope, p.Required("RestApiId"), p.Required("ResourceId"), p.Required("HttpMethod"));
        Put(request);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        ResourceDeletion.IfPresent(() => gateway.DeleteMethod(request.Scope, p.Required("RestApiId"), p.Required("ResourceId"), p.Required("HttpMethod")),
            "NotFoundException");
        return Task.CompletedTask;
    }

    private void Put(ResourceRequest request)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var (api, resource) = (p.Required("RestApiId"), p.Required("ResourceId"));
        var method = gateway.PutMethod(scope, api, resource, p.Required("HttpMethod"), MethodSettings.Read(p));
        try
        {
            foreach (var response in ((IInputReader)p).Objects("MethodResponses"))
                gateway.PutMethodResponse(scope, api, resource, method.HttpMethod, MethodResponseSettings.Read(response));
            if (p.Object("Integration") is { } integration) PutIntegration(scope, api, resource, method.HttpMethod, integration);
        }
        catch (AwsException)
        {
            gateway.DeleteMethod(scope, api, resource, method.HttpMethod);
            throw;
        }
    }

    private void PutIntegration(Scope scope, string api, string resource, string httpMethod, IInputReader integration)
    {
        gateway.PutIntegration(scope, api, resource, httpMethod, IntegrationSettings.Read(integration));
        foreach (var response in integration.Objects("IntegrationResponses"))
            gateway.PutIntegrationResponse(scope, api, resource, httpMethod, IntegrationResponseSettings.Read(response));
    }
}
