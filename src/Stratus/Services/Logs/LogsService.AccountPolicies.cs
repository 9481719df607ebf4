using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs.Engine;
using Stratus.Protocols.Json;

namespace Stratus.Services.Logs;

/// <summary>
/// Account-level policies (PutAccountPolicy), each applied through the engine its log-group-level sibling uses:
/// a data protection policy masks every group's events beside the group's own policy (the two are cumulative, as AWS
/// documents), a subscription filter policy delivers every selected group's events to its Lambda function, a transformer
/// policy transforms the events of the groups it selects that have no transformer of their own, and a field index policy
/// indexes the fields of the groups it selects that have no index policy of their own. METRIC_EXTRACTION_POLICY is refused
/// by name: Stratus extracts no embedded-metric-format metrics for it to govern.
/// </summary>
public sealed partial class LogsService
{
    /// <summary>AWS's count of account policies of one type that each select a subset of groups (transformer, field index).</summary>
    public const int MaxScopedAccountPolicies = 20;

    private readonly ResourceTable<AccountPolicy> _accountPolicies;
    /// <summary>
    /// Each stored policy's parsed form, attached to its record (by reference, so a replaced policy's goes with it): ingestion
    /// resolves account policies on every batch and reads them from here, not from their JSON. Made at PutAccountPolicy, or on
    /// first use for policies loaded at start.
    /// </summary>
    private readonly ConditionalWeakTable<AccountPolicy, ParsedAccountPolicy> _parsedAccountPolicies = new();

    /// <summary>What ingestion needs of an account policy: its selection criteria, and the transformer configuration or subscription filter it states.</summary>
    private sealed record ParsedAccountPolicy(SelectionCriteria? Criteria, string? TransformerConfig = null, SubscriptionFilter? Subscription = null);

    public async Task<AccountPolicy> PutAccountPolicyAsync(Scope scope, string name, string type, string document, string? criteriaText, CancellationToken cancellation)
    {
        var criteria = ReadCriteria(type, criteriaText);
        var key = AccountPolicyKey(scope.AccountId, scope.Region, type, name);
        var now = NowMs;
        string? principal = null;
        Dictionary<string, long>? fieldsSince = null;
        string? transformerConfig = null;
        SubscriptionFilter? subscription = null;
        switch (type)
        {
            case AccountPolicyTypes.DataProtection:
                if (ParsePolicy(document).FindingsLogGroup is { } findings) Group(scope, findings);
                break;
            case AccountPolicyTypes.SubscriptionFilter:
                subscription = AccountSubscription(scope.AccountId, scope.Region, name, document, "", "");
                if (!subscription.DestinationArn.StartsWith("arn:aws:lambda:", StringComparison.Ordinal))
                    throw LogsErrors.DestinationNotServed(subscription.DestinationArn);
                // Any group's events may go to the function: it must let CloudWatch Logs invoke it for the account's groups.
                principal = await AllowedPrincipalAsync(scope, $"arn:aws:logs:{scope.Region}:{scope.AccountId}:log-group:*", subscription.DestinationArn, cancellation);
                subscription = subscription with { InvokePrincipal = InvokePrincipalOf(principal) };
                break;
            case AccountPolicyTypes.Transformer:
                var config = AccountTransformerConfig(document);
                ParseTransformer(config);
                transformerConfig = config.ToJsonString();
                break;
            case AccountPolicyTypes.FieldIndex:
                fieldsSince = FieldsSince(ParseIndexFields(document), _accountPolicies.Get(key)?.FieldsSince, now);
                break;
            default:
                throw LogsErrors.AccountPolicyTypeNotServed(type);
        }
        lock (_createGate)
        {
            CheckAccountPolicyCount(type, criteria, AccountPolicies(scope, type).Where(p => p.PolicyName != name).ToList());
            var policy = new AccountPolicy(scope.AccountId, scope.Region, name, type, document, criteriaText, now, principal, fieldsSince);
            _parsedAccountPolicies.AddOrUpdate(policy, new ParsedAccountPolicy(criteria, transformerConfig, subscription));
            _accountPolicies.Put(key, policy);
            if (type == AccountPolicyTypes.DataProtection) StartProtection(AccountProtectionKey(scope.AccountId, scope.Region), scope.AccountId, scope.Region, "", document, now);
            return policy;
        }
    }

