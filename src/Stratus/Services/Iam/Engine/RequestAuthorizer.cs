using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.Query;
using Stratus.Protocols.RestXml;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// `--auth enforce`: each signed request's principal (an IAM user, a role or a role's session) is
/// evaluated for the operation's IAM action on each resource ARN the service's AuthorizationTable names
/// for it, with the resource's policy where the service keeps one and the session's policies and tags.
/// The account's root, whose key no policy names, is always allowed.
/// </summary>
public sealed class RequestAuthorizer(IamService iam, TimeProvider clock, ResourceAuthorizations authorizations) : IRequestAuthorizer
{
    /// <summary>Signing names whose IAM action prefix differs (CloudWatch signs as "monitoring").</summary>
    private static readonly Dictionary<string, string> ActionPrefixes = new(StringComparer.Ordinal) { ["monitoring"] = "cloudwatch" };

    public void Authorize(HttpContext http, ServiceEndpoint service, KnownCredential caller, string region, string operation, OperationInput input)
    {
        var table = authorizations.For(service.SigningName);
        if (table?.IsUnauthorized(operation) == true) return;
        var action = ActionOf(table, service.SigningName, operation, input);
        var resources = table?.Resources(operation, input) ?? ["*"];
        if (Refusal(http, caller, region, table, action, resources, input, table?.PassedRoles(operation, input) ?? []) is { } refusal)
            throw new AwsException(AccessDeniedCode(http, service), refusal, 403);
        foreach (var also in table?.AlsoRequired(operation, input) ?? [])
            if (Refusal(http, caller, region, table, also, resources, input, []) is { } alsoRefused)
                throw new AwsException(AccessDeniedCode(http, service), alsoRefused, 403);
        foreach (var elsewhere in table?.RequiredElsewhere(operation, input) ?? [])
            if (Refusal(http, caller, region, elsewhere.SigningName, elsewhere.Action, elsewhere.Resource) is { } elsewhereRefused)
                throw new AwsException(AccessDeniedCode(http, service), elsewhereRefused, 403);
    }

    /// <summary>The IAM action an operation stands for: its table's name for it, else the service's action prefix and the operation's name.</summary>
    public static string ActionOf(AuthorizationTable? table, string signingName, string operation, OperationInput input) =>
        table?.Action(operation, input) ?? $"{ActionPrefixes.GetValueOrDefault(signingName, signingName)}:{operation}";

    /// <summary>
    /// AWS's access-denied message when the caller may not take an action on one resource of a service (by its
    /// signing name) outside an API call (a registry pull), or null when it may.
    /// </summary>
    public string? Refusal(HttpContext http, KnownCredential caller, string region, string signingName, string action, string resource) =>
        Refusal(http, caller, region, authorizations.For(signingName), action, [resource], null, []);

    private string? Refusal(HttpContext http, KnownCredential caller, string region, AuthorizationTable? table, string action, IReadOnlyList<string> resources,
        OperationInput? input, IReadOnlyList<(string RoleArn, string Service)> passed)
    {
        if (iam.PoliciesOf(caller.PrincipalArn) is not { } policies) return null;
        if (caller.SessionPolicies is { } session)
            policies = policies with { Session = [.. session.Select((document, i) => new SourcedPolicy($"SessionPolicy.{i + 1}", PolicySourceKind.None, Policy.Parse(document)))] };
        var issuer = iam.RoleOfSession(caller.PrincipalArn);
        var tags = iam.PrincipalTags(issuer ?? caller.PrincipalArn);
        if (caller.SessionTags is { } sessionTags)
            foreach (var tag in sessionTags) tags[tag.Key] = tag.Value;
        foreach (var resource in resources)
        {
            var request = Context(http, caller, region, action, resource, issuer, tags, table?.ResourcePolicyRequired == true);
            if (input is not null)
            {
                AddRequestTags(input, request);
                table?.AddContext(input, request);
            }
            table?.AddResourceTags(resource, request);
            var resourcePolicy = resource == "*" ? null : ParsedOrNull(table?.ResourcePolicy(resource));
            var evaluation = PolicyEvaluator.Evaluate(resourcePolicy is null ? policies : policies with { Resource = new SourcedPolicy(resource, PolicySourceKind.Resource, resourcePolicy) }, request);
            if (Refused(evaluation, request) is { } refusal) return refusal;
        }
        // Passing a role to a service (Lambda's CreateFunction Role) is also iam:PassRole on the role, decided by the
        // caller's own policies only (a role's trust policy is not consulted), refused in the calling service's words.
        foreach (var role in passed)
        {
            var request = Context(http, caller, region, "iam:PassRole", role.RoleArn, issuer, tags, false).With("iam:PassedToService", role.Service);
            if (resources is [var target] && target != "*") request.With("iam:AssociatedResourceArn", target);
            if (Refused(PolicyEvaluator.Evaluate(policies, request), request) is { } refusal) return refusal;
        }
        return null;

        string? Refused(Evaluation evaluation, RequestContext request) => evaluation.Decision == Decision.Allowed
            ? null
            : $"User: {caller.PrincipalArn} is not authorized to perform: {request.Action} on resource: {request.Resource} {evaluation.Because(request.Action)}";
    }

