using System.Text;

namespace Stratus.Services.Iam.Engine;

public enum Decision { Allowed, ExplicitDeny, ImplicitDeny }

/// <summary>SimulatePrincipalPolicy's PolicySourceType: inline policies of a user/group/role, managed policies, a resource policy, or a policy given in the request.</summary>
public enum PolicySourceKind { User, Group, Role, AwsManaged, UserManaged, Resource, None }

/// <summary>A policy and where it came from, as SimulatePrincipalPolicy names it (SourcePolicyId, SourcePolicyType).</summary>
public sealed record SourcedPolicy(string SourceId, PolicySourceKind Kind, Policy Policy);

/// <summary>A statement that decided a request.</summary>
public sealed record MatchedStatement(SourcedPolicy Source, PolicyStatement Statement);

/// <summary>The policies that apply to a request: the principal's identity policies (its own, its groups'), its permissions boundary, and the resource's policy.</summary>
public sealed record PolicySet
{
    public IReadOnlyList<SourcedPolicy> Identity { get; init; } = [];
    /// <summary>Null when the principal has no permissions boundary.</summary>
    public IReadOnlyList<SourcedPolicy>? Boundary { get; init; }
    public SourcedPolicy? Resource { get; init; }
}

public sealed record Evaluation(Decision Decision, IReadOnlyList<MatchedStatement> Matched, bool? AllowedByBoundary, IReadOnlyList<string> MissingContextKeys);

/// <summary>
/// AWS's policy evaluation logic within one account, as documented: an explicit deny in any policy
/// decides; otherwise a resource policy allowing the caller allows; otherwise the permissions boundary
/// (when there is one) must allow and so must an identity policy; anything else is an implicit deny.
/// </summary>
public static class PolicyEvaluator
{
    public static Evaluation Evaluate(PolicySet policies, RequestContext request)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        var all = policies.Identity.Concat(policies.Boundary ?? []).Concat(policies.Resource is { } r ? [r] : []);
        var denies = Matching(all, StatementEffect.Deny, request, missing);
        if (denies.Count > 0) return new Evaluation(Decision.ExplicitDeny, denies, null, [.. missing]);

        var identityAllows = Matching(policies.Identity, StatementEffect.Allow, request, missing);
        var boundaryAllows = policies.Boundary is null ? null : Matching(policies.Boundary, StatementEffect.Allow, request, missing);
        var resourceAllows = policies.Resource is { } resource ? Matching([resource], StatementEffect.Allow, request, missing) : [];
        bool? allowedByBoundary = boundaryAllows is null ? null : boundaryAllows.Count > 0;

        if (resourceAllows.Count > 0) return new Evaluation(Decision.Allowed, [.. resourceAllows, .. identityAllows], allowedByBoundary, [.. missing]);
        if (allowedByBoundary == false || identityAllows.Count == 0) return new Evaluation(Decision.ImplicitDeny, [], allowedByBoundary, [.. missing]);
        return new Evaluation(Decision.Allowed, [.. identityAllows, .. boundaryAllows ?? []], allowedByBoundary, [.. missing]);
    }

    private static List<MatchedStatement> Matching(IEnumerable<SourcedPolicy> policies, StatementEffect effect, RequestContext request, ICollection<string> missing) =>
        policies.SelectMany(p => p.Policy.Statements.Where(s => s.Effect == effect && Applies(p, s, request, missing)).Select(s => new MatchedStatement(p, s))).ToList();

    /// <summary>Whether a statement speaks of this request: its action, its resource, its principal (resource policies) and all its conditions.</summary>
    public static bool Applies(SourcedPolicy source, PolicyStatement statement, RequestContext request, ICollection<string>? missing)
    {
        if (statement.Actions is { } actions && !actions.Any(a => Wildcard.Matches(a, request.Action, ignoreCase: true))) return false;
        if (statement.NotActions is { } notActions && notActions.Any(a => Wildcard.Matches(a, request.Action, ignoreCase: true))) return false;
        string? Substitute(string text) => source.Policy.VariablesApply ? PolicyVariables.Substitute(text, request) : text;
        if (statement.Resources is { } resources && !resources.Any(r => Substitute(r) is { } pattern && Wildcard.Matches(pattern, request.Resource, false))) return false;
        if (statement.NotResources is { } notResources && notResources.Any(r => Substitute(r) is { } pattern && Wildcard.Matches(pattern, request.Resource, false))) return false;
        if (source.Kind == PolicySourceKind.Resource)
        {
            if (statement.Principal is { } principal && !Names(principal, request)) return false;
            if (statement.NotPrincipal is { } notPrincipal && Names(notPrincipal, request)) return false;
        }
        var unmet = new List<string>();
        var holds = statement.Conditions.All(c => ConditionOperators.Holds(c, request, Substitute, unmet));
        foreach (var key in unmet) missing?.Add(key);
        return holds;
    }

    /// <summary>A Principal names the caller by "*", its ARN, or its account (the id or the root ARN).</summary>
    private static bool Names(PolicyPrincipals principals, RequestContext request)
    {
        if (principals.Anyone) return true;
        if (request.PrincipalArn is not { } arn) return false;
        var account = arn.Split(':') is { Length: >= 5 } parts ? parts[4] : "";
        return principals.Values.Any(v => v == arn || v == account || v == $"arn:aws:iam::{account}:root");
    }
}

/// <summary>Policy variables: ${aws:username}, ${aws:PrincipalTag/team}, ${key, 'default'}, and the escapes ${*}, ${?} and ${$}.</summary>
public static class PolicyVariables
{
    /// <summary>The text with its variables replaced, or null when one has no value and no default (the statement then does not match).</summary>
    public static string? Substitute(string text, RequestContext request)
    {
        if (!text.Contains("${", StringComparison.Ordinal)) return text;
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("${", i, StringComparison.Ordinal);
            var end = start < 0 ? -1 : text.IndexOf('}', start);
            if (start < 0 || end < 0)
            {
                result.Append(text, i, text.Length - i);
                break;
            }
            result.Append(text, i, start - i);
            var inner = text[(start + 2)..end];
            var value = inner switch
            {
                "*" or "?" or "$" => inner,
                _ => Resolve(inner, request),
            };
            if (value is null) return null;
            result.Append(value);
            i = end + 1;
        }
        return result.ToString();
    }

    private static string? Resolve(string inner, RequestContext request)
    {
        var comma = inner.IndexOf(',');
        var key = (comma < 0 ? inner : inner[..comma]).Trim();
        var fallback = comma < 0 ? null : inner[(comma + 1)..].Trim().Trim('\'');
        return request.Value(key) ?? fallback;
    }
}
