using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.StackSets;

/// <summary>
/// CloudFormation stack sets with the SELF_MANAGED permission model, in Stratus's one account across the Regions it
/// serves. Each stack instance is a real stack (StackSet-{name}-{uuid}) made in its Region by the same
/// <see cref="CloudFormationService"/> CreateStack uses. Operations are checked and recorded when called and run in
/// the background, one at a time per stack set, Region by Region as their preferences say.
/// </summary>
public sealed partial class StackSetService : IDisposable
{
    public const string DefaultAdministrationRoleName = "AWSCloudFormationStackSetAdministrationRole";
    public const string DefaultExecutionRoleName = "AWSCloudFormationStackSetExecutionRole";

    private readonly CloudFormationService _cfn;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ResourceTable<StackSetRecord> _stackSets;
    private readonly ResourceTable<StackInstanceRecord> _instances;
    private readonly ResourceTable<StackSetOperationRecord> _operations;
    // Held while an operation or a stack set's name is claimed, so two concurrent calls cannot both start.
    private readonly Lock _starting = new();
    private readonly ConcurrentDictionary<string, RunningOperation> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    private sealed record RunningOperation(Task Task, CancellationTokenSource Stop);

    public StackSetService(StateStore store, TimeProvider clock, CloudFormationService cfn, ILogger logger)
    {
        _cfn = cfn;
        _clock = clock;
        _logger = logger;
        _stackSets = new ResourceTable<StackSetRecord>(store, "cloudformation.stacksets");
        _instances = new ResourceTable<StackInstanceRecord>(store, "cloudformation.stackset-instances");
        _operations = new ResourceTable<StackSetOperationRecord>(store, "cloudformation.stackset-operations");
        MarkInterruptedOperations();
    }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Operations a stop cut short are failed on start, and their unfinished instances left OUTDATED, so the stack set can be operated on again.</summary>
    private void MarkInterruptedOperations()
    {
        foreach (var operation in _operations.Values.Where(o => StackSetOperationStatus.IsActive(o.Status)).ToList())
        {
            _operations.Put(OperationKey(operation.StackSetId, operation.OperationId), operation with
            {
                Status = StackSetOperationStatus.Failed,
                StatusReason = "Stratus stopped while this operation was in progress.",
                EndTimestamp = Now,
                Results = operation.Results.Select(r => r.Status is InstanceStatus.Pending or InstanceStatus.Running
                    ? r with { Status = InstanceStatus.Cancelled, StatusReason = "Stratus stopped while this operation was in progress." }
                    : r).ToList(),
            });
            foreach (var instance in _instances.Values.Where(i => i.LastOperationId == operation.OperationId
                         && i.DetailedStatus is InstanceStatus.Pending or InstanceStatus.Running).ToList())
                _instances.Put(InstanceKey(instance.StackSetId, instance.Account, instance.Region),
                    instance with { Status = InstanceStatus.Outdated, DetailedStatus = InstanceStatus.Cancelled, StatusReason = "Stratus stopped while this operation was in progress." });
        }
    }

    // ---- stack sets ----

    /// <summary>The template a stack set is given: its TemplateBody, or the object its TemplateURL names in Stratus's S3, as CreateStack reads it.</summary>
    public string TemplateOf(Scope scope, string? body, string? url) => _cfn.TemplateOf(scope, body, url);

    [GeneratedRegex("^[a-zA-Z][-a-zA-Z0-9]*$")]
    private static partial Regex StackSetNamePattern();

    private static readonly ValidationStyle Errors = new(TemplateError.Code);

    /// <summary>PermissionModel SERVICE_MANAGED, AutoDeployment and CallAs DELEGATED_ADMIN all need AWS Organizations.</summary>
    public static void RefuseOrganizations(string? permissionModel, bool autoDeployment, string? callAs)
    {
        if (permissionModel == "SERVICE_MANAGED") throw CloudFormationErrors.NeedsOrganizations("PermissionModel SERVICE_MANAGED");
        if (autoDeployment) throw CloudFormationErrors.NeedsOrganizations("AutoDeployment");
        if (callAs == "DELEGATED_ADMIN") throw CloudFormationErrors.NeedsOrganizations("CallAs DELEGATED_ADMIN");
    }

