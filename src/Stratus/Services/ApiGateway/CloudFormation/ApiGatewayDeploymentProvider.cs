using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::Deployment through ApiGatewayService: a snapshot of the API, with the stage
/// StageName (and StageDescription) created or moved onto it. Ref is the deployment id.
/// </summary>
public sealed class ApiGatewayDeploymentProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::Deployment";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RestApiId", "StageName", "StageDescription", "DeploymentCanarySettings" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var settings = DeploymentSettings.Read(p);
        var deployment = gateway.CreateDeployment(request.Scope, p.Required("RestApiId"), settings);
        if (settings.StageName is { } stageName && p.Object("StageDescription") is { } stage && StageMethodSettings(request.LogicalId, stage) is { Count: > 0 } patch)
            gateway.UpdateStage(request.Scope, p.Required("RestApiId"), stageName, patch);
        return Task.FromResult(new ProvisionedResource(deployment.Id, new Dictionary<string, string> { ["DeploymentId"] = deployment.Id }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var description = DeploymentSettings.Read(request.Properties).Description;
        gateway.UpdateDeployment(request.Scope, request.Properties.Required("RestApiId"), current.PhysicalId,
            [description is null ? new PatchOperation("remove", "/description", null, null) : new PatchOperation("replace", "/description", description, null)]);
        return Task.FromResult(current);
    }

    /// <summary>
    /// StageDescription's method settings as UpdateStage's patch: its MethodSettings entries, and its own CachingEnabled,
    /// CacheTtlInSeconds, LoggingLevel, throttling and the like, which AWS applies to every method of the stage (<c>*/*</c>).
    /// </summary>
    private static List<PatchOperation> StageMethodSettings(string logicalId, ResourceProperties stage)
    {
        var patch = ApiGatewayStageProvider.MethodSettings(logicalId, stage, []);
        foreach (var (property, path) in ApiGatewayStageProvider.MethodSettingFields)
            if (stage.String(property) is { } value) patch.Add(new PatchOperation("replace", $"/*/*/{path}", value, null));
        return patch;
    }

    /// <summary>Removes the stage it made unless a newer deployment has taken that stage over, then the deployment itself.</summary>
    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var api = p.Required("RestApiId");
        if (DeploymentSettings.Read(p).StageName is { } stageName)
            ResourceDeletion.IfPresent(() =>
            {
                if (gateway.GetStage(scope, api, stageName).DeploymentId == current.PhysicalId) gateway.DeleteStage(scope, api, stageName);
            }, "NotFoundException");
        ResourceDeletion.IfPresent(() => gateway.DeleteDeployment(scope, api, current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}
