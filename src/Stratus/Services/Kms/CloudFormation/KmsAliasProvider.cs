using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Kms.CloudFormation;

/// <summary>AWS::KMS::Alias through KmsService. Ref is the alias name; a new TargetKeyId moves the alias in place.</summary>
public sealed class KmsAliasProvider(KmsService kms) : IResourceProvider
{
    public string Type => "AWS::KMS::Alias";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "AliasName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var alias = kms.CreateAlias(request.Scope, p.Required("AliasName"), p.Required("TargetKeyId"));
        return Task.FromResult(new ProvisionedResource(alias.AliasName, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        kms.UpdateAlias(request.Scope, current.PhysicalId, request.Properties.Required("TargetKeyId"));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => kms.DeleteAlias(request.Scope, current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}
