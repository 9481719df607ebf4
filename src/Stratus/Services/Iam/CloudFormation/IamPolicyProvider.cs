using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::Policy: one inline policy document put on each listed role through IamService.</summary>
public sealed class IamPolicyProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::Policy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var (policy, roles) = Read(request.Properties);
        var done = new List<string>();
        try
        {
            foreach (var role in roles)
            {
                iam.PutInlinePolicy(request.Scope, IamEntityKind.Role, role, policy);
                done.Add(role);
            }
        }
        catch
        {
            foreach (var role in done) Remove(request.Scope, role, policy.PolicyName);
            throw;
        }
        var id = request.GeneratedName(64);
        return Task.FromResult(new ProvisionedResource(id, new Dictionary<string, string> { ["Id"] = id }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var (policy, roles) = Read(request.Properties);
        var (old, oldRoles) = Read(new ResourceProperties(request.LogicalId, previousProperties));
        foreach (var role in oldRoles.Where(r => old.PolicyName != policy.PolicyName || !roles.Contains(r))) Remove(request.Scope, role, old.PolicyName);
        foreach (var role in roles) iam.PutInlinePolicy(request.Scope, IamEntityKind.Role, role, policy);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var (policy, roles) = Read(request.Properties);
        foreach (var role in roles) Remove(request.Scope, role, policy.PolicyName);
        return Task.CompletedTask;
    }

    /// <summary>The policy as PutRolePolicy reads it, and the roles it goes on.</summary>
    private static (InlinePolicy Policy, IReadOnlyList<string> Roles) Read(ResourceProperties p)
    {
        if (p.Strings("Users").Count > 0 || p.Strings("Groups").Count > 0)
            throw p.Invalid("Users", "Stratus attaches inline policies to Roles only");
        var roles = p.Strings("Roles");
        if (roles.Count == 0) throw p.Invalid("Roles", "at least one of Roles, Users or Groups must be specified");
        return (InlinePolicy.Read(p), roles);
    }

    private void Remove(Scope scope, string role, string policyName)
    {
        try
        {
            iam.DeleteInlinePolicy(scope, IamEntityKind.Role, role, policyName);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            // Already gone (the role was deleted or the policy removed by hand): nothing left to delete.
        }
    }
}
