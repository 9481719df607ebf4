using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Engine;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>API keys, usage plans and their keys, and the per-day request counts the quotas are measured from; all written through to the store.</summary>
internal sealed class UsagePlanTables(StateStore store)
{
    public ResourceTable<ApiKeyDocument> Keys { get; } = new(store, "apigateway.apikeys");
    public ResourceTable<UsagePlanDocument> Plans { get; } = new(store, "apigateway.usageplans");
    public ResourceTable<KeyUsageDocument> Usage { get; } = new(store, "apigateway.usage");
    /// <summary>The throttle buckets, in memory as on AWS (a restart refills them); keyed by plan, key and the throttle's values, so a changed throttle starts a new bucket.</summary>
    public ConcurrentDictionary<(string Plan, string Key, double Rate, int Burst), TokenBucket> Buckets { get; } = new();

    private long _version;
    private MeteringIndex? _index;

    /// <summary>
    /// The index a metered request is looked up in, rebuilt on the first request after any change to keys or plans (<see cref="Changed"/>),
    /// so the hot path finds its key and plan by value instead of scanning every key and plan. A build that raced a change is not kept.
    /// </summary>
    public MeteringIndex Index
    {
        get
        {
            var version = Interlocked.Read(ref _version);
            if (Volatile.Read(ref _index) is { } current && current.Version == version) return current;
            var built = MeteringIndex.Build(version, Keys.Values, Plans.Values);
            Volatile.Write(ref _index, built);
            return built;
        }
    }

    public void Changed() => Interlocked.Increment(ref _version);
}

/// <summary>Each API key's id by its value, and the usage plan each key meets on an API stage (AWS allows at most one), per account and region.</summary>
internal sealed class MeteringIndex(long version, Dictionary<(string Account, string Region, string Value), string> keyIds,
    Dictionary<(string Account, string Region, string KeyId, string ApiId, string Stage), string> planIds)
{
    public long Version { get; } = version;
    public IReadOnlyDictionary<(string Account, string Region, string Value), string> KeyIds { get; } = keyIds;
    public IReadOnlyDictionary<(string Account, string Region, string KeyId, string ApiId, string Stage), string> PlanIds { get; } = planIds;

    public static MeteringIndex Build(long version, IEnumerable<ApiKeyDocument> keys, IEnumerable<UsagePlanDocument> plans)
    {
        var keyIds = new Dictionary<(string, string, string), string>();
        foreach (var key in keys)
            if (key.Key.Value is { } value) keyIds[(key.AccountId, key.Region, value)] = key.Key.Id;
        var planIds = new Dictionary<(string, string, string, string, string), string>();
        foreach (var plan in plans)
            foreach (var keyId in plan.KeyIds)
                foreach (var stage in plan.Plan.ApiStages)
                    planIds.TryAdd((plan.AccountId, plan.Region, keyId, stage.ApiId, stage.Stage), plan.Plan.Id);
        return new MeteringIndex(version, keyIds, planIds);
    }
}

/// <summary>APIs another service serves whose stages usage plans may name: API Gateway v2's WebSocket APIs, metered at $connect.</summary>
public interface IMeteredApis
{
    bool IsMeteredApi(Scope scope, string apiId);
    bool HasMeteredStage(Scope scope, string apiId, string stageName);
}

public sealed partial class ApiGatewayService
{
    private IMeteredApis? _meteredElsewhere;

    /// <summary>Lets usage plans name the stages of <paramref name="apis"/> (set once at start-up, before any call is served).</summary>
    public void MeterStagesOf(IMeteredApis apis) => _meteredElsewhere = apis;

    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // GetUsage's window: AWS keeps usage data for 90 days.
    private const int UsageDaysKept = 90;

    private static string Scoped(Scope scope, string id) => ResourceTable<ApiKeyDocument>.Key(scope.AccountId, scope.Region, id);

    // ---- API keys ----

