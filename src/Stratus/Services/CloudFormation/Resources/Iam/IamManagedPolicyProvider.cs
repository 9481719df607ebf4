using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Iam;

namespace Stratus.Services.CloudFormation.Resources.Iam;

/// <summary>AWS::IAM::ManagedPolicy through IamService: a new default version on document change, role attachments kept in step.</summary>
public sealed class IamManagedPolicyProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::ManagedPolicy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ManagedPolicyName", "Path", "Description" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.Strings("Users").Count > 0 || p.Strings("Groups").Count > 0)
            throw p.Invalid("Users", "Stratus attaches managed policies to Roles only");
        var policy = iam.CreatePolicy(request.AccountId, p.String("ManagedPolicyName") ?? request.GeneratedName(128), p.String("Path"),
            p.RequiredDocument("PolicyDocument"), p.String("Description"), []);
        try
        {
            foreach (var role in p.Strings("Roles")) iam.AttachRolePolicy(request.AccountId, role, policy.Arn);
        }
        catch
        {
            Remove(request.AccountId, policy.Arn, p.Strings("Roles"));
            throw;
        }
        return Task.FromResult(Provisioned(iam.GetPolicy(request.AccountId, policy.Arn)));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var account = request.AccountId;
        var arn = current.PhysicalId;
        if (!ResourceProperties.Same(p.Values["PolicyDocument"], previousProperties["PolicyDocument"]))
        {
            var policy = iam.GetPolicy(account, arn);
            if (policy.Versions.Count >= IamService.MaxPolicyVersions)
                iam.DeletePolicyVersion(account, arn, policy.Versions.Where(v => v.VersionId != policy.DefaultVersionId).OrderBy(v => v.CreateDate).First().VersionId);
            iam.CreatePolicyVersion(account, arn, p.RequiredDocument("PolicyDocument"), setAsDefault: true);
        }
        var roles = p.Strings("Roles");
        foreach (var role in new ResourceProperties(request.LogicalId, previousProperties).Strings("Roles").Except(roles)) Detach(account, role, arn);
        foreach (var role in roles) iam.AttachRolePolicy(account, role, arn);
        return Task.FromResult(Provisioned(iam.GetPolicy(account, arn)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Remove(request.AccountId, current.PhysicalId, request.Properties.Strings("Roles"));
        return Task.CompletedTask;
    }

    private void Remove(string account, string arn, IReadOnlyList<string> roles)
    {
        foreach (var role in roles) Detach(account, role, arn);
        IamManagedPolicy policy;
        try
        {
            policy = iam.GetPolicy(account, arn);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            return;
        }
        foreach (var version in policy.Versions.Where(v => v.VersionId != policy.DefaultVersionId))
            iam.DeletePolicyVersion(account, arn, version.VersionId);
        iam.DeletePolicy(account, arn);
    }

    private void Detach(string account, string role, string arn)
    {
        try
        {
            iam.DetachRolePolicy(account, role, arn);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            // The role or the attachment is already gone.
        }
    }

    private static ProvisionedResource Provisioned(IamManagedPolicy policy) => new(policy.Arn, new Dictionary<string, string>
    {
        ["PolicyArn"] = policy.Arn,
        ["PolicyId"] = policy.PolicyId,
        ["DefaultVersionId"] = policy.DefaultVersionId,
        ["CreateDate"] = policy.CreateDate.ToString("O", CultureInfo.InvariantCulture),
        ["UpdateDate"] = policy.UpdateDate.ToString("O", CultureInfo.InvariantCulture),
        ["IsAttachable"] = "true",
    });
}
