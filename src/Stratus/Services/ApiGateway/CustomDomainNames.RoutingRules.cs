using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// Routing rules of custom domain names (apigatewayv2's CreateRoutingRule, PutRoutingRule, GetRoutingRule, ListRoutingRules,
/// DeleteRoutingRule), with the limits AWS documents: a priority from 1 to 1,000,000 that no other rule of the domain has, at most two
/// header conditions and one base path condition, and one InvokeApi action naming a REST API's stage (rules serve REST APIs only).
/// </summary>
public sealed partial class CustomDomainNames
{
    public const int MaxHeaderConditions = 2;
    public const int MaxBasePathConditions = 1;
    public const int MinPriority = 1;
    public const int MaxPriority = 1_000_000;

    /// <summary>The domain, checked against the domain name id the caller may also name (AWS's domainNameId query member).</summary>
    private CustomDomain Get(Scope scope, string name, string? domainNameId)
    {
        var domain = Get(scope, name);
        if (domainNameId is not null && domainNameId != domain.DomainNameId) throw NotFound("Invalid domain name identifier specified");
        return domain;
    }

    public RoutingRule CreateRoutingRule(Scope scope, string name, string? domainNameId, RoutingRuleSettings settings)
    {
        Get(scope, name, domainNameId);
        var rule = Checked(scope, RandomNumberGenerator.GetString(IdAlphabet, 6), settings);
        Change(scope, name, domain =>
        {
            if (!RoutingModes.UsesRules(domain.RoutingMode)) throw BadRequest(ModeRefuses(domain, "a routing rule"));
            CheckPriorityFree(domain, rule);
            return domain with { RoutingRules = [.. domain.RoutingRules, rule] };
        });
        return rule;
    }

    /// <summary>PutRoutingRule: the rule replaced whole, its id kept.</summary>
    public RoutingRule PutRoutingRule(Scope scope, string name, string? domainNameId, string ruleId, RoutingRuleSettings settings)
    {
        GetRoutingRule(scope, name, domainNameId, ruleId);
        var rule = Checked(scope, ruleId, settings);
        Change(scope, name, domain =>
        {
            if (domain.RoutingRules.All(r => r.Id != ruleId)) throw RoutingRuleNotFound(ruleId);
            CheckPriorityFree(domain, rule);
            return domain with { RoutingRules = [.. domain.RoutingRules.Select(r => r.Id == ruleId ? rule : r)] };
        });
        return rule;
    }

    public RoutingRule GetRoutingRule(Scope scope, string name, string? domainNameId, string ruleId) =>
        Get(scope, name, domainNameId).RoutingRules.FirstOrDefault(r => r.Id == ruleId) ?? throw RoutingRuleNotFound(ruleId);

    /// <summary>The domain's rules in the order the data plane tries them, lowest priority number first.</summary>
    public IReadOnlyList<RoutingRule> ListRoutingRules(Scope scope, string name, string? domainNameId) =>
        [.. Get(scope, name, domainNameId).RoutingRules.OrderBy(r => r.Priority)];

    public void DeleteRoutingRule(Scope scope, string name, string? domainNameId, string ruleId)
    {
        GetRoutingRule(scope, name, domainNameId, ruleId);
        Change(scope, name, domain => domain with { RoutingRules = [.. domain.RoutingRules.Where(r => r.Id != ruleId)] });
    }

    public static string RoutingRuleArn(CustomDomain domain, RoutingRule rule) =>
        $"arn:aws:apigateway:{domain.Region}:{domain.AccountId}:/domainnames/{domain.DomainName}+{domain.DomainNameId}/routingrules/{rule.Id}";

    private static AwsException RoutingRuleNotFound(string ruleId) => NotFound($"Invalid routing rule identifier specified {ruleId}");

    private static string ModeRefuses(CustomDomain domain, string what) =>
        $"The domain name {domain.DomainName} uses routing mode {domain.RoutingMode}, which does not allow {what}";

    private static void CheckPriorityFree(CustomDomain domain, RoutingRule rule)
    {
        if (domain.RoutingRules.Any(r => r.Priority == rule.Priority && r.Id != rule.Id))
            throw Conflict($"A routing rule with priority {rule.Priority} already exists for domain name {domain.DomainName}");
    }

    private RoutingRule Checked(Scope scope, string id, RoutingRuleSettings settings)
    {
        if (settings.Priority is < MinPriority or > MaxPriority)
            throw BadRequest($"Invalid priority: {settings.Priority}. A routing rule's priority is between {MinPriority} and {MaxPriority}");
        if (settings.Actions.Count != 1) throw BadRequest("A routing rule has exactly one action");
        var action = settings.Actions[0];
        if (action.Stage.Length is 0 or > 128) throw BadRequest("Invalid stage identifier specified");
        // Routing rules invoke REST APIs only, as AWS documents.
        CheckTarget(scope, action.ApiId, action.Stage, restApiOnly: true);
        var headerConditions = 0;
        var basePathConditions = 0;
        foreach (var condition in settings.Conditions)
        {
            if ((condition.MatchHeader is null) == (condition.MatchBasePaths is null))
                throw BadRequest("Each routing rule condition has exactly one of matchHeaders and matchBasePaths");
            if (condition.MatchHeader is { } header)
            {
                headerConditions++;
                CheckHeaderGlob(header);
            }
            else
            {
                basePathConditions++;
                CheckBasePaths(condition.MatchBasePaths!);
            }
        }
        if (headerConditions > MaxHeaderConditions || basePathConditions > MaxBasePathConditions)
            throw BadRequest($"A routing rule has at most {MaxHeaderConditions} matchHeaders conditions and {MaxBasePathConditions} matchBasePaths condition");
        return new RoutingRule { Id = id, Priority = settings.Priority, Conditions = [.. settings.Conditions], Action = action };
    }

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$")]
    private static partial Regex HeaderName();

