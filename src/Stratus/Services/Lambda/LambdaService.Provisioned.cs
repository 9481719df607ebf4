using Stratus.Protocols;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda;

/// <summary>What GetProvisionedConcurrencyConfig reports of one version or alias.</summary>
public sealed record ProvisionedConcurrencyState(string FunctionArn, int Requested, int Allocated, int Available, string Status, string? StatusReason,
    string LastModified);

/// <summary>
/// Provisioned concurrency (Put/Get/List/DeleteProvisionedConcurrencyConfig): a published version or an alias gets
/// that many execution environments started ahead of its invokes, initialised at once with
/// AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency, and its invokes use them before on-demand ones. They count
/// against the function's reserved concurrency or, without one, the account's unreserved concurrency, as on AWS.
/// Runtime management (Get/PutRuntimeManagementConfig) is recorded and reported.
/// </summary>
public sealed partial class LambdaService
{
    public ProvisionedConcurrencyState PutProvisionedConcurrency(Scope scope, string functionName, string qualifier, int requested)
    {
        var (function, version) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        qualifier = ParseName(functionName).Qualifier ?? qualifier;
        if (version == FunctionConfig.LatestVersion) throw LambdaErrors.ProvisionedOnUnpublished();
        LambdaRules.Check("PutProvisionedConcurrencyConfig", "ProvisionedConcurrentExecutions", requested);
        // Weights added later to an alias that already has provisioned concurrency are accepted, as AWS accepts them for
        // CodeDeploy's canary and linear shifts; only a Put on an alias that already splits traffic is refused.
        if (function.Aliases.FirstOrDefault(a => a.Name == qualifier) is { AdditionalVersionWeights.Count: > 0 })
            throw LambdaErrors.ProvisionedOnWeightedAlias();
        var updated = Change(scope, function.Name, f =>
        {
            var others = f.ProvisionedConcurrency.Where(p => p.Qualifier != qualifier).Sum(p => p.Requested);
            if (f.ReservedConcurrency is { } reserved)
            {
                if (others + requested > reserved) throw LambdaErrors.ProvisionedAboveReserved();
            }
            else if (UnreservedConcurrency(scope, f.Name) - others - requested < _settings.MinimumUnreserved)
                throw LambdaErrors.ProvisionedBelowUnreservedMinimum(_settings.MinimumUnreserved);
            CheckProvisionedOnce(f, qualifier);
            return f with
            {
                ProvisionedConcurrency = [.. f.ProvisionedConcurrency.Where(p => p.Qualifier != qualifier), new ProvisionedConcurrencySetting(qualifier, requested, Now)],
            };
        });
        Provision(updated, qualifier);
        return ProvisionedState(updated, updated.ProvisionedConcurrency.First(p => p.Qualifier == qualifier));
    }

