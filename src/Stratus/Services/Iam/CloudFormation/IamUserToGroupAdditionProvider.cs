using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::UserToGroupAddition: puts the listed users in the group, and takes them out again on delete.</summary>
public sealed class IamUserToGroupAdditionProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::UserToGroupAddition";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "GroupName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var group = p.Required("GroupName");
        foreach (var user in p.Strings("Users")) iam.AddUserToGroup(request.Scope, group, user);
        return Task.FromResult(new ProvisionedResource(request.GeneratedName(128), new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var group = p.Required("GroupName");
        var users = p.Strings("Users");
        foreach (var gone in new ResourceProperties(request.LogicalId, previousProperties).Strings("Users").Except(users, StringComparer.OrdinalIgnoreCase))
            Leave(request, group, gone);
        foreach (var user in users) iam.AddUserToGroup(request.Scope, group, user);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        foreach (var user in request.Properties.Strings("Users")) Leave(request, request.Properties.Required("GroupName"), user);
        return Task.CompletedTask;
    }

    private void Leave(ResourceRequest request, string group, string user) =>
        ResourceDeletion.IfPresent(() => iam.RemoveUserFromGroup(request.Scope, group, user), "NoSuchEntity");
}
