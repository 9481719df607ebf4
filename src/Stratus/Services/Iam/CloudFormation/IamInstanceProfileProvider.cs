using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::InstanceProfile: the profile and the (one) role in it.</summary>
public sealed class IamInstanceProfileProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::InstanceProfile";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "InstanceProfileName", "Path" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("InstanceProfileName") ?? request.GeneratedName(128);
        var profile = iam.CreateInstanceProfile(request.Scope, name, p.String("Path"), []);
        try
        {
            foreach (var role in p.Strings("Roles")) iam.AddRoleToInstanceProfile(request.Scope, name, role);
        }
        catch
        {
            Remove(request, name);
            throw;
        }
        return Task.FromResult(Provisioned(profile));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var roles = request.Properties.Strings("Roles");
        var profile = iam.GetInstanceProfile(request.Scope, current.PhysicalId);
        foreach (var role in profile.RoleNames.Except(roles, StringComparer.OrdinalIgnoreCase)) iam.RemoveRoleFromInstanceProfile(request.Scope, current.PhysicalId, role);
        foreach (var role in roles.Except(profile.RoleNames, StringComparer.OrdinalIgnoreCase)) iam.AddRoleToInstanceProfile(request.Scope, current.PhysicalId, role);
        return Task.FromResult(Provisioned(profile));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Remove(request, current.PhysicalId);
        return Task.CompletedTask;
    }

    private void Remove(ResourceRequest request, string name) => ResourceDeletion.IfPresent(() =>
    {
        foreach (var role in iam.GetInstanceProfile(request.Scope, name).RoleNames) iam.RemoveRoleFromInstanceProfile(request.Scope, name, role);
        iam.DeleteInstanceProfile(request.Scope, name);
    }, "NoSuchEntity");

    private static ProvisionedResource Provisioned(IamInstanceProfile profile) => new(profile.InstanceProfileName, new Dictionary<string, string> { ["Arn"] = profile.Arn });
}
