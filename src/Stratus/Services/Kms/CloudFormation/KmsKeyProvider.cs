using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Protocols;

namespace Stratus.Services.Kms.CloudFormation;

/// <summary>
/// AWS::KMS::Key through KmsService: the key (read with CreateKeyRequest, as CreateKey reads it), its rotation and
/// whether it is enabled. Ref is the key id; GetAtt Arn and KeyId. Deleting schedules the key's deletion after
/// PendingWindowInDays (30 by default), as CloudFormation does on AWS.
/// </summary>
public sealed class KmsKeyProvider(KmsService kms) : IResourceProvider
{
    public string Type => "AWS::KMS::Key";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "KeySpec", "KeyUsage", "Origin", "MultiRegion" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var key = kms.CreateKey(request.Scope, CreateKeyRequest.Read(p));
        try
        {
            Apply(request, key.KeyId, p);
        }
        catch
        {
            kms.ScheduleDeletion(request.Scope, key.KeyId, KmsRules.MinPendingWindow);
            throw;
        }
        return Task.FromResult(Provisioned(key));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var settings = CreateKeyRequest.Read(p);
        var scope = request.Scope;
        kms.UpdateDescription(scope, current.PhysicalId, settings.Description ?? "");
        kms.PutPolicy(scope, current.PhysicalId, null, settings.Policy ?? KmsService.DefaultPolicy(scope));
        var removed = new ResourceProperties(request.LogicalId, previousProperties).Tags().Select(t => t.Key).Except(settings.Tags.Keys).ToList();
        if (removed.Count > 0) kms.Untag(scope, current.PhysicalId, removed);
        if (settings.Tags.Count > 0) kms.Tag(scope, current.PhysicalId, settings.Tags);
        Apply(request, current.PhysicalId, p);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var window = request.Properties.Int("PendingWindowInDays");
        ResourceDeletion.IfPresent(() => kms.ScheduleDeletion(request.Scope, current.PhysicalId, window), "NotFoundException", "KMSInvalidStateException");
        return Task.CompletedTask;
    }

    /// <summary>Enabled and EnableKeyRotation: rotation is set while the key is enabled (a disabled key refuses it), then the state.</summary>
    private void Apply(ResourceRequest request, string keyId, ResourceProperties p)
    {
        var scope = request.Scope;
        KmsRules.CheckPendingWindow(p.Int("PendingWindowInDays"));
        var enabled = p.Bool("Enabled") ?? true;
        if (kms.Describe(scope, keyId).KeyState == "Disabled") kms.Enable(scope, keyId);
        if (p.Bool("EnableKeyRotation") == true) kms.EnableRotation(scope, keyId, p.Int("RotationPeriodInDays"));
        else kms.DisableRotation(scope, keyId);
        if (!enabled) kms.Disable(scope, keyId);
    }

    private static ProvisionedResource Provisioned(KmsKey key) =>
        new(key.KeyId, new Dictionary<string, string> { ["Arn"] = key.Arn, ["KeyId"] = key.KeyId });
}