    public ApiKey CreateApiKey(Scope scope, ApiKeySettings settings)
    {
        // AWS: a custom key value is 20 to 128 characters.
        if (settings.Value is { } given && (given.Length < 20 || given.Length > 128))
            throw BadRequest("API Key value should be at least 20 characters");
        var value = settings.Value ?? RandomNumberGenerator.GetString(KeyAlphabet, 40);
        if (_usage.Index.KeyIds.ContainsKey((scope.AccountId, scope.Region, value))) throw Conflict("API Key already exists");
        var now = Now;
        var key = new ApiKey
        {
            Id = NewId(),
            Value = value,
            Name = settings.Name,
            Description = settings.Description,
            Enabled = settings.Enabled,
            CustomerId = settings.CustomerId,
            CreatedDate = now,
            LastUpdatedDate = now,
            StageKeys = CheckStageKeys(scope, settings.StageKeys),
            Tags = settings.Tags is { Count: > 0 } tags ? tags : null,
        };
        if (!_usage.Keys.TryAdd(Scoped(scope, key.Id), new ApiKeyDocument { AccountId = scope.AccountId, Region = scope.Region, Key = key }))
            throw Conflict("Unable to create the API key, try again");
        _usage.Changed();
        return key;
    }

    private List<string> CheckStageKeys(Scope scope, IEnumerable<string> stageKeys) =>
        stageKeys.Select(stageKey =>
        {
            var parts = stageKey.Split('/');
            if (parts.Length != 2) throw BadRequest($"Invalid stage key specified: {stageKey}");
            StageOf(scope, parts[0], parts[1]);
            return stageKey;
        }).Distinct().ToList();

    public ApiKey GetApiKey(Scope scope, string keyId) => KeyOf(scope, keyId).Key;

    public (IReadOnlyList<ApiKey> Items, string? Position) GetApiKeys(Scope scope, string? nameQuery, string? customerId, string? position, int? limit) =>
        Page(_usage.Keys.Values.Where(k => k.AccountId == scope.AccountId && k.Region == scope.Region)
                .Select(k => k.Key)
                // AWS's nameQuery matches names that start with it.
                .Where(k => nameQuery is null || k.Name?.StartsWith(nameQuery, StringComparison.Ordinal) == true)
                .Where(k => customerId is null || k.CustomerId == customerId)
                .OrderBy(k => k.CreatedDate).ThenBy(k => k.Id),
            k => k.Id, position, limit);

    private static readonly Dictionary<string, PatchKind> ApiKeyPatchable = new()
    {
        ["name"] = PatchKind.Text, ["description"] = PatchKind.Text, ["enabled"] = PatchKind.Boolean, ["customerId"] = PatchKind.Text,
        ["stageKeys"] = PatchKind.TextList,
    };

    public ApiKey UpdateApiKey(Scope scope, string keyId, IReadOnlyList<PatchOperation> patch)
    {
        KeyOf(scope, keyId);
        return _usage.Keys.Update(Scoped(scope, keyId), current =>
        {
            var next = Clone(current);
            next.Key = PatchDocument.Apply(next.Key, patch, ApiKeyPatchable);
            next.Key.StageKeys = CheckStageKeys(scope, next.Key.StageKeys);
            next.Key.LastUpdatedDate = Now;
            return next;
        })?.Key ?? throw ApiKeyNotFound();
    }

    public void DeleteApiKey(Scope scope, string keyId)
    {
        KeyOf(scope, keyId);
        foreach (var (planKey, plan) in _usage.Plans.Entries.Where(e => InScope(scope, e.Value) && e.Value.KeyIds.Contains(keyId)).ToList())
            RemovePlanKey(planKey, plan.Plan.Id, keyId);
        _usage.Keys.Remove(Scoped(scope, keyId));
        _usage.Changed();
    }

