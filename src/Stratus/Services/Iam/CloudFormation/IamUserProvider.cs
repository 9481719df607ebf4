using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::User through IamService: path, groups, login profile, permissions boundary, managed and inline policies, tags.</summary>
public sealed class IamUserProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::User";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "UserName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var name = p.String("UserName") ?? request.GeneratedName(64);
        var user = iam.CreateUser(scope, name, p.String("Path"), IamTag.List(p));
        EntityPolicies.SetUpOrRemove(() =>
        {
            if (p.String("PermissionsBoundary") is { } boundary) iam.PutPermissionsBoundary(scope, IamEntityKind.User, name, boundary);
            EntityPolicies.Apply(iam, scope, IamEntityKind.User, name, p, null);
            foreach (var group in p.Strings("Groups")) iam.AddUserToGroup(scope, group, name);
            if (p.Object("LoginProfile") is { } login)
                iam.CreateLoginProfile(scope, name, login.Required("Password"), login.Bool("PasswordResetRequired") ?? false);
        }, () => Remove(scope, name));
        return Task.FromResult(Provisioned(user));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var scope = request.Scope;
        var name = current.PhysicalId;
        iam.UpdateUser(scope, name, null, p.String("Path") ?? "/");
        iam.PutPermissionsBoundary(scope, IamEntityKind.User, name, p.String("PermissionsBoundary"));
        EntityPolicies.Apply(iam, scope, IamEntityKind.User, name, p, before);

        var groups = p.Strings("Groups");
        foreach (var group in before.Strings("Groups").Except(groups)) iam.RemoveUserFromGroup(scope, group, name);
        foreach (var group in groups) iam.AddUserToGroup(scope, group, name);

        var hadLogin = iam.GetUser(scope, name).LoginProfile is not null;
        if (p.Object("LoginProfile") is { } login)
        {
            if (hadLogin) iam.UpdateLoginProfile(scope, name, login.Required("Password"), login.Bool("PasswordResetRequired") ?? false);
            else iam.CreateLoginProfile(scope, name, login.Required("Password"), login.Bool("PasswordResetRequired") ?? false);
        }
        else if (hadLogin) iam.DeleteLoginProfile(scope, name);

        EntityPolicies.Retag(p, before, keys => iam.UntagUser(scope, name, keys), tags => iam.TagUser(scope, name, tags));
        return Task.FromResult(Provisioned(iam.GetUser(scope, name)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Remove(request.Scope, current.PhysicalId);
        return Task.CompletedTask;
    }

    /// <summary>Takes away what IAM requires gone before the user itself can go.</summary>
    private void Remove(Scope scope, string name) => EntityPolicies.Remove(iam, scope, IamEntityKind.User, name, () => iam.GetUser(scope, name), user =>
    {
        foreach (var group in user.GroupNames) iam.RemoveUserFromGroup(scope, group, name);
        if (user.LoginProfile is not null) iam.DeleteLoginProfile(scope, name);
        iam.DeleteUser(scope, name);
    });

    private static ProvisionedResource Provisioned(IamUser user) => new(user.UserName, new Dictionary<string, string> { ["Arn"] = user.Arn });
}
