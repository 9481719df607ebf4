using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Engine;
using Stratus.Services.CloudFormation.Generator;
using Stratus.Services.CloudFormation.Macros;
using Stratus.Services.CloudFormation.Registry;
using Stratus.Services.CloudFormation.StackRefactors;
using Stratus.Services.CloudFormation.StackSets;
using Stratus.Services.CloudFormation.Templates;
using Stratus.Services.CloudFormation.Templates.Serverless;
using Stratus.Services.Lambda;
using Stratus.Services.S3;
using Stratus.Services.Ssm;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// CloudFormation's domain: stacks, their events and resources, change sets and exports, per account
/// and region. Operations are checked and recorded here synchronously; the work itself runs on the
/// <see cref="StackEngine"/> in the background.
/// </summary>
public sealed partial class CloudFormationService : IDisposable
{
    public const int MaxTemplateBodyBytes = 51_200;

    private static readonly ValidationStyle Errors = new(TemplateError.Code);
    private readonly StackStore _store;
    private readonly StackEngine _engine;
    // Held while a new stack claims its name, so two creates of one name cannot both succeed.
    private readonly Lock _naming = new();
    private readonly IParameterStoreReader _parameterStore;
    private readonly IS3ObjectReader _objects;
    private readonly StratusAddress _address;

    public CloudFormationService(StateStore store, TimeProvider clock, ResourceProviders providers, IDynamicReferenceSource references,
        StratusAddress address, ILogger engineLogger, IParameterStoreReader parameterStore, IS3ObjectReader objects, ILambdaInvoker macroFunctions,
        IExtensionHandlerRunner extensionHandlers, Sts.IRoleCredentials? roles)
    {
        _parameterStore = parameterStore;
        _objects = objects;
        _address = address;
        _store = new StackStore(store, clock);
        StackSets = new StackSetService(store, clock, this, engineLogger);
        var macros = new MacroRegistry(store);
        Templates = new TemplateProcessor(macros, macroFunctions, objects);
        Registry = new TypeRegistry(store, clock, objects, extensionHandlers, address, engineLogger);
        _engine = new StackEngine(_store, providers.With(new NestedStackProvider(this)).With(new StackSetProvider(StackSets)).With(new MacroProvider(macros))
                .WithRegistered(new RegisteredTypeProvider(Registry, roles, address)),
            new DynamicReferences(references), address, engineLogger);
        Generator = new IacGenerator(store, providers, _store, engineLogger);
        MarkInterruptedOperations();
    }

    /// <summary>The extension registry: private resource types, their versions and configurations.</summary>
    public TypeRegistry Registry { get; }

    /// <summary>The IaC generator: resource scans and templates generated from the resources they find.</summary>
    public IacGenerator Generator { get; }

    public StackEngine Engine => _engine;

    /// <summary>Runs a template's macros and AWS::Include once, where it enters: the stack keeps the processed template.</summary>
    public TemplateProcessor Templates { get; }

    /// <summary>Stack sets: their instances are this service's stacks, in each Region.</summary>
    public StackSetService StackSets { get; }

    /// <summary>Operations a stop cut short are failed on start, so each stack shows its last real state and can be deleted or retried.</summary>
    private void MarkInterruptedOperations()
    {
        foreach (var stack in _store.Stacks.Values.Where(s => StackStatus.IsInProgress(s.Status)).ToList())
        {
            foreach (var resource in stack.Resources.Values.Where(r => StackStatus.IsInProgress(r.Status)))
                _store.SetResource(stack.StackId, resource with
                {
                    Status = resource.Status.Replace("_IN_PROGRESS", "_FAILED", StringComparison.Ordinal),
                    StatusReason = "Stratus stopped while this resource was being processed.",
                    Timestamp = _store.Now,
                });
            _store.SetStatus(stack.StackId, StackStatus.Interrupted(stack.Status), "Stratus stopped while this stack operation was in progress.");
        }
        foreach (var refactor in _store.Refactors.Values.Where(r => r.ExecutionStatus == StackRefactorStatus.ExecuteInProgress).ToList())
            _store.Refactors.Put(refactor.StackRefactorId, refactor with
            {
                ExecutionStatus = StackRefactorStatus.ExecuteFailed,
                ExecutionStatusReason = "Stratus stopped while this stack refactor was executing.",
            });
    }

    // ---- templates ----

    public static Template ParseTemplate(string? body)
    {
        if (string.IsNullOrEmpty(body)) throw TemplateError.Validation("Either Template URL or Template Body must be specified.");
        return Template.Parse(body);
    }

    /// <summary>A template in an S3 object may be larger than one sent inline, up to 1 MB.</summary>
    public const int MaxTemplateObjectBytes = 1024 * 1024;
    /// <summary>The model's bound on every URL member (TemplateURL, StackPolicyURL, StackPolicyDuringUpdateURL), applied here too
    /// to the URLs no wire shape checks: a nested stack's TemplateURL property.</summary>
    public const int MaxTemplateUrlLength = 5120;

