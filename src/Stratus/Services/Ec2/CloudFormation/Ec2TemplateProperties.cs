using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>What the EC2 resource providers read alike: Tags, and deletes that treat "already gone" as done.</summary>
internal static class Ec2TemplateProperties
{
    public static IReadOnlyList<Ec2Tag> Tags(ResourceProperties p) => p.Tags().Select(t => new Ec2Tag(t.Key, t.Value)).ToList();

    /// <summary>The not-found codes of every EC2 type: a resource already gone counts as deleted.</summary>
    public static void DeleteIfPresent(Action delete) => ResourceDeletion.IfPresent(delete,
        "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidInternetGatewayID.NotFound",
        "InvalidRouteTableID.NotFound", "NatGatewayNotFound", "InvalidAllocationID.NotFound", "InvalidRoute.NotFound",
        "InvalidAssociationID.NotFound", "Gateway.NotAttached", "InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound");

    public static Task<ProvisionedResource> Done(string physicalId, Dictionary<string, string>? attributes = null) =>
        Task.FromResult(new ProvisionedResource(physicalId, attributes ?? []));
}
