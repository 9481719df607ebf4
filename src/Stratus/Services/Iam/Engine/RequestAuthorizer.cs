using System.Globalization;
using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.Query;
using Stratus.Protocols.RestXml;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// `--auth enforce`: each signed request's principal (an IAM user, a role or a role's session) is
/// evaluated for the action service:Operation. The resource is "*": Stratus does not derive each
/// operation's resource ARN, so statements naming specific resources do not match, and a Deny on "*"
/// or a resource pattern "*" decides. The account's root, whose key no policy names, is always allowed.
/// </summary>
public sealed class RequestAuthorizer(IamService iam, TimeProvider clock) : IRequestAuthorizer
{
    /// <summary>Signing names whose IAM action prefix differs (CloudWatch signs as "monitoring").</summary>
    private static readonly Dictionary<string, string> ActionPrefixes = new(StringComparer.Ordinal) { ["monitoring"] = "cloudwatch" };

    public void Authorize(HttpContext http, ServiceEndpoint service, KnownCredential caller, string region, string operation)
    {
        if (iam.PoliciesOf(caller.PrincipalArn) is not { } policies) return;
        var action = $"{ActionPrefixes.GetValueOrDefault(service.SigningName, service.SigningName)}:{operation}";
        var now = clock.GetUtcNow();
        var request = new RequestContext { Action = action, Resource = "*", PrincipalArn = caller.PrincipalArn }
            .WithPrincipal(caller.PrincipalArn, caller.PrincipalId, caller.AccountId)
            .With("aws:RequestedRegion", region)
            .With("aws:SecureTransport", http.Request.IsHttps ? "true" : "false")
            .With("aws:CurrentTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .With("aws:EpochTime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        if (http.Connection.RemoteIpAddress is { } ip) request.With("aws:SourceIp", (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString());
        var evaluation = PolicyEvaluator.Evaluate(policies, request);
        if (evaluation.Decision == Decision.Allowed) return;
        var because = evaluation.Decision == Decision.ExplicitDeny
            ? "with an explicit deny in an identity-based policy"
            : evaluation.AllowedByBoundary == false
                ? $"because no permissions boundary allows the {action} action"
                : $"because no identity-based policy allows the {action} action";
        throw new AwsException(AccessDeniedCode(http, service), $"User: {caller.PrincipalArn} is not authorized to perform: {action} on resource: * {because}", 403);
    }

    /// <summary>Query and REST-XML services (IAM, STS, EC2, S3, RDS, CloudWatch) answer AccessDenied; JSON services AccessDeniedException.</summary>
    private static string AccessDeniedCode(HttpContext http, ServiceEndpoint service) =>
        service.Protocols.FirstOrDefault(p => p.Accepts(http.Request)) is AwsQueryProtocol or Ec2QueryProtocol or RestXmlProtocol
            ? "AccessDenied"
            : "AccessDeniedException";
}
