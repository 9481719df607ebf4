using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

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
        var policy = iam.CreatePolicy(request.Scope, p.String("ManagedPolicyName") ?? request.GeneratedName(128), ManagedPolicySettings.Read(p));
        try
        {
            foreach (var role in p.Strings("Roles")) iam.AttachPolicy(request.Scope, IamEntityKind.Role, role, policy.Arn);
        }
        catch
        {
            Remove(request.Scope, policy.Arn, p.Strings("Roles"));
            throw;
        }
        return Task.FromResult(Provisioned(iam.GetPolicy(request.Scope, policy.Arn)));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var arn = current.PhysicalId;
        if (!ResourceProperties.Same(p.Values["PolicyDocument"], previousProperties["PolicyDocument"]))
        {
            var policy = iam.GetPolicy(scope, arn);
            if (policy.Versions.Count >= IamService.MaxPolicyVersions)
                iam.DeletePolicyVersion(scope, arn, policy.Versions.Where(v => v.VersionId != policy.DefaultVersionId).OrderBy(v => v.CreateDate).First().VersionId);
            iam.CreatePolicyVersion(scope, arn, ManagedPolicySettings.Read(p).PolicyDocument, setAsDefault: true);
        }
        var roles = p.Strings("Roles");
        foreach (var role in new ResourceProperties(request.LogicalId, previousProperties).Strings("Roles").Except(roles)) Detach(scope, role, arn);
        foreach (var role in roles) iam.AttachPolicy(scope, IamEntityKind.Role, role, arn);
        return Task.FromResult(Provisioned(iam.GetPolicy(scope, arn)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Remove(request.Scope, current.PhysicalId, request.Properties.Strings("Roles"));
        return Task.CompletedTask;
    }

    private void Remove(Scope scope, string arn, IReadOnlyList<string> roles)
    {
        foreach (var role in roles) Detach(scope, role, arn);
        IamManagedPolicy policy;
        try
        {
            policy = iam.GetPolicy(scope, arn);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            return;
        }
        foreach (var version in policy.Versions.Where(v => v.VersionId != policy.DefaultVersionId))
            iam.DeletePolicyVersion(scope, arn, version.VersionId);
        iam.DeletePolicy(scope, arn);
    }

    private void Detach(Scope scope, string role, string arn)
    {
        try
        {
            iam.DetachPolicy(scope, IamEntityKind.Role, role, arn);
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
