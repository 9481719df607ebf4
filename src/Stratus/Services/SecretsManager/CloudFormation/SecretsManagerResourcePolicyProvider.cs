using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.SecretsManager.CloudFormation;

/// <summary>AWS::SecretsManager::ResourcePolicy: the secret's stored resource policy. Ref is the secret's ARN.</summary>
public sealed class SecretsManagerResourcePolicyProvider(SecretsManagerService secrets) : IResourceProvider
{
    public string Type => "AWS::SecretsManager::ResourcePolicy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "SecretId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var secret = secrets.PutPolicy(request.Scope, p.Required("SecretId"), p.RequiredDocument("ResourcePolicy"), p.Bool("BlockPublicPolicy") ?? false);
        return Task.FromResult(new ProvisionedResource(secret.Arn, new Dictionary<string, string> { ["Id"] = secret.Arn }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        CreateAsync(request, cancellation);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => secrets.DeletePolicy(request.Scope, current.PhysicalId), "ResourceNotFoundException", "InvalidRequestException");
        return Task.CompletedTask;
    }
}