    /// <summary>
    /// aws:RequestTag/KEY and aws:TagKeys from the tags a create or tag call sets ("Tags"/"tags", a map or AWS's
    /// [{Key, Value}] list) and aws:TagKeys from the keys an untag call removes ("TagKeys"/"tagKeys"). A member of
    /// another shape adds nothing here: the service refuses it with its own validation error.
    /// </summary>
    private static void AddRequestTags(OperationInput input, RequestContext request)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (input.Body["Tags"] ?? input.Body["tags"])
        {
            case JsonObject map:
                foreach (var (key, value) in map)
                    if (value is JsonValue v && v.TryGetValue<string>(out var text)) tags[key] = text;
                break;
            case JsonArray list:
                foreach (var tag in list.OfType<JsonObject>())
                    if (Text(tag["Key"] ?? tag["key"]) is { } key) tags[key] = Text(tag["Value"] ?? tag["value"]) ?? "";
                break;
        }
        foreach (var tag in tags) request.With($"aws:RequestTag/{tag.Key}", tag.Value);
        // A REST protocol's query-bound list (Lambda's ?tagKeys=) arrives as a lone string when it has one value.
        List<string> keys = (input.Body["TagKeys"] ?? input.Body["tagKeys"]) switch
        {
            JsonArray removed => removed.Select(Text).OfType<string>().ToList(),
            JsonValue one when Text(one) is { } key => [key],
            _ => [.. tags.Keys],
        };
        if (keys.Count > 0) request.With("aws:TagKeys", keys);

        static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    /// <summary>
    /// A stored resource policy, parsed; null when there is none or it is not a policy the engine reads
    /// (a repository policy is stored as given): such a policy grants nothing rather than failing the call.
    /// </summary>
    private static Policy? ParsedOrNull(string? document)
    {
        if (document is null) return null;
        try
        {
            return Policy.Parse(document);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private RequestContext Context(HttpContext http, KnownCredential caller, string region, string action, string resource, string? issuer, Dictionary<string, string> tags, bool resourcePolicyRequired)
    {
        var now = clock.GetUtcNow();
        var request = new RequestContext { Action = action, Resource = resource, PrincipalArn = caller.PrincipalArn, SessionIssuerArn = issuer, ResourcePolicyRequired = resourcePolicyRequired }
            .WithPrincipal(caller.PrincipalArn, caller.PrincipalId, caller.AccountId)
            .With("aws:RequestedRegion", region)
            .With("aws:SecureTransport", http.Request.IsHttps ? "true" : "false")
            .With("aws:CurrentTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .With("aws:EpochTime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        foreach (var tag in tags) request.With($"aws:PrincipalTag/{tag.Key}", tag.Value);
        if (caller.SourceIdentity is { } source) request.With("aws:SourceIdentity", source);
        request.WithMfa(caller.SessionToken is not null, caller.MfaAuthenticatedAt, now);
        if (http.Connection.RemoteIpAddress is { } ip) request.With("aws:SourceIp", (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString());
        return request;
    }

    /// <summary>Query and REST-XML services (IAM, STS, EC2, S3, RDS, CloudWatch) answer AccessDenied; JSON services AccessDeniedException.</summary>
    private static string AccessDeniedCode(HttpContext http, ServiceEndpoint service) =>
        service.Protocols.FirstOrDefault(p => p.Accepts(http.Request)) is AwsQueryProtocol or Ec2QueryProtocol or RestXmlProtocol
            ? "AccessDenied"
            : "AccessDeniedException";
}
