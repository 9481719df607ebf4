using System.Text;

namespace Stratus.Services.Iam.Engine;

public enum Decision { Allowed, ExplicitDeny, ImplicitDeny }

/// <summary>SimulatePrincipalPolicy's PolicySourceType: inline policies of a user/group/role, managed policies, a resource policy, or a policy given in the request.</summary>
public enum PolicySourceKind { User, Group, Role, AwsManaged, UserManaged, Resource, None }

/// <summary>A policy and where it came from, as SimulatePrincipalPolicy names it (SourcePolicyId, SourcePolicyType).</summary>
public sealed record SourcedPolicy(string SourceId, PolicySourceKind Kind, Policy Policy);

/// <summary>A statement that decided a request.</summary>
public sealed record MatchedStatement(SourcedPolicy Source, PolicyStatement Statement);

/// <summary>
/// The policies that apply to a request: the principal's identity policies (its own, its groups'), its
/// permissions boundary, its session policies (AssumeRole's Policy and PolicyArns), and the resource's policy.
/// </summary>
public sealed record PolicySet
{
    public IReadOnlyList<SourcedPolicy> Identity { get; init; } = [];
    /// <summary>Null when the principal has no permissions boundary.</summary>
    public IReadOnlyList<SourcedPolicy>? Boundary { get; init; }
    /// <summary>Null when the session was issued without session policies.</summary>
    public IReadOnlyList<SourcedPolicy>? Session { get; init; }
    public SourcedPolicy? Resource { get; init; }
}

/// <summary>Which policy type refused a request, as AWS's AccessDenied message names it.</summary>
public enum Refusal { None, IdentityDeny, ResourceDeny, BoundaryDeny, SessionDeny, NoIdentityAllow, NoResourceAllow, NoBoundaryAllow, NoSessionAllow }

public sealed record Evaluation(Decision Decision, IReadOnlyList<MatchedStatement> Matched, bool? AllowedByBoundary, IReadOnlyList<string> MissingContextKeys)
{
    public Refusal Refusal { get; init; }

    /// <summary>The end of AWS's AccessDenied message: "with an explicit deny in ..." or "because no ... allows the ACTION action".</summary>
    public string Because(string action) => Refusal switch
    {
        Refusal.IdentityDeny => "with an explicit deny in an identity-based policy",
        Refusal.ResourceDeny => "with an explicit deny in a resource-based policy",
        Refusal.BoundaryDeny => "with an explicit deny in a permissions boundary",
        Refusal.SessionDeny => "with an explicit deny in a session policy",
        Refusal.NoResourceAllow => $"because no resource-based policy allows the {action} action",
        Refusal.NoBoundaryAllow => $"because no permissions boundary allows the {action} action",
        Refusal.NoSessionAllow => $"because no session policy allows the {action} action",
        _ => $"because no identity-based policy allows the {action} action",
    };
}

/// <summary>
/// AWS's policy evaluation logic, as documented: an explicit deny in any policy decides. Within one
/// account, a resource policy naming the caller itself (its ARN, or "*") allows on its own; a resource
/// policy naming the caller's account only delegates to the account's IAM policies, as a KMS key's default
/// policy does; otherwise an identity policy must allow, and so must the permissions boundary and the
/// session policies where there are any. Across accounts (the resource's account is not the caller's)
/// both sides must allow: the resource policy must name the caller or its account, and the caller's own
/// policies must allow too.
/// </summary>
public static class PolicyEvaluator
{
    public static Evaluation Evaluate(PolicySet policies, RequestContext request)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        var resource = policies.Resource is { } r ? new[] { r } : [];
        foreach (var (group, refusal) in new[] { (policies.Identity, Refusal.IdentityDeny), (resource, Refusal.ResourceDeny), (policies.Boundary ?? [], Refusal.BoundaryDeny), (policies.Session ?? [], Refusal.SessionDeny) })
        {
            var denies = Matching(group, StatementEffect.Deny, request, missing);
            if (denies.Count > 0) return new Evaluation(Decision.ExplicitDeny, denies, null, [.. missing]) { Refusal = refusal };
        }

        var identityAllows = Matching(policies.Identity, StatementEffect.Allow, request, missing);
        var boundaryAllows = policies.Boundary is null ? null : Matching(policies.Boundary, StatementEffect.Allow, request, missing);
        var sessionAllows = policies.Session is null ? null : Matching(policies.Session, StatementEffect.Allow, request, missing);
        var resourceAllows = Matching(resource, StatementEffect.Allow, request, missing);
        bool? allowedByBoundary = boundaryAllows is null ? null : boundaryAllows.Count > 0;
        var grantsCaller = resourceAllows.Where(m => Grant(m.Statement, request) == PrincipalGrant.Caller).ToList();
        var grantsRole = resourceAllows.Where(m => Grant(m.Statement, request) == PrincipalGrant.Role).ToList();

        Evaluation Allowed(IEnumerable<MatchedStatement> matched) => new(Decision.Allowed, [.. matched], allowedByBoundary, [.. missing]);
        Evaluation Refused(Refusal refusal) => new(Decision.ImplicitDeny, [], allowedByBoundary, [.. missing]) { Refusal = refusal };

        // A resource policy naming the caller itself is not limited by its boundary or session policies (same account only).
        var crossAccount = request.IsCrossAccount;
        if (!crossAccount && grantsCaller.Count > 0) return Allowed([.. grantsCaller, .. identityAllows]);
        // Naming a session's role is limited by the session's boundary and session policies, as an identity grant is.
        var granted = identityAllows.Count > 0 || (!crossAccount && grantsRole.Count > 0);
        if (!granted) return Refused(Refusal.NoIdentityAllow);
        if (allowedByBoundary == false) return Refused(Refusal.NoBoundaryAllow);
        if (sessionAllows is { Count: 0 }) return Refused(Refusal.NoSessionAllow);
        if ((crossAccount || (request.ResourcePolicyRequired && policies.Resource is not null)) && resourceAllows.Count == 0) return Refused(Refusal.NoResourceAllow);
        return Allowed([.. resourceAllows, .. identityAllows, .. boundaryAllows ?? [], .. sessionAllows ?? []]);
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
            if (statement.Principal is { } principal && Names(principal, request) == PrincipalGrant.None) return false;
            if (statement.NotPrincipal is { } notPrincipal && Names(notPrincipal, request) != PrincipalGrant.None) return false;
        }
        var unmet = new List<string>();
        var holds = statement.Conditions.All(c => ConditionOperators.Holds(c, request, Substitute, unmet));
        foreach (var key in unmet) missing?.Add(key);
        return holds;
    }

    /// <summary>How a resource policy's Principal names the caller: itself (or "*"), the role behind its session, or only its account.</summary>
    private enum PrincipalGrant { None, Caller, Role, Account }

    private static PrincipalGrant Grant(PolicyStatement statement, RequestContext request) =>
        statement.Principal is { } principal ? Names(principal, request) : PrincipalGrant.Caller;

    private static PrincipalGrant Names(PolicyPrincipals principals, RequestContext request)
    {
        if (principals.Anyone) return PrincipalGrant.Caller;
        if (request.PrincipalArn is not { } arn) return PrincipalGrant.None;
        if (principals.Values.Contains(arn)) return PrincipalGrant.Caller;
        if (request.SessionIssuerArn is { } role && principals.Values.Contains(role)) return PrincipalGrant.Role;
        var account = request.PrincipalAccount;
        return principals.Values.Any(v => v == account || v == $"arn:aws:iam::{account}:root") ? PrincipalGrant.Account : PrincipalGrant.None;
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
