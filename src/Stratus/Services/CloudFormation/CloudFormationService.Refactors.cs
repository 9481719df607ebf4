using Stratus.Protocols;
using Stratus.Services.CloudFormation.StackRefactors;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// Stack refactoring: resources move between stacks (or to new logical ids) by moving their records, never touching the
/// resources themselves (no delete, no create: their physical ids stay), as CloudFormation's stack refactors do.
/// </summary>
public sealed partial class CloudFormationService
{
    /// <summary>At most five stacks take part in one refactor, as CloudFormation documents.</summary>
    public const int MaxRefactorStacks = 5;

    /// <summary>
    /// CreateStackRefactor: checks the request, then plans the refactor's actions from the templates (and ResourceMappings)
    /// within the call. A refactor that cannot be done is recorded CREATE_FAILED with the reason, as CloudFormation reports it.
    /// </summary>
    public StackRefactorRecord CreateStackRefactor(Scope scope, string? description, bool enableStackCreation,
        IReadOnlyList<StackDefinition> definitions, IReadOnlyList<ResourceMapping> mappings)
    {
        if (definitions.Count is 0 or > MaxRefactorStacks)
            throw TemplateError.Validation($"StackDefinitions must name between 1 and {MaxRefactorStacks} stacks.");
        if (definitions.GroupBy(d => d.StackName).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw TemplateError.Validation($"Stack {twice.Key} is named more than once in StackDefinitions.");
        var subjects = new List<RefactorSubject>();
        foreach (var definition in definitions)
        {
            CheckStackName(definition.StackName);
            var current = TryFind(scope, definition.StackName);
            if (current is null && !enableStackCreation)
                throw TemplateError.Validation($"Stack with id {definition.StackName} does not exist (set EnableStackCreation to create it with the refactor)");
            subjects.Add(new RefactorSubject(definition.StackName, ParseTemplate(definition.TemplateBody), current));
        }

        var record = new StackRefactorRecord
        {
            StackRefactorId = Guid.NewGuid().ToString(),
            AccountId = scope.AccountId,
            Region = scope.Region,
            Description = description,
            CreationTime = _store.Now,
            Status = StackRefactorStatus.CreateComplete,
            ExecutionStatus = StackRefactorStatus.Available,
            Stacks = subjects.Select(s => new RefactorStack(s.StackName, s.Current?.StackId ?? NewStackId(scope, s.StackName),
                s.Target.Body, s.Current?.TemplateBody)).ToList(),
        };
        try
        {
            foreach (var subject in subjects.Where(s => s.Current is not null)) CheckRefactorable(subject.Current!);
            var moves = StackRefactorPlanner.Plan(subjects, mappings);
            CheckExportsKept(scope, subjects);
            record = record with
            {
                Actions =
                [
                    .. subjects.Where(s => s.Current is null).Select(s => new StackRefactorAction(StackRefactorAction.Create, "STACK", null, null, null, null,
                        $"Stack {s.StackName} is created by the refactor")),
                    .. moves.Select(m => new StackRefactorAction(StackRefactorAction.Move, "RESOURCE", m.PhysicalResourceId, m.ResourceType, m.Detection,
                        new ResourceMapping(m.Source, m.Destination), null)),
                ],
            };
        }
        catch (StackRefactorRefusal refusal)
        {
            record = record with
            {
                Status = StackRefactorStatus.CreateFailed,
                StatusReason = refusal.Message,
                ExecutionStatus = StackRefactorStatus.Unavailable,
            };
        }
        _store.Refactors.Put(record.StackRefactorId, record);
        return record;
    }

    /// <summary>A stack takes part in a refactor only while settled and updatable, and without a stack policy, whatever it allows (as AWS documents).</summary>
    private static void CheckRefactorable(StackRecord stack)
    {
        if (!StackStatus.IsUpdatable(stack.Status))
            throw new StackRefactorRefusal($"Stack {stack.StackName} is in {stack.Status} state and cannot be refactored.");
        if (stack.StackPolicyBody is not null)
            throw new StackRefactorRefusal($"Stack {stack.StackName} has a stack policy: stack refactoring does not support stacks with a stack policy.");
    }

    /// <summary>An output a refactor drops cannot be an export another stack imports, as for DeleteStack.</summary>
    private void CheckExportsKept(Scope scope, IReadOnlyList<RefactorSubject> subjects)
    {
        foreach (var subject in subjects.Where(s => s.Current is not null))
        {
            var kept = subject.Target.Outputs.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var dropped in subject.Current!.Outputs.Where(o => o.ExportName is not null && !kept.Contains(o.OutputKey)))
                if (_store.InScope(scope.AccountId, scope.Region).FirstOrDefault(s => !s.IsDeleted && s.Imports.Contains(dropped.ExportName!)) is { } importer)
                    throw new StackRefactorRefusal($"Export {dropped.ExportName} cannot be deleted as it is in use by {importer.StackName}");
        }
    }

