using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::Role through IamService: trust policy, managed policy attachments, inline policies, tags.</summary>
public sealed class IamRoleProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::Role";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RoleName", "Path" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("RoleName") ?? request.GeneratedName(64);
        // A trust policy built from AWS::URLSuffix names services by Stratus's address; read them back as service names.
        var settings = RoleSettings.Read(p);
        var role = iam.CreateRole(request.Scope, name, settings with { AssumeRolePolicyDocument = ServicePrincipals.Normalize(settings.AssumeRolePolicyDocument) },
            IamTag.List(p));
        EntityPolicies.SetUpOrRemove(() => EntityPolicies.Apply(iam, request.Scope, IamEntityKind.Role, name, p, null), () => RemoveRole(request.Scope, name));
        return Task.FromResult(Provisioned(role));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var scope = request.Scope;
        var name = current.PhysicalId;
        var trust = ServicePrincipals.Normalize(p.RequiredDocument("AssumeRolePolicyDocument"));
        if (!ResourceProperties.Same(p.Values["AssumeRolePolicyDocument"], previousProperties["AssumeRolePolicyDocument"]))
            iam.UpdateAssumeRolePolicy(scope, name, trust);
        iam.UpdateRoleDescription(scope, name, p.String("Description") ?? "", p.Int("MaxSessionDuration") ?? 3600);

        EntityPolicies.Apply(iam, scope, IamEntityKind.Role, name, p, before);

        EntityPolicies.Retag(p, before, keys => iam.UntagRole(scope, name, keys), tags => iam.TagRole(scope, name, tags));
        return Task.FromResult(Provisioned(iam.GetRole(scope, name)));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        RemoveRole(request.Scope, current.PhysicalId);
        return Task.CompletedTask;
    }

    /// <summary>Detaches and deletes what IAM requires gone before the role itself can go.</summary>
    private void RemoveRole(Scope scope, string name) =>
        EntityPolicies.Remove(iam, scope, IamEntityKind.Role, name, () => iam.GetRole(scope, name), _ => iam.DeleteRole(scope, name));

    private static ProvisionedResource Provisioned(IamRole role) =>
        new(role.RoleName, new Dictionary<string, string> { ["Arn"] = role.Arn, ["RoleId"] = role.RoleId });
}
