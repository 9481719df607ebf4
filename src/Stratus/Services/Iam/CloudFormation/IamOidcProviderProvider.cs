using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::OIDCProvider: Ref and GetAtt Arn are the provider's ARN; client ids, thumbprints and tags change in place.</summary>
public sealed class IamOidcProviderProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::OIDCProvider";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Url" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var provider = iam.CreateOidcProvider(request.Scope, p.Required("Url"), p.Strings("ClientIdList"), p.Strings("ThumbprintList"), IamTag.List(p));
        return Task.FromResult(new ProvisionedResource(provider.Arn, new Dictionary<string, string> { ["Arn"] = provider.Arn }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var arn = current.PhysicalId;
        var clientIds = p.Strings("ClientIdList");
        foreach (var gone in iam.GetOidcProvider(scope, arn).ClientIds.Except(clientIds)) iam.RemoveClientIdFromOidcProvider(scope, arn, gone);
        foreach (var clientId in clientIds) iam.AddClientIdToOidcProvider(scope, arn, clientId);
        iam.UpdateOidcThumbprints(scope, arn, p.Strings("ThumbprintList"));
        var tags = IamTag.List(p);
        var removedKeys = IamTag.List(new ResourceProperties(request.LogicalId, previousProperties)).Select(t => t.Key).Except(tags.Select(t => t.Key)).ToHashSet();
        if (removedKeys.Count > 0) iam.UntagOidcProvider(scope, arn, removedKeys);
        if (tags.Count > 0) iam.TagOidcProvider(scope, arn, tags);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => iam.DeleteOidcProvider(request.Scope, current.PhysicalId), "NoSuchEntity");
        return Task.CompletedTask;
    }
}
