using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// AWS::Lambda::CodeSigningConfig through LambdaService, with the API's typed input. Ref is the config's ARN; every
/// property is updated in place, as the resource's schema says.
/// </summary>
public sealed class LambdaCodeSigningConfigProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::CodeSigningConfig";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var settings = CodeSigningSettings.Read(p);
        if (settings.SigningProfileVersionArns is null) throw p.Missing("AllowedPublishers");
        return Task.FromResult(Provisioned(lambda.CreateCodeSigningConfig(request.Scope, settings, p.TagMap() ?? [])));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var (scope, arn) = (request.Scope, current.PhysicalId);
        var settings = CodeSigningSettings.Read(request.Properties);
        // Members left out of the template go back to AWS's defaults, as CloudFormation applies a whole resource.
        var config = lambda.UpdateCodeSigningConfig(scope, arn, settings with
        {
            Description = settings.Description ?? "",
            UntrustedArtifactOnDeployment = settings.UntrustedArtifactOnDeployment ?? "Warn",
        });
        var tags = request.Properties.TagMap() ?? [];
        var removed = (new ResourceProperties(request.LogicalId, previousProperties).TagMap() ?? []).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) lambda.UntagResource(scope, arn, removed);
        if (tags.Count > 0) lambda.TagResource(scope, arn, tags);
        return Task.FromResult(Provisioned(config));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => lambda.DeleteCodeSigningConfig(request.Scope, current.PhysicalId), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private static ProvisionedResource Provisioned(CodeSigningConfig config) =>
        new(config.Arn, new Dictionary<string, string> { ["CodeSigningConfigArn"] = config.Arn, ["CodeSigningConfigId"] = config.Id });
}
