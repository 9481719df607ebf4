using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// How a custom domain name sends traffic to its APIs (AWS's RoutingMode): by API (base path) mappings only, the default for every
/// domain; by routing rules only; or by routing rules first, then API mappings. Stored under apigatewayv2's names; apigateway names
/// the two mapping modes after base path mappings, as its model does.
/// </summary>
public static class RoutingModes
{
    public const string ApiMappingOnly = "API_MAPPING_ONLY";
    public const string RoutingRuleOnly = "ROUTING_RULE_ONLY";
    public const string RoutingRuleThenApiMapping = "ROUTING_RULE_THEN_API_MAPPING";

    private static readonly (string Http, string RestName)[] Names =
    [
        (ApiMappingOnly, "BASE_PATH_MAPPING_ONLY"),
        (RoutingRuleOnly, RoutingRuleOnly),
        (RoutingRuleThenApiMapping, "ROUTING_RULE_THEN_BASE_PATH_MAPPING"),
    ];

    /// <summary>apigatewayv2's name (or an AWS::ApiGatewayV2::DomainName's RoutingMode); null when the caller named none.</summary>
    public static string? FromHttp(string? wire) => wire is null ? null
        : Names.FirstOrDefault(n => n.Http == wire).Http ?? throw Invalid(wire, Names.Select(n => n.Http));

    /// <summary>apigateway's name (or an AWS::ApiGateway::DomainName's RoutingMode); null when the caller named none.</summary>
    public static string? FromRest(string? wire) => wire is null ? null
        : Names.FirstOrDefault(n => n.RestName == wire).Http ?? throw Invalid(wire, Names.Select(n => n.RestName));

    public static string ToRest(string mode) => Names.First(n => n.Http == mode).RestName;

    public static bool UsesRules(string mode) => mode != ApiMappingOnly;
    public static bool UsesMappings(string mode) => mode != RoutingRuleOnly;

    private static AwsException Invalid(string wire, IEnumerable<string> names) =>
        ApiGatewayErrors.BadRequest($"Invalid routing mode: {wire}. Expected one of [{string.Join(", ", names)}]");
}

/// <summary>
/// A routing rule of a custom domain name (apigatewayv2's RoutingRule): when every condition holds, the request goes to a REST API's
/// stage. Rules are tried from the lowest priority number up, and no two rules of a domain share a priority.
/// </summary>
public sealed record RoutingRule
{
    public required string Id { get; init; }
    public required int Priority { get; init; }
    public required List<RoutingRuleCondition> Conditions { get; init; }
    public required RoutingRuleAction Action { get; init; }
}

/// <summary>One condition: a header whose value matches a glob (MatchHeaders), or a base path among some (MatchBasePaths); never both.</summary>
public sealed record RoutingRuleCondition(HeaderGlob? MatchHeader, List<string>? MatchBasePaths);

/// <summary>A header name (matched without regard to case) and the glob its value must match (with regard to case).</summary>
public sealed record HeaderGlob(string Header, string ValueGlob);

/// <summary>The one action AWS offers, InvokeApi: a REST API's stage, with or without the matched base path taken off the path.</summary>
public sealed record RoutingRuleAction(string ApiId, string Stage, bool StripBasePath);

/// <summary>CreateRoutingRule's and PutRoutingRule's members (or an AWS::ApiGatewayV2::RoutingRule's), read once for the wire and templates.</summary>
public sealed record RoutingRuleSettings(int Priority, IReadOnlyList<RoutingRuleCondition> Conditions, IReadOnlyList<RoutingRuleAction> Actions)
{
    public static RoutingRuleSettings Read(IInputReader input)
    {
        var priority = input.Int("priority") ?? throw input.Missing("priority");
        var conditions = input.Has("conditions") ? input.Objects("conditions").Select(ReadCondition).ToList() : throw input.Missing("conditions");
        var actions = input.Has("actions") ? input.Objects("actions").Select(ReadAction).ToList() : throw input.Missing("actions");
        return new(priority, conditions, actions);
    }

    private static RoutingRuleCondition ReadCondition(IInputReader condition)
    {
        var headers = condition.Object("matchHeaders")?.Objects("anyOf").Select(h => new HeaderGlob(h.Required("header"), h.Required("valueGlob"))).ToList();
        var basePaths = condition.Object("matchBasePaths")?.Strings("anyOf").ToList();
        if (headers is { Count: not 1 })
            throw ApiGatewayErrors.BadRequest("A matchHeaders condition matches exactly one header: anyOf must hold one header and value glob");
        return new(headers?[0], basePaths);
    }

    private static RoutingRuleAction ReadAction(IInputReader action)
    {
        var invoke = action.Object("invokeApi") ?? throw action.Missing("invokeApi");
        return new(invoke.Required("apiId"), invoke.Required("stage"), invoke.Bool("stripBasePath") ?? false);
    }
}