    /// <summary>DescribeAccountPolicies: the caller's policies of the type (by name when given); other accounts' identifiers select none.</summary>
    public IReadOnlyList<AccountPolicy> DescribeAccountPolicies(Scope scope, string type, string? name, IReadOnlyList<string> accountIdentifiers) =>
        accountIdentifiers.Count > 0 && !accountIdentifiers.Contains(scope.AccountId)
            ? []
            : AccountPolicies(scope, type).Where(p => name is null || p.PolicyName == name).OrderBy(p => p.PolicyName, StringComparer.Ordinal).ToList();

    /// <summary>Deletes the policy; a data protection policy's span of time stays, so what it masked stays masked, as on AWS.</summary>
    public void DeleteAccountPolicy(Scope scope, string name, string type)
    {
        lock (_createGate)
        {
            if (_accountPolicies.Remove(AccountPolicyKey(scope.AccountId, scope.Region, type, name)) is null) throw LogsErrors.PolicyNotFound(name);
            if (type == AccountPolicyTypes.DataProtection) EndProtection(AccountProtectionKey(scope.AccountId, scope.Region), NowMs);
        }
    }

    /// <summary>
    /// The criteria each type takes, as PutAccountPolicy documents them: none for a data protection policy (it applies to every
    /// group), <c>LogGroupName NOT IN [...]</c> for a subscription filter policy, <c>LogGroupNamePrefix IN [...]</c> for transformer
    /// and field index policies.
    /// </summary>
    private static SelectionCriteria? ReadCriteria(string type, string? text)
    {
        if (text is null) return null;
        try
        {
            return type switch
            {
                AccountPolicyTypes.DataProtection => throw LogsErrors.InvalidParameter("A data protection account policy applies to every log group: it takes no selectionCriteria."),
                AccountPolicyTypes.SubscriptionFilter => SelectionCriteria.Parse(text, SelectionCriteria.LogGroupName, excludes: true),
                AccountPolicyTypes.Transformer or AccountPolicyTypes.FieldIndex => SelectionCriteria.Parse(text, SelectionCriteria.LogGroupNamePrefix, excludes: false),
                _ => null,
            };
        }
        catch (SelectionCriteriaException error)
        {
            throw LogsErrors.InvalidParameter(error.Message);
        }
    }

    /// <summary>
    /// AWS's counts: one data protection and one subscription filter policy per account and Region; for transformer and field
    /// index policies, one that applies to every group or up to 20 that each select groups by prefixes no other one overlaps.
    /// </summary>
    private void CheckAccountPolicyCount(string type, SelectionCriteria? criteria, IReadOnlyList<AccountPolicy> others)
    {
        if (type is AccountPolicyTypes.DataProtection or AccountPolicyTypes.SubscriptionFilter)
        {
            if (others.Count > 0) throw LogsErrors.TooManyAccountPolicies(type, "one");
            return;
        }
        if (criteria is null && others.Count > 0 || others.Any(p => p.SelectionCriteria is null))
            throw LogsErrors.TooManyAccountPolicies(type, $"either one account-wide or up to {MaxScopedAccountPolicies} scoped");
        if (others.Count >= MaxScopedAccountPolicies) throw LogsErrors.TooManyAccountPolicies(type, $"up to {MaxScopedAccountPolicies} scoped");
        if (criteria is not null && others.FirstOrDefault(p => Parsed(p).Criteria!.Overlaps(criteria)) is { } overlapping)
            throw LogsErrors.InvalidParameter($"The selectionCriteria overlaps the log group name prefixes of account policy {overlapping.PolicyName}.");
    }

    private IEnumerable<AccountPolicy> AccountPolicies(Scope scope, string type) => AccountPolicies(scope.AccountId, scope.Region, type);

    private IEnumerable<AccountPolicy> AccountPolicies(string accountId, string region, string type) =>
        _accountPolicies.Values.Where(p => p.AccountId == accountId && p.Region == region && p.PolicyType == type);