    public StackRefactorRecord StackRefactor(Scope scope, string id) =>
        _store.Refactors.Get(id) is { } refactor && refactor.AccountId == scope.AccountId && refactor.Region == scope.Region
            ? refactor
            : throw CloudFormationErrors.StackRefactorNotFound(id);

    /// <summary>ListStackRefactors: the account's and Region's refactors, newest first, those with the given execution statuses when any are given.</summary>
    public IReadOnlyList<StackRefactorRecord> StackRefactors(Scope scope, IReadOnlyCollection<string> executionStatuses) =>
        _store.Refactors.Values
            .Where(r => r.AccountId == scope.AccountId && r.Region == scope.Region && (executionStatuses.Count == 0 || executionStatuses.Contains(r.ExecutionStatus)))
            .OrderByDescending(r => r.CreationTime).ThenBy(r => r.StackRefactorId, StringComparer.Ordinal).ToList();

    /// <summary>
    /// ExecuteStackRefactor: each existing stack goes through an update (UPDATE_IN_PROGRESS, UPDATE_COMPLETE) and each new one
    /// is created (CREATE_IN_PROGRESS, CREATE_COMPLETE); every moved resource's record leaves its stack (an event DELETE_SKIPPED:
    /// the resource is left in place, not deleted) and joins its destination (IMPORT_COMPLETE: adopted as it is), and every
    /// stack takes its new template. Nothing is asked of the resources' services, so the refactor completes within the call.
    /// </summary>
    public StackRefactorRecord ExecuteStackRefactor(Scope scope, string id)
    {
        lock (_naming)
        {
            var refactor = StackRefactor(scope, id);
            if (refactor.ExecutionStatus != StackRefactorStatus.Available)
                throw CloudFormationErrors.StackRefactorNotExecutable(id, refactor.ExecutionStatus);
            if (ObsoleteReason(scope, refactor) is { } obsolete)
            {
                _store.Refactors.Put(id, refactor with { ExecutionStatus = StackRefactorStatus.Obsolete, ExecutionStatusReason = obsolete });
                throw CloudFormationErrors.StackRefactorObsolete(id, obsolete);
            }
            var created = refactor.Stacks.Count(s => s.IsNew);
            if (created > 0 && _store.InScope(scope.AccountId, scope.Region).Count(s => !s.IsDeleted) + created > StackLimit)
                throw CloudFormationErrors.StackLimitExceeded();

            refactor = refactor with { ExecutionStatus = StackRefactorStatus.ExecuteInProgress };
            _store.Refactors.Put(id, refactor);
            var begun = new List<RefactorStack>();
            try
            {
                foreach (var stack in refactor.Stacks)
                {
                    BeginRefactor(scope, stack);
                    begun.Add(stack);
                }
            }
            catch (AwsException e)
            {
                // Another operation took a stack between the checks and the start: those begun end as they were.
                foreach (var stack in begun)
                    _store.SetStatus(stack.StackId, stack.IsNew ? StackStatus.CreateFailed : StackStatus.UpdateComplete, $"Stack refactor {id} did not run: {e.Message}");
                _store.Refactors.Put(id, refactor with { ExecutionStatus = StackRefactorStatus.ExecuteFailed, ExecutionStatusReason = e.Message });
                throw;
            }
            MoveResources(refactor);
            var now = _store.Now;
            foreach (var stack in refactor.Stacks)
            {
                var template = Template.Parse(stack.TemplateBody);
                var kept = template.Outputs.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
                _store.Update(stack.StackId, s => s with
                {
                    TemplateBody = stack.TemplateBody,
                    Description = template.Description,
                    Outputs = s.Outputs.Where(o => kept.Contains(o.OutputKey)).ToList(),
                    LastUpdatedTime = stack.IsNew ? s.LastUpdatedTime : now,
                });
                _store.SetStatus(stack.StackId, stack.IsNew ? StackStatus.CreateComplete : StackStatus.UpdateComplete, null);
            }
            refactor = refactor with { ExecutionStatus = StackRefactorStatus.ExecuteComplete };
            _store.Refactors.Put(id, refactor);
            return refactor;
        }
    }

