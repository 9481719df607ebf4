using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::Policy: one inline policy document put on each listed role, user and group through IamService.</summary>
public sealed class IamPolicyProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::Policy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var (policy, targets) = Read(request.Properties);
        var done = new List<(IamEntityKind, string)>();
        try
        {
            foreach (var target in targets)
            {
                iam.PutInlinePolicy(request.Scope, target.Kind, target.Name, policy);
                done.Add(target);
            }
        }
        catch
        {
            foreach (var target in done) Remove(request.Scope, target, policy.PolicyName);
            throw;
        }
        var id = request.GeneratedName(64);
        return Task.FromResult(new ProvisionedResource(id, new Dictionary<string, string> { ["Id"] = id }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var (policy, targets) = Read(request.Properties);
        var (old, oldTargets) = Read(new ResourceProperties(request.LogicalId, previousProperties));
        foreach (var target in oldTargets.Where(t => old.PolicyName != policy.PolicyName || !targets.Contains(t))) Remove(request.Scope, target, old.PolicyName);
        foreach (var target in targets) iam.PutInlinePolicy(request.Scope, target.Kind, target.Name, policy);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var (policy, targets) = Read(request.Properties);
        foreach (var target in targets) Remove(request.Scope, target, policy.PolicyName);
        return Task.CompletedTask;
    }

    /// <summary>The policy as Put*Policy reads it, and the entities it goes on.</summary>
    private static (InlinePolicy Policy, List<(IamEntityKind Kind, string Name)> Targets) Read(ResourceProperties p)
    {
        var targets = EntityPolicies.Targets(p);
        if (targets.Count == 0) throw p.Invalid("Roles", "at least one of Roles, Users or Groups must be specified");
        return (InlinePolicy.Read(p), targets);
    }

    private void Remove(Scope scope, (IamEntityKind Kind, string Name) target, string policyName)
    {
        try
        {
            iam.DeleteInlinePolicy(scope, target.Kind, target.Name, policyName);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            // Already gone (the entity was deleted or the policy removed by hand): nothing left to delete.
        }
    }
}
