using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>
/// AWS::IAM::VirtualMFADevice: the device (Ref and SerialNumber its serial number), its path and tags. Its Users must
/// exist; the device is not enabled for them, as CloudFormation's reference says: enabling takes two codes off the
/// device, which a template cannot hold, so EnableMFADevice follows. The seed is not returned through the stack.
/// </summary>
public sealed class IamVirtualMfaDeviceProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::VirtualMFADevice";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "VirtualMfaDeviceName", "Path" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        CheckUsers(request);
        var created = iam.CreateVirtualMfaDevice(request.Scope, p.String("VirtualMfaDeviceName") ?? request.GeneratedName(226), p.String("Path"), IamTag.List(p));
        return Task.FromResult(Provisioned(created.Device.SerialNumber));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        CheckUsers(request);
        EntityPolicies.Retag(request.Properties, new ResourceProperties(request.LogicalId, previousProperties), keys => iam.UntagMfaDevice(request.Scope, current.PhysicalId, keys),
            tags => iam.TagMfaDevice(request.Scope, current.PhysicalId, tags));
        return Task.FromResult(Provisioned(current.PhysicalId));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => iam.DeleteVirtualMfaDevice(request.Scope, current.PhysicalId), "NoSuchEntity");
        return Task.CompletedTask;
    }

    private void CheckUsers(ResourceRequest request)
    {
        foreach (var userName in request.Properties.Strings("Users")) iam.GetUser(request.Scope, userName);
    }

    private static ProvisionedResource Provisioned(string serialNumber) =>
        new(serialNumber, new Dictionary<string, string> { ["SerialNumber"] = serialNumber });
}
