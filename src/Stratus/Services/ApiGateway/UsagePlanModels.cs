using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

// API keys and usage plans: API Gateway's wire shapes (camelCased on the wire) and the documents stored around them.

public sealed class ApiKey
{
    public string Id { get; set; } = "";
    public string? Value { get; set; }
    public string? Name { get; set; }
    public string? CustomerId { get; set; }
    public string? Description { get; set; }
    public bool Enabled { get; set; }
    public DateTimeOffset CreatedDate { get; set; }
    public DateTimeOffset LastUpdatedDate { get; set; }
    public List<string> StageKeys { get; set; } = [];
    public Dictionary<string, string>? Tags { get; set; }
}

public sealed class ThrottleSettings
{
    public int? BurstLimit { get; set; }
    public double? RateLimit { get; set; }
}

public sealed class QuotaSettings
{
    public int Limit { get; set; }
    public int Offset { get; set; }
    public string Period { get; set; } = "";
}

public sealed class ApiStage
{
    public string ApiId { get; set; } = "";
    public string Stage { get; set; } = "";
    /// <summary>Per-method throttles, keyed "{resourcePath}/{httpMethod}" as AWS keys them.</summary>
    public Dictionary<string, ThrottleSettings>? Throttle { get; set; }
}

public sealed class UsagePlan
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public List<ApiStage> ApiStages { get; set; } = [];
    public ThrottleSettings? Throttle { get; set; }
    public QuotaSettings? Quota { get; set; }
    public string? ProductCode { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
}

public sealed class UsagePlanKey
{
    public string Id { get; set; } = "";
    public string Type { get; set; } = "API_KEY";
    public string? Value { get; set; }
    public string? Name { get; set; }
}

public sealed class ApiKeyDocument
{
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";
    public ApiKey Key { get; set; } = new();
}

public sealed class UsagePlanDocument
{
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";
    public UsagePlan Plan { get; set; } = new();
    /// <summary>The API keys in the plan, in the order they were added.</summary>
    public List<string> KeyIds { get; set; } = [];
}

/// <summary>Requests one key made under one plan, per UTC day ("yyyy-MM-dd"): the quota and GetUsage are counted from it.</summary>
public sealed class KeyUsageDocument
{
    public Dictionary<string, long> Days { get; set; } = [];
    /// <summary>UpdateUsage's grants: requests added to (or taken from) the quota, by the first day ("yyyy-MM-dd") of the period they apply to.</summary>
    public Dictionary<string, long> Granted { get; set; } = [];
}

/// <summary>What the data plane decided about a request to a method with <c>apiKeyRequired</c>.</summary>
public enum ApiKeyVerdict { Allowed, Forbidden, Throttled, QuotaExceeded }

/// <summary>CreateApiKey's members, or an AWS::ApiGateway::ApiKey's.</summary>
public sealed record ApiKeySettings(string? Name, string? Description, bool Enabled, string? Value, string? CustomerId,
    bool GenerateDistinctId, IReadOnlyList<string> StageKeys, Dictionary<string, string>? Tags)
{
    public static ApiKeySettings Read(IInputReader input) => new(
        input.String("name"), input.String("description"), input.Bool("enabled") ?? false, input.String("value"),
        input.String("customerId"), input.Bool("generateDistinctId") ?? false,
        // The wire lists "restApiId/stageName"; a template lists {RestApiId, StageName} objects.
        input.FromTemplate
            ? input.Objects("stageKeys").Select(k => $"{k.Required("restApiId")}/{k.Required("stageName")}").ToList()
            : input.Strings("stageKeys"),
        ApiGatewayTags.Read(input));
}

/// <summary>CreateUsagePlan's members, or an AWS::ApiGateway::UsagePlan's.</summary>
public sealed record UsagePlanSettings(string Name, string? Description, List<ApiStage> ApiStages, ThrottleSettings? Throttle,
    QuotaSettings? Quota, Dictionary<string, string>? Tags)
{
    public static UsagePlanSettings Read(IInputReader input) => new(
        input.FromTemplate ? input.String("usagePlanName") ?? "" : input.Required("name"),
        input.String("description"),
        input.Objects("apiStages").Select(s => new ApiStage
        {
            ApiId = s.Required("apiId"),
            Stage = s.Required("stage"),
            // Per-method throttles inside an API stage are not built: refused by name rather than stored and ignored.
            Throttle = s.Has("throttle") ? throw s.Invalid("throttle", "per-method throttles in a usage plan's apiStages are not served by Stratus") : null,
        }).ToList(),
        ThrottleOf(input.Object("throttle")),
        input.Object("quota") is { } quota
            ? new QuotaSettings { Limit = quota.Int("limit") ?? 0, Offset = quota.Int("offset") ?? 0, Period = quota.Required("period") }
            : null,
        ApiGatewayTags.Read(input));

    private static ThrottleSettings? ThrottleOf(IInputReader? throttle) =>
        throttle is null ? null : new ThrottleSettings { BurstLimit = throttle.Int("burstLimit"), RateLimit = throttle.Double("rateLimit") };
}