    /// <summary>ImportApiKeys, CSV format: a header row naming the columns (name, key or value, description, enabled, customerId), then one key per row.</summary>
    public (IReadOnlyList<string> Ids, IReadOnlyList<string> Warnings) ImportApiKeys(Scope scope, string csv, bool failOnWarnings)
    {
        var rows = csv.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();
        if (rows.Count == 0) throw BadRequest("Invalid API keys file: it has no header row");
        var header = rows[0].Split(',').Select(c => c.Trim().ToLowerInvariant()).ToList();
        int Column(params string[] names) => header.FindIndex(names.Contains);
        var (name, value, description, enabled, customer) = (Column("name"), Column("key", "value"), Column("description"), Column("enabled"), Column("customerid"));
        if (value < 0) throw BadRequest("Invalid API keys file: the header row names no key column");
        var settings = new List<ApiKeySettings>();
        var warnings = new List<string>();
        foreach (var (row, line) in rows.Skip(1).Select((row, index) => (row.Split(','), index + 2)))
        {
            string? Cell(int column) => column >= 0 && column < row.Length && row[column].Trim().Length > 0 ? row[column].Trim() : null;
            if (Cell(value) is not { } keyValue)
            {
                warnings.Add($"Line {line}: no key value");
                continue;
            }
            settings.Add(new ApiKeySettings(Cell(name), Cell(description), string.Equals(Cell(enabled), "true", StringComparison.OrdinalIgnoreCase),
                keyValue, Cell(customer), false, [], null));
        }
        if (failOnWarnings && warnings.Count > 0) throw BadRequest(string.Join("; ", warnings));
        return (settings.Select(s => CreateApiKey(scope, s).Id).ToList(), warnings);
    }

    private ApiKeyDocument KeyOf(Scope scope, string keyId) => _usage.Keys.Get(Scoped(scope, keyId)) ?? throw ApiKeyNotFound();

    private static AwsException ApiKeyNotFound() => NotFound("Invalid API Key identifier specified");

    private static bool InScope(Scope scope, UsagePlanDocument plan) => plan.AccountId == scope.AccountId && plan.Region == scope.Region;

    // ---- usage plans ----

