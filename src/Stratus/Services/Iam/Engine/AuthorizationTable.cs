using System.Collections;
using Stratus.Protocols;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// What `--auth enforce` authorizes one service's operations against, declared beside the service
/// (its &lt;S&gt;Authorization.cs) from the Service Authorization Reference: for each operation the
/// resource ARN(s) AWS evaluates (every one must be allowed), the IAM action where it is not named after
/// the operation (Lambda's Invoke is lambda:InvokeFunction), and the resource policies the service keeps.
/// An operation not listed acts on resource "*", as AWS's list and create-by-account operations do.
/// </summary>
/// <param name="actionPrefix">The IAM service prefix of its actions (cloudwatch for the signing name monitoring).</param>
/// <param name="resourcePolicy">The resource policy the service keeps for a resource ARN (a function policy, a key policy), or null.</param>
/// <param name="unlisted">The resource(s) of operations not listed; "*" when null.</param>
/// <param name="resourcePolicyRequired">Whether the resource policy must allow even within the account (KMS key policies), rather than either it or an identity policy.</param>
/// <param name="unauthorized">Operations AWS serves to every signed caller without evaluating any policy (STS GetCallerIdentity).</param>
/// <param name="context">The request's service condition keys (sts:ExternalId), added to the keys every request has.</param>
/// <param name="actionOf">For a service whose actions are not its operations (API Gateway's apigateway:GET on a path): the action, from the request.</param>
/// <param name="resourceTags">The tags of the resource an ARN names, null when it has none or does not exist yet: its aws:ResourceTag/KEY keys.</param>
/// <param name="serviceResourceTagKey">The service's own name for aws:ResourceTag where it has one (secretsmanager:ResourceTag), given the same values.</param>
/// <param name="serviceResourceTagKeyOf">Where the service's own name depends on the resource's type (RDS's rds:db-tag, rds:cluster-tag): that name for an ARN, or null.</param>
/// <param name="alsoRequired">Actions a request also needs on the same resources, beyond its operation's (Logs' GetLogEvents with
/// unmask=true also needs logs:Unmask), as AWS checks both.</param>
/// <param name="passedRoles">Operations that pass a role to the service (Lambda's CreateFunction Role): the member naming the role and the
/// service principal it is passed to; the caller must also be allowed iam:PassRole on it, as AWS checks.</param>
public sealed class AuthorizationTable(
    string actionPrefix,
    Func<string, string?>? resourcePolicy = null,
    Func<OperationInput, IEnumerable<string>>? unlisted = null,
    Func<string, OperationInput, string>? actionOf = null,
    bool resourcePolicyRequired = false,
    Action<OperationInput, RequestContext>? context = null,
    IReadOnlySet<string>? unauthorized = null,
    Func<string, IReadOnlyDictionary<string, string>?>? resourceTags = null,
    string? serviceResourceTagKey = null,
    IReadOnlyDictionary<string, PassedRole>? passedRoles = null,
    Func<string, string?>? serviceResourceTagKeyOf = null,
    Func<string, OperationInput, IEnumerable<string>>? alsoRequired = null,
    Func<string, OperationInput, IEnumerable<RequiredElsewhere>>? requiredElsewhere = null) : IEnumerable
{
    private readonly Dictionary<string, Func<OperationInput, IEnumerable<string>>> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _actions = new(StringComparer.Ordinal);

    public string ActionPrefix => actionPrefix;

    public bool ResourcePolicyRequired => resourcePolicyRequired;

    /// <summary>Whether AWS serves the operation without evaluating policies: even an explicit deny does not refuse it.</summary>
    public bool IsUnauthorized(string operation) => unauthorized?.Contains(operation) == true;

    /// <summary>Adds the service's condition keys of this request to its context.</summary>
    public void AddContext(OperationInput input, RequestContext request) => context?.Invoke(input, request);

    /// <summary>Adds aws:ResourceTag/KEY (and the service's own name for it) for each tag of the resource an ARN names.</summary>
    public void AddResourceTags(string arn, RequestContext request)
    {
        if (arn == "*" || resourceTags?.Invoke(arn) is not { } tags) return;
        var serviceKey = serviceResourceTagKey ?? serviceResourceTagKeyOf?.Invoke(arn);
        foreach (var tag in tags)
        {
            request.With($"aws:ResourceTag/{tag.Key}", tag.Value);
            if (serviceKey is not null) request.With($"{serviceKey}/{tag.Key}", tag.Value);
        }
    }

    /// <summary>
    /// The role ARNs the operation passes to its service, each with that service's principal; none when it passes none.
    /// A role named in each item of a list (EventBridge's Targets[].RoleArn) is passed once per distinct role.
    /// </summary>
    public IReadOnlyList<(string RoleArn, string Service)> PassedRoles(string operation, OperationInput input)
    {
        if (passedRoles?.GetValueOrDefault(operation) is not { } passed) return [];
        IEnumerable<System.Text.Json.Nodes.JsonObject> holders = passed.InListMember is { } list
            ? (input.Body[list] as System.Text.Json.Nodes.JsonArray)?.OfType<System.Text.Json.Nodes.JsonObject>() ?? []
            : [input.Body];
        return holders.Select(h => h[passed.Member] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var role) ? role : null)
            .OfType<string>().Distinct(StringComparer.Ordinal).Select(role => (role, passed.Service)).ToList();
    }

    /// <summary>The actions the request also needs on its resources (none for most).</summary>
    public IEnumerable<string> AlsoRequired(string operation, OperationInput input) => alsoRequired?.Invoke(operation, input) ?? [];

    /// <summary>The actions the request also needs on resources of other services (none for most).</summary>
    public IEnumerable<RequiredElsewhere> RequiredElsewhere(string operation, OperationInput input) => requiredElsewhere?.Invoke(operation, input) ?? [];

    /// <summary>The resource policy of a resource ARN, or null when the service keeps none for it.</summary>
    public string? ResourcePolicy(string arn) => resourcePolicy?.Invoke(arn);

    public void Add(string operation, Func<OperationInput, IEnumerable<string>> resources) => _resources.Add(operation, resources);

    public void Add(string operation, Func<OperationInput, string> resource) => _resources.Add(operation, i => [resource(i)]);

    /// <summary>Several operations on the same resource.</summary>
    public void Add(string[] operations, Func<OperationInput, string> resource)
    {
        foreach (var operation in operations) Add(operation, resource);
    }

    /// <summary>An operation whose IAM action has another name than the operation.</summary>
    public void Add(string operation, string action, Func<OperationInput, string> resource)
    {
        _actions.Add(operation, action);
        Add(operation, resource);
    }

    public string Action(string operation, OperationInput input) =>
        actionOf is { } of ? of(operation, input) : $"{actionPrefix}:{_actions.GetValueOrDefault(operation, operation)}";

    /// <summary>The ARNs the operation is authorized against, "*" when it names none.</summary>
    public IReadOnlyList<string> Resources(string operation, OperationInput input)
    {
        var resolver = _resources.GetValueOrDefault(operation) ?? unlisted;
        var arns = resolver is null ? [] : resolver(input).Distinct(StringComparer.Ordinal).ToList();
        return arns.Count > 0 ? arns : ["*"];
    }

    IEnumerator IEnumerable.GetEnumerator() => _resources.Keys.GetEnumerator();

    /// <summary>An ARN in the caller's partition, region and account: arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE.</summary>
    public static string Arn(OperationInput input, string service, string resource) => $"arn:aws:{service}:{input.Scope.Region}:{input.Scope.AccountId}:{resource}";

    /// <summary>A name that may already be an ARN (many operations take either).</summary>
    public static string ArnOrBuild(string nameOrArn, Func<string, string> build) =>
        nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? nameOrArn : build(nameOrArn);

    /// <summary>The string members of a list member (DeleteAlarms' AlarmNames).</summary>
    public static IEnumerable<string> Strings(OperationInput input, string name) =>
        input.Body[name] is System.Text.Json.Nodes.JsonArray items
            ? items.Select(n => n is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>()
            : [];
}

/// <summary>A member that passes a role to a service: Lambda's CreateFunction Role to lambda.amazonaws.com.</summary>
/// <param name="InListMember">The list whose items carry the member (EventBridge's Targets), when the role is not a top-level member.</param>
/// <summary>
/// An action the caller must also be allowed on a resource of another service (by its signing name) for a request to go on,
/// evaluated with that service's resource policy and tags: the Data API reading the secret a call names.
/// </summary>
public sealed record RequiredElsewhere(string SigningName, string Action, string Resource);

public sealed record PassedRole(string Member, string Service, string? InListMember = null);

/// <summary>Every service's authorization table, by signing name.</summary>
public sealed class ResourceAuthorizations(IReadOnlyDictionary<string, AuthorizationTable> bySigningName)
{
    public static ResourceAuthorizations None { get; } = new(new Dictionary<string, AuthorizationTable>());

    public AuthorizationTable? For(string signingName) => bySigningName.GetValueOrDefault(signingName);
}