    public ProvisionedConcurrencyState GetProvisionedConcurrency(Scope scope, string functionName, string qualifier)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        qualifier = ParseName(functionName).Qualifier ?? qualifier;
        return function.ProvisionedConcurrency.FirstOrDefault(p => p.Qualifier == qualifier) is { } setting
            ? ProvisionedState(function, setting)
            : throw LambdaErrors.ProvisionedConcurrencyConfigNotFound();
    }

    public IReadOnlyList<ProvisionedConcurrencyState> ListProvisionedConcurrency(Scope scope, string functionName)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, null);
        return function.ProvisionedConcurrency.Select(p => ProvisionedState(function, p)).ToList();
    }

    public void DeleteProvisionedConcurrency(Scope scope, string functionName, string qualifier)
    {
        var (function, _) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        qualifier = ParseName(functionName).Qualifier ?? qualifier;
        Change(scope, function.Name, f => f with { ProvisionedConcurrency = f.ProvisionedConcurrency.Where(p => p.Qualifier != qualifier).ToList() });
        _engine.Deprovision(ProvisionedKey(function, qualifier));
    }

    /// <summary>
    /// AWS provisions a version's environments through one configuration: not through an alias whose version has its own,
    /// nor directly while an alias with one points at it.
    /// </summary>
    private static void CheckProvisionedOnce(LambdaFunction function, string qualifier)
    {
        var configured = function.ProvisionedConcurrency.Where(p => p.Qualifier != qualifier).Select(p => p.Qualifier).ToHashSet(StringComparer.Ordinal);
        if (function.Aliases.FirstOrDefault(a => a.Name == qualifier) is { } alias)
        {
            if (configured.Contains(alias.FunctionVersion)) throw LambdaErrors.ProvisionedAliasOnProvisionedVersion();
        }
        else if (function.Aliases.Any(a => a.FunctionVersion == qualifier && configured.Contains(a.Name)))
            throw LambdaErrors.ProvisionedVersionUnderProvisionedAlias();
    }

    /// <summary>The account's unreserved concurrency as GetAccountSettings reports it: less what functions reserve, and less
    /// what functions without a reservation provision (AWS takes their provisioned concurrency from the unreserved pool).</summary>
    private int UnreservedConcurrency(Scope scope, string? except = null) =>
        UnreservedLimit(scope) - _functions.Values
            .Where(f => f.AccountId == scope.AccountId && f.Region == scope.Region && f.ReservedConcurrency is null && f.Name != except)
            .Sum(f => f.ProvisionedConcurrency.Sum(p => p.Requested));

    private int ProvisionedTotal(LambdaFunction function) => function.ProvisionedConcurrency.Sum(p => p.Requested);

    private ProvisionedConcurrencyState ProvisionedState(LambdaFunction function, ProvisionedConcurrencySetting setting)
    {
        var provisioned = _engine.Provisioned(ProvisionedKey(function, setting.Qualifier));
        return new ProvisionedConcurrencyState($"{function.Arn}:{setting.Qualifier}", setting.Requested, provisioned?.Allocated ?? 0,
            provisioned?.Available ?? 0, provisioned?.Status ?? "IN_PROGRESS", provisioned?.StatusReason, setting.LastModified);
    }

    private static string ProvisionedKey(LambdaFunction function, string qualifier) => $"{function.Arn}:{qualifier}";

    /// <summary>Starts the qualifier's environments for the version it names now (an alias's version at this moment).</summary>
    private void Provision(LambdaFunction function, string qualifier)
    {
        if (function.ProvisionedConcurrency.FirstOrDefault(p => p.Qualifier == qualifier) is not { } setting) return;
        var version = ResolveQualifier(function, qualifier);
        var config = ConfigFor(function, version);
        _engine.Provision(ProvisionedKey(function, qualifier), ProvisionedRunnableAsync(function, config), setting.Requested);
    }

    private async Task<RunnableFunction> ProvisionedRunnableAsync(LambdaFunction function, FunctionConfig config)
    {
        await _address.Bound;
        var onDemand = Runnable(function, config, await RootFsAsync(function, config, CancellationToken.None));
        return onDemand with
        {
            PoolKey = onDemand.PoolKey + ":provisioned",
            Variables = new Dictionary<string, string>(onDemand.Variables, StringComparer.Ordinal) { ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "provisioned-concurrency" },
        };
    }

    /// <summary>The provisioned environments an invoke of this qualifier may use: those of the version it was routed to.</summary>
    private ProvisionedEnvironments? ProvisionedFor(LambdaFunction function, string? qualifier, string version) =>
        qualifier is null || function.ProvisionedConcurrency.Count == 0 ? null
        : _engine.Provisioned(ProvisionedKey(function, qualifier)) is { Function: { } runnable } provisioned && runnable.Config.Version == version ? provisioned
        : null;

    /// <summary>After a restart, and after an alias moves to another version, the configurations are started again.</summary>
    private void ProvisionAll(LambdaFunction function)
    {
        foreach (var setting in function.ProvisionedConcurrency) Provision(function, setting.Qualifier);
    }

    private void DeprovisionAll(LambdaFunction function, Func<string, bool> which)
    {
        foreach (var setting in function.ProvisionedConcurrency.Where(p => which(p.Qualifier))) _engine.Deprovision(ProvisionedKey(function, setting.Qualifier));
    }

    // ---- runtime management ----

    public (string FunctionArn, FunctionConfig Config) PutRuntimeManagement(Scope scope, string functionName, string? qualifier, string updateRuntimeOn,
        string? runtimeVersionArn)
    {
        LambdaRules.Check("PutRuntimeManagementConfig", "UpdateRuntimeOn", updateRuntimeOn);
        if (updateRuntimeOn == "Manual" && runtimeVersionArn is null) throw LambdaErrors.RuntimeVersionArnRequired();
        if (updateRuntimeOn != "Manual" && runtimeVersionArn is not null) throw LambdaErrors.RuntimeVersionArnOnlyForManual(updateRuntimeOn);
        var (function, version) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        FunctionConfig Set(FunctionConfig config) => config with { RuntimeUpdateOn = updateRuntimeOn, RuntimeVersionArn = runtimeVersionArn };
        var updated = Change(scope, function.Name, f => version == FunctionConfig.LatestVersion
            ? f with { Latest = Set(f.Latest) }
            : f with { Versions = f.Versions.Select(v => v.Version == version ? Set(v) : v).ToList() });
        return (VersionArn(updated, version), ConfigFor(updated, version));
    }

    public (string FunctionArn, FunctionConfig Config) GetRuntimeManagement(Scope scope, string functionName, string? qualifier)
    {
        var (function, version) = Find(scope.AccountId, scope.Region, functionName, qualifier);
        return (VersionArn(function, version), ConfigFor(function, version));
    }

    private static string VersionArn(LambdaFunction function, string version) =>
        version == FunctionConfig.LatestVersion ? function.Arn : $"{function.Arn}:{version}";
}