    public UsagePlan CreateUsagePlan(Scope scope, UsagePlanSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.Name)) throw BadRequest("Invalid usage plan name specified");
        var plan = new UsagePlan
        {
            Id = NewId(),
            Name = settings.Name,
            Description = settings.Description,
            ApiStages = settings.ApiStages,
            Throttle = settings.Throttle,
            Quota = settings.Quota,
            Tags = settings.Tags is { Count: > 0 } tags ? tags : null,
        };
        CheckPlan(scope, plan);
        if (!_usage.Plans.TryAdd(Scoped(scope, plan.Id), new UsagePlanDocument { AccountId = scope.AccountId, Region = scope.Region, Plan = plan }))
            throw Conflict("Unable to create the usage plan, try again");
        return plan;
    }

    private void CheckPlan(Scope scope, UsagePlan plan)
    {
        foreach (var stage in plan.ApiStages)
        {
            // A WebSocket API's stage (API Gateway v2) may be in a usage plan too, as on AWS.
            if (_meteredElsewhere?.IsMeteredApi(scope, stage.ApiId) == true)
            {
                if (!_meteredElsewhere.HasMeteredStage(scope, stage.ApiId, stage.Stage)) throw BadRequest($"API Stage not found: {stage.ApiId}:{stage.Stage}");
                continue;
            }
            Api(scope, stage.ApiId);
            if (_stages.Get(ChildKey(scope, stage.ApiId, stage.Stage)) is null)
                throw BadRequest($"API Stage not found: {stage.ApiId}:{stage.Stage}");
        }
        if (plan.ApiStages.GroupBy(s => (s.ApiId, s.Stage)).Any(g => g.Count() > 1))
            throw BadRequest("Duplicate API Stage specified in the usage plan");
        if (plan.Throttle is { } throttle && (throttle.BurstLimit < 0 || throttle.RateLimit < 0))
            throw BadRequest("Invalid throttle settings: the rate and burst limits must not be negative");
        if (plan.Quota is { } quota)
        {
            if (!QuotaPeriod.Periods.Contains(quota.Period)) throw BadRequest($"Invalid quota period specified: {quota.Period}. Must be one of: DAY, WEEK, MONTH");
            if (quota.Limit < 0) throw BadRequest("Invalid quota limit specified: it must not be negative");
            if (quota.Offset < 0 || quota.Offset > QuotaPeriod.MaxOffset(quota.Period))
                throw BadRequest($"Invalid quota offset specified: {quota.Offset} for period {quota.Period}");
        }
        foreach (var keyId in _usage.Plans.Get(Scoped(scope, plan.Id))?.KeyIds ?? []) CheckKeyStages(scope, plan, keyId);
    }

    public UsagePlan GetUsagePlan(Scope scope, string planId) => PlanOf(scope, planId).Plan;

    public (IReadOnlyList<UsagePlan> Items, string? Position) GetUsagePlans(Scope scope, string? keyId, string? position, int? limit) =>
        Page(_usage.Plans.Values.Where(p => InScope(scope, p) && (keyId is null || p.KeyIds.Contains(keyId)))
            .Select(p => p.Plan).OrderBy(p => p.Id, StringComparer.Ordinal), p => p.Id, position, limit);

    /// <summary>UpdateUsagePlan: name, description and productCode; /throttle/rateLimit, /throttle/burstLimit; /quota/limit, /quota/offset, /quota/period; /apiStages add or remove "apiId:stage".</summary>
    public UsagePlan UpdateUsagePlan(Scope scope, string planId, IReadOnlyList<PatchOperation> patch)
    {
        PlanOf(scope, planId);
        var updated = _usage.Plans.Update(Scoped(scope, planId), current =>
        {
            var next = Clone(current);
            foreach (var operation in patch) next.Plan = PatchPlan(next.Plan, operation);
            CheckPlan(scope, next.Plan);
            return next;
        })!.Plan;
        _usage.Changed();
        return updated;
    }

    private static readonly Dictionary<string, PatchKind> UsagePlanPatchable = new()
    {
        ["name"] = PatchKind.Text, ["description"] = PatchKind.Text, ["productCode"] = PatchKind.Text,
    };

    private static UsagePlan PatchPlan(UsagePlan plan, PatchOperation operation)
    {
        var removing = operation.Op == "remove";
        switch (operation.Path)
        {
            case "/throttle/rateLimit" or "/throttle/burstLimit" when !removing:
                plan.Throttle ??= new ThrottleSettings();
                if (operation.Path.EndsWith("rateLimit", StringComparison.Ordinal)) plan.Throttle.RateLimit = Number(operation);
                else plan.Throttle.BurstLimit = (int)Number(operation);
                return plan;
            case "/throttle" when removing:
                plan.Throttle = null;
                return plan;
            case "/quota/limit" or "/quota/offset" or "/quota/period" when !removing:
                plan.Quota ??= new QuotaSettings { Period = "DAY" };
                if (operation.Path == "/quota/period") plan.Quota.Period = operation.Value ?? "";
                else if (operation.Path == "/quota/limit") plan.Quota.Limit = (int)Number(operation);
                else plan.Quota.Offset = (int)Number(operation);
                return plan;
            case "/quota" when removing:
                plan.Quota = null;
                return plan;
            case "/apiStages" when operation.Op is "add" or "remove":
                var parts = (operation.Value ?? "").Split(':');
                if (parts.Length != 2) throw BadRequest($"Invalid API Stage specified: {operation.Value}. Expected apiId:stage");
                if (removing) plan.ApiStages.RemoveAll(s => s.ApiId == parts[0] && s.Stage == parts[1]);
                else plan.ApiStages.Add(new ApiStage { ApiId = parts[0], Stage = parts[1] });
                return plan;
            default:
                return PatchDocument.Apply(plan, [operation], UsagePlanPatchable);
        }
    }

    private static double Number(PatchOperation operation) =>
        double.TryParse(operation.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number
            : throw BadRequest($"Invalid value '{operation.Value}' for patch path '{operation.Path}'");

    public void DeleteUsagePlan(Scope scope, string planId)
    {
        var plan = PlanOf(scope, planId);
        _usage.Plans.Remove(Scoped(scope, planId));
        _usage.Changed();
        foreach (var keyId in plan.KeyIds) _usage.Usage.Remove(UsageKey(scope.AccountId, scope.Region, planId, keyId));
    }

    private UsagePlanDocument PlanOf(Scope scope, string planId) =>
        _usage.Plans.Get(Scoped(scope, planId)) ?? throw NotFound("Invalid Usage Plan ID specified");

    // ---- usage plan keys ----

    public UsagePlanKey CreateUsagePlanKey(Scope scope, string planId, string keyId, string keyType)
    {
        if (keyType != "API_KEY") throw BadRequest($"Invalid key type specified: {keyType}. Must be API_KEY");
        var plan = PlanOf(scope, planId);
        var key = KeyOf(scope, keyId).Key;
        if (plan.KeyIds.Contains(keyId)) throw Conflict($"Usage Plan {planId} already has API Key {keyId}");
        CheckKeyStages(scope, plan.Plan, keyId);
        _usage.Plans.Update(Scoped(scope, planId), current =>
        {
            var next = Clone(current);
            next.KeyIds.Add(keyId);
            return next;
        });
        _usage.Changed();
        return PlanKey(key);
    }

    /// <summary>AWS: a key may not be in two usage plans that share an API stage, so each request meets one plan.</summary>
    private void CheckKeyStages(Scope scope, UsagePlan plan, string keyId)
    {
        foreach (var other in _usage.Plans.Values.Where(p => InScope(scope, p) && p.Plan.Id != plan.Id && p.KeyIds.Contains(keyId)))
            if (other.Plan.ApiStages.FirstOrDefault(s => plan.ApiStages.Any(mine => mine.ApiId == s.ApiId && mine.Stage == s.Stage)) is { } shared)
                throw Conflict($"Usage Plan {plan.Id} cannot be added because API Key {keyId} cannot reference multiple Usage Plans with the same API Stage: {shared.ApiId}:{shared.Stage}");
    }

    public UsagePlanKey GetUsagePlanKey(Scope scope, string planId, string keyId)
    {
        if (!PlanOf(scope, planId).KeyIds.Contains(keyId)) throw NotFound("Invalid Usage Plan Key ID specified");
        return PlanKey(KeyOf(scope, keyId).Key);
    }

    public (IReadOnlyList<UsagePlanKey> Items, string? Position) GetUsagePlanKeys(Scope scope, string planId, string? nameQuery, string? position, int? limit) =>
        Page(PlanOf(scope, planId).KeyIds.Select(id => _usage.Keys.Get(Scoped(scope, id))?.Key).OfType<ApiKey>()
            .Where(k => nameQuery is null || k.Name?.StartsWith(nameQuery, StringComparison.Ordinal) == true).Select(PlanKey), k => k.Id, position, limit);

    public void DeleteUsagePlanKey(Scope scope, string planId, string keyId)
    {
        if (!PlanOf(scope, planId).KeyIds.Contains(keyId)) throw NotFound("Invalid Usage Plan Key ID specified");
        RemovePlanKey(Scoped(scope, planId), planId, keyId);
    }

    private void RemovePlanKey(string planKey, string planId, string keyId)
    {
        var plan = _usage.Plans.Update(planKey, current =>
        {
            var next = Clone(current);
            next.KeyIds.Remove(keyId);
            return next;
        });
        _usage.Changed();
        if (plan is not null) _usage.Usage.Remove(UsageKey(plan.AccountId, plan.Region, planId, keyId));
    }

    private static UsagePlanKey PlanKey(ApiKey key) => new() { Id = key.Id, Value = key.Value, Name = key.Name };

    // ---- usage ----

    private static string UsageKey(string account, string region, string planId, string keyId) =>
        ResourceTable<KeyUsageDocument>.Key(account, region, planId, keyId);

    /// <summary>GetUsage: per key, one [used, remaining] pair per day from startDate to endDate (UTC, "yyyy-MM-dd"); remaining is what the quota had left at that day's end.</summary>
    public (string Start, string End, Dictionary<string, List<long[]>> Items) GetUsage(Scope scope, string planId, string startDate, string endDate, string? keyId)
    {
        var plan = PlanOf(scope, planId);
        var start = UsageDate(startDate, "startDate");
        var end = UsageDate(endDate, "endDate");
        if (end < start) throw BadRequest("The end date must not be before the start date");
        if (end.DayNumber - start.DayNumber >= UsageDaysKept) throw BadRequest($"The usage date range must not exceed {UsageDaysKept} days");
        var items = new Dictionary<string, List<long[]>>(StringComparer.Ordinal);
        foreach (var id in plan.KeyIds.Where(id => keyId is null || id == keyId))
        {
            var usage = _usage.Usage.Get(UsageKey(scope.AccountId, scope.Region, planId, id)) ?? new KeyUsageDocument();
            var days = usage.Days;
            var series = new List<long[]>();
            for (var day = start; day <= end; day = day.AddDays(1))
            {
                var used = days.GetValueOrDefault(DayKey(day));
                var remaining = plan.Plan.Quota is { } quota ? Remaining(usage, quota, day) : 0;
                series.Add([used, remaining]);
            }
            items[id] = series;
        }
        return (startDate, endDate, items);
    }

    /// <summary>What the quota has left in the period holding <paramref name="day"/>: its limit, with UpdateUsage's grant for that period, less what was used.</summary>
    private static long Remaining(KeyUsageDocument usage, QuotaSettings quota, DateOnly day) =>
        Math.Max(0, Allowed(usage, quota, day) - UsedInPeriod(usage.Days, quota, day));

    private static long Allowed(KeyUsageDocument usage, QuotaSettings quota, DateOnly day) =>
        quota.Limit + usage.Granted.GetValueOrDefault(DayKey(QuotaPeriod.Start(quota.Period, quota.Offset, day)));

    /// <summary>
    /// UpdateUsage: "replace /remaining" sets what the key's quota has left in the current period (AWS's temporary extension), by
    /// recording a grant for that period that the data plane's quota check and GetUsage both count; the next period starts afresh.
    /// Answers the key's usage from the period's first day to today.
    /// </summary>
    public (string Start, string End, Dictionary<string, List<long[]>> Items) UpdateUsage(Scope scope, string planId, string keyId, IReadOnlyList<PatchOperation> patch)
    {
        var plan = PlanOf(scope, planId);
        if (!plan.KeyIds.Contains(keyId)) throw NotFound("Invalid Usage Plan Key ID specified");
        if (plan.Plan.Quota is not { } quota) throw BadRequest($"Usage plan {planId} has no quota to extend");
        var today = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        var periodStart = QuotaPeriod.Start(quota.Period, quota.Offset, today);
        foreach (var operation in patch)
        {
            if (operation.Op != "replace" || operation.Path != "/remaining")
                throw BadRequest($"Invalid patch path '{operation.Path}' specified for op '{operation.Op}'. Must be one of: [/remaining]");
            if (!long.TryParse(operation.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var remaining))
                throw BadRequest($"Invalid value '{operation.Value}' for patch path '/remaining'");
            var usageKey = UsageKey(scope.AccountId, scope.Region, planId, keyId);
            _usage.Usage.TryAdd(usageKey, new KeyUsageDocument());
            _usage.Usage.Update(usageKey, current =>
            {
                var next = Clone(current);
                next.Granted[DayKey(periodStart)] = remaining - quota.Limit + UsedInPeriod(next.Days, quota, today);
                // Grants for periods that have ended count for nothing, so they are dropped.
                foreach (var old in next.Granted.Keys.Where(d => d != DayKey(periodStart)).ToList()) next.Granted.Remove(old);
                return next;
            });
        }
        return GetUsage(scope, planId, DayKey(periodStart), DayKey(today), keyId);
    }

    private static DateOnly UsageDate(string text, string member) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw BadRequest($"Invalid {member} specified: {text}. Expected yyyy-MM-dd");

    private static string DayKey(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Requests counted against the quota in the period holding <paramref name="day"/>, up to and including it.</summary>
    private static long UsedInPeriod(IReadOnlyDictionary<string, long> days, QuotaSettings quota, DateOnly day)
    {
        var from = DayKey(QuotaPeriod.Start(quota.Period, quota.Offset, day));
        var to = DayKey(day);
        return days.Where(d => string.CompareOrdinal(d.Key, from) >= 0 && string.CompareOrdinal(d.Key, to) <= 0).Sum(d => d.Value);
    }

    // ---- data plane ----

    /// <summary>
    /// A request to a method with <c>apiKeyRequired</c>, as API Gateway meters it: the key (the x-api-key header's value) must exist, be
    /// enabled and be in a usage plan that has this API stage (else 403); then the plan's throttle (429 Too Many Requests) and quota
    /// (429 Limit Exceeded). A request let through is counted against the quota on disk, so a restart keeps what was used.
    /// </summary>
    public ApiKeyVerdict MeterApiKey(DeployedStage stage, string? keyValue) =>
        MeterApiKey(stage.AccountId, stage.Region, stage.ApiId, stage.Stage.StageName, keyValue);

    /// <summary>The same metering for a stage named by its API and stage name: WebSocket APIs' $connect (API Gateway v2) meters here too.</summary>
    public ApiKeyVerdict MeterApiKey(string accountId, string region, string apiId, string stageName, string? keyValue)
    {
        if (string.IsNullOrEmpty(keyValue)) return ApiKeyVerdict.Forbidden;
        var index = _usage.Index;
        if (!index.KeyIds.TryGetValue((accountId, region, keyValue), out var keyId)) return ApiKeyVerdict.Forbidden;
        var key = _usage.Keys.Get(ResourceTable<ApiKeyDocument>.Key(accountId, region, keyId))?.Key;
        if (key is not { Enabled: true }) return ApiKeyVerdict.Forbidden;
        if (!index.PlanIds.TryGetValue((accountId, region, keyId, apiId, stageName), out var planId)
            || _usage.Plans.Get(ResourceTable<UsagePlanDocument>.Key(accountId, region, planId))?.Plan is not { } plan)
            return ApiKeyVerdict.Forbidden;
        if (plan.Throttle is { } throttle && (throttle.RateLimit is not null || throttle.BurstLimit is not null))
        {
            var (rate, burst) = (throttle.RateLimit ?? 0, throttle.BurstLimit ?? 0);
            var bucket = _usage.Buckets.GetOrAdd((plan.Id, key.Id, rate, burst), _ => new TokenBucket(rate, burst, _clock));
            if (!bucket.TryTake()) return ApiKeyVerdict.Throttled;
        }
        var today = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        var exceeded = false;
        var usageKey = UsageKey(accountId, region, plan.Id, key.Id);
        var quota = plan.Quota;
        _usage.Usage.TryAdd(usageKey, new KeyUsageDocument());
        _usage.Usage.Update(usageKey, current =>
        {
            if (quota is not null && UsedInPeriod(current.Days, quota, today) >= Allowed(current, quota, today))
            {
                exceeded = true;
                return current;
            }
            return Counted(Clone(current), today);
        });
        return exceeded ? ApiKeyVerdict.QuotaExceeded : ApiKeyVerdict.Allowed;
    }

    private static KeyUsageDocument Counted(KeyUsageDocument usage, DateOnly today)
    {
        var day = DayKey(today);
        usage.Days[day] = usage.Days.GetValueOrDefault(day) + 1;
        // Days older than GetUsage can show are dropped, so a key's record stays bounded.
        var oldest = DayKey(today.AddDays(-UsageDaysKept));
        foreach (var old in usage.Days.Keys.Where(d => string.CompareOrdinal(d, oldest) < 0).ToList()) usage.Days.Remove(old);
        return usage;
    }
}
