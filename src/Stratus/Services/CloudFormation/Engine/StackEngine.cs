using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.Engine;

/// <summary>A template with the parameter values a stack operation runs with.</summary>
public sealed record StackPlan(Template Template, IReadOnlyDictionary<string, string> Parameters);

/// <summary>
/// Whether an update moves a stack forward (UpdateStack, a change set) or back to its last stable template
/// (RollbackStack, ContinueUpdateRollback): the same resource work under the statuses CloudFormation shows for each.
/// </summary>
/// <param name="Skipped">For ContinueUpdateRollback: resources taken as rolled back without touching them (ResourcesToSkip).</param>
public sealed record UpdateMode(bool IsRollback, IReadOnlySet<string> Skipped)
{
    public static readonly UpdateMode Forward = new(false, new HashSet<string>());

    public static UpdateMode Rollback(IEnumerable<string> skipped) => new(true, skipped.ToHashSet(StringComparer.Ordinal));

    public string Cleanup => IsRollback ? StackStatus.UpdateRollbackCompleteCleanupInProgress : StackStatus.UpdateCompleteCleanupInProgress;
    public string Complete => IsRollback ? StackStatus.UpdateRollbackComplete : StackStatus.UpdateComplete;
}

/// <summary>
/// Runs stack operations in the background, as CloudFormation does: resources created in dependency
/// order (independent ones in parallel), rolled back in reverse order when one fails, updated in place
/// or replaced, and deleted dependents-first. Every step is persisted with its event, so a stack
/// survives a restart in its last state.
/// </summary>
public sealed partial class StackEngine : IDisposable
{
    private const string RollbackRequested = "Rollback requested by user.";
    private const string UpdateCancelled = "Stack update cancelled";

    private readonly StackStore _store;
    private readonly ResourceProviders _providers;
    private readonly CancellationTokenSource _stopping = new();
    // One operation per stack at a time (StackStore.Begin ensures it), so the stack id finds it.
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    // The forward phase of each running update, which CancelUpdateStack cancels.
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _cancellableUpdates = new(StringComparer.Ordinal);

    public StackEngine(StackStore store, ResourceProviders providers, DynamicReferences references, StratusAddress address, ILogger logger)
    {
        _store = store;
        _providers = providers;
        _references = references;
        _address = address;
        _logger = logger;
        ImportIdentifiers = providers.ImportIdentifiers();
    }

    private readonly StratusAddress _address;
    private readonly DynamicReferences _references;
    private readonly ILogger _logger;

