using System.Text.Json.Nodes;
using Stratus.Protocols;
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

/// <summary>
/// The shape of a resource that lives inside an HTTP API: read once from its properties, created and updated in place
/// by its id within the API named by ApiId, whose change replaces it; deleting one already gone is done. A part type
/// states only its name, its settings' reader, the attribute its id is named by (RouteId, IntegrationId...; none for
/// a stage, whose Ref is its name) and the service's create, update and delete of it.
/// </summary>
public abstract class HttpApiPartProvider<TSettings>(
    string type,
    Func<IInputReader, TSettings> read,
    string? idAttribute,
    Func<Scope, string, TSettings, string> create,
    Action<Scope, string, string, TSettings> update,
    Action<Scope, string, string> delete) : IResourceProvider
{
    public string Type => type;

    public virtual IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var id = create(request.Scope, request.Properties.Required("ApiId"), read(request.Properties));
        var attributes = idAttribute is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [idAttribute] = id };
        return Task.FromResult(new ProvisionedResource(id, attributes));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        update(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId, read(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => delete(request.Scope, request.Properties.Required("ApiId"), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::Route. Ref is the route id.</summary>
public sealed class ApiGatewayV2RouteProvider(ApiGatewayV2Service gateway) : HttpApiPartProvider<RouteSettings>(
    "AWS::ApiGatewayV2::Route", RouteSettings.Read, "RouteId", (scope, apiId, settings) => gateway.CreateRoute(scope, apiId, settings).RouteId,
    (scope, apiId, id, settings) => gateway.UpdateRoute(scope, apiId, id, settings), gateway.DeleteRoute);

/// <summary>AWS::ApiGatewayV2::Integration. Ref is the integration id.</summary>
public sealed class ApiGatewayV2IntegrationProvider(ApiGatewayV2Service gateway) : HttpApiPartProvider<IntegrationSettings>(
    "AWS::ApiGatewayV2::Integration", IntegrationSettings.Read, "IntegrationId", (scope, apiId, settings) => gateway.CreateIntegration(scope, apiId, settings).IntegrationId,
    (scope, apiId, id, settings) => gateway.UpdateIntegration(scope, apiId, id, settings), gateway.DeleteIntegration);

/// <summary>AWS::ApiGatewayV2::Model (WebSocket APIs). Ref is the model id.</summary>
public sealed class ApiGatewayV2ModelProvider(ApiGatewayV2Service gateway) : HttpApiPartProvider<ModelSettings>(
    "AWS::ApiGatewayV2::Model", ModelSettings.Read, "ModelId", (scope, apiId, settings) => gateway.CreateModel(scope, apiId, settings).ModelId,
    (scope, apiId, id, settings) => gateway.UpdateModel(scope, apiId, id, settings), gateway.DeleteModel);

/// <summary>AWS::ApiGatewayV2::Authorizer. Ref is the authorizer id.</summary>
public sealed class ApiGatewayV2AuthorizerProvider(ApiGatewayV2Service gateway) : HttpApiPartProvider<AuthorizerSettings>(
    "AWS::ApiGatewayV2::Authorizer", AuthorizerSettings.Read, "AuthorizerId", (scope, apiId, settings) => gateway.CreateAuthorizer(scope, apiId, settings).AuthorizerId,
    (scope, apiId, id, settings) => gateway.UpdateAuthorizer(scope, apiId, id, settings), gateway.DeleteAuthorizer);

/// <summary>AWS::ApiGatewayV2::Stage. Ref is the stage name, which also replaces it when changed.</summary>
public sealed class ApiGatewayV2StageProvider(ApiGatewayV2Service gateway) : HttpApiPartProvider<StageSettings>(
    "AWS::ApiGatewayV2::Stage", StageSettings.Read, null, (scope, apiId, settings) => gateway.CreateStage(scope, apiId, settings).StageName,
    (scope, apiId, id, settings) => gateway.UpdateStage(scope, apiId, id, settings), gateway.DeleteStage)
{
    public override IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId", "StageName" };
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

/// <summary>
/// A part that lives under another part of an API (a route's route response, an integration's integration response): made, changed
/// and deleted through the domain with the API's and the parent's ids; Ref is the part's id, and a changed ApiId or parent id replaces it.
/// </summary>
public abstract class ApiSubPartProvider<TSettings>(string type, string parentProperty, string idAttribute, Func<IInputReader, TSettings> read,
    Func<Scope, string, string, TSettings, string> create, Action<Scope, string, string, string, TSettings> update, Action<Scope, string, string, string> delete)
    : IResourceProvider
{
    public string Type => type;

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ApiId", parentProperty };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var id = create(request.Scope, p.Required("ApiId"), p.Required(parentProperty), read(p));
        return Task.FromResult(new ProvisionedResource(id, new Dictionary<string, string> { [idAttribute] = id }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        update(request.Scope, p.Required("ApiId"), p.Required(parentProperty), current.PhysicalId, read(p));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        ResourceDeletion.IfPresent(() => delete(request.Scope, p.Required("ApiId"), p.Required(parentProperty), current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}

/// <summary>AWS::ApiGatewayV2::RouteResponse: a WebSocket route's route response ($default makes the route two-way).</summary>
public sealed class ApiGatewayV2RouteResponseProvider(ApiGatewayV2Service gateway) : ApiSubPartProvider<RouteResponseSettings>(
    "AWS::ApiGatewayV2::RouteResponse", "RouteId", "RouteResponseId", RouteResponseSettings.Read,
    (scope, apiId, routeId, settings) => gateway.CreateRouteResponse(scope, apiId, routeId, settings).RouteResponseId,
    (scope, apiId, routeId, id, settings) => gateway.UpdateRouteResponse(scope, apiId, routeId, id, settings), gateway.DeleteRouteResponse);

/// <summary>AWS::ApiGatewayV2::IntegrationResponse: a WebSocket non-proxy integration's integration response, through the API's checks.</summary>
public sealed class ApiGatewayV2IntegrationResponseProvider(ApiGatewayV2Service gateway) : ApiSubPartProvider<IntegrationResponseSettings>(
    "AWS::ApiGatewayV2::IntegrationResponse", "IntegrationId", "IntegrationResponseId", IntegrationResponseSettings.Read,
    (scope, apiId, integrationId, settings) => gateway.CreateIntegrationResponse(scope, apiId, integrationId, settings).IntegrationResponseId,
    (scope, apiId, integrationId, id, settings) => gateway.UpdateIntegrationResponse(scope, apiId, integrationId, id, settings), gateway.DeleteIntegrationResponse);