    /// <summary>
    /// The template a request names: its TemplateBody, or the object its TemplateURL names in Stratus's
    /// S3 (AWS's URL forms included, so a URL the aws CLI or the CDK wrote for AWS works unchanged),
    /// read through S3's domain. Exactly one of the two, as CloudFormation requires.
    /// </summary>
    public string TemplateOf(Scope scope, string? body, string? url)
    {
        if (body is not null && url is not null) throw TemplateError.Validation("Specify exactly one of TemplateBody or TemplateUrl.");
        if (body is not null)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(body) > MaxTemplateBodyBytes)
                throw Errors.Constraint("TemplateBody", "...", $"Member must have length less than or equal to {MaxTemplateBodyBytes}");
            return body;
        }
        if (url is null) throw TemplateError.Validation("Either Template URL or Template Body must be specified.");
        return ReadUrl(scope, url, "TemplateURL", MaxTemplateObjectBytes, $"Template may not exceed {MaxTemplateObjectBytes} bytes in size.");
    }

    /// <summary>A stack policy given by its body or by the URL of an S3 object (StackPolicyURL), or null when neither is.</summary>
    public string? StackPolicyOf(Scope scope, string? body, string? url, string member)
    {
        if (body is not null && url is not null) throw TemplateError.Validation($"You cannot specify both {member}Body and {member}URL");
        return url is null ? body : ReadUrl(scope, url, member + "URL", StackPolicy.MaxBodyBytes, $"{member} may not exceed {StackPolicy.MaxBodyBytes} bytes in size.");
    }

    private string ReadUrl(Scope scope, string url, string member, int maxBytes, string tooLarge)
    {
        if (url.Length > MaxTemplateUrlLength)
            throw Errors.Constraint(member, url, $"Member must have length less than or equal to {MaxTemplateUrlLength}");
        var address = S3ObjectAddress.FromUrl(url, _address.BaseUrl.Host) ?? throw TemplateError.Validation($"{member} must be a supported URL.");
        try
        {
            var bytes = _objects.ReadObject(scope, address.Bucket, address.Key, address.VersionId, maxBytes, size => TemplateError.Validation(tooLarge));
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
        catch (AwsException e) when (e.Code != TemplateError.Code)
        {
            // CloudFormation passes S3's own message on, as it does for a missing or unreadable object.
            throw TemplateError.Validation($"S3 error: {e.Message}\nFor more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html");
        }
    }

    /// <summary>A stack's template, and the template-level transforms its submitted template declared (macros ran when it entered).</summary>
    public (Template Template, IReadOnlyList<string> DeclaredTransforms) TemplateOfStack(Scope scope, string stackName)
    {
        var stack = Find(scope, stackName);
        var template = Template.Parse(stack.TemplateBody);
        return (template, stack.OriginalTemplateBody is { } original ? TemplateTransforms.Declared(TemplateReader.Parse(original)) : template.Transforms);
    }

    // ---- stacks ----

    [GeneratedRegex("^[a-zA-Z][-a-zA-Z0-9]*$")]
    private static partial Regex StackNamePattern();

    private static void CheckStackName(string name)
    {
        if (name.Length > 128 || !StackNamePattern().IsMatch(name))
            throw Errors.Constraint("StackName", name, "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*");
    }

    /// <summary>A stack by name (the live one) or by stack id (deleted ones too).</summary>
    public StackRecord Find(Scope scope, string nameOrId) =>
        TryFind(scope, nameOrId) ?? throw TemplateError.Validation($"Stack with id {nameOrId} does not exist");

    /// <summary>A stack by name or id, or null when there is none (a stack set's instance whose stack was deleted outside it).</summary>
    public StackRecord? FindOrNull(Scope scope, string nameOrId) => TryFind(scope, nameOrId);

    private StackRecord? TryFind(Scope scope, string nameOrId) =>
        nameOrId.StartsWith("arn:", StringComparison.Ordinal)
            ? _store.Stacks.Get(nameOrId) is { } byId && byId.AccountId == scope.AccountId && byId.Region == scope.Region ? byId : null
            : _store.InScope(scope.AccountId, scope.Region).FirstOrDefault(s => s.StackName == nameOrId && !s.IsDeleted);

    private (StackPlan Plan, StackRecord Shape) Prepare(Scope scope, StackRequest request, StackRecord? previous, bool viaChangeSet = false)
    {
        var template = ParseTemplate(request.TemplateBody);
        var parameters = ParameterDefinition.Resolve(template, request.Parameters, previous?.Parameters);
        var fromParameterStore = ResolveFromParameterStore(scope, template, parameters);
        var values = parameters.ToDictionary(p => p.Key, p => fromParameterStore.GetValueOrDefault(p.Key, p.Value), StringComparer.Ordinal);
        TemplateRules.Check(template, values);
        if (!viaChangeSet) TemplateCapabilities.CheckAutoExpand(template, request.Capabilities);
        TemplateCapabilities.Check(template, request.Capabilities);
        if (request.OnFailure is not (null or "ROLLBACK" or "DELETE" or "DO_NOTHING"))
            throw Errors.Constraint("OnFailure", request.OnFailure, "Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]");
        if (request.OnFailure is not null && request.DisableRollback)
            throw TemplateError.Validation("You can specify either DisableRollback or OnFailure, but not both.");
        if (request.StackPolicyBody is { } policy) StackPolicy.Parse(policy);
        if (request.StackPolicyDuringUpdateBody is { } duringUpdate) StackPolicy.Parse(duringUpdate);
        var shape = new StackRecord
        {
            StackId = "",
            StackName = request.StackName,
            AccountId = "",
            Region = "",
            Status = "",
            CreationTime = default,
            TemplateBody = request.TemplateBody,
            OriginalTemplateBody = request.OriginalTemplateBody,
            Description = template.Description,
            Parameters = parameters,
            ResolvedParameters = fromParameterStore,
            NoEchoParameters = template.Parameters.Where(p => p.NoEcho).Select(p => p.Name).ToList(),
            Capabilities = request.Capabilities,
            Tags = request.Tags,
            DisableRollback = request.DisableRollback,
            OnFailure = request.OnFailure ?? (request.DisableRollback ? "DO_NOTHING" : "ROLLBACK"),
            // UpdateStack without a policy keeps the stack's own, as CloudFormation does.
            StackPolicyBody = request.StackPolicyBody ?? previous?.StackPolicyBody,
            EnableTerminationProtection = previous?.EnableTerminationProtection ?? request.EnableTerminationProtection,
        };
        return (new StackPlan(template, values), shape);
    }

    /// <summary>
    /// The values of AWS::SSM::Parameter::Value parameters, read from Parameter Store at every create,
    /// update and change set, as CloudFormation does. Missing ones are refused together, in AWS's words.
    /// </summary>
    private Dictionary<string, string> ResolveFromParameterStore(Scope scope, Template template, IReadOnlyDictionary<string, string> parameters)
    {
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var parameter in template.Parameters.Where(p => p.IsParameterStoreValue))
        {
            var name = parameters[parameter.Name];
            switch (_parameterStore.Find(scope, name))
            {
                case null:
                    missing.Add(name);
                    break;
                case { Type: "SecureString" }:
                    throw TemplateError.Validation($"Parameters [{name}] referenced by template have types not supported by CloudFormation.");
                case var version:
                    resolved[parameter.Name] = version.Value;
                    break;
            }
        }
        if (missing.Count > 0)
            throw TemplateError.Validation($"Unable to fetch parameters [{string.Join(",", missing)}] from parameter store for this account.");
        return resolved;
    }

    /// <summary>
    /// CloudFormation's quota of stacks per account and Region (AWS's default, 2,000): every stack that is not deleted counts,
    /// nested stacks and stack set instances too. Checked while a new stack claims its name (under <see cref="_naming"/>).
    /// </summary>
    public const int StackLimit = 2000;

    private void CheckStackLimit(Scope scope)
    {
        if (_store.InScope(scope.AccountId, scope.Region).Count(s => !s.IsDeleted) >= StackLimit) throw CloudFormationErrors.StackLimitExceeded();
    }

    /// <summary>DescribeAccountLimits: the quotas Stratus enforces, as AWS names them (it enforces no ConcurrentResourcesLimit, so reports none).</summary>
    public static IReadOnlyList<(string Name, int Value)> AccountLimits =>
        [("StackLimit", StackLimit), ("StackOutputsLimit", Template.MaxOutputs)];

    /// <param name="parent">For a nested stack, the stack whose AWS::CloudFormation::Stack resource creates it.</param>
    public StackRecord CreateStack(Scope scope, StackRequest request, StackRecord? parent = null)
    {
        CheckStackName(request.StackName);
        var (plan, shape) = Prepare(scope, request, null);
        var stack = (shape with
        {
            StackId = NewStackId(scope, request.StackName),
            AccountId = scope.AccountId,
            Region = scope.Region,
            Status = StackStatus.CreateInProgress,
            StatusReason = "User Initiated",
            CreationTime = _store.Now,
            ParentId = parent?.StackId,
            RootId = parent is null ? null : parent.RootId ?? parent.StackId,
        }).StartedWith(request.ClientRequestToken, CreateStackOperation, StackOperationType.CreateStack);
        lock (_naming)
        {
            if (TryFind(scope, request.StackName) is { } existing)
                return IsRetry(existing, request.ClientRequestToken, CreateStackOperation)
                    ? existing
                    : throw CloudFormationErrors.StackExists(request.StackName);
            CheckStackLimit(scope);
            _store.Stacks.Put(stack.StackId, stack);
        }
        _store.AddEvent(stack, stack.StackName, stack.StackId, StackStore.StackType, StackStatus.CreateInProgress, "User Initiated", null);
        _engine.Start(stack.StackId, cancellation => _engine.CreateAsync(stack.StackId, plan, cancellation));
        return stack;
    }

    public StackRecord UpdateStack(Scope scope, StackRequest request, bool usePreviousTemplate)
    {
        var stack = Find(scope, request.StackName);
        if (IsRetry(stack, request.ClientRequestToken, "UpdateStack")) return stack;
        if (!StackStatus.IsUpdatable(stack.Status)) throw NotUpdatable(stack);
        var body = usePreviousTemplate ? stack.TemplateBody : request.TemplateBody;
        var original = usePreviousTemplate ? stack.OriginalTemplateBody : request.OriginalTemplateBody;
        var (plan, shape) = Prepare(scope, request with { TemplateBody = body, OriginalTemplateBody = original, StackName = stack.StackName }, stack);
        if (stack.Status != StackStatus.UpdateFailed && body == stack.TemplateBody && Same(shape.Parameters, stack.Parameters)
            && Same(shape.ResolvedParameters, stack.ResolvedParameters) && Same(shape.Tags, stack.Tags))
            throw TemplateError.Validation(NoUpdatesMessage);
        return StartUpdate(stack, plan, shape, policyInForce: request.StackPolicyDuringUpdateBody ?? stack.StackPolicyBody,
            request.ClientRequestToken, "UpdateStack");
    }

    public const string NoUpdatesMessage = "No updates are to be performed.";

    /// <summary>The stack once its running operation has ended (a nested stack's parent waits on it this way).</summary>
    public async Task<StackRecord> SettledAsync(string stackId, CancellationToken cancellation)
    {
        while (true)
        {
            await _engine.SettleAsync(stackId, TimeSpan.FromSeconds(1)).WaitAsync(cancellation);
            var stack = _store.Stack(stackId);
            if (!StackStatus.IsInProgress(stack.Status)) return stack;
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellation);
        }
    }

    /// <param name="policyInForce">The stack policy this update is checked against: a during-update policy, or the stack's own.</param>
    /// <returns>The stack as the update begins, with the update's operation as its current one.</returns>
    private StackRecord StartUpdate(StackRecord stack, StackPlan plan, StackRecord shape, string? policyInForce, string? token, string operation,
        string? changeSetId = null)
    {
        var begun = _store.Begin(stack.StackId, s => StackStatus.IsUpdatable(s.Status), NotUpdatable, StackStatus.UpdateInProgress,
            s => (s with { DisableRollback = shape.DisableRollback, ChangeSetId = changeSetId ?? s.ChangeSetId, StackPolicyBody = shape.StackPolicyBody })
                .StartedWith(token, operation, StackOperationType.UpdateStack));
        var policy = policyInForce is null ? null : StackPolicy.Parse(policyInForce);
        _engine.Start(stack.StackId, cancellation => _engine.UpdateAsync(stack.StackId, plan, shape, policy, UpdateMode.Forward, cancellation));
        return begun;
    }

    // ---- cancelling and rolling back updates ----

    /// <summary>CancelUpdateStack: the running update stops and rolls back (UPDATE_ROLLBACK_IN_PROGRESS, then UPDATE_ROLLBACK_COMPLETE).</summary>
    public void CancelUpdateStack(Scope scope, string nameOrId, string? token)
    {
        var stack = Find(scope, nameOrId);
        if (IsRetry(stack, token, "CancelUpdateStack")) return;
        // The rollback the cancel starts records its events under the cancel's token (and its own operation, begun as the update rolls back).
        if (stack.Status == StackStatus.UpdateInProgress) _store.Update(stack.StackId, s => s.StartedWith(token, "CancelUpdateStack", null));
        if (stack.Status != StackStatus.UpdateInProgress || !_engine.CancelUpdate(stack.StackId))
            throw TemplateError.Validation("CancelUpdateStack cannot be called from current stack status");
    }

    /// <summary>
    /// ContinueUpdateRollback: a stack whose update rollback failed (UPDATE_ROLLBACK_FAILED) is rolled back again to its
    /// last stable template; the resources named in <paramref name="resourcesToSkip"/> (each one whose rollback failed)
    /// are taken as rolled back without being touched, as CloudFormation does.
    /// </summary>
    public void ContinueUpdateRollback(Scope scope, string nameOrId, IReadOnlyList<string> resourcesToSkip, string? token)
    {
        var stack = Find(scope, nameOrId);
        if (IsRetry(stack, token, "ContinueUpdateRollback")) return;
        if (stack.Status != StackStatus.UpdateRollbackFailed)
            throw TemplateError.Validation("ContinueUpdateRollback cannot be called from current stack status");
        foreach (var logicalId in resourcesToSkip)
            if (!stack.Resources.TryGetValue(logicalId, out var resource) || resource.Status != StackStatus.UpdateFailed)
                throw TemplateError.Validation($"Resource [{logicalId}] is not in UPDATE_FAILED state and cannot be skipped; only resources whose rollback failed can be skipped.");
        // A stack RollbackStack was returning to its last stable state keeps that target; an update's own rollback returns to the stack's template.
        StartRollback(stack, StackStatus.UpdateRollbackFailed, "ContinueUpdateRollback", stack.RollbackTarget ?? stack, UpdateMode.Rollback(resourcesToSkip), token);
    }

    /// <summary>
    /// RollbackStack: a stack whose create or update failed with rollback disabled (CREATE_FAILED, UPDATE_FAILED) is
    /// rolled back on request: a failed create's resources are deleted (ROLLBACK_COMPLETE), a failed update returns to
    /// the last stable stack (UPDATE_ROLLBACK_COMPLETE).
    /// </summary>
    public StackRecord RollbackStack(Scope scope, string nameOrId, string? token)
    {
        var stack = Find(scope, nameOrId);
        if (IsRetry(stack, token, RollbackStackOperation)) return stack;
        switch (stack.Status)
        {
            case StackStatus.CreateFailed:
                var begun = _store.Begin(stack.StackId, s => s.Status == StackStatus.CreateFailed, CannotRollBack, StackStatus.RollbackInProgress,
                    s => s.StartedWith(token, RollbackStackOperation, StackOperationType.Rollback));
                _engine.Start(stack.StackId, cancellation => _engine.RollBackFailedCreateAsync(stack.StackId, cancellation));
                return begun;
            case StackStatus.UpdateFailed when stack.RollbackTarget is { } stable:
                return StartRollback(stack, StackStatus.UpdateFailed, null, stable, UpdateMode.Rollback([]), token);
            default:
                throw CannotRollBack(stack);
        }
    }

    private static AwsException CannotRollBack(StackRecord stack) =>
        TemplateError.Validation($"Stack:{stack.StackId} is in {stack.Status} state and can not be rolled back.");

    /// <summary>Starts a rollback-mode update from <paramref name="from"/> to the stable stack <paramref name="target"/>, with its template and parameter values.</summary>
    private StackRecord StartRollback(StackRecord stack, string from, string? operation, StackRecord target, UpdateMode mode, string? token)
    {
        var values = target.Parameters.ToDictionary(p => p.Key, p => target.ResolvedParameters.GetValueOrDefault(p.Key, p.Value), StringComparer.Ordinal);
        var plan = new StackPlan(Template.Parse(target.TemplateBody), values);
        var begun = _store.Begin(stack.StackId, s => s.Status == from,
            s => operation is null ? CannotRollBack(s) : TemplateError.Validation($"{operation} cannot be called from current stack status"),
            StackStatus.UpdateRollbackInProgress, s => s.StartedWith(token, operation ?? RollbackStackOperation,
                operation is null ? StackOperationType.Rollback : StackOperationType.ContinueRollback));
        _engine.Start(stack.StackId, cancellation => _engine.UpdateAsync(stack.StackId, plan, target, null, mode, cancellation));
        return begun;
    }

    // ---- stack policies and termination protection ----

    public void SetStackPolicy(Scope scope, string nameOrId, string policyBody)
    {
        var stack = Find(scope, nameOrId);
        StackPolicy.Parse(policyBody);
        _store.Update(stack.StackId, s => s with { StackPolicyBody = policyBody });
    }

    public string? GetStackPolicy(Scope scope, string nameOrId) => Find(scope, nameOrId).StackPolicyBody;

    /// <summary>Nested stacks follow their root stack's protection, so theirs cannot be changed on its own, as on AWS.</summary>
    public StackRecord UpdateTerminationProtection(Scope scope, string nameOrId, bool enabled)
    {
        var stack = Find(scope, nameOrId);
        if (stack.ParentId is not null)
            throw TemplateError.Validation($"Termination protection cannot be updated on nested stack {stack.StackName}; update it on the root stack.");
        _store.Update(stack.StackId, s => s with { EnableTerminationProtection = enabled });
        return stack;
    }

    private const string CreateStackOperation = "CreateStack";
    private const string RollbackStackOperation = "RollbackStack";
    private const string ExecuteChangeSetOperation = "ExecuteChangeSet";

    /// <summary>
    /// Whether a request is the retry of an operation already started on this stack with the same ClientRequestToken:
    /// it then answers as the first did without starting a second, which is what the token is for. A token another
    /// operation on the stack was started with is refused with TokenAlreadyExistsException.
    /// </summary>
    private static bool IsRetry(StackRecord stack, string? token, string operation)
    {
        if (token is null || !stack.UsedRequestTokens.TryGetValue(token, out var usedBy)) return false;
        return usedBy == operation ? true : throw CloudFormationErrors.TokenAlreadyExists(token, stack.StackName, usedBy);
    }

    private static AwsException NotUpdatable(StackRecord stack) =>
        TemplateError.Validation($"Stack:{stack.StackId} is in {stack.Status} state and can not be updated.");

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private static bool Same(IReadOnlyList<StackTag> a, IReadOnlyList<StackTag> b) => a.SequenceEqual(b);

    /// <summary>Starts deleting the stack; answers its id, or null when there is nothing to delete.</summary>
    /// <param name="byParentStack">The parent's AWS::CloudFormation::Stack resource deletes it: termination protection guards only users' deletes.</param>
    public string? DeleteStack(Scope scope, string nameOrId, bool byParentStack = false, string? token = null)
    {
        // Deleting a stack that does not exist succeeds, as in CloudFormation.
        if (TryFind(scope, nameOrId) is not { IsDeleted: false } stack) return null;
        if (IsRetry(stack, token, "DeleteStack") || stack.Status == StackStatus.DeleteInProgress) return stack.StackId;
        var root = stack.RootId is { } rootId ? _store.Stack(rootId) : stack;
        if (!byParentStack && root.EnableTerminationProtection)
            throw TemplateError.Validation($"Stack [{stack.StackName}] cannot be deleted while TerminationProtection is enabled");
        var exports = stack.Outputs.Where(o => o.ExportName is not null).Select(o => o.ExportName!).ToList();
        var importer = _store.InScope(scope.AccountId, scope.Region).FirstOrDefault(s => !s.IsDeleted && s.StackId != stack.StackId && s.Imports.Intersect(exports).Any());
        if (importer is not null)
        {
            var export = importer.Imports.Intersect(exports).First();
            throw TemplateError.Validation($"Export {export} cannot be deleted as it is in use by {importer.StackName}");
        }
        _store.Begin(stack.StackId, s => !StackStatus.IsInProgress(s.Status) && !s.IsDeleted,
            s => TemplateError.Validation($"Stack [{s.StackName}] cannot be deleted while in status {s.Status}"), StackStatus.DeleteInProgress,
            s => s.StartedWith(token, "DeleteStack", StackOperationType.DeleteStack));
        foreach (var changeSet in _store.ChangeSets.Values.Where(c => c.StackId == stack.StackId).ToList()) _store.ChangeSets.Remove(changeSet.ChangeSetId);
        _engine.Start(stack.StackId, cancellation => _engine.DeleteAsync(stack.StackId, cancellation));
        return stack.StackId;
    }

    public IReadOnlyList<StackRecord> DescribeStacks(Scope scope, string? nameOrId) =>
        nameOrId is null
            ? _store.InScope(scope.AccountId, scope.Region).Where(s => !s.IsDeleted).OrderByDescending(s => s.CreationTime).ToList()
            : [Find(scope, nameOrId)];

    /// <summary>Every account's and region's stacks, deleted ones included, for the console.</summary>
    public IEnumerable<StackRecord> AllStacks() => _store.Stacks.Values;

    public IReadOnlyList<StackRecord> ListStacks(Scope scope, IReadOnlyCollection<string> statuses) =>
        _store.InScope(scope.AccountId, scope.Region).Where(s => statuses.Count == 0 || statuses.Contains(s.Status))
            .OrderByDescending(s => s.CreationTime).ToList();

    public IReadOnlyList<StackEventRecord> Events(Scope scope, string? nameOrId)
    {
        var stack = Find(scope, nameOrId ?? throw Errors.Missing("StackName"));
        return _store.Events.Values.Where(e => e.StackId == stack.StackId).OrderByDescending(e => e.Sequence).ToList();
    }

    public IReadOnlyList<StackResourceRecord> StackResources(StackRecord stack) =>
        stack.Resources.Values.Where(r => r.Status != StackStatus.DeleteComplete || stack.IsDeleted).OrderBy(r => r.LogicalId, StringComparer.Ordinal).ToList();

    public (StackRecord Stack, StackResourceRecord Resource) StackResource(Scope scope, string nameOrId, string logicalId)
    {
        var stack = Find(scope, nameOrId);
        return stack.Resources.TryGetValue(logicalId, out var resource)
            ? (stack, resource)
            : throw TemplateError.Validation($"Resource {logicalId} does not exist for stack {stack.StackName}");
    }

    /// <summary>Stacks whose resources include this physical id (DescribeStackResources by PhysicalResourceId).</summary>
    public StackRecord FindByPhysicalId(Scope scope, string physicalId) =>
        _store.InScope(scope.AccountId, scope.Region).FirstOrDefault(s => !s.IsDeleted && s.Resources.Values.Any(r => r.PhysicalId == physicalId))
        ?? throw TemplateError.Validation($"Stack for {physicalId} does not exist");

    public IReadOnlyList<(StackRecord Stack, StackOutput Output)> Exports(Scope scope) =>
        _store.Exports(scope.AccountId, scope.Region).OrderBy(e => e.Output.ExportName, StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Importers(Scope scope, string exportName)
    {
        if (!_store.Exports(scope.AccountId, scope.Region).Any(e => e.Output.ExportName == exportName))
            throw TemplateError.Validation($"Export '{exportName}' does not exist.");
        return _store.InScope(scope.AccountId, scope.Region).Where(s => !s.IsDeleted && s.Imports.Contains(exportName)).Select(s => s.StackName).ToList();
    }

    private static string NewStackId(Scope scope, string name) =>
        $"arn:aws:cloudformation:{scope.Region}:{scope.AccountId}:stack/{name}/{Guid.NewGuid()}";

    // ---- change sets ----

    public ChangeSetRecord CreateChangeSet(Scope scope, ChangeSetRequest request)
    {
        var name = request.Stack.StackName;
        CheckStackName(name);
        if (request.ChangeSetName.Length > 128 || !StackNamePattern().IsMatch(request.ChangeSetName))
            throw Errors.Constraint("ChangeSetName", request.ChangeSetName, "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*");
        var existing = TryFind(scope, name);
        StackRecord stack;
        IReadOnlyList<ResourceChangeRecord> changes;
        (StackPlan Plan, StackRecord Shape) prepared;
        string? importFailure = null;
        var imports = request.ResourcesToImport ?? [];
        switch (request.ChangeSetType)
        {
            case "CREATE":
                if (existing is not null && existing.Status != StackStatus.ReviewInProgress)
                    throw CloudFormationErrors.StackExistsForChangeSet(name, request.ChangeSetName);
                prepared = Prepare(scope, request.Stack, null, viaChangeSet: true);
                stack = existing ?? CreateReviewStack(scope, name, request.ChangeSetName);
                changes = prepared.Plan.Template.Resources.Values
                    .Select(r => new ResourceChangeRecord("Add", r.LogicalId, null, r.Type, null, [])).ToList();
                break;
            case "UPDATE":
                stack = existing ?? throw TemplateError.Validation($"Stack [{name}] does not exist");
                if (!StackStatus.IsUpdatable(stack.Status)) throw NotUpdatable(stack);
                if (request.UsePreviousTemplate) request = request with { Stack = request.Stack with { TemplateBody = stack.TemplateBody, OriginalTemplateBody = stack.OriginalTemplateBody } };
                prepared = Prepare(scope, request.Stack, stack, viaChangeSet: true);
                changes = ChangesBetween(stack, prepared.Plan);
                break;
            case "IMPORT":
                // Into the stack that exists, or a new one (REVIEW_IN_PROGRESS until the change set is executed).
                var into = existing is { Status: not StackStatus.ReviewInProgress } ? existing : null;
                if (into is not null && !StackStatus.IsUpdatable(into.Status)) throw NotUpdatable(into);
                prepared = Prepare(scope, request.Stack, into, viaChangeSet: true);
                ResourceImportRules.Check(prepared.Plan.Template, into is null ? null : (Template.Parse(into.TemplateBody), into.Resources.Keys.ToList()),
                    imports, _engine.ImportIdentifiers);
                (changes, importFailure) = ImportChanges(scope, imports);
                stack = into ?? existing ?? CreateReviewStack(scope, name, request.ChangeSetName);
                break;
            default:
                throw Errors.Constraint("ChangeSetType", request.ChangeSetType, "Member must satisfy enum value set: [IMPORT, UPDATE, CREATE]");
        }
        // An executed change set is history: its name may be used again (the aws CLI's deploy names
        // change sets by the second, and Stratus deploys fast enough to reuse one).
        foreach (var executed in _store.ChangeSets.Values.Where(c => c.StackId == stack.StackId && c.ChangeSetName == request.ChangeSetName
                     && c.ExecutionStatus == "EXECUTE_COMPLETE").ToList())
            _store.ChangeSets.Remove(executed.ChangeSetId);
        if (_store.ChangeSets.Values.Any(c => c.StackId == stack.StackId && c.ChangeSetName == request.ChangeSetName))
            throw CloudFormationErrors.ChangeSetExists(request.ChangeSetName);

        var unchanged = request.ChangeSetType == "UPDATE" && changes.Count == 0
            && JsonNode.DeepEquals(Template.Parse(stack.TemplateBody).Root["Outputs"], prepared.Plan.Template.Root["Outputs"]);
        var failure = unchanged ? "The submitted information didn't contain changes. Submit different information to create a change set." : importFailure;
        var changeSet = new ChangeSetRecord
        {
            ChangeSetId = $"arn:aws:cloudformation:{scope.Region}:{scope.AccountId}:changeSet/{request.ChangeSetName}/{Guid.NewGuid()}",
            ChangeSetName = request.ChangeSetName,
            StackId = stack.StackId,
            StackName = stack.StackName,
            AccountId = scope.AccountId,
            Region = scope.Region,
            ChangeSetType = request.ChangeSetType,
            Status = failure is null ? "CREATE_COMPLETE" : "FAILED",
            StatusReason = failure,
            ExecutionStatus = failure is null ? "AVAILABLE" : "UNAVAILABLE",
            CreationTime = _store.Now,
            Description = request.Description,
            TemplateBody = request.Stack.TemplateBody,
            OriginalTemplateBody = request.Stack.OriginalTemplateBody,
            Parameters = prepared.Shape.Parameters,
            Capabilities = request.Stack.Capabilities,
            Tags = request.Stack.Tags,
            Changes = changes,
            ResourcesToImport = imports,
            // A change set that makes its stack (REVIEW_IN_PROGRESS) ran the CREATE_CHANGESET operation that recorded it.
            OperationIds = stack.Status == StackStatus.ReviewInProgress && stack.CurrentOperation is { OperationType: StackOperationType.CreateChangeSet } made
                ? [made.OperationId]
                : [],
        };
        _store.ChangeSets.Put(changeSet.ChangeSetId, changeSet);
        return changeSet;
    }

    /// <summary>
    /// An IMPORT change set's changes: each existing resource looked up through its provider. One that already belongs
    /// to a stack is refused; ones that do not exist fail the change set (its StatusReason names them), as CloudFormation
    /// reports them once it has looked.
    /// </summary>
    private (List<ResourceChangeRecord> Changes, string? Failure) ImportChanges(Scope scope, IReadOnlyList<ResourceToImport> imports)
    {
        var changes = new List<ResourceChangeRecord>();
        var missing = new List<ResourceToImport>();
        var inStack = new List<string>();
        foreach (var import in imports)
        {
            var found = _engine.FindExisting(scope, import);
            if (found is null) missing.Add(import);
            else if (_store.Owns(scope.AccountId, scope.Region, import.ResourceType, found.PhysicalId)) inStack.Add(import.LogicalResourceId);
            changes.Add(new ResourceChangeRecord("Import", import.LogicalResourceId, found?.PhysicalId ?? import.ResourceIdentifier.Values.Single(),
                import.ResourceType, null, []));
        }
        if (inStack.Count > 0) throw ResourceImportRules.AlreadyInStack(inStack);
        return (changes, missing.Count == 0
            ? null
            : $"Resources [{string.Join(", ", missing.Select(m => m.Printed))}] passed in ResourcesToImport do not exist.");
    }

    /// <summary>The types that can be imported into a stack, and the property that identifies a resource of each.</summary>
    public IReadOnlyDictionary<string, string> ImportIdentifiers => _engine.ImportIdentifiers;

    private StackRecord CreateReviewStack(Scope scope, string name, string changeSetName)
    {
        var stack = new StackRecord
        {
            StackId = NewStackId(scope, name),
            StackName = name,
            AccountId = scope.AccountId,
            Region = scope.Region,
            Status = StackStatus.ReviewInProgress,
            StatusReason = "User Initiated",
            CreationTime = _store.Now,
        }.Begun(StackOperationType.CreateChangeSet);
        lock (_naming)
        {
            if (TryFind(scope, name) is not null)
                throw CloudFormationErrors.StackExistsForChangeSet(name, changeSetName);
            CheckStackLimit(scope);
            _store.Stacks.Put(stack.StackId, stack);
        }
        _store.AddEvent(stack, name, stack.StackId, StackStore.StackType, StackStatus.ReviewInProgress, "User Initiated", null);
        return stack;
    }

    /// <summary>
    /// What an update would do, judged from the templates and parameter values: resources added,
    /// removed, or modified because their definition or a parameter they use changed.
    /// </summary>
    private static List<ResourceChangeRecord> ChangesBetween(StackRecord stack, StackPlan plan)
    {
        var oldTemplate = Template.Parse(stack.TemplateBody);
        // Compared by the values the stack used: a Parameter Store parameter whose value changed changes what refers to it.
        var before = stack.Parameters.ToDictionary(p => p.Key, p => stack.ResolvedParameters.GetValueOrDefault(p.Key, p.Value), StringComparer.Ordinal);
        var changedParameters = plan.Parameters.Where(p => !before.TryGetValue(p.Key, out var old) || old != p.Value)
            .Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var changes = new List<ResourceChangeRecord>();
        foreach (var resource in plan.Template.Resources.Values)
        {
            if (!stack.Resources.TryGetValue(resource.LogicalId, out var current) || current.PhysicalId is null)
            {
                changes.Add(new ResourceChangeRecord("Add", resource.LogicalId, null, resource.Type, null, []));
                continue;
            }
            var old = oldTemplate.Resources.GetValueOrDefault(resource.LogicalId);
            var changedProperties = resource.Properties.Select(p => p.Key)
                .Union(old?.Properties.Select(p => p.Key) ?? [])
                .Where(key => !JsonNode.DeepEquals(resource.Properties[key], old?.Properties[key])
                    || Intrinsics.References(resource.Properties[key]).Any(r => changedParameters.Contains(r.Target)))
                .ToList();
            var definitionChanged = old is null || old.Type != resource.Type || !JsonNode.DeepEquals(old.Raw, resource.Raw);
            if (changedProperties.Count == 0 && !definitionChanged) continue;
            changes.Add(new ResourceChangeRecord("Modify", resource.LogicalId, current.PhysicalId, resource.Type,
                old?.Type != resource.Type ? "True" : "Conditional", changedProperties));
        }
        foreach (var removed in stack.Resources.Values.Where(r => !plan.Template.Resources.ContainsKey(r.LogicalId)))
            changes.Add(new ResourceChangeRecord("Remove", removed.LogicalId, removed.PhysicalId, removed.Type, null, []));
        return changes;
    }

    public ChangeSetRecord FindChangeSet(Scope scope, string nameOrId, string? stackName)
    {
        ChangeSetRecord? found;
        if (nameOrId.StartsWith("arn:", StringComparison.Ordinal)) found = _store.ChangeSets.Get(nameOrId);
        else
        {
            if (stackName is null) throw TemplateError.Validation("StackName must be specified if ChangeSetName is not specified as an ARN.");
            var stack = TryFind(scope, stackName);
            found = stack is null ? null : _store.ChangeSets.Values.FirstOrDefault(c => c.StackId == stack.StackId && c.ChangeSetName == nameOrId);
        }
        return found is not null && found.AccountId == scope.AccountId && found.Region == scope.Region
            ? found
            : throw CloudFormationErrors.ChangeSetNotFound(nameOrId);
    }

    public IReadOnlyList<ChangeSetRecord> ListChangeSets(Scope scope, string stackName)
    {
        var stack = Find(scope, stackName);
        return _store.ChangeSets.Values.Where(c => c.StackId == stack.StackId).OrderBy(c => c.CreationTime).ToList();
    }

    public void DeleteChangeSet(Scope scope, string nameOrId, string? stackName)
    {
        var changeSet = FindChangeSet(scope, nameOrId, stackName);
        if (changeSet.ExecutionStatus == "EXECUTE_IN_PROGRESS")
            throw CloudFormationErrors.ChangeSetExecuting(changeSet.ChangeSetId);
        _store.ChangeSets.Remove(changeSet.ChangeSetId);
    }

    /// <summary>Starts the change set's create or update; answers the stack id.</summary>
    public string ExecuteChangeSet(Scope scope, string nameOrId, string? stackName, bool? disableRollback, string? token)
    {
        var changeSet = FindChangeSet(scope, nameOrId, stackName);
        if (IsRetry(_store.Stack(changeSet.StackId), token, ExecuteChangeSetOperation)) return changeSet.StackId;
        if (changeSet.ExecutionStatus != "AVAILABLE")
            throw CloudFormationErrors.ChangeSetNotAvailable(changeSet.ChangeSetId, changeSet.Status);
        var stack = _store.Stack(changeSet.StackId);
        var expected = changeSet.ChangeSetType switch
        {
            "CREATE" => stack.Status == StackStatus.ReviewInProgress,
            "IMPORT" => stack.Status == StackStatus.ReviewInProgress || StackStatus.IsUpdatable(stack.Status),
            _ => StackStatus.IsUpdatable(stack.Status),
        };
        if (!expected) throw ChangeSetNotExecutable(changeSet, stack);

        var request = new StackRequest(stack.StackName, changeSet.TemplateBody,
            changeSet.Parameters.Select(p => new SuppliedParameter(p.Key, p.Value, false)).ToList(),
            changeSet.Capabilities, changeSet.Tags, disableRollback ?? false, OriginalTemplateBody: changeSet.OriginalTemplateBody);
        var (plan, shape) = Prepare(scope, request, stack, viaChangeSet: true);

        StackRecord begun;
        if (changeSet.ChangeSetType == "CREATE")
        {
            begun = _store.Begin(stack.StackId, s => s.Status == StackStatus.ReviewInProgress, s => ChangeSetNotExecutable(changeSet, s), StackStatus.CreateInProgress,
                s => Created(s, shape, changeSet).StartedWith(token, ExecuteChangeSetOperation, StackOperationType.CreateStack));
            _engine.Start(stack.StackId, cancellation => _engine.CreateAsync(stack.StackId, plan, cancellation));
        }
        else if (changeSet.ChangeSetType == "IMPORT")
        {
            // A new stack is created by the import (REVIEW_IN_PROGRESS to IMPORT_COMPLETE); an existing one adopts the resources.
            var isNew = stack.Status == StackStatus.ReviewInProgress;
            begun = _store.Begin(stack.StackId, s => isNew ? s.Status == StackStatus.ReviewInProgress : StackStatus.IsUpdatable(s.Status),
                s => ChangeSetNotExecutable(changeSet, s), StackStatus.ImportInProgress,
                s => (isNew ? Created(s, shape, changeSet) : s with { ChangeSetId = changeSet.ChangeSetId }).StartedWith(token, ExecuteChangeSetOperation,
                    isNew ? StackOperationType.CreateStack : StackOperationType.UpdateStack));
            _engine.Start(stack.StackId, cancellation => _engine.ImportAsync(stack.StackId, plan, shape, changeSet.ResourcesToImport, cancellation));
        }
        else begun = StartUpdate(stack, plan, shape, stack.StackPolicyBody, token, ExecuteChangeSetOperation, changeSet.ChangeSetId);

        // Executing a change set retires the stack's other change sets, as CloudFormation does.
        foreach (var other in _store.ChangeSets.Values.Where(c => c.StackId == stack.StackId && c.ChangeSetId != changeSet.ChangeSetId).ToList())
            _store.ChangeSets.Remove(other.ChangeSetId);
        _store.ChangeSets.Put(changeSet.ChangeSetId, changeSet with
        {
            ExecutionStatus = "EXECUTE_COMPLETE",
            OperationIds = [.. changeSet.OperationIds, begun.CurrentOperation!.OperationId],
        });
        return stack.StackId;
    }

    /// <summary>A REVIEW_IN_PROGRESS stack as its change set creates it: the change set's template and settings, created now.</summary>
    private StackRecord Created(StackRecord review, StackRecord shape, ChangeSetRecord changeSet) => shape with
    {
        StackId = review.StackId,
        AccountId = review.AccountId,
        Region = review.Region,
        CreationTime = _store.Now,
        ChangeSetId = changeSet.ChangeSetId,
        UsedRequestTokens = review.UsedRequestTokens,
        Operations = review.Operations,
    };

    private static AwsException ChangeSetNotExecutable(ChangeSetRecord changeSet, StackRecord stack) =>
        CloudFormationErrors.ChangeSetNotExecutable(changeSet.ChangeSetId, stack.StackName, stack.Status);

    // ---- drift detection ----

    /// <summary>
    /// DetectStackDrift: every resource (or those named) is compared with its live state in its service, each
    /// resource's result recorded, and the stack marked DRIFTED when any was modified or deleted, IN_SYNC otherwise.
    /// The services are in this process, so the detection is complete when the call answers.
    /// </summary>
    public DriftDetectionRecord DetectStackDrift(Scope scope, string nameOrId, IReadOnlyList<string> logicalIds)
    {
        var stack = Find(scope, nameOrId);
        CheckDriftable(stack);
        foreach (var id in logicalIds.Where(id => !stack.Resources.ContainsKey(id)))
            throw TemplateError.Validation($"Resource {id} does not exist for stack {stack.StackName}");
        var checkedResources = stack.Resources.Values
            .Where(r => r.Status != StackStatus.DeleteComplete && (logicalIds.Count == 0 || logicalIds.Contains(r.LogicalId))).ToList();
        var drifted = 0;
        foreach (var resource in checkedResources)
        {
            var drift = _engine.DetectDrift(stack, resource);
            if (drift.Status is StackDrift.Modified or StackDrift.Deleted) drifted++;
            RecordDrift(stack.StackId, resource.LogicalId, drift);
        }
        var now = _store.Now;
        var verdict = drifted > 0 ? StackDrift.Drifted : StackDrift.InSync;
        _store.Update(stack.StackId, s => s with { DriftStatus = verdict, DriftCheckedAt = now });
        var detection = new DriftDetectionRecord
        {
            DetectionId = Guid.NewGuid().ToString(),
            StackId = stack.StackId,
            AccountId = scope.AccountId,
            Region = scope.Region,
            DetectionStatus = "DETECTION_COMPLETE",
            StackDriftStatus = verdict,
            DriftedResourceCount = drifted,
            Timestamp = now,
        };
        _store.DriftDetections.Put(detection.DetectionId, detection);
        return detection;
    }

    /// <summary>DetectStackResourceDrift: one resource compared with its live state; the stack's own drift status is left as it was.</summary>
    public (StackRecord Stack, StackResourceRecord Resource) DetectStackResourceDrift(Scope scope, string nameOrId, string logicalId)
    {
        var (stack, resource) = StackResource(scope, nameOrId, logicalId);
        CheckDriftable(stack);
        var drift = _engine.DetectDrift(stack, resource);
        RecordDrift(stack.StackId, logicalId, drift);
        return (stack, resource with { Drift = drift });
    }

    public DriftDetectionRecord DriftDetection(Scope scope, string detectionId) =>
        _store.DriftDetections.Get(detectionId) is { } detection && detection.AccountId == scope.AccountId && detection.Region == scope.Region
            ? detection
            : throw CloudFormationErrors.DriftDetectionNotFound(detectionId);

    /// <summary>The resources' last drift checks, in logical id order, those with the given statuses when any are given.</summary>
    public (StackRecord Stack, IReadOnlyList<StackResourceRecord> Resources) ResourceDrifts(Scope scope, string nameOrId, IReadOnlyCollection<string> statuses)
    {
        var stack = Find(scope, nameOrId);
        return (stack, stack.Resources.Values
            .Where(r => r.Drift is not null && (statuses.Count == 0 || statuses.Contains(r.Drift.Status)))
            .OrderBy(r => r.LogicalId, StringComparer.Ordinal).ToList());
    }

    /// <summary>Drift is detected only on a stack that is settled and exists, as CloudFormation requires.</summary>
    private static void CheckDriftable(StackRecord stack)
    {
        if (StackStatus.IsInProgress(stack.Status) || stack.IsDeleted || stack.Status == StackStatus.ReviewInProgress)
            throw TemplateError.Validation($"Drift detection is not supported for stack {stack.StackName} in {stack.Status} state.");
    }

    // A drift result is state, not an event: it is recorded without one.
    private void RecordDrift(string stackId, string logicalId, ResourceDriftRecord drift) =>
        _store.Update(stackId, s => s.Resources.TryGetValue(logicalId, out var resource)
            ? s with { Resources = new Dictionary<string, StackResourceRecord>(s.Resources) { [logicalId] = resource with { Drift = drift } } }
            : s);

    // ---- cost estimates ----

    public CostEstimateRecord SaveEstimate(Scope scope, string templateBody, IReadOnlyList<SuppliedParameter> parameters)
    {
        var template = ParseTemplate(templateBody);
        var values = ParameterDefinition.Resolve(template, parameters, null);
        var estimate = new CostEstimateRecord(Guid.NewGuid().ToString("N"), templateBody, values, scope.Region, _store.Now);
        _store.Estimates.Put(estimate.Id, estimate);
        return estimate;
    }

    public CostEstimateRecord? FindEstimate(string id) => _store.Estimates.Get(id);

    public void Dispose()
    {
        // Stack set operations wait on stacks: they stop first.
        StackSets.Dispose();
        _engine.Dispose();
        Registry.WaitForRegistrations(TimeSpan.FromSeconds(10));
    }
}
