using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>AWS::ApiGateway::ApiKey: Ref is the key id; GetAtt APIKeyId too.</summary>
public sealed class ApiGatewayApiKeyProvider(ApiGatewayService gateway)
    : ReplacedOnAnyChangeProvider("Name", "Description", "Enabled", "Value", "CustomerId", "GenerateDistinctId", "StageKeys", "Tags")
{
    public override string Type => "AWS::ApiGateway::ApiKey";

    public override Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var settings = ApiKeySettings.Read(request.Properties);
        var key = gateway.CreateApiKey(request.Scope, settings with { Name = settings.Name ?? GeneratedName(request) });
        return Created(key.Id, new() { ["APIKeyId"] = key.Id });
    }

    protected override void Delete(ResourceRequest request, ProvisionedResource current) => gateway.DeleteApiKey(request.Scope, current.PhysicalId);
}

/// <summary>AWS::ApiGateway::UsagePlan: Ref is the plan id; GetAtt Id too.</summary>
public sealed class ApiGatewayUsagePlanProvider(ApiGatewayService gateway)
    : ReplacedOnAnyChangeProvider("UsagePlanName", "Description", "ApiStages", "Throttle", "Quota", "Tags")
{
    public override string Type => "AWS::ApiGateway::UsagePlan";

    public override Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var settings = UsagePlanSettings.Read(request.Properties);
        var plan = gateway.CreateUsagePlan(request.Scope, settings.Name.Length > 0 ? settings : settings with { Name = GeneratedName(request) });
        return Created(plan.Id, new() { ["Id"] = plan.Id });
    }

    protected override void Delete(ResourceRequest request, ProvisionedResource current) => gateway.DeleteUsagePlan(request.Scope, current.PhysicalId);
}

/// <summary>AWS::ApiGateway::UsagePlanKey: Ref is the key id; GetAtt Id too.</summary>
public sealed class ApiGatewayUsagePlanKeyProvider(ApiGatewayService gateway) : ReplacedOnAnyChangeProvider("KeyId", "KeyType", "UsagePlanId")
{
    public override string Type => "AWS::ApiGateway::UsagePlanKey";

    public override Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var key = gateway.CreateUsagePlanKey(request.Scope, p.Required("UsagePlanId"), p.Required("KeyId"), p.Required("KeyType"));
        return Created(key.Id, new() { ["Id"] = key.Id });
    }

    protected override void Delete(ResourceRequest request, ProvisionedResource current) =>
        gateway.DeleteUsagePlanKey(request.Scope, request.Properties.Required("UsagePlanId"), current.PhysicalId);
}

/// <summary>AWS::ApiGateway::RequestValidator: Ref is the validator id; GetAtt RequestValidatorId too.</summary>
public sealed class ApiGatewayRequestValidatorProvider(ApiGatewayService gateway)
    : ReplacedOnAnyChangeProvider("RestApiId", "Name", "ValidateRequestBody", "ValidateRequestParameters")
{
    public override string Type => "AWS::ApiGateway::RequestValidator";

    public override Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var validator = gateway.CreateRequestValidator(request.Scope, request.Properties.Required("RestApiId"), RequestValidatorSettings.Read(request.Properties));
        return Created(validator.Id, new() { ["RequestValidatorId"] = validator.Id });
    }

    protected override void Delete(ResourceRequest request, ProvisionedResource current) =>
        gateway.DeleteRequestValidator(request.Scope, request.Properties.Required("RestApiId"), current.PhysicalId);
}

/// <summary>AWS::ApiGateway::Model: Ref is the model's name (generated, alphanumeric, when the template gives none).</summary>
public sealed class ApiGatewayModelProvider(ApiGatewayService gateway) : ReplacedOnAnyChangeProvider("RestApiId", "Name", "ContentType", "Description", "Schema")
{
    public override string Type => "AWS::ApiGateway::Model";

    public override Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var settings = ModelSettings.Read(request.Properties);
        var model = gateway.CreateModel(request.Scope, request.Properties.Required("RestApiId"),
            settings.Name.Length > 0 ? settings : settings with { Name = GeneratedName(request, alphanumeric: true) });
        return Created(model.Name);
    }

    protected override void Delete(ResourceRequest request, ProvisionedResource current) =>
        gateway.DeleteModel(request.Scope, request.Properties.Required("RestApiId"), current.PhysicalId);
}

/// <summary>AWS::ApiGateway::GatewayResponse: Ref is a generated id.</summary>
public sealed class ApiGatewayGatewayResponseProvider(ApiGatewayService gateway)
    : ReplacedOnAnyChangeProvider("RestApiId", "ResponseType", "StatusCode", "ResponseParameters", "ResponseTemplates")
{
    public override string Type => "AWS::ApiGateway::GatewayResponse";

    public override Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        gateway.PutGatewayResponse(request.Scope, request.Properties.Required("RestApiId"), GatewayResponseSettings.Read(request.Properties));
        return Created(ApiGatewayErrors.NewId());
    }

    protected override void Delete(ResourceRequest request, ProvisionedResource current) =>
        gateway.DeleteGatewayResponse(request.Scope, request.Properties.Required("RestApiId"), request.Properties.Required("ResponseType"));
}

/// <summary>
/// AWS::ApiGateway::Authorizer: Ref is the authorizer id; GetAtt AuthorizerId too. Only a new RestApiId replaces it; any other
/// change is made in place (the id kept, so methods keep naming it), as AWS marks those properties "No interruption".
/// </summary>
public sealed class ApiGatewayAuthorizerProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::Authorizer";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RestApiId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var settings = AuthorizerSettings.Read(request.Properties);
        var authorizer = gateway.CreateAuthorizer(request.Scope, request.Properties.Required("RestApiId"),
            settings.Name.Length > 0 ? settings : settings with { Name = ReplacedOnAnyChangeProvider.GeneratedName(request) });
        return Task.FromResult(new ProvisionedResource(authorizer.Id, new Dictionary<string, string> { ["AuthorizerId"] = authorizer.Id }));
    }

    /// <summary>The template's whole authorizer replaces the old settings; without a Name it keeps the one CloudFormation made.</summary>
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var api = request.Properties.Required("RestApiId");
        var settings = AuthorizerSettings.Read(request.Properties);
        if (settings.Name.Length == 0) settings = settings with { Name = gateway.GetAuthorizer(request.Scope, api, current.PhysicalId).Name };
        gateway.ReplaceAuthorizer(request.Scope, api, current.PhysicalId, settings);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteAuthorizer(request.Scope, request.Properties.Required("RestApiId"), current.PhysicalId),
            "NotFoundException");
        return Task.CompletedTask;
    }
}
