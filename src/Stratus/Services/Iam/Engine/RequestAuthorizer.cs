using System.Globalization;
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
        if (iam.PoliciesOf(caller.PrincipalArn) is not { } policies) return;
        if (caller.SessionPolicies is { } session)
            policies = policies with { Session = [.. session.Select((document, i) => new SourcedPolicy($"SessionPolicy.{i + 1}", PolicySourceKind.None, Policy.Parse(document)))] };
        var table = authorizations.For(service.SigningName);
        if (table?.IsUnauthorized(operation) == true) return;
        var action = table?.Action(operation, input) ?? $"{ActionPrefixes.GetValueOrDefault(service.SigningName, service.SigningName)}:{operation}";
        var resources = table?.Resources(operation, input) ?? ["*"];
        var issuer = iam.RoleOfSession(caller.PrincipalArn);
        var tags = iam.PrincipalTags(issuer ?? caller.PrincipalArn);
        if (caller.SessionTags is { } sessionTags)
            foreach (var tag in sessionTags) tags[tag.Key] = tag.Value;
        foreach (var resource in resources)
        {
            var request = Context(http, caller, region, action, resource, issuer, tags, table?.ResourcePolicyRequired == true);
            table?.AddContext(input, request);
            var resourcePolicy = resource == "*" ? null : ParsedOrNull(table?.ResourcePolicy(resource));
            var evaluation = PolicyEvaluator.Evaluate(resourcePolicy is null ? policies : policies with { Resource = new SourcedPolicy(resource, PolicySourceKind.Resource, resourcePolicy) }, request);
            if (evaluation.Decision == Decision.Allowed) continue;
            throw new AwsException(AccessDeniedCode(http, service),
                $"User: {caller.PrincipalArn} is not authorized to perform: {action} on resource: {resource} {evaluation.Because(action)}", 403);
        }
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
        if (http.Connection.RemoteIpAddress is { } ip) request.With("aws:SourceIp", (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString());
        return request;
    }

    /// <summary>Query and REST-XML services (IAM, STS, EC2, S3, RDS, CloudWatch) answer AccessDenied; JSON services AccessDeniedException.</summary>
    private static string AccessDeniedCode(HttpContext http, ServiceEndpoint service) =>
        service.Protocols.FirstOrDefault(p => p.Accepts(http.Request)) is AwsQueryProtocol or Ec2QueryProtocol or RestXmlProtocol
            ? "AccessDenied"
            : "AccessDeniedException";
}