    /// <summary>Why a refactor can no longer run as planned: a stack changed, left, or (for a new one) was created since.</summary>
    private string? ObsoleteReason(Scope scope, StackRefactorRecord refactor)
    {
        foreach (var stack in refactor.Stacks)
        {
            var current = TryFind(scope, stack.StackName);
            if (stack.IsNew && current is not null) return $"stack {stack.StackName} was created since the refactor was";
            if (!stack.IsNew && (current is null || current.StackId != stack.StackId || current.TemplateBody != stack.TemplateBefore))
                return $"stack {stack.StackName} changed since the refactor was created";
            if (current is not null && (!StackStatus.IsUpdatable(current.Status) || current.StackPolicyBody is not null))
                return $"stack {stack.StackName} is in {current.Status} state or has a stack policy now";
        }
        return null;
    }

    private void BeginRefactor(Scope scope, RefactorStack stack)
    {
        if (!stack.IsNew)
        {
            _store.Begin(stack.StackId, s => StackStatus.IsUpdatable(s.Status), NotUpdatable, StackStatus.UpdateInProgress,
                s => s.Begun(StackOperationType.UpdateStack));
            return;
        }
        var record = new StackRecord
        {
            StackId = stack.StackId,
            StackName = stack.StackName,
            AccountId = scope.AccountId,
            Region = scope.Region,
            Status = StackStatus.CreateInProgress,
            StatusReason = "User Initiated",
            CreationTime = _store.Now,
        }.Begun(StackOperationType.CreateStack);
        _store.Stacks.Put(record.StackId, record);
        _store.AddEvent(record, record.StackName, record.StackId, StackStore.StackType, StackStatus.CreateInProgress, "User Initiated", null);
    }

    /// <summary>
    /// Every moved record is taken from its stack before any is placed, so resources that trade places (or logical ids)
    /// do not overwrite one another.
    /// </summary>
    private void MoveResources(StackRefactorRecord refactor)
    {
        var stackIds = refactor.Stacks.ToDictionary(s => s.StackName, s => s.StackId, StringComparer.Ordinal);
        var moves = refactor.Actions.Where(a => a.Action == StackRefactorAction.Move && a.Mapping is not null)
            .Select(a => (a.Mapping!.Source, a.Mapping.Destination, Record: _store.Stack(stackIds[a.Mapping.Source.StackName]).Resources
                .GetValueOrDefault(a.Mapping.Source.LogicalResourceId)))
            .ToList();
        foreach (var (source, destination, record) in moves)
        {
            var stackId = stackIds[source.StackName];
            _store.RemoveResource(stackId, source.LogicalResourceId);
            if (record is not null)
                _store.AddEvent(_store.Stack(stackId), source.LogicalResourceId, record.PhysicalId, record.Type, StackStatus.DeleteSkipped,
                    $"Moved to {destination} by stack refactor {refactor.StackRefactorId}", null);
        }
        foreach (var (source, destination, record) in moves.Where(m => m.Record is not null))
            _store.SetResource(stackIds[destination.StackName], record! with
            {
                LogicalId = destination.LogicalResourceId,
                Status = StackStatus.ImportComplete,
                StatusReason = $"Moved from {source} by stack refactor {refactor.StackRefactorId}",
                Timestamp = _store.Now,
                Drift = null,
            });
    }
}