    public StackSetRecord CreateStackSet(Scope scope, StackSetRequest request)
    {
        if (request.StackSetName.Length > 128 || !StackSetNamePattern().IsMatch(request.StackSetName))
            throw Errors.Constraint("StackSetName", request.StackSetName, "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*");
        var template = CloudFormationService.ParseTemplate(request.TemplateBody);
        var capabilities = request.Capabilities ?? [];
        TemplateCapabilities.Check(template, capabilities);
        var parameters = CheckParameters(template, request.Parameters ?? [], new Dictionary<string, string>());
        var guid = Guid.NewGuid().ToString();
        var stackSet = new StackSetRecord
        {
            StackSetId = $"{request.StackSetName}:{guid}",
            StackSetName = request.StackSetName,
            AccountId = scope.AccountId,
            Region = scope.Region,
            Arn = $"arn:aws:cloudformation:{scope.Region}:{scope.AccountId}:stackset/{request.StackSetName}:{guid}",
            Status = StackSetStatus.Active,
            Description = request.Description ?? template.Description,
            TemplateBody = request.TemplateBody!,
            Parameters = parameters,
            Capabilities = capabilities,
            Tags = request.Tags ?? [],
            AdministrationRoleArn = request.AdministrationRoleArn ?? $"arn:aws:iam::{scope.AccountId}:role/{DefaultAdministrationRoleName}",
            ExecutionRoleName = request.ExecutionRoleName ?? DefaultExecutionRoleName,
            ClientRequestToken = request.ClientRequestToken,
            CreationTime = Now,
        };
        lock (_starting)
        {
            if (TryFindActive(scope, request.StackSetName) is { } existing)
                // The same ClientRequestToken again is a retry of the create that made it, answered as that was.
                return request.ClientRequestToken is not null && existing.ClientRequestToken == request.ClientRequestToken
                    ? existing
                    : throw CloudFormationErrors.StackSetExists(request.StackSetName);
            _stackSets.Put(SetKey(stackSet), stackSet);
        }
        return stackSet;
    }

