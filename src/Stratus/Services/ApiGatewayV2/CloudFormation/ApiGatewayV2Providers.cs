using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGatewayV2.CloudFormation;

/// <summary>
/// AWS::ApiGatewayV2::Api: CreateApi (quick create with Target and RouteKey), or ImportApi of its Body
/// (an OpenAPI 3 definition, JSON object). Ref is the API id; GetAtt ApiId and ApiEndpoint.
/// </summary>
public sealed class ApiGatewayV2ApiProvider(ApiGatewayV2Service gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::Api";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ProtocolType", "Target", "RouteKey", "CredentialsArn" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.Values.ContainsKey("BodyS3Location")) throw p.Invalid("BodyS3Location", "Stratus imports an HTTP API's definition from Body; BodyS3Location is not read.");
        HttpApi api;
        if (p.Values["Body"] is JsonObject body)
        {
            api = gateway.ImportApi(request.Scope, ApiGatewayV2Service.ParseDefinition(body.ToJsonString()));
            var settings = ApiSettings.Read(p) with { ProtocolType = null };
            api = gateway.UpdateApi(request.Scope, api.ApiId, settings);
        }
        else
        {
            var settings = ApiSettings.Read(p);
            api = gateway.CreateApi(request.Scope, settings with { Name = settings.Name ?? request.GeneratedName(128) });
        }
        return Task.FromResult(Provisioned(api));
    }

    private ProvisionedResource Provisioned(HttpApi api) => new(api.ApiId, new Dictionary<string, string>
    {
        ["ApiId"] = api.ApiId,
        ["ApiEndpoint"] = gateway.Endpoint(api.ApiId),
    });

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.Values["Body"] is JsonObject body)
            gateway.ReimportApi(request.Scope, current.PhysicalId, ApiGatewayV2Service.ParseDefinition(body.ToJsonString()));
        var api = gateway.UpdateApi(request.Scope, current.PhysicalId, ApiSettings.Read(p) with { ProtocolType = null, Target = null, RouteKey = null });
        return Task.FromResult(Provisioned(api));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteApi(request.Scope, current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::Route. Ref is the route id.</summary>
public sealed class ApiGatewayV2RouteProvider(ApiGatewayV2Service gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::Route";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var route = gateway.CreateRoute(request.Scope, request.Properties.Required("ApiId"), RouteSettings.Read(request.Properties));
        return Task.FromResult(new ProvisionedResource(route.RouteId, new Dictionary<string, string> { ["RouteId"] = route.RouteId }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        gateway.UpdateRoute(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId, RouteSettings.Read(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteRoute(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::Integration. Ref is the integration id.</summary>
public sealed class ApiGatewayV2IntegrationProvider(ApiGatewayV2Service gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::Integration";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var integration = gateway.CreateIntegration(request.Scope, request.Properties.Required("ApiId"), IntegrationSettings.Read(request.Properties));
        return Task.FromResult(new ProvisionedResource(integration.IntegrationId, new Dictionary<string, string> { ["IntegrationId"] = integration.IntegrationId }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        gateway.UpdateIntegration(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId, IntegrationSettings.Read(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteIntegration(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::Authorizer. Ref is the authorizer id.</summary>
public sealed class ApiGatewayV2AuthorizerProvider(ApiGatewayV2Service gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::Authorizer";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var authorizer = gateway.CreateAuthorizer(request.Scope, request.Properties.Required("ApiId"), AuthorizerSettings.Read(request.Properties));
        return Task.FromResult(new ProvisionedResource(authorizer.AuthorizerId, new Dictionary<string, string> { ["AuthorizerId"] = authorizer.AuthorizerId }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        gateway.UpdateAuthorizer(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId, AuthorizerSettings.Read(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteAuthorizer(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::Stage. Ref is the stage name.</summary>
public sealed class ApiGatewayV2StageProvider(ApiGatewayV2Service gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::Stage";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId", "StageName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var stage = gateway.CreateStage(request.Scope, request.Properties.Required("ApiId"), StageSettings.Read(request.Properties));
        return Task.FromResult(new ProvisionedResource(stage.StageName, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        gateway.UpdateStage(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId, StageSettings.Read(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteStage(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::Deployment: a deployment of the API as it is, to StageName when given. Ref is the deployment id.</summary>
public sealed class ApiGatewayV2DeploymentProvider(ApiGatewayV2Service gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGatewayV2::Deployment";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var deployment = gateway.CreateDeployment(request.Scope, p.Required("ApiId"), p.String("StageName"), p.String("Description"));
        return Task.FromResult(new ProvisionedResource(deployment.DeploymentId, new Dictionary<string, string> { ["DeploymentId"] = deployment.DeploymentId }));
    }

    // A deployment is a snapshot: a changed Description or StageName deploys again, as CloudFormation does by replacing it.
    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        await CreateAsync(request, cancellation);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        // A deployment a stage still serves stays (AWS refuses to delete it): the stage, deleted with the stack, goes with it.
        ResourceDeletion.IfPresent(() => gateway.DeleteDeployment(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId),
            "NotFoundException", "BadRequestException");
        return Task.CompletedTask;
    }
}
