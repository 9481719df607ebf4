using Microsoft.AspNetCore.Http;
using Stratus.Host;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// `--auth enforce` for requests that are not API calls but stand for an IAM action: an ECR registry pull or push (the login
/// stands for the access key that called GetAuthorizationToken), an execute-api cache invalidation (the request's SigV4 key).
/// The key's principal taking the action on the resource is decided as the API's calls are (identity policies, the resource's
/// policy where the signing name's AuthorizationTable keeps one, boundaries, sessions).
/// </summary>
public sealed class ActionAuthorizer(CredentialResolver credentials, RequestAuthorizer authorizer) : IActionAuthorizer
{
    public string? Refusal(HttpContext http, string accessKeyId, string region, string signingName, string action, string resource) =>
        credentials.Find(accessKeyId) is { } caller
            ? authorizer.Refusal(http, caller, region, signingName, action, resource)
            // The key was deleted (or its session ended) since it was issued or the request was signed: it stands for no one now.
            : $"The access key {accessKeyId} no longer exists";
}
