using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Iam;

namespace Stratus.Services.CloudFormation.Resources.Iam;

/// <summary>AWS::IAM::Role through IamService: trust policy, managed policy attachments, inline policies, tags.</summary>
public sealed class IamRoleProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::Role";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RoleName", "Path" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("RoleName") ?? request.GeneratedName(64);
        var role = iam.CreateRole(request.AccountId, name, p.String("Path"), ServicePrincipals.Normalize(p.RequiredDocument("AssumeRolePolicyDocument")),
            p.String("Description"), p.Int("MaxSessionDuration"), Tags(p));
        try
        {
            foreach (var arn in p.Strings("ManagedPolicyArns")) iam.AttachRolePolicy(request.AccountId, name, arn);
            foreach (var (policyName, document) in InlinePolicies(p)) iam.PutRolePolicy(request.AccountId, name, policyName, document);
        }
        catch
        {
            RemoveRole(request.AccountId, name);
            throw;
        }
        return Task.FromResult(Provisioned(role));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var account = request.AccountId;
        var name = current.PhysicalId;
        var trust = ServicePrincipals.Normalize(p.RequiredDocument("AssumeRolePolicyDocument"));
        if (!ResourceProperties.Same(p.Values["AssumeRolePolicyDocument"], previousProperties["AssumeRolePolicyDocument"]))
            iam.UpdateAssumeRolePolicy(account, name, trust);
        iam.UpdateRoleDescription(account, name, p.String("Description") ?? "", p.Int("MaxSessionDuration") ?? 3600);

        var attach = p.Strings("ManagedPolicyArns");
        foreach (var arn in before.Strings("ManagedPolicyArns").Except(attach)) iam.DetachRolePolicy(account, name, arn);
        foreach (var arn in attach) iam.AttachRolePolicy(account, name, arn);

        var inline = InlinePolicies(p);
        foreach (var (policyName, _) in InlinePolicies(before).Where(old => !inline.ContainsKey(old.Key)))
            iam.DeleteRolePolicy(account, name, policyName);
        foreach (var (policyName, document) in inline) iam.PutRolePolicy(account, name, policyName, document);

        var tags = Tags(p);
        var removedKeys = Tags(before).Select(t => t.Key).Except(tags.Select(t => t.Key)).ToHashSet();
        if (removedKeys.Count > 0) iam.UntagRole(account, name, removedKeys);
        if (tags.Count > 0) iam.TagRole(account, name, tags);
        return Task.FromResult(Provisioned(iam.GetRole(account, name)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        RemoveRole(request.AccountId, current.PhysicalId);
        return Task.CompletedTask;
    }

    /// <summary>Detaches and deletes what IAM requires gone before the role itself can go.</summary>
    private void RemoveRole(string account, string name)
    {
        IamRole role;
        try
        {
            role = iam.GetRole(account, name);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            return;
        }
        foreach (var arn in role.AttachedPolicyArns) iam.DetachRolePolicy(account, name, arn);
        foreach (var policyName in role.InlinePolicies.Keys) iam.DeleteRolePolicy(account, name, policyName);
        iam.DeleteRole(account, name);
    }

    private static ProvisionedResource Provisioned(IamRole role) =>
        new(role.RoleName, new Dictionary<string, string> { ["Arn"] = role.Arn, ["RoleId"] = role.RoleId });

    private static List<IamTag> Tags(ResourceProperties p) => p.Tags().Select(t => new IamTag(t.Key, t.Value)).ToList();

    private static Dictionary<string, string> InlinePolicies(ResourceProperties p) =>
        p.Objects("Policies").Select(o => new ResourceProperties("Policies", o))
            .ToDictionary(o => o.Required("PolicyName"), o => o.RequiredDocument("PolicyDocument"), StringComparer.Ordinal);
}
