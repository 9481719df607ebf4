using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::ManagedPolicy through IamService: a new default version on document change, role, user and group attachments kept in step.</summary>
public sealed class IamManagedPolicyProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::ManagedPolicy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "ManagedPolicyName", "Path", "Description" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var policy = iam.CreatePolicy(request.Scope, p.String("ManagedPolicyName") ?? request.GeneratedName(128), ManagedPolicySettings.Read(p));
        try
        {
            foreach (var (kind, name) in EntityPolicies.Targets(p)) iam.AttachPolicy(request.Scope, kind, name, policy.Arn);
        }
        catch
        {
            Remove(request.Scope, policy.Arn, EntityPolicies.Targets(p));
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
        var targets = EntityPolicies.Targets(p);
        foreach (var target in EntityPolicies.Targets(new ResourceProperties(request.LogicalId, previousProperties)).Except(targets)) Detach(scope, target, arn);
        foreach (var (kind, name) in targets) iam.AttachPolicy(scope, kind, name, arn);
        return Task.FromResult(Provisioned(iam.GetPolicy(scope, arn)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Remove(request.Scope, current.PhysicalId, EntityPolicies.Targets(request.Properties));
        return Task.CompletedTask;
    }

    private void Remove(Scope scope, string arn, IReadOnlyList<(IamEntityKind Kind, string Name)> targets)
    {
        foreach (var target in targets) Detach(scope, target, arn);
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

    private void Detach(Scope scope, (IamEntityKind Kind, string Name) target, string arn)
    {
        try
        {
            iam.DetachPolicy(scope, target.Kind, target.Name, arn);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            // The entity or the attachment is already gone.
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
