using System.Text.Json;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Json;

namespace Stratus.Services.Logs;

/// <summary>
/// Resource policies, stored and returned: account-wide ones by name (at most 10 per account and region, as on
/// AWS) and ones attached to a log group by its ARN. Stratus does not consult them when it authorizes requests:
/// services deliver to log groups through Logs' domain, never as a principal a policy could name.
/// </summary>
public sealed partial class LogsService
{
    public const int MaxAccountResourcePolicies = 10;

    private readonly ResourceTable<LogsResourcePolicy> _resourcePolicies;

    public LogsResourcePolicy PutResourcePolicy(Scope scope, string? policyName, string? document, string? resourceArn, string? expectedRevisionId)
    {
        if (document is null) throw LogsErrors.Validation.Missing("policyDocument");
        try
        {
            if (JsonBody.Parse(document) is not System.Text.Json.Nodes.JsonObject) throw new JsonException();
        }
        catch (JsonException)
        {
            throw LogsErrors.InvalidParameter("The policy document is not a valid JSON object.");
        }
        string scopeName, name;
        if (resourceArn is not null)
        {
            var group = Group(scope, resourceArn);
            (scopeName, name, resourceArn) = ("RESOURCE", policyName ?? group.Name, group.Arn);
        }
        else (scopeName, name) = ("ACCOUNT", policyName ?? throw LogsErrors.Validation.Missing("policyName"));
        var key = PolicyKey(scope, scopeName, resourceArn ?? name);
        lock (_createGate)
        {
            var existing = _resourcePolicies.Get(key);
            if (expectedRevisionId is not null && existing?.RevisionId != expectedRevisionId) throw LogsErrors.RevisionConflict();
            if (existing is null && scopeName == "ACCOUNT"
                && _resourcePolicies.Values.Count(p => p.AccountId == scope.AccountId && p.Region == scope.Region && p.PolicyScope == "ACCOUNT") >= MaxAccountResourcePolicies)
                throw LogsErrors.ResourceLimitExceeded();
            var policy = new LogsResourcePolicy(scope.AccountId, scope.Region, name, document, NowMs, scopeName, resourceArn, Guid.NewGuid().ToString("N"));
            _resourcePolicies.Put(key, policy);
            return policy;
        }
    }

    public IReadOnlyList<LogsResourcePolicy> DescribeResourcePolicies(Scope scope, string? resourceArn, string? policyScope) =>
        _resourcePolicies.Values
            .Where(p => p.AccountId == scope.AccountId && p.Region == scope.Region)
            .Where(p => policyScope is null || p.PolicyScope == policyScope)
            .Where(p => resourceArn is null || p.ResourceArn == Group(scope, resourceArn).Arn)
            .OrderBy(p => p.PolicyName, StringComparer.Ordinal).ToList();

    public void DeleteResourcePolicy(Scope scope, string? policyName, string? resourceArn, string? expectedRevisionId)
    {
        var key = resourceArn is not null ? PolicyKey(scope, "RESOURCE", Group(scope, resourceArn).Arn)
            : PolicyKey(scope, "ACCOUNT", policyName ?? throw LogsErrors.Validation.Missing("policyName"));
        lock (_createGate)
        {
            var existing = _resourcePolicies.Get(key) ?? throw LogsErrors.PolicyNotFound(policyName ?? resourceArn!);
            if (expectedRevisionId is not null && existing.RevisionId != expectedRevisionId) throw LogsErrors.RevisionConflict();
            _resourcePolicies.Remove(key);
        }
    }

    private static string PolicyKey(Scope scope, string policyScope, string id) => ResourceTable<LogsResourcePolicy>.Key(scope.AccountId, scope.Region, policyScope, id);
}
