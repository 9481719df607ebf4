using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>
/// AWS::IAM::ServiceLinkedRole: the role CreateServiceLinkedRole makes; Ref and GetAtt RoleName are its name. A new
/// service or suffix replaces it, a new Description changes in place (the one change AWS lets a service-linked role take).
/// </summary>
public sealed class IamServiceLinkedRoleProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::ServiceLinkedRole";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "AWSServiceName", "CustomSuffix" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var role = iam.CreateServiceLinkedRole(request.Scope, p.Required("AWSServiceName"), p.String("Description"), p.String("CustomSuffix"));
        return Task.FromResult(Provisioned(role));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var role = iam.UpdateRoleDescription(request.Scope, current.PhysicalId, request.Properties.String("Description") ?? "", null);
        return Task.FromResult(Provisioned(role));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => iam.DeleteServiceLinkedRole(request.Scope, current.PhysicalId), "NoSuchEntity");
        return Task.CompletedTask;
    }

    private static ProvisionedResource Provisioned(IamRole role) => new(role.RoleName, new Dictionary<string, string> { ["RoleName"] = role.RoleName });
}
