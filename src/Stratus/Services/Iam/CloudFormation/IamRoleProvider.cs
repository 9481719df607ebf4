using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::Role through IamService: trust policy, managed policy attachments, inline policies, tags.</summary>
public sealed class IamRoleProvider(IamService iam) : IResourceProvider, ILiveStateReader, IResourceImporter
{
    public string Type => "AWS::IAM::Role";

    public string ImportIdentifier => "RoleName";

    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ResourceLookup.IfPresent(() => iam.GetRole(scope, identifier), "NoSuchEntity") is { } role ? Provisioned(role) : null;

    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        ResourceLookup.All(marker => iam.ListRoles(scope, null, marker, 1000) is var page ? (page.Items, page.NextMarker) : default)
            .Select(r => new ExistingResource(r.RoleName, Provisioned(r), r.Tags.ToDictionary(t => t.Key, t => t.Value)));

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

    /// <summary>
    /// The role as IAM holds it, for drift detection: name, path, description, session duration, trust policy
    /// (compared as the document it is, after the provider's own normalization) and managed policies (as a set).
    /// Inline policies and tags are not compared.
    /// </summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current)
    {
        IamRole role;
        try
        {
            role = iam.GetRole(request.Scope, current.PhysicalId);
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            return null;
        }
        var expected = request.Properties.Values;
        var trust = JsonNode.Parse(role.AssumeRolePolicyDocument);
        if (expected["AssumeRolePolicyDocument"] is JsonObject written
            && JsonNode.DeepEquals(JsonNode.Parse(ServicePrincipals.Normalize(written.ToJsonString())), trust))
            trust = written.DeepClone();
        var expectedPolicies = (expected["ManagedPolicyArns"] as JsonArray)?.Select(a => a?.ToString()).ToList() ?? [];
        var attached = expectedPolicies.Where(role.AttachedPolicyArns.Contains).Concat(role.AttachedPolicyArns.Except(expectedPolicies));
        return new JsonObject
        {
            ["RoleName"] = role.RoleName,
            ["Path"] = role.Path,
            ["Description"] = role.Description,
            ["MaxSessionDuration"] = role.MaxSessionDuration,
            ["AssumeRolePolicyDocument"] = trust,
            ["ManagedPolicyArns"] = new JsonArray(attached.Select(a => (JsonNode?)a).ToArray()),
            ["PermissionsBoundary"] = role.PermissionsBoundaryArn,
            ["Policies"] = LiveState.NamedPolicies(expected["Policies"], role.InlinePolicies),
            ["Tags"] = LiveState.TagList(expected["Tags"], role.Tags.Select(t => KeyValuePair.Create(t.Key, t.Value))),
        };
    }

    /// <summary>Detaches and deletes what IAM requires gone before the role itself can go.</summary>
    private void RemoveRole(Scope scope, string name) =>
        EntityPolicies.Remove(iam, scope, IamEntityKind.Role, name, () => iam.GetRole(scope, name), _ => iam.DeleteRole(scope, name));

    private static ProvisionedResource Provisioned(IamRole role) =>
        new(role.RoleName, new Dictionary<string, string> { ["Arn"] = role.Arn, ["RoleId"] = role.RoleId });
}