    /// <summary>The account policy of the type that applies to the group (its selection criteria select it), if any.</summary>
    private AccountPolicy? AccountPolicyFor(LogGroup group, string type) =>
        AccountPolicies(group.AccountId, group.Region, type).FirstOrDefault(p => Parsed(p).Criteria?.Selects(group.Name) ?? true);

    private ParsedAccountPolicy Parsed(AccountPolicy policy) => _parsedAccountPolicies.GetValue(policy, static p => new ParsedAccountPolicy(
        ReadCriteria(p.PolicyType, p.SelectionCriteria),
        p.PolicyType == AccountPolicyTypes.Transformer ? AccountTransformerConfig(p.PolicyDocument).ToJsonString() : null,
        p.PolicyType == AccountPolicyTypes.SubscriptionFilter
            ? AccountSubscription(p.AccountId, p.Region, p.PolicyName, p.PolicyDocument, "", InvokePrincipalOf(p.InvokePrincipal))
            : null));

    /// <summary>The principal a subscription policy's deliveries invoke its function as: the one its permission allowed, else the service's.</summary>
    private static string InvokePrincipalOf(string? allowed) => allowed ?? "logs.amazonaws.com";

    /// <summary>
    /// A subscription filter policy's document, <c>{"DestinationArn": ..., "FilterPattern": ..., "Distribution": ..., "RoleArn": ...}</c>,
    /// as the filter it is on each group it selects (named after the policy, which deliveries report as the filter).
    /// </summary>
    private static SubscriptionFilter AccountSubscription(string accountId, string region, string policyName, string document, string groupName, string principal)
    {
        JsonObject root;
        try
        {
            root = JsonBody.ParseMember(document, 8) as JsonObject
                ?? throw LogsErrors.InvalidParameter("The subscription filter policy document must be a JSON object.");
        }
        catch (JsonException)
        {
            throw LogsErrors.InvalidParameter("The subscription filter policy document is not valid JSON.");
        }
        string? Text(string member) => root[member] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string)v! : null;
        var destination = Text("DestinationArn") ?? throw LogsErrors.InvalidParameter("The subscription filter policy document must name its DestinationArn.");
        var pattern = Text("FilterPattern") ?? "";
        ParseFilter(pattern);
        var distribution = Text("Distribution") ?? "ByLogStream";
        if (distribution is not ("Random" or "ByLogStream"))
            throw LogsErrors.InvalidParameter("The subscription filter policy's Distribution must be Random or ByLogStream.");
        return new SubscriptionFilter(accountId, region, groupName, policyName, pattern, destination, Text("RoleArn"), distribution, 0, principal);
    }

    /// <summary>The account's subscription filter policy as a filter on the group, when it selects the group.</summary>
    private IEnumerable<SubscriptionFilter> AccountSubscriptionsOf(LogGroup group) =>
        AccountPolicyFor(group, AccountPolicyTypes.SubscriptionFilter) is { } policy && Parsed(policy).Subscription is { } subscription
            ? [subscription with { GroupName = group.Name }]
            : [];

    /// <summary>A transformer policy's document, <c>{"transformerConfig": [processors]}</c>: the processors, as PutTransformer takes them.</summary>
    private static JsonArray AccountTransformerConfig(string document)
    {
        try
        {
            return JsonBody.ParseMember(document, 16) is JsonObject { Count: 1 } root && root["transformerConfig"] is JsonArray config
                ? config
                : throw LogsErrors.InvalidParameter("The transformer policy document must be {\"transformerConfig\": [processors]}.");
        }
        catch (JsonException)
        {
            throw LogsErrors.InvalidParameter("The transformer policy document is not valid JSON.");
        }
    }

    /// <summary>The transformer configuration the group's events go through: its own, else the account policy's that selects it.</summary>
    private string? TransformerConfigFor(LogGroup group) =>
        _transformers.Get(GroupKey(group.AccountId, group.Region, group.Name))?.Config
        ?? (AccountPolicyFor(group, AccountPolicyTypes.Transformer) is { } policy ? Parsed(policy).TransformerConfig : null);

    private static string AccountPolicyKey(string account, string region, string type, string name) => ResourceTable<AccountPolicy>.Key(account, region, type, name);
}
