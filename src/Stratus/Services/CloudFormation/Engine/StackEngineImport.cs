using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.Engine;

/// <summary>Resource import: an executed IMPORT change set adopts existing resources into the stack, as CloudFormation does.</summary>
public sealed partial class StackEngine
{
    /// <summary>Every resource type Stratus provisions (one provider each), for ListTypes.</summary>
    public IEnumerable<string> ProvidedTypes => _providers.All.Select(p => p.Type);

    /// <summary>The types that can be imported and the property that identifies each (GetTemplateSummary's ResourceIdentifierSummaries).</summary>
    public IReadOnlyDictionary<string, string> ImportIdentifiers { get; }

    /// <summary>The existing resource an import names, looked up through its type's provider; null when there is none.</summary>
    public ProvisionedResource? FindExisting(Scope scope, ResourceToImport import) =>
        (_providers.Find(import.ResourceType) as IResourceImporter)?.FindExisting(scope, import.ResourceIdentifier.Values.Single());

    /// <summary>
    /// Adopts each resource to import (IMPORT_IN_PROGRESS, IMPORT_COMPLETE), in dependency order, then the stack takes the
    /// change set's template (IMPORT_COMPLETE). When one cannot be imported, the ones adopted are released untouched and the
    /// stack returns to what it was (IMPORT_ROLLBACK_IN_PROGRESS, IMPORT_ROLLBACK_COMPLETE): they were never the stack's to delete.
    /// </summary>
    public async Task ImportAsync(string stackId, StackPlan plan, StackRecord requested, IReadOnlyList<ResourceToImport> resources, CancellationToken cancellation)
    {
        var before = _store.Stack(stackId);
        var live = new ConcurrentDictionary<string, ProvisionedResource>(
            before.Resources.Values.Where(r => r.PhysicalId is not null)
                .ToDictionary(r => r.LogicalId, r => new ProvisionedResource(r.PhysicalId!, r.Attributes)), StringComparer.Ordinal);
        var imports = new ConcurrentBag<string>();
        var evaluator = Evaluator(before, plan, live, imports);
        var template = plan.Template;
        var byId = resources.ToDictionary(r => r.LogicalResourceId, StringComparer.Ordinal);

        string? failure = null;
        IReadOnlyList<StackOutput> outputs = [];
        try
        {
            Included(template, evaluator);
            var failed = await RunInOrder(byId.Keys, id => template.Dependencies.DependenciesOf(id), stopOnFailure: true,
                id => Task.FromResult(ImportResource(stackId, template.Resources[id], byId[id], evaluator, live, cancellation)));
            if (failed.Count > 0) failure = $"The following resource(s) failed to import: [{string.Join(", ", failed.Order(StringComparer.Ordinal))}]. ";
            else outputs = Outputs(template, evaluator, before);
        }
        catch (AwsException e)
        {
            failure = e.Message.TrimEnd('.') + ". ";
        }
        cancellation.ThrowIfCancellationRequested();
        if (failure is null)
        {
            _store.Update(stackId, s => Adopt(s, requested, outputs, imports.Distinct().ToList()));
            _store.SetStatus(stackId, StackStatus.ImportComplete, null);
            return;
        }
        _store.SetStatus(stackId, StackStatus.ImportRollbackInProgress, failure.TrimEnd());
        foreach (var adopted in _store.Stack(stackId).Resources.Values.Where(r => byId.ContainsKey(r.LogicalId) && !before.Resources.ContainsKey(r.LogicalId)).ToList())
        {
            _store.SetResource(stackId, adopted with { Status = StackStatus.ImportRollbackComplete, StatusReason = null, Timestamp = _store.Now });
            _store.RemoveResource(stackId, adopted.LogicalId);
        }
        _store.SetStatus(stackId, StackStatus.ImportRollbackComplete, null);
    }

    private bool ImportResource(string stackId, ResourceDefinition definition, ResourceToImport import, TemplateEvaluator evaluator,
        ConcurrentDictionary<string, ProvisionedResource> live, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var record = new StackResourceRecord { LogicalId = definition.LogicalId, Type = definition.Type, Status = StackStatus.ImportInProgress, Timestamp = _store.Now };
        _store.SetResource(stackId, record);
        try
        {
            var stack = _store.Stack(stackId);
            var (property, identifier) = import.ResourceIdentifier.Single();
            var properties = Properties(definition, evaluator);
            // The template describes the resource it adopts: an identifier property it sets must name that resource.
            if (properties[property] is JsonValue named && named.GetValueKind() == JsonValueKind.String && named.GetValue<string>() != identifier)
                throw new ResourcePropertyException(
                    $"The template's {property} {named.GetValue<string>()} does not match the ResourceIdentifier {import.Printed} of the resource to import.");
            var found = (Provider(definition.Type) as IResourceImporter)?.FindExisting(Scope.Of(stack.AccountId, stack.Region), identifier)
                ?? throw new ResourcePropertyException($"Resource {import.Printed} of type {definition.Type} does not exist.");
            // Checked again here: another import may have adopted it since the change set was made.
            if (_store.Owns(stack.AccountId, stack.Region, definition.Type, found.PhysicalId, (stackId, definition.LogicalId)))
                throw new ResourcePropertyException($"Resource {import.Printed} of type {definition.Type} already belongs to a stack.");
            live[definition.LogicalId] = found;
            SetProvisioned(stackId, record, found, properties.ToJsonString(), StackStatus.ImportComplete);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _store.SetResource(stackId, record with { Status = StackStatus.ImportFailed, StatusReason = Reason(e, definition.Type), Timestamp = _store.Now });
            return false;
        }
    }
}
