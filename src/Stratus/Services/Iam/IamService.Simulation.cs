using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Iam;

/// <summary>One context key of a simulation: SimulatePrincipalPolicy's ContextEntries.</summary>
public sealed record SimulationContextEntry(string Key, IReadOnlyList<string> Values);

/// <summary>What SimulatePrincipalPolicy and SimulateCustomPolicy ask, once their wire members are read.</summary>
public sealed record SimulationRequest
{
    /// <summary>The user, group or role whose policies are simulated; null for SimulateCustomPolicy.</summary>
    public string? PolicySourceArn { get; init; }
    public IReadOnlyList<string> ExtraPolicies { get; init; } = [];
    public IReadOnlyList<string> BoundaryPolicies { get; init; } = [];
    public required IReadOnlyList<string> Actions { get; init; }
    public IReadOnlyList<string> Resources { get; init; } = [];
    public string? ResourcePolicy { get; init; }
    public string? CallerArn { get; init; }
    public IReadOnlyList<SimulationContextEntry> Context { get; init; } = [];
}

public sealed record SimulationResult(string Action, string Resource, Evaluation Evaluation);

/// <summary>The policy simulator: the evaluation engine run over a principal's stored policies and the ones the request gives.</summary>
public sealed partial class IamService
{
    public Page<SimulationResult> Simulate(Scope scope, SimulationRequest request, string? marker, int? maxItems)
    {
        if (request.Actions.Count == 0) throw IamNames.Errors.Missing("ActionNames");
        var stored = request.PolicySourceArn is { } source
            ? PoliciesOf(source) is { } found && source.Split(':') is { Length: >= 5 } parts && parts[4] == scope.AccountId
                ? found
                : throw IamErrors.NoSuchEntity(EntityKindOf(source), source[(source.LastIndexOf('/') + 1)..])
            : new PolicySet();
        var extra = request.ExtraPolicies.Select((d, i) => new SourcedPolicy($"PolicyInputList.{i + 1}", PolicySourceKind.None, ParseInput(d, PolicyDocument.Kind.Identity)));
        var boundaries = request.BoundaryPolicies.Select((d, i) => new SourcedPolicy($"PermissionsBoundaryPolicyInputList.{i + 1}", PolicySourceKind.None, ParseInput(d, PolicyDocument.Kind.Identity))).ToList();
        var policies = stored with
        {
            Identity = [.. stored.Identity, .. extra],
            Boundary = boundaries.Count > 0 ? boundaries : stored.Boundary,
            Resource = request.ResourcePolicy is { } r ? new SourcedPolicy("ResourcePolicy", PolicySourceKind.Resource, ParseInput(r, PolicyDocument.Kind.Resource)) : null,
        };
        var caller = request.CallerArn ?? request.PolicySourceArn;
        var resources = request.Resources.Count > 0 ? request.Resources : ["*"];
        var results = request.Actions.SelectMany(action => resources.Select(resource =>
        {
            var context = new RequestContext { Action = action, Resource = resource, PrincipalArn = caller };
            if (caller is not null) context.WithPrincipal(caller, PrincipalIdOf(caller), scope.AccountId);
            foreach (var entry in request.Context) context.With(entry.Key, entry.Values);
            return new SimulationResult(action, resource, PolicyEvaluator.Evaluate(policies, context));
        })).ToList();
        var page = Paginate(results.Select((r, i) => (Key: i.ToString("D8"), Result: r)), x => x.Key, marker, maxItems);
        return new Page<SimulationResult>(page.Items.Select(x => x.Result).ToList(), page.NextMarker);
    }

    /// <summary>
    /// GetContextKeysForPrincipalPolicy/GetContextKeysForCustomPolicy: the condition keys the policies
    /// (the principal's stored ones, with its groups', and those given) compare, each named once.
    /// </summary>
    public IReadOnlyList<string> ContextKeys(Scope scope, string? policySourceArn, IReadOnlyList<string> documents)
    {
        var stored = policySourceArn is { } source
            ? PoliciesOf(source) is { } found && source.Split(':') is { Length: >= 5 } parts && parts[4] == scope.AccountId
                ? found.Identity
                : throw IamErrors.NoSuchEntity(EntityKindOf(source), source[(source.LastIndexOf('/') + 1)..])
            : [];
        var given = documents.Select(d => ParseInput(d, PolicyDocument.Kind.Identity));
        return stored.Select(s => s.Policy).Concat(given)
            .SelectMany(p => p.Statements).SelectMany(s => s.Conditions).Select(c => c.Key)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static IamEntityKind EntityKindOf(string arn) =>
        arn.Contains(":group/", StringComparison.Ordinal) ? IamEntityKind.Group : arn.Contains(":role/", StringComparison.Ordinal) ? IamEntityKind.Role : IamEntityKind.User;

    private string? PrincipalIdOf(string arn)
    {
        var parts = arn.Split(':', 6);
        if (parts.Length != 6) return null;
        var name = parts[5][(parts[5].LastIndexOf('/') + 1)..];
        return parts[5].StartsWith("user/", StringComparison.Ordinal) ? _users.Get(Key(parts[4], name))?.UserId : null;
    }

    /// <summary>A document given to the simulator: refused as InvalidInput, the simulator's error, in IAM's words for what is wrong.</summary>
    private static Policy ParseInput(string document, PolicyDocument.Kind kind)
    {
        try
        {
            PolicyDocument.Validate(document, kind);
        }
        catch (AwsException e) when (e.Code == "MalformedPolicyDocument")
        {
            throw IamErrors.InvalidInput(e.Message);
        }
        return Policy.Parse(document);
    }
}
