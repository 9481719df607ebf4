using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// AWS::CloudFormation::Stack: a nested stack. As in CloudFormation the child is a stack of its own
/// (named parent-logicalId-SUFFIX, listed with ParentId and RootId), made from the template its
/// TemplateURL names in Stratus's S3 with the resource's Parameters, and created, updated and deleted
/// with its parent, which waits for it. Ref is the child's stack id; Fn::GetAtt Outputs.Name its outputs.
/// A child that does not reach its complete status fails the parent's resource.
/// </summary>
public sealed class NestedStackProvider(CloudFormationService cloudFormation) : IResourceProvider
{
    public string Type => StackStore.StackType;

    // A changed TemplateURL or Parameters updates the same child stack, as on AWS.
    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var parent = cloudFormation.Find(request.Scope, request.StackName);
        var child = cloudFormation.CreateStack(request.Scope, await ChildRequestAsync(request, parent, request.GeneratedName(128), cancellation), parent);
        var settled = await cloudFormation.SettledAsync(child.StackId, cancellation);
        if (settled.Status == StackStatus.CreateComplete) return Provisioned(settled);
        // The child rolled itself back; like CloudFormation, the parent's rollback leaves no child behind.
        if (settled.Status == StackStatus.RollbackComplete && cloudFormation.DeleteStack(request.Scope, settled.StackId, byParentStack: true) is { } id)
            await cloudFormation.SettledAsync(id, cancellation);
        throw new ResourcePropertyException($"Embedded stack {settled.StackId} was not successfully created: {settled.StatusReason}");
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var parent = cloudFormation.Find(request.Scope, request.StackName);
        var child = await ChildRequestAsync(request, parent, current.PhysicalId, cancellation);
        try
        {
            cloudFormation.UpdateStack(request.Scope, child, usePreviousTemplate: false);
        }
        catch (AwsException e) when (e.Message == CloudFormationService.NoUpdatesMessage)
        {
            // The child's template and parameters are unchanged: its outputs may still be read afresh.
            return Provisioned(cloudFormation.Find(request.Scope, current.PhysicalId));
        }
        var settled = await cloudFormation.SettledAsync(current.PhysicalId, cancellation);
        return settled.Status == StackStatus.UpdateComplete
            ? Provisioned(settled)
            : throw new ResourcePropertyException($"Embedded stack {settled.StackId} was not successfully updated. Currently in {settled.Status} with reason: {settled.StatusReason}");
    }

    public async Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        if (cloudFormation.DeleteStack(request.Scope, current.PhysicalId, byParentStack: true) is not { } id) return;
        var settled = await cloudFormation.SettledAsync(id, cancellation);
        if (settled.Status != StackStatus.DeleteComplete)
            throw new ResourcePropertyException($"Embedded stack {settled.StackId} was not successfully deleted: {settled.StatusReason}");
    }

    /// <summary>
    /// The child stack's request: its template from TemplateURL (its macros and AWS::Include run once, here, under the parent's
    /// acknowledgements), the resource's Parameters and Tags, the parent's acknowledgements.
    /// </summary>
    private async Task<StackRequest> ChildRequestAsync(ResourceRequest request, StackRecord parent, string nameOrId, CancellationToken cancellation)
    {
        var properties = request.Properties;
        var template = cloudFormation.TemplateOf(request.Scope, null, properties.Required("TemplateURL"));
        var parameters = (properties.StringMap("Parameters") ?? []).Select(p => new SuppliedParameter(p.Key, p.Value, false)).ToList();
        var tags = parent.Tags.Concat(properties.Objects("Tags").Select(properties.Nested)
            .Select(t => new StackTag(t.Required("Key"), t.Required("Value")))).ToList();
        var processed = await cloudFormation.Templates.ProcessAsync(request.Scope, template, parameters, parent.Capabilities, cancellation);
        return new StackRequest(nameOrId, processed.Body, parameters, parent.Capabilities, tags, parent.DisableRollback,
            OriginalTemplateBody: processed.OriginalBody);
    }

    private static ProvisionedResource Provisioned(StackRecord child) => new(child.StackId,
        child.Outputs.ToDictionary(o => "Outputs." + o.OutputKey, o => o.OutputValue, StringComparer.Ordinal));
}
