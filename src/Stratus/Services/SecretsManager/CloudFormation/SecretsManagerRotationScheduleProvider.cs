using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.SecretsManager.CloudFormation;

/// <summary>
/// AWS::SecretsManager::RotationSchedule: the secret's rotation function and rules, set through RotateSecret as
/// the API sets them. Creating it rotates the secret at once, as CloudFormation does; an update rotates at once
/// unless RotateImmediatelyOnUpdate is false (then only the function's testSecret step runs, as for RotateSecret);
/// deleting it cancels rotation. Ref and Id are the secret's ARN. AWS's hosted rotation functions
/// (HostedRotationLambda) and rotation of external secrets are not built, and are refused by name.
/// </summary>
public sealed class SecretsManagerRotationScheduleProvider(SecretsManagerService secrets) : IResourceProvider
{
    public string Type => "AWS::SecretsManager::RotationSchedule";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "SecretId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        ConfigureAsync(request, rotateImmediately: true, cancellation);

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        ConfigureAsync(request, request.Properties.Bool("RotateImmediatelyOnUpdate") ?? true, cancellation);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => secrets.CancelRotation(request.Scope, current.PhysicalId), "ResourceNotFoundException", "InvalidRequestException");
        return Task.CompletedTask;
    }

    private async Task<ProvisionedResource> ConfigureAsync(ResourceRequest request, bool rotateImmediately, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.Values["HostedRotationLambda"] is not null)
            throw new ResourcePropertyException("Stratus does not build AWS's hosted rotation functions: HostedRotationLambda is not built; give RotationLambdaARN.");
        if (p.Values["ExternalSecretRotationMetadata"] is not null || p.Values["ExternalSecretRotationRoleArn"] is not null)
            throw new ResourcePropertyException("Stratus does not rotate external secrets: ExternalSecretRotationMetadata and ExternalSecretRotationRoleArn are not built.");
        var (secret, _) = await secrets.RotateAsync(request.Scope,
            new RotateSecretRequest(p.Required("SecretId"), null, p.Required("RotationLambdaARN"), RotationRules.Read(p), rotateImmediately), cancellation);
        return new ProvisionedResource(secret.Arn, new Dictionary<string, string> { ["Id"] = secret.Arn });
    }
}
