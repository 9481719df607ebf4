using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Ecr;
using Stratus.Services.Iam;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda;

/// <summary>What one run of a queued event came to: the function answered (with or without an error), was throttled, or can no longer run.</summary>
internal enum QueuedOutcome { Succeeded, FunctionError, Throttled, SystemError, Gone, RecursionStopped }

/// <summary>
/// Lambda's domain: functions, versions, aliases, resource policies and concurrency per account and
/// region; invocations through the execution engine, synchronous and queued.
/// </summary>
public sealed partial class LambdaService : ILambdaInvoker, IAsyncDisposable
{
    public const int MaxSyncPayloadBytes = 6 * 1024 * 1024;
    public const int MaxEventPayloadBytes = 256 * 1024;
    private const int MaxEnvironmentBytes = 4096;

    private static readonly HashSet<string> ReservedVariables = new(StringComparer.Ordinal)
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    };

    private readonly TimeProvider _clock;
    private readonly IIamRoles _roles;
    private readonly LambdaSettings _settings;
    private readonly ResourceTable<LambdaFunction> _functions;
    private readonly ResourceTable<QueuedEvent> _events;
    private readonly ResourceTable<LambdaLayer> _layers;
    private readonly ResourceTable<CodeSigningConfig> _codeSigningConfigs;
    private readonly CodeStore _code;
    private readonly LayerMount _layerMount;
    private readonly LambdaEngine _engine;
    private readonly LambdaTelemetry _telemetry;
    private readonly IImageRegistry _images;
    private readonly ConcurrentDictionary<string, RunnableFunction> _runnable = new(StringComparer.Ordinal);
    private readonly EventQueue _queue;
    private readonly ResourceTable<DurableExecution> _durable;
    /// <summary>Invokes durable executions' functions when they come due (a wait's end, a step's retry, a callback or chained invoke settled, an invocation's retry, the execution timeout).</summary>
    private readonly DueKeyRunner _durableScheduler;
    private readonly ConcurrentDictionary<(string AccountId, string Region), int> _unreservedLimits = new();
    private readonly StratusAddress _address;
    private readonly Ec2.IVpcNetwork _network;
    private readonly Kms.IKmsKeyUse _kms;
    private readonly Kms.IKmsEncryption _encryption;

    private LambdaService(TimeProvider clock, IIamRoles roles, LambdaSettings settings, ResourceTable<LambdaFunction> functions,
        ResourceTable<QueuedEvent> events, ResourceTable<DurableExecution> durable, ResourceTable<LambdaLayer> layers, ResourceTable<CodeSigningConfig> codeSigningConfigs, CodeStore code, LayerMount layerMount, LambdaEngine engine,
        LambdaTelemetry telemetry, IImageRegistry images, StratusAddress address, Ec2.IVpcNetwork network, Kms.IKmsKeyUse kms,
        Kms.IKmsEncryption encryption)
    {
        _kms = kms;
        _encryption = encryption;
        _layers = layers;
        _codeSigningConfigs = codeSigningConfigs;
        _layerMount = layerMount;
        _images = images;
        _network = network;
        _clock = clock;
        _roles = roles;
        _settings = settings;
        _functions = functions;
        _events = events;
        _code = code;
        _engine = engine;
        _telemetry = telemetry;
        _address = address;
        _queue = new EventQueue(this, events, clock, settings);
        _durable = durable;
        _durableScheduler = new DueKeyRunner("The durable execution scheduler", clock, TimeSpan.FromMilliseconds(250), DueDurableExecutions, RunDurableAsync);
        ResumeInterruptedDurableExecutions();
    }

    /// <summary>Starts the engine (its Runtime API listener) with the service: once, while Stratus starts.</summary>
    public static LambdaService Start(StateStore store, TimeProvider clock, IIamRoles roles, Sts.IRoleCredentials? roleCredentials,
        Logs.ILogWriter logs, CloudWatch.IMetricPublisher metrics, IImageRegistry images, string workDir, LambdaSettings settings, StratusAddress address, Ec2.IVpcNetwork network,
        Kms.IKmsKeyUse kms, Kms.IKmsEncryption encryption)
    {
        var telemetry = new LambdaTelemetry(logs, metrics);
        var engine = LambdaEngine.StartAsync(workDir, settings, telemetry.Record, config => Credentials(roleCredentials, config))
            .GetAwaiter().GetResult();
        var service = new LambdaService(clock, roles, settings, new ResourceTable<LambdaFunction>(store, "lambda.functions"),
            new ResourceTable<QueuedEvent>(store, "lambda.events"), new ResourceTable<DurableExecution>(store, "lambda.durable-executions"), new ResourceTable<LambdaLayer>(store, "lambda.layers"),
            new ResourceTable<CodeSigningConfig>(store, "lambda.code-signing-configs"),
            new CodeStore(Path.Combine(workDir, "code"), store.Durability), new LayerMount(Path.Combine(workDir, "opt"), store.Durability), engine, telemetry, images, address, network, kms, encryption);
        service.EncryptPlaintextVariables();
        // Image functions come back as they were: an unpack a restart interrupted finishes, a removed root file system is unpacked again.
        foreach (var function in service._functions.Values.ToList()) service.HoldImages(null, function, settleAll: true);
        foreach (var function in service._functions.Values.ToList()) service.ProvisionAll(function);
        return service;
    }

    public string Isolation => _engine.Isolation;


    public string CodeZipPath(string codeId) => File.Exists(_code.ZipOf(codeId)) ? _code.ZipOf(codeId)
        : throw LambdaErrors.ResourceNotFound(userFault: false);

    private string Now => _clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    private static string Key(string accountId, string region, string name) => ResourceTable<LambdaFunction>.Key(accountId, region, name);

    // ---- functions ----

    public LambdaFunction CreateFunction(Scope scope, string name, FunctionSettings settings, FunctionCode code,
        string? packageType, Dictionary<string, string> tags, bool publish)
    {
        CheckName(name);
        LambdaRules.CheckCreate("PackageType", packageType);
        packageType ??= "Zip";
        if (settings.Role is null) throw LambdaErrors.Validation.Missing("role");
        if (packageType == "Zip" && (settings.Runtime is null || settings.Handler is null))
            throw LambdaErrors.RuntimeAndHandlerRequired();
        if (packageType == "Image" && (settings.Runtime is not null || settings.Handler is not null))
            throw LambdaErrors.RuntimeAndHandlerNotForImages();

        var config = Apply(scope, new FunctionConfig { FunctionName = name, Role = settings.Role, LastModified = Now, PackageType = packageType }, settings);
        var codeSigning = CodeSigningForCreate(scope, settings.CodeSigningConfigArn, packageType)?.Arn;
        RefuseUnsigned(scope.AccountId, scope.Region, codeSigning, name);
        var image = packageType == "Image" && code.ImageUri is { } uri ? ResolveImage(scope, uri) : null;
        config = WithCode(config, code, code.ZipFile is { } zip && packageType == "Zip" ? _code.Save(zip, "CreateFunction") : null, image);
        CheckUnzippedTotal(config);
        if (image is not null)
            config = config with { State = "Pending", StateReason = "The function is being created.", StateReasonCode = "Creating" };
        var function = new LambdaFunction { AccountId = scope.AccountId, Region = scope.Region, Latest = config, Tags = tags, CodeSigningConfigArn = codeSigning };
        if (publish) function = Publish(function, null);
        if (!_functions.TryAdd(Key(scope.AccountId, scope.Region, name), function))
            throw LambdaErrors.FunctionExists(name);
        CountUnsigned(scope.AccountId, scope.Region, codeSigning, name);
        HoldImages(null, function);
        return function;
    }

    public (LambdaFunction Function, FunctionConfig Config) GetFunction(Scope scope, string functionName, string? qualifier)
    {
        var (function, resolvedQualifier) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        return (function, ConfigFor(function, resolvedQualifier));
    }

    public (IReadOnlyList<LambdaFunction> Functions, string? NextMarker) ListFunctions(Scope scope, string? marker, int? maxItems)
    {
        var limit = maxItems ?? 50;
        LambdaErrors.Validation.CheckRange("maxItems", limit, 1, 10000);
        var all = _functions.Values.Where(f => f.AccountId == scope.AccountId && f.Region == scope.Region)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .SkipWhile(f => marker is not null && string.CompareOrdinal(f.Name, marker) < 0)
            .Take(limit + 1).ToList();
        return all.Count > limit ? (all[..limit], all[limit].Name) : (all, null);
    }

    public LambdaFunction UpdateFunctionCode(Scope scope, string functionName, FunctionCode code, bool publish, string? revisionId)
    {
        // Unpacking happens before the change so the function table is never held during file work.
        var stored = code.ZipFile is { } zip ? _code.Save(zip, "UpdateFunctionCode") : null;
        var image = code.ImageUri is { } uri ? ResolveImage(scope, uri) : null;
        LambdaFunction? before = null;
        var updated = Change(scope, functionName, function =>
        {
            before = function;
            CheckRevision(function.Latest.RevisionId, revisionId);
            if (code.ImageUri is not null && function.Latest.PackageType != "Image")
                throw LambdaErrors.UpdateCodeSourceMissing();
            if (code.ZipFile is not null && function.Latest.PackageType != "Zip")
                throw LambdaErrors.ImageUriRequiredForUpdate();
            RefuseUnsigned(function.AccountId, function.Region, function.CodeSigningConfigArn, function.Name);
            var latest = WithCode(function.Latest, code, stored, image) with { LastModified = Now, RevisionId = Guid.NewGuid().ToString() };
            CheckUnzippedTotal(latest);
            if (image is not null) latest = latest with { LastUpdateStatus = "InProgress", LastUpdateStatusReason = null, LastUpdateStatusReasonCode = null };
            var next = function with { Latest = latest };
            return publish ? Publish(next, null) : next;
        });
        Retire(updated);
        CountUnsigned(updated.AccountId, updated.Region, updated.CodeSigningConfigArn, updated.Name);
        HoldImages(before, updated);
        return updated;
    }

    public LambdaFunction UpdateFunctionConfiguration(Scope scope, string functionName, FunctionSettings settings, string? revisionId)
    {
        var updated = Change(scope, functionName, function =>
        {
            CheckRevision(function.Latest.RevisionId, revisionId);
            if (function.Latest.PackageType == "Image" && (settings.Runtime is not null || settings.Handler is not null))
                throw LambdaErrors.RuntimeAndHandlerNotForImages();
            // Layers are deployed code too: with code signing on, AWS checks each layer a configuration adds.
            if (settings.Layers is { Count: > 0 }) RefuseUnsigned(function.AccountId, function.Region, function.CodeSigningConfigArn, function.Name);
            var latest = Apply(scope, function.Latest, settings) with { LastModified = Now, RevisionId = Guid.NewGuid().ToString() };
            CheckUnzippedTotal(latest);
            return function with { Latest = latest };
        });
        Retire(updated);
        if (settings.Layers is { Count: > 0 }) CountUnsigned(updated.AccountId, updated.Region, updated.CodeSigningConfigArn, updated.Name);
        return updated;
    }

    public void DeleteFunction(Scope scope, string functionName, string? qualifier)
    {
        var (function, resolved) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        if (qualifier is null)
        {
            _functions.Remove(Key(scope.AccountId, scope.Region, function.Name));
            ReservedConcurrencyChanged(scope);
            Retire(function);
            DeprovisionAll(function, _ => true);
            HoldImages(function, null);
            foreach (var queued in _events.Values.Where(e => e.AccountId == scope.AccountId && e.Region == scope.Region && e.FunctionName == function.Name).ToList())
                _events.Remove(queued.Id);
            return;
        }
        if (resolved == FunctionConfig.LatestVersion)
            throw LambdaErrors.LatestNotDeletable();
        if (function.Aliases.Any(a => a.FunctionVersion == resolved))
            throw LambdaErrors.VersionHasAliases(function.Aliases.Where(a => a.FunctionVersion == resolved).Select(a => a.Name));
        DeprovisionAll(function, q => q == resolved);
        HoldImages(function, Change(scope, function.Name, f => f with
        {
            Versions = f.Versions.Where(v => v.Version != resolved).ToList(),
            ProvisionedConcurrency = f.ProvisionedConcurrency.Where(p => p.Qualifier != resolved).ToList(),
        }));
    }

    // ---- versions and aliases ----

    public FunctionConfig PublishVersion(Scope scope, string functionName, string? description, string? codeSha256, string? revisionId)
    {
        var function = Change(scope, functionName, f =>
        {
            CheckRevision(f.Latest.RevisionId, revisionId);
            if (codeSha256 is not null && codeSha256 != f.Latest.CodeSha256)
                throw LambdaErrors.CodeSha256Mismatch(codeSha256, f.Latest.CodeSha256);
            return Publish(f, description);
        });
        return function.Versions[^1];
    }

    public IReadOnlyList<FunctionConfig> ListVersions(Scope scope, string functionName)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return [function.Latest, .. function.Versions];
    }

    public FunctionAlias CreateAlias(Scope scope, string functionName, string aliasName, string version, string? description, Dictionary<string, double>? weights)
    {
        CheckAliasName(aliasName);
        FunctionAlias? created = null;
        Change(scope, functionName, f =>
        {
            CheckVersionExists(f, version);
            CheckRouting(f, version, weights);
            if (f.Aliases.Any(a => a.Name == aliasName))
                throw LambdaErrors.AliasExists(f.Arn, aliasName);
            created = new FunctionAlias { Name = aliasName, FunctionVersion = version, Description = description ?? "", AdditionalVersionWeights = weights ?? [] };
            return f with { Aliases = [.. f.Aliases, created] };
        });
        return created!;
    }

    public (LambdaFunction Function, FunctionAlias Alias) GetAlias(Scope scope, string functionName, string aliasName)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return (function, function.Aliases.FirstOrDefault(a => a.Name == aliasName) ?? throw LambdaErrors.AliasNotFound(function.Arn, aliasName));
    }

    public (LambdaFunction Function, IReadOnlyList<FunctionAlias> Aliases) ListAliases(Scope scope, string functionName, string? version)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return (function, function.Aliases.Where(a => version is null || a.FunctionVersion == version).OrderBy(a => a.Name, StringComparer.Ordinal).ToList());
    }

    public FunctionAlias UpdateAlias(Scope scope, string functionName, string aliasName, string? version, string? description,
        Dictionary<string, double>? weights, string? revisionId)
    {
        FunctionAlias? updated = null;
        Change(scope, functionName, f =>
        {
            var alias = f.Aliases.FirstOrDefault(a => a.Name == aliasName) ?? throw LambdaErrors.AliasNotFound(f.Arn, aliasName);
            CheckRevision(alias.RevisionId, revisionId);
            if (version is not null) CheckVersionExists(f, version);
            CheckRouting(f, version ?? alias.FunctionVersion, weights ?? alias.AdditionalVersionWeights);
            updated = alias with
            {
                FunctionVersion = version ?? alias.FunctionVersion,
                Description = description ?? alias.Description,
                AdditionalVersionWeights = weights ?? alias.AdditionalVersionWeights,
                RevisionId = Guid.NewGuid().ToString(),
            };
            return f with { Aliases = f.Aliases.Select(a => a.Name == aliasName ? updated : a).ToList() };
        });
        // AWS moves an alias's provisioned concurrency to the version it now points to.
        if (version is not null) Provision(Find(scope.AccountId, scope.Region, functionName, null).Function, aliasName);
        return updated!;
    }

    public void DeleteAlias(Scope scope, string functionName, string aliasName)
    {
        var function = Change(scope, functionName, f => f with
        {
            Aliases = f.Aliases.Where(a => a.Name != aliasName).ToList(),
            ProvisionedConcurrency = f.ProvisionedConcurrency.Where(p => p.Qualifier != aliasName).ToList(),
        });
        _engine.Deprovision(ProvisionedKey(function, aliasName));
    }

    // ---- resource policy ----

    public PolicyStatement AddPermission(Scope scope, string functionName, string? qualifier, string sid, string action, string principal,
        string? sourceArn, string? sourceAccount, string? principalOrgId, string? functionUrlAuthType, string? revisionId)
    {
        if (!ActionPattern().IsMatch(action))
            throw LambdaErrors.Validation.Rejected("action", action, "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])");
        if (!StatementIdPattern().IsMatch(sid))
            throw LambdaErrors.Validation.Rejected("statementId", sid, "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)");
        PolicyStatement? added = null;
        Change(scope, functionName, f =>
        {
            CheckRevision(f.PolicyRevisionId, revisionId);
            ResolveQualifier(f, qualifier);
            if (f.Policy.Any(s => s.Sid == sid))
                throw LambdaErrors.StatementExists(sid);
            added = new PolicyStatement
            {
                Sid = sid,
                Action = action,
                Principal = principal,
                Resource = qualifier is null ? f.Arn : $"{f.Arn}:{qualifier}",
                SourceArn = sourceArn,
                SourceAccount = sourceAccount,
                PrincipalOrgId = principalOrgId,
                FunctionUrlAuthType = functionUrlAuthType,
            };
            return f with { Policy = [.. f.Policy, added], PolicyRevisionId = Guid.NewGuid().ToString() };
        });
        return added!;
    }

    public void RemovePermission(Scope scope, string functionName, string sid, string? revisionId) =>
        Change(scope, functionName, f =>
        {
            CheckRevision(f.PolicyRevisionId, revisionId);
            if (f.Policy.All(s => s.Sid != sid))
                throw LambdaErrors.StatementNotFound(sid);
            return f with { Policy = f.Policy.Where(s => s.Sid != sid).ToList(), PolicyRevisionId = Guid.NewGuid().ToString() };
        });

    public (string Policy, string RevisionId) GetPolicy(Scope scope, string functionName, string? qualifier)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        var resource = qualifier is null ? function.Arn : $"{function.Arn}:{qualifier}";
        var statements = function.Policy.Where(s => s.Resource == resource).ToList();
        if (statements.Count == 0)
            throw LambdaErrors.ResourceNotFound();
        return (LambdaPolicy.Document(statements), function.PolicyRevisionId);
    }

    // ---- tags ----

    // A resource ARN names a function or a code signing config, the two kinds of Lambda resource Stratus tags.

    public void TagResource(Scope scope, string resourceArn, Dictionary<string, string> tags) =>
        ChangeTags(scope, resourceArn, current => new Dictionary<string, string>(current.Concat(tags).GroupBy(t => t.Key).Select(g => g.Last())));

    public void UntagResource(Scope scope, string resourceArn, IReadOnlyCollection<string> keys) =>
        ChangeTags(scope, resourceArn, current => current.Where(t => !keys.Contains(t.Key)).ToDictionary());

    public IReadOnlyDictionary<string, string> ListTags(Scope scope, string resourceArn) =>
        ParseCodeSigningArn(resourceArn) is not null ? GetCodeSigningConfig(scope, resourceArn).Tags
            : Find(scope.AccountId, scope.Region, FunctionFromResourceArn(resourceArn), null).Function.Tags;

    private void ChangeTags(Scope scope, string resourceArn, Func<Dictionary<string, string>, Dictionary<string, string>> change)
    {
        if (ParseCodeSigningArn(resourceArn) is null)
        {
            Change(scope, FunctionFromResourceArn(resourceArn), f => f with { Tags = change(f.Tags) });
            return;
        }
        var config = GetCodeSigningConfig(scope, resourceArn);
        _codeSigningConfigs.Update(CodeSigningKey(config.AccountId, config.Region, config.Id), c => c with { Tags = change(c.Tags) });
    }

    private static string FunctionFromResourceArn(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function")
            throw LambdaErrors.Validation.Rejected("resource", arn, $"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{{2}}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{{1}}:\\d{{12}}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{{17}}|event-source-mapping:[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}})");
        return arn;
    }

    // ---- concurrency and account ----

    public int PutFunctionConcurrency(Scope scope, string functionName, int reserved)
    {
        if (reserved < 0)
            throw LambdaErrors.Validation.Rejected("reservedConcurrentExecutions", reserved, "Member must have value greater than or equal to 0");
        Change(scope, functionName, f =>
        {
            var others = _functions.Values.Where(o => o.AccountId == scope.AccountId && o.Region == scope.Region && o.Name != f.Name).Sum(o => o.ReservedConcurrency ?? 0);
            if (_settings.AccountConcurrency - others - reserved < _settings.MinimumUnreserved)
                throw LambdaErrors.UnreservedBelowMinimum(_settings.MinimumUnreserved);
            if (reserved < ProvisionedTotal(f)) throw LambdaErrors.ReservedBelowProvisioned(ProvisionedTotal(f));
            return f with { ReservedConcurrency = reserved };
        });
        ReservedConcurrencyChanged(scope);
        return reserved;
    }

    public int? GetFunctionConcurrency(Scope scope, string functionName) =>
        Find(scope.AccountId, scope.Region, functionName, null).Function.ReservedConcurrency;

    public void DeleteFunctionConcurrency(Scope scope, string functionName)
    {
        Change(scope, functionName, f => f with { ReservedConcurrency = null });
        ReservedConcurrencyChanged(scope);
    }

    public (int Limit, int Unreserved, long TotalCodeSize, int FunctionCount) AccountSettings(Scope scope)
    {
        var functions = _functions.Values.Where(f => f.AccountId == scope.AccountId && f.Region == scope.Region).ToList();
        return (_settings.AccountConcurrency, UnreservedConcurrency(scope),
            functions.Sum(f => f.Latest.CodeSize + f.Versions.Sum(v => v.CodeSize)), functions.Count);
    }

    /// <summary>What reserved concurrency leaves to the other functions; kept per account and region so invokes do not sum it.</summary>
    private int UnreservedLimit(Scope scope) =>
        _unreservedLimits.GetOrAdd((scope.AccountId, scope.Region), key =>
            _settings.AccountConcurrency - _functions.Values.Where(f => f.AccountId == key.AccountId && f.Region == key.Region).Sum(f => f.ReservedConcurrency ?? 0));

    private void ReservedConcurrencyChanged(Scope scope) => _unreservedLimits.TryRemove((scope.AccountId, scope.Region), out _);

    // ---- invoke ----

    public async Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation)
    {
        var (function, _) = Find(request.AccountId, request.Region, request.Function, request.Qualifier);
        if (request.CallerPrincipal is { } principal
            && !LambdaPolicy.Allows(function.Policy, principal, request.SourceArn, request.AccountId, function.Arn, request.Qualifier))
            throw LambdaErrors.InvokeDenied(principal, function.Arn);
        var response = await InvokeAsync(Scope.Of(request.AccountId, request.Region), request.Function, request.Qualifier, request.Payload,
            new InvokeOptions(request.DryRun ? "DryRun" : request.Asynchronous ? "Event" : "RequestResponse", false, null, request.TraceHeader), cancellation);
        return new LambdaInvokeResult(response.Payload, response.FunctionError, response.ExecutedVersion);
    }

    public async Task<InvokeResponse> InvokeAsync(Scope scope, string functionName, string? qualifier, ReadOnlyMemory<byte> payload,
        InvokeOptions options, CancellationToken cancellation)
    {
        var (function, version) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        version = Routed(function, qualifier ?? ParseName(functionName).Qualifier, version);
        var config = ConfigFor(function, version);
        var durable = config.Durable is not null && !options.DurableReplay;
        switch (options.InvocationType)
        {
            case "DryRun":
                return new InvokeResponse(204, ReadOnlyMemory<byte>.Empty, null, version, null);
            case "Event":
                if (payload.Length > MaxEventPayloadBytes)
                    throw LambdaErrors.PayloadTooLarge(MaxEventPayloadBytes);
                CheckRunnable(config);
                if (durable)
                    return await StartDurableAsync(scope, function, version, qualifier ?? ParseName(functionName).Qualifier, config, payload, options, cancellation);
                _queue.Enqueue(scope.AccountId, scope.Region, function.Name, qualifier ?? ParseName(functionName).Qualifier, payload, scope.RequestId, options.TraceHeader);
                return new InvokeResponse(202, ReadOnlyMemory<byte>.Empty, null, version, null);
            case "RequestResponse":
                break;
            default:
                throw LambdaErrors.UnsupportedInvocationType(options.InvocationType);
        }
        if (payload.Length > MaxSyncPayloadBytes)
            throw LambdaErrors.PayloadTooLarge(MaxSyncPayloadBytes);
        CheckPayloadIsJson(payload);
        CheckRunnable(config);
        CheckEnvironmentDecryptable(function.AccountId, function.Region, config);
        if (durable)
            return await StartDurableAsync(scope, function, version, qualifier ?? ParseName(functionName).Qualifier, config, payload, options, cancellation);

        // Functions reach Stratus at its bound address; a queued event resumed at start waits for the listener.
        await _address.Bound.WaitAsync(cancellation);
        // Cheap once unpacked (the usual case: unpacking starts when the code is set); waits for an unpack still running.
        var runnable = Runnable(function, config, await RootFsAsync(function, config, cancellation));
        var requestId = Guid.NewGuid().ToString();
        var (trace, _) = TraceLineage.Next(options.TraceHeader, function.Arn, requestId, _clock.GetUtcNow());
        var invocation = new Invocation(requestId, payload, qualifier is null ? function.Arn : $"{function.Arn}:{qualifier}", options.ClientContext, trace) { Stream = options.Stream };
        if (options.Stream is { } stream) stream.ExecutedVersion = version;
        InvocationRecord record;
        try
        {
            record = await _engine.InvokeAsync(runnable, invocation, UnreservedLimit(scope),
                ProvisionedFor(function, qualifier ?? ParseName(functionName).Qualifier, version));
        }
        catch (AwsException throttled) when (throttled.Code == "TooManyRequestsException")
        {
            _telemetry.Throttled(runnable);
            throw;
        }
        string? logResult = null;
        if (options.TailLog)
        {
            // The function's last lines may still be in its output pipe when its response arrives.
            await Task.Delay(20, cancellation);
            logResult = LambdaTelemetry.TailBase64(record);
        }
        return new InvokeResponse(200, record.Outcome.Payload, record.Outcome.FunctionError, version, logResult);
    }

    /// <summary>Runs one queued event and says what became of it.</summary>
    internal async Task<(QueuedOutcome Outcome, InvokeResponse? Response)> RunQueuedAsync(QueuedEvent queued)
    {
        try
        {
            if (StopsRecursion(queued)) return (QueuedOutcome.RecursionStopped, null);
            var response = await InvokeAsync(Scope.Of(queued.AccountId, queued.Region), queued.FunctionName, queued.Qualifier,
                Convert.FromBase64String(queued.PayloadBase64), new InvokeOptions("RequestResponse", false, null, queued.TraceHeader), CancellationToken.None);
            return (response.FunctionError is null ? QueuedOutcome.Succeeded : QueuedOutcome.FunctionError, response);
        }
        catch (AwsException e) when (e.Code == "TooManyRequestsException")
        {
            return (QueuedOutcome.Throttled, null);
        }
        catch (AwsException e) when (e.Code.StartsWith("KMS", StringComparison.Ordinal) && !e.IsSenderFault)
        {
            // A key that no longer decrypts the function's variables is a system error (502): AWS returns such an event to
            // the queue until its maximum age, as it does throttled ones, so re-enabling the key in time lets it run.
            return (QueuedOutcome.SystemError, null);
        }
        catch (AwsException)
        {
            // The function is gone or can no longer run: nothing will make a retry succeed.
            return (QueuedOutcome.Gone, null);
        }
    }

    private void CheckRunnable(FunctionConfig config)
    {
        if (config.PackageType == "Image")
        {
            if (_engine.ImageSandboxUnavailable is { } reason) throw LambdaErrors.ImageSandboxUnavailable(reason);
            if (config.State != "Active") throw LambdaErrors.FunctionNotActive(config.State);
            return;
        }
        if (!RuntimeCatalog.IsRunnable(config.Runtime ?? ""))
            throw LambdaErrors.RuntimeNotRunnable(config.Runtime, RuntimeCatalog.Runnable);
    }

    private static void CheckPayloadIsJson(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty) return;
        var reader = new Utf8JsonReader(payload.Span);
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            throw LambdaErrors.PayloadNotJson();
        }
    }

    private async Task<string?> RootFsAsync(LambdaFunction function, FunctionConfig config, CancellationToken cancellation) =>
        config.ImageManifestDigest is { } digest ? await _images.UnpackAsync(digest, function.Arn, cancellation) : null;

    /// <param name="rootFs">An image function's unpacked image; null for a zip function.</param>
    private RunnableFunction Runnable(LambdaFunction function, FunctionConfig config, string? rootFs)
    {
        var key = $"{function.Arn}:{config.Version}:{config.RevisionId}";
        if (_runnable.TryGetValue(key, out var cached) && cached.ReservedConcurrency == function.ReservedConcurrency) return cached;
        // Decrypted once per configuration: this runnable is kept until the function's code or configuration changes.
        var variables = new Dictionary<string, string>(Variables(function, config), StringComparer.Ordinal)
        {
            ["AWS_LAMBDA_FUNCTION_NAME"] = function.Name,
            ["AWS_LAMBDA_FUNCTION_VERSION"] = config.Version,
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = config.MemorySize.ToString(CultureInfo.InvariantCulture),
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = config.LogGroup,
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand",
            ["AWS_REGION"] = function.Region,
            ["AWS_DEFAULT_REGION"] = function.Region,
            ["_HANDLER"] = config.Handler ?? "",
            ["AWS_ENDPOINT_URL"] = _address.BaseUrl.ToString().TrimEnd('/'),
        };
        // With the JSON log format Lambda tells the runtime the format and the application log level, so its logging writes
        // JSON records at that level (AWS's runtime clients read these two variables).
        if (config.Logging is { IsJson: true } json)
        {
            variables["AWS_LAMBDA_LOG_FORMAT"] = "JSON";
            variables["AWS_LAMBDA_LOG_LEVEL"] = json.ApplicationLogLevel ?? "INFO";
        }
        // An image function has no Handler: Lambda sets _HANDLER over the image's own ENV from the command it runs
        // (ImageConfig.Command, else the image's CMD), so a runtime client that reads it sees CMD[0], as AWS's base
        // images' entrypoint also exports it from its first argument; an image without CMD sees it empty.
        if (rootFs is not null) variables["_HANDLER"] = (config.ImageConfig?.Command ?? config.Image?.Command ?? []).FirstOrDefault() ?? "";
        var runnable = new RunnableFunction(function.AccountId, function.Region, function.Arn, key, config, rootFs ?? _code.DirectoryOf(CodeId(config)),
            function.ReservedConcurrency, variables, rootFs is null ? null : Launch(config), OptDirOf(config));
        _runnable[key] = runnable;
        return runnable;
    }

    /// <summary>
    /// An environment's credentials: a session of the function's role, issued per environment as Lambda does;
    /// without STS, or when the role is gone, the account's own key (a 12-digit key id is the account in Stratus).
    /// </summary>
    private static IReadOnlyDictionary<string, string> Credentials(Sts.IRoleCredentials? roleCredentials, FunctionConfig config)
    {
        if (roleCredentials?.AssumeRoleAsService(config.Role, config.FunctionName, TimeSpan.FromHours(12)) is { } session)
            return new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = session.AccessKeyId,
                ["AWS_SECRET_ACCESS_KEY"] = session.SecretAccessKey,
                ["AWS_SESSION_TOKEN"] = session.SessionToken,
            };
        var accountId = config.Role.Split(':') is { Length: > 4 } parts ? parts[4] : "000000000000";
        return new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = accountId, ["AWS_SECRET_ACCESS_KEY"] = "stratus-lambda" };
    }

    private static string CodeId(FunctionConfig config) => Convert.ToHexStringLower(Convert.FromBase64String(config.CodeSha256));

    private void Retire(LambdaFunction function)
    {
        _engine.Retire(function.Arn);
        ForgetVariables(function);
        foreach (var key in _runnable.Keys.Where(k => k.StartsWith(function.Arn + ":", StringComparison.Ordinal)).ToList()) _runnable.TryRemove(key, out _);
    }

    // ---- helpers ----

    private LambdaFunction Change(Scope scope, string functionName, Func<LambdaFunction, LambdaFunction> change)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return _functions.Update(Key(scope.AccountId, scope.Region, function.Name), change) ?? throw NotFound(scope.AccountId, scope.Region, function.Name, null);
    }

    /// <summary>The function a name, partial ARN or ARN (possibly qualified) names, and the version its qualifier resolves to.</summary>
    private (LambdaFunction Function, string Version) Find(string accountId, string region, string functionName, string? qualifier)
    {
        var (name, arnQualifier) = ParseName(functionName);
        if (arnQualifier is not null && qualifier is not null && arnQualifier != qualifier)
            throw LambdaErrors.QualifierMismatch();
        qualifier ??= arnQualifier;
        var function = _functions.Get(Key(accountId, region, name)) ?? throw NotFound(accountId, region, name, qualifier);
        return (function, ResolveQualifier(function, qualifier));
    }

    private string ResolveQualifier(LambdaFunction function, string? qualifier)
    {
        if (qualifier is null or FunctionConfig.LatestVersion) return FunctionConfig.LatestVersion;
        if (function.Versions.Any(v => v.Version == qualifier)) return qualifier;
        if (function.Aliases.FirstOrDefault(a => a.Name == qualifier) is { } alias) return alias.FunctionVersion;
        throw NotFound(function.AccountId, function.Region, function.Name, qualifier);
    }

    private static FunctionConfig ConfigFor(LambdaFunction function, string version) =>
        version == FunctionConfig.LatestVersion ? function.Latest : function.Versions.First(v => v.Version == version);

    private static (string Name, string? Qualifier) ParseName(string functionName)
    {
        var match = FunctionNamePattern().Match(functionName);
        if (!match.Success || functionName.Length > 170)
            throw LambdaErrors.Validation.Rejected("functionName", functionName, $"Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
        return (match.Groups["name"].Value, match.Groups["qualifier"].Success ? match.Groups["qualifier"].Value : null);
    }

    private static void CheckName(string name)
    {
        if (name.Length is < 1 or > 64 || !PlainNamePattern().IsMatch(name))
            throw LambdaErrors.Validation.Rejected("functionName", name, $"Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
    }

    private static void CheckAliasName(string name)
    {
        if (!AliasNamePattern().IsMatch(name))
            throw LambdaErrors.Validation.Rejected("name", name, "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)");
    }

    private static void CheckVersionExists(LambdaFunction function, string version)
    {
        if (version != FunctionConfig.LatestVersion && function.Versions.All(v => v.Version != version))
            throw LambdaErrors.FunctionNotFound($"{function.Arn}:{version}");
    }

    /// <summary>A RoutingConfig as AWS accepts it: published versions other than the alias's own, weights within [0, 1], never with $LATEST.</summary>
    private static void CheckRouting(LambdaFunction function, string version, Dictionary<string, double>? weights)
    {
        if (weights is not { Count: > 0 }) return;
        if (version == FunctionConfig.LatestVersion) throw LambdaErrors.RoutingWithLatest();
        foreach (var (additional, weight) in weights)
        {
            if (weight is < 0 or > 1 || double.IsNaN(weight))
                throw LambdaErrors.Validation.Rejected("routingConfig.additionalVersionWeights", weight, "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]");
            if (additional == version) throw LambdaErrors.RoutingRepeatsVersion(additional);
            if (additional == FunctionConfig.LatestVersion) throw LambdaErrors.RoutingWithLatest();
            CheckVersionExists(function, additional);
        }
        if (weights.Values.Sum() > 1) throw LambdaErrors.RoutingWeightsOverOne();
    }

    private static void CheckRevision(string current, string? expected)
    {
        if (expected is not null && expected != current)
            throw LambdaErrors.RevisionMismatch();
    }

    private LambdaFunction Publish(LambdaFunction function, string? description)
    {
        if (function.PublishedRevisionId == function.Latest.RevisionId) return function;
        var version = function.Latest with
        {
            Version = function.NextVersion.ToString(CultureInfo.InvariantCulture),
            Description = description ?? function.Latest.Description,
            LastModified = Now,
            RevisionId = Guid.NewGuid().ToString(),
        };
        return function with { Versions = [.. function.Versions, version], NextVersion = function.NextVersion + 1, PublishedRevisionId = function.Latest.RevisionId };
    }

    private static FunctionConfig WithCode(FunctionConfig config, FunctionCode code, StoredCode? stored, ResolvedImage? image)
    {
        if (config.PackageType == "Image")
        {
            if (code.ImageUri is null || image is null) throw LambdaErrors.ImageUriRequired();
            CheckPlatform(image, config);
            // As AWS: CodeSha256 of an image function is its image digest's hex.
            return config with
            {
                ImageUri = code.ImageUri, ResolvedImageUri = image.ResolvedImageUri, ImageManifestDigest = image.ManifestDigest, Image = image.Config,
                CodeSha256 = image.Digest["sha256:".Length..], CodeSize = 0,
            };
        }
        if (code.ImageUri is not null) throw LambdaErrors.ImageUriNotForZip();
        if (stored is null) throw LambdaErrors.CodeSourceMissing();
        return config with { CodeSha256 = stored.Sha256, CodeSize = stored.Size };
    }

    private FunctionConfig Apply(Scope scope, FunctionConfig config, FunctionSettings settings)
    {
        if (settings.Runtime is { } runtime)
        {
            if (RuntimeCatalog.Replacement(runtime) is { } replacement)
                throw LambdaErrors.DeprecatedRuntime(runtime, replacement);
            if (!RuntimeCatalog.IsKnown(runtime))
                throw LambdaErrors.UnknownRuntime(runtime, RuntimeCatalog.Known);
        }
        // A template's values meet the same rules the wire checked its request against.
        LambdaRules.CheckCreate("Handler", settings.Handler);
        LambdaRules.CheckCreate("Timeout", settings.Timeout);
        LambdaRules.CheckCreate("MemorySize", settings.MemorySize);
        LambdaRules.CheckCreate("EphemeralStorage", settings.EphemeralStorageSize is { } storage ? new { Size = storage } : null);
        LambdaRules.CheckCreate("Description", settings.Description);
        if (settings.Environment is { } environment) CheckEnvironment(environment);
        if (settings.Role is { } role) CheckRole(role);
        if (settings.NotServed.FirstOrDefault() is { } notServed) throw LambdaErrors.MemberNotServed(notServed);
        if (settings.DeadLetterTarget is { Length: > 0 } deadLetter) throw LambdaErrors.DeadLetterNotServed(deadLetter);
        LambdaRules.CheckCreate("TracingConfig", settings.TracingMode is { } tracing ? new { Mode = tracing } : null);
        LambdaRules.CheckCreate("SnapStart", settings.SnapStartApplyOn is { } applyOn ? new { ApplyOn = applyOn } : null);
        LambdaRules.CheckCreate("KMSKeyArn", settings.KmsKeyArn);
        if (settings.KmsKeyArn is { Length: > 0 } keyArn) CheckKeyGrantable(scope, keyArn);
        var snapStart = settings.SnapStartApplyOn ?? config.SnapStartApplyOn;
        if (snapStart == "PublishedVersions" && !SupportsSnapStart(settings.Runtime ?? config.Runtime))
            throw LambdaErrors.SnapStartRuntime(settings.Runtime ?? config.Runtime);
        var durable = settings.Durable is { } durableGiven ? Durable(config.Durable, durableGiven) : config.Durable;
        var subnetIds = settings.SubnetIds ?? config.SubnetIds;
        var securityGroupIds = settings.SecurityGroupIds ?? config.SecurityGroupIds;
        var applied = config with
        {
            // Checked when VpcConfig is given; a call that leaves it out keeps the function's placement as it is.
            VpcId = settings.SubnetIds is null && settings.SecurityGroupIds is null ? config.VpcId : VpcOf(scope, subnetIds, securityGroupIds),
            Runtime = settings.Runtime ?? config.Runtime,
            Role = settings.Role ?? config.Role,
            Handler = settings.Handler ?? config.Handler,
            Description = settings.Description ?? config.Description,
            Timeout = settings.Timeout ?? config.Timeout,
            MemorySize = settings.MemorySize ?? config.MemorySize,
            EphemeralStorageSize = settings.EphemeralStorageSize ?? config.EphemeralStorageSize,
            SubnetIds = subnetIds,
            SecurityGroupIds = securityGroupIds,
            Architectures = settings.Architectures ?? config.Architectures,
            Layers = settings.Layers is { } layers ? ResolveLayers(scope, layers, config.PackageType) : config.Layers,
            // An ImageConfig with no member set clears the overrides, as AWS does for ImageConfig {}.
            ImageConfig = config.PackageType == "Image" && (settings.ImageConfig ?? config.ImageConfig) is { } image
                && image != FunctionImageConfig.None ? image : null,
            Logging = settings.Logging is { } logging ? Logging(config.Logging, logging) : config.Logging,
            TracingMode = settings.TracingMode ?? config.TracingMode,
            KmsKeyArn = settings.KmsKeyArn is { } key ? (key.Length == 0 ? null : key) : config.KmsKeyArn,
            SnapStartApplyOn = snapStart,
            Durable = durable,
        };
        return ApplyVariables(scope, config, applied, settings.Environment);
    }

    /// <summary>Lambda asks KMS for a grant on a function's key when it is set; KMS's refusal is carried in Lambda's error.</summary>
    private void CheckKeyGrantable(Scope scope, string keyArn)
    {
        try
        {
            _kms.CheckGrantable(scope, keyArn);
        }
        catch (AwsException kms)
        {
            throw LambdaErrors.KmsKeyNotGrantable(kms);
        }
    }

    /// <summary>
    /// A function with environment variables under its own key needs that key to decrypt them before it runs: a key disabled,
    /// pending deletion or deleted since fails the invoke with AWS's 502 for that state. Without variables there is nothing to decrypt.
    /// </summary>
    private void CheckEnvironmentDecryptable(string accountId, string region, FunctionConfig config)
    {
        if (config.KmsKeyArn is not { } keyArn || config.EncryptedEnvironment is null) return;
        try
        {
            _kms.CheckDecryptable(Scope.Of(accountId, region), keyArn);
        }
        catch (AwsException kms)
        {
            throw LambdaErrors.EnvironmentNotDecryptable(kms);
        }
    }

    /// <summary>SnapStart's runtimes as AWS documents them: Java 11 and later, Python 3.12 and later, .NET 8 and later.</summary>
    private static bool SupportsSnapStart(string? runtime) =>
        runtime is "java11" or "java17" or "java21" or "java25" or "python3.12" or "python3.13" or "python3.14" or "dotnet8" or "dotnet10";

    /// <summary>
    /// A LoggingConfig over the function's: members not given keep their values. Levels exist only with JSON (refused with
    /// Text, as AWS refuses them) and default to INFO there; the Text format drops them.
    /// </summary>
    private static FunctionLogging Logging(FunctionLogging? current, LoggingSettings given)
    {
        LambdaRules.CheckCreate("LoggingConfig", new { given.LogFormat, given.LogGroup, given.ApplicationLogLevel, given.SystemLogLevel });
        if (given.Whole) current = null;
        var format = given.LogFormat ?? current?.LogFormat ?? "Text";
        var group = given.LogGroup ?? current?.LogGroup;
        if (format != "JSON")
        {
            if (given.ApplicationLogLevel is not null || given.SystemLogLevel is not null) throw LambdaErrors.LogLevelNeedsJson();
            return new FunctionLogging("Text", group, null, null);
        }
        return new FunctionLogging("JSON", group, given.ApplicationLogLevel ?? current?.ApplicationLogLevel ?? "INFO",
            given.SystemLogLevel ?? current?.SystemLogLevel ?? "INFO");
    }

    /// <summary>
    /// The VPC a VpcConfig places the function in: its subnets and security groups must exist in EC2, in one VPC,
    /// refused in Lambda's words (which quote EC2's error) otherwise. No subnets and no groups: no VPC.
    /// </summary>
    private string? VpcOf(Scope scope, IReadOnlyList<string> subnetIds, IReadOnlyList<string> securityGroupIds)
    {
        if (subnetIds.Count == 0 && securityGroupIds.Count == 0) return null;
        if (subnetIds.Count == 0 || securityGroupIds.Count == 0)
            throw LambdaErrors.VpcConfigIncomplete();
        var vpcs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in subnetIds)
            vpcs.Add((_network.FindSubnet(scope, id) ?? throw LambdaErrors.SubnetNotFound(id)).VpcId);
        foreach (var id in securityGroupIds)
            vpcs.Add((_network.FindSecurityGroup(scope, id) ?? throw LambdaErrors.SecurityGroupNotFound(id)).VpcId);
        if (vpcs.Count > 1)
            throw LambdaErrors.VpcConfigSpansVpcs(vpcs);
        return vpcs.Single();
    }

    // ---- container images ----

    /// <summary>The image an ImageUri names now; AWS's InvalidParameterValueException when it is malformed or does not exist.</summary>
    private ResolvedImage ResolveImage(Scope scope, string imageUri)
    {
        if (!ImageUriPattern().IsMatch(imageUri)) throw LambdaErrors.ImageUriInvalid(imageUri);
        return _images.Resolve(scope, imageUri);
    }

    /// <summary>
    /// An image must be built for the function's architecture (AWS refuses an image it cannot run with this
    /// error, e.g. an index without a manifest for it), and Stratus runs only this machine's architecture.
    /// </summary>
    private static void CheckPlatform(ResolvedImage image, FunctionConfig config)
    {
        var architecture = config.Architectures.FirstOrDefault() ?? "x86_64";
        if (image.Platform.Os != "linux" || image.Platform.LambdaArchitecture != architecture)
            throw LambdaErrors.ImageNotSupported(image.ResolvedImageUri);
        var machine = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "x86_64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            var other => other.ToString(),
        };
        if (architecture != machine)
            throw LambdaErrors.ArchitectureNotRunnable(machine, image.ResolvedImageUri, architecture);
    }

    /// <summary>ENTRYPOINT + CMD in WORKDIR, each replaced by ImageConfig's member when that is set.</summary>
    /// <summary>
    /// Weighted alias routing, as AWS routes each invocation of an alias with a RoutingConfig: the additional version
    /// serves its weight's share of invocations, the alias's own version the rest. An Event invocation is routed when it
    /// runs (it is queued under the alias), so each attempt is routed afresh.
    /// </summary>
    private static string Routed(LambdaFunction function, string? qualifier, string version)
    {
        if (qualifier is null || function.Aliases.FirstOrDefault(a => a.Name == qualifier) is not { AdditionalVersionWeights.Count: > 0 } alias)
            return version;
        var roll = Random.Shared.NextDouble();
        foreach (var (additional, weight) in alias.AdditionalVersionWeights)
        {
            if (roll < weight) return additional;
            roll -= weight;
        }
        return version;
    }

    private static ImageLaunch Launch(FunctionConfig config)
    {
        var image = config.Image ?? new ImageRunConfig([], [], [], null, null);
        var entryPoint = config.ImageConfig?.EntryPoint ?? image.EntryPoint;
        var command = config.ImageConfig?.Command ?? image.Command;
        var directory = config.ImageConfig?.WorkingDirectory is { Length: > 0 } overridden ? overridden
            : image.WorkingDirectory is { Length: > 0 } own ? own : "/";
        return new ImageLaunch([.. entryPoint, .. command], directory, image.Environment);
    }

    /// <summary>Every account's and region's functions, for the console.</summary>
    public IReadOnlyList<LambdaFunction> AllFunctions() => _functions.Values.ToList();

    private static IEnumerable<string> ImageDigests(LambdaFunction? function) =>
        function is null ? [] : new[] { function.Latest }.Concat(function.Versions).Select(c => c.ImageManifestDigest).OfType<string>().Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Keeps each image a version of the function runs unpacked, held under the function's ARN, and releases the
    /// ones no version runs any more (after a code update, a deleted version, a deleted function). Versions waiting
    /// for their image (Pending, or an update InProgress) become Active/Successful, or Failed with the reason, when it is unpacked.
    /// </summary>
    private void HoldImages(LambdaFunction? before, LambdaFunction? after, bool settleAll = false)
    {
        var needed = ImageDigests(after).ToList();
        foreach (var digest in ImageDigests(before).Except(needed)) _images.Release(digest, before!.Arn);
        if (after is null) return;
        var waiting = new[] { after.Latest }.Concat(after.Versions).Where(Waiting).Select(c => c.ImageManifestDigest).OfType<string>();
        foreach (var digest in (settleAll ? needed : waiting).Distinct(StringComparer.Ordinal).ToList())
            _ = UnpackImageAsync(after, digest);
    }

    private static bool Waiting(FunctionConfig config) => config.State == "Pending" || config.LastUpdateStatus == "InProgress";

    private async Task UnpackImageAsync(LambdaFunction function, string digest)
    {
        string? failure = null;
        try
        {
            await _images.UnpackAsync(digest, function.Arn, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or AwsException)
        {
            failure = $"Stratus could not unpack the image {digest}: {e.Message}";
        }
        FunctionConfig Settle(FunctionConfig config) =>
            config.ImageManifestDigest != digest || !Waiting(config) ? config
            : failure is null ? config with { State = "Active", StateReason = null, StateReasonCode = null, LastUpdateStatus = "Successful", LastUpdateStatusReason = null, LastUpdateStatusReasonCode = null }
            : config.State == "Pending" ? config with { State = "Failed", StateReason = failure, StateReasonCode = "InvalidImage" }
            : config with { LastUpdateStatus = "Failed", LastUpdateStatusReason = failure, LastUpdateStatusReasonCode = "InvalidImage" };
        _functions.Update(Key(function.AccountId, function.Region, function.Name),
            f => f with { Latest = Settle(f.Latest), Versions = f.Versions.Select(Settle).ToList() });
    }

    private static void CheckEnvironment(Dictionary<string, string> variables)
    {
        var reserved = variables.Keys.Where(ReservedVariables.Contains).ToList();
        if (reserved.Count > 0)
            throw LambdaErrors.ReservedEnvironmentKeys(reserved);
        foreach (var key in variables.Keys.Where(k => !VariableNamePattern().IsMatch(k)))
            throw LambdaErrors.Validation.Rejected("environment.variables", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
        var measured = JsonSerializer.Serialize(variables);
        if (Encoding.UTF8.GetByteCount(measured) > MaxEnvironmentBytes)
            throw LambdaErrors.EnvironmentTooLarge(measured);
    }

    private void CheckRole(string role)
    {
        if (!RolePattern().IsMatch(role))
            throw LambdaErrors.Validation.Rejected("role", role, $"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{{12}}:role/?[a-zA-Z_0-9+=,.@\\-_/]+");
        var found = _roles.FindRoleByArn(role);
        if (found is null || !PolicyDocument.TrustsService(found.AssumeRolePolicyDocument, "lambda.amazonaws.com"))
            throw LambdaErrors.RoleNotAssumable();
    }

    private static AwsException NotFound(string accountId, string region, string name, string? qualifier) =>
        LambdaErrors.FunctionNotFound($"{LambdaArns.Function(accountId, region, name)}{(qualifier is null ? "" : ":" + qualifier)}");

    [GeneratedRegex(@"^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?(?<name>[a-zA-Z0-9-_]+)(:(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$")]
    private static partial Regex FunctionNamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9-_]+$")]
    private static partial Regex PlainNamePattern();

    [GeneratedRegex(@"^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")]
    private static partial Regex AliasNamePattern();

    [GeneratedRegex(@"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")]
    private static partial Regex RolePattern();

    [GeneratedRegex(@"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$")]
    private static partial Regex ActionPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9-_]+$")]
    private static partial Regex StatementIdPattern();

    [GeneratedRegex(@"^[a-zA-Z]([a-zA-Z0-9_])+$")]
    private static partial Regex VariableNamePattern();

    /// <summary>REGISTRY/REPOSITORY followed by :TAG or @sha256:DIGEST, the form Lambda accepts (ECR or a local registry).</summary>
    [GeneratedRegex(@"^[a-z0-9.\-]+(:\d+)?/[a-z0-9._\-/]+(:[\w.\-]{1,128}|@sha256:[0-9a-f]{64})$")]
    private static partial Regex ImageUriPattern();

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        await _durableScheduler.DisposeAsync();
        await _engine.DisposeAsync();
        await _telemetry.DisposeAsync();
    }
}
