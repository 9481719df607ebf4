using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// A provider whose resource's live state Stratus can read back through its service's domain, for drift
/// detection. Types whose providers do not implement it are reported NOT_CHECKED, as CloudFormation reports
/// the types it does not check.
/// </summary>
public interface ILiveStateReader
{
    /// <summary>
    /// The resource's properties as its service holds them now, in the template's shape, or null when the
    /// resource no longer exists. Each property the provider reads is present: a null value means the live
    /// resource leaves it unset. Properties it does not read are absent and are not checked.
    /// </summary>
    JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current);
}