    /// <summary>Headers API Gateway sets or consumes itself, which a rule cannot match on (AWS's reserved headers).</summary>
    private static readonly string[] ReservedHeaderPrefixes = ["access-control-", "apigw-", "x-amz-", "x-amzn-"];

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "connection", "content-encoding", "content-length", "content-location", "forwarded", "keep-alive", "origin",
        "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade", "via", "x-forwarded-for",
        "x-forwarded-host", "x-forwarded-proto",
    };

    private const int MaxValueGlobLength = 512;

    /// <summary>
    /// A header name of HTTP's token characters, not reserved; a value glob that is a literal value or has one wildcard at its start
    /// (suffix match), its end (prefix match) or both (contains), the forms AWS documents.
    /// </summary>
    private static void CheckHeaderGlob(HeaderGlob header)
    {
        if (!HeaderName().IsMatch(header.Header)) throw BadRequest($"Invalid header name: {header.Header}");
        if (ReservedHeaders.Contains(header.Header) || ReservedHeaderPrefixes.Any(p => header.Header.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            throw BadRequest($"Invalid header name: {header.Header}. API Gateway reserves this header and a routing rule cannot match it");
        var glob = header.ValueGlob;
        var literal = GlobLiteral(glob);
        if (glob.Length > MaxValueGlobLength || literal.Length == 0 || literal.Contains('*') || literal.Any(char.IsControl))
            throw BadRequest($"Invalid value glob: {glob}. A value glob is a value with an optional * at its start, its end or both");
    }

    private static string GlobLiteral(string glob)
    {
        var start = glob.StartsWith('*') ? 1 : 0;
        var end = glob.Length > start && glob.EndsWith('*') ? glob.Length - 1 : glob.Length;
        return glob[start..end];
    }

    private static void CheckBasePaths(List<string> basePaths)
    {
        if (basePaths.Count == 0) throw BadRequest("A matchBasePaths condition names at least one base path in anyOf");
        foreach (var basePath in basePaths)
            if (basePath.Trim('/').Length == 0) throw BadRequest($"Invalid base path: '{basePath}'. A base path condition names a non-empty base path");
            else CheckBasePath(basePath);
    }

    // ---- data plane ----

    /// <summary>
    /// The rule a request goes to and the path its REST API is given: rules are tried from the lowest priority number up and the first whose
    /// conditions all hold wins. A header condition holds when a value of the header (named in any case) matches the glob (case counts); a
    /// base path condition when the path's leading segments are one of its base paths (case counts), which StripBasePath takes off.
    /// </summary>
    public static (RoutingRule Rule, string Path)? RouteByRules(CustomDomain domain, string path, Func<string, IEnumerable<string>> headerValues)
    {
        var trimmed = path.TrimStart('/');
        foreach (var rule in domain.RoutingRules.OrderBy(r => r.Priority))
        {
            string? matchedBasePath = null;
            var holds = true;
            foreach (var condition in rule.Conditions)
            {
                if (condition.MatchHeader is { } header)
                    holds = headerValues(header.Header).Any(value => GlobMatches(header.ValueGlob, value));
                else if (condition.MatchBasePaths!.Select(b => b.Trim('/')).FirstOrDefault(b => IsUnder(trimmed, b)) is { } basePath)
                    matchedBasePath = basePath;
                else
                    holds = false;
                if (!holds) break;
            }
            if (!holds) continue;
            var rest = rule.Action.StripBasePath && matchedBasePath is not null ? "/" + trimmed[matchedBasePath.Length..].TrimStart('/') : "/" + trimmed;
            return (rule, rest);
        }
        return null;
    }

    private static bool IsUnder(string path, string basePath) =>
        path == basePath || path.StartsWith(basePath + "/", StringComparison.Ordinal);

    public static bool GlobMatches(string glob, string value)
    {
        var literal = GlobLiteral(glob);
        var suffixMatch = glob.StartsWith('*');
        var prefixMatch = glob.Length > 1 && glob.EndsWith('*');
        return (suffixMatch, prefixMatch) switch
        {
            (true, true) => value.Contains(literal, StringComparison.Ordinal),
            (true, false) => value.EndsWith(literal, StringComparison.Ordinal),
            (false, true) => value.StartsWith(literal, StringComparison.Ordinal),
            _ => value == literal,
        };
    }
}