    /// <summary>Runs an operation whose starting status is already recorded; anything unexpected fails the stack rather than leaving it in progress.</summary>
    public void Start(string stackId, Func<CancellationToken, Task> operation)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await operation(_stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // Stratus is stopping; the next start marks the interrupted stack failed.
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Stack operation on {StackId} failed", stackId);
                var stack = _store.Stack(stackId);
                _store.SetStatus(stackId, StackStatus.Interrupted(stack.Status), "Internal failure: " + e.Message);
            }
        });
        _running[stackId] = task;
        task.ContinueWith(t => _running.TryRemove(new KeyValuePair<string, Task>(stackId, t)), TaskScheduler.Default);
    }

    /// <summary>Waits until the stack's running operation ends or <paramref name="limit"/> passes, whichever is first.</summary>
    public Task SettleAsync(string stackId, TimeSpan limit) =>
        _running.TryGetValue(stackId, out var task) ? Task.WhenAny(task, Task.Delay(limit)) : Task.CompletedTask;

    // ---- create ----

    public async Task CreateAsync(string stackId, StackPlan plan, CancellationToken cancellation)
    {
        var stack = _store.Stack(stackId);
        var live = new ConcurrentDictionary<string, ProvisionedResource>(StringComparer.Ordinal);
        var imports = new ConcurrentBag<string>();
        var evaluator = Evaluator(stack, plan, live, imports);
        var template = plan.Template;

        string? failure = null;
        try
        {
            var included = Included(template, evaluator);
            var failed = await RunInOrder(included, id => template.Dependencies.DependenciesOf(id), stopOnFailure: true,
                id => CreateResourceAsync(stackId, template.Resources[id], evaluator, live, cancellation));
            if (failed.Count > 0) failure = $"The following resource(s) failed to create: [{string.Join(", ", failed.Order(StringComparer.Ordinal))}]. ";
            else
            {
                var outputs = Outputs(template, evaluator, stack);
                _store.Update(stackId, s => s with { Outputs = outputs, Imports = imports.Distinct().ToList() });
                _store.SetStatus(stackId, StackStatus.CreateComplete, null);
                return;
            }
        }
        catch (AwsException e)
        {
            failure = e.Message.TrimEnd('.') + ". ";
        }

        if (stack.DisableRollback || stack.OnFailure == "DO_NOTHING")
        {
            _store.SetStatus(stackId, StackStatus.CreateFailed, failure.TrimEnd());
            return;
        }
        // OnFailure DELETE removes the stack itself too, going straight to deletion as CloudFormation does.
        var deleting = stack.OnFailure == "DELETE";
        var reason = failure + (deleting ? "Delete requested by user." : RollbackRequested);
        _store.SetStatus(stackId, deleting ? StackStatus.DeleteInProgress : StackStatus.RollbackInProgress, reason);
        await RollBackCreateAsync(stackId, template, deleting, reason, cancellation);
    }

    /// <summary>RollbackStack on a stack whose creation failed with rollback disabled: its resources are deleted, as a failed create's rollback does.</summary>
    public Task RollBackFailedCreateAsync(string stackId, CancellationToken cancellation)
    {
        var stack = _store.Stack(stackId);
        return RollBackCreateAsync(stackId, Template.Parse(stack.TemplateBody), deleting: false, null, cancellation);
    }

    private async Task RollBackCreateAsync(string stackId, Template template, bool deleting, string? reason, CancellationToken cancellation)
    {
        var notDeleted = await DeleteResourcesAsync(stackId, template, rollingBackCreate: true, cancellation);
        if (notDeleted.Count > 0)
        {
            _store.SetStatus(stackId, deleting ? StackStatus.DeleteFailed : StackStatus.RollbackFailed,
                $"The following resource(s) failed to delete: [{string.Join(", ", notDeleted)}]. ");
            return;
        }
        _store.SetStatus(stackId, deleting ? StackStatus.DeleteComplete : StackStatus.RollbackComplete, deleting ? null : reason);
    }

    private async Task<bool> CreateResourceAsync(string stackId, ResourceDefinition definition, TemplateEvaluator evaluator,
        ConcurrentDictionary<string, ProvisionedResource> live, CancellationToken cancellation)
    {
        var record = new StackResourceRecord { LogicalId = definition.LogicalId, Type = definition.Type, Status = StackStatus.CreateInProgress, Timestamp = _store.Now };
        _store.SetResource(stackId, record);
        try
        {
            var provider = Provider(definition.Type);
            var properties = Properties(definition, evaluator);
            var signals = ResourceSignalPolicy.Of(definition, evaluator);
            var created = await provider.CreateAsync(Request(stackId, definition.LogicalId, definition.Type, properties, awaitsSignals: signals is not null),
                cancellation);
            // Made, even if its signals fail it next: a rollback then deletes it.
            record = record with { PhysicalId = created.PhysicalId, Attributes = created.Attributes };
            var json = properties.ToJsonString();
            void Initiated() => _store.AddEvent(_store.Stack(stackId), definition.LogicalId, created.PhysicalId, definition.Type, StackStatus.CreateInProgress,
                "Resource creation Initiated", json);
            if (signals is null) Initiated();
            else await AwaitSignalsAsync(stackId, record, signals, Initiated, cancellation);
            live[definition.LogicalId] = created;
            SetProvisioned(stackId, record, created, json, StackStatus.CreateComplete);
            return true;
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            _store.SetResource(stackId, record with { Status = StackStatus.CreateFailed, StatusReason = "Resource creation cancelled", Timestamp = _store.Now });
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _store.SetResource(stackId, record with { Status = StackStatus.CreateFailed, StatusReason = Reason(e, definition.Type), Timestamp = _store.Now });
            return false;
        }
    }

    /// <summary>Records a resource a stack made or adopted, with the properties it stands for, and its event.</summary>
    private void SetProvisioned(string stackId, StackResourceRecord record, ProvisionedResource resource, string propertiesJson, string status) =>
        _store.SetResource(stackId, record with
        {
            PhysicalId = resource.PhysicalId,
            Attributes = resource.Attributes,
            Properties = propertiesJson,
            Status = status,
            Timestamp = _store.Now,
        }, propertiesJson);

    // ---- update ----

    /// <summary>How to take back one change an update made, should a later one fail.</summary>
    private abstract record Undo(string LogicalId);
    private sealed record UndoCreate(string LogicalId) : Undo(LogicalId);
    private sealed record UndoUpdate(StackResourceRecord Previous, string NewProperties) : Undo(Previous.LogicalId);
    private sealed record UndoReplace(StackResourceRecord Previous, StackResourceRecord Replacement) : Undo(Previous.LogicalId);

    /// <summary>
    /// Cancels the forward phase of the stack's running update (CancelUpdateStack): resources in progress stop,
    /// nothing new starts, and the update rolls back. False when no update is at a point it can be cancelled.
    /// </summary>
    public bool CancelUpdate(string stackId)
    {
        if (!_cancellableUpdates.TryGetValue(stackId, out var update)) return false;
        try
        {
            update.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <param name="policy">The stack policy the update must respect, or null when every action is allowed.</param>
    /// <param name="mode">Forward, or a rollback to <paramref name="plan"/> as the stack's last stable template.</param>
    public async Task UpdateAsync(string stackId, StackPlan plan, StackRecord requested, StackPolicy? policy, UpdateMode mode, CancellationToken cancellation)
    {
        var before = _store.Stack(stackId);
        var oldTemplate = Template.Parse(before.TemplateBody);
        var live = new ConcurrentDictionary<string, ProvisionedResource>(
            before.Resources.Values.Where(r => r.PhysicalId is not null)
                .ToDictionary(r => r.LogicalId, r => new ProvisionedResource(r.PhysicalId!, r.Attributes)), StringComparer.Ordinal);
        var imports = new ConcurrentBag<string>();
        var evaluator = Evaluator(before, plan, live, imports);
        var template = plan.Template;
        var undo = new ConcurrentStack<Undo>();
        var replaced = new ConcurrentBag<StackResourceRecord>();

        string? failure = null;
        IReadOnlyList<StackOutput> outputs = [];
        var included = new List<string>();
        var userCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (!mode.IsRollback) _cancellableUpdates[stackId] = userCancel;
        try
        {
            included = Included(template, evaluator);
            // Removals happen in the cleanup after the update, so the policy is asked about them before anything starts.
            if (policy is not null)
                foreach (var removed in before.Resources.Values.Where(r => !included.Contains(r.LogicalId)))
                    if (policy.Refusal(StackPolicy.Delete, removed.LogicalId, removed.Type) is { } refusal)
                        throw TemplateError.Validation(refusal);
            var failed = await RunInOrder(included, id => template.Dependencies.DependenciesOf(id), stopOnFailure: true,
                id => userCancel.IsCancellationRequested
                    ? Task.FromResult(false)
                    : UpdateResourceAsync(stackId, before, template.Resources[id], evaluator, live, undo, replaced, policy, mode, userCancel.Token));
            if (failed.Count > 0) failure = $"The following resource(s) failed to update: [{string.Join(", ", failed.Order(StringComparer.Ordinal))}]. ";
            else outputs = Outputs(template, evaluator, before);
        }
        catch (AwsException e)
        {
            failure = e.Message.TrimEnd('.') + ". ";
        }
        finally
        {
            _cancellableUpdates.TryRemove(new KeyValuePair<string, CancellationTokenSource>(stackId, userCancel));
        }
        var cancelled = userCancel.IsCancellationRequested && !cancellation.IsCancellationRequested;
        userCancel.Dispose();
        cancellation.ThrowIfCancellationRequested();
        if (cancelled) failure = UpdateCancelled;

        if (failure is null)
        {
            _store.SetStatus(stackId, mode.Cleanup, null);
            var removed = before.Resources.Keys.Except(included).ToList();
            await RunInOrder(removed, id => oldTemplate.Dependencies.DependentsOf(id), stopOnFailure: false,
                async id =>
                {
                    var deleted = await DeleteResourceAsync(stackId, oldTemplate, id, rollingBackCreate: false, cancellation);
                    if (deleted) _store.RemoveResource(stackId, id);
                    return deleted;
                });
            foreach (var old in replaced)
            {
                var replacePolicy = oldTemplate.Resources.GetValueOrDefault(old.LogicalId)?.UpdateReplacePolicy;
                if (replacePolicy != "Retain") await DeletePhysicalAsync(stackId, old, cancellation, replacePolicy);
            }
            _store.Update(stackId, s => Adopt(s, requested, outputs, imports.Distinct().ToList()) with { RollbackTarget = null });
            _store.SetStatus(stackId, mode.Complete, null);
            return;
        }

        if (mode.IsRollback)
        {
            // A rollback that fails stays where it stopped; ContinueUpdateRollback takes it on from there.
            _store.SetStatus(stackId, StackStatus.UpdateRollbackFailed, failure.TrimEnd());
            return;
        }
        if (requested.DisableRollback && !cancelled)
        {
            // Rollback disabled: what succeeded stays, with the template that made it, so the stack can be fixed and updated
            // again, or rolled back on request (RollbackStack) to the last stable stack, kept here.
            var stable = before.RollbackTarget ?? before with { Resources = new Dictionary<string, StackResourceRecord>(), RollbackTarget = null };
            _store.Update(stackId, s => Adopt(s, requested, s.Outputs, s.Imports) with { RollbackTarget = stable });
            _store.SetStatus(stackId, StackStatus.UpdateFailed, failure.TrimEnd());
            return;
        }
        _store.SetStatus(stackId, StackStatus.UpdateRollbackInProgress, failure.TrimEnd());
        var rollbackFailures = new List<string>();
        while (undo.TryPop(out var step))
            if (!await UndoAsync(stackId, oldTemplate, step, cancellation)) rollbackFailures.Add(step.LogicalId);
        foreach (var never in _store.Stack(stackId).Resources.Values.Where(r => !before.Resources.ContainsKey(r.LogicalId) && r.PhysicalId is null).ToList())
        {
            _store.SetResource(stackId, never with { Status = StackStatus.DeleteComplete, StatusReason = null, Timestamp = _store.Now });
            _store.RemoveResource(stackId, never.LogicalId);
        }
        if (rollbackFailures.Count > 0)
        {
            _store.SetStatus(stackId, StackStatus.UpdateRollbackFailed, $"The following resource(s) failed to roll back: [{string.Join(", ", rollbackFailures)}]. ");
            return;
        }
        _store.SetStatus(stackId, StackStatus.UpdateRollbackCompleteCleanupInProgress, null);
        _store.SetStatus(stackId, StackStatus.UpdateRollbackComplete, null);
    }

    /// <summary>The stack takes the template, parameters and outputs an update or import ran with.</summary>
    private StackRecord Adopt(StackRecord stack, StackRecord requested, IReadOnlyList<StackOutput> outputs, IReadOnlyList<string> imports) => stack with
    {
        TemplateBody = requested.TemplateBody,
        OriginalTemplateBody = requested.OriginalTemplateBody,
        Description = requested.Description,
        Parameters = requested.Parameters,
        ResolvedParameters = requested.ResolvedParameters,
        NoEchoParameters = requested.NoEchoParameters,
        Capabilities = requested.Capabilities,
        Tags = requested.Tags,
        Outputs = outputs,
        Imports = imports,
        LastUpdatedTime = _store.Now,
    };

    private async Task<bool> UpdateResourceAsync(string stackId, StackRecord before, ResourceDefinition definition, TemplateEvaluator evaluator,
        ConcurrentDictionary<string, ProvisionedResource> live, ConcurrentStack<Undo> undo, ConcurrentBag<StackResourceRecord> replaced, StackPolicy? policy,
        UpdateMode mode, CancellationToken cancellation)
    {
        if (mode.Skipped.Contains(definition.LogicalId) && before.Resources.TryGetValue(definition.LogicalId, out var skipped))
        {
            // ContinueUpdateRollback's ResourcesToSkip: the resource is taken to stand as the template says, untouched.
            _store.SetResource(stackId, skipped with
            {
                Properties = Properties(definition, evaluator).ToJsonString(),
                Status = StackStatus.UpdateComplete,
                StatusReason = "Resource skipped during rollback.",
                Timestamp = _store.Now,
            });
            return true;
        }
        if (!before.Resources.TryGetValue(definition.LogicalId, out var existing) || existing.PhysicalId is null)
        {
            var created = await CreateResourceAsync(stackId, definition, evaluator, live, cancellation);
            if (created) undo.Push(new UndoCreate(definition.LogicalId));
            return created;
        }
        try
        {
            var provider = Provider(definition.Type);
            var properties = Properties(definition, evaluator);
            var previous = existing.Properties is { } json ? JsonNode.Parse(json) as JsonObject ?? [] : [];
            if (existing.Type == definition.Type && JsonNode.DeepEquals(previous, properties)) return true;
            var propertiesJson = properties.ToJsonString();
            var request = Request(stackId, definition.LogicalId, definition.Type, properties);
            var replace = existing.Type != definition.Type
                || provider.ReplacedOnChangeOf(request).Any(name => !JsonNode.DeepEquals(previous[name], properties[name]));
            if (policy?.Refusal(replace ? StackPolicy.Replace : StackPolicy.Modify, definition.LogicalId, existing.Type) is { } refusal)
                throw TemplateError.Validation(refusal);
            ProvisionedResource result;
            if (replace)
            {
                _store.SetResource(stackId, existing with
                {
                    Status = StackStatus.UpdateInProgress,
                    StatusReason = "Requested update requires the creation of a new physical resource; hence creating one.",
                    Timestamp = _store.Now,
                });
                result = await provider.CreateAsync(request, cancellation);
                replaced.Add(existing);
            }
            else
            {
                _store.SetResource(stackId, existing with { Status = StackStatus.UpdateInProgress, StatusReason = null, Timestamp = _store.Now });
                undo.Push(new UndoUpdate(existing, propertiesJson));
                result = await provider.UpdateAsync(request, new ProvisionedResource(existing.PhysicalId, existing.Attributes),
                    Resolved(stackId, definition.Type, previous), cancellation);
            }
            live[definition.LogicalId] = result;
            var updated = existing with
            {
                Type = definition.Type,
                PhysicalId = result.PhysicalId,
                Attributes = result.Attributes,
                Properties = propertiesJson,
                Status = StackStatus.UpdateComplete,
                StatusReason = null,
                Timestamp = _store.Now,
            };
            if (replace) undo.Push(new UndoReplace(existing, updated));
            _store.SetResource(stackId, updated, propertiesJson);
            return true;
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            _store.SetResource(stackId, existing with { Status = StackStatus.UpdateFailed, StatusReason = "Resource update cancelled", Timestamp = _store.Now });
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _store.SetResource(stackId, existing with { Status = StackStatus.UpdateFailed, StatusReason = Reason(e, definition.Type), Timestamp = _store.Now });
            return false;
        }
    }

    private async Task<bool> UndoAsync(string stackId, Template oldTemplate, Undo step, CancellationToken cancellation)
    {
        switch (step)
        {
            case UndoCreate created:
                var deleted = await DeleteResourceAsync(stackId, oldTemplate, created.LogicalId, rollingBackCreate: true, cancellation);
                if (deleted) _store.RemoveResource(stackId, created.LogicalId);
                return deleted;
            case UndoReplace swap:
                if (!await DeletePhysicalAsync(stackId, swap.Replacement, cancellation)) return false;
                _store.SetResource(stackId, swap.Previous with { Status = StackStatus.UpdateComplete, Timestamp = _store.Now });
                return true;
            case UndoUpdate update:
                var previous = update.Previous;
                _store.SetResource(stackId, previous with { Status = StackStatus.UpdateInProgress, Timestamp = _store.Now });
                try
                {
                    var oldProperties = JsonNode.Parse(previous.Properties ?? "{}") as JsonObject ?? [];
                    var newProperties = JsonNode.Parse(update.NewProperties) as JsonObject ?? [];
                    var restored = await Provider(previous.Type).UpdateAsync(Request(stackId, previous.LogicalId, previous.Type, oldProperties),
                        new ProvisionedResource(previous.PhysicalId!, previous.Attributes), Resolved(stackId, previous.Type, newProperties), cancellation);
                    _store.SetResource(stackId, previous with { Attributes = restored.Attributes, Status = StackStatus.UpdateComplete, Timestamp = _store.Now });
                    return true;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // It keeps the properties it was updated to, so ContinueUpdateRollback tries the change back again.
                    _store.SetResource(stackId, previous with
                    {
                        Properties = update.NewProperties,
                        Status = StackStatus.UpdateFailed,
                        StatusReason = Reason(e, previous.Type),
                        Timestamp = _store.Now,
                    });
                    return false;
                }
            default:
                return true;
        }
    }

    // ---- delete ----

    public async Task DeleteAsync(string stackId, CancellationToken cancellation)
    {
        var stack = _store.Stack(stackId);
        var template = stack.TemplateBody.Length > 0 ? Template.Parse(stack.TemplateBody) : null;
        var notDeleted = template is null ? [] : await DeleteResourcesAsync(stackId, template, rollingBackCreate: false, cancellation);
        if (notDeleted.Count > 0)
        {
            _store.SetStatus(stackId, StackStatus.DeleteFailed, $"The following resource(s) failed to delete: [{string.Join(", ", notDeleted)}]. ");
            return;
        }
        _store.Update(stackId, s => s with { Outputs = [], Imports = [] });
        _store.SetStatus(stackId, StackStatus.DeleteComplete, null);
    }

    private async Task<List<string>> DeleteResourcesAsync(string stackId, Template template, bool rollingBackCreate, CancellationToken cancellation)
    {
        var ids = _store.Stack(stackId).Resources.Values.Where(r => r.Status != StackStatus.DeleteComplete).Select(r => r.LogicalId).ToList();
        return await RunInOrder(ids, id => template.Dependencies.DependentsOf(id), stopOnFailure: false,
            id => DeleteResourceAsync(stackId, template, id, rollingBackCreate, cancellation));
    }

    private async Task<bool> DeleteResourceAsync(string stackId, Template template, string logicalId, bool rollingBackCreate, CancellationToken cancellation)
    {
        var resource = _store.Stack(stackId).Resources[logicalId];
        if (resource.PhysicalId is null)
        {
            _store.SetResource(stackId, resource with { Status = StackStatus.DeleteComplete, StatusReason = null, Timestamp = _store.Now });
            return true;
        }
        var policy = template.Resources.GetValueOrDefault(logicalId)?.DeletionPolicy;
        if (policy == "Retain" || (policy == "RetainExceptOnCreate" && !rollingBackCreate))
        {
            _store.SetResource(stackId, resource with { Status = StackStatus.DeleteSkipped, StatusReason = null, Timestamp = _store.Now });
            return true;
        }
        return await DeletePhysicalAsync(stackId, resource, cancellation, policy);
    }

    /// <param name="policy">The DeletionPolicy (or UpdateReplacePolicy) in force: "Snapshot" asks the provider for a final snapshot.</param>
    private async Task<bool> DeletePhysicalAsync(string stackId, StackResourceRecord resource, CancellationToken cancellation, string? policy = null)
    {
        _store.AddEvent(_store.Stack(stackId), resource.LogicalId, resource.PhysicalId, resource.Type, StackStatus.DeleteInProgress, null, null);
        try
        {
            if (_providers.Find(resource.Type) is { } provider && resource.PhysicalId is not null)
                await provider.DeleteAsync(Request(stackId, resource.LogicalId, resource.Type, JsonNode.Parse(resource.Properties ?? "{}") as JsonObject ?? [], resolve: false, deletionPolicy: policy),
                    new ProvisionedResource(resource.PhysicalId, resource.Attributes), cancellation);
            var current = _store.Stack(stackId).Resources.GetValueOrDefault(resource.LogicalId);
            if (current?.PhysicalId == resource.PhysicalId)
                _store.SetResource(stackId, resource with { Status = StackStatus.DeleteComplete, StatusReason = null, Timestamp = _store.Now });
            else
                _store.AddEvent(_store.Stack(stackId), resource.LogicalId, resource.PhysicalId, resource.Type, StackStatus.DeleteComplete, null, null);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _store.SetResource(stackId, resource with { Status = StackStatus.DeleteFailed, StatusReason = Reason(e, resource.Type), Timestamp = _store.Now });
            return false;
        }
    }

    // ---- shared ----

    /// <summary>
    /// Runs <paramref name="work"/> for each id once its prerequisites (among the ids) are done, in
    /// parallel where nothing orders them. After a failure, nothing new starts when asked to stop; the
    /// running ones finish. Answers the ids whose work failed.
    /// </summary>
    public static async Task<List<string>> RunInOrder(IReadOnlyCollection<string> ids, Func<string, IEnumerable<string>> prerequisites,
        bool stopOnFailure, Func<string, Task<bool>> work)
    {
        var all = ids.ToHashSet(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var started = new HashSet<string>(StringComparer.Ordinal);
        var failed = new List<string>();
        var running = new Dictionary<Task<bool>, string>();
        while (true)
        {
            if (failed.Count == 0 || !stopOnFailure)
            {
                var ready = all.Where(id => !started.Contains(id) && prerequisites(id).Where(all.Contains).All(done.Contains))
                    .Order(StringComparer.Ordinal).ToList();
                foreach (var id in ready)
                {
                    started.Add(id);
                    running[Task.Run(() => work(id))] = id;
                }
            }
            if (running.Count == 0) return failed;
            var finished = await Task.WhenAny(running.Keys);
            var finishedId = running[finished];
            running.Remove(finished);
            if (await finished) done.Add(finishedId);
            else failed.Add(finishedId);
        }
    }

    private TemplateEvaluator Evaluator(StackRecord stack, StackPlan plan, ConcurrentDictionary<string, ProvisionedResource> live, ConcurrentBag<string> imports) =>
        new(plan.Template, plan.Parameters, new PseudoParameters(stack.AccountId, stack.Region, stack.StackName, stack.StackId, _address.UrlSuffix),
            id => live.TryGetValue(id, out var r) ? new ResourceValues(r.PhysicalId, r.Attributes) : null,
            name =>
            {
                imports.Add(name);
                return _store.Exports(stack.AccountId, stack.Region).Where(e => e.Output.ExportName == name).Select(e => e.Output.OutputValue).FirstOrDefault();
            });

    /// <summary>The resources whose Condition holds; all conditions are evaluated first so parallel work only reads them.</summary>
    private static List<string> Included(Template template, TemplateEvaluator evaluator)
    {
        foreach (var (name, _) in template.Conditions) evaluator.Condition(name);
        return template.Resources.Values.Where(r => evaluator.IsIncluded(r.Condition)).Select(r => r.LogicalId).ToList();
    }

    private IReadOnlyList<StackOutput> Outputs(Template template, TemplateEvaluator evaluator, StackRecord stack)
    {
        var outputs = new List<StackOutput>();
        foreach (var output in template.Outputs.Where(o => evaluator.IsIncluded(o.Condition)))
        {
            var value = evaluator.Evaluate(output.Value) is JsonArray list
                ? string.Join(",", list.Select(v => TemplateEvaluator.Stringify(v, "Outputs")))
                : evaluator.EvaluateString(output.Value, "Outputs");
            var exportName = output.ExportName is null ? null : evaluator.EvaluateString(output.ExportName, "Export");
            outputs.Add(new StackOutput(output.Key, value, output.Description, exportName));
        }
        var exported = outputs.Where(o => o.ExportName is not null).Select(o => o.ExportName!).ToList();
        if (exported.Distinct().Count() != exported.Count) throw TemplateError.Validation("Template error: duplicate export names in Outputs");
        var others = _store.Exports(stack.AccountId, stack.Region).Where(e => e.Stack.StackId != stack.StackId).ToList();
        foreach (var name in exported)
            if (others.FirstOrDefault(e => e.Output.ExportName == name) is { Stack: { } owner })
                throw TemplateError.Validation($"Export with name {name} is already exported by stack {owner.StackName}");
        var importers = _store.InScope(stack.AccountId, stack.Region).Where(s => !s.IsDeleted && s.StackId != stack.StackId).ToList();
        foreach (var old in stack.Outputs.Where(o => o.ExportName is not null))
        {
            var importer = importers.FirstOrDefault(s => s.Imports.Contains(old.ExportName!));
            if (importer is not null && !outputs.Any(o => o.ExportName == old.ExportName && o.OutputValue == old.OutputValue))
                throw TemplateError.Validation($"Cannot update export {old.ExportName} as it is in use by {importer.StackName}");
        }
        return outputs;
    }

    private IResourceProvider Provider(string type) =>
        _providers.Find(type) ?? throw new ResourcePropertyException(_providers.Unsupported(type));

    private static JsonObject Properties(ResourceDefinition definition, TemplateEvaluator evaluator) =>
        evaluator.Evaluate(definition.Properties) as JsonObject ?? [];

    /// <summary>
    /// A provider call's request. Given the resource type, its dynamic references are resolved here, in the
    /// copy the provider sees; the stack records the properties as written. Deletes pass none: they need no
    /// values, and a referenced secret may already be gone.
    /// </summary>
    private ResourceRequest Request(string stackId, string logicalId, string type, JsonObject properties, bool resolve = true, string? deletionPolicy = null,
        bool awaitsSignals = false)
    {
        var stack = _store.Stack(stackId);
        if (resolve) properties = Resolved(stackId, type, properties);
        return new ResourceRequest(stack.AccountId, stack.Region, stack.StackName, logicalId, properties)
        {
            StackId = stackId,
            Type = type,
            DeletionPolicy = deletionPolicy,
            AwaitsResourceSignals = awaitsSignals,
        };
    }

    /// <summary>Properties with their dynamic references resolved; an update's previous properties too, so providers compare like with like.</summary>
    private JsonObject Resolved(string stackId, string type, JsonObject properties)
    {
        var stack = _store.Stack(stackId);
        return _references.Resolve(Scope.Of(stack.AccountId, stack.Region), type, properties);
    }

    /// <summary>A resource failure as CloudFormation reports it: the service's message, code and status.</summary>
    private static string Reason(Exception error, string type) => error switch
    {
        AwsException { Code: TemplateError.Code } e => e.Message,
        AwsException e => $"{e.Message} (Service: {ServiceOf(type)}, Status Code: {e.StatusCode}, Error Code: {e.Code})",
        ResourcePropertyException e => e.Message,
        _ => "Internal failure: " + error.Message,
    };

    private static string ServiceOf(string type) => type.Split("::") is [_, var service, ..] ? service : type;

    public void Dispose()
    {
        _stopping.Cancel();
        Task.WaitAll(_running.Values.ToArray(), TimeSpan.FromSeconds(10));
        _stopping.Dispose();
    }
}
