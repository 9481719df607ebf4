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
        var (name, document, roles) = Read(request.Properties);
        var done = new List<string>();
        try
        {
            foreach (var role in roles)
            {
                iam.PutRolePolicy(request.Scope, role, name, document);
                done.Add(role);
            }
        }
        catch
        {
            foreach (var role in done) Remove(request.Scope, role, name);
            throw;
        }
        var id = request.GeneratedName(64);
        return Task.FromResult(new ProvisionedResource(id, new Dictionary<string, string> { ["Id"] = id }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var (name, document, roles) = Read(request.Properties);
        var (oldName, _, oldRoles) = Read(new ResourceProperties(request.LogicalId, previousProperties));
        foreach (var role in oldRoles.Where(r => oldName != name || !roles.Contains(r))) Remove(request.Scope, role, oldName);
        foreach (var role in roles) iam.PutRolePolicy(request.Scope, role, name, document);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var (name, _, roles) = Read(request.Properties);
        foreach (var role in roles) Remove(request.Scope, role, name);
        return Task.CompletedTask;
    }

    private static (string Name, string Document, IReadOnlyList<string> Roles) Read(ResourceProperties p)
    {
        if (p.Strings("Users").Count > 0 || p.Strings("Groups").Count > 0)
            throw p.Invalid("Users", "Stratus attaches inline policies to Roles only");
        var roles = p.Strings("Roles");
        if (roles.Count == 0) throw p.Invalid("Roles", "at least one of Roles, Users or Groups must be specified");
        return (p.Required("PolicyName"), p.RequiredDocument("PolicyDocument"), roles);
    }

    private void Remove(Scope scope, string role, string policyName)
    {
        try
        {
            iam.DeleteRolePolicy(scope, role, policyName);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            // Already gone (the role was deleted or the policy removed by hand): nothing left to delete.
        }
    }
}
