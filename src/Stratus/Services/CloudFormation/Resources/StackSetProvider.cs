using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.StackSets;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// AWS::CloudFormation::StackSet (PermissionModel SELF_MANAGED): the stack set and its StackInstancesGroup instances,
/// made through the same <see cref="StackSetService"/> the API calls, the resource waiting for each operation as
/// CloudFormation does. Ref and Fn::GetAtt StackSetId are the stack set's id.
/// </summary>
public sealed class StackSetProvider(StackSetService stackSets) : IResourceProvider
{
    public string Type => "AWS::CloudFormation::StackSet";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "StackSetName", "PermissionModel" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        RefuseOrganizations(p);
        var stackSet = stackSets.CreateStackSet(request.Scope, SetRequest(request, p));
        try
        {
            await Reconcile(request, stackSet, [], Groups(request.Scope, p), cancellation);
        }
        catch (ResourcePropertyException)
        {
            // A stack set whose instances failed is not kept: the stack's rollback deletes what this created.
            await DeleteEverything(request.Scope, stackSet, Preferences(p), cancellation);
            throw;
        }
        return Provisioned(stackSet);
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        RefuseOrganizations(p);
        var stackSet = stackSets.Find(request.Scope, current.PhysicalId);
        var previous = new ResourceProperties(request.LogicalId, previousProperties);
        var before = Groups(request.Scope, previous);
        var settingsChanged = new[] { "TemplateBody", "TemplateURL", "Parameters", "Capabilities", "Tags", "Description", "AdministrationRoleARN", "ExecutionRoleName" }
            .Any(name => !ResourceProperties.Same(p.Values[name], previous.Values[name]));
        if (settingsChanged)
        {
            var operationId = stackSets.UpdateStackSet(request.Scope, SetRequest(request, p) with { StackSetName = stackSet.StackSetId },
                usePreviousTemplate: false, targets: null, Preferences(p), operationId: null);
            await Wait(stackSet, operationId, cancellation);
        }
        await Reconcile(request, stackSet, before, Groups(request.Scope, p), cancellation);
        return Provisioned(stackSet);
    }

    public async Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        StackSetRecord stackSet;
        try
        {
            stackSet = stackSets.Find(request.Scope, current.PhysicalId);
        }
        catch (AwsException e) when (e.Code == "StackSetNotFoundException")
        {
            return;
        }
        await DeleteEverything(request.Scope, stackSet, Preferences(request.Properties), cancellation);
    }

    private async Task DeleteEverything(Scope scope, StackSetRecord stackSet, OperationPreferences preferences, CancellationToken cancellation)
    {
        var regions = stackSets.InstancesOf(stackSet.StackSetId).Select(i => i.Region).Distinct().ToList();
        if (regions.Count > 0)
            await Wait(stackSet, stackSets.DeleteStackInstances(scope, stackSet.StackSetId,
                new InstanceTargets([scope.AccountId], regions, preferences, null), retainStacks: false), cancellation);
        stackSets.DeleteStackSet(scope, stackSet.StackSetId);
    }

    /// <summary>StackInstancesGroup as it is now against as it was: instances added, removed, or whose overrides changed.</summary>
    private async Task Reconcile(ResourceRequest request, StackSetRecord stackSet, IReadOnlyList<InstanceGroup> before, IReadOnlyList<InstanceGroup> after,
        CancellationToken cancellation)
    {
        var preferences = Preferences(request.Properties);
        var wanted = after.SelectMany(g => g.Regions.Select(r => (Region: r, g.Overrides))).ToList();
        var had = before.SelectMany(g => g.Regions.Select(r => (Region: r, g.Overrides))).ToList();
        var removed = had.Select(h => h.Region).Except(wanted.Select(w => w.Region)).ToList();
        if (removed.Count > 0)
            await Wait(stackSet, stackSets.DeleteStackInstances(request.Scope, stackSet.StackSetId,
                new InstanceTargets([request.Scope.AccountId], removed, preferences, null), retainStacks: false), cancellation);
        var existing = stackSets.InstancesOf(stackSet.StackSetId).Select(i => i.Region).ToHashSet(StringComparer.Ordinal);
        foreach (var group in after)
        {
            var added = group.Regions.Where(r => !existing.Contains(r)).ToList();
            if (added.Count > 0)
                await Wait(stackSet, stackSets.CreateStackInstances(request.Scope, stackSet.StackSetId,
                    new InstanceTargets(group.Accounts, added, preferences, null), group.Overrides), cancellation);
            var changed = group.Regions.Where(r => existing.Contains(r)
                && !had.Any(h => h.Region == r && h.Overrides.SequenceEqual(group.Overrides))).ToList();
            if (changed.Count > 0)
                await Wait(stackSet, stackSets.UpdateStackInstances(request.Scope, stackSet.StackSetId,
                    new InstanceTargets(group.Accounts, changed, preferences, null), group.Overrides), cancellation);
        }
    }

    private async Task Wait(StackSetRecord stackSet, string operationId, CancellationToken cancellation)
    {
        var operation = await stackSets.SettledAsync(stackSet.StackSetId, operationId, cancellation);
        if (operation.Status == StackSetOperationStatus.Succeeded) return;
        var failures = operation.Results.Where(r => r.Status == InstanceStatus.Failed).Select(r => $"{r.Account}/{r.Region}: {r.StatusReason}");
        throw new ResourcePropertyException($"Stack set operation {operationId} ({operation.Action}) ended {operation.Status}: {string.Join("; ", failures)}");
    }

    private sealed record InstanceGroup(IReadOnlyList<string> Accounts, IReadOnlyList<string> Regions, IReadOnlyList<Templates.SuppliedParameter> Overrides);

    private static IReadOnlyList<InstanceGroup> Groups(Scope scope, ResourceProperties p) =>
        p.Objects("StackInstancesGroup").Select(p.Nested).Select(g => new InstanceGroup(
            StackSetInputs.Accounts(g) is { Count: > 0 } accounts ? accounts : [scope.AccountId],
            g.Strings("Regions"),
            StackSetInputs.Parameters(g.Objects("ParameterOverrides").Select(p.Nested).ToList()))).ToList();

    private static OperationPreferences Preferences(ResourceProperties p) =>
        StackSetInputs.Preferences(p.Object("OperationPreferences"));

    private static void RefuseOrganizations(ResourceProperties p)
    {
        try
        {
            StackSetService.RefuseOrganizations(p.Required("PermissionModel"), p.Object("AutoDeployment")?.Bool("Enabled") == true, p.String("CallAs"));
        }
        catch (AwsException e)
        {
            throw new ResourcePropertyException(e.Message);
        }
    }

    private StackSetRequest SetRequest(ResourceRequest request, ResourceProperties p) => new(
        p.Required("StackSetName"),
        p.String("Description"),
        stackSets.TemplateOf(request.Scope, p.String("TemplateBody"), p.String("TemplateURL")),
        StackSetInputs.Parameters(p.Objects("Parameters").Select(p.Nested).ToList()),
        p.Strings("Capabilities"),
        p.Objects("Tags").Select(p.Nested).Select(t => new StackTag(t.Required("Key"), t.Required("Value"))).ToList(),
        p.String("AdministrationRoleARN"),
        p.String("ExecutionRoleName"));

    private static ProvisionedResource Provisioned(StackSetRecord stackSet) =>
        new(stackSet.StackSetId, new Dictionary<string, string> { ["StackSetId"] = stackSet.StackSetId });
}
