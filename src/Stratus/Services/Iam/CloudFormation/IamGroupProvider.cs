using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::Group through IamService: path, managed and inline policies.</summary>
public sealed class IamGroupProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::Group";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "GroupName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("GroupName") ?? request.GeneratedName(128);
        var group = iam.CreateGroup(request.Scope, name, p.String("Path"));
        EntityPolicies.SetUpOrRemove(() => EntityPolicies.Apply(iam, request.Scope, IamEntityKind.Group, name, p, null), () => Remove(request.Scope, name));
        return Task.FromResult(Provisioned(group));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var group = iam.UpdateGroup(request.Scope, current.PhysicalId, null, p.String("Path") ?? "/");
        EntityPolicies.Apply(iam, request.Scope, IamEntityKind.Group, current.PhysicalId, p, new ResourceProperties(request.LogicalId, previousProperties));
        return Task.FromResult(Provisioned(group));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Remove(request.Scope, current.PhysicalId);
        return Task.CompletedTask;
    }

    private void Remove(Scope scope, string name) =>
        EntityPolicies.Remove(iam, scope, IamEntityKind.Group, name, () => iam.GetGroup(scope, name), _ => iam.DeleteGroup(scope, name));

    private static ProvisionedResource Provisioned(IamGroup group) => new(group.GroupName, new Dictionary<string, string> { ["Arn"] = group.Arn });
}