    /// <summary>The stack set's parameter values: each key must be declared by the template; UsePreviousValue keeps the previous value.</summary>
    private static Dictionary<string, string> CheckParameters(Template template, IReadOnlyList<SuppliedParameter> supplied, IReadOnlyDictionary<string, string> previous)
    {
        var declared = template.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = supplied.Select(p => p.Key).Where(k => !declared.Contains(k)).ToList();
        if (unknown.Count > 0) throw TemplateError.Validation($"Parameters: [{string.Join(", ", unknown)}] do not exist in the template");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in supplied)
        {
            if (parameter.UsePreviousValue)
            {
                if (!previous.TryGetValue(parameter.Key, out var old))
                    throw TemplateError.Validation($"Invalid input for parameter key {parameter.Key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template");
                values[parameter.Key] = old;
            }
            else values[parameter.Key] = parameter.Value ?? "";
        }
        return values;
    }

    /// <summary>A stack set by name (the active one) or by id (name:uuid, deleted ones too), in the caller's account and Region.</summary>
    public StackSetRecord Find(Scope scope, string nameOrId) =>
        (nameOrId.Contains(':', StringComparison.Ordinal)
            ? _stackSets.Values.FirstOrDefault(s => s.AccountId == scope.AccountId && s.Region == scope.Region && (s.StackSetId == nameOrId || s.Arn == nameOrId))
            : TryFindActive(scope, nameOrId))
        ?? throw CloudFormationErrors.StackSetNotFound(nameOrId);

    private StackSetRecord FindActive(Scope scope, string nameOrId) =>
        Find(scope, nameOrId) is { Status: StackSetStatus.Active } stackSet ? stackSet : throw CloudFormationErrors.StackSetNotFound(nameOrId);

    private StackSetRecord? TryFindActive(Scope scope, string name) =>
        _stackSets.Values.FirstOrDefault(s => s.AccountId == scope.AccountId && s.Region == scope.Region && s.StackSetName == name && s.Status == StackSetStatus.Active);

    public IReadOnlyList<StackSetRecord> ListStackSets(Scope scope, string? status) =>
        _stackSets.Values.Where(s => s.AccountId == scope.AccountId && s.Region == scope.Region && (status is null || s.Status == status))
            .OrderBy(s => s.CreationTime).ThenBy(s => s.StackSetName, StringComparer.Ordinal).ToList();

    /// <summary>
    /// UpdateStackSet: the stack set takes its new template, parameters and settings at once; an UPDATE operation then
    /// rolls them to its instances (those in the given accounts and Regions, or all), and the others are left OUTDATED.
    /// </summary>
    public string UpdateStackSet(Scope scope, StackSetRequest request, bool usePreviousTemplate, InstanceTargets? targets, OperationPreferences preferences, string? operationId)
    {
        var stackSet = FindActive(scope, request.StackSetName);
        var body = usePreviousTemplate ? stackSet.TemplateBody : request.TemplateBody;
        var template = CloudFormationService.ParseTemplate(body);
        var capabilities = request.Capabilities ?? stackSet.Capabilities;
        TemplateCapabilities.Check(template, capabilities);
        var parameters = request.Parameters is null ? stackSet.Parameters : CheckParameters(template, request.Parameters, stackSet.Parameters);
        var updated = stackSet with
        {
            TemplateBody = body!,
            Description = request.Description ?? stackSet.Description,
            Parameters = parameters,
            Capabilities = capabilities,
            Tags = request.Tags ?? stackSet.Tags,
            AdministrationRoleArn = request.AdministrationRoleArn ?? stackSet.AdministrationRoleArn,
            ExecutionRoleName = request.ExecutionRoleName ?? stackSet.ExecutionRoleName,
        };
        var instances = InstancesOf(stackSet.StackSetId);
        if (targets is not null)
        {
            CheckTargets(scope, targets);
            foreach (var region in targets.Regions)
                if (!instances.Any(i => i.Region == region && targets.Accounts.Contains(i.Account)))
                    throw CloudFormationErrors.StackInstanceNotFound(stackSet.StackSetName, targets.Accounts[0], region);
            instances = instances.Where(i => targets.Regions.Contains(i.Region) && targets.Accounts.Contains(i.Account)).ToList();
        }
        else CheckPreferences(preferences);
        var covered = instances.Select(i => (i.Account, i.Region)).ToList();
        return StartOperation(scope, stackSet, "UPDATE", covered, preferences, operationId, retainStacks: null, marksInstances: true,
            beforeStart: () =>
            {
                _stackSets.Put(SetKey(updated), updated);
                // Instances the update does not reach no longer match the stack set.
                foreach (var other in InstancesOf(stackSet.StackSetId).Where(i => !covered.Contains((i.Account, i.Region))))
                    _instances.Put(InstanceKey(other), other with { Status = InstanceStatus.Outdated });
            });
    }

    /// <summary>DeleteStackSet: only an empty stack set, and not while an operation runs; it stays listed as DELETED, as on AWS.</summary>
    public void DeleteStackSet(Scope scope, string nameOrId)
    {
        lock (_starting)
        {
            var stackSet = Find(scope, nameOrId);
            if (stackSet.Status == StackSetStatus.Deleted) return;
            if (ActiveOperation(stackSet.StackSetId) is { } running)
                throw CloudFormationErrors.StackSetOperationInProgress(stackSet.Arn, running.OperationId);
            if (InstancesOf(stackSet.StackSetId).Count > 0) throw CloudFormationErrors.StackSetNotEmpty(stackSet.StackSetName);
            _stackSets.Put(SetKey(stackSet), stackSet with { Status = StackSetStatus.Deleted });
        }
    }

    // ---- stack instances ----

    public IReadOnlyList<StackInstanceRecord> InstancesOf(string stackSetId) =>
        _instances.Values.Where(i => i.StackSetId == stackSetId).OrderBy(i => i.Region, StringComparer.Ordinal).ThenBy(i => i.Account, StringComparer.Ordinal).ToList();

    public StackInstanceRecord FindInstance(Scope scope, string stackSetName, string account, string region)
    {
        var stackSet = Find(scope, stackSetName);
        return _instances.Get(InstanceKey(stackSet.StackSetId, account, region))
            ?? throw CloudFormationErrors.StackInstanceNotFound(stackSet.StackSetName, account, region);
    }

    /// <summary>Only the caller's own account and Regions Stratus serves; preferences as CloudFormation checks them.</summary>
    private static void CheckTargets(Scope scope, InstanceTargets targets)
    {
        if (targets.Accounts.Count == 0)
            throw TemplateError.Validation("Either Accounts or DeploymentTargets.Accounts must be specified: Stratus deploys stack instances to the caller's own account");
        foreach (var account in targets.Accounts.Where(a => a != scope.AccountId))
            throw CloudFormationErrors.OtherAccount(account, scope.AccountId);
        if (targets.Regions.Count == 0) throw TemplateError.Validation("Regions must contain at least one Region");
        foreach (var region in targets.Regions.Where(r => !Regions.IsKnown(r)))
            throw CloudFormationErrors.RegionNotServed(region);
        CheckPreferences(targets.Preferences);
    }

    private static void CheckPreferences(OperationPreferences preferences)
    {
        if (preferences.FailureToleranceCount is not null && preferences.FailureTolerancePercentage is not null)
            throw TemplateError.Validation("You can specify either FailureToleranceCount or FailureTolerancePercentage, but not both");
        if (preferences.MaxConcurrentCount is not null && preferences.MaxConcurrentPercentage is not null)
            throw TemplateError.Validation("You can specify either MaxConcurrentCount or MaxConcurrentPercentage, but not both");
        foreach (var region in preferences.RegionOrder.Where(r => !Regions.IsKnown(r)))
            throw CloudFormationErrors.RegionNotServed(region);
    }

    /// <summary>CreateStackInstances: a stack in each Region (an instance that exists already is brought up to date), with the overrides given.</summary>
    public string CreateStackInstances(Scope scope, string stackSetName, InstanceTargets targets, IReadOnlyList<SuppliedParameter> overrides)
    {
        var stackSet = FindActive(scope, stackSetName);
        CheckTargets(scope, targets);
        var template = CloudFormationService.ParseTemplate(stackSet.TemplateBody);
        var overrideValues = CheckParameters(template, overrides, stackSet.Parameters);
        var covered = targets.Accounts.SelectMany(a => targets.Regions.Select(r => (a, r))).ToList();
        return StartOperation(scope, stackSet, "CREATE", covered, targets.Preferences, targets.OperationId, retainStacks: null, marksInstances: true,
            beforeStart: () =>
            {
                foreach (var (account, region) in covered)
                {
                    var existing = _instances.Get(InstanceKey(stackSet.StackSetId, account, region));
                    _instances.Put(InstanceKey(stackSet.StackSetId, account, region), (existing ?? new StackInstanceRecord
                    {
                        StackSetId = stackSet.StackSetId,
                        Account = account,
                        Region = region,
                        Status = InstanceStatus.Outdated,
                        DetailedStatus = InstanceStatus.Pending,
                    }) with { ParameterOverrides = overrides.Count > 0 || existing is null ? overrideValues : existing.ParameterOverrides });
                }
            });
    }

    /// <summary>
    /// UpdateStackInstances: existing instances' parameter overrides, as AWS takes them: absent keeps them, a list
    /// replaces them (a parameter left out returns to the stack set's value, UsePreviousValue keeps the override).
    /// </summary>
    public string UpdateStackInstances(Scope scope, string stackSetName, InstanceTargets targets, IReadOnlyList<SuppliedParameter>? overrides)
    {
        var stackSet = FindActive(scope, stackSetName);
        CheckTargets(scope, targets);
        var covered = targets.Accounts.SelectMany(a => targets.Regions.Select(r => (a, r))).ToList();
        var instances = covered.Select(c => _instances.Get(InstanceKey(stackSet.StackSetId, c.a, c.r))
            ?? throw CloudFormationErrors.StackInstanceNotFound(stackSet.StackSetName, c.a, c.r)).ToList();
        var template = CloudFormationService.ParseTemplate(stackSet.TemplateBody);
        var updates = overrides is null
            ? null
            : instances.ToDictionary(i => (i.Account, i.Region), i => CheckParameters(template, overrides, i.ParameterOverrides));
        return StartOperation(scope, stackSet, "UPDATE", covered, targets.Preferences, targets.OperationId, retainStacks: null, marksInstances: true,
            beforeStart: () =>
            {
                if (updates is null) return;
                foreach (var ((account, region), values) in updates)
                    _instances.Update(InstanceKey(stackSet.StackSetId, account, region), i => i with { ParameterOverrides = values });
            });
    }

    /// <summary>ImportStacksToStackSet takes up to this many stacks at a time, as AWS documents.</summary>
    public const int MaxStacksPerImport = 10;

    /// <summary>
    /// ImportStacksToStackSet: existing stacks in the caller's account become the stack set's instances in their Regions, and
    /// are then brought to the stack set's template and parameters as CreateStackInstances brings an instance that exists.
    /// Refused, as AWS refuses them: a stack that does not exist, a nested stack, a stack not in a settled state, one already
    /// in a stack set, and a Region where the stack set already has an instance.
    /// </summary>
    public string ImportStacks(Scope scope, string stackSetName, IReadOnlyList<string> stackIds, OperationPreferences preferences, string? operationId)
    {
        var stackSet = FindActive(scope, stackSetName);
        CheckPreferences(preferences);
        if (stackIds.Count == 0) throw TemplateError.Validation("Either StackIds or StackIdsUrl must be specified.");
        if (stackIds.Count > MaxStacksPerImport) throw CloudFormationErrors.TooManyStacksToImport(MaxStacksPerImport);
        var stacks = new List<StackRecord>();
        foreach (var stackId in stackIds)
        {
            // A stack id is its ARN, which names the stack's account and Region.
            var parts = stackId.Split(':');
            if (parts is not ["arn", _, "cloudformation", var region, var account, ..]) throw CloudFormationErrors.StackNotFound(stackId);
            if (account != scope.AccountId) throw CloudFormationErrors.OtherAccount(account, scope.AccountId);
            var stack = _cfn.FindOrNull(Scope.Of(account, region), stackId) is { IsDeleted: false } found ? found : throw CloudFormationErrors.StackNotFound(stackId);
            if (stack.ParentId is not null) throw CloudFormationErrors.InvalidStackSetOperation($"Stack {stackId} is a nested stack: nested stacks cannot be imported into a stack set.");
            if (!StackStatus.IsUpdatable(stack.Status))
                throw CloudFormationErrors.InvalidStackSetOperation($"Stack {stackId} is in {stack.Status} state and cannot be imported into a stack set.");
            if (_instances.Values.FirstOrDefault(i => i.StackId == stack.StackId) is { } owner)
                throw CloudFormationErrors.InvalidStackSetOperation(
                    $"Stack {stackId} already belongs to stack set {_stackSets.Values.First(s => s.StackSetId == owner.StackSetId).StackSetName}.");
            if (_instances.Get(InstanceKey(stackSet.StackSetId, account, region)) is not null || stacks.Any(s => s.Region == region))
                throw CloudFormationErrors.InvalidStackSetOperation(
                    $"StackSet {stackSet.StackSetName} already has a stack instance in account {account} and Region {region}: a stack set has one stack per account and Region.");
            stacks.Add(stack);
        }
        // botocore's StackSetOperationAction has no IMPORT: the operation is listed as a CREATE over the imported instances.
        return StartOperation(scope, stackSet, "CREATE", stacks.Select(s => (s.AccountId, s.Region)).ToList(), preferences, operationId,
            retainStacks: null, marksInstances: true,
            beforeStart: () =>
            {
                foreach (var stack in stacks)
                    _instances.Put(InstanceKey(stackSet.StackSetId, stack.AccountId, stack.Region), new StackInstanceRecord
                    {
                        StackSetId = stackSet.StackSetId,
                        Account = stack.AccountId,
                        Region = stack.Region,
                        StackId = stack.StackId,
                        Status = InstanceStatus.Outdated,
                        DetailedStatus = InstanceStatus.Pending,
                    });
            });
    }

    /// <summary>DeleteStackInstances: each instance's stack deleted (or, RetainStacks, kept as a stack of its own) and the instance removed.</summary>
    public string DeleteStackInstances(Scope scope, string stackSetName, InstanceTargets targets, bool retainStacks)
    {
        var stackSet = FindActive(scope, stackSetName);
        CheckTargets(scope, targets);
        // Instances that do not exist have nothing to delete; AWS answers those SUCCEEDED too.
        var covered = targets.Accounts.SelectMany(a => targets.Regions.Select(r => (a, r))).ToList();
        return StartOperation(scope, stackSet, "DELETE", covered, targets.Preferences, targets.OperationId, retainStacks, marksInstances: true, beforeStart: null);
    }

    // ---- drift ----

    /// <summary>DetectStackSetDrift: DetectStackDrift on each instance's stack, as a DETECT_DRIFT operation; the stack set's details count the verdicts.</summary>
    public string DetectStackSetDrift(Scope scope, string stackSetName, OperationPreferences preferences, string? operationId)
    {
        var stackSet = FindActive(scope, stackSetName);
        CheckPreferences(preferences);
        var covered = InstancesOf(stackSet.StackSetId).Select(i => (i.Account, i.Region)).ToList();
        return StartOperation(scope, stackSet, "DETECT_DRIFT", covered, preferences, operationId, retainStacks: null, marksInstances: false, beforeStart: null);
    }

    /// <summary>The instance's stack's resources as its last drift detection found them (ListStackInstanceResourceDrifts).</summary>
    public (StackRecord Stack, IReadOnlyList<StackResourceRecord> Resources) InstanceResourceDrifts(Scope scope, string stackSetName, string account, string region,
        string operationId, IReadOnlyCollection<string> statuses)
    {
        var stackSet = Find(scope, stackSetName);
        var operation = FindOperation(scope, stackSetName, operationId);
        if (operation.Action != "DETECT_DRIFT") throw CloudFormationErrors.StackSetOperationNotFound(operationId);
        var instance = FindInstance(scope, stackSet.StackSetId, account, region);
        if (instance.StackId is null) throw CloudFormationErrors.StackInstanceNotFound(stackSet.StackSetName, account, region);
        return _cfn.ResourceDrifts(Scope.Of(account, region), instance.StackId, statuses);
    }

    // ---- operations ----

    public StackSetOperationRecord FindOperation(Scope scope, string stackSetName, string operationId)
    {
        var stackSet = Find(scope, stackSetName);
        return _operations.Get(OperationKey(stackSet.StackSetId, operationId)) ?? throw CloudFormationErrors.StackSetOperationNotFound(operationId);
    }

    /// <summary>The stack set's operations, newest first, as ListStackSetOperations lists them.</summary>
    public IReadOnlyList<StackSetOperationRecord> Operations(Scope scope, string stackSetName)
    {
        var stackSet = Find(scope, stackSetName);
        return _operations.Values.Where(o => o.StackSetId == stackSet.StackSetId).OrderByDescending(o => o.CreationTimestamp).ThenByDescending(o => o.OperationId, StringComparer.Ordinal).ToList();
    }

    /// <summary>StopStackSetOperation: the operation stops before the next instances it would start (those running finish), then is STOPPED.</summary>
    public void StopOperation(Scope scope, string stackSetName, string operationId)
    {
        var operation = FindOperation(scope, stackSetName, operationId);
        var key = OperationKey(operation.StackSetId, operationId);
        var stopped = _operations.Update(key, o => o.Status == StackSetOperationStatus.Running ? o with { Status = StackSetOperationStatus.Stopping } : o)!;
        if (stopped.Status != StackSetOperationStatus.Stopping) throw CloudFormationErrors.StackSetOperationNotStoppable(operationId, stopped.Status);
        if (_running.TryGetValue(key, out var running)) running.Stop.Cancel();
    }

    /// <summary>When the operation has ended (the CloudFormation resource type waits on its operations this way).</summary>
    public async Task<StackSetOperationRecord> SettledAsync(string stackSetId, string operationId, CancellationToken cancellation)
    {
        var key = OperationKey(stackSetId, operationId);
        if (_running.TryGetValue(key, out var running)) await running.Task.WaitAsync(cancellation);
        return _operations.Get(key)!;
    }

    private StackSetOperationRecord? ActiveOperation(string stackSetId) =>
        _operations.Values.FirstOrDefault(o => o.StackSetId == stackSetId && StackSetOperationStatus.IsActive(o.Status));

    /// <summary>
    /// Records a RUNNING operation over <paramref name="covered"/> (ordered by the preferences' RegionOrder) and runs it in
    /// the background; refused while another operation on the stack set is active, or when its OperationId was used.
    /// </summary>
    private string StartOperation(Scope scope, StackSetRecord stackSet, string action, IReadOnlyList<(string Account, string Region)> covered,
        OperationPreferences preferences, string? operationId, bool? retainStacks, bool marksInstances, Action? beforeStart)
    {
        var id = operationId ?? Guid.NewGuid().ToString();
        var ordered = covered.OrderBy(c => preferences.RegionOrder.Contains(c.Region) ? preferences.RegionOrder.ToList().IndexOf(c.Region) : int.MaxValue)
            .ToList(); // OrderBy is stable: Regions not in RegionOrder keep the order they were given in.
        var operation = new StackSetOperationRecord
        {
            OperationId = id,
            StackSetId = stackSet.StackSetId,
            Action = action,
            Status = StackSetOperationStatus.Running,
            Preferences = preferences,
            RetainStacks = retainStacks,
            AdministrationRoleArn = stackSet.AdministrationRoleArn,
            ExecutionRoleName = stackSet.ExecutionRoleName,
            CreationTimestamp = Now,
            Accounts = ordered.Select(c => c.Account).Distinct().ToList(),
            Results = ordered.Select(c => new OperationResultRecord(c.Account, c.Region, InstanceStatus.Pending, null)).ToList(),
        };
        var key = OperationKey(stackSet.StackSetId, id);
        lock (_starting)
        {
            if (_operations.Get(key) is not null) throw CloudFormationErrors.StackSetOperationIdExists(id);
            if (ActiveOperation(stackSet.StackSetId) is { } running)
                throw CloudFormationErrors.StackSetOperationInProgress(stackSet.Arn, running.OperationId);
            beforeStart?.Invoke();
            _operations.Put(key, operation);
            if (marksInstances)
                foreach (var (account, region) in ordered)
                    _instances.Update(InstanceKey(stackSet.StackSetId, account, region),
                        i => i with { Status = InstanceStatus.Outdated, DetailedStatus = InstanceStatus.Pending, StatusReason = null, LastOperationId = id });
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var task = Task.Run(() => RunAsync(scope, operation, stop.Token));
            _running[key] = new RunningOperation(task, stop);
            _ = task.ContinueWith(_ =>
            {
                _running.TryRemove(key, out var _);
                stop.Dispose();
            }, TaskScheduler.Default);
        }
        return id;
    }

    /// <summary>
    /// Runs an operation Region by Region (all at once when RegionConcurrencyType is PARALLEL), a Region's accounts
    /// MaxConcurrent at a time. When more of a Region's accounts fail than its failure tolerance allows, the operation
    /// stops there and is not attempted in the Regions after it (their instances CANCELLED) and ends FAILED, as AWS does.
    /// </summary>
    private async Task RunAsync(Scope scope, StackSetOperationRecord operation, CancellationToken stop)
    {
        var key = OperationKey(operation.StackSetId, operation.OperationId);
        var byRegion = operation.Results.GroupBy(r => r.Region).Select(g => g.ToList()).ToList();
        var exceeded = false;
        try
        {
            if (operation.Preferences.Parallel)
            {
                var failures = await Task.WhenAll(byRegion.Select(region => RunRegionAsync(operation, region, stop)));
                exceeded = failures.Select((failed, index) => failed > operation.Preferences.FailureTolerance(byRegion[index].Count)).Any(x => x);
            }
            else
                foreach (var region in byRegion)
                {
                    if (exceeded || stop.IsCancellationRequested)
                    {
                        foreach (var result in region) Cancel(operation, result, exceeded ? "Cancelled since failure tolerance has exceeded" : "Cancelled since the operation was stopped");
                        continue;
                    }
                    var failed = await RunRegionAsync(operation, region, stop);
                    exceeded = failed > operation.Preferences.FailureTolerance(region.Count);
                }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stratus is stopping: the operation is marked interrupted on the next start.
            return;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Stack set operation {OperationId} failed unexpectedly", operation.OperationId);
            exceeded = true;
        }
        var ended = _operations.Update(key, o =>
        {
            var stopped = o.Status == StackSetOperationStatus.Stopping;
            return o with
            {
                Status = stopped ? StackSetOperationStatus.Stopped : exceeded ? StackSetOperationStatus.Failed : StackSetOperationStatus.Succeeded,
                StatusReason = exceeded && !stopped ? "The Operation failed because the failure tolerance was exceeded" : null,
                EndTimestamp = Now,
            };
        })!;
        if (ended.Action == "DETECT_DRIFT") RecordDriftDetails(scope, ended);
    }

    /// <summary>Runs one Region's instances, MaxConcurrent at a time; answers how many failed.</summary>
    private async Task<int> RunRegionAsync(StackSetOperationRecord operation, List<OperationResultRecord> region, CancellationToken stop)
    {
        var failed = 0;
        var batch = operation.Preferences.MaxConcurrent(region.Count);
        for (var start = 0; start < region.Count; start += batch)
        {
            var slice = region.Skip(start).Take(batch).ToList();
            if (stop.IsCancellationRequested || failed > operation.Preferences.FailureTolerance(region.Count))
            {
                foreach (var result in slice) Cancel(operation, result, stop.IsCancellationRequested ? "Cancelled since the operation was stopped" : "Cancelled since failure tolerance has exceeded");
                continue;
            }
            var outcomes = await Task.WhenAll(slice.Select(result => RunInstanceAsync(operation, result)));
            failed += outcomes.Count(succeeded => !succeeded);
        }
        return failed;
    }

    private void Cancel(StackSetOperationRecord operation, OperationResultRecord result, string reason)
    {
        SetResult(operation, result with { Status = InstanceStatus.Cancelled, StatusReason = reason });
        if (operation.Action != "DETECT_DRIFT")
            _instances.Update(InstanceKey(operation.StackSetId, result.Account, result.Region),
                i => i with { Status = InstanceStatus.Outdated, DetailedStatus = InstanceStatus.Cancelled, StatusReason = reason });
    }

    private void SetResult(StackSetOperationRecord operation, OperationResultRecord result) =>
        _operations.Update(OperationKey(operation.StackSetId, operation.OperationId), o => o with
        {
            Results = o.Results.Select(r => r.Account == result.Account && r.Region == result.Region ? result : r).ToList(),
        });

    private async Task<bool> RunInstanceAsync(StackSetOperationRecord operation, OperationResultRecord result)
    {
        var key = InstanceKey(operation.StackSetId, result.Account, result.Region);
        SetResult(operation, result with { Status = InstanceStatus.Running });
        if (operation.Action != "DETECT_DRIFT") _instances.Update(key, i => i with { DetailedStatus = InstanceStatus.Running });
        string? failure;
        try
        {
            failure = operation.Action switch
            {
                "CREATE" or "UPDATE" => await DeployAsync(operation, key),
                "DELETE" => await DeleteAsync(operation, key),
                _ => DetectDrift(key),
            };
        }
        catch (AwsException e)
        {
            // What CreateStack or UpdateStack refused (a missing parameter, an unacknowledged capability) is the instance's failure.
            failure = e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Stack set operation {OperationId} failed in {Region}", operation.OperationId, result.Region);
            failure = e.Message;
        }
        SetResult(operation, result with { Status = failure is null ? InstanceStatus.Succeeded : InstanceStatus.Failed, StatusReason = failure });
        if (failure is not null && operation.Action != "DETECT_DRIFT")
            _instances.Update(key, i => operation.Action == "DELETE"
                // A delete that failed leaves a stack the stack set can no longer vouch for: INOPERABLE, as AWS marks it.
                ? i with { Status = InstanceStatus.Inoperable, DetailedStatus = InstanceStatus.Inoperable, StatusReason = failure }
                : i with { Status = InstanceStatus.Outdated, DetailedStatus = InstanceStatus.Failed, StatusReason = failure });
        return failure is null;
    }

    /// <summary>Creates the instance's stack, or updates it to the stack set's template and parameters; answers the failure, null on success.</summary>
    private async Task<string?> DeployAsync(StackSetOperationRecord operation, string key)
    {
        var stackSet = _stackSets.Values.First(s => s.StackSetId == operation.StackSetId);
        var instance = _instances.Get(key)!;
        var scope = Scope.Of(instance.Account, instance.Region);
        var parameters = stackSet.Parameters.Concat(instance.ParameterOverrides.Where(o => !stackSet.Parameters.ContainsKey(o.Key)))
            .Select(p => new SuppliedParameter(p.Key, instance.ParameterOverrides.GetValueOrDefault(p.Key, p.Value), false)).ToList();
        var stack = instance.StackId is { } stackId ? _cfn.FindOrNull(scope, stackId) : null;
        StackRecord settled;
        var upToDate = false;
        if (stack is { IsDeleted: false } && StackStatus.IsUpdatable(stack.Status))
        {
            var request = new StackRequest(stack.StackId, stackSet.TemplateBody, parameters, stackSet.Capabilities, stackSet.Tags);
            try
            {
                _cfn.UpdateStack(scope, request, usePreviousTemplate: false);
                settled = await _cfn.SettledAsync(stack.StackId, _stopping.Token);
            }
            catch (AwsException e) when (e.Message == CloudFormationService.NoUpdatesMessage)
            {
                // Already as the stack set says (an imported stack made from its template, whatever its last operation was).
                settled = stack;
                upToDate = true;
            }
        }
        else
        {
            // A stack whose create rolled back cannot be updated: it is replaced, as the instance is created again.
            if (stack is { IsDeleted: false } && _cfn.DeleteStack(scope, stack.StackId) is { } deleting)
                await _cfn.SettledAsync(deleting, _stopping.Token);
            var name = $"StackSet-{(stackSet.StackSetName.Length > 82 ? stackSet.StackSetName[..82] : stackSet.StackSetName)}-{Guid.NewGuid()}";
            var created = _cfn.CreateStack(scope, new StackRequest(name, stackSet.TemplateBody, parameters, stackSet.Capabilities, stackSet.Tags));
            _instances.Update(key, i => i with { StackId = created.StackId });
            settled = await _cfn.SettledAsync(created.StackId, _stopping.Token);
        }
        if (upToDate || settled.Status is StackStatus.CreateComplete or StackStatus.UpdateComplete)
        {
            _instances.Update(key, i => i with { StackId = settled.StackId, Status = InstanceStatus.Current, DetailedStatus = InstanceStatus.Succeeded, StatusReason = null });
            return null;
        }
        return FailureReason(scope, settled);
    }

    /// <summary>Why an instance's stack failed, as AWS words a stack instance's StatusReason: the first resource that failed, or the stack's own reason.</summary>
    private string FailureReason(Scope scope, StackRecord stack)
    {
        var failed = _cfn.Events(scope, stack.StackId).Reverse()
            .FirstOrDefault(e => e.ResourceType != StackStore.StackType && e.ResourceStatus.EndsWith("_FAILED", StringComparison.Ordinal) && e.ResourceStatusReason is not null);
        return failed is not null
            ? $"ResourceLogicalId:{failed.LogicalResourceId}, ResourceType:{failed.ResourceType}, ResourceStatusReason:{failed.ResourceStatusReason}."
            : $"Stack {stack.StackName} is in {stack.Status} state: {stack.StatusReason}";
    }

    private async Task<string?> DeleteAsync(StackSetOperationRecord operation, string key)
    {
        if (_instances.Get(key) is not { } instance) return null;
        if (operation.RetainStacks != true && instance.StackId is { } stackId)
        {
            var scope = Scope.Of(instance.Account, instance.Region);
            if (_cfn.DeleteStack(scope, stackId) is { } deleting)
            {
                var settled = await _cfn.SettledAsync(deleting, _stopping.Token);
                if (settled.Status != StackStatus.DeleteComplete) return FailureReason(scope, settled);
            }
        }
        _instances.Remove(key);
        return null;
    }

    private string? DetectDrift(string key)
    {
        var instance = _instances.Get(key)!;
        if (instance.StackId is null) return "The stack instance has no stack to check";
        var detection = _cfn.DetectStackDrift(Scope.Of(instance.Account, instance.Region), instance.StackId, []);
        _instances.Update(key, i => i with { DriftStatus = detection.StackDriftStatus ?? StackDrift.NotChecked, DriftCheckedAt = detection.Timestamp });
        return null;
    }

    /// <summary>A drift detection's counts, on the operation and on the stack set (DescribeStackSet's StackSetDriftDetectionDetails).</summary>
    private void RecordDriftDetails(Scope scope, StackSetOperationRecord operation)
    {
        var checkedInstances = operation.Results.Select(r => _instances.Get(InstanceKey(operation.StackSetId, r.Account, r.Region))).OfType<StackInstanceRecord>().ToList();
        var drifted = checkedInstances.Count(i => i.DriftStatus == StackDrift.Drifted);
        var inSync = checkedInstances.Count(i => i.DriftStatus == StackDrift.InSync);
        var failed = operation.Results.Count(r => r.Status != InstanceStatus.Succeeded);
        var details = new StackSetDriftDetails(drifted > 0 ? StackDrift.Drifted : StackDrift.InSync,
            operation.Status == StackSetOperationStatus.Stopped ? "STOPPED" : failed == 0 ? "COMPLETED" : drifted + inSync > 0 ? "PARTIAL_SUCCESS" : "FAILED",
            operation.EndTimestamp, operation.Results.Count, drifted, inSync, 0, failed);
        _operations.Update(OperationKey(operation.StackSetId, operation.OperationId), o => o with { Drift = details });
        _stackSets.Update(SetKey(scope.AccountId, scope.Region, operation.StackSetId), s => s with { Drift = details });
    }

    // ---- keys ----

    private static string SetKey(StackSetRecord s) => SetKey(s.AccountId, s.Region, s.StackSetId);
    private static string SetKey(string account, string region, string stackSetId) => ResourceTable<StackSetRecord>.Key(account, region, stackSetId);
    private static string InstanceKey(StackInstanceRecord i) => InstanceKey(i.StackSetId, i.Account, i.Region);
    private static string InstanceKey(string stackSetId, string account, string region) => ResourceTable<StackInstanceRecord>.Key(stackSetId, account, region);
    private static string OperationKey(string stackSetId, string operationId) => ResourceTable<StackSetOperationRecord>.Key(stackSetId, operationId);

    /// <summary>Stops running operations with the server; they are marked interrupted on the next start.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        Task.WaitAll(_running.Values.Select(r => r.Task).ToArray(), TimeSpan.FromSeconds(10));
    }
}
